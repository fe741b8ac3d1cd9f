//! The frame decoder against its own oracle: any chunking of the input gives
//! the events of one push (streamed payloads merged), in both roles, whole
//! and streamed delivery, with and without permessage-deflate, and never a
//! panic. One allowance: the bytes a stream delivers before an error (bad
//! UTF-8 found mid-push, say) depend on where the pushes ended, so there
//! each side's must be a prefix of the other's.
#![no_main]

#[path = "../../tests/common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| common::chunking_oracle(data));
