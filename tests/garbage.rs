//! Hostile input never panics: random bytes and mutated valid frames, fed in
//! random chunkings, only ever produce events or a `ProtocolError`.

mod common;

use common::{masked, server, unmasked};
use websockets::protocol::{Config, Data, Decoder, Event, Mode, Opcode, Role, NO_STREAM_THRESHOLD};

/// xorshift64*: deterministic, so a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn decoders() -> Vec<Decoder> {
    let mut whole = Config::new(Role::Server);
    whole.stream_threshold = NO_STREAM_THRESHOLD;
    let mut small = Config::new(Role::Client);
    small.max_payload = 300;
    vec![
        server(),
        Decoder::new(Mode::Messages(whole)),
        Decoder::new(Mode::Messages(small)),
        Decoder::new(Mode::Frames),
    ]
}

fn feed_randomly(decoder: &mut Decoder, input: &[u8], rng: &mut Rng) {
    let mut at = 0;
    while at < input.len() {
        let end = (at + 1 + rng.below(64)).min(input.len());
        let mut chunk = input[at..end].to_vec();
        let mut events: Vec<Event> = Vec::new();
        let result = decoder.push(&mut chunk, &mut events);
        // Every reported range lies inside the chunk.
        for event in &events {
            if let Event::Payload(a, b) | Event::StreamData(Data::Range(a, b)) = *event {
                assert!(a <= b && b <= chunk.len());
            }
        }
        while decoder.take().is_some() {}
        if result.is_err() {
            return;
        }
        at = end;
    }
}

#[test]
fn random_bytes_never_panic() {
    for seed in 1..=300u64 {
        let mut rng = Rng(seed);
        let len = rng.below(2000);
        let input: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        for mut decoder in decoders() {
            feed_randomly(&mut decoder, &input, &mut rng);
        }
    }
}

#[test]
fn mutated_valid_frames_never_panic() {
    let mut valid = masked(Opcode::Text, false, "κόσμε".as_bytes());
    valid.extend(masked(Opcode::Ping, true, b"ping"));
    valid.extend(masked(Opcode::Continuation, true, &[0x61; 300]));
    valid.extend(masked(Opcode::Binary, true, &[7; 70]));
    valid.extend(unmasked(Opcode::Close, true, b"\x03\xe8bye"));
    for seed in 1..=2000u64 {
        let mut rng = Rng(seed);
        let mut input = valid.clone();
        for _ in 0..=rng.below(4) {
            let at = rng.below(input.len());
            input[at] = rng.next() as u8;
        }
        for mut decoder in decoders() {
            feed_randomly(&mut decoder, &input, &mut rng);
        }
    }
}
