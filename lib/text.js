'use strict'

// Text payloads between UTF-8 and JS strings, where Node's own paths are
// slowest: decoding is done in Rust (simdutf), and a string that is sent
// back as it arrived (an echo, a relay, a broadcast of what a client said)
// is not encoded again: the bytes it was decoded from are sent instead.

const native = require('./native')

// From this size, text becomes a string faster in Rust (simdutf) than with
// Buffer#toString: 3.1x at 1 KiB of mixed text and no slower for ASCII;
// below it, the native call costs more than it saves (measured with
// scratch timings of both at 256 B to 1 MiB).
const NATIVE_TEXT_MIN = 1024

// The last message decoded here, with its bytes, kept until the event loop
// turns. The bytes are never shown to the application: a text payload is
// either assembled by the decoder or a part of a read chunk the decoder
// already owns (it unmasks in place).
let lastString = null
let lastBytes = null
let clearScheduled = false
const clear = () => {
  lastString = null
  lastBytes = null
  clearScheduled = false
}

/**
 * A UTF-8 payload (already validated) as a string; from NATIVE_TEXT_MIN on,
 * its bytes stand in for the string if it is sent on in this turn of the
 * event loop.
 */
function textOf(bytes) {
  if (bytes.length < NATIVE_TEXT_MIN) return bytes.toString('utf8')
  return received(native.utf8ToString(bytes), bytes)
}

/**
 * Remembers that `string` arrived as `bytes`, which then stand in for it if
 * it is sent on in this turn of the event loop; returns `string`. `bytes`
 * may be a view of a scratch buffer (Decoding's TAKEN) when whoever writes
 * that scratch calls this right after each write, so the bytes always hold
 * the remembered string's UTF-8, and when the scratch is no larger than
 * what every caller of utf8Of() copies before returning (Outbox.COPIED).
 */
function received(string, bytes) {
  lastString = string
  lastBytes = bytes
  if (!clearScheduled) {
    clearScheduled = true
    setImmediate(clear)
  }
  return string
}

/** `textOf(buf.subarray(start, end))`, without the view for short text. */
function textAt(buf, start, end) {
  if (end - start < NATIVE_TEXT_MIN) return buf.toString('utf8', start, end)
  return textOf(buf.subarray(start, end))
}

/**
 * The UTF-8 bytes of `string` when it is a message just received, else
 * `string` itself. (Comparing with a string of another length costs nothing;
 * with an equal one, a comparison far cheaper than encoding.)
 */
function utf8Of(string) {
  return lastString !== null && string === lastString ? lastBytes : string
}

module.exports = { textOf, textAt, utf8Of, received }
