'use strict'

// Outgoing frames: payloads are laid out after MAX_HEADER_LEN bytes of
// headroom so the native side can mask in place and write the header before
// them, one call and one buffer per frame.

const native = require('./native')
const { invalidType, invalidValue } = require('./errors')
const { utf8Of } = require('./text')

const HEADROOM = native.MAX_HEADER_LEN
// Above this, an unmasked payload is written after a separate header instead
// of being copied behind one (masked payloads must be copied anyway).
const COPY_LIMIT = 8 * 1024
const PING = 0x9
// From this many UTF-16 units, strings are framed by native.textFrame.
const NATIVE_TEXT_MIN = 1024

const PAYLOAD_TYPES = 'of type string or an instance of Buffer, TypedArray, DataView or ArrayBuffer'

/** A Buffer over `data`'s bytes without copying, or null for a string. */
function bytesOf(name, data) {
  if (typeof data === 'string') return null
  if (Buffer.isBuffer(data)) return data
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  if (data instanceof ArrayBuffer) return Buffer.from(data)
  throw invalidType(name, PAYLOAD_TYPES, data)
}

/**
 * Encodes one frame. `flags` is the opcode or'ed with native.FLAG_*; `data`
 * a string or what bytesOf() returned. Returns the frame (a Buffer, or
 * [header, payload] for a large unmasked payload) or a negative native
 * ERR_* code. A payload that must be copied (masked, small, or a string's
 * UTF-8) is copied into `room` when given and large enough, else into a new
 * Buffer.
 */
function encode(flags, data, room = null) {
  if (typeof data === 'string') data = utf8Of(data)
  if (typeof data === 'string') {
    // Read out and encoded in Rust: Node's encoder is 2.5-6x slower on a
    // two-byte string (and no faster on an ASCII one).
    if (data.length >= NATIVE_TEXT_MIN) {
      const frame = native.textFrame(data, flags, room)
      // A length: the frame was written at the start of `room`.
      return typeof frame === 'number' && frame > 0 ? room.subarray(0, frame) : frame
    }
    const length = Buffer.byteLength(data)
    const buf = Buffer.allocUnsafe(HEADROOM + length)
    buf.write(data, HEADROOM, length, 'utf8')
    const start = native.frame(buf, flags)
    return start < 0 ? start : buf.subarray(start)
  }
  if (data.length >= COPY_LIMIT && (flags & native.FLAG_MASK) === 0) {
    const head = Buffer.allocUnsafe(HEADROOM)
    const n = native.header(head, flags, data.length, 0)
    return n < 0 ? n : [head.subarray(0, n), data]
  }
  // Copied and masked in one pass.
  const need = HEADROOM + data.length
  const buf =
    room !== null && room.length >= need ? room.subarray(0, need) : Buffer.allocUnsafe(need)
  const start = native.frameFrom(buf, data, flags)
  return start < 0 ? start : buf.subarray(start)
}

/**
 * Writes a frame (a Buffer, or its parts in order, as encode() or Stream
 * make them) to `target`; returns target.write()'s answer.
 */
function writeFrame(target, frame, callback) {
  if (Buffer.isBuffer(frame)) return target.write(frame, callback)
  target.cork()
  for (let i = 0; i < frame.length - 1; i++) target.write(frame[i])
  const ok = target.write(frame[frame.length - 1], callback)
  target.uncork()
  return ok
}

/** The ping frame of `message` (at most 125 bytes); `maskFlag`: native.FLAG_MASK or 0. */
function pingFrame(message, maskFlag) {
  const bytes = bytesOf('message', message)
  const frame = encode(PING | native.FLAG_FIN | maskFlag, bytes ?? message)
  if (frame === native.ERR_CONTROL_TOO_LONG) {
    const length = bytes === null ? Buffer.byteLength(message) : bytes.length
    throw invalidValue('message', `at most ${native.MAX_CONTROL_PAYLOAD} bytes`, `${length} bytes`)
  }
  return frame
}

/**
 * The close frame for `close(code, reason)`, `close(reason)` (code 1000) or
 * `close()`: arguments checked here, the code's and reason's rules in Rust.
 */
function closeFrame(code, reason, masked) {
  if (typeof code === 'string' && reason === undefined) {
    reason = code
    code = 1000
  }
  if (code !== undefined && typeof code !== 'number') {
    throw invalidType('code', 'of type number', code)
  }
  if (reason !== undefined && typeof reason !== 'string') {
    throw invalidType('reason', 'of type string', reason)
  }
  if (code === undefined && reason !== undefined) code = 1000
  const frame = native.closeFrame(code, reason, masked)
  if (frame === native.ERR_CLOSE_REASON) {
    throw invalidValue('reason', 'at most 123 bytes of UTF-8', `${Buffer.byteLength(reason)} bytes`)
  }
  if (typeof frame === 'number') throw invalidValue('code', 'a sendable close code', code)
  return frame
}

module.exports = { HEADROOM, bytesOf, encode, writeFrame, pingFrame, closeFrame, PAYLOAD_TYPES }
