//! The permessage-deflate codec (RFC 7692 §7.2), synchronous and bounded:
//! a message's payload is inflated frame by frame (or chunk by chunk) with
//! the output limit applied while inflating, so a small frame that would
//! inflate to gigabytes stops at the limit and costs no more memory than it.

use flate2::{Decompress, FlushDecompress, Status};

use crate::zstream::ZDeflate;

/// The empty stored block a sync flush ends with, removed from every
/// compressed message and appended again before inflating its end (§7.2.1).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Output is grown by at most this much per step, so a bomb is caught at
/// the limit, not after a large allocation.
const STEP: usize = 64 * 1024;

/// The least output room made at a time.
const MIN_STEP: usize = 256;

/// Why inflating stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InflateError {
    /// The message inflates past the limit (close code 1009).
    TooBig,
    /// Not a valid DEFLATE stream (close code 1007).
    Corrupt,
}

/// The inflating side of one connection.
#[derive(Debug)]
pub struct Inflater {
    inner: Decompress,
    no_context_takeover: bool,
    /// The message's data ended with a block marked final (BFINAL), which
    /// RFC 7692 §7.2.3.4 allows a sender that cannot sync-flush; what may
    /// follow it in the message is `AFTER_FINAL`.
    ended: bool,
    /// Bytes of the message seen after its final block.
    after_final: usize,
}

/// What the RFC's example sends after a final block: the header of an empty
/// stored block (BFINAL 0, BTYPE 00, padding), which the tail appended on
/// receipt completes. The tail alone after a final block is taken too, as
/// zlib-based receivers (ws, Python's) take it.
const AFTER_FINAL: [u8; 1] = [0x00];

impl Inflater {
    /// `_peer_window_bits`: the window the peer agreed to (8..=15), not held
    /// against it; `no_context_takeover`: the peer resets its context after
    /// each message.
    #[must_use]
    pub fn new(_peer_window_bits: u8, no_context_takeover: bool) -> Self {
        // Always zlib's 32 KiB window, DEFLATE's longest distance. One zlib
        // call may reach back into all the output of that call, so with the
        // peer's smaller window a distance too far back was refused or taken
        // depending on how the input was cut (found by fuzz/decoder). A
        // peer's window only bounds what it may ask of us; we take any
        // valid stream, the same way however TCP delivers it.
        Self {
            inner: Decompress::new_with_window_bits(false, 15),
            no_context_takeover,
            ended: false,
            after_final: 0,
        }
    }

    /// Inflates `input`, the payload of one frame (or part of one) of a
    /// compressed message, appending to `out`; `fin`: this input ends the
    /// message. Fails once `out` would grow past `limit` bytes, with `out`
    /// holding exactly `limit` then.
    ///
    /// # Errors
    ///
    /// `TooBig` past `limit`, `Corrupt` for an invalid stream; either way
    /// the connection is to be failed, and this inflater not used again.
    pub fn inflate(
        &mut self,
        input: &[u8],
        fin: bool,
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), InflateError> {
        if self.ended {
            self.after_final(input)?;
        } else {
            self.run(input, out, limit)?;
        }
        if fin {
            if !self.ended {
                self.run(&TAIL, out, limit)?;
            }
            if self.ended {
                // The stream is over: the next message starts a new one,
                // whatever was agreed about the context.
                self.ended = false;
                self.after_final = 0;
                self.inner.reset(false);
            } else if self.no_context_takeover {
                // Keeps the allocation and the window size.
                self.inner.reset(false);
            }
        }
        Ok(())
    }

    /// Checks the bytes that follow the message's final block.
    fn after_final(&mut self, input: &[u8]) -> Result<(), InflateError> {
        let at = self.after_final;
        self.after_final += input.len();
        match AFTER_FINAL.get(at..self.after_final) {
            Some(allowed) if allowed == input => Ok(()),
            _ => Err(InflateError::Corrupt),
        }
    }

    fn run(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), InflateError> {
        loop {
            if out.len() == out.capacity() {
                if out.len() >= limit {
                    // Room for one more byte tells a stream that ends exactly
                    // at the limit from one that goes past it.
                    out.reserve_exact(1);
                } else {
                    // Doubling, from a guess at what this input inflates to:
                    // a whole STEP for each small message cost a 64 KiB
                    // allocation per message (deflate-1k's peak RSS fell
                    // from 77 to 62 MiB with this and `deflate_whole`).
                    let grow = out.len().max(input.len() * 4).max(MIN_STEP);
                    out.reserve_exact(grow.min(STEP).min(limit - out.len()));
                }
            }
            let before_in = self.inner.total_in();
            let before_out = out.len();
            let result = self.inner.decompress_vec(input, out, FlushDecompress::Sync);
            // Output comes before any error in the same call (zlib-rs wrote
            // a byte past the limit and then found the stream corrupt): the
            // limit is checked first, so `out` never keeps more than it.
            if out.len() > limit {
                // What is kept is what the limit allows, whatever the steps.
                out.truncate(limit);
                return Err(InflateError::TooBig);
            }
            let status = result.map_err(|_| InflateError::Corrupt)?;
            let consumed = (self.inner.total_in() - before_in) as usize;
            input = &input[consumed.min(input.len())..];
            let progressed = consumed > 0 || out.len() > before_out;
            match status {
                Status::StreamEnd => {
                    self.ended = true;
                    return self.after_final(input);
                }
                _ if input.is_empty() && out.len() < out.capacity() => return Ok(()),
                _ if !progressed && out.len() < out.capacity() => {
                    return Err(InflateError::Corrupt)
                }
                _ => {}
            }
        }
    }
}

/// The compressing side of one connection.
#[derive(Debug)]
pub struct Deflater {
    inner: ZDeflate,
    no_context_takeover: bool,
}

/// zlib's default `memLevel`, which ws (Node's zlib) uses too.
pub const DEFAULT_MEM_LEVEL: u32 = 8;

impl Deflater {
    /// `window_bits`: our negotiated window (9..=15: zlib writes 8 as 9, so
    /// `permessage_deflate::accept` declines offers that demand 8);
    /// `level`: 0..=9; `mem_level`: zlib's memLevel, 1..=9 (memory for
    /// speed and ratio: 8 is zlib's default).
    #[must_use]
    pub fn new(window_bits: u8, no_context_takeover: bool, level: u32, mem_level: u32) -> Self {
        Self {
            inner: ZDeflate::new(level, window_bits, mem_level),
            no_context_takeover,
        }
    }

    /// Compresses `input` as a piece that refers to nothing before it, and
    /// starts the next from an empty context. Sync-flushed pieces join into
    /// one valid DEFLATE stream, so under no context takeover a fragment made
    /// here may follow any other fragment of a message: many sockets can
    /// share it, and none needs a compressor of its own for a stream.
    pub fn deflate_alone(&mut self, input: &[u8], fin: bool, out: &mut Vec<u8>) {
        self.deflate(input, fin, out);
        if !fin {
            self.inner.reset();
        }
    }

    /// Compresses `input`, appending to `out`; `fin`: it ends the message,
    /// whose output then loses the final empty block (§7.2.1).
    pub fn deflate(&mut self, input: &[u8], fin: bool, out: &mut Vec<u8>) {
        let start = out.len();
        let room = input.len() / 2 + STEP.min(input.len() + 64);
        self.inner.compress_sync(input, out, room);
        if fin {
            if out.len() >= start + TAIL.len() && out.ends_with(&TAIL) {
                out.truncate(out.len() - TAIL.len());
            }
            if out.len() == start {
                // An empty message still needs one empty block (§7.2.3.6).
                out.push(0x00);
            }
            if self.no_context_takeover {
                self.inner.reset();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write;

    fn json(n: usize) -> Vec<u8> {
        let mut s = String::new();
        let mut i = 0;
        while s.len() < n {
            let _ = write!(
                s,
                "{{\"id\":{i},\"name\":\"user {i}\",\"tags\":[\"a\",\"b\"]}},"
            );
            i += 1;
        }
        s.truncate(n);
        s.into_bytes()
    }

    fn roundtrip(bits: u8, takeover: bool, messages: &[Vec<u8>]) {
        let mut d = Deflater::new(bits, !takeover, 6, DEFAULT_MEM_LEVEL);
        let mut i = Inflater::new(bits, !takeover);
        for m in messages {
            let mut wire = Vec::new();
            d.deflate(m, true, &mut wire);
            assert!(!wire.ends_with(&TAIL));
            let mut back = Vec::new();
            i.inflate(&wire, true, &mut back, usize::MAX).unwrap();
            assert_eq!(&back, m);
        }
    }

    #[test]
    fn messages_roundtrip_at_every_window_with_and_without_takeover() {
        let messages = vec![
            json(100),
            Vec::new(),
            json(70_000),
            json(100),
            b"x".to_vec(),
        ];
        for bits in 9..=15 {
            roundtrip(bits, true, &messages);
            roundtrip(bits, false, &messages);
        }
    }

    #[test]
    fn takeover_shrinks_a_repeated_message_and_no_takeover_does_not() {
        let m = json(2000);
        let sizes = |takeover: bool| {
            let mut d = Deflater::new(15, !takeover, 6, DEFAULT_MEM_LEVEL);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            d.deflate(&m, true, &mut a);
            d.deflate(&m, true, &mut b);
            (a.len(), b.len())
        };
        let (first, second) = sizes(true);
        assert!(second < first / 4, "{first} {second}");
        let (first, second) = sizes(false);
        assert_eq!(first, second);
    }

    #[test]
    fn a_message_split_across_frames_inflates_whole() {
        let m = json(50_000);
        let mut d = Deflater::new(15, false, 6, DEFAULT_MEM_LEVEL);
        let mut wire = Vec::new();
        d.deflate(&m, true, &mut wire);
        for cut in [1, 7, wire.len() / 2, wire.len() - 1] {
            let mut i = Inflater::new(15, false);
            let mut back = Vec::new();
            i.inflate(&wire[..cut], false, &mut back, usize::MAX)
                .unwrap();
            i.inflate(&wire[cut..], true, &mut back, usize::MAX)
                .unwrap();
            assert_eq!(back, m, "cut at {cut}");
        }
        // Streamed out as fragments too (a fresh context: `d` kept the last).
        let mut d = Deflater::new(15, false, 6, DEFAULT_MEM_LEVEL);
        let mut wire = Vec::new();
        d.deflate(&m[..20_000], false, &mut wire);
        d.deflate(&m[20_000..], true, &mut wire);
        let mut back = Vec::new();
        Inflater::new(15, false)
            .inflate(&wire, true, &mut back, usize::MAX)
            .unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn pieces_compressed_alone_join_into_any_message() {
        // One shared compressor makes the fragments of two messages in
        // turn, and a fragment of the first is reused inside the second
        // (Server.write: one payload for many sockets, whatever each sent
        // before). Each message must inflate to its fragments' bytes.
        let m = json(60_000);
        let mut shared = Deflater::new(15, true, 6, DEFAULT_MEM_LEVEL);
        let mut piece = |input: &[u8], fin: bool| {
            let mut out = Vec::new();
            shared.deflate_alone(input, fin, &mut out);
            out
        };
        let a1 = piece(&m[..30_000], false);
        let b1 = piece(&m[30_000..45_000], false);
        let a2 = piece(&m[45_000..], true);
        let b2 = piece(&m[..10], true);
        let first = [a1.clone(), a2].concat();
        let second = [b1, a1, b2].concat();
        for (wire, expected) in [
            (first, [&m[..30_000], &m[45_000..]].concat()),
            (
                second,
                [&m[30_000..45_000], &m[..30_000], &m[..10]].concat(),
            ),
        ] {
            let mut i = Inflater::new(15, true);
            let mut back = Vec::new();
            i.inflate(&wire, true, &mut back, usize::MAX).unwrap();
            assert_eq!(back, expected);
        }
    }

    #[test]
    fn a_distance_past_the_agreed_window_gets_one_verdict_however_cut() {
        // A peer that agreed to a 1 KiB window and refers 1.9 KiB back:
        // zlib took it in one call and refused it byte by byte.
        let masked = [
            0x55u8, 0x9e, 0x3d, 0x38, 0x94, 0x9a, 0x35, 0xb1, 0xb5, 0xab, 0x11, 0x37, 0x71, 0x3b,
            0x71, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ];
        let key = [0x37u8, 0xfa, 0x21, 0x3d];
        let data: Vec<u8> = masked
            .iter()
            .zip(key.iter().cycle())
            .map(|(b, k)| b ^ k)
            .collect();
        let mut whole = Vec::new();
        let verdict = Inflater::new(10, false).inflate(&data, false, &mut whole, 1 << 20);
        for size in [1, 2, 3, 5, 11] {
            let mut inflater = Inflater::new(10, false);
            let mut out = Vec::new();
            let mut got = Ok(());
            for piece in data.chunks(size) {
                got = inflater.inflate(piece, false, &mut out, 1 << 20);
                if got.is_err() {
                    break;
                }
            }
            assert_eq!((got, out.len()), (verdict, whole.len()), "pieces of {size}");
        }
    }

    #[test]
    fn a_bomb_stops_at_the_limit_with_memory_near_it() {
        // 10 MB of zeros compresses to about 10 KB.
        let zeros = vec![0u8; 10 << 20];
        let mut wire = Vec::new();
        Deflater::new(15, true, 9, DEFAULT_MEM_LEVEL).deflate(&zeros, true, &mut wire);
        assert!(wire.len() < 20_000, "{}", wire.len());
        let mut out = Vec::new();
        let limit = 1 << 20;
        let got = Inflater::new(15, true).inflate(&wire, true, &mut out, limit);
        assert_eq!(got, Err(InflateError::TooBig));
        assert!(out.capacity() <= limit + 1, "{}", out.capacity());
        // Exactly at the limit is allowed.
        let mut out = Vec::new();
        let mut wire = Vec::new();
        Deflater::new(15, true, 9, DEFAULT_MEM_LEVEL).deflate(&zeros[..limit], true, &mut wire);
        Inflater::new(15, true)
            .inflate(&wire, true, &mut out, limit)
            .unwrap();
        assert_eq!(out.len(), limit);
    }

    #[test]
    fn a_small_message_inflates_into_room_near_its_size() {
        let message = json(1024);
        let mut wire = Vec::new();
        Deflater::new(15, true, 6, DEFAULT_MEM_LEVEL).deflate(&message, true, &mut wire);
        let mut out = Vec::new();
        Inflater::new(15, true)
            .inflate(&wire, true, &mut out, 1 << 20)
            .unwrap();
        assert_eq!(out, message);
        // The Vec is held until JS takes the message, and a large one
        // becomes the application's Buffer as it is.
        assert!(out.capacity() <= 4 * message.len(), "{}", out.capacity());
    }

    #[test]
    fn garbage_is_corrupt_not_a_panic_or_a_hang() {
        for bad in [
            &b"\xff\xff\xff\xff"[..],
            b"\x07",
            b"\x03\x00\x03\x00",
            b"hello world",
        ] {
            let mut out = Vec::new();
            let got = Inflater::new(15, false).inflate(bad, true, &mut out, 1 << 20);
            assert_eq!(got, Err(InflateError::Corrupt), "{bad:?}");
        }
    }

    #[test]
    fn the_rfc_7692_examples_inflate() {
        // §7.2.3.1: "Hello" compressed, and §7.2.3.2: a second "Hello" with context.
        let mut i = Inflater::new(15, false);
        let mut out = Vec::new();
        i.inflate(
            &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
            true,
            &mut out,
            100,
        )
        .unwrap();
        assert_eq!(out, b"Hello");
        out.clear();
        i.inflate(&[0xf2, 0x00, 0x11, 0x00, 0x00], true, &mut out, 100)
            .unwrap();
        assert_eq!(out, b"Hello");
        // §7.2.3.3: no compression (a stored block).
        out.clear();
        let stored = [
            0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
        ];
        Inflater::new(15, false)
            .inflate(&stored, true, &mut out, 100)
            .unwrap();
        assert_eq!(out, b"Hello");
        // §7.2.3.5: two DEFLATE blocks in one message.
        out.clear();
        let two = [
            0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
        ];
        Inflater::new(15, false)
            .inflate(&two, true, &mut out, 100)
            .unwrap();
        assert_eq!(out, b"Hello");
    }

    /// §7.2.3.4: a block with BFINAL set, then the header of an empty
    /// stored block; in one frame or cut anywhere, and the next message
    /// (compressed the usual way) inflates after it.
    #[test]
    fn a_final_block_ends_the_message_and_the_next_starts_afresh() {
        let bfinal = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
        let hello = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        for takeover in [false, true] {
            for cut in 0..=bfinal.len() {
                let mut i = Inflater::new(15, !takeover);
                let mut out = Vec::new();
                i.inflate(&bfinal[..cut], false, &mut out, 100).unwrap();
                i.inflate(&bfinal[cut..], true, &mut out, 100).unwrap();
                assert_eq!(out, b"Hello", "cut at {cut}");
                out.clear();
                i.inflate(&hello, true, &mut out, 100).unwrap();
                assert_eq!(out, b"Hello", "the message after, cut at {cut}");
            }
        }
        // Without the empty block's header, as zlib-based receivers take it.
        let mut out = Vec::new();
        Inflater::new(15, false)
            .inflate(&bfinal[..7], true, &mut out, 100)
            .unwrap();
        assert_eq!(out, b"Hello");
    }

    #[test]
    fn anything_else_after_a_final_block_is_corrupt() {
        let final_block = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        for after in [
            &[0x01][..],
            &[0x00, 0x00],
            &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
        ] {
            let message = [&final_block[..], after].concat();
            let mut out = Vec::new();
            let got = Inflater::new(15, false).inflate(&message, true, &mut out, 100);
            assert_eq!(got, Err(InflateError::Corrupt), "{after:?}");
            // Cut after the final block, the verdict is the same.
            let mut i = Inflater::new(15, false);
            out.clear();
            i.inflate(&final_block, false, &mut out, 100).unwrap();
            assert_eq!(
                i.inflate(after, true, &mut out, 100),
                Err(InflateError::Corrupt)
            );
        }
    }
}
