//! `load`: drives a WebSocket echo server on loopback and reports one JSON
//! line: verified echoes per second, round-trip percentiles, errors and its
//! own CPU time.
//!
//! load --url ws://127.0.0.1:PORT/ --connections C --messages M --size BYTES
//!      [--text [--ascii] | --json | --binary] [--deflate] [--pipeline P]
//!      [--duration-limit S]
//!
//! `--deflate` offers permessage-deflate with no context takeover either way
//! (each message compressed on its own, so both servers compress the same
//! bytes the same way) and reports the compression the server achieved.
//!
//! Each connection keeps at most P messages in flight; frames ready together
//! go out in one write. Every echo is checked byte for byte (each message
//! carries its index), so a lost, reordered or corrupted echo is an error.
//! Bounded: C x M messages, and a hard stop after S seconds.

use std::collections::VecDeque;
use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use websockets::deflate::{Deflater, Inflater, DEFAULT_MEM_LEVEL};
use websockets::protocol::Opcode;
use websockets_load::{
    cpu_seconds, frame, json_payload, next_frame, payload, percentile, run_local, split_url, stamp,
    Rng,
};

/// What the client offers with `--deflate`.
const OFFER: &str = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

struct Args {
    host_port: String,
    path: String,
    connections: usize,
    messages: usize,
    size: usize,
    text: bool,
    ascii: bool,
    json: bool,
    deflate: bool,
    pipeline: usize,
    limit: f64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        host_port: String::new(),
        path: "/".into(),
        connections: 1,
        messages: 1,
        size: 64,
        text: false,
        ascii: false,
        json: false,
        deflate: false,
        pipeline: 1,
        limit: 30.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let number = |v: String| v.parse::<usize>().map_err(|e| format!("{v}: {e}"));
        match flag.as_str() {
            "--url" => {
                (args.host_port, args.path) = split_url(&value()?)?;
            }
            "--connections" => args.connections = number(value()?)?,
            "--messages" => args.messages = number(value()?)?,
            "--size" => args.size = number(value()?)?,
            "--pipeline" => args.pipeline = number(value()?)?.max(1),
            "--duration-limit" => args.limit = value()?.parse().map_err(|e| format!("{e}"))?,
            "--text" => args.text = true,
            "--ascii" => args.ascii = true,
            "--json" => {
                args.text = true;
                args.json = true;
            }
            "--deflate" => args.deflate = true,
            "--binary" => args.text = false,
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    if args.host_port.is_empty() {
        return Err("--url is required".into());
    }
    Ok(args)
}

#[derive(Default)]
struct Outcome {
    ok: usize,
    errors: usize,
    first_error: Option<String>,
    rtts_ms: Vec<f64>,
    /// Payload bytes received as they came over the wire, and as messages.
    wire_in: u64,
    payload_in: u64,
}

async fn handshake(args: &Args) -> Result<(TcpStream, Vec<u8>), String> {
    let offer = args.deflate.then_some(OFFER);
    websockets_load::handshake(&args.host_port, &args.path, offer).await
}

async fn run_connection(
    args: Rc<Args>,
    template: Rc<Vec<u8>>,
    stream: TcpStream,
    leftover: Vec<u8>,
) -> Outcome {
    let (mut reader, mut writer) = stream.into_split();
    let window = Rc::new(Semaphore::new(args.pipeline));
    let sent_at: Rc<std::cell::RefCell<VecDeque<Instant>>> = Rc::default();
    let opcode = if args.text {
        Opcode::Text
    } else {
        Opcode::Binary
    };

    let writer_task = {
        let (args, template, window, sent_at) = (
            args.clone(),
            template.clone(),
            window.clone(),
            sent_at.clone(),
        );
        tokio::task::spawn_local(async move {
            let mut rng = Rng::new();
            let mut message = template.as_ref().clone();
            // Level 1: the client's own compressing must not be what limits the run.
            let mut deflater = args
                .deflate
                .then(|| Deflater::new(15, true, 1, DEFAULT_MEM_LEVEL));
            let mut compressed = Vec::new();
            let mut batch = Vec::new();
            let mut next = 0;
            while next < args.messages {
                let Ok(permit) = window.acquire().await else {
                    return None;
                };
                permit.forget();
                let mut count = 1;
                while next + count < args.messages {
                    match window.try_acquire() {
                        Ok(p) => {
                            p.forget();
                            count += 1;
                        }
                        Err(_) => break,
                    }
                }
                batch.clear();
                let now = Instant::now();
                for _ in 0..count {
                    stamp(&mut message, next as u64);
                    if let Some(deflater) = deflater.as_mut() {
                        compressed.clear();
                        deflater.deflate(&message, true, &mut compressed);
                        let mut f = frame(opcode, &compressed, Some(rng.key()));
                        f[0] |= 0x40; // RSV1: a compressed message
                        batch.extend(f);
                    } else {
                        batch.extend(frame(opcode, &message, Some(rng.key())));
                    }
                    sent_at.borrow_mut().push_back(now);
                    next += 1;
                }
                if writer.write_all(&batch).await.is_err() {
                    return None;
                }
            }
            // The reader side sends the close once every echo is in.
            Some(writer)
        })
    };

    let mut outcome = Outcome::default();
    let mut buf = leftover;
    let mut expected = template.as_ref().clone();
    let mut received = 0;
    let mut chunk = vec![0u8; 256 * 1024];
    // A streamed echo comes back fragmented: its frames are joined here.
    let mut message: Option<(Opcode, Vec<u8>)> = None;
    let mut compressed = false;
    let mut inflater = Inflater::new(15, true);
    'read: while received < args.messages {
        while let Some((header, start, end)) = next_frame(&buf) {
            match (&mut message, header.opcode) {
                (Some((_, data)), Opcode::Continuation) => data.extend_from_slice(&buf[start..end]),
                (_, op) if op.is_control() => {
                    buf.drain(..end);
                    continue;
                }
                _ => {
                    compressed = header.rsv1;
                    message = Some((header.opcode, buf[start..end].to_vec()));
                }
            }
            outcome.wire_in += (end - start) as u64;
            buf.drain(..end);
            if !header.fin {
                continue;
            }
            let Some((op, mut data)) = message.take() else {
                continue;
            };
            if compressed {
                let mut out = Vec::with_capacity(args.size + 64);
                if inflater
                    .inflate(&data, true, &mut out, args.size + 64)
                    .is_err()
                {
                    out.clear();
                }
                data = out;
            }
            outcome.payload_in += data.len() as u64;
            let good = op == opcode && {
                stamp(&mut expected, received as u64);
                data == expected
            };
            if good {
                outcome.ok += 1;
            } else {
                outcome.errors += 1;
                outcome.first_error.get_or_insert_with(|| {
                    format!(
                        "message {received}: wrong echo (opcode {op:?}, {} bytes)",
                        data.len()
                    )
                });
            }
            if let Some(at) = sent_at.borrow_mut().pop_front() {
                outcome.rtts_ms.push(at.elapsed().as_secs_f64() * 1000.0);
            }
            received += 1;
            window.add_permits(1);
            if received == args.messages {
                break 'read;
            }
        }
        match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    if received < args.messages {
        outcome.errors += args.messages - received;
        outcome
            .first_error
            .get_or_insert_with(|| format!("{} echoes missing", args.messages - received));
    }
    // Close politely: a masked 1000, then wait briefly for the server's close.
    if let Ok(Some(writer)) = writer_task.await {
        if let Ok(mut stream) = reader.reunite(writer) {
            let close = frame(
                Opcode::Close,
                &1000u16.to_be_bytes(),
                Some(Rng::new().key()),
            );
            let _ = stream.write_all(&close).await;
            let _ = tokio::time::timeout(Duration::from_millis(500), stream.read(&mut chunk)).await;
        }
    }
    outcome
}

/// A number for JSON: `null` when there is none (no echo came back).
fn json_number(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.3}")
    } else {
        "null".into()
    }
}

fn main() {
    let args = match parse_args() {
        Ok(a) => Rc::new(a),
        Err(e) => {
            eprintln!("load: {e}");
            std::process::exit(1);
        }
    };
    let result = run_local(async {
        let template = Rc::new(if args.json {
            json_payload(args.size)
        } else {
            payload(args.size, args.text, args.ascii)
        });
        let connect_start = Instant::now();
        let mut streams = Vec::new();
        for _ in 0..args.connections {
            match handshake(&args).await {
                Ok(s) => streams.push(s),
                Err(e) => return Err(e),
            }
        }
        let connect_s = connect_start.elapsed().as_secs_f64();
        let cpu_start = cpu_seconds();
        let start = Instant::now();
        let tasks: Vec<_> = streams
            .into_iter()
            .map(|(s, rest)| {
                tokio::task::spawn_local(run_connection(args.clone(), template.clone(), s, rest))
            })
            .collect();
        let limit = Duration::from_secs_f64(args.limit);
        let mut outcomes = Vec::new();
        let mut timed_out = false;
        for task in tasks {
            let left = limit.saturating_sub(start.elapsed());
            match tokio::time::timeout(left, task).await {
                Ok(Ok(o)) => outcomes.push(o),
                _ => timed_out = true,
            }
        }
        Ok((
            outcomes,
            start.elapsed().as_secs_f64(),
            connect_s,
            cpu_seconds() - cpu_start,
            timed_out,
        ))
    });
    match result {
        Err(e) => {
            println!(
                "{{\"ok\":0,\"errors\":1,\"conn_errors\":1,\"first_error\":{:?}}}",
                e
            );
            std::process::exit(2);
        }
        Ok((outcomes, wall_s, connect_s, cpu_s, timed_out)) => {
            let ok: usize = outcomes.iter().map(|o| o.ok).sum();
            let mut errors: usize = outcomes.iter().map(|o| o.errors).sum();
            if timed_out {
                errors += args.connections * args.messages
                    - ok
                    - errors.min(args.connections * args.messages - ok);
            }
            let first_error = outcomes.iter().find_map(|o| o.first_error.clone());
            let wire_in: u64 = outcomes.iter().map(|o| o.wire_in).sum();
            let payload_in: u64 = outcomes.iter().map(|o| o.payload_in).sum();
            let mut rtts: Vec<f64> = outcomes.into_iter().flat_map(|o| o.rtts_ms).collect();
            rtts.sort_by(f64::total_cmp);
            println!(
                "{{\"ok\":{ok},\"errors\":{errors},\"timed_out\":{timed_out},\"wall_s\":{wall_s:.4},\"connect_s\":{connect_s:.4},\
                 \"msgs_per_s\":{:.1},\"lat_ms_p50\":{},\"lat_ms_p99\":{},\"client_cpu_pct\":{:.1},\
                 \"wire_in\":{wire_in},\"payload_in\":{payload_in},\"first_error\":{:?}}}",
                ok as f64 / wall_s,
                json_number(percentile(&rtts, 50.0)),
                json_number(percentile(&rtts, 99.0)),
                cpu_s / wall_s * 100.0,
                first_error.unwrap_or_default()
            );
            if errors > 0 || timed_out {
                std::process::exit(2);
            }
        }
    }
}
