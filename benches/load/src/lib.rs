//! Shared pieces of the load generator (`load`) and the native echo server
//! (`echo`): frame building and parsing with the project's core, CPU time
//! and percentiles. Loopback only: every address is checked.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use websockets::protocol::encoder::frame_to_vec;
use websockets::protocol::{decode_header, Decoded, FrameHeader, Opcode};

/// A small fast PRNG (xorshift64*) for masking keys, seeded from the OS.
pub struct Rng(u64);

impl Rng {
    /// A generator seeded from the OS CSPRNG.
    #[must_use]
    pub fn new() -> Self {
        let mut seed = [0u8; 8];
        getrandom::fill(&mut seed).expect("OS randomness");
        Self(u64::from_le_bytes(seed) | 1)
    }

    /// The next 4 bytes.
    pub fn key(&mut self) -> [u8; 4] {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let v = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (v as u32).to_le_bytes()
    }
}

impl Default for Rng {
    fn default() -> Self {
        Self::new()
    }
}

/// Resolves `host:port`, refusing anything but loopback.
///
/// # Errors
/// When it does not resolve or is not a loopback address.
pub fn loopback(host_port: &str) -> Result<SocketAddr, String> {
    let addr = host_port
        .to_socket_addrs()
        .map_err(|e| format!("{host_port}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host_port}: no address"))?;
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_loopback() => Ok(addr),
        IpAddr::V6(ip) if ip.is_loopback() => Ok(addr),
        ip => Err(format!("{ip} is not a loopback address; refusing")),
    }
}

/// `ws://host:port/path` as (`host:port`, `/path`).
///
/// # Errors
/// A URL of another scheme.
pub fn split_url(url: &str) -> Result<(String, String), String> {
    let rest = url.strip_prefix("ws://").ok_or("only ws:// URLs")?;
    let (host_port, path) = rest.split_once('/').unwrap_or((rest, ""));
    Ok((host_port.into(), format!("/{path}")))
}

/// Runs `future` to completion on a single-threaded runtime with a local
/// task set (the tasks share `Rc`s, not locks).
pub fn run_local<F: std::future::Future>(future: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    tokio::task::LocalSet::new().block_on(&runtime, future)
}

/// Connects to `host_port` (loopback only) and completes the opening
/// handshake for `path`, offering `extensions` when given (and requiring
/// the server to accept it). Returns the stream and any bytes read past the
/// 101 response.
///
/// # Errors
/// A refused or failed connection or handshake.
pub async fn handshake(
    host_port: &str,
    path: &str,
    extensions: Option<&str>,
) -> Result<(TcpStream, Vec<u8>), String> {
    let addr = loopback(host_port)?;
    let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).map_err(|e| e.to_string())?;
    let key = websockets::handshake::encode_key(&nonce);
    let offer = extensions.map_or(String::new(), |e| {
        format!("Sec-WebSocket-Extensions: {e}\r\n")
    });
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{offer}\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = Vec::with_capacity(4096);
    loop {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("closed during the handshake".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            if !head.starts_with("http/1.1 101") {
                return Err(format!(
                    "handshake refused: {}",
                    head.lines().next().unwrap_or("")
                ));
            }
            let accept = websockets::handshake::accept_key(&key);
            if !head.contains(&accept.to_ascii_lowercase()) {
                return Err("wrong Sec-WebSocket-Accept".into());
            }
            if extensions.is_some()
                && !head.contains("sec-websocket-extensions: permessage-deflate")
            {
                return Err("the server did not accept permessage-deflate".into());
            }
            return Ok((stream, buf.split_off(end + 4)));
        }
    }
}

/// A complete frame at the start of `buf`: (header, payload range end).
#[must_use]
pub fn next_frame(buf: &[u8]) -> Option<(FrameHeader, usize, usize)> {
    match decode_header(buf) {
        Ok(Decoded::Done { header, len }) => {
            let end = len.checked_add(usize::try_from(header.length).ok()?)?;
            (end <= buf.len()).then_some((header, len, end))
        }
        _ => None,
    }
}

/// One frame of `payload`, masked with `key` when given.
#[must_use]
pub fn frame(opcode: Opcode, payload: &[u8], key: Option<[u8; 4]>) -> Vec<u8> {
    frame_to_vec(opcode, true, payload, key).expect("a valid frame")
}

/// This process's CPU time (user + system) in seconds, from /proc.
#[must_use]
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat; `after` starts at field 3.
    (ticks(11) + ticks(12)) / 100.0
}

/// The `p`th percentile (0..=100) of sorted values.
#[must_use]
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// A payload of `size` bytes: text (valid UTF-8, about 70% ASCII with 2-,
/// 3- and 4-byte characters, or all ASCII) or binary. The first 16 bytes
/// are ASCII so a message index can be stamped there.
#[must_use]
pub fn payload(size: usize, text: bool, ascii: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 4);
    if !text {
        out.extend((0..size).map(|i| (i * 31 + 7) as u8));
        return out;
    }
    let pieces: &[&str] = if ascii {
        &["websocket "]
    } else {
        &[
            "hello wörld ",
            "ascii text ",
            "日本語 ",
            "more plain ascii ",
            "😀 ",
            "ñandú ",
        ]
    };
    out.extend_from_slice(&b"0000000000000000"[..size.min(16)]);
    let mut i = 0;
    while out.len() < size {
        let piece = pieces[i % pieces.len()].as_bytes();
        if out.len() + piece.len() > size {
            // Fill the rest with ASCII so the text stays valid.
            out.resize(size, b'.');
        } else {
            out.extend_from_slice(piece);
        }
        i += 1;
    }
    out
}

/// JSON-like text of `size` bytes (an array of small records, as an API or
/// a chat sends), for the compression scenarios. The first 16 bytes are
/// ASCII digits for the index stamp.
#[must_use]
pub fn json_payload(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 64);
    out.extend_from_slice(&b"0000000000000000"[..size.min(16)]);
    out.push(b'[');
    let mut i = 0;
    while out.len() < size {
        let row = format!(
            "{{\"id\":{i},\"user\":\"user-{}\",\"score\":{},\"tags\":[\"a\",\"b{}\"],\"ok\":true}},",
            i * 7 % 1000,
            i * 13 % 997,
            i % 5
        );
        out.extend_from_slice(row.as_bytes());
        i += 1;
    }
    out.truncate(size);
    out
}

/// Writes `index` as 16 hex digits into the payload's first bytes.
pub fn stamp(payload: &mut [u8], index: u64) {
    let digits = format!("{index:016x}");
    let n = payload.len().min(16);
    payload[..n].copy_from_slice(&digits.as_bytes()[16 - n..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_payloads_are_valid_utf8_of_the_asked_size() {
        for size in [0, 1, 15, 16, 64, 1000, 16384] {
            for ascii in [false, true] {
                let mut p = payload(size, true, ascii);
                stamp(&mut p, 0xdead_beef);
                assert_eq!(p.len(), size);
                assert!(std::str::from_utf8(&p).is_ok());
            }
        }
    }

    #[test]
    fn only_loopback_is_accepted() {
        assert!(loopback("127.0.0.1:80").is_ok());
        assert!(loopback("[::1]:80").is_ok());
        assert!(loopback("10.0.0.1:80").is_err());
    }
}
