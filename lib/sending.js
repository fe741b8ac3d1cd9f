'use strict'

// The outgoing side of a Socket: whole messages, the one outgoing stream
// that may be open, the messages waiting behind it, and control frames,
// in the order RFC 6455 allows (a message's frames are never interleaved
// with another message's; control frames may go between them).

const native = require('./native')
const Outbox = require('./outbox')
const { writeFrame } = require('./frames')

const TEXT = 0x1
const BINARY = 0x2
const CONTINUATION = 0x0

const { FLAG_FIN } = native

class Sending {
  #source
  #outbox
  #maskFlag
  #opcode
  #streaming = false
  // Messages and shared frames sent while a stream is open: [flags, data],
  // or [null, frame] for an already encoded frame.
  #backlog = []

  /**
   * `maskFlag`: native.FLAG_MASK or 0; `opcode`: the Socket's `opcode` option
   * (undefined: by payload type).
   */
  constructor(source, maskFlag, opcode) {
    this.#source = source
    this.#outbox = new Outbox(source)
    this.#maskFlag = maskFlag
    this.#opcode = opcode
  }

  /** Whether an outgoing stream is open. */
  get streaming() {
    return this.#streaming
  }

  /** Bytes queued here and not yet written to the source. */
  get queuedBytes() {
    let queued = this.#outbox.queuedBytes
    for (const [, data] of this.#backlog) {
      queued += typeof data === 'string' ? Buffer.byteLength(data) : data.length
    }
    return queued
  }

  /**
   * One whole message (`bytes`: bytesOf(data), null for a string). Returns
   * whether the source took it without asking to wait; false too when it
   * waits behind an open stream.
   */
  message(data, bytes) {
    const opcode = this.#opcode ?? (bytes === null ? TEXT : BINARY)
    const flags = opcode | FLAG_FIN | this.#maskFlag
    if (this.#streaming) {
      this.#backlog.push([flags, bytes ?? data])
      return false
    }
    return this.#outbox.push(flags, bytes ?? data)
  }

  /** An already encoded data frame (the same bytes for many sockets). */
  frame(frame) {
    if (this.#streaming) {
      this.#backlog.push([null, frame])
      return false
    }
    return this.control(frame)
  }

  /** A control frame: it goes now, after the data frames queued before it. */
  control(frame) {
    this.#outbox.flush()
    return writeFrame(this.#source, frame)
  }

  /**
   * A fragment of the outgoing stream, opening it if needed. Without an
   * `opcode` option the stream's type is text for a string and, for bytes,
   * `echoOpcode` (the type of a message being received as a stream, so that
   * piping it back keeps its type) or binary.
   */
  fragment(data, bytes, echoOpcode) {
    let opcode = CONTINUATION
    if (!this.#streaming) {
      this.#streaming = true
      opcode = this.#opcode ?? (bytes === null ? TEXT : echoOpcode || BINARY)
    }
    return this.#outbox.push(opcode | this.#maskFlag, bytes ?? data)
  }

  /**
   * The final frame of the open stream, then what waited behind it. Returns
   * [the final frame's write result, whether anything had waited].
   */
  end() {
    this.#streaming = false
    const ok = this.#outbox.push(CONTINUATION | FLAG_FIN | this.#maskFlag, '')
    const backlog = this.#backlog
    this.#backlog = []
    for (const [flags, data] of backlog) {
      if (flags === null) this.control(data)
      else this.#outbox.push(flags, data)
    }
    return [ok, backlog.length > 0]
  }

  /** An empty message of type `echoOpcode` (or binary), as a piped empty stream sends. */
  empty(echoOpcode) {
    const opcode = this.#opcode ?? (echoOpcode || BINARY)
    return this.#outbox.push(opcode | FLAG_FIN | this.#maskFlag, Buffer.alloc(0))
  }

  /** The connection failed or closed: the open stream gets no more frames, nothing waits. */
  stop() {
    this.#streaming = false
    this.#backlog = []
  }
}

module.exports = Sending
