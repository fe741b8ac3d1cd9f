//! Core throughput without FFI: masking, UTF-8 validation (simdutf8 against
//! std, the measurement behind the choice) and decoding.
//! `npm run bench:core` (`cargo bench --no-default-features --bench core`:
//! a binary cannot link the napi symbols the `node` feature pulls in).
//! Medians of several timed runs; no external harness, so `cargo clippy
//! --all-targets` stays cheap.

use std::hint::black_box;
use std::time::Instant;

use websockets::protocol::encoder::frame_to_vec;
use websockets::protocol::{apply_mask, Config, Decoder, Event, Mode, Opcode, Role};

const RUNS: usize = 15;

fn median_ns(mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e9
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[RUNS / 2]
}

#[expect(clippy::cast_precision_loss, reason = "byte counts far below 2^52")]
fn report(name: &str, bytes: usize, ns: f64) {
    println!(
        "{name:<44} {:>10.1} µs  {:>8.0} MiB/s",
        ns / 1e3,
        bytes as f64 / (ns / 1e9) / 1_048_576.0
    );
}

fn byte_loop(buf: &mut [u8], key: [u8; 4]) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[i & 3];
    }
}

#[expect(clippy::too_many_lines, reason = "one flat list of measurements")]
fn main() {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let mut mib = vec![0x61u8; 1 << 20];
    report(
        "mask 1 MiB, word at a time",
        mib.len(),
        median_ns(|| {
            apply_mask(black_box(&mut mib), key, 0);
        }),
    );
    report(
        "mask 1 MiB, byte loop",
        mib.len(),
        median_ns(|| byte_loop(black_box(&mut mib), key)),
    );

    let text: Vec<u8> = "Hello, κόσμε! ascii and 𝄞 music "
        .repeat(1 << 15)
        .into_bytes();
    report(
        "utf8 1 MiB mixed, simdutf8::compat",
        text.len(),
        median_ns(|| {
            black_box(simdutf8::compat::from_utf8(black_box(&text)).is_ok());
        }),
    );
    report(
        "utf8 1 MiB mixed, std::str::from_utf8",
        text.len(),
        median_ns(|| {
            black_box(std::str::from_utf8(black_box(&text)).is_ok());
        }),
    );
    let ascii = vec![b'a'; 1 << 20];
    report(
        "utf8 1 MiB ascii, simdutf8::compat",
        ascii.len(),
        median_ns(|| {
            black_box(simdutf8::compat::from_utf8(black_box(&ascii)).is_ok());
        }),
    );
    report(
        "utf8 1 MiB ascii, std::str::from_utf8",
        ascii.len(),
        median_ns(|| {
            black_box(std::str::from_utf8(black_box(&ascii)).is_ok());
        }),
    );
    let short = b"twenty bytes of text";
    report(
        "utf8 20 B x 10k, simdutf8::compat",
        200_000,
        median_ns(|| {
            for _ in 0..10_000 {
                black_box(simdutf8::compat::from_utf8(black_box(short)).is_ok());
            }
        }),
    );
    report(
        "utf8 20 B x 10k, std::str::from_utf8",
        200_000,
        median_ns(|| {
            for _ in 0..10_000 {
                black_box(std::str::from_utf8(black_box(short)).is_ok());
            }
        }),
    );

    let config = Config::new(Role::Server);
    for (name, size, count) in [
        ("decode 10k x 20 B", 20, 10_000),
        ("decode 64 x 16 KiB", 16 << 10, 64),
        ("decode 1 x 1 MiB text", 1 << 20, 1),
    ] {
        let frame = frame_to_vec(
            if size == 1 << 20 {
                Opcode::Text
            } else {
                Opcode::Binary
            },
            true,
            &vec![b'a'; size],
            Some(key),
        )
        .unwrap_or_default();
        let input: Vec<u8> = frame
            .iter()
            .copied()
            .cycle()
            .take(frame.len() * count)
            .collect();
        let mut work = input.clone();
        let mut events: Vec<Event> = Vec::with_capacity(count * 3);
        report(
            name,
            input.len(),
            median_ns(|| {
                work.copy_from_slice(&input);
                events.clear();
                let mut decoder = Decoder::new(Mode::Messages(config));
                black_box(decoder.push(&mut work, &mut events).is_ok());
            }),
        );
    }
}
