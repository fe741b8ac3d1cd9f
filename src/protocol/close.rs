//! Close frame bodies and status codes (RFC 6455 §5.5.1, §7.4).

use super::error::ProtocolError;
use super::utf8::Utf8Validator;

/// "All control frames MUST have a payload length of 125 bytes or less" (§5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// A close body is a 2-byte code and a reason: the reason gets what is left.
pub const MAX_CLOSE_REASON: usize = MAX_CONTROL_PAYLOAD - 2;

/// Reported when a close frame had no body (§7.1.5); never sent.
pub const NO_STATUS: u16 = 1005;

/// Reported when the connection dropped without a close frame (§7.1.5); never sent.
pub const ABNORMAL: u16 = 1006;

/// A close status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// Whether this endpoint may put the code in a close frame: the codes
    /// RFC 6455 §7.4.1 defines for sending, and 3000-4999 for libraries and
    /// applications (§7.4.2). 1004-1006 and 1015 are reserved; 1012-2999 and
    /// 5000 and above are refused too (docs/errors.md).
    #[must_use]
    pub fn may_send(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1011 | 3000..=4999)
    }

    /// Whether a peer may send the code: what we may send, plus 1012-1014,
    /// which IANA has since assigned (Service Restart, Try Again Later, Bad
    /// Gateway) and peers such as `ws` do send.
    #[must_use]
    pub fn may_receive(self) -> bool {
        self.may_send() || matches!(self.0, 1012..=1014)
    }
}

/// A parsed close body: the code (1005 when there was none) and where the
/// reason lies in the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CloseBody {
    /// The status code.
    pub code: u16,
    /// Offset of the UTF-8 reason in the body (0 or 2).
    pub reason_start: usize,
}

/// Validates a received close body (§5.5.1): empty, or a receivable code
/// followed by a UTF-8 reason.
///
/// # Errors
/// `InvalidClosePayload` for a 1-byte body, `InvalidCloseCode` for a code
/// that may not be received, `InvalidUtf8` for a reason that is not UTF-8.
pub fn parse_close_body(body: &[u8]) -> Result<CloseBody, ProtocolError> {
    match body {
        [] => Ok(CloseBody {
            code: NO_STATUS,
            reason_start: 0,
        }),
        [_] => Err(ProtocolError::InvalidClosePayload),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if !CloseCode(code).may_receive() {
                return Err(ProtocolError::InvalidCloseCode(code));
            }
            let mut utf8 = Utf8Validator::new();
            utf8.feed(reason)
                .and_then(|()| utf8.finish())
                .map_err(|_| ProtocolError::InvalidUtf8)?;
            Ok(CloseBody {
                code,
                reason_start: 2,
            })
        }
    }
}

/// Why a close body could not be built from the caller's arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseBodyError {
    /// The code may not be sent.
    Code,
    /// The reason is longer than 123 bytes.
    ReasonTooLong,
    /// A reason was given without a code.
    ReasonWithoutCode,
}

/// Builds a close body: nothing for `code == None`, else the code in network
/// order and the reason.
///
/// # Errors
/// See [`CloseBodyError`].
pub fn encode_close_body(code: Option<u16>, reason: &[u8]) -> Result<Vec<u8>, CloseBodyError> {
    let Some(code) = code else {
        return if reason.is_empty() {
            Ok(Vec::new())
        } else {
            Err(CloseBodyError::ReasonWithoutCode)
        };
    };
    if !CloseCode(code).may_send() {
        return Err(CloseBodyError::Code);
    }
    if reason.len() > MAX_CLOSE_REASON {
        return Err(CloseBodyError::ReasonTooLong);
    }
    let mut body = Vec::with_capacity(2 + reason.len());
    body.extend_from_slice(&code.to_be_bytes());
    body.extend_from_slice(reason);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sendable_codes_are_those_of_api_md() {
        let sendable: Vec<u16> = (0..=6000).filter(|&c| CloseCode(c).may_send()).collect();
        let expected: Vec<u16> = (1000..=1003)
            .chain(1007..=1011)
            .chain(3000..=4999)
            .collect();
        assert_eq!(sendable, expected);
        for c in [
            0, 999, 1004, 1005, 1006, 1012, 1015, 1016, 2999, 5000, 65535,
        ] {
            assert!(!CloseCode(c).may_send(), "{c}");
        }
    }

    #[test]
    fn receivable_codes_add_the_iana_registered_ones() {
        for c in [
            1000, 1001, 1002, 1003, 1007, 1011, 1012, 1013, 1014, 3000, 4999,
        ] {
            assert!(CloseCode(c).may_receive(), "{c}");
        }
        for c in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            assert!(!CloseCode(c).may_receive(), "{c}");
        }
    }

    #[test]
    fn parses_empty_code_only_and_code_with_reason() {
        assert_eq!(parse_close_body(&[]).unwrap().code, 1005);
        assert_eq!(parse_close_body(&[0x03, 0xe8]).unwrap().code, 1000);
        let body = parse_close_body(b"\x0f\xa0bye").unwrap();
        assert_eq!((body.code, body.reason_start), (4000, 2));
    }

    #[test]
    fn rejects_one_byte_bad_code_and_bad_reason() {
        assert_eq!(
            parse_close_body(&[0x03]),
            Err(ProtocolError::InvalidClosePayload)
        );
        assert_eq!(
            parse_close_body(&[0x03, 0xec]),
            Err(ProtocolError::InvalidCloseCode(1004))
        );
        assert_eq!(
            parse_close_body(b"\x03\xe8\xed\xa0\x80"),
            Err(ProtocolError::InvalidUtf8)
        );
    }

    #[test]
    fn encodes_bodies_and_refuses_what_may_not_be_sent() {
        assert_eq!(encode_close_body(None, b""), Ok(vec![]));
        assert_eq!(
            encode_close_body(Some(1000), b"ok"),
            Ok(b"\x03\xe8ok".to_vec())
        );
        assert_eq!(
            encode_close_body(Some(1005), b""),
            Err(CloseBodyError::Code)
        );
        assert_eq!(
            encode_close_body(Some(1000), &[b'a'; 124]),
            Err(CloseBodyError::ReasonTooLong)
        );
        assert!(encode_close_body(Some(1000), &[b'a'; 123]).is_ok());
        assert_eq!(
            encode_close_body(None, b"x"),
            Err(CloseBodyError::ReasonWithoutCode)
        );
    }
}
