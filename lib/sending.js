'use strict'

// The outgoing side of a Socket: whole messages, the one outgoing stream
// that may be open, the messages waiting behind it, and control frames,
// in the order RFC 6455 allows (a message's frames are never interleaved
// with another message's; control frames may go between them).

const native = require('./native')
const Outbox = require('./outbox')
const { utf8Of } = require('./text')
const SharedFragment = require('./shared-fragment')

const TEXT = 0x1
const BINARY = 0x2
const CONTINUATION = 0x0

const { FLAG_FIN, FLAG_RSV1 } = native

// The empty queue every socket shares until it has something to queue.
const NONE = Object.freeze([])
// The payload of empty frames (a stream's final frame): an empty string
// would go through Outbox's text path, utf8Write included.
const NO_BYTES = Buffer.alloc(0)
// Scratch for one message at a time, shared by all sockets: a string's
// UTF-8 on its way into the compressor (it reads it before returning), and
// the compressed payload of a whole message on its way into the Outbox
// (which copies one this small before push returns). A Buffer per message
// for either, the compressed one with a native finalizer, cost 10% of a
// compressed 1 KiB echo's CPU (deflate-1k A/B: 91 against 101 us a message).
const UNCOMPRESSED = Buffer.allocUnsafeSlow(16 * 1024)
const COMPRESSED = Buffer.allocUnsafeSlow(Outbox.COPIED)

class Sending {
  #source
  #outbox
  #maskFlag
  #opcode
  #compression
  #streaming = false
  #streamOpcode = CONTINUATION
  // Compressed fragments of this tick, not yet deflated: Buffers, and
  // SharedFragments from Server.write.
  // Empty queues share NONE until something waits (an idle socket holds no arrays).
  #pending = NONE
  #pendingScheduled = false
  // Messages and shared frames sent while a stream is open: [flags, data],
  // or [null, frame] for an already encoded frame.
  #backlog = NONE
  #backlogBytes = 0
  // The source is corked until the end of this tick (see frame()).
  #corked = false
  /** Data messages sent (Socket.stats). */
  messagesOut = 0
  /** Payload bytes this socket compressed, before and after (Socket.stats). */
  plainOut = 0
  deflatedOut = 0

  /**
   * `maskFlag`: native.FLAG_MASK or 0; `opcode`: the Socket's `opcode` option
   * (undefined: by payload type); `compression`: compressionOf()'s answer;
   * `maxQueued`: the Socket's `maxBackpressure`.
   */
  constructor(source, maskFlag, opcode, compression, maxQueued) {
    this.#source = source
    this.#outbox = new Outbox(source, maxQueued)
    this.#maskFlag = maskFlag
    this.#opcode = opcode
    this.#compression = compression
  }

  /** native.FLAG_MASK or 0: whether this side masks its frames. */
  get maskFlag() {
    return this.#maskFlag
  }

  /**
   * Sockets with the same key send a whole message as the same bytes
   * (Server.broadcast): `''` when this one does not compress, a key when it
   * compresses each message on its own, null when it keeps a context of
   * its own and must compress for itself.
   */
  get shareKey() {
    return this.#compression === null ? '' : this.#compression.shareKey
  }

  /**
   * The compressed payload of a whole message (a string or bytes), or null
   * when it goes uncompressed: below the threshold, or no extension.
   * `pushed`: the payload goes straight into Outbox.push(), so a small one
   * may be a view of COMPRESSED.
   */
  compressed(data, pushed = false) {
    const compression = this.#compression
    if (compression === null) return null
    let bytes = typeof data === 'string' ? utf8Of(data) : data
    if (typeof bytes === 'string') {
      // A string's UTF-8 has at least one byte and at most 3 per UTF-16
      // unit: only a string between the two bounds is measured, and only
      // one that will be compressed is encoded (here, not again by Outbox).
      const { threshold } = compression
      if (bytes.length * 3 < threshold) return null
      if (bytes.length < threshold && Buffer.byteLength(bytes) < threshold) return null
      bytes =
        bytes.length * 3 <= UNCOMPRESSED.length
          ? UNCOMPRESSED.subarray(0, UNCOMPRESSED.utf8Write(bytes, 0))
          : Buffer.from(bytes)
    }
    if (bytes.length < compression.threshold) return null
    let payload
    if (pushed) {
      const deflated = compression.deflate.deflateWhole(bytes, COMPRESSED)
      payload = typeof deflated === 'number' ? COMPRESSED.subarray(0, deflated) : deflated
    } else {
      payload = compression.deflate.deflate(bytes, true)
    }
    this.#deflated(bytes.length, payload.length)
    return payload
  }
  /** Whether an outgoing stream is open. */
  get streaming() {
    return this.#streaming
  }

  /** Bytes written to the source (Socket.stats). */
  get bytesOut() {
    return this.#outbox.bytesOut
  }

  /** Bytes queued here and not yet written to the source. */
  get queuedBytes() {
    let queued = this.#outbox.queuedBytes + this.#backlogBytes
    for (const chunk of this.#pending) queued += chunk.length
    return queued
  }

  /**
   * One whole message (`bytes`: bytesOf(data), null for a string). Returns
   * whether the source took it without asking to wait; false too when it
   * waits behind an open stream.
   */
  message(data, bytes) {
    const opcode = this.#opcode ?? (bytes === null ? TEXT : BINARY)
    return this.whole(opcode | FLAG_FIN | this.#maskFlag, bytes ?? data)
  }

  /** A whole data message with its frame flags (mask included): compressed here if it should be. */
  whole(flags, data) {
    this.messagesOut++
    if (this.#streaming) {
      this.#wait(flags, data)
      return false
    }
    return this.#push(flags, data)
  }

  /** Keeps a message or frame until the open stream ends. */
  #wait(flags, data) {
    if (this.#backlog === NONE) this.#backlog = []
    this.#backlog.push([flags, data])
    this.#backlogBytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length
  }

  #push(flags, data) {
    // Compressed in the order the frames go out: with context takeover, the
    // peer's inflater sees the messages in that order.
    const compressed = this.compressed(data, true)
    if (compressed === null) return this.#outbox.push(flags, data)
    return this.#outbox.push(flags | FLAG_RSV1, compressed)
  }

  /**
   * An already encoded data frame (the same bytes for many sockets). The
   * source stays corked until the end of the tick: the frames a tick
   * publishes or broadcasts to this socket go out in one writev instead of
   * a write each (a write costs a syscall, most of a fan-out's time).
   */
  frame(frame) {
    this.messagesOut++
    if (this.#streaming) {
      this.#wait(null, frame)
      return false
    }
    this.#corkForTick()
    return this.control(frame)
  }

  #corkForTick() {
    if (this.#corked || typeof this.#source.cork !== 'function') return
    this.#corked = true
    this.#source.cork()
    queueMicrotask(
      (this.#uncork ??= () => {
        this.#corked = false
        this.#source.uncork()
      }),
    )
  }

  // Microtasks made on first use: an idle socket holds no closures.
  #uncork = null

  /** A control frame: it goes now, after the data frames queued before it. */
  control(frame) {
    return this.#outbox.direct(frame)
  }

  #deflated(plain, deflated) {
    this.plainOut += plain
    this.deflatedOut += deflated
  }

  /**
   * A fragment of the outgoing stream, opening it if needed. Without an
   * `opcode` option the stream's type is text for a string and, for bytes,
   * `echoOpcode` (the type of a message being received as a stream, so that
   * piping it back keeps its type) or binary.
   */
  fragment(data, bytes, echoOpcode) {
    this.#open(bytes === null, echoOpcode)
    if (this.#compression !== null) {
      // Compressed fragments wait for the end of the tick and go out as one
      // frame: a sync flush per small fragment (a stream piped back chunk by
      // chunk) cost 40 us each and inflated the output.
      this.#pend(bytes ?? Buffer.from(data))
      return this.#outbox.accepting()
    }
    return this.#outbox.push(this.#nextStreamFlags() | this.#maskFlag, bytes ?? data)
  }

  /**
   * A SharedFragment of Server.write's stream, for a socket that compresses
   * with a share key; `text`: the stream is text unless already open.
   */
  sharedFragment(fragment, text, echoOpcode) {
    this.#open(text, echoOpcode)
    if (this.#pending.at(-1) !== fragment) this.#pend(fragment)
    return this.#outbox.accepting()
  }

  #open(text, echoOpcode) {
    if (this.#streaming) return
    this.#streaming = true
    this.#streamOpcode = this.#opcode ?? (text ? TEXT : echoOpcode || BINARY)
  }

  #pend(item) {
    if (this.#pending === NONE) this.#pending = []
    this.#pending.push(item)
    if (!this.#pendingScheduled) {
      this.#pendingScheduled = true
      queueMicrotask((this.#flushPending ??= () => this.#flushPendingNow()))
    }
  }

  /** The opcode bits of the stream's next frame: its type first, then continuation. */
  #nextStreamFlags() {
    const flags = this.#streamOpcode
    this.#streamOpcode = CONTINUATION
    return flags
  }

  #flushPending = null

  #flushPendingNow() {
    this.#pendingScheduled = false
    if (this.#streaming && this.#pending.length > 0) this.#compressedFragments(false)
  }

  /**
   * What waited this tick, compressed: the socket's own chunks in a row as
   * one frame, each shared fragment as a frame of its own (the final frame
   * when `fin`).
   */
  #compressedFragments(fin) {
    const pending = this.#pending
    this.#pending = NONE
    const { deflate } = this.#compression
    const payloads = []
    let run = []
    for (const item of pending) {
      if (item instanceof SharedFragment) {
        if (run.length > 0) payloads.push(this.#deflateRun(deflate, run, false))
        run = []
        payloads.push(item.payloadWith(deflate))
      } else {
        run.push(item)
      }
    }
    if (run.length > 0 || fin) payloads.push(this.#deflateRun(deflate, run, fin))
    let ok = true
    for (let i = 0; i < payloads.length; i++) {
      const opcode = this.#nextStreamFlags()
      let flags = opcode | this.#maskFlag
      // RSV1 marks the message's first frame only (RFC 7692 §6.1).
      if (opcode !== CONTINUATION) flags |= FLAG_RSV1
      if (fin && i === payloads.length - 1) flags |= FLAG_FIN
      ok = this.#outbox.push(flags, payloads[i])
    }
    return ok
  }

  #deflateRun(deflate, run, fin) {
    const plain = joined(run)
    const payload = deflate.deflate(plain, fin)
    this.#deflated(plain.length, payload.length)
    return payload
  }

  /**
   * The final frame of the open stream, then what waited behind it. Returns
   * [the final frame's write result, whether anything had waited].
   */
  end() {
    this.messagesOut++
    this.#streaming = false
    const ok =
      this.#compression !== null
        ? this.#compressedFragments(true)
        : this.#outbox.push(this.#nextStreamFlags() | FLAG_FIN | this.#maskFlag, NO_BYTES)
    const backlog = this.#backlog
    this.#backlog = NONE
    this.#backlogBytes = 0
    for (const [flags, data] of backlog) {
      if (flags === null) this.control(data)
      else this.#push(flags, data)
    }
    return [ok, backlog.length > 0]
  }

  /** An empty message of type `echoOpcode` (or binary), as a piped empty stream sends. */
  empty(echoOpcode) {
    this.messagesOut++
    const opcode = this.#opcode ?? (echoOpcode || BINARY)
    return this.#outbox.push(opcode | FLAG_FIN | this.#maskFlag, NO_BYTES)
  }

  /** The connection failed or closed: the open stream gets no more frames, nothing waits. */
  stop() {
    this.#streaming = false
    this.#pending = NONE
    this.#backlog = NONE
    this.#backlogBytes = 0
  }

  /** The source closed: nothing more goes out, and the slab is let go. */
  sourceClosed() {
    this.stop()
    this.#outbox.release()
  }
}

function joined(chunks) {
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)
}

module.exports = Sending
