//! Text transcoding between the UTF-8 of the wire and the UTF-16 of
//! JavaScript strings, with simdutf: Node's own UTF-8 paths are what make
//! large text slow (see `Cargo.toml`'s reason line), not the protocol. Pure
//! functions over slices; the binding reads and makes the strings.

/// The UTF-16 code units of `text` into `out`, replacing its contents.
/// Taking a `str` (valid UTF-8, by construction or checked by the caller),
/// it converts without validating again: the decoder validated text as it
/// arrived, and a second pass cost 4% of a large-text echo's CPU.
pub fn utf8_to_utf16(text: &str, out: &mut Vec<u16>) {
    // A UTF-8 byte makes at most one unit: the text's length is room
    // enough for a scratch that is reused, without a pass to count them.
    convert(text, text.len(), out);
}

/// `text` converted into `out` (cleared first), with room for `room`
/// units reserved: at least the number `text` makes.
fn convert(text: &str, room: usize, out: &mut Vec<u16>) {
    out.clear();
    out.reserve_exact(room);
    if text.is_empty() {
        return;
    }
    // SAFETY: `text` is valid UTF-8 (a `str`), which converts to exactly
    // as many code units as simdutf counts for it, at most one per byte;
    // both callers reserve at least that many in `out`.
    let written = unsafe {
        simdutf::convert_valid_utf8_to_utf16le(text.as_ptr(), text.len(), out.as_mut_ptr())
    };
    // SAFETY: the first `written` units are initialized, within capacity
    // (`min` keeps it there even if it ever said more).
    unsafe { out.set_len(written.min(room)) };
}

/// The UTF-16 of `text` in a Vec of exactly its size, for memory that is
/// handed over rather than reused; `None` when it would be fewer than
/// `min_units` units.
#[must_use]
pub fn utf16_of_at_least(text: &str, min_units: usize) -> Option<Vec<u16>> {
    let units = simdutf::utf16_length_from_utf8(text.as_bytes());
    if units < min_units {
        return None;
    }
    let mut out = Vec::new();
    convert(text, units, &mut out);
    Some(out)
}

/// `prefix(n)` with the UTF-8 of `units` (a JavaScript string's UTF-16)
/// appended, where `n` is that UTF-8's length: the caller puts what goes
/// before it (a frame header) and sizes the Vec once. Each lone surrogate
/// becomes U+FFFD (3 bytes), the character Node's encoder (and the WHATWG
/// Encoding standard) puts there. Counts once and converts once, validating
/// as it converts (a separate validation pass cost 20% of the whole).
/// `prefix` should leave room for `n + CONVERT_SLACK` more bytes, or the
/// Vec is grown (and its allocation copied) before the conversion.
///
/// # Errors
/// `prefix`'s.
pub fn utf8_of_utf16_after<E>(
    units: &[u16],
    mut prefix: impl FnMut(usize) -> Result<Vec<u8>, E>,
) -> Result<Vec<u8>, E> {
    let len = simdutf::utf8_length_from_utf16(units);
    let mut out = prefix(len)?;
    let at = out.len();
    out.reserve(len + CONVERT_SLACK);
    // SAFETY: `reserve` made room for `len + CONVERT_SLACK` bytes after
    // `at`, where the conversion writes. Well-formed UTF-16 converts to
    // exactly `len` bytes (simdutf's contract). On a lone surrogate it stops
    // and returns 0, having written at most the UTF-8 of the units before
    // it, which `len` counts; the slack covers any vector store past the
    // bytes it meant to write (a test converts lone surrogates in every
    // position against from_utf16_lossy).
    let written = unsafe {
        simdutf::convert_utf16_to_utf8(units.as_ptr(), units.len(), out.as_mut_ptr().add(at))
    };
    if written == 0 && !units.is_empty() {
        let lossy = String::from_utf16_lossy(units);
        let mut out = prefix(lossy.len())?;
        out.extend_from_slice(lossy.as_bytes());
        return Ok(out);
    }
    // SAFETY: the conversion initialized `written` bytes after `at`, within
    // the reserved room (`min` keeps it there even if it ever said more).
    unsafe { out.set_len(at + written.min(len)) };
    Ok(out)
}

/// `utf8_of_utf16_after` into memory the caller reuses: `prefix(n, head)`
/// puts what goes before the UTF-8 into `head` and returns its length,
/// and both are written at the start of `room`. Returns the length written,
/// or `None` when it would not fit with `CONVERT_SLACK` to spare (`room`
/// may then be partly written).
///
/// # Errors
/// `prefix`'s.
pub fn utf8_of_utf16_in<const N: usize, E>(
    units: &[u16],
    room: &mut [u8],
    mut prefix: impl FnMut(usize, &mut [u8; N]) -> Result<usize, E>,
) -> Result<Option<usize>, E> {
    let mut head = [0u8; N];
    let len = simdutf::utf8_length_from_utf16(units);
    let at = prefix(len, &mut head)?.min(N);
    let Some(out) = room
        .get_mut(at..)
        .filter(|out| out.len() >= len.saturating_add(CONVERT_SLACK))
    else {
        return Ok(None);
    };
    let written = if units.is_empty() {
        0
    } else {
        // SAFETY: `out` has room for `len + CONVERT_SLACK` bytes, checked
        // above, as `utf8_of_utf16_after` reserves them (see there).
        unsafe { simdutf::convert_utf16_to_utf8(units.as_ptr(), units.len(), out.as_mut_ptr()) }
    };
    if written == 0 && !units.is_empty() {
        let lossy = String::from_utf16_lossy(units);
        let at = prefix(lossy.len(), &mut head)?.min(N);
        let Some(out) = room.get_mut(at..at + lossy.len()) else {
            return Ok(None);
        };
        out.copy_from_slice(lossy.as_bytes());
        room[..at].copy_from_slice(&head[..at]);
        return Ok(Some(at + lossy.len()));
    }
    room[..at].copy_from_slice(&head[..at]);
    Ok(Some(at + written.min(len)))
}

/// Room past a conversion's exact output (see `utf8_of_utf16_after`).
pub const CONVERT_SLACK: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_to_utf8_matches_rust_for_well_formed_and_lone_surrogates() {
        let mut cases: Vec<Vec<u16>> = SAMPLES.iter().map(|s| s.encode_utf16().collect()).collect();
        let mixed: Vec<u16> = "hello wörld 日本語 😀 ñandú "
            .repeat(500)
            .encode_utf16()
            .collect();
        cases.push(mixed.clone());
        // Lone surrogates: high at the end, low at the start, high before a
        // non-surrogate, two highs, reversed pair, and inside long text.
        cases.push(vec![0x61, 0xd800]);
        cases.push(vec![0xdc00, 0x61]);
        cases.push(vec![0xd83d, 0x61, 0x62]);
        cases.push(vec![0xd83d, 0xd83d, 0xde00]);
        cases.push(vec![0xde00, 0xd83d]);
        let mut broken = mixed.clone();
        broken.insert(777, 0xdbff);
        cases.push(broken);
        // A lone high or low surrogate at every position of 300 units of
        // mixed text: every place in a vector block where conversion stops.
        for at in 0..=300 {
            for lone in [0xd800, 0xdfff] {
                let mut units = mixed[..300].to_vec();
                units.insert(at, lone);
                cases.push(units);
            }
        }
        for units in cases {
            let expected = String::from_utf16_lossy(&units);
            let mut sized = 0;
            let out = utf8_of_utf16_after(&units, |len| {
                sized = len;
                Ok::<_, ()>(b"xy".to_vec())
            })
            .unwrap();
            assert_eq!(sized, expected.len(), "{units:x?}");
            assert_eq!(&out[..2], b"xy");
            assert_eq!(&out[2..], expected.as_bytes(), "{units:x?}");
        }
        assert_eq!(
            utf8_of_utf16_after(&[0x61], |_| Err::<Vec<u8>, _>(7)),
            Err(7)
        );
    }

    #[test]
    fn utf16_to_utf8_in_room_matches_rust_and_refuses_what_does_not_fit() {
        let mixed: Vec<u16> = "hello wörld 日本語 😀 ñandú "
            .repeat(500)
            .encode_utf16()
            .collect();
        let mut broken = mixed.clone();
        broken.insert(777, 0xdbff);
        let mut room = vec![0xeeu8; 40_000];
        for units in [mixed, broken, vec![0xd800], Vec::new()] {
            let expected = String::from_utf16_lossy(&units);
            let prefix = |len: usize, head: &mut [u8; 3]| {
                head[..2].copy_from_slice(&u16::try_from(len).unwrap().to_be_bytes());
                Ok::<_, ()>(2)
            };
            let n = utf8_of_utf16_in(&units, &mut room, prefix)
                .unwrap()
                .unwrap();
            assert_eq!(n, 2 + expected.len());
            assert_eq!(
                &room[..2],
                &u16::try_from(expected.len()).unwrap().to_be_bytes()
            );
            assert_eq!(&room[2..n], expected.as_bytes(), "{} units", units.len());
            // One byte short of the output and its slack: not written.
            let short = 2 + simdutf::utf8_length_from_utf16(&units) + CONVERT_SLACK - 1;
            assert_eq!(
                utf8_of_utf16_in(&units, &mut room[..short], prefix),
                Ok(None)
            );
        }
        assert_eq!(
            utf8_of_utf16_in(&[0x61], &mut room, |_, _: &mut [u8; 2]| Err(7)),
            Err(7)
        );
    }

    const SAMPLES: &[&str] = &[
        "",
        "a",
        "hello wörld",
        "日本語",
        "😀 emoji",
        "ñandú ascii mixed 🎉 text",
        "\u{ffff}\u{10000}",
    ];

    #[test]
    fn utf8_becomes_the_utf16_std_makes() {
        let mut out = Vec::new();
        for s in SAMPLES {
            utf8_to_utf16(s, &mut out);
            assert_eq!(out, s.encode_utf16().collect::<Vec<_>>(), "{s}");
        }
        // Long input crosses every SIMD block boundary.
        let long: String = SAMPLES.iter().cycle().take(5000).copied().collect();
        utf8_to_utf16(&long, &mut out);
        assert_eq!(out, long.encode_utf16().collect::<Vec<_>>());
    }

    #[test]
    fn exact_conversion_fills_its_capacity() {
        let long: String = SAMPLES.iter().cycle().take(5000).copied().collect();
        for s in SAMPLES.iter().copied().chain([long.as_str()]) {
            let out = utf16_of_at_least(s, 0).unwrap();
            assert_eq!(out, s.encode_utf16().collect::<Vec<_>>(), "{s}");
            assert_eq!(out.capacity(), out.len());
        }
        // Under the minimum: nothing is converted.
        let units = long.encode_utf16().count();
        assert_eq!(utf16_of_at_least(&long, units + 1), None);
        assert_eq!(
            utf16_of_at_least(&long, units).map(|v| v.len()),
            Some(units)
        );
    }

    #[test]
    fn reused_output_is_replaced() {
        let mut out = vec![1, 2, 3];
        utf8_to_utf16("", &mut out);
        assert!(out.is_empty());
        utf8_to_utf16("é", &mut out);
        assert_eq!(out, [0xe9]);
    }
}
