//! Payload masking (RFC 6455 §5.3), a machine word at a time.

/// XORs `buf` with `key`, starting at byte `phase` (0..=3) of the key, and
/// returns the phase for the byte after `buf`, so a payload split across
/// reads is unmasked piece by piece exactly as if it were whole.
///
/// "Octet i of the transformed data is the XOR of octet i of the original
/// data with octet at index i modulo 4 of the masking key" (§5.3).
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], phase: usize) -> usize {
    let phase = phase & 3;
    let (k, wide) = rotated(key, phase);
    let mut words = buf.chunks_exact_mut(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        word.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ wide).to_ne_bytes());
    }
    // Whole words cover a multiple of 4 bytes, so the tail starts at key byte 0.
    for (i, byte) in words.into_remainder().iter_mut().enumerate() {
        *byte ^= k[i & 3];
    }
    (phase + buf.len()) & 3
}

/// `key` started at byte `phase` (0..=3), and that twice over as a word.
fn rotated(key: [u8; 4], phase: usize) -> ([u8; 4], u64) {
    let k = [
        key[phase],
        key[(phase + 1) & 3],
        key[(phase + 2) & 3],
        key[(phase + 3) & 3],
    ];
    (
        k,
        u64::from_ne_bytes([k[0], k[1], k[2], k[3], k[0], k[1], k[2], k[3]]),
    )
}

/// Writes `src` masked with `key` (from key byte `phase`) into `dst` and
/// returns the phase after it: what a copy and then [`apply_mask`] give, in
/// one pass over the payload. Only the shorter of the two lengths is used;
/// callers pass equal ones.
pub fn mask_copy(src: &[u8], dst: &mut [u8], key: [u8; 4], phase: usize) -> usize {
    let len = src.len().min(dst.len());
    let (src, dst) = (&src[..len], &mut dst[..len]);
    let phase = phase & 3;
    let (k, wide) = rotated(key, phase);
    let mut from = src.chunks_exact(8);
    let mut to = dst.chunks_exact_mut(8);
    for (word, out) in (&mut from).zip(&mut to) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        out.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ wide).to_ne_bytes());
    }
    // Whole words cover a multiple of 4 bytes, so the tail starts at key byte 0.
    for (i, (byte, out)) in from.remainder().iter().zip(to.into_remainder()).enumerate() {
        *out = byte ^ k[i & 3];
    }
    (phase + len) & 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_copy_equals_a_copy_then_apply_mask() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        for len in 0..=64 {
            for phase in 0..4 {
                for offset in 0..8 {
                    // `offset` misaligns source and destination differently.
                    let data: Vec<u8> = (0..len + offset).map(|i| (i * 31 + 7) as u8).collect();
                    let mut expected = data[offset..].to_vec();
                    let p1 = apply_mask(&mut expected, key, phase);
                    let mut out = vec![0u8; len + 1];
                    let p2 = mask_copy(&data[offset..], &mut out[1..], key, phase);
                    assert_eq!(
                        &out[1..],
                        &expected[..],
                        "len {len} phase {phase} offset {offset}"
                    );
                    assert_eq!(out[0], 0, "nothing written before dst");
                    assert_eq!(p1, p2);
                }
            }
        }
    }

    fn byte_loop(buf: &mut [u8], key: [u8; 4], phase: usize) -> usize {
        for (i, b) in buf.iter_mut().enumerate() {
            *b ^= key[(phase + i) & 3];
        }
        (phase + buf.len()) & 3
    }

    #[test]
    fn matches_the_byte_loop_for_every_length_and_phase() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        for len in 0..=64 {
            for phase in 0..4 {
                for offset in 0..8 {
                    // `offset` shifts the slice start so unaligned buffers are covered.
                    let data: Vec<u8> = (0..len + offset).map(|i| (i * 31 + 7) as u8).collect();
                    let mut fast = data.clone();
                    let mut slow = data.clone();
                    let p1 = apply_mask(&mut fast[offset..], key, phase);
                    let p2 = byte_loop(&mut slow[offset..], key, phase);
                    assert_eq!(fast, slow, "len {len} phase {phase} offset {offset}");
                    assert_eq!(p1, p2);
                }
            }
        }
    }

    #[test]
    fn split_masking_equals_whole_masking() {
        let key = [1, 2, 3, 4];
        let data: Vec<u8> = (0..100u8).collect();
        let mut whole = data.clone();
        apply_mask(&mut whole, key, 0);
        for cut in 0..data.len() {
            let mut parts = data.clone();
            let (a, b) = parts.split_at_mut(cut);
            let phase = apply_mask(a, key, 0);
            apply_mask(b, key, phase);
            assert_eq!(parts, whole, "cut at {cut}");
        }
    }

    #[test]
    fn masking_twice_restores_the_payload() {
        let key = [0xde, 0xad, 0xbe, 0xef];
        let data = b"Hello, WebSocket".to_vec();
        let mut buf = data.clone();
        apply_mask(&mut buf, key, 2);
        assert_ne!(buf, data);
        apply_mask(&mut buf, key, 2);
        assert_eq!(buf, data);
    }
}
