//! The handshake's header parsers on any text: no panic, and a
//! permessage-deflate answer we would send parses back to what it says.
#![no_main]

use libfuzzer_sys::fuzz_target;
use websockets::handshake;
use websockets::permessage_deflate::{self as pmd, ServerConfig};

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else {
        return;
    };
    let _ = handshake::parse_token_list(header);
    let _ = handshake::has_token(header, "websocket");
    let _ = handshake::is_valid_key(header);
    if let Ok(elements) = pmd::parse(header) {
        for element in &elements {
            let _ = pmd::params(element, true);
            let _ = pmd::params(element, false);
        }
    }
    if let Ok(Some(agreed)) = pmd::accept(header, &ServerConfig::default()) {
        let answer = pmd::format(&agreed);
        let elements = pmd::parse(&answer).expect("our answer parses");
        assert_eq!(elements.len(), 1);
        assert_eq!(pmd::params(&elements[0], false), Ok(agreed));
    }
});
