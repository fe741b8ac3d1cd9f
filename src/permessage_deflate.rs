//! Negotiation of the permessage-deflate extension (RFC 7692 §5 and §7):
//! parsing `Sec-WebSocket-Extensions` offers and responses, choosing the
//! server's response and checking the client's. Sans-IO and linear in the
//! header's length: every byte is looked at a bounded number of times, so a
//! hostile header costs no more than its size.

use crate::protocol::Role;

/// The extension's token.
pub const NAME: &str = "permessage-deflate";

/// LZ77 window bits allowed by RFC 7692 §7.1.2.
const MIN_BITS: u8 = 8;
const MAX_BITS: u8 = 15;

/// Why a header or one offer in it was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not the grammar of RFC 6455 §9.1 (`extension-list`).
    Syntax,
    /// A parameter RFC 7692 does not define for this direction.
    UnknownParameter,
    /// A parameter given twice in one element.
    DuplicateParameter,
    /// A value where none is allowed, none where one is required, or a
    /// window size outside 8..=15.
    InvalidValue,
    /// A response with a parameter the client's offer did not allow, or
    /// with more than one permessage-deflate element.
    NotOffered,
}

/// One `name; param[=value]; ...` element, as slices of the header.
#[derive(Debug, PartialEq, Eq)]
pub struct Element<'a> {
    /// The extension's token.
    pub name: &'a str,
    /// Its parameters in order; a quoted value is unquoted (RFC 6455 §9.1
    /// then requires it to be a token).
    pub params: Vec<(&'a str, Option<&'a str>)>,
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// A cursor over the header's bytes.
struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.at += 1;
        }
    }

    fn token(&mut self) -> Result<&'a str, Refusal> {
        let start = self.at;
        while self.peek().is_some_and(is_tchar) {
            self.at += 1;
        }
        if self.at == start {
            return Err(Refusal::Syntax);
        }
        Ok(&self.text[start..self.at])
    }

    /// A token, or a quoted string whose content is a token (no escapes
    /// can occur in one: `\` is not a tchar).
    fn value(&mut self) -> Result<&'a str, Refusal> {
        if self.peek() != Some(b'"') {
            return self.token();
        }
        self.at += 1;
        let value = self.token()?;
        if self.peek() != Some(b'"') {
            return Err(Refusal::Syntax);
        }
        self.at += 1;
        Ok(value)
    }
}

/// Parses a `Sec-WebSocket-Extensions` value (several header lines joined
/// with `,`) into its elements. Empty list items (`a, , b`) are allowed, as
/// HTTP's list rule says.
///
/// # Errors
///
/// `Refusal::Syntax` when the value does not follow the grammar.
pub fn parse(header: &str) -> Result<Vec<Element<'_>>, Refusal> {
    let mut cursor = Cursor {
        text: header,
        at: 0,
    };
    let mut elements = Vec::new();
    loop {
        cursor.skip_space();
        match cursor.peek() {
            None => return Ok(elements),
            Some(b',') => {
                cursor.at += 1;
                continue;
            }
            Some(_) => {}
        }
        let name = cursor.token()?;
        let mut params = Vec::new();
        loop {
            cursor.skip_space();
            match cursor.peek() {
                None | Some(b',') => break,
                Some(b';') => cursor.at += 1,
                Some(_) => return Err(Refusal::Syntax),
            }
            cursor.skip_space();
            let key = cursor.token()?;
            cursor.skip_space();
            let value = if cursor.peek() == Some(b'=') {
                cursor.at += 1;
                cursor.skip_space();
                Some(cursor.value()?)
            } else {
                None
            };
            params.push((key, value));
        }
        elements.push(Element { name, params });
    }
}

/// Parameters of permessage-deflate, for an offer or a response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Params {
    /// The server resets its compression context after each message.
    pub server_no_context_takeover: bool,
    /// The client resets its compression context after each message.
    pub client_no_context_takeover: bool,
    /// The server's LZ77 window, when limited.
    pub server_max_window_bits: Option<u8>,
    /// The client's LZ77 window: in an offer, `Some(None)` means "the
    /// client supports the parameter" without a limit.
    pub client_max_window_bits: Option<Option<u8>>,
}

impl Params {
    /// The window bits and context reset of what `role` receives: the other
    /// end's compressor (15 when its window was not limited).
    #[must_use]
    pub fn inflate_for(&self, role: Role) -> (u8, bool) {
        match role {
            Role::Server => (
                self.client_max_window_bits.flatten().unwrap_or(MAX_BITS),
                self.client_no_context_takeover,
            ),
            Role::Client => (
                self.server_max_window_bits.unwrap_or(MAX_BITS),
                self.server_no_context_takeover,
            ),
        }
    }

    /// The window bits and context reset `role` compresses with.
    #[must_use]
    pub fn deflate_for(&self, role: Role) -> (u8, bool) {
        match role {
            Role::Server => self.inflate_for(Role::Client),
            Role::Client => self.inflate_for(Role::Server),
        }
    }
}

fn window_bits(value: Option<&str>) -> Result<u8, Refusal> {
    // "1*DIGIT" without leading zeros (RFC 7692 §7.1.2.1).
    let value = value.ok_or(Refusal::InvalidValue)?;
    if value.starts_with('0') || value.len() > 2 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::InvalidValue);
    }
    match value.parse::<u8>() {
        Ok(bits) if (MIN_BITS..=MAX_BITS).contains(&bits) => Ok(bits),
        _ => Err(Refusal::InvalidValue),
    }
}

/// The parameters of one permessage-deflate element. `offer`: an offer
/// (where `client_max_window_bits` may come without a value) rather than a
/// response (where it needs one).
///
/// # Errors
///
/// What RFC 7692 §7.1 makes the server decline an offer for, or the client
/// fail the connection for in a response.
pub fn params(element: &Element<'_>, offer: bool) -> Result<Params, Refusal> {
    let mut params = Params::default();
    let mut seen = [false; 4];
    for &(key, value) in &element.params {
        let index = match key.to_ascii_lowercase().as_str() {
            "server_no_context_takeover" => 0,
            "client_no_context_takeover" => 1,
            "server_max_window_bits" => 2,
            "client_max_window_bits" => 3,
            _ => return Err(Refusal::UnknownParameter),
        };
        if std::mem::replace(&mut seen[index], true) {
            return Err(Refusal::DuplicateParameter);
        }
        match index {
            0 | 1 if value.is_some() => return Err(Refusal::InvalidValue),
            0 => params.server_no_context_takeover = true,
            1 => params.client_no_context_takeover = true,
            2 => params.server_max_window_bits = Some(window_bits(value)?),
            _ if offer && value.is_none() => params.client_max_window_bits = Some(None),
            _ => params.client_max_window_bits = Some(Some(window_bits(value)?)),
        }
    }
    Ok(params)
}

/// What a server is willing to agree to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Reset our compression context after each message.
    pub server_no_context_takeover: bool,
    /// Ask the client to reset its context after each message.
    pub client_no_context_takeover: bool,
    /// Our window bits (15: no limit to announce unless asked).
    pub server_max_window_bits: u8,
    /// The client's window bits we ask for when it allows us to (15: none).
    pub client_max_window_bits: u8,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: MAX_BITS,
            client_max_window_bits: MAX_BITS,
        }
    }
}

/// The server's choice (RFC 7692 §5): the first acceptable permessage-deflate
/// offer in `header`, answered within `config`, or `None` to decline (no
/// offer, or none acceptable). Offers that break §7.1 are declined one by
/// one, not the handshake.
///
/// # Errors
///
/// `Refusal::Syntax` when the header itself is malformed.
pub fn accept(header: &str, config: &ServerConfig) -> Result<Option<Params>, Refusal> {
    for element in parse(header)? {
        if !element.name.eq_ignore_ascii_case(NAME) {
            continue;
        }
        let Ok(offer) = params(&element, true) else {
            continue;
        };
        // zlib cannot deflate with a window of 8 (it writes 9), so an offer
        // that demands 8 is one we could not honour.
        if offer.server_max_window_bits == Some(MIN_BITS) {
            continue;
        }
        // A window the client asks us to keep below what we would use.
        let server_bits = match offer.server_max_window_bits {
            Some(asked) => Some(asked.min(config.server_max_window_bits)),
            None if config.server_max_window_bits < MAX_BITS => Some(config.server_max_window_bits),
            None => None,
        };
        // We may limit the client's window only if it said it can be limited.
        let client_bits = match offer.client_max_window_bits {
            Some(Some(bits)) => Some(Some(bits.min(config.client_max_window_bits))),
            Some(None) if config.client_max_window_bits < MAX_BITS => {
                Some(Some(config.client_max_window_bits))
            }
            _ => None,
        };
        return Ok(Some(Params {
            server_no_context_takeover: offer.server_no_context_takeover
                || config.server_no_context_takeover,
            client_no_context_takeover: offer.client_no_context_takeover
                || config.client_no_context_takeover,
            server_max_window_bits: server_bits,
            client_max_window_bits: client_bits,
        }));
    }
    Ok(None)
}

/// The client's check of the server's response against what it offered
/// (RFC 7692 §7.1): `Ok(None)` when the server declined.
///
/// # Errors
///
/// Any reason the client must fail the connection: a malformed header, an
/// extension it did not offer, more than one permessage-deflate element,
/// or parameters §7.1 forbids in a response to `offered`.
pub fn check_response(header: &str, offered: &Params) -> Result<Option<Params>, Refusal> {
    let mut chosen = None;
    for element in parse(header)? {
        if !element.name.eq_ignore_ascii_case(NAME) || chosen.is_some() {
            return Err(Refusal::NotOffered);
        }
        let response = params(&element, false)?;
        if response.client_max_window_bits.is_some() && offered.client_max_window_bits.is_none() {
            return Err(Refusal::NotOffered);
        }
        if let (Some(asked), Some(got)) = (
            offered.server_max_window_bits,
            response.server_max_window_bits,
        ) {
            if got > asked {
                return Err(Refusal::InvalidValue);
            }
        }
        if offered.server_max_window_bits.is_some() && response.server_max_window_bits.is_none() {
            return Err(Refusal::InvalidValue);
        }
        // An offer of client_no_context_takeover is a promise to reset
        // whatever the server answers (RFC 7692 §7.1.1.2).
        chosen = Some(Params {
            client_no_context_takeover: response.client_no_context_takeover
                || offered.client_no_context_takeover,
            ..response
        });
    }
    Ok(chosen)
}

/// `params` as a header element: `permessage-deflate; ...`.
#[must_use]
pub fn format(params: &Params) -> String {
    let mut out = String::from(NAME);
    if params.server_no_context_takeover {
        out.push_str("; server_no_context_takeover");
    }
    if params.client_no_context_takeover {
        out.push_str("; client_no_context_takeover");
    }
    if let Some(bits) = params.server_max_window_bits {
        out.push_str("; server_max_window_bits=");
        out.push_str(&bits.to_string());
    }
    match params.client_max_window_bits {
        Some(Some(bits)) => {
            out.push_str("; client_max_window_bits=");
            out.push_str(&bits.to_string());
        }
        Some(None) => out.push_str("; client_max_window_bits"),
        None => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_parameters_and_quoted_values() {
        let got = parse("foo, permessage-deflate ; client_max_window_bits;server_max_window_bits=\"10\" ,, bar;x=1").unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].name, "foo");
        assert_eq!(
            got[1].params,
            vec![
                ("client_max_window_bits", None),
                ("server_max_window_bits", Some("10"))
            ]
        );
        assert_eq!(got[2].params, vec![("x", Some("1"))]);
        assert_eq!(parse("").unwrap(), vec![]);
    }

    #[test]
    fn refuses_what_is_not_the_grammar() {
        for bad in [
            "permessage-deflate;",
            "permessage-deflate; =1",
            "permessage-deflate x",
            "permessage-deflate; a=\"1",
            "permessage-deflate; a=\"1 2\"",
            "permessage-deflate; a=",
            "per message",
            "\"quoted\"",
            "a;b=\"\\x\"",
        ] {
            assert_eq!(parse(bad), Err(Refusal::Syntax), "{bad}");
        }
    }

    #[test]
    fn a_hostile_header_is_parsed_in_linear_time() {
        // 1 MB of parameters and of separators: each finishes at once.
        let many = format!("{NAME}{}", "; a".repeat(300_000));
        assert_eq!(parse(&many).unwrap()[0].params.len(), 300_000);
        assert_eq!(parse(&",".repeat(1 << 20)).unwrap(), vec![]);
    }

    fn offer(header: &str) -> Result<Params, Refusal> {
        params(&parse(header).unwrap()[0], true)
    }

    #[test]
    fn offer_parameters_follow_rfc_7692() {
        assert_eq!(
            offer("permessage-deflate; client_max_window_bits").unwrap(),
            Params {
                client_max_window_bits: Some(None),
                ..Params::default()
            }
        );
        let all = offer("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=8").unwrap();
        assert!(all.server_no_context_takeover && all.client_no_context_takeover);
        assert_eq!(all.server_max_window_bits, Some(9));
        assert_eq!(all.client_max_window_bits, Some(Some(8)));
        for (bad, why) in [
            ("permessage-deflate; x", Refusal::UnknownParameter),
            (
                "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                Refusal::DuplicateParameter,
            ),
            (
                "permessage-deflate; server_no_context_takeover=1",
                Refusal::InvalidValue,
            ),
            (
                "permessage-deflate; server_max_window_bits",
                Refusal::InvalidValue,
            ),
            (
                "permessage-deflate; server_max_window_bits=7",
                Refusal::InvalidValue,
            ),
            (
                "permessage-deflate; server_max_window_bits=16",
                Refusal::InvalidValue,
            ),
            (
                "permessage-deflate; server_max_window_bits=010",
                Refusal::InvalidValue,
            ),
            (
                "permessage-deflate; client_max_window_bits=1a",
                Refusal::InvalidValue,
            ),
        ] {
            assert_eq!(offer(bad), Err(why), "{bad}");
        }
    }

    #[test]
    fn the_server_takes_the_first_acceptable_offer() {
        let config = ServerConfig::default();
        assert_eq!(accept("", &config), Ok(None));
        assert_eq!(accept("x-webkit-deflate-frame", &config), Ok(None));
        // The first offer is broken, the second one is taken.
        let got = accept(
            "permessage-deflate; bogus, permessage-deflate; client_max_window_bits",
            &config,
        )
        .unwrap()
        .unwrap();
        assert_eq!(format(&got), "permessage-deflate");
        // The server honours the client's limit on its window.
        let got = accept("permessage-deflate; server_max_window_bits=10", &config)
            .unwrap()
            .unwrap();
        assert_eq!(
            format(&got),
            "permessage-deflate; server_max_window_bits=10"
        );
        // It limits the client's window only where the client allowed it.
        let small = ServerConfig {
            client_max_window_bits: 9,
            client_no_context_takeover: true,
            ..config
        };
        assert_eq!(
            format(
                &accept("permessage-deflate; client_max_window_bits", &small)
                    .unwrap()
                    .unwrap()
            ),
            "permessage-deflate; client_no_context_takeover; client_max_window_bits=9"
        );
        assert_eq!(
            format(&accept("permessage-deflate", &small).unwrap().unwrap()),
            "permessage-deflate; client_no_context_takeover"
        );
        assert_eq!(accept("permessage-deflate;", &config), Err(Refusal::Syntax));
        // A window of 8 for us is declined: zlib cannot write one.
        assert_eq!(
            accept("permessage-deflate; server_max_window_bits=8", &config),
            Ok(None)
        );
    }

    #[test]
    fn the_client_fails_on_responses_rfc_7692_forbids() {
        let offered = Params {
            client_max_window_bits: Some(None),
            ..Params::default()
        };
        assert_eq!(check_response("", &offered), Ok(None));
        assert_eq!(
            check_response("permessage-deflate; client_max_window_bits=10", &offered)
                .unwrap()
                .unwrap()
                .client_max_window_bits,
            Some(Some(10))
        );
        let plain = Params::default();
        let limited = Params {
            server_max_window_bits: Some(10),
            ..Params::default()
        };
        for (header, sent, why) in [
            ("x-other", &plain, Refusal::NotOffered),
            (
                "permessage-deflate, permessage-deflate",
                &plain,
                Refusal::NotOffered,
            ),
            (
                "permessage-deflate; client_max_window_bits=10",
                &plain,
                Refusal::NotOffered,
            ),
            (
                "permessage-deflate; client_max_window_bits",
                &offered,
                Refusal::InvalidValue,
            ),
            (
                "permessage-deflate; server_max_window_bits=12",
                &limited,
                Refusal::InvalidValue,
            ),
            ("permessage-deflate", &limited, Refusal::InvalidValue),
            ("permessage-deflate; foo", &plain, Refusal::UnknownParameter),
        ] {
            assert_eq!(check_response(header, sent), Err(why), "{header}");
        }
    }
}
