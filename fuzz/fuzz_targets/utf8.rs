//! The streaming UTF-8 validator against `std::str::from_utf8`, the input
//! cut at any point.
#![no_main]

use libfuzzer_sys::fuzz_target;
use websockets::protocol::Utf8Validator;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, input)) = data.split_first() else {
        return;
    };
    let cut = usize::from(cut) % (input.len() + 1);
    let mut validator = Utf8Validator::new();
    let ours = validator
        .feed(&input[..cut])
        .and_then(|()| validator.feed(&input[cut..]))
        .and_then(|()| validator.finish())
        .is_ok();
    assert_eq!(ours, std::str::from_utf8(input).is_ok());
});
