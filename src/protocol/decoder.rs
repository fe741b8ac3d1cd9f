//! The per-connection receiving state machine (RFC 6455 §5.2-§5.6, §6.2).
//!
//! `push` takes each socket read as it comes, in place: it parses headers
//! (also when split across reads), unmasks payloads where they lie, enforces
//! masking, RSV, opcode, sequencing, size and UTF-8 rules as early as the
//! bytes allow, and reports what it found to a [`Sink`]. A payload that lies
//! whole in one read is reported as a range of it; only one that spans reads
//! or fragments is copied, into a buffer the caller then [`Decoder::take`]s.
//!
//! With permessage-deflate (RFC 7692) negotiated, a message whose first frame
//! has RSV1 is inflated as it arrives, frame by frame and slice by slice,
//! with `max_payload` applied to the inflated bytes while inflating.

use std::collections::VecDeque;

use crate::deflate::{InflateError, Inflater};

use super::close::parse_close_body;
use super::error::ProtocolError;
use super::event::{Data, Event, Sink};
use super::frame::{decode_header, Decoded, FrameHeader, MAX_HEADER_LEN};
use super::mask::apply_mask;
use super::opcode::Opcode;
use super::utf8::Utf8Validator;
use super::{Config, Role, NO_STREAM_THRESHOLD};

/// A message's room is reserved up to this many times the bytes of it that
/// have arrived, counted as at least `RESERVE_UNIT` (so up to 1 MiB at once).
const RESERVE_AHEAD: usize = 16;
const RESERVE_UNIT: usize = 64 * 1024;

/// What the decoder reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Frames (`Stream`): heads, payload ranges and frame ends. Only the rules
    /// a header alone decides are enforced.
    Frames,
    /// Messages (`Socket`): every rule of RFC 6455, with `Config`'s limits.
    Messages(Config),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Header,
    Payload,
    /// A close frame arrived; "the endpoint MUST NOT send any more data
    /// frames" (§5.5.1), so whatever follows is ignored.
    Closed,
    /// A rule was broken; the connection is being failed.
    Failed,
}

/// How the payload of the current frame is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Delivery {
    Frame,
    Control,
    Whole,
    Stream,
}

/// A payload waiting for [`Decoder::take`]: a whole text message is kept as
/// the `String` its validation proved it to be.
#[derive(Debug)]
enum Assembled {
    Bytes(Vec<u8>),
    Text(String),
}

impl Assembled {
    fn capacity(&self) -> usize {
        match self {
            Assembled::Bytes(bytes) => bytes.capacity(),
            Assembled::Text(text) => text.capacity(),
        }
    }

    fn into_bytes(self) -> Vec<u8> {
        match self {
            Assembled::Bytes(bytes) => bytes,
            Assembled::Text(text) => text.into_bytes(),
        }
    }
}

/// The state of one connection's incoming side.
#[derive(Debug)]
pub struct Decoder {
    mode: Mode,
    state: State,
    header: [u8; MAX_HEADER_LEN],
    header_len: usize,
    frame: FrameHeader,
    remaining: u64,
    phase: usize,
    delivery: Delivery,
    /// Some of the current frame's payload came in an earlier push.
    partial: bool,
    /// The data message in progress: its opcode, delivery and length so far.
    message: Option<(Opcode, Delivery)>,
    message_len: u64,
    /// Data frames of the message in progress.
    fragments: u64,
    /// Whether someone consumes streamed messages; without a consumer every
    /// message is delivered whole, whatever `stream_threshold` says.
    streaming: bool,
    utf8: Utf8Validator,
    assembly: Vec<u8>,
    control: Vec<u8>,
    completed: VecDeque<Assembled>,
    /// The peer's negotiated permessage-deflate window and context reset.
    inflate: Option<(u8, bool)>,
    /// Made on the first compressed message: a peer that never compresses
    /// costs no inflate state.
    inflater: Option<Inflater>,
    /// The message in progress is compressed (RSV1 on its first frame).
    compressed: bool,
    /// Inflated bytes of the message in progress.
    inflated: u64,
}

impl Decoder {
    /// A decoder at the start of a connection.
    #[must_use]
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            state: State::Header,
            header: [0; MAX_HEADER_LEN],
            header_len: 0,
            frame: FrameHeader {
                fin: true,
                rsv1: false,
                rsv2: false,
                rsv3: false,
                opcode: Opcode::Continuation,
                mask: None,
                length: 0,
            },
            remaining: 0,
            phase: 0,
            delivery: Delivery::Frame,
            partial: false,
            message: None,
            message_len: 0,
            fragments: 0,
            streaming: true,
            utf8: Utf8Validator::new(),
            assembly: Vec::new(),
            control: Vec::new(),
            completed: VecDeque::new(),
            inflate: None,
            inflater: None,
            compressed: false,
            inflated: 0,
        }
    }

    /// permessage-deflate was negotiated: the peer compresses with
    /// `window_bits` (8..=15), resetting its context after each message when
    /// `no_context_takeover`. RSV1 then marks a compressed message. Only
    /// message mode inflates; frame mode reports RSV1 as it comes.
    pub fn set_inflate(&mut self, window_bits: u8, no_context_takeover: bool) {
        if let Mode::Messages(config) = &mut self.mode {
            config.allow_rsv1 = true;
            self.inflate = Some((window_bits, no_context_takeover));
        }
    }

    /// Decodes as much of `chunk` as the sink has room for, unmasking payload
    /// bytes in place, and returns how many bytes were consumed (all of them
    /// unless the sink filled up; push the rest again).
    ///
    /// After a close frame the rest of the input is ignored; after an error,
    /// everything is.
    ///
    /// # Errors
    /// The first rule the peer broke. Events for everything before it have
    /// been emitted.
    pub fn push(&mut self, chunk: &mut [u8], sink: &mut impl Sink) -> Result<usize, ProtocolError> {
        let mut pos = 0;
        loop {
            let step = match self.state {
                State::Closed | State::Failed => return Ok(chunk.len()),
                State::Header if pos >= chunk.len() || !sink.has_room() => return Ok(pos),
                State::Payload
                    if (pos >= chunk.len() && self.remaining > 0) || !sink.has_room() =>
                {
                    return Ok(pos)
                }
                State::Header => self.header_step(chunk, pos, sink),
                State::Payload => self.payload_step(chunk, pos, sink),
            };
            match step {
                Ok(next) => pos = next,
                Err(e) => {
                    self.state = State::Failed;
                    return Err(e);
                }
            }
        }
    }

    /// Whether messages that `stream_threshold` would stream are streamed
    /// (`true`, the default) or assembled whole (`false`: nobody reads
    /// streams). Decided when a message's first frame arrives, so a message
    /// already under way keeps its delivery.
    pub fn set_streaming(&mut self, streaming: bool) {
        self.streaming = streaming;
    }

    /// The next payload the decoder assembled, in the order of the
    /// [`Data::Buffered`] events that announced them.
    pub fn take(&mut self) -> Option<Vec<u8>> {
        self.completed.pop_front().map(Assembled::into_bytes)
    }

    /// [`take`](Self::take) for a text message: its payload as the `String`
    /// it was validated to be as it arrived, so it is not validated again
    /// on its way to JavaScript; `Err` with the bytes when the next payload
    /// is not a whole text message.
    pub fn take_text(&mut self) -> Option<Result<String, Vec<u8>>> {
        self.completed.pop_front().map(|payload| match payload {
            Assembled::Text(text) => Ok(text),
            Assembled::Bytes(bytes) => Err(bytes),
        })
    }

    /// Bytes this decoder holds: the message being assembled and those
    /// assembled but not yet taken (a server's memory budget counts them).
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.assembly.capacity()
            + self
                .completed
                .iter()
                .map(Assembled::capacity)
                .sum::<usize>()
    }

    /// Whether a close frame has been received.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    fn header_step(
        &mut self,
        chunk: &[u8],
        pos: usize,
        sink: &mut impl Sink,
    ) -> Result<usize, ProtocolError> {
        let input = &chunk[pos..];
        let (header, used) = if self.header_len == 0 {
            self.check_partial_head(input)?;
            match decode_header(input)? {
                Decoded::Done { header, len } => (header, len),
                Decoded::NeedMore(_) => {
                    // NeedMore means fewer than MAX_HEADER_LEN bytes are here.
                    self.header[..input.len()].copy_from_slice(input);
                    self.header_len = input.len();
                    return Ok(chunk.len());
                }
            }
        } else {
            let old = self.header_len;
            let take = (MAX_HEADER_LEN - old).min(input.len());
            self.header[old..old + take].copy_from_slice(&input[..take]);
            if old < 2 {
                self.check_partial_head(&self.header[..old + take])?;
            }
            match decode_header(&self.header[..old + take])? {
                Decoded::Done { header, len } => {
                    self.header_len = 0;
                    (header, len - old)
                }
                Decoded::NeedMore(_) => {
                    self.header_len = old + take;
                    return Ok(pos + take);
                }
            }
        };
        self.begin_frame(header, sink)?;
        Ok(pos + used)
    }

    fn begin_frame(
        &mut self,
        frame: FrameHeader,
        sink: &mut impl Sink,
    ) -> Result<(), ProtocolError> {
        self.delivery = match self.mode {
            Mode::Frames => {
                sink.emit(Event::Head(frame));
                Delivery::Frame
            }
            Mode::Messages(config) => self.check_frame(&frame, &config, sink)?,
        };
        self.frame = frame;
        self.remaining = frame.length;
        self.phase = 0;
        self.partial = false;
        self.state = State::Payload;
        Ok(())
    }

    /// The rules a header's first two bytes decide are checked as soon as
    /// they are here, before its length and masking key are read: a bad
    /// frame fails at once, as in ws, and with the same error whatever the
    /// pushes held (a reserved opcode is left to `decode_header`).
    fn check_partial_head(&self, bytes: &[u8]) -> Result<(), ProtocolError> {
        let (Mode::Messages(config), [b0, b1, ..]) = (&self.mode, bytes) else {
            return Ok(());
        };
        let Ok(opcode) = Opcode::try_from(b0 & 0x0F) else {
            return Ok(());
        };
        let frame = FrameHeader {
            fin: b0 & 0x80 != 0,
            rsv1: b0 & 0x40 != 0,
            rsv2: b0 & 0x20 != 0,
            rsv3: b0 & 0x10 != 0,
            opcode,
            mask: (b1 & 0x80 != 0).then_some([0; 4]),
            length: 0,
        };
        self.check_head(&frame, config)
    }

    /// The rules of §5 that the first two bytes of a header decide, given
    /// the role, the extensions and the message in progress (the length and
    /// the masking key may still be on their way).
    fn check_head(&self, frame: &FrameHeader, config: &Config) -> Result<(), ProtocolError> {
        // "MUST be 0 unless an extension is negotiated that defines meanings
        // for non-zero values" (§5.2). RSV1 belongs to a message's first frame.
        if frame.rsv2 || frame.rsv3 {
            return Err(ProtocolError::UnexpectedRsv23);
        }
        if frame.rsv1
            && (!config.allow_rsv1
                || frame.opcode.is_control()
                || frame.opcode == Opcode::Continuation)
        {
            return Err(ProtocolError::UnexpectedRsv1);
        }
        match (config.role, frame.mask.is_some()) {
            (Role::Server, false) => return Err(ProtocolError::ExpectedMask),
            (Role::Client, true) => return Err(ProtocolError::UnexpectedMask),
            _ => {}
        }
        match (frame.opcode, self.message) {
            (Opcode::Continuation, None) => Err(ProtocolError::UnexpectedContinuation),
            (Opcode::Text | Opcode::Binary, Some(_)) => Err(ProtocolError::ExpectedContinuation),
            _ => Ok(()),
        }
    }

    /// The rules of §5 that depend on the role, the extensions and the
    /// message in progress; decides how the frame's payload is delivered.
    fn check_frame(
        &mut self,
        frame: &FrameHeader,
        config: &Config,
        sink: &mut impl Sink,
    ) -> Result<Delivery, ProtocolError> {
        // check_partial_head checked the rest when the first two bytes came.
        if frame.opcode.is_control() {
            self.control.clear();
            return Ok(Delivery::Control);
        }
        let delivery = match (frame.opcode, self.message) {
            (Opcode::Continuation, None) => return Err(ProtocolError::UnexpectedContinuation),
            (Opcode::Continuation, Some((_, delivery))) => delivery,
            (_, Some(_)) => return Err(ProtocolError::ExpectedContinuation),
            (opcode, None) => {
                self.message_len = 0;
                self.fragments = 0;
                self.compressed = frame.rsv1;
                self.inflated = 0;
                let threshold = if self.streaming {
                    config.stream_threshold
                } else {
                    NO_STREAM_THRESHOLD
                };
                let delivery = if frame.fin && frame.length < threshold
                    || !frame.fin && threshold == NO_STREAM_THRESHOLD
                {
                    Delivery::Whole
                } else {
                    Delivery::Stream
                };
                self.message = Some((opcode, delivery));
                delivery
            }
        };
        if frame.length > config.max_payload.saturating_sub(self.message_len) {
            return Err(ProtocolError::MessageTooBig);
        }
        self.fragments += 1;
        if self.fragments > config.max_fragments {
            return Err(ProtocolError::TooManyFragments);
        }
        self.message_len += frame.length;
        if delivery == Delivery::Stream && frame.opcode != Opcode::Continuation {
            sink.emit(Event::StreamStart(frame.opcode));
        }
        Ok(delivery)
    }

    fn payload_step(
        &mut self,
        chunk: &mut [u8],
        pos: usize,
        sink: &mut impl Sink,
    ) -> Result<usize, ProtocolError> {
        let available = chunk.len() - pos;
        let n = usize::try_from(self.remaining).map_or(available, |r| r.min(available));
        let end = pos + n;
        let slice = &mut chunk[pos..end];
        if let Some(key) = self.frame.mask {
            self.phase = apply_mask(slice, key, self.phase);
        }
        self.remaining -= n as u64;
        let done = self.remaining == 0;
        // The whole payload is in this slice: report it in place, no copy.
        let in_place = done && !self.partial;
        match self.delivery {
            Delivery::Frame => {
                if n > 0 {
                    sink.emit(Event::Payload(pos, end));
                }
                if done {
                    sink.emit(Event::FrameEnd);
                }
            }
            Delivery::Control => {
                if !in_place {
                    self.control.extend_from_slice(slice);
                }
                if done {
                    let data = if in_place {
                        Data::Range(pos, end)
                    } else {
                        Data::Buffered
                    };
                    self.end_control(data, &chunk[pos..end], sink)?;
                }
            }
            Delivery::Whole | Delivery::Stream => {
                self.data_slice(slice, pos, in_place, sink)?;
            }
        }
        if done {
            if self.state != State::Closed {
                self.state = State::Header;
            }
        } else {
            self.partial = true;
        }
        Ok(end)
    }

    fn data_slice(
        &mut self,
        slice: &[u8],
        pos: usize,
        in_place: bool,
        sink: &mut impl Sink,
    ) -> Result<(), ProtocolError> {
        let Some((opcode, delivery)) = self.message else {
            return Ok(());
        };
        let end_of_message = self.remaining == 0 && self.frame.fin;
        let single_frame = self.frame.fin && self.frame.opcode != Opcode::Continuation;
        if self.compressed {
            return self.inflate_slice(slice, opcode, delivery, end_of_message, sink);
        }
        if opcode == Opcode::Text {
            self.utf8
                .feed(slice)
                .map_err(|_| ProtocolError::InvalidUtf8)?;
        }
        if delivery == Delivery::Stream {
            if !slice.is_empty() {
                sink.emit(Event::StreamData(Data::Range(pos, pos + slice.len())));
            }
        } else if !(in_place && single_frame) {
            // Room for the rest of the frame at once: growing by doubling
            // copied a 1 MiB message about twice over. Capped by what has
            // arrived, so a header alone claims little memory.
            let frame_left = usize::try_from(self.remaining)
                .unwrap_or(usize::MAX)
                .saturating_add(slice.len());
            let ahead = (self.assembly.len() + slice.len()).max(RESERVE_UNIT) * RESERVE_AHEAD;
            if frame_left <= ahead {
                self.assembly.reserve_exact(frame_left);
            } else {
                self.assembly.reserve(ahead);
            }
            self.assembly.extend_from_slice(slice);
        }
        if !end_of_message {
            return Ok(());
        }
        let range = (in_place && single_frame).then_some((pos, pos + slice.len()));
        self.end_message(opcode, delivery, range, sink)
    }

    /// The message is over: its text must end on a character boundary, and
    /// it is reported as the end of a stream, as `in_place` (a range of the
    /// chunk), or as the buffer assembled (or inflated) for it.
    fn end_message(
        &mut self,
        opcode: Opcode,
        delivery: Delivery,
        in_place: Option<(usize, usize)>,
        sink: &mut impl Sink,
    ) -> Result<(), ProtocolError> {
        if opcode == Opcode::Text {
            self.utf8.finish().map_err(|_| ProtocolError::InvalidUtf8)?;
        }
        self.message = None;
        if delivery == Delivery::Stream {
            sink.emit(Event::StreamStop);
        } else if let Some((start, end)) = in_place {
            sink.emit(Event::Message(opcode, Data::Range(start, end)));
        } else {
            let payload = std::mem::take(&mut self.assembly);
            self.completed.push_back(if opcode == Opcode::Text {
                // SAFETY: every byte of the assembly went through
                // `self.utf8` (`data_slice` and `inflate_slice` feed each
                // slice before appending it, or validate what the inflater
                // appended), which found no error and, above, ended on a
                // character boundary: the whole is valid UTF-8. The
                // assembly starts empty for each message (taken here, and
                // any error ends the connection).
                Assembled::Text(unsafe { String::from_utf8_unchecked(payload) })
            } else {
                Assembled::Bytes(payload)
            });
            sink.emit(Event::Message(opcode, Data::Buffered));
        }
        Ok(())
    }

    /// A slice of a compressed message: inflated into the assembly (whole
    /// delivery) or into a buffer of its own (streamed), never past
    /// `max_payload` inflated bytes, and validated as UTF-8 as it comes out.
    fn inflate_slice(
        &mut self,
        slice: &[u8],
        opcode: Opcode,
        delivery: Delivery,
        end_of_message: bool,
        sink: &mut impl Sink,
    ) -> Result<(), ProtocolError> {
        let Mode::Messages(config) = self.mode else {
            return Ok(());
        };
        let (bits, no_context_takeover) = self.inflate.unwrap_or((15, false));
        let inflater = self
            .inflater
            .get_or_insert_with(|| Inflater::new(bits, no_context_takeover));
        let room = config.max_payload.saturating_sub(self.inflated);
        let limit = usize::try_from(room).unwrap_or(usize::MAX);
        let mut own = Vec::new();
        let out = if delivery == Delivery::Stream {
            &mut own
        } else {
            &mut self.assembly
        };
        let start = out.len();
        // The assembly holds this message's earlier output: the limit is on
        // what this message inflates to in all.
        let limit = limit.saturating_add(start);
        let result = inflater.inflate(slice, end_of_message, out, limit);
        let produced = &out[start..];
        self.inflated += produced.len() as u64;
        if opcode == Opcode::Text {
            self.utf8
                .feed(produced)
                .map_err(|_| ProtocolError::InvalidUtf8)?;
        }
        // A stream gets what came out before an error too, as it would had
        // the bytes come in smaller pushes: any chunking, the same events.
        if delivery == Delivery::Stream && !own.is_empty() {
            self.completed.push_back(Assembled::Bytes(own));
            sink.emit(Event::StreamData(Data::Buffered));
        }
        result.map_err(|e| match e {
            InflateError::TooBig => ProtocolError::MessageTooBig,
            InflateError::Corrupt => ProtocolError::InvalidCompressedData,
        })?;
        if !end_of_message {
            return Ok(());
        }
        self.end_message(opcode, delivery, None, sink)
    }

    fn end_control(
        &mut self,
        data: Data,
        here: &[u8],
        sink: &mut impl Sink,
    ) -> Result<(), ProtocolError> {
        match self.frame.opcode {
            Opcode::Ping | Opcode::Pong => {
                if data == Data::Buffered {
                    self.completed
                        .push_back(Assembled::Bytes(std::mem::take(&mut self.control)));
                }
                sink.emit(if self.frame.opcode == Opcode::Ping {
                    Event::Ping(data)
                } else {
                    Event::Pong(data)
                });
            }
            _ => {
                let body = if data == Data::Buffered {
                    &self.control[..]
                } else {
                    here
                };
                let close = parse_close_body(body)?;
                let reason = match data {
                    Data::Range(start, end) => Data::Range(start + close.reason_start, end),
                    Data::Buffered => {
                        let reason = self.control[close.reason_start..].to_vec();
                        self.completed.push_back(Assembled::Bytes(reason));
                        Data::Buffered
                    }
                };
                self.state = State::Closed;
                sink.emit(Event::Close(close.code, reason));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deflate::{Deflater, DEFAULT_MEM_LEVEL};
    use crate::protocol::encoder::frame_to_vec;
    use crate::protocol::{DEFAULT_MAX_PAYLOAD, DEFAULT_STREAM_THRESHOLD};

    const KEY: Option<[u8; 4]> = Some([0x37, 0xfa, 0x21, 0x3d]);

    fn server() -> Decoder {
        Decoder::new(Mode::Messages(Config::new(Role::Server)))
    }

    fn frame(op: Opcode, fin: bool, payload: &[u8]) -> Vec<u8> {
        frame_to_vec(op, fin, payload, KEY).unwrap()
    }

    fn run(decoder: &mut Decoder, mut input: Vec<u8>) -> (Vec<Event>, Option<ProtocolError>) {
        let mut events = Vec::new();
        let result = decoder.push(&mut input, &mut events);
        (events, result.err())
    }

    #[test]
    fn a_small_masked_text_frame_is_one_message_in_place() {
        let mut d = server();
        let mut input = frame(Opcode::Text, true, b"Hello");
        let mut events = Vec::new();
        assert_eq!(d.push(&mut input, &mut events), Ok(11));
        assert_eq!(
            events,
            vec![Event::Message(Opcode::Text, Data::Range(6, 11))]
        );
        assert_eq!(&input[6..11], b"Hello", "unmasked in place");
    }

    #[test]
    fn a_message_split_across_pushes_is_assembled() {
        let mut d = server();
        let input = frame(Opcode::Binary, true, b"abcdef");
        let (mut a, mut b) = (input[..8].to_vec(), input[8..].to_vec());
        let mut events = Vec::new();
        d.push(&mut a, &mut events).unwrap();
        assert!(events.is_empty());
        d.push(&mut b, &mut events).unwrap();
        assert_eq!(events, vec![Event::Message(Opcode::Binary, Data::Buffered)]);
        assert_eq!(d.take().unwrap(), b"abcdef");
        assert_eq!(d.take(), None);
    }

    #[test]
    fn fragmented_messages_stream_with_control_frames_between() {
        let mut d = server();
        let mut input = frame(Opcode::Text, false, b"Hel");
        input.extend(frame(Opcode::Ping, true, b"p"));
        input.extend(frame(Opcode::Continuation, true, b"lo"));
        let (events, err) = run(&mut d, input);
        assert_eq!(err, None);
        assert_eq!(
            events,
            vec![
                Event::StreamStart(Opcode::Text),
                Event::StreamData(Data::Range(6, 9)),
                Event::Ping(Data::Range(15, 16)),
                Event::StreamData(Data::Range(22, 24)),
                Event::StreamStop,
            ]
        );
    }

    #[test]
    fn a_bad_header_fails_on_its_first_two_bytes() {
        // RSV2 and RSV3 set, masked, length 52: the masking key has not come.
        let (_, err) = run(&mut server(), vec![0x30, 0xb4]);
        assert_eq!(err, Some(ProtocolError::UnexpectedRsv23));
        // Unmasked to a server, split over two pushes of one byte.
        let mut d = server();
        assert_eq!(run(&mut d, vec![0x82]).1, None);
        assert_eq!(run(&mut d, vec![0x7e]).1, Some(ProtocolError::ExpectedMask));
        // A continuation with nothing to continue, 64-bit length pending.
        let (_, err) = run(&mut server(), vec![0x80, 0xff, 0x00]);
        assert_eq!(err, Some(ProtocolError::UnexpectedContinuation));
    }

    #[test]
    fn a_message_in_more_fragments_than_max_fragments_fails_with_1008() {
        for (streamed, threshold) in [(false, NO_STREAM_THRESHOLD), (true, 0)] {
            let mut config = Config::new(Role::Server);
            config.max_fragments = 3;
            config.stream_threshold = threshold;
            let mut d = Decoder::new(Mode::Messages(config));
            // Three frames are allowed, a control frame between them does
            // not count, and the count starts again with the next message.
            let mut input = frame(Opcode::Text, false, b"a");
            input.extend(frame(Opcode::Ping, true, b""));
            input.extend(frame(Opcode::Continuation, false, b"b"));
            input.extend(frame(Opcode::Continuation, true, b"c"));
            input.extend(frame(Opcode::Binary, false, b"a"));
            input.extend(frame(Opcode::Continuation, false, b"b"));
            input.extend(frame(Opcode::Continuation, false, b"c"));
            let (events, err) = run(&mut d, input);
            assert_eq!(err, None, "streamed: {streamed}");
            let ended = events
                .iter()
                .filter(|e| matches!(e, Event::Message(..) | Event::StreamStop))
                .count();
            assert_eq!(ended, 1, "the first message completes");
            let (_, err) = run(&mut d, frame(Opcode::Continuation, true, b"d"));
            assert_eq!(err, Some(ProtocolError::TooManyFragments));
            assert_eq!(ProtocolError::TooManyFragments.close_code(), 1008);
        }
    }

    #[test]
    fn without_a_threshold_fragments_are_assembled_into_one_message() {
        let mut config = Config::new(Role::Server);
        config.stream_threshold = NO_STREAM_THRESHOLD;
        let mut d = Decoder::new(Mode::Messages(config));
        let mut input = frame(Opcode::Text, false, b"Hel");
        input.extend(frame(Opcode::Continuation, false, b""));
        input.extend(frame(Opcode::Continuation, true, b"lo"));
        let (events, err) = run(&mut d, input);
        assert_eq!(err, None);
        assert_eq!(events, vec![Event::Message(Opcode::Text, Data::Buffered)]);
        assert_eq!(d.take().unwrap(), b"Hello");
    }

    #[test]
    fn without_a_stream_consumer_large_and_fragmented_messages_arrive_whole() {
        let mut d = server();
        d.set_streaming(false);
        let big = vec![b'x'; DEFAULT_STREAM_THRESHOLD as usize * 4];
        let mut input = frame(Opcode::Binary, true, &big);
        input.extend(frame(Opcode::Text, false, b"Hel"));
        input.extend(frame(Opcode::Continuation, true, b"lo"));
        let mut events = Vec::new();
        d.push(&mut input, &mut events).unwrap();
        assert_eq!(
            events,
            vec![
                Event::Message(Opcode::Binary, Data::Range(14, 14 + big.len())),
                Event::Message(Opcode::Text, Data::Buffered),
            ]
        );
        assert_eq!(d.take().unwrap(), b"Hello");
    }

    #[test]
    fn a_message_keeps_the_delivery_it_started_with() {
        let mut d = server();
        let (events, _) = run(&mut d, frame(Opcode::Text, false, b"Hel"));
        assert_eq!(
            events,
            vec![
                Event::StreamStart(Opcode::Text),
                Event::StreamData(Data::Range(6, 9))
            ]
        );
        d.set_streaming(false);
        let (events, err) = run(&mut d, frame(Opcode::Continuation, true, b"lo"));
        assert_eq!(err, None);
        assert_eq!(
            events,
            vec![Event::StreamData(Data::Range(6, 8)), Event::StreamStop]
        );
    }

    #[test]
    fn frames_at_or_above_the_threshold_stream() {
        let mut d = server();
        let big = vec![b'x'; DEFAULT_STREAM_THRESHOLD as usize];
        let (events, err) = run(&mut d, frame(Opcode::Binary, true, &big));
        assert_eq!(err, None);
        assert_eq!(events.first(), Some(&Event::StreamStart(Opcode::Binary)));
        assert_eq!(events.last(), Some(&Event::StreamStop));
    }

    #[test]
    fn close_frames_report_code_and_reason_and_end_decoding() {
        let mut d = server();
        let mut input = frame(Opcode::Close, true, b"\x03\xe8bye");
        input.extend(frame(Opcode::Text, true, b"ignored"));
        let (events, err) = run(&mut d, input);
        assert_eq!(err, None);
        assert_eq!(events, vec![Event::Close(1000, Data::Range(8, 11))]);
        assert!(d.is_closed());
    }

    #[test]
    fn zero_length_frames_complete_at_the_end_of_a_push() {
        let mut d = server();
        let (events, err) = run(&mut d, frame(Opcode::Text, true, b""));
        assert_eq!(err, None);
        assert_eq!(
            events,
            vec![Event::Message(Opcode::Text, Data::Range(6, 6))]
        );
        let (events, _) = run(&mut d, frame(Opcode::Close, true, b""));
        assert_eq!(events, vec![Event::Close(1005, Data::Range(6, 6))]);
    }

    #[test]
    fn stops_early_when_the_sink_is_full_and_resumes() {
        struct Small(Vec<Event>);
        impl Sink for Small {
            fn emit(&mut self, event: Event) {
                self.0.push(event);
            }
            fn has_room(&self) -> bool {
                self.0.len() < 2
            }
        }
        let mut d = server();
        let mut input = Vec::new();
        for _ in 0..5 {
            input.extend(frame(Opcode::Text, true, b"hi"));
        }
        let total = input.len();
        let mut offset = 0;
        let mut seen = 0;
        while offset < total {
            let mut sink = Small(Vec::new());
            offset += d.push(&mut input[offset..], &mut sink).unwrap();
            seen += sink.0.len();
        }
        assert_eq!(seen, 5);
    }

    #[test]
    fn frame_mode_reports_heads_payload_and_ends() {
        let mut d = Decoder::new(Mode::Frames);
        let mut input = frame_to_vec(Opcode::Binary, false, b"abc", None).unwrap();
        let mut events = Vec::new();
        d.push(&mut input, &mut events).unwrap();
        assert!(matches!(events[0], Event::Head(h) if h.length == 3 && !h.fin));
        assert_eq!(&events[1..], &[Event::Payload(2, 5), Event::FrameEnd]);
    }

    fn compressed_frame(op: Opcode, fin: bool, rsv1: bool, payload: &[u8]) -> Vec<u8> {
        let mut out = frame(op, fin, payload);
        if rsv1 {
            out[0] |= 0x40;
        }
        out
    }

    fn deflating_server(max_payload: u64, threshold: u64) -> Decoder {
        let mut config = Config::new(Role::Server);
        config.max_payload = max_payload;
        config.stream_threshold = threshold;
        let mut d = Decoder::new(Mode::Messages(config));
        d.set_inflate(15, false);
        d
    }

    fn deflated(deflater: &mut Deflater, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        deflater.deflate(data, true, &mut out);
        out
    }

    #[test]
    fn compressed_messages_are_inflated_with_the_context_kept_between_them() {
        let mut d = deflating_server(DEFAULT_MAX_PAYLOAD, NO_STREAM_THRESHOLD);
        let mut deflater = Deflater::new(15, false, 6, DEFAULT_MEM_LEVEL);
        let text = "héllo wörld ".repeat(200);
        for _ in 0..3 {
            let payload = deflated(&mut deflater, text.as_bytes());
            assert!(payload.len() < text.len() / 4);
            let (events, err) = run(&mut d, compressed_frame(Opcode::Text, true, true, &payload));
            assert_eq!(err, None);
            assert_eq!(events, vec![Event::Message(Opcode::Text, Data::Buffered)]);
            assert_eq!(d.take().unwrap(), text.as_bytes());
        }
        // An uncompressed message between compressed ones is left as it is.
        let (events, _) = run(&mut d, frame(Opcode::Text, true, b"plain"));
        assert_eq!(
            events,
            vec![Event::Message(Opcode::Text, Data::Range(6, 11))]
        );
    }

    #[test]
    fn a_compressed_message_streams_inflated_chunks_across_fragments_and_pushes() {
        let mut d = deflating_server(DEFAULT_MAX_PAYLOAD, 16);
        let mut deflater = Deflater::new(15, false, 6, DEFAULT_MEM_LEVEL);
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut first = Vec::new();
        deflater.deflate(&data[..100_000], false, &mut first);
        let mut last = Vec::new();
        deflater.deflate(&data[100_000..], true, &mut last);
        let mut input = compressed_frame(Opcode::Binary, false, true, &first);
        input.extend(compressed_frame(Opcode::Continuation, true, false, &last));
        let mut out = Vec::new();
        let mut stops = 0;
        for piece in input.chunks(1000) {
            let (events, err) = run(&mut d, piece.to_vec());
            assert_eq!(err, None);
            for event in events {
                match event {
                    Event::StreamData(Data::Buffered) => out.extend(d.take().unwrap()),
                    Event::StreamStop => stops += 1,
                    Event::StreamStart(Opcode::Binary) => {}
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        assert_eq!(stops, 1);
        assert_eq!(out, data);
    }

    #[test]
    fn rsv1_is_refused_without_the_extension_and_on_continuations() {
        let (_, err) = run(
            &mut server(),
            compressed_frame(Opcode::Text, true, true, b"x"),
        );
        assert_eq!(err, Some(ProtocolError::UnexpectedRsv1));
        let mut d = deflating_server(DEFAULT_MAX_PAYLOAD, NO_STREAM_THRESHOLD);
        let mut input = compressed_frame(Opcode::Text, false, true, b"");
        input.extend(compressed_frame(Opcode::Continuation, true, true, b""));
        let (_, err) = run(&mut d, input);
        assert_eq!(err, Some(ProtocolError::UnexpectedRsv1));
        let mut d = deflating_server(DEFAULT_MAX_PAYLOAD, NO_STREAM_THRESHOLD);
        let (_, err) = run(&mut d, compressed_frame(Opcode::Ping, true, true, b""));
        assert_eq!(err, Some(ProtocolError::UnexpectedRsv1));
    }

    #[test]
    fn a_large_message_is_assembled_in_room_of_its_own_size() {
        // 600 KiB in 8 KiB reads: growing by doubling would end at 1 MiB of
        // room, after copying what had arrived at every step.
        let payload: Vec<u8> = (0..600 * 1024_u32).map(|i| (i % 251) as u8).collect();
        let input = frame(Opcode::Binary, true, &payload);
        let mut d = server();
        d.set_streaming(false);
        let mut events = Vec::new();
        for piece in input.chunks(8 * 1024) {
            let mut piece = piece.to_vec();
            d.push(&mut piece, &mut events).unwrap();
        }
        assert_eq!(d.buffered(), payload.len());
        assert_eq!(events, vec![Event::Message(Opcode::Binary, Data::Buffered)]);
        assert_eq!(d.take().unwrap(), payload);
    }

    #[test]
    fn a_header_alone_reserves_little() {
        // A 90 MiB frame (under maxPayload) that sends 10 bytes holds room
        // for 1 MiB, not 90.
        let mut d = server();
        d.set_streaming(false);
        let mut input = frame(Opcode::Binary, true, &vec![7u8; 90 << 20]);
        input.truncate(14 + 10);
        let (events, err) = run(&mut d, input);
        assert_eq!((events, err), (vec![], None));
        assert!(
            d.buffered() <= RESERVE_UNIT * RESERVE_AHEAD,
            "{}",
            d.buffered()
        );
    }

    #[test]
    fn a_bomb_stops_at_max_payload_without_inflating_the_rest() {
        let limit = 1 << 20;
        let zeros = vec![0u8; 10_000_000];
        let payload = deflated(&mut Deflater::new(15, false, 9, DEFAULT_MEM_LEVEL), &zeros);
        assert!(
            payload.len() < 20_000,
            "10 MB of zeros deflate to {}",
            payload.len()
        );
        for threshold in [NO_STREAM_THRESHOLD, 16] {
            let mut d = deflating_server(limit, threshold);
            let (_, err) = run(
                &mut d,
                compressed_frame(Opcode::Binary, true, true, &payload),
            );
            assert_eq!(err, Some(ProtocolError::MessageTooBig));
            // What was held stays within the limit and one growth step.
            let held =
                d.assembly.capacity() + d.completed.iter().map(Assembled::capacity).sum::<usize>();
            assert!(held <= limit as usize + 64 * 1024 + 1, "held {held}");
        }
    }

    #[test]
    fn a_message_exactly_at_max_payload_inflates() {
        let data = vec![7u8; 5000];
        let payload = deflated(&mut Deflater::new(15, false, 6, DEFAULT_MEM_LEVEL), &data);
        let mut d = deflating_server(5000, NO_STREAM_THRESHOLD);
        let (events, err) = run(
            &mut d,
            compressed_frame(Opcode::Binary, true, true, &payload),
        );
        assert_eq!(
            (events, err),
            (vec![Event::Message(Opcode::Binary, Data::Buffered)], None)
        );
        assert_eq!(d.take().unwrap(), data);
        let mut d = deflating_server(4999, NO_STREAM_THRESHOLD);
        let (_, err) = run(
            &mut d,
            compressed_frame(Opcode::Binary, true, true, &payload),
        );
        assert_eq!(err, Some(ProtocolError::MessageTooBig));
    }

    #[test]
    fn corrupt_streams_and_bad_utf8_inside_compressed_text_fail_with_1007() {
        let mut d = deflating_server(DEFAULT_MAX_PAYLOAD, NO_STREAM_THRESHOLD);
        let (_, err) = run(
            &mut d,
            compressed_frame(Opcode::Binary, true, true, &[0xff; 8]),
        );
        assert_eq!(err, Some(ProtocolError::InvalidCompressedData));
        assert_eq!(ProtocolError::InvalidCompressedData.close_code(), 1007);
        let bad = deflated(
            &mut Deflater::new(15, false, 6, DEFAULT_MEM_LEVEL),
            b"ok \xc3\x28 not",
        );
        let mut d = deflating_server(DEFAULT_MAX_PAYLOAD, NO_STREAM_THRESHOLD);
        let (_, err) = run(&mut d, compressed_frame(Opcode::Text, true, true, &bad));
        assert_eq!(err, Some(ProtocolError::InvalidUtf8));
    }

    #[test]
    fn after_an_error_nothing_more_is_decoded() {
        let mut d = server();
        let (_, err) = run(
            &mut d,
            frame_to_vec(Opcode::Text, true, b"x", None).unwrap(),
        );
        assert_eq!(err, Some(ProtocolError::ExpectedMask));
        let (events, err) = run(&mut d, frame(Opcode::Text, true, b"x"));
        assert_eq!((events, err), (vec![], None));
    }

    /// `take_text` hands out a `String` made without checking (the decoder
    /// validated as the bytes came): only whole text messages may become
    /// one, and each must be exactly what was sent, however it was split.
    #[test]
    fn only_validated_text_is_taken_as_a_string() {
        let text = "héllo wörld 日本語 😀 ".repeat(40);
        let bytes = text.as_bytes();
        // Split inside a 4-byte character, across three frames and pushes.
        let cut = text.find('😀').unwrap() + 2;
        let mut d = server();
        d.set_streaming(false);
        let mut events = Vec::new();
        for (i, part) in [&bytes[..cut], &bytes[cut..cut + 5], &bytes[cut + 5..]]
            .into_iter()
            .enumerate()
        {
            let op = if i == 0 {
                Opcode::Text
            } else {
                Opcode::Continuation
            };
            events.extend(run(&mut d, frame(op, i == 2, part)).0);
        }
        let (binary, _) = run(&mut d, frame(Opcode::Binary, false, b"\xff\xfe"));
        events.extend(binary);
        events.extend(run(&mut d, frame(Opcode::Continuation, true, b"\xfd")).0);
        assert_eq!(
            events.last(),
            Some(&Event::Message(Opcode::Binary, Data::Buffered))
        );
        assert_eq!(d.take_text(), Some(Ok(text.clone())));
        assert_eq!(d.take_text(), Some(Err(b"\xff\xfe\xfd".to_vec())));
        assert_eq!(d.take_text(), None);

        // Compressed text is a string too; a bad byte inside it is not.
        let mut d = deflating_server(DEFAULT_MAX_PAYLOAD, NO_STREAM_THRESHOLD);
        let mut deflater = Deflater::new(15, false, 6, DEFAULT_MEM_LEVEL);
        let payload = deflated(&mut deflater, bytes);
        run(&mut d, compressed_frame(Opcode::Text, true, true, &payload));
        assert_eq!(d.take_text(), Some(Ok(text.clone())));
        let mut bad = bytes.to_vec();
        bad[cut] = 0xff;
        let payload = deflated(&mut deflater, &bad);
        let (_, err) = run(&mut d, compressed_frame(Opcode::Text, true, true, &payload));
        assert_eq!(err, Some(ProtocolError::InvalidUtf8));
        assert_eq!(d.take_text(), None);
    }
}
