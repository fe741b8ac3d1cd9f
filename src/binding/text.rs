//! Text payloads to JS strings through `crate::text` rather than Node's
//! `Buffer#toString`, which costs 3-4 times more for non-ASCII text. (The
//! other way, JS string to UTF-8, stays Node's: reading a string's UTF-16
//! out through napi costs as much as Node's own encoder, measured. Echoes and
//! relays skip it altogether: see `lib/text.js`. External strings, which
//! would save V8's copy, left 1.8 GiB of RSS in the large-text benchmark:
//! V8 did not collect them in time.)

use std::cell::RefCell;

use napi::bindgen_prelude::BufferSlice;
use napi::{Env, JsString, Result};
use napi_derive::napi;

use crate::text::utf8_to_utf16;

/// Scratch kept between calls above this many code units is released.
const KEEP_UNITS: usize = 1 << 20;

thread_local! {
    // One UTF-16 scratch buffer for all sockets: strings are built one at a time.
    static UNITS: RefCell<Vec<u16>> = const { RefCell::new(Vec::new()) };
}

/// The string `data` (UTF-8, already validated) holds: a one-byte string
/// when it is ASCII, else a two-byte one.
#[napi(catch_unwind)]
#[allow(
    clippy::needless_pass_by_value,
    reason = "napi hands the Buffer over as an owned BufferSlice (allow: the macro rewrites this fn)"
)]
pub fn utf8_to_string<'env>(env: &'env Env, data: BufferSlice) -> Result<JsString<'env>> {
    let bytes: &[u8] = &data;
    if bytes.is_ascii() {
        return env.create_string_latin1(bytes);
    }
    UNITS.with_borrow_mut(|units| {
        let string = if utf8_to_utf16(bytes, units) {
            env.create_string_utf16(units.as_slice())
        } else {
            // Never for a validated payload; still a string, not a panic.
            env.create_string(String::from_utf8_lossy(bytes))
        };
        if units.capacity() > KEEP_UNITS {
            *units = Vec::new();
        }
        string
    })
}
