//! The opening handshake's key arithmetic (RFC 6455 §4.2.2).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha1::{Digest, Sha1};

/// The GUID the server appends to the client's key (§1.3).
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)).
#[must_use]
pub fn accept_key(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.as_bytes());
    sha.update(GUID.as_bytes());
    STANDARD.encode(sha.finalize())
}

/// "The value of this header field MUST be a nonce consisting of a randomly
/// selected 16-byte value that has been base64-encoded" (§4.1).
#[must_use]
pub fn is_valid_key(key: &str) -> bool {
    key.len() == 24 && STANDARD.decode(key).is_ok_and(|raw| raw.len() == 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_matches_the_rfc_example() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn keys_must_be_base64_of_16_bytes() {
        assert!(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(!is_valid_key("dGhlIHNhbXBsZSBub25jZQ"));
        assert!(!is_valid_key("aGVsbG8="));
        assert!(!is_valid_key("!!!!!!!!!!!!!!!!!!!!!!=="));
    }
}
