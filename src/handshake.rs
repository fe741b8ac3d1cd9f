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

/// Encodes 16 random bytes as a `Sec-WebSocket-Key` (the caller supplies
/// the randomness: the core does no I/O).
#[must_use]
pub fn encode_key(nonce: &[u8; 16]) -> String {
    STANDARD.encode(nonce)
}

/// RFC 7230 §3.2.6 `tchar`: what a token (a subprotocol name, an `Upgrade`
/// or `Connection` value) may be made of.
fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// Whether `value` is one RFC 7230 token.
#[must_use]
pub fn is_token(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(is_tchar)
}

/// Splits a comma-separated header value (`1#token`, RFC 7230 §7) into its
/// tokens, trimming optional whitespace; `None` when an element is not a
/// token. One pass over the bytes: a hostile value costs linear time.
#[must_use]
pub fn parse_token_list(value: &str) -> Option<Vec<&str>> {
    let mut tokens = Vec::new();
    for element in value.split(',') {
        let element = element.trim_matches([' ', '\t']);
        if element.is_empty() {
            // "a recipient MUST accept empty list elements" (§7).
            continue;
        }
        if !is_token(element) {
            return None;
        }
        tokens.push(element);
    }
    Some(tokens)
}

/// Whether a comma-separated header value holds `token`, compared without
/// regard to ASCII case (`Connection: keep-alive, Upgrade`).
#[must_use]
pub fn has_token(value: &str, token: &str) -> bool {
    value.split(',').any(|element| {
        element
            .trim_matches([' ', '\t'])
            .eq_ignore_ascii_case(token)
    })
}

/// Why a subprotocol could not be chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidProtocolHeader;

/// The server's choice from the client's `Sec-WebSocket-Protocol` offer: the
/// first of `supported` (the server's order of preference) that the client
/// offered, or `None`.
///
/// # Errors
/// `InvalidProtocolHeader` when the offer is not a list of tokens.
pub fn select_protocol<'a>(
    offer: &str,
    supported: &'a [String],
) -> Result<Option<&'a str>, InvalidProtocolHeader> {
    let offered = parse_token_list(offer).ok_or(InvalidProtocolHeader)?;
    Ok(supported
        .iter()
        .find(|name| offered.contains(&name.as_str()))
        .map(String::as_str))
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
        assert!(is_valid_key(&encode_key(&[7; 16])));
        assert!(!is_valid_key("dGhlIHNhbXBsZSBub25jZQ"));
        assert!(!is_valid_key("aGVsbG8="));
        assert!(!is_valid_key("!!!!!!!!!!!!!!!!!!!!!!=="));
    }

    #[test]
    fn token_lists_trim_whitespace_and_skip_empty_elements() {
        assert_eq!(
            parse_token_list("chat, superchat"),
            Some(vec!["chat", "superchat"])
        );
        assert_eq!(parse_token_list(" a ,, b\t"), Some(vec!["a", "b"]));
        assert_eq!(parse_token_list("a b"), None);
        assert_eq!(parse_token_list("a, b@c"), None);
        assert_eq!(parse_token_list(""), Some(vec![]));
    }

    #[test]
    fn a_huge_hostile_protocol_header_is_rejected_in_linear_time() {
        let hostile = format!("b{}x", " ".repeat(50_000));
        let start = std::time::Instant::now();
        for _ in 0..100 {
            assert_eq!(parse_token_list(&hostile), None);
        }
        // 100 x 50 KB: linear work is far below a second even unoptimized.
        assert!(start.elapsed().as_secs() < 5);
    }

    #[test]
    fn connection_and_upgrade_tokens_ignore_case() {
        assert!(has_token("keep-alive, Upgrade", "upgrade"));
        assert!(has_token("WebSocket", "websocket"));
        assert!(!has_token("keep-alive", "upgrade"));
        assert!(!has_token("upgrades", "upgrade"));
    }

    #[test]
    fn the_server_picks_its_preferred_protocol_among_those_offered() {
        let supported = vec!["superchat".to_owned(), "chat".to_owned()];
        assert_eq!(
            select_protocol("chat, superchat", &supported),
            Ok(Some("superchat"))
        );
        assert_eq!(select_protocol("chat", &supported), Ok(Some("chat")));
        assert_eq!(select_protocol("other", &supported), Ok(None));
        assert_eq!(
            select_protocol("a b", &supported),
            Err(InvalidProtocolHeader)
        );
    }
}
