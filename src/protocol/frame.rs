//! Frame header codec (RFC 6455 §5.2).

use super::close::MAX_CONTROL_PAYLOAD;
use super::error::ProtocolError;
use super::opcode::Opcode;

/// The longest header: 2 bytes, a 64-bit length and a masking key.
pub const MAX_HEADER_LEN: usize = 14;

/// A frame's header, as on the wire.
#[expect(
    clippy::struct_excessive_bools,
    reason = "the FIN and RSV bits of RFC 6455 §5.2"
)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// The final fragment of a message.
    pub fin: bool,
    /// Reserved bit 1 (permessage-deflate's "compressed").
    pub rsv1: bool,
    /// Reserved bit 2.
    pub rsv2: bool,
    /// Reserved bit 3.
    pub rsv3: bool,
    /// The frame's opcode.
    pub opcode: Opcode,
    /// The masking key, present on frames a client sends.
    pub mask: Option<[u8; 4]>,
    /// The payload length.
    pub length: u64,
}

/// The result of parsing from a buffer that may hold only part of a header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded<T> {
    /// At least this many more bytes are needed.
    NeedMore(usize),
    /// Parsed, from the first `len` bytes.
    Done {
        /// The parsed value.
        header: T,
        /// Bytes it took.
        len: usize,
    },
}

/// Parses a header from the start of `buf`, checking the rules that the
/// header alone decides: reserved opcodes, control frames that are long or
/// fragmented, and a 64-bit length with its top bit set. Role-dependent rules
/// (masking, RSV bits, sequencing) are the decoder's.
///
/// # Errors
/// The first rule the header breaks.
pub fn decode_header(buf: &[u8]) -> Result<Decoded<FrameHeader>, ProtocolError> {
    let [b0, b1, rest @ ..] = buf else {
        return Ok(Decoded::NeedMore(2 - buf.len()));
    };
    let opcode = Opcode::try_from(b0 & 0x0F).map_err(ProtocolError::ReservedOpcode)?;
    let fin = b0 & 0x80 != 0;
    let masked = b1 & 0x80 != 0;
    let short_len = b1 & 0x7F;
    let ext_len = match short_len {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    if opcode.is_control() {
        // "All control frames MUST have a payload length of 125 bytes or less
        // and MUST NOT be fragmented" (§5.5).
        if usize::from(short_len) > MAX_CONTROL_PAYLOAD {
            return Err(ProtocolError::ControlFrameTooLong);
        }
        if !fin {
            return Err(ProtocolError::FragmentedControlFrame);
        }
    }
    let need = ext_len + if masked { 4 } else { 0 };
    if rest.len() < need {
        return Ok(Decoded::NeedMore(need - rest.len()));
    }
    let length = match ext_len {
        2 => u64::from(u16::from_be_bytes([rest[0], rest[1]])),
        8 => {
            let mut be = [0u8; 8];
            be.copy_from_slice(&rest[..8]);
            let length = u64::from_be_bytes(be);
            if length >> 63 != 0 {
                return Err(ProtocolError::InvalidPayloadLength);
            }
            length
        }
        _ => u64::from(short_len),
    };
    let mask = masked.then(|| {
        [
            rest[ext_len],
            rest[ext_len + 1],
            rest[ext_len + 2],
            rest[ext_len + 3],
        ]
    });
    Ok(Decoded::Done {
        header: FrameHeader {
            fin,
            rsv1: b0 & 0x40 != 0,
            rsv2: b0 & 0x20 != 0,
            rsv3: b0 & 0x10 != 0,
            opcode,
            mask,
            length,
        },
        len: 2 + need,
    })
}

/// Writes `header` into `out` with the shortest length form (§5.2: "the
/// minimal number of bytes MUST be used") and returns how many bytes it took.
pub fn encode_header(header: &FrameHeader, out: &mut [u8; MAX_HEADER_LEN]) -> usize {
    out[0] = u8::from(header.fin) << 7
        | u8::from(header.rsv1) << 6
        | u8::from(header.rsv2) << 5
        | u8::from(header.rsv3) << 4
        | header.opcode as u8;
    let mask_bit = if header.mask.is_some() { 0x80 } else { 0 };
    let mut len = match header.length {
        n @ 0..=125 => {
            out[1] = mask_bit | n as u8;
            2
        }
        n @ 126..=0xFFFF => {
            out[1] = mask_bit | 0x7E;
            out[2..4].copy_from_slice(&(n as u16).to_be_bytes());
            4
        }
        n => {
            out[1] = mask_bit | 0x7F;
            out[2..10].copy_from_slice(&n.to_be_bytes());
            10
        }
    };
    if let Some(key) = header.mask {
        out[len..len + 4].copy_from_slice(&key);
        len += 4;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn header(opcode: Opcode, length: u64, mask: Option<[u8; 4]>) -> FrameHeader {
        FrameHeader {
            fin: true,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode,
            mask,
            length,
        }
    }

    #[test]
    fn decodes_the_rfc_examples() {
        // §5.7: a single-frame unmasked text message "Hello"
        let Decoded::Done { header: h, len } = decode_header(&hex("810548656c6c6f")).unwrap()
        else {
            panic!()
        };
        assert_eq!((h, len), (header(Opcode::Text, 5, None), 2));
        // §5.7: masked "Hello"
        let Decoded::Done { header: h, len } =
            decode_header(&hex("818537fa213d7f9f4d5158")).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (h, len),
            (header(Opcode::Text, 5, Some([0x37, 0xfa, 0x21, 0x3d])), 6)
        );
        // §5.7: 256 bytes binary in a single unmasked frame, 64 KiB likewise
        let Decoded::Done { header: h, len } = decode_header(&hex("827e0100")).unwrap() else {
            panic!()
        };
        assert_eq!((h.length, len), (256, 4));
        let Decoded::Done { header: h, len } = decode_header(&hex("827f0000000000010000")).unwrap()
        else {
            panic!()
        };
        assert_eq!((h.length, len), (65536, 10));
    }

    #[test]
    fn asks_for_exactly_the_missing_bytes() {
        let full = hex("827f0000000000010000");
        for cut in 0..full.len() {
            match decode_header(&full[..cut]).unwrap() {
                Decoded::NeedMore(n) => assert!(n >= 1 && cut + n <= full.len(), "cut {cut}"),
                Decoded::Done { .. } => panic!("done at {cut}"),
            }
        }
        assert_eq!(decode_header(&[]).unwrap(), Decoded::NeedMore(2));
        assert_eq!(decode_header(&hex("82fe")).unwrap(), Decoded::NeedMore(6));
    }

    #[test]
    fn rejects_what_the_header_alone_forbids() {
        assert_eq!(
            decode_header(&hex("8300")),
            Err(ProtocolError::ReservedOpcode(3))
        );
        assert_eq!(
            decode_header(&hex("8b00")),
            Err(ProtocolError::ReservedOpcode(11))
        );
        assert_eq!(
            decode_header(&hex("897e")),
            Err(ProtocolError::ControlFrameTooLong)
        );
        assert_eq!(
            decode_header(&hex("0900")),
            Err(ProtocolError::FragmentedControlFrame)
        );
        assert_eq!(
            decode_header(&hex("827f8000000000000000")),
            Err(ProtocolError::InvalidPayloadLength)
        );
    }

    #[test]
    fn encodes_all_three_length_forms_and_round_trips() {
        for (length, form) in [
            (0, 2),
            (125, 2),
            (126, 4),
            (65535, 4),
            (65536, 10),
            (1 << 40, 10),
        ] {
            for mask in [None, Some([9, 8, 7, 6])] {
                let h = header(Opcode::Binary, length, mask);
                let mut out = [0u8; MAX_HEADER_LEN];
                let n = encode_header(&h, &mut out);
                assert_eq!(n, form + if mask.is_some() { 4 } else { 0 });
                assert_eq!(
                    decode_header(&out[..n]).unwrap(),
                    Decoded::Done { header: h, len: n }
                );
            }
        }
        let mut out = [0u8; MAX_HEADER_LEN];
        let n = encode_header(&header(Opcode::Text, 5, None), &mut out);
        assert_eq!(&out[..n], &hex("8105")[..]);
    }
}
