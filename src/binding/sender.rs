//! Outgoing frames: `protocol::encoder` entry points and the masking-key pool.

use std::cell::RefCell;
use std::ptr;

use napi::bindgen_prelude::{Buffer, BufferSlice, Either};
use napi::{sys, Env, JsString, JsValue};
use napi_derive::napi;

use super::handed_over;
use crate::protocol::close::{encode_close_body, CloseBodyError};
use crate::protocol::encoder::{
    check, frame_copied, frame_in_place, frame_utf16, frame_utf16_in, EncodeError,
};
use crate::protocol::frame::{encode_header, FrameHeader, MAX_HEADER_LEN};
use crate::protocol::{apply_mask, Opcode};

/// `frame()`/`header()` flag: set FIN.
#[napi]
pub const FLAG_FIN: u32 = 1 << 4;
/// `frame()`/`header()` flag: set RSV1.
#[napi]
pub const FLAG_RSV1: u32 = 1 << 5;
/// `frame()`/`header()` flag: mask with a fresh random key.
#[napi]
pub const FLAG_MASK: u32 = 1 << 6;
/// `header()` flag: mask with the given key.
#[napi]
pub const FLAG_KEY: u32 = 1 << 7;

/// `frame()` error: a control payload over 125 bytes.
#[napi]
pub const ERR_CONTROL_TOO_LONG: i32 = -1;
/// `frame()` error: a control frame without FIN.
#[napi]
pub const ERR_FRAGMENTED_CONTROL: i32 = -2;
/// `frame()`/`header()` error: the buffer is too short.
#[napi]
pub const ERR_NO_ROOM: i32 = -3;
/// `frame()`/`header()` error: an opcode RFC 6455 does not define.
#[napi]
pub const ERR_OPCODE: i32 = -4;
/// The OS gave no random bytes for a masking key.
#[napi]
pub const ERR_RANDOM: i32 = -5;
/// `closeFrame()` error: the code may not be sent.
#[napi]
pub const ERR_CLOSE_CODE: i32 = -6;
/// `closeFrame()` error: the reason is over 123 bytes.
#[napi]
pub const ERR_CLOSE_REASON: i32 = -7;

/// Masking keys come from the OS CSPRNG, fetched 4 KiB at a time: a syscall
/// per frame would cost more than the frame.
struct KeyPool {
    bytes: [u8; 4096],
    used: usize,
}

thread_local! {
    static POOL: RefCell<KeyPool> = const { RefCell::new(KeyPool { bytes: [0; 4096], used: 4096 }) };
}

fn random_key() -> Option<[u8; 4]> {
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.used + 4 > pool.bytes.len() {
            getrandom::fill(&mut pool.bytes).ok()?;
            pool.used = 0;
        }
        let at = pool.used;
        pool.used += 4;
        let mut key = [0u8; 4];
        key.copy_from_slice(&pool.bytes[at..at + 4]);
        Some(key)
    })
}

fn encode_error(e: EncodeError) -> i32 {
    match e {
        EncodeError::ControlTooLong => ERR_CONTROL_TOO_LONG,
        EncodeError::FragmentedControl => ERR_FRAGMENTED_CONTROL,
        EncodeError::NoHeadroom => ERR_NO_ROOM,
    }
}

/// The header `flags` (opcode | `FLAG_*`) describe for `length` payload
/// bytes, checked against the rules for frames we send.
fn header_of(flags: u32, length: u64, key: u32) -> Result<FrameHeader, i32> {
    let header = FrameHeader {
        fin: flags & FLAG_FIN != 0,
        rsv1: flags & FLAG_RSV1 != 0,
        rsv2: false,
        rsv3: false,
        opcode: opcode_of(flags)?,
        mask: key_of(flags, key)?,
        length,
    };
    check(&header).map_err(encode_error)?;
    Ok(header)
}

fn opcode_of(flags: u32) -> Result<Opcode, i32> {
    Opcode::try_from((flags & 0xF) as u8).map_err(|_| ERR_OPCODE)
}

fn key_of(flags: u32, key: u32) -> Result<Option<[u8; 4]>, i32> {
    if flags & FLAG_KEY != 0 {
        Ok(Some(key.to_be_bytes()))
    } else if flags & FLAG_MASK != 0 {
        random_key().map(Some).ok_or(ERR_RANDOM)
    } else {
        Ok(None)
    }
}

/// Frames the payload at `buf[MAX_HEADER_LEN..]` in place (masking it when
/// `FLAG_MASK` is set) and returns where the frame starts in `buf`, or a
/// negative `ERR_*`. `flags` = opcode | `FLAG_*`.
#[napi(catch_unwind)]
pub fn frame(mut buf: BufferSlice, flags: u32) -> i32 {
    frame_into(&mut buf, flags)
}

/// Frames a copy of `src` into `buf`, which is `MAX_HEADER_LEN` bytes
/// longer, masking it on the way when `FLAG_MASK` is set (one pass where
/// `buf.set(src)` and then `frame()` make two); returns where the frame
/// starts in `buf`, or a negative `ERR_*`. `buf` must not overlap `src`.
#[napi(catch_unwind)]
#[allow(
    clippy::needless_pass_by_value,
    reason = "napi hands the Buffers over as owned BufferSlices (allow: the macro rewrites this fn)"
)]
pub fn frame_from(mut buf: BufferSlice, src: BufferSlice, flags: u32) -> i32 {
    let (into, from) = (buf.as_ptr_range(), src.as_ptr_range());
    if !src.is_empty() && into.start < from.end && from.start < into.end {
        return ERR_NO_ROOM;
    }
    let run = |buf: &mut [u8]| -> Result<usize, i32> {
        let opcode = opcode_of(flags)?;
        let mask = key_of(flags, 0)?;
        frame_copied(
            buf,
            &src,
            opcode,
            flags & FLAG_FIN != 0,
            flags & FLAG_RSV1 != 0,
            mask,
        )
        .map_err(encode_error)
    };
    run(&mut buf).map_or_else(|e| e, |start| i32::try_from(start).unwrap_or(ERR_NO_ROOM))
}

/// A whole frame for `string`, its UTF-8 as the payload (lone surrogates
/// as U+FFFD, as Node's encoder writes them), or a negative `ERR_*`.
/// Node's `Buffer.byteLength` and `write` read a two-byte string 2.5-6 times
/// slower (1 MiB of mixed text: 1.2 ms against 0.5). With `room`, a frame
/// that fits there (with `CONVERT_SLACK` to spare) is written at its start
/// and its length returned: a new 1 MiB frame costs more in page faults
/// than the conversion itself.
#[napi(catch_unwind)]
#[allow(
    clippy::needless_pass_by_value,
    reason = "napi hands the string over by value (allow: the macro rewrites this fn)"
)]
pub fn text_frame<'env>(
    env: &'env Env,
    string: JsString,
    flags: u32,
    room: Option<BufferSlice>,
) -> napi::Result<Either<Either<BufferSlice<'env>, Buffer>, i32>> {
    let (opcode, mask) = match opcode_of(flags).and_then(|o| Ok((o, key_of(flags, 0)?))) {
        Ok(parts) => parts,
        Err(code) => return Ok(Either::B(code)),
    };
    let (raw_env, value) = (env.raw(), string.raw());
    let mut units = 0usize;
    // SAFETY: a null buffer asks only for the length, written to `units`.
    let status = unsafe {
        sys::napi_get_value_string_utf16(raw_env, value, ptr::null_mut(), 0, &raw mut units)
    };
    if status != sys::Status::napi_ok {
        return Err(napi::Error::from_status(napi::Status::from(status)));
    }
    super::text::with_units(|scratch| {
        scratch.clear();
        scratch.reserve(units + 1);
        let mut copied = 0usize;
        // SAFETY: `scratch` has room for `units + 1` code units, the size
        // given; napi writes at most that many (the last a terminator) and
        // reports how many it wrote before the terminator.
        let status = unsafe {
            sys::napi_get_value_string_utf16(
                raw_env,
                value,
                scratch.as_mut_ptr(),
                units + 1,
                &raw mut copied,
            )
        };
        if status != sys::Status::napi_ok {
            return Err(napi::Error::from_status(napi::Status::from(status)));
        }
        // SAFETY: napi initialized the first `copied` units, at most `units`.
        unsafe { scratch.set_len(copied.min(units)) };
        let (fin, rsv1) = (flags & FLAG_FIN != 0, flags & FLAG_RSV1 != 0);
        if let Some(mut room) = room {
            match frame_utf16_in(scratch, opcode, fin, rsv1, mask, &mut room) {
                Ok(Some(len)) => return Ok(Either::B(i32::try_from(len).unwrap_or(ERR_NO_ROOM))),
                Ok(None) => {}
                Err(e) => return Ok(Either::B(encode_error(e))),
            }
        }
        let framed = frame_utf16(scratch, opcode, fin, rsv1, mask);
        match framed {
            Ok(frame) => handed_over(env, frame).map(Either::A),
            Err(e) => Ok(Either::B(encode_error(e))),
        }
    })
}

fn frame_into(buf: &mut [u8], flags: u32) -> i32 {
    let run = |buf: &mut [u8]| -> Result<usize, i32> {
        let opcode = opcode_of(flags)?;
        let mask = key_of(flags, 0)?;
        frame_in_place(
            buf,
            opcode,
            flags & FLAG_FIN != 0,
            flags & FLAG_RSV1 != 0,
            mask,
        )
        .map_err(encode_error)
    };
    run(buf).map_or_else(|e| e, |start| i32::try_from(start).unwrap_or(ERR_NO_ROOM))
}

/// Writes the header of a frame of `length` payload bytes at the start of
/// `out` and returns its length, or a negative `ERR_*`. With `FLAG_KEY` the
/// frame is masked with `key` (big-endian), with `FLAG_MASK` with a random
/// key; either way the key is the header's last 4 bytes, for `mask()`.
#[napi(catch_unwind)]
pub fn header(mut out: BufferSlice, flags: u32, length: f64, key: u32) -> i32 {
    let run = |out: &mut [u8]| -> Result<usize, i32> {
        if !(0.0..=9_007_199_254_740_991.0).contains(&length) {
            return Err(ERR_NO_ROOM);
        }
        #[expect(clippy::cast_sign_loss, reason = "range-checked just above")]
        let header = header_of(flags, length as u64, key)?;
        let mut bytes = [0u8; MAX_HEADER_LEN];
        let len = encode_header(&header, &mut bytes);
        out.get_mut(..len)
            .ok_or(ERR_NO_ROOM)?
            .copy_from_slice(&bytes[..len]);
        Ok(len)
    };
    run(&mut out).map_or_else(|e| e, |len| i32::try_from(len).unwrap_or(ERR_NO_ROOM))
}

/// Masks `buf` in place with `key` (big-endian) from byte `phase` of the
/// key, returning the phase after it.
#[napi(catch_unwind)]
pub fn mask(mut buf: BufferSlice, key: u32, phase: u32) -> u32 {
    apply_mask(&mut buf, key.to_be_bytes(), phase as usize) as u32
}

/// A whole close frame: `code` (none: an empty body) and `reason`, masked
/// when `masked`. A negative `ERR_*` when the caller's values may not be sent.
#[napi(catch_unwind)]
pub fn close_frame(code: Option<f64>, reason: Option<String>, masked: bool) -> Either<Buffer, i32> {
    let reason = reason.unwrap_or_default();
    // A JS number: only an integer in u16 range can be a code at all.
    let code = match code {
        None => None,
        Some(c) if c.fract() == 0.0 && (0.0..=65535.0).contains(&c) =>
        {
            #[expect(clippy::cast_sign_loss, reason = "range-checked in the guard")]
            Some(c as u16)
        }
        Some(_) => return Either::B(ERR_CLOSE_CODE),
    };
    let body = match encode_close_body(code, reason.as_bytes()) {
        Ok(body) => body,
        Err(CloseBodyError::ReasonTooLong) => return Either::B(ERR_CLOSE_REASON),
        Err(CloseBodyError::Code | CloseBodyError::ReasonWithoutCode) => {
            return Either::B(ERR_CLOSE_CODE)
        }
    };
    let flags = Opcode::Close as u32 | FLAG_FIN | if masked { FLAG_MASK } else { 0 };
    let mut buf = vec![0u8; MAX_HEADER_LEN + body.len()];
    buf[MAX_HEADER_LEN..].copy_from_slice(&body);
    let start = frame_into(&mut buf, flags);
    match usize::try_from(start) {
        Ok(start) => {
            buf.drain(..start);
            Either::A(buf.into())
        }
        Err(_) => Either::B(start),
    }
}

/// Frames a batch of data payloads laid out in `slab` and packs the frames
/// contiguously, in place. `records` holds `count` triples of u32 words
/// `(offset, length, flags)`: each payload sits at `offset + MAX_HEADER_LEN`
/// with `MAX_HEADER_LEN` bytes of headroom before it. Frames are written from
/// the first record's offset on; returns where the last one ends, or a
/// negative `ERR_*`. One call for every message queued in a tick.
#[napi(catch_unwind)]
#[allow(
    clippy::needless_pass_by_value,
    reason = "napi hands arguments over owned (allow: the macro rewrites this fn)"
)]
pub fn frame_batch(mut slab: BufferSlice, records: BufferSlice, count: u32) -> i64 {
    match pack_batch(&mut slab, &records, count as usize) {
        Ok(end) => i64::try_from(end).unwrap_or(i64::from(ERR_NO_ROOM)),
        Err(code) => i64::from(code),
    }
}

fn pack_batch(slab: &mut [u8], records: &[u8], count: usize) -> Result<usize, i32> {
    let word = |i: usize| -> Result<usize, i32> {
        let bytes = records.get(i * 4..i * 4 + 4).ok_or(ERR_NO_ROOM)?;
        Ok(u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize)
    };
    let mut write = if count == 0 { 0 } else { word(0)? };
    for i in 0..count {
        let (offset, length) = (word(i * 3)?, word(i * 3 + 1)?);
        let flags = word(i * 3 + 2)? as u32;
        let payload_start = offset + MAX_HEADER_LEN;
        let payload_end = payload_start + length;
        // Frames only ever move towards the start: each header is at most
        // the headroom its payload left, and records come in slab order.
        if payload_end > slab.len() || offset < write {
            return Err(ERR_NO_ROOM);
        }
        let header = header_of(flags, length as u64, 0)?;
        if header.opcode.is_control() {
            return Err(ERR_OPCODE);
        }
        if let Some(key) = header.mask {
            apply_mask(&mut slab[payload_start..payload_end], key, 0);
        }
        let mut bytes = [0u8; MAX_HEADER_LEN];
        let hlen = encode_header(&header, &mut bytes);
        slab[write..write + hlen].copy_from_slice(&bytes[..hlen]);
        slab.copy_within(payload_start..payload_end, write + hlen);
        write += hlen + length;
    }
    Ok(write)
}
