//! The inflater on any bytes: a result or an error, never a panic, and
//! never more output than the limit allows.
#![no_main]

#[path = "../../tests/common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| common::inflate_oracle(data));
