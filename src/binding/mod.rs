//! The napi adapter: the only code that names napi. It packs the core's
//! events into integers so one call handles one socket read.

mod deflate;
mod error;
mod receiver;
mod sender;
mod text;

use napi::bindgen_prelude::{Buffer, BufferSlice, Either};
use napi::{Env, Result};
use napi_derive::napi;

use crate::handshake;
use crate::protocol::close::MAX_CONTROL_PAYLOAD as CONTROL_PAYLOAD;
use crate::protocol::frame::MAX_HEADER_LEN as HEADER_LEN;
use crate::protocol::Role;
use crate::protocol::{DEFAULT_MAX_PAYLOAD as MAX_PAYLOAD, DEFAULT_STREAM_THRESHOLD as THRESHOLD};

/// The role a JS `mode` number stands for (0 server messages, 1 client
/// messages, 2 frames, which decode as a server would).
fn role_of(mode: u32) -> Role {
    if mode == 1 {
        Role::Client
    } else {
        Role::Server
    }
}

/// Payloads up to this size are handed to JS as a copy in V8's memory; larger
/// ones as the assembled Vec itself. A Buffer over a Vec needs a finalizer
/// (node registers a cleanup hook and a weak handle for each, and frees it
/// from an immediate after a GC): 6 us of a compressed 1 KiB echo's 90 in a
/// CPU profile, where copying 1 KiB costs well under one.
const COPY_MAX: usize = 16 * 1024;

/// Bytes made in Rust as JS gets them (an assembled or inflated payload, a
/// frame): a copy up to `COPY_MAX`, else the Vec itself.
fn handed_over(env: &Env, payload: Vec<u8>) -> Result<Either<BufferSlice<'_>, Buffer>> {
    if payload.len() <= COPY_MAX {
        return BufferSlice::copy_from(env, &payload).map(Either::A);
    }
    Ok(Either::B(Buffer::from(payload)))
}

/// Bytes of headroom `frame()` needs before the payload.
#[napi]
pub const MAX_HEADER_LEN: u32 = HEADER_LEN as u32;

/// Room `textFrame` needs past a frame to write it into the given buffer.
#[napi]
pub const TEXT_FRAME_SLACK: u32 = crate::text::CONVERT_SLACK as u32;

/// Largest control frame payload (RFC 6455 §5.5).
#[napi]
pub const MAX_CONTROL_PAYLOAD: u32 = CONTROL_PAYLOAD as u32;

/// Default `maxPayload`.
#[napi]
#[expect(clippy::cast_precision_loss, reason = "100 MiB is exact in an f64")]
pub const DEFAULT_MAX_PAYLOAD: f64 = MAX_PAYLOAD as f64;

/// Default `streamThreshold`.
#[napi]
#[expect(clippy::cast_precision_loss, reason = "16 KiB is exact in an f64")]
pub const DEFAULT_STREAM_THRESHOLD: f64 = THRESHOLD as f64;

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`.
#[napi]
#[must_use]
#[allow(
    clippy::needless_pass_by_value,
    reason = "napi hands JS strings over as String (allow: the macro rewrites this fn)"
)]
pub fn accept_key(key: String) -> String {
    handshake::accept_key(&key)
}

/// Whether a `Sec-WebSocket-Key` is base64 of 16 bytes.
#[napi]
#[must_use]
#[allow(
    clippy::needless_pass_by_value,
    reason = "napi hands JS strings over as String (allow: the macro rewrites this fn)"
)]
pub fn is_valid_key(key: String) -> bool {
    handshake::is_valid_key(&key)
}

/// A fresh `Sec-WebSocket-Key` from the OS CSPRNG; `null` if it has none.
#[napi]
#[must_use]
pub fn generate_key() -> Option<String> {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).ok()?;
    Some(handshake::encode_key(&nonce))
}

/// Whether a comma-separated header value holds `token`, ignoring case.
#[napi]
#[must_use]
#[allow(
    clippy::needless_pass_by_value,
    reason = "napi hands JS strings over as String (allow: the macro rewrites this fn)"
)]
pub fn header_has_token(value: String, token: String) -> bool {
    handshake::has_token(&value, &token)
}

/// Whether `value` is one RFC 7230 token (a valid subprotocol name).
#[napi]
#[must_use]
#[allow(
    clippy::needless_pass_by_value,
    reason = "napi hands JS strings over as String (allow: the macro rewrites this fn)"
)]
pub fn is_token(value: String) -> bool {
    handshake::is_token(&value)
}

/// The subprotocol to answer a client's offer with: `''` for none, `null`
/// when the offer is malformed.
#[napi]
#[must_use]
#[allow(
    clippy::needless_pass_by_value,
    reason = "napi hands JS values over owned (allow: the macro rewrites this fn)"
)]
pub fn select_protocol(offer: String, supported: Vec<String>) -> Option<String> {
    handshake::select_protocol(&offer, &supported)
        .ok()
        .map(|chosen| chosen.unwrap_or_default().to_owned())
}
