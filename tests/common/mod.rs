//! Helpers shared by the integration tests: frame builders and a decoder
//! driver that turns chunk-relative events into owned, comparable ones.
#![allow(dead_code)]

use websockets::protocol::encoder::frame_to_vec;
use websockets::protocol::{
    Config, Data, Decoder, Event, Mode, Opcode, ProtocolError, Role, DEFAULT_STREAM_THRESHOLD,
};

pub const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// What a user of the decoder observes, independent of how input was chunked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    Message(Opcode, Vec<u8>),
    StreamStart(Opcode),
    StreamData(Vec<u8>),
    StreamStop,
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(u16, Vec<u8>),
    Error(ProtocolError),
}

pub fn masked(op: Opcode, fin: bool, payload: &[u8]) -> Vec<u8> {
    frame_to_vec(op, fin, payload, Some(KEY)).unwrap()
}

pub fn unmasked(op: Opcode, fin: bool, payload: &[u8]) -> Vec<u8> {
    frame_to_vec(op, fin, payload, None).unwrap()
}

pub fn server_with(threshold: u64, max_payload: u64) -> Decoder {
    let mut config = Config::new(Role::Server);
    config.stream_threshold = threshold;
    config.max_payload = max_payload;
    Decoder::new(Mode::Messages(config))
}

pub fn server() -> Decoder {
    server_with(DEFAULT_STREAM_THRESHOLD, 1 << 20)
}

pub fn client() -> Decoder {
    Decoder::new(Mode::Messages(Config::new(Role::Client)))
}

fn owned(decoder: &mut Decoder, chunk: &[u8], event: Event, seen: &mut Vec<Seen>) {
    let data = |decoder: &mut Decoder, d: Data| match d {
        Data::Range(a, b) => chunk[a..b].to_vec(),
        Data::Buffered => decoder.take().expect("a buffered payload"),
    };
    let item = match event {
        Event::Message(op, d) => Seen::Message(op, data(decoder, d)),
        Event::StreamStart(op) => Seen::StreamStart(op),
        Event::StreamData(d) => {
            let bytes = data(decoder, d);
            // Merge, so chunking does not change what is compared.
            if let Some(Seen::StreamData(prev)) = seen.last_mut() {
                prev.extend_from_slice(&bytes);
                return;
            }
            Seen::StreamData(bytes)
        }
        Event::StreamStop => Seen::StreamStop,
        Event::Ping(d) => Seen::Ping(data(decoder, d)),
        Event::Pong(d) => Seen::Pong(data(decoder, d)),
        Event::Close(code, d) => Seen::Close(code, data(decoder, d)),
        other => panic!("frame-mode event in message mode: {other:?}"),
    };
    seen.push(item);
}

/// Feeds `input` in the given chunk sizes (cycled) and returns what was seen.
pub fn feed(decoder: &mut Decoder, input: &[u8], sizes: &[usize]) -> Vec<Seen> {
    let mut seen = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < input.len() {
        let size = sizes[i % sizes.len()].max(1);
        i += 1;
        let end = (pos + size).min(input.len());
        let mut chunk = input[pos..end].to_vec();
        let mut events = Vec::new();
        let result = decoder.push(&mut chunk, &mut events);
        for event in events {
            owned(decoder, &chunk, event, &mut seen);
        }
        if let Err(e) = result {
            seen.push(Seen::Error(e));
            return seen;
        }
        pos = end;
    }
    seen
}

pub fn feed_all(decoder: &mut Decoder, input: &[u8]) -> Vec<Seen> {
    feed(decoder, input, &[input.len().max(1)])
}

/// The events with the stream bytes just before a final error taken out.
fn split_tail(mut seen: Vec<Seen>) -> (Vec<Seen>, Vec<u8>) {
    let n = seen.len();
    if n >= 2 && matches!(seen[n - 1], Seen::Error(_)) {
        if let Seen::StreamData(bytes) = &mut seen[n - 2] {
            let bytes = std::mem::take(bytes);
            seen.remove(n - 2);
            return (seen, bytes);
        }
    }
    (seen, Vec::new())
}

/// The decoder oracle of fuzz/decoder: the first byte picks the role, limits,
/// deflate and chunk sizes, the rest is fed whole and chunked; panics when
/// the two disagree.
pub fn chunking_oracle(data: &[u8]) {
    let Some((&shape, input)) = data.split_first() else {
        return;
    };
    let mut config = Config::new(if shape & 1 == 0 {
        Role::Server
    } else {
        Role::Client
    });
    // Small limits, so the fuzzer reaches them.
    config.stream_threshold = u64::from(shape >> 4) * 16;
    config.max_payload = 4096;
    config.max_fragments = 32;
    let decoder = || {
        let mut d = Decoder::new(Mode::Messages(config));
        if shape & 2 != 0 {
            d.set_inflate(9 + (shape >> 5), shape & 4 != 0);
        }
        d
    };
    let whole = feed_all(&mut decoder(), input);
    let sizes = [usize::from((shape >> 2) & 7) + 1, 3, 1, 11];
    let chunked = feed(&mut decoder(), input, &sizes);
    let (whole, whole_tail) = split_tail(whole);
    let (chunked, chunked_tail) = split_tail(chunked);
    assert_eq!(whole, chunked);
    let shorter = whole_tail.len().min(chunked_tail.len());
    assert_eq!(whole_tail[..shorter], chunked_tail[..shorter]);
}

/// The inflater oracle of fuzz/inflate: the first byte picks the window,
/// the context and a cut; any bytes give a result or an error, never a
/// panic, and never more output than the limit.
pub fn inflate_oracle(data: &[u8]) {
    const LIMIT: usize = 1 << 16;
    let Some((&shape, input)) = data.split_first() else {
        return;
    };
    let mut inflater = websockets::deflate::Inflater::new(8 + (shape & 7), shape & 8 != 0);
    let cut = usize::from(shape >> 4) * input.len() / 16;
    let mut out = Vec::new();
    if inflater
        .inflate(&input[..cut], false, &mut out, LIMIT)
        .is_ok()
    {
        let _ = inflater.inflate(&input[cut..], true, &mut out, LIMIT);
    }
    assert!(out.len() <= LIMIT);
}
