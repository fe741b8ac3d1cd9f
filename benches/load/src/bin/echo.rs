//! `echo`: a native WebSocket echo server on 127.0.0.1:$PORT (or --port),
//! for measuring Node clients (`npm run bench:e2e`, client role). Built on
//! the project's own core; every message goes back with its type, and
//! messages already read are echoed together in one write.

use std::rc::Rc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use websockets::protocol::{Config, Data, Decoder, Event, Mode, Opcode, Role, NO_STREAM_THRESHOLD};
use websockets_load::frame;

async fn serve(mut stream: TcpStream) -> Result<(), String> {
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 256 * 1024];
    let key = loop {
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let key = head
                .lines()
                .find_map(|l| {
                    l.split_once(':')
                        .filter(|(k, _)| k.eq_ignore_ascii_case("sec-websocket-key"))
                })
                .map(|(_, v)| v.trim().to_string())
                .ok_or("no key")?;
            buf.drain(..end + 4);
            break key;
        }
    };
    let answer = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        websockets::handshake::accept_key(&key)
    );
    stream
        .write_all(answer.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut config = Config::new(Role::Server);
    config.stream_threshold = NO_STREAM_THRESHOLD;
    config.max_payload = 1 << 30;
    let mut decoder = Decoder::new(Mode::Messages(config));
    let mut out = Vec::new();
    loop {
        let mut events = Vec::new();
        let mut at = 0;
        while at < buf.len() {
            let used = decoder
                .push(&mut buf[at..], &mut events)
                .map_err(|e| e.to_string())?;
            for event in events.drain(..) {
                match event {
                    Event::Message(op, Data::Range(a, b)) => {
                        out.extend(frame(op, &buf[at + a..at + b], None))
                    }
                    Event::Message(op, Data::Buffered) => {
                        let payload = decoder.take().unwrap_or_default();
                        out.extend(frame(op, &payload, None));
                    }
                    Event::Close(..) => {
                        out.extend(frame(Opcode::Close, &1000u16.to_be_bytes(), None));
                        stream.write_all(&out).await.map_err(|e| e.to_string())?;
                        return Ok(());
                    }
                    _ => {}
                }
            }
            at += used;
            if used == 0 {
                break;
            }
        }
        buf.clear();
        if !out.is_empty() {
            stream.write_all(&out).await.map_err(|e| e.to_string())?;
            out.clear();
        }
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn main() {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let listener = Rc::new(TcpListener::bind(("127.0.0.1", port)).await.expect("bind"));
        println!("echo on {}", listener.local_addr().expect("address").port());
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::task::spawn_local(async move {
                let _ = serve(stream).await;
            });
        }
    });
}
