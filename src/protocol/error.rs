//! Protocol violations by the peer: the one home of their codes.

use std::fmt;

/// A rule of RFC 6455 that the peer broke. Each variant knows the close code
/// the connection must be failed with and the `WS_ERR_*` code JS reports
/// (the names `ws` uses where the violation is the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtocolError {
    /// "If an unknown opcode is received, the receiving endpoint MUST _Fail
    /// the WebSocket Connection_" (§5.2).
    ReservedOpcode(u8),
    /// RSV1 set without an extension that defines it (§5.2).
    UnexpectedRsv1,
    /// RSV2 or RSV3 set without an extension that defines it (§5.2).
    UnexpectedRsv23,
    /// "The server MUST close the connection upon receiving a frame that is
    /// not masked" (§5.1).
    ExpectedMask,
    /// "A client MUST close a connection if it detects a masked frame" (§5.1).
    UnexpectedMask,
    /// "All control frames MUST have a payload length of 125 bytes or less"
    /// (§5.5).
    ControlFrameTooLong,
    /// "Control frames ... MUST NOT be fragmented" (§5.5).
    FragmentedControlFrame,
    /// "the most significant bit MUST be 0" of a 64-bit length (§5.2).
    InvalidPayloadLength,
    /// The message is larger than `maxPayload` (close 1009, §7.4.1).
    MessageTooBig,
    /// A continuation frame with no fragmented message to continue (§5.4).
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message is open (§5.4).
    ExpectedContinuation,
    /// Text that is not valid UTF-8 (§8.1; close 1007).
    InvalidUtf8,
    /// A close frame whose body is one byte: too short to hold a code (§5.5.1).
    InvalidClosePayload,
    /// A close code that may not appear on the wire (§7.4).
    InvalidCloseCode(u16),
    /// A compressed message that is not a valid DEFLATE stream (RFC 7692
    /// §7.2.2; close 1007, as for any data inconsistent with its type).
    InvalidCompressedData,
    /// A message in more fragments than `maxFragments` (close 1008, policy):
    /// a flood of tiny frames costs a header parse each.
    TooManyFragments,
}

impl ProtocolError {
    /// Every variant, in the order of [`ProtocolError::kind`].
    pub const KINDS: usize = 16;

    /// The close code the connection is failed with (§7.4.1).
    #[must_use]
    pub fn close_code(self) -> u16 {
        match self {
            Self::InvalidUtf8 | Self::InvalidCompressedData => 1007,
            Self::MessageTooBig => 1009,
            Self::TooManyFragments => 1008,
            _ => 1002,
        }
    }

    /// The `WS_ERR_*` code of the JS error.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::ReservedOpcode(_) | Self::UnexpectedContinuation | Self::ExpectedContinuation => {
                "WS_ERR_INVALID_OPCODE"
            }
            Self::UnexpectedRsv1 => "WS_ERR_UNEXPECTED_RSV_1",
            Self::UnexpectedRsv23 => "WS_ERR_UNEXPECTED_RSV_2_3",
            Self::ExpectedMask => "WS_ERR_EXPECTED_MASK",
            Self::UnexpectedMask => "WS_ERR_UNEXPECTED_MASK",
            Self::ControlFrameTooLong | Self::InvalidClosePayload => {
                "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH"
            }
            Self::FragmentedControlFrame => "WS_ERR_EXPECTED_FIN",
            Self::InvalidPayloadLength => "WS_ERR_INVALID_PAYLOAD_LENGTH",
            Self::MessageTooBig => "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH",
            Self::InvalidUtf8 => "WS_ERR_INVALID_UTF8",
            Self::InvalidCloseCode(_) => "WS_ERR_INVALID_CLOSE_CODE",
            Self::InvalidCompressedData => "WS_ERR_INVALID_COMPRESSED_DATA",
            Self::TooManyFragments => "WS_ERR_TOO_MANY_BUFFERED_PARTS",
        }
    }

    /// The variant as (kind, detail) integers, for the binding's result words.
    #[must_use]
    pub fn to_parts(self) -> (u32, u32) {
        match self {
            Self::ReservedOpcode(op) => (0, u32::from(op)),
            Self::UnexpectedRsv1 => (1, 0),
            Self::UnexpectedRsv23 => (2, 0),
            Self::ExpectedMask => (3, 0),
            Self::UnexpectedMask => (4, 0),
            Self::ControlFrameTooLong => (5, 0),
            Self::FragmentedControlFrame => (6, 0),
            Self::InvalidPayloadLength => (7, 0),
            Self::MessageTooBig => (8, 0),
            Self::UnexpectedContinuation => (9, 0),
            Self::ExpectedContinuation => (10, 0),
            Self::InvalidUtf8 => (11, 0),
            Self::InvalidClosePayload => (12, 0),
            Self::InvalidCloseCode(code) => (13, u32::from(code)),
            Self::InvalidCompressedData => (14, 0),
            Self::TooManyFragments => (15, 0),
        }
    }

    /// The inverse of [`ProtocolError::to_parts`].
    #[must_use]
    pub fn from_parts(kind: u32, detail: u32) -> Option<Self> {
        Some(match kind {
            0 => Self::ReservedOpcode(u8::try_from(detail).ok()?),
            1 => Self::UnexpectedRsv1,
            2 => Self::UnexpectedRsv23,
            3 => Self::ExpectedMask,
            4 => Self::UnexpectedMask,
            5 => Self::ControlFrameTooLong,
            6 => Self::FragmentedControlFrame,
            7 => Self::InvalidPayloadLength,
            8 => Self::MessageTooBig,
            9 => Self::UnexpectedContinuation,
            10 => Self::ExpectedContinuation,
            11 => Self::InvalidUtf8,
            12 => Self::InvalidClosePayload,
            13 => Self::InvalidCloseCode(u16::try_from(detail).ok()?),
            14 => Self::InvalidCompressedData,
            15 => Self::TooManyFragments,
            _ => return None,
        })
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReservedOpcode(op) => write!(f, "Invalid opcode {op}"),
            Self::UnexpectedRsv1 => f.write_str("RSV1 must be clear"),
            Self::UnexpectedRsv23 => f.write_str("RSV2 and RSV3 must be clear"),
            Self::ExpectedMask => f.write_str("Expected a masked frame from the client"),
            Self::UnexpectedMask => f.write_str("Expected an unmasked frame from the server"),
            Self::ControlFrameTooLong => {
                f.write_str("Control frame payload must be at most 125 bytes")
            }
            Self::FragmentedControlFrame => f.write_str("Control frames must not be fragmented"),
            Self::InvalidPayloadLength => {
                f.write_str("The most significant bit of a 64-bit length must be 0")
            }
            Self::MessageTooBig => f.write_str("Message is larger than maxPayload"),
            Self::UnexpectedContinuation => {
                f.write_str("Continuation frame without a message to continue")
            }
            Self::ExpectedContinuation => f.write_str("New data frame inside a fragmented message"),
            Self::InvalidUtf8 => f.write_str("Invalid UTF-8 in a text message or close reason"),
            Self::InvalidClosePayload => f.write_str("Close frame body of 1 byte"),
            Self::InvalidCloseCode(code) => write!(f, "Invalid close code {code}"),
            Self::InvalidCompressedData => f.write_str("Invalid compressed data"),
            Self::TooManyFragments => f.write_str("Message has more fragments than maxFragments"),
        }
    }
}

impl std::error::Error for ProtocolError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<ProtocolError> {
        (0..ProtocolError::KINDS as u32)
            .map(|k| ProtocolError::from_parts(k, if k == 13 { 1004 } else { 3 }).unwrap())
            .collect()
    }

    #[test]
    fn parts_round_trip_for_every_kind() {
        for e in all() {
            let (k, d) = e.to_parts();
            assert_eq!(ProtocolError::from_parts(k, d), Some(e));
        }
        assert_eq!(
            ProtocolError::from_parts(ProtocolError::KINDS as u32, 0),
            None
        );
        assert_eq!(ProtocolError::from_parts(0, 256), None);
    }

    #[test]
    fn close_codes_follow_section_7_4_1() {
        assert_eq!(ProtocolError::InvalidUtf8.close_code(), 1007);
        assert_eq!(ProtocolError::MessageTooBig.close_code(), 1009);
        for e in all() {
            assert!([1002, 1007, 1008, 1009].contains(&e.close_code()));
            assert!(e.code().starts_with("WS_ERR_"));
            assert!(!e.to_string().is_empty());
            // JS sends the message as the close reason, which must fit 123 bytes.
            assert!(e.to_string().len() <= 123);
        }
    }
}
