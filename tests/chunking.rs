//! Every fixture, re-fed at every split point and in 1-byte chunks, gives
//! the same events as one push.

mod common;

use common::{feed, feed_all, masked, server, server_with, Seen};
use websockets::protocol::{Opcode, ProtocolError, NO_STREAM_THRESHOLD};

fn fixtures() -> Vec<(&'static str, Vec<u8>)> {
    let mut fragmented = masked(Opcode::Text, false, "κόσ".as_bytes());
    fragmented.extend(masked(Opcode::Ping, true, b"ping"));
    fragmented.extend(masked(Opcode::Continuation, false, b""));
    fragmented.extend(masked(Opcode::Continuation, true, "με".as_bytes()));
    let mut sequence = masked(Opcode::Text, true, b"Hello");
    sequence.extend(masked(Opcode::Binary, true, &[0u8; 300]));
    sequence.extend(masked(Opcode::Pong, true, b""));
    sequence.extend(masked(Opcode::Binary, true, &vec![7u8; 70_000]));
    sequence.extend(masked(Opcode::Close, true, b"\x03\xe8done"));
    let mut bad_utf8 = masked(Opcode::Text, false, b"\xce\xba\xe1\xbd\xb9");
    bad_utf8.extend(masked(
        Opcode::Continuation,
        true,
        b"\xcf\x83\xed\xa0\x80tail",
    ));
    vec![
        ("small text", masked(Opcode::Text, true, b"Hello")),
        ("empty binary", masked(Opcode::Binary, true, b"")),
        ("16-bit length", masked(Opcode::Binary, true, &[1u8; 1000])),
        ("fragmented with a ping between", fragmented),
        ("a sequence ending in close", sequence),
        ("invalid UTF-8 in a continuation", bad_utf8),
        (
            "unmasked from a client",
            common::unmasked(Opcode::Text, true, b"x"),
        ),
    ]
}

#[test]
fn every_split_point_gives_the_events_of_one_push() {
    for (name, input) in fixtures() {
        let whole = feed_all(&mut server(), &input);
        assert!(!whole.is_empty(), "{name}");
        // Large fixtures: every split in the first and last 300 bytes.
        let cuts: Vec<usize> = if input.len() > 1000 {
            (1..300).chain(input.len() - 300..input.len()).collect()
        } else {
            (1..input.len()).collect()
        };
        for cut in cuts {
            let mut d = server();
            let mut seen = feed(&mut d, &input[..cut], &[cut]);
            if !matches!(seen.last(), Some(Seen::Error(_))) {
                let rest = feed_all(&mut d, &input[cut..]);
                merge(&mut seen, rest);
            }
            assert_same(&seen, &whole, &format!("{name}: cut at {cut}"));
        }
    }
}

#[test]
fn one_byte_chunks_give_the_events_of_one_push() {
    for (name, input) in fixtures() {
        let whole = feed_all(&mut server(), &input);
        let bytewise = feed(&mut server(), &input, &[1]);
        assert_same(&bytewise, &whole, name);
    }
}

#[test]
fn assembled_messages_survive_any_chunking() {
    let mut input = masked(Opcode::Text, false, "Hel".as_bytes());
    input.extend(masked(Opcode::Ping, true, b"p"));
    input.extend(masked(Opcode::Continuation, true, "lo €".as_bytes()));
    let expect = vec![
        Seen::Ping(b"p".to_vec()),
        Seen::Message(Opcode::Text, "Hello €".as_bytes().to_vec()),
    ];
    for size in 1..=input.len() {
        let mut d = server_with(NO_STREAM_THRESHOLD, 1 << 20);
        assert_eq!(
            feed(&mut d, &input, &[size, 3, 1]),
            expect,
            "chunks of {size}"
        );
    }
}

#[test]
fn invalid_utf8_fails_at_the_first_bad_byte_whatever_the_chunking() {
    let mut input = masked(
        Opcode::Text,
        true,
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80",
    );
    // Everything after the bad byte would be payload too, but is never needed.
    input.truncate(input.len() - 2);
    for size in 1..=input.len() {
        let seen = feed(&mut server(), &input, &[size]);
        assert_eq!(
            seen.last(),
            Some(&Seen::Error(ProtocolError::InvalidUtf8)),
            "chunks of {size}"
        );
    }
}

fn merge(seen: &mut Vec<Seen>, rest: Vec<Seen>) {
    for item in rest {
        if let (Some(Seen::StreamData(prev)), Seen::StreamData(more)) = (seen.last_mut(), &item) {
            prev.extend_from_slice(more);
            continue;
        }
        seen.push(item);
    }
}

/// Equal, except that when the input ends in an error, smaller chunks may
/// have delivered more of the (valid) stream bytes before the bad one.
fn assert_same(seen: &[Seen], whole: &[Seen], what: &str) {
    if !matches!(whole.last(), Some(Seen::Error(_))) {
        assert_eq!(seen, whole, "{what}");
        return;
    }
    let data = |v: &[Seen]| -> Vec<u8> {
        v.iter()
            .filter_map(|s| match s {
                Seen::StreamData(d) => Some(d.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    };
    let others = |v: &[Seen]| -> Vec<Seen> {
        v.iter()
            .filter(|s| !matches!(s, Seen::StreamData(_)))
            .cloned()
            .collect()
    };
    assert_eq!(others(seen), others(whole), "{what}");
    assert!(data(seen).starts_with(&data(whole)), "{what}");
}
