'use strict'

// The read side of the native boundary: one push per socket chunk, then a
// synchronous walk over the packed result records.

const native = require('./native')
const { WebSocketError } = require('./errors')
const { textOf, textAt, received } = require('./text')
const Outbox = require('./outbox')
const { kRecord } = require('./keys')

const {
  EVENT_MESSAGE,
  EVENT_STREAM_START,
  EVENT_STREAM_DATA,
  EVENT_PING,
  EVENT_PONG,
  EVENT_CLOSE,
  EVENT_ERROR,
  BUFFERED,
} = native

const TEXT = 0x1

// Result records per push: 64 records of 4 words, plus the end word.
const RESULT_WORDS = 260

// Result arrays, shared by all sockets: one is held only during a feed. A
// listener may feed another socket synchronously (an in-memory pair), so a
// nested feed takes another array.
// Each entry: [words, a Buffer over the same memory for the native side].
const freeResults = []
const takeResults = () => {
  if (freeResults.length > 0) return freeResults.pop()
  const words = new Uint32Array(RESULT_WORDS)
  return [words, Buffer.from(words.buffer)]
}

// The UTF-8 of the last text message takeText() made a string of, shared
// by all sockets; as large as what the Outbox copies at once, since the
// bytes stand in for the string when it is sent on (see text.received()).
const TAKEN = Buffer.allocUnsafeSlow(Outbox.COPIED)

// The last Receiver arguments seen: a Server's sockets share one array.
let lastConfig = []
const configOf = (...config) => {
  if (config.some((value, i) => value !== lastConfig[i])) lastConfig = config
  return lastConfig
}

class Decoding {
  // The native Receiver, made by the first read: an idle socket (one that
  // is only written to) costs no native state (see benches/e2e/idle.js).
  #receiver = null
  // Its arguments: [mode, maxPayload, streamThreshold, maxFragments].
  #config
  #streaming = true
  // A record's listener made the peer write to us synchronously (an
  // in-memory pair): its chunks wait for the current push, to keep order.
  #pushing = false
  // Chunks that came during a push; null (no array per socket) until then.
  #waiting = null
  /** Bytes received (Socket.stats). */
  bytesIn = 0

  /** `mode`: 0 server messages, 1 client messages, 2 frames (see native Receiver). */
  constructor(mode, maxPayload, streamThreshold, maxFragments) {
    this.#config = configOf(mode, maxPayload, streamThreshold, maxFragments)
  }

  #native() {
    if (this.#receiver !== null) return this.#receiver
    const receiver = new native.Receiver(...this.#config)
    if (!this.#streaming) receiver.setStreaming(false)
    return (this.#receiver = receiver)
  }

  /** permessage-deflate was agreed (`agreement` from the handshake); `mode` as in the constructor. */
  setInflate(agreement, mode) {
    this.#native().setInflate(agreement, mode)
  }

  /**
   * Whether streamed messages have a consumer; without one every message
   * arrives whole. Crosses to native only when the answer changes.
   */
  setStreaming(streaming) {
    if (streaming === this.#streaming) return
    this.#streaming = streaming
    this.#receiver?.setStreaming(streaming)
  }

  /** Bytes held for messages being assembled (see native Receiver). */
  get buffered() {
    return this.#receiver === null ? 0 : this.#receiver.buffered
  }

  /** The next payload a BUFFERED record announced. */
  take() {
    return this.#receiver.take()
  }

  /** take() for a text message, as a string. */
  #takeText() {
    const receiver = this.#receiver
    const taken = receiver.takeText(TAKEN)
    if (typeof taken !== 'string') return textOf(taken)
    // Bytes past TAKEN's size were held natively instead of copied.
    const length = receiver.takenLength
    return received(taken, length <= TAKEN.length ? TAKEN.subarray(0, length) : receiver.takeHeld())
  }

  /**
   * A message-mode record as `[kind, data, c]`: the string or Buffer of a
   * message, a stream's opcode or bytes, a ping's or pong's Buffer, a close
   * reason (c: its code), or a WebSocketError.
   */
  item(buf, head, a, b, c) {
    const kind = head & 0xff
    const buffered = (head & BUFFERED) !== 0
    switch (kind) {
      case EVENT_MESSAGE: {
        const text = ((head >> 8) & 0xf) === TEXT
        if (buffered) return [kind, text ? this.#takeText() : this.take(), c]
        return [kind, text ? textAt(buf, a, b) : buf.subarray(a, b), c]
      }
      case EVENT_STREAM_START:
        return [kind, (head >> 8) & 0xf, c]
      case EVENT_STREAM_DATA:
        return [kind, buffered ? this.take() : buf.subarray(a, b), c]
      case EVENT_PING:
      case EVENT_PONG:
        return [kind, buffered ? this.take() : buf.subarray(a, b), c]
      case EVENT_CLOSE:
        return [kind, (buffered ? this.take() : buf.subarray(a, b)).toString('utf8'), c]
      case EVENT_ERROR:
        return [kind, WebSocketError.fromNative(a, b), c]
      default:
        return [kind, undefined, c]
    }
  }

  /**
   * A chunk from the socket, decoded for `owner` (see feed()) unless
   * another is being decoded. `streaming`: whether streamed messages have a
   * consumer now (see setStreaming()).
   */
  push(chunk, streaming, owner) {
    this.bytesIn += chunk.length
    if (this.#pushing) {
      this.#waiting ??= []
      this.#waiting.push(chunk)
      return
    }
    this.#pushing = true
    this.setStreaming(streaming)
    try {
      this.feed(chunk, owner)
      while (this.#waiting !== null && this.#waiting.length > 0) {
        this.feed(this.#waiting.shift(), owner)
      }
    } finally {
      this.#pushing = false
    }
  }

  /**
   * Decodes `chunk` (unmasking it in place) and calls
   * `owner[kRecord](view, head, a, b, c)` for each record, in order; `view`
   * is the part of the chunk the record's offsets refer to. (A method, not
   * a callback: a closure per socket cost every idle socket memory.)
   */
  feed(chunk, owner) {
    if (!Buffer.isBuffer(chunk)) chunk = Buffer.from(chunk)
    const receiver = this.#native()
    const results = takeResults()
    const [words, bytes] = results
    try {
      let offset = 0
      while (offset < chunk.length) {
        const view = offset === 0 ? chunk : chunk.subarray(offset)
        const consumed = receiver.push(view, bytes)
        for (let i = 0; words[i] !== 0; i += 4)
          owner[kRecord](view, words[i], words[i + 1], words[i + 2], words[i + 3])
        offset += consumed
        if (consumed === 0) break
      }
    } finally {
      freeResults.push(results)
    }
  }
}

module.exports = Decoding
