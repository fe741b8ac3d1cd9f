//! `fanout`: one publisher and many subscribers, for `npm run bench:fanout`.
//! Reports one JSON line: deliveries per second (a message received by one
//! subscriber is one delivery), delivery latency percentiles, errors and
//! its own CPU time.
//!
//! fanout --publish ws://127.0.0.1:P/?pub --subscribe ws://127.0.0.1:A/?sub,ws://127.0.0.1:B/?sub
//!        --subscribers N --messages M --size BYTES [--window W] [--duration-limit S]
//!
//! Subscribers are spread over the `--subscribe` URLs in turn. Before the
//! clock starts, the publisher sends probes until every subscriber has seen
//! one (a bus subscribes asynchronously). Then it publishes M binary
//! messages, each carrying its index and the time it was written, keeping
//! at most W messages that some subscriber has not received yet. Every
//! subscriber must receive every message once, in order: anything else is
//! an error. Bounded: M x N deliveries, and a hard stop after S seconds.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::Semaphore;
use websockets::protocol::Opcode;
use websockets_load::{
    cpu_seconds, frame, handshake, next_frame, percentile, run_local, split_url, Rng,
};

/// The index a probe carries instead of a message's.
const PROBE: u64 = u64::MAX;

struct Args {
    publish: String,
    subscribe: Vec<String>,
    subscribers: usize,
    messages: usize,
    size: usize,
    window: usize,
    limit: f64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        publish: String::new(),
        subscribe: Vec::new(),
        subscribers: 1,
        messages: 1,
        size: 64,
        window: 8,
        limit: 30.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let number = |v: String| v.parse::<usize>().map_err(|e| format!("{v}: {e}"));
        match flag.as_str() {
            "--publish" => args.publish = value()?,
            "--subscribe" => args.subscribe = value()?.split(',').map(String::from).collect(),
            "--subscribers" => args.subscribers = number(value()?)?,
            "--messages" => args.messages = number(value()?)?,
            "--size" => args.size = number(value()?)?.max(16),
            "--window" => args.window = number(value()?)?.max(1),
            "--duration-limit" => args.limit = value()?.parse().map_err(|e| format!("{e}"))?,
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    if args.publish.is_empty() || args.subscribe.is_empty() {
        return Err("--publish and --subscribe are required".into());
    }
    Ok(args)
}

/// What all subscribers share: a single-threaded runtime, so no locks.
struct Shared {
    start: Instant,
    /// Subscribers that have not yet received message i.
    remaining: Vec<u32>,
    /// Subscribers that saw a probe.
    ready: usize,
    latencies_ms: Vec<f64>,
    delivered: usize,
    errors: usize,
    first_error: Option<String>,
}

impl Shared {
    fn error(&mut self, what: String) {
        self.errors += 1;
        self.first_error.get_or_insert(what);
    }
}

/// Nanoseconds since the run's start, as the messages carry them.
fn now_ns(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

async fn subscriber(
    shared: Rc<RefCell<Shared>>,
    window: Rc<Semaphore>,
    mut reader: OwnedReadHalf,
    mut buf: Vec<u8>,
    messages: usize,
) {
    let mut chunk = vec![0u8; 256 * 1024];
    let mut expected = 0u64;
    let mut ready = false;
    'read: while (expected as usize) < messages {
        while let Some((header, start, end)) = next_frame(&buf) {
            let payload = &buf[start..end];
            if header.opcode == Opcode::Close {
                break 'read;
            }
            if header.opcode == Opcode::Binary && header.fin && payload.len() >= 16 {
                let index = u64::from_le_bytes(payload[..8].try_into().unwrap_or_default());
                let sent = u64::from_le_bytes(payload[8..16].try_into().unwrap_or_default());
                let mut s = shared.borrow_mut();
                if index == PROBE {
                    if !ready {
                        ready = true;
                        s.ready += 1;
                    }
                } else if index != expected {
                    s.error(format!("expected message {expected}, got {index}"));
                    break 'read;
                } else {
                    let latency = now_ns(s.start).saturating_sub(sent);
                    s.latencies_ms.push(latency as f64 / 1e6);
                    s.delivered += 1;
                    let left = &mut s.remaining[index as usize];
                    *left -= 1;
                    if *left == 0 {
                        window.add_permits(1);
                    }
                    expected += 1;
                }
            }
            buf.drain(..end);
        }
        if expected as usize == messages {
            break;
        }
        match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    if (expected as usize) < messages {
        let missing = messages - expected as usize;
        let mut s = shared.borrow_mut();
        s.errors += missing;
        s.first_error
            .get_or_insert_with(|| format!("a subscriber missed {missing} messages"));
    }
}

fn message(size: usize, index: u64, sent_ns: u64, key: [u8; 4]) -> Vec<u8> {
    let mut payload: Vec<u8> = (0..size).map(|i| (i * 31 + 7) as u8).collect();
    payload[..8].copy_from_slice(&index.to_le_bytes());
    payload[8..16].copy_from_slice(&sent_ns.to_le_bytes());
    frame(Opcode::Binary, &payload, Some(key))
}

async fn run(args: &Args) -> Result<(f64, f64, Rc<RefCell<Shared>>), String> {
    let shared = Rc::new(RefCell::new(Shared {
        start: Instant::now(),
        remaining: vec![u32::try_from(args.subscribers).unwrap_or(u32::MAX); args.messages],
        ready: 0,
        latencies_ms: Vec::with_capacity(args.messages * args.subscribers),
        delivered: 0,
        errors: 0,
        first_error: None,
    }));
    // Messages some subscriber has not received yet, at most `window`.
    let window = Rc::new(Semaphore::new(args.window));
    let mut tasks = Vec::new();
    for i in 0..args.subscribers {
        let (host_port, path) = split_url(&args.subscribe[i % args.subscribe.len()])?;
        let (stream, rest) = handshake(&host_port, &path, None).await?;
        // The subscriber never writes; its write half stays open.
        let (reader, writer) = stream.into_split();
        std::mem::forget(writer);
        tasks.push(tokio::task::spawn_local(subscriber(
            shared.clone(),
            window.clone(),
            reader,
            rest,
            args.messages,
        )));
    }
    let (host_port, path) = split_url(&args.publish)?;
    let (mut publisher, _) = handshake(&host_port, &path, None).await?;
    let mut rng = Rng::new();

    // Probes until every subscriber has seen one.
    let settle = Instant::now();
    while shared.borrow().ready < args.subscribers {
        if settle.elapsed() > Duration::from_secs(10) {
            return Err(format!(
                "only {} of {} subscribers got a probe",
                shared.borrow().ready,
                args.subscribers
            ));
        }
        let probe = message(args.size, PROBE, 0, rng.key());
        publisher
            .write_all(&probe)
            .await
            .map_err(|e| e.to_string())?;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;

    let cpu_start = cpu_seconds();
    let start = Instant::now();
    let limit = Duration::from_secs_f64(args.limit);
    for index in 0..args.messages as u64 {
        let left = limit.saturating_sub(start.elapsed());
        match tokio::time::timeout(left, window.acquire()).await {
            Ok(Ok(permit)) => permit.forget(),
            _ => return Err("timed out".into()),
        }
        let sent = now_ns(shared.borrow().start);
        let bytes = message(args.size, index, sent, rng.key());
        publisher
            .write_all(&bytes)
            .await
            .map_err(|e| e.to_string())?;
    }
    for task in tasks {
        let left = limit.saturating_sub(start.elapsed());
        if tokio::time::timeout(left, task).await.is_err() {
            shared.borrow_mut().error("timed out".into());
            break;
        }
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_start;
    let close = frame(Opcode::Close, &1000u16.to_be_bytes(), Some(rng.key()));
    let _ = publisher.write_all(&close).await;
    Ok((wall, cpu, shared))
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fanout: {e}");
            std::process::exit(1);
        }
    };
    match run_local(run(&args)) {
        Err(e) => {
            println!("{{\"delivered\":0,\"errors\":1,\"first_error\":{e:?}}}");
            std::process::exit(2);
        }
        Ok((wall, cpu, shared)) => {
            let mut s = shared.borrow_mut();
            let mut latencies = std::mem::take(&mut s.latencies_ms);
            latencies.sort_by(f64::total_cmp);
            let p = |q| {
                let v = percentile(&latencies, q);
                if v.is_finite() {
                    format!("{v:.3}")
                } else {
                    "null".into()
                }
            };
            println!(
                "{{\"delivered\":{},\"errors\":{},\"wall_s\":{wall:.4},\"deliveries_per_s\":{:.1},\
                 \"lat_ms_p50\":{},\"lat_ms_p99\":{},\"client_cpu_pct\":{:.1},\"first_error\":{:?}}}",
                s.delivered,
                s.errors,
                s.delivered as f64 / wall,
                p(50.0),
                p(99.0),
                cpu / wall * 100.0,
                s.first_error.clone().unwrap_or_default()
            );
            if s.errors > 0 {
                std::process::exit(2);
            }
        }
    }
}
