//! `websockets`: an RFC 6455 WebSocket protocol core with a Node.js binding.
//!
//! The core (`protocol`, `handshake`) is sans-IO: it never touches a socket, a
//! clock or the JavaScript engine. Bytes go in through
//! [`protocol::Decoder::push`], which unmasks payloads in place, validates
//! every rule of RFC 6455 §5 and reports what it found as [`protocol::Event`]s
//! into a caller-supplied [`protocol::Sink`]. Outgoing frames are written by
//! [`protocol::encoder`] into buffers the caller owns. Replies the protocol
//! demands (a pong for a ping, the echo of a close) are the caller's to send:
//! the core only says what was received.
//!
//! [`permessage_deflate`] negotiates RFC 7692's extension and [`deflate`] is
//! its codec, both sans-IO too; the decoder inflates with it, and the
//! binding's `Deflate` compresses what JS sends.
//!
//! The `node` feature adds the napi binding (`src/binding/`), a thin adapter
//! that packs events into integers so one native call handles one socket read.

pub mod deflate;
pub mod handshake;
pub mod permessage_deflate;
pub mod protocol;
pub mod text;
pub mod zstream;

#[cfg(feature = "node")]
// allow, not expect: the napi macros rewrite these items, and the lint
// fires in some passes and not others.
#[cfg_attr(
    test,
    allow(
        dead_code,
        reason = "napi registers the exports only outside test builds"
    )
)]
mod binding;
