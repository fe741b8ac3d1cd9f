//! Outgoing frames (RFC 6455 §5.2, §5.3), written into buffers the caller owns.

use super::close::MAX_CONTROL_PAYLOAD;
use super::frame::{encode_header, FrameHeader, MAX_HEADER_LEN};
use super::mask::{apply_mask, mask_copy};
use super::opcode::Opcode;
use crate::text::{utf8_of_utf16_after, utf8_of_utf16_in, CONVERT_SLACK};

/// Why a frame could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// A control frame's payload is over 125 bytes (§5.5).
    ControlTooLong,
    /// A control frame without FIN (§5.5).
    FragmentedControl,
    /// The buffer has no room for the header before the payload.
    NoHeadroom,
}

/// The rules a frame we send must keep: "All control frames MUST have a
/// payload length of 125 bytes or less and MUST NOT be fragmented" (§5.5).
///
/// # Errors
/// See [`EncodeError`].
pub fn check(header: &FrameHeader) -> Result<(), EncodeError> {
    if header.opcode.is_control() {
        if header.length > MAX_CONTROL_PAYLOAD as u64 {
            return Err(EncodeError::ControlTooLong);
        }
        if !header.fin {
            return Err(EncodeError::FragmentedControl);
        }
    }
    Ok(())
}

/// Frames the payload that sits at `buf[MAX_HEADER_LEN..]`, in place: masks it
/// with `mask` when given, writes the header right before it, and returns
/// where the frame starts. One buffer, no copy: the caller allocates
/// `MAX_HEADER_LEN` bytes of headroom and writes the payload after it.
///
/// # Errors
/// See [`EncodeError`].
pub fn frame_in_place(
    buf: &mut [u8],
    opcode: Opcode,
    fin: bool,
    rsv1: bool,
    mask: Option<[u8; 4]>,
) -> Result<usize, EncodeError> {
    if buf.len() < MAX_HEADER_LEN {
        return Err(EncodeError::NoHeadroom);
    }
    let (head, payload) = buf.split_at_mut(MAX_HEADER_LEN);
    let header = header_of(payload.len(), opcode, fin, rsv1, mask)?;
    if let Some(key) = mask {
        apply_mask(payload, key, 0);
    }
    Ok(put_header(head, &header))
}

/// [`frame_in_place`] for a payload copied from `src` into
/// `buf[MAX_HEADER_LEN..]`, which must be exactly as long: masked on the way
/// in, one pass over the payload where a copy and then a mask make two.
///
/// # Errors
/// See [`EncodeError`]; `NoHeadroom` when `buf` is not `MAX_HEADER_LEN`
/// bytes longer than `src`.
pub fn frame_copied(
    buf: &mut [u8],
    src: &[u8],
    opcode: Opcode,
    fin: bool,
    rsv1: bool,
    mask: Option<[u8; 4]>,
) -> Result<usize, EncodeError> {
    if buf.len() != MAX_HEADER_LEN + src.len() {
        return Err(EncodeError::NoHeadroom);
    }
    let (head, payload) = buf.split_at_mut(MAX_HEADER_LEN);
    let header = header_of(payload.len(), opcode, fin, rsv1, mask)?;
    match mask {
        Some(key) => {
            mask_copy(src, payload, key, 0);
        }
        None => payload.copy_from_slice(src),
    }
    Ok(put_header(head, &header))
}

/// A whole frame for `units`, a JavaScript string's UTF-16, sent as UTF-8
/// (lone surrogates as U+FFFD): the header first, then the payload, masked
/// with `mask` when given. One pass to count, one to convert.
///
/// # Errors
/// See [`EncodeError`].
pub fn frame_utf16(
    units: &[u16],
    opcode: Opcode,
    fin: bool,
    rsv1: bool,
    mask: Option<[u8; 4]>,
) -> Result<Vec<u8>, EncodeError> {
    let mut head_len = 0;
    let mut out = utf8_of_utf16_after(units, |len| {
        let header = header_of(len, opcode, fin, rsv1, mask)?;
        let mut head = [0u8; MAX_HEADER_LEN];
        head_len = encode_header(&header, &mut head);
        let mut out = Vec::with_capacity(head_len + len + CONVERT_SLACK);
        out.extend_from_slice(&head[..head_len]);
        Ok(out)
    })?;
    if let Some(key) = mask {
        apply_mask(&mut out[head_len..], key, 0);
    }
    Ok(out)
}

/// `frame_utf16` written at the start of `room`, memory the caller reuses:
/// the frame's length, or `None` when it would not fit (see
/// `utf8_of_utf16_in`).
///
/// # Errors
/// See [`EncodeError`].
pub fn frame_utf16_in(
    units: &[u16],
    opcode: Opcode,
    fin: bool,
    rsv1: bool,
    mask: Option<[u8; 4]>,
    room: &mut [u8],
) -> Result<Option<usize>, EncodeError> {
    let mut head_len = 0;
    let framed = utf8_of_utf16_in(units, room, |len, head| {
        head_len = encode_header(&header_of(len, opcode, fin, rsv1, mask)?, head);
        Ok(head_len)
    })?;
    if let (Some(end), Some(key)) = (framed, mask) {
        apply_mask(&mut room[head_len..end], key, 0);
    }
    Ok(framed)
}

fn header_of(
    length: usize,
    opcode: Opcode,
    fin: bool,
    rsv1: bool,
    mask: Option<[u8; 4]>,
) -> Result<FrameHeader, EncodeError> {
    let header = FrameHeader {
        fin,
        rsv1,
        rsv2: false,
        rsv3: false,
        opcode,
        mask,
        length: length as u64,
    };
    check(&header)?;
    Ok(header)
}

/// Writes `header` at the end of `head` (the headroom) and returns where it starts.
fn put_header(head: &mut [u8], header: &FrameHeader) -> usize {
    let mut bytes = [0u8; MAX_HEADER_LEN];
    let len = encode_header(header, &mut bytes);
    let start = head.len() - len;
    head[start..].copy_from_slice(&bytes[..len]);
    start
}

/// Encodes a whole frame into a new vector (a convenience for tests and rare
/// frames such as close).
///
/// # Errors
/// See [`EncodeError`].
pub fn frame_to_vec(
    opcode: Opcode,
    fin: bool,
    payload: &[u8],
    mask: Option<[u8; 4]>,
) -> Result<Vec<u8>, EncodeError> {
    let mut buf = vec![0u8; MAX_HEADER_LEN + payload.len()];
    buf[MAX_HEADER_LEN..].copy_from_slice(payload);
    let start = frame_in_place(&mut buf, opcode, fin, false, mask)?;
    buf.drain(..start);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::frame::{decode_header, Decoded};

    #[test]
    fn writes_the_rfc_examples() {
        assert_eq!(
            frame_to_vec(Opcode::Text, true, b"Hello", None).unwrap(),
            b"\x81\x05Hello"
        );
        assert_eq!(
            frame_to_vec(Opcode::Text, true, b"Hello", Some([0x37, 0xfa, 0x21, 0x3d])).unwrap(),
            b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"
        );
        assert_eq!(
            frame_to_vec(Opcode::Text, false, b"Hel", None).unwrap(),
            b"\x01\x03Hel"
        );
        assert_eq!(
            frame_to_vec(Opcode::Continuation, true, b"lo", None).unwrap(),
            b"\x80\x02lo"
        );
        assert_eq!(
            frame_to_vec(Opcode::Ping, true, b"Hello", None).unwrap(),
            b"\x89\x05Hello"
        );
    }

    #[test]
    fn uses_each_length_form_and_parses_back() {
        for len in [0usize, 125, 126, 65535, 65536, 70000] {
            let payload = vec![0x5a; len];
            let frame = frame_to_vec(Opcode::Binary, true, &payload, Some([1, 2, 3, 4])).unwrap();
            let Decoded::Done { header, len: hlen } = decode_header(&frame).unwrap() else {
                panic!()
            };
            assert_eq!(header.length, len as u64);
            let mut body = frame[hlen..].to_vec();
            apply_mask(&mut body, [1, 2, 3, 4], 0);
            assert_eq!(body, payload);
        }
    }

    #[test]
    fn frame_copied_equals_a_copy_framed_in_place() {
        for len in [0usize, 1, 125, 126, 1000, 65536, 70001] {
            let payload: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            for mask in [None, Some([9, 8, 7, 6])] {
                let mut copied = vec![0u8; MAX_HEADER_LEN + len];
                let a =
                    frame_copied(&mut copied, &payload, Opcode::Binary, true, true, mask).unwrap();
                let mut in_place = vec![0u8; MAX_HEADER_LEN + len];
                in_place[MAX_HEADER_LEN..].copy_from_slice(&payload);
                let b = frame_in_place(&mut in_place, Opcode::Binary, true, true, mask).unwrap();
                assert_eq!(copied[a..], in_place[b..], "len {len} mask {mask:?}");
            }
        }
        let mut short = vec![0u8; MAX_HEADER_LEN + 3];
        assert_eq!(
            frame_copied(&mut short, b"four", Opcode::Binary, true, false, None),
            Err(EncodeError::NoHeadroom)
        );
        let mut long = vec![0u8; MAX_HEADER_LEN + 200];
        assert_eq!(
            frame_copied(&mut long, &[0; 200], Opcode::Ping, true, false, None),
            Err(EncodeError::ControlTooLong)
        );
    }

    #[test]
    fn frame_utf16_frames_the_strings_utf8_masked_or_not() {
        let text = "hello wörld 日本語 😀 ñandú ".repeat(3000);
        let mut lone: Vec<u16> = "ab".encode_utf16().collect();
        lone.push(0xd800);
        for units in [text.encode_utf16().collect::<Vec<u16>>(), lone, Vec::new()] {
            let utf8 = String::from_utf16_lossy(&units);
            for mask in [None, Some([1, 2, 3, 4])] {
                let framed = frame_utf16(&units, Opcode::Text, true, false, mask).unwrap();
                let expected = frame_to_vec(Opcode::Text, true, utf8.as_bytes(), mask).unwrap();
                assert_eq!(framed, expected, "{} units, mask {mask:?}", units.len());
            }
        }
        assert_eq!(
            frame_utf16(&[0x61; 126], Opcode::Ping, true, false, None),
            Err(EncodeError::ControlTooLong)
        );
    }

    #[test]
    fn frame_utf16_in_writes_the_same_frame_into_room_that_fits() {
        let text = "hello wörld 日本語 😀 ñandú ".repeat(3000);
        let mut lone: Vec<u16> = "ab".encode_utf16().collect();
        lone.push(0xd800);
        let mut room = vec![0u8; 200_000];
        for units in [text.encode_utf16().collect::<Vec<u16>>(), lone, Vec::new()] {
            for mask in [None, Some([1, 2, 3, 4])] {
                let expected = frame_utf16(&units, Opcode::Text, true, false, mask).unwrap();
                let n = frame_utf16_in(&units, Opcode::Text, true, false, mask, &mut room);
                assert_eq!(n, Ok(Some(expected.len())));
                assert_eq!(&room[..expected.len()], expected, "{} units", units.len());
                let tight = &mut room[..expected.len() + CONVERT_SLACK - 1];
                let refused = frame_utf16_in(&units, Opcode::Text, true, false, mask, tight);
                assert_eq!(refused, Ok(None), "{} units", units.len());
            }
        }
        assert_eq!(
            frame_utf16_in(&[0x61; 126], Opcode::Ping, true, false, None, &mut room),
            Err(EncodeError::ControlTooLong)
        );
    }

    #[test]
    fn refuses_invalid_control_frames() {
        assert_eq!(
            frame_to_vec(Opcode::Ping, true, &[0; 126], None),
            Err(EncodeError::ControlTooLong)
        );
        assert!(frame_to_vec(Opcode::Ping, true, &[0; 125], None).is_ok());
        assert_eq!(
            frame_to_vec(Opcode::Pong, false, b"", None),
            Err(EncodeError::FragmentedControl)
        );
        assert_eq!(
            frame_in_place(&mut [0; 3], Opcode::Text, true, false, None),
            Err(EncodeError::NoHeadroom)
        );
    }
}
