//! What the decoder reports: the vocabulary the binding packs into integers.

use super::error::ProtocolError;
use super::frame::FrameHeader;
use super::opcode::Opcode;

/// Where a payload is: inside the chunk just pushed, or in a buffer the
/// decoder assembled because the payload arrived over several pushes or
/// fragments (taken with [`super::Decoder::take`], in event order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Data {
    /// Bytes `start..end` of the pushed chunk, already unmasked.
    Range(usize, usize),
    /// The next buffer in the decoder's queue of completed payloads.
    Buffered,
}

/// One thing the decoder found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Frame mode: a header was parsed, before any of its payload.
    Head(FrameHeader),
    /// Frame mode: payload bytes `start..end` of the chunk, unmasked.
    Payload(usize, usize),
    /// Frame mode: the current frame's payload is complete.
    FrameEnd,
    /// A whole message (below the stream threshold).
    Message(Opcode, Data),
    /// A streamed message begins.
    StreamStart(Opcode),
    /// Bytes of the streamed message: a range of the chunk, or (for a
    /// compressed message) the next inflated buffer to take.
    StreamData(Data),
    /// The streamed message is complete (and its text valid UTF-8).
    StreamStop,
    /// A ping and its payload.
    Ping(Data),
    /// A pong and its payload.
    Pong(Data),
    /// A close frame: its code (1005 when absent) and UTF-8 reason.
    Close(u16, Data),
}

/// Receives the decoder's events.
pub trait Sink {
    /// Takes one event.
    fn emit(&mut self, event: Event);

    /// Whether the sink can take the events of one more decoding step (at
    /// most [`MAX_EVENTS_PER_STEP`]); when it cannot, `push` stops early and
    /// reports how far it got.
    fn has_room(&self) -> bool {
        true
    }
}

/// The most events one decoding step (a header, or one payload slice) emits.
pub const MAX_EVENTS_PER_STEP: usize = 3;

impl Sink for Vec<Event> {
    fn emit(&mut self, event: Event) {
        self.push(event);
    }
}

/// A protocol error after the events that preceded it; convenient in tests.
pub type Outcome = Result<Vec<Event>, (Vec<Event>, ProtocolError)>;
