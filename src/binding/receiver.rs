//! `Receiver`: `protocol::Decoder` behind one native call per socket read.
//!
//! Results go into a caller-owned `Uint32Array` as 4-word records
//! `[kind | flags, a, b, c]`, ended by a 0 word; no JS object is built here.

use napi::bindgen_prelude::{Buffer, BufferSlice, Either};
use napi::{Env, JsString, Result};
use napi_derive::napi;

use super::deflate::{inflate_params, DeflateAgreement};
use super::text::string_of;
use super::{handed_over, role_of};
use crate::protocol::event::MAX_EVENTS_PER_STEP;
use crate::protocol::{
    Config, Data, Decoder, Event, Mode, Sink, DEFAULT_MAX_FRAGMENTS, DEFAULT_MAX_PAYLOAD,
    DEFAULT_STREAM_THRESHOLD, NO_STREAM_THRESHOLD,
};

/// Words per record.
const RECORD: usize = 4;

/// Record kinds: the low byte of a record's first word, and its flags.
mod kind {
    use napi_derive::napi;

    /// A whole message: flags = opcode; a..b its range, or `BUFFERED`.
    #[napi]
    pub const EVENT_MESSAGE: u32 = 1;

    /// A streamed message begins: flags = opcode.
    #[napi]
    pub const EVENT_STREAM_START: u32 = 2;

    /// Stream payload a..b, or `BUFFERED` (inflated).
    #[napi]
    pub const EVENT_STREAM_DATA: u32 = 3;

    /// The streamed message is complete.
    #[napi]
    pub const EVENT_STREAM_STOP: u32 = 4;

    /// A ping: a..b its payload, or `BUFFERED`.
    #[napi]
    pub const EVENT_PING: u32 = 5;

    /// A pong: a..b its payload, or `BUFFERED`.
    #[napi]
    pub const EVENT_PONG: u32 = 6;

    /// A close: c = code; a..b the reason, or `BUFFERED`.
    #[napi]
    pub const EVENT_CLOSE: u32 = 7;

    /// A protocol error: a = kind, b = detail (see `errorInfo`).
    #[napi]
    pub const EVENT_ERROR: u32 = 8;

    /// Frame mode, a header: flags = opcode | bits; a, b = length low and
    /// high 32 bits; c = masking key (big-endian).
    #[napi]
    pub const EVENT_HEAD: u32 = 9;

    /// Frame mode, payload a..b.
    #[napi]
    pub const EVENT_PAYLOAD: u32 = 10;

    /// Frame mode, the frame's payload is complete.
    #[napi]
    pub const EVENT_DONE: u32 = 11;

    /// Set in the first word when the payload must be fetched with `take()`.
    #[napi]
    pub const BUFFERED: u32 = 1 << 16;

    /// HEAD flag bits, above the opcode in bits 8..12.
    #[napi]
    pub const HEAD_FIN: u32 = 1 << 12;

    /// RSV1.
    #[napi]
    pub const HEAD_RSV1: u32 = 1 << 13;

    /// RSV2.
    #[napi]
    pub const HEAD_RSV2: u32 = 1 << 14;

    /// RSV3.
    #[napi]
    pub const HEAD_RSV3: u32 = 1 << 15;

    /// The frame is masked.
    #[napi]
    pub const HEAD_MASK: u32 = 1 << 17;
}

/// The result words, written in native byte order into the bytes of the
/// caller's `Uint32Array` (passed as a `Buffer` over the same memory).
struct Words<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl Words<'_> {
    fn word(&mut self, index: usize, value: u32) {
        if let Some(slot) = self.out.get_mut(index * 4..index * 4 + 4) {
            slot.copy_from_slice(&value.to_ne_bytes());
        }
    }

    fn record(&mut self, first: u32, a: usize, b: usize, c: u32) {
        // `has_room` guaranteed space; offsets fit u32 because `push` caps chunks.
        if (self.len + RECORD) * 4 <= self.out.len() {
            for (i, value) in [first, a as u32, b as u32, c].into_iter().enumerate() {
                self.word(self.len + i, value);
            }
            self.len += RECORD;
        }
    }

    fn data(&mut self, kind: u32, data: Data, c: u32) {
        match data {
            Data::Range(a, b) => self.record(kind, a, b, c),
            Data::Buffered => self.record(kind | kind::BUFFERED, 0, 0, c),
        }
    }
}

impl Sink for Words<'_> {
    fn emit(&mut self, event: Event) {
        match event {
            Event::Message(op, data) => self.data(kind::EVENT_MESSAGE | (op as u32) << 8, data, 0),
            Event::StreamStart(op) => {
                self.record(kind::EVENT_STREAM_START | (op as u32) << 8, 0, 0, 0);
            }
            Event::StreamData(data) => self.data(kind::EVENT_STREAM_DATA, data, 0),
            Event::StreamStop => self.record(kind::EVENT_STREAM_STOP, 0, 0, 0),
            Event::Ping(data) => self.data(kind::EVENT_PING, data, 0),
            Event::Pong(data) => self.data(kind::EVENT_PONG, data, 0),
            Event::Close(code, data) => self.data(kind::EVENT_CLOSE, data, u32::from(code)),
            Event::Head(h) => {
                let mut first = kind::EVENT_HEAD | (h.opcode as u32) << 8;
                for (set, bit) in [
                    (h.fin, kind::HEAD_FIN),
                    (h.rsv1, kind::HEAD_RSV1),
                    (h.rsv2, kind::HEAD_RSV2),
                    (h.rsv3, kind::HEAD_RSV3),
                    (h.mask.is_some(), kind::HEAD_MASK),
                ] {
                    if set {
                        first |= bit;
                    }
                }
                let key = h.mask.map_or(0, u32::from_be_bytes);
                self.record(
                    first,
                    h.length as u32 as usize,
                    (h.length >> 32) as usize,
                    key,
                );
            }
            Event::Payload(a, b) => self.record(kind::EVENT_PAYLOAD, a, b, 0),
            Event::FrameEnd => self.record(kind::EVENT_DONE, 0, 0, 0),
        }
    }

    fn has_room(&self) -> bool {
        // One step's records, the end word, and an error record.
        (self.len + (MAX_EVENTS_PER_STEP + 1) * RECORD + 1) * 4 <= self.out.len()
    }
}

/// Converts a JS limit (a non-negative number, `Infinity` for none).
fn limit(value: Option<f64>, default: u64) -> u64 {
    match value {
        None => default,
        Some(v) if v.is_nan() || v < 0.0 => default,
        Some(v) if v >= 18_446_744_073_709_551_615.0 => NO_STREAM_THRESHOLD,
        #[expect(
            clippy::cast_sign_loss,
            reason = "v is known non-negative and in range"
        )]
        Some(v) => v as u64,
    }
}

/// The incoming side of one connection.
#[napi]
pub struct Receiver {
    decoder: Decoder,
    /// The byte length of the text `take_text` last copied out, or
    /// `HELD` when its bytes wait in `held` instead.
    taken: u32,
    /// The bytes of the last text `take_text` made a string of when they
    /// did not fit its scratch, until `take_held` hands them over.
    held: Option<Vec<u8>>,
}

/// `taken_length` when the text's bytes wait for `take_held`.
const HELD: u32 = u32::MAX;

#[napi]
impl Receiver {
    /// `mode`: 0 server messages, 1 client messages, 2 frames. Limits left
    /// `undefined` take the core's defaults; `Infinity` means none.
    #[napi(constructor)]
    #[must_use]
    pub fn new(
        mode: u32,
        max_payload: Option<f64>,
        stream_threshold: Option<f64>,
        max_fragments: Option<f64>,
    ) -> Self {
        let mut config = Config::new(role_of(mode));
        config.max_payload = limit(max_payload, DEFAULT_MAX_PAYLOAD);
        config.max_fragments = limit(max_fragments, DEFAULT_MAX_FRAGMENTS);
        config.stream_threshold = limit(stream_threshold, DEFAULT_STREAM_THRESHOLD);
        let mode = if mode == 2 {
            Mode::Frames
        } else {
            Mode::Messages(config)
        };
        Self {
            decoder: Decoder::new(mode),
            taken: 0,
            held: None,
        }
    }

    /// Decodes `chunk` (unmasking it in place) into records in `out`, and
    /// returns how many bytes it consumed (`out` is a `Buffer` over a
    /// `Uint32Array`'s memory, read back as words): all, unless `out` filled up, in
    /// which case push the rest again.
    #[napi(catch_unwind)]
    pub fn push(&mut self, mut chunk: BufferSlice, mut out: BufferSlice) -> u32 {
        // Offsets are u32 words; a longer chunk is consumed in parts.
        let cap = chunk.len().min(u32::MAX as usize);
        let mut words = Words {
            out: &mut out,
            len: 0,
        };
        let consumed = match self.decoder.push(&mut chunk[..cap], &mut words) {
            Ok(n) => n,
            Err(e) => {
                let (kind, detail) = e.to_parts();
                words.record(kind::EVENT_ERROR, kind as usize, detail as usize, 0);
                cap
            }
        };
        words.word(words.len, 0);
        consumed as u32
    }

    /// permessage-deflate was agreed: RSV1 marks compressed messages, which
    /// are inflated within `maxPayload`.
    #[napi]
    #[allow(
        clippy::needless_pass_by_value,
        reason = "napi hands JS values over owned (allow: the macro rewrites this fn)"
    )]
    pub fn set_inflate(&mut self, agreed: DeflateAgreement, mode: u32) {
        let (bits, no_context_takeover) = inflate_params(&agreed, mode);
        self.decoder.set_inflate(bits, no_context_takeover);
    }

    /// Whether streamed messages have a consumer; without one, every message
    /// is delivered whole (see `Decoder::set_streaming`).
    #[napi]
    pub fn set_streaming(&mut self, streaming: bool) {
        self.decoder.set_streaming(streaming);
    }

    /// Bytes held for messages being assembled or not yet taken.
    #[napi(getter)]
    #[must_use]
    pub fn buffered(&self) -> f64 {
        #[expect(
            clippy::cast_precision_loss,
            reason = "a byte count below 2^53 is exact in an f64"
        )]
        let bytes = (self.decoder.buffered() + self.held.as_ref().map_or(0, Vec::capacity)) as f64;
        bytes
    }

    /// The next assembled payload, in the order of the BUFFERED records.
    ///
    /// # Errors
    /// When V8 cannot allocate the copy of a small payload.
    #[napi]
    pub fn take<'env>(
        &mut self,
        env: &'env Env,
    ) -> Result<Option<Either<BufferSlice<'env>, Buffer>>> {
        self.decoder
            .take()
            .map(|payload| handed_over(env, payload))
            .transpose()
    }

    /// `take` for a text message, as its string (made without validating
    /// the text again: the decoder did as it arrived). Its bytes stand in
    /// for the string if it is sent on (lib/text.js): copied into `scratch`
    /// when they fit (their length in `taken_length`), else held for
    /// `take_held` (`taken_length` is then 2^32 - 1). `Buffer` bytes, as
    /// `take` gives them, if the next payload is not a whole text message.
    ///
    /// # Errors
    /// When V8 cannot make the string or the copy; `scratch` is then as it was.
    #[napi]
    #[allow(
        clippy::needless_pass_by_value,
        reason = "napi hands the Buffer over as an owned BufferSlice (allow: the macro rewrites this fn)"
    )]
    pub fn take_text<'env>(
        &mut self,
        env: &'env Env,
        mut scratch: BufferSlice,
    ) -> Result<Option<Either<JsString<'env>, Either<BufferSlice<'env>, Buffer>>>> {
        let text = match self.decoder.take_text() {
            None => return Ok(None),
            Some(Ok(text)) => text,
            Some(Err(bytes)) => return handed_over(env, bytes).map(|b| Some(Either::B(b))),
        };
        // The string first: if it fails, the scratch keeps the bytes of
        // the string lib/text.js holds.
        let string = string_of(env, &text)?;
        match (scratch.get_mut(..text.len()), u32::try_from(text.len())) {
            (Some(into), Ok(length)) if length != HELD => {
                into.copy_from_slice(text.as_bytes());
                self.taken = length;
            }
            _ => {
                self.held = Some(text.into_bytes());
                self.taken = HELD;
            }
        }
        Ok(Some(Either::A(string)))
    }

    /// The bytes of the text `take_text` last held (see there), once.
    ///
    /// # Errors
    /// When V8 cannot make the Buffer.
    #[napi]
    pub fn take_held<'env>(
        &mut self,
        env: &'env Env,
    ) -> Result<Option<Either<BufferSlice<'env>, Buffer>>> {
        self.held
            .take()
            .map(|bytes| handed_over(env, bytes))
            .transpose()
    }

    /// The byte length of the text `take_text` last copied into its
    /// scratch, or 2^32 - 1 when it held the bytes instead.
    #[napi(getter)]
    #[must_use]
    pub fn taken_length(&self) -> u32 {
        self.taken
    }
}
