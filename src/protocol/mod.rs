//! The WebSocket framing protocol (RFC 6455 §5) as a sans-IO state machine.
//!
//! Nothing here performs I/O, reads a clock or names napi: the featureless
//! build (`cargo clippy --no-default-features`) proves it.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![warn(missing_docs)]

pub mod close;
pub mod decoder;
pub mod encoder;
pub mod error;
pub mod event;
pub mod frame;
pub mod mask;
pub mod opcode;
pub mod utf8;

pub use close::CloseCode;
pub use decoder::{Decoder, Mode};
pub use error::ProtocolError;
pub use event::{Data, Event, Sink};
pub use frame::{decode_header, encode_header, Decoded, FrameHeader, MAX_HEADER_LEN};
pub use mask::{apply_mask, mask_copy};
pub use opcode::Opcode;
pub use utf8::Utf8Validator;

/// Largest message accepted by default (`maxPayload`): 100 MiB.
pub const DEFAULT_MAX_PAYLOAD: u64 = 100 * 1024 * 1024;

/// Largest number of frames in one message by default (`maxFragments`):
/// twice Autobahn's most fragmented honest case (9.4.1: 4 MiB in 64-byte
/// frames), far below a flood of one-byte frames.
pub const DEFAULT_MAX_FRAGMENTS: u64 = 128 * 1024;

/// Default `streamThreshold`: an unfragmented data frame shorter than this is
/// delivered as one message, a longer one as a stream (the seed's 16 KiB).
pub const DEFAULT_STREAM_THRESHOLD: u64 = 16 * 1024;

/// A `stream_threshold` that delivers every message whole (JS `Infinity`).
pub const NO_STREAM_THRESHOLD: u64 = u64::MAX;

/// Which end of the connection this endpoint is; it decides masking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Masks what it sends, expects unmasked frames (RFC 6455 §5.1).
    Client,
    /// Sends unmasked, expects every frame masked (RFC 6455 §5.1).
    Server,
}

/// Limits and choices of one connection's decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Which end we are.
    pub role: Role,
    /// Largest message (sum of its frames' payloads) accepted; larger: 1009.
    pub max_payload: u64,
    /// Most data frames in one message; more: 1008.
    pub max_fragments: u64,
    /// Data frames below this length, unfragmented, are delivered whole.
    pub stream_threshold: u64,
    /// Whether an extension (permessage-deflate) gave RSV1 a meaning.
    pub allow_rsv1: bool,
}

impl Config {
    /// The documented defaults (docs/socket.md) for the given role.
    #[must_use]
    pub fn new(role: Role) -> Self {
        Self {
            role,
            max_payload: DEFAULT_MAX_PAYLOAD,
            max_fragments: DEFAULT_MAX_FRAGMENTS,
            stream_threshold: DEFAULT_STREAM_THRESHOLD,
            allow_rsv1: false,
        }
    }
}
