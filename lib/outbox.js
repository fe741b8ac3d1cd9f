'use strict'

// Outgoing data frames, batched: payloads queue in a slab with headroom
// before each, and one native call per tick (a microtask) frames them all in
// place and packs them into one contiguous buffer for one write. A small
// message then costs a copy and a few stores instead of a native call, an
// allocation and a write of its own.

const net = require('node:net')

const native = require('./native')
const { HEADROOM, encode, writeFrame } = require('./frames')
const { utf8Of } = require('./text')

// A socket's slab fits what it sends: it starts at the size of its first
// frame (rounded up to a power of two, at least MIN_SLAB: small ones are
// slices of Node's shared 8 KiB pool) and doubles, up to SLAB, each time a
// frame finds it full. It is kept across ticks (allocating per tick cost
// 11% of small-p1, and small slabs that churn cost 12-15% of small-p16, in
// A/B runs), but only while the socket keeps sending: one that sent nothing
// for a sweep or two of SLAB_SWEEP ms lets it go. (A fixed 4 KiB first slab
// left 2 sockets per 8 KiB pool, and 10,000 sockets that each sent a welcome
// 3.5 KiB of RSS each; a 64 KiB second slab was what one 5 KiB message cost.)
const MIN_SLAB = 128
const SLAB = 64 * 1024
const SLAB_SWEEP = 1000
// Payloads larger than this skip the slab (encode() handles them directly).
const SMALL = 8 * 1024
const MAX_RECORDS = 256
// The largest frame #large() copies into a spare buffer kept for the next.
const SPARE_MAX = 4 * 1024 * 1024
// Frames smaller than this wait in the corked target for the tick's flush;
// larger ones leave at once (see direct()).
const CORK_FRAME_MAX = 256 * 1024
// What a target corked by us may hold and still count as taking more (see
// accepting()): as much as the fragments of a few full reads, which wait
// together for one flush (see endRead).
const CORKED_BYTES = 1024 * 1024
// What libuv asks Node to read into at a time (the size of a full read).
const FULL_READ = 64 * 1024

/** The next slab's size: room for `need` bytes, and twice the `previous` one's. */
function slabSize(need, previous) {
  let size = previous === 0 ? MIN_SLAB : Math.min(SLAB, previous * 2)
  while (size < need) size *= 2
  return size
}

// Record arrays, shared: a socket holds one only between its first queued
// frame and the flush, so idle sockets hold none.
// Each entry: [records, a Buffer over the same memory for the native side].
const freeRecords = []
const takeRecords = () => {
  if (freeRecords.length > 0) return freeRecords.pop()
  const records = new Uint32Array(MAX_RECORDS * 3)
  return [records, Buffer.from(records.buffer)]
}

class Outbox {
  #target
  #slab = null
  #used = 0
  #records = null
  #recordBytes = null
  #count = 0
  #queuedBytes = 0
  #scheduled = false
  #corked = false
  // The target was not waiting for a drain when we corked it.
  #freeWhenCorked = false
  // Whether a write the target completed is in the kernel (see #rewind).
  #rewinds
  // Frames were queued since the last slab sweep.
  #sentSinceSweep = false
  // What the corked target may hold and still take more (see accepting()).
  #corkedBytes
  /** Bytes handed to the target, frame headers included (Socket.stats). */
  bytesOut = 0

  /**
   * `maxQueued`: what the target may hold before a send fails the socket
   * (its `maxBackpressure`); accepting() says no before that.
   */
  constructor(target, maxQueued) {
    this.#target = target
    this.#corkedBytes = Math.min(CORKED_BYTES, maxQueued)
    // A TCP socket has handed a completed write to the kernel; any other
    // stream may still hold the chunk (an in-memory pair passes it on).
    this.#rewinds = target instanceof net.Socket && !target.encrypted
  }

  /**
   * Payloads up to this many bytes are copied before push() returns, so
   * they may be views of memory the caller reuses.
   */
  static COPIED = SMALL

  /** Queues a data frame: `flags` = opcode | native.FLAG_*, `data` a string or Buffer. */
  push(flags, data) {
    if (typeof data === 'string') data = utf8Of(data)
    const text = typeof data === 'string'
    // A string's UTF-8 length is at least its UTF-16 length and at most three
    // times it: Node counts it only when that decides (it reads slowly).
    const bound = text
      ? data.length <= 256
        ? data.length * 3
        : data.length > SMALL
          ? data.length
          : Buffer.byteLength(data)
      : data.length
    if (bound > SMALL) {
      if (bound >= CORK_FRAME_MAX) return this.#large(flags, data)
      return this.direct(encode(flags, data))
    }
    if (this.#slab === null || this.#used + HEADROOM + bound > this.#slab.length) {
      const previous = this.#slab === null ? 0 : this.#slab.length
      this.flush()
      // The slab's bytes may still be queued in the target (see #rewind).
      this.#slab = Buffer.allocUnsafe(slabSize(HEADROOM + bound, previous))
      this.#used = 0
      if (previous === 0) Outbox.#hold(this)
    }
    if (this.#records === null) [this.#records, this.#recordBytes] = takeRecords()
    const at = this.#used + HEADROOM
    let length = data.length
    if (text) length = this.#slab.utf8Write(data, at)
    else this.#slab.set(data, at)
    const r = this.#count * 3
    this.#records[r] = this.#used
    this.#records[r + 1] = length
    this.#records[r + 2] = flags
    this.#used = at + length
    this.#queuedBytes += length
    if (++this.#count === MAX_RECORDS) {
      this.flush()
    } else {
      this.#schedule()
    }
    return this.accepting()
  }

  /**
   * A frame large enough to leave at once (see direct()). One that must be
   * copied (a string's UTF-8, or masked: a client's) is copied into the
   * spare buffer, and the spare is kept for the next such frame when the
   * kernel took this one whole: a new 1 MiB buffer per message cost a
   * client a third of its page faults (glibc hands the freed top of its
   * heap back to the kernel, and the next buffer faults it in again), and
   * cost more than converting a string to UTF-8.
   */
  #large(flags, data) {
    const text = typeof data === 'string'
    if (!this.#rewinds || (!text && (flags & native.FLAG_MASK) === 0)) {
      return this.direct(encode(flags, data))
    }
    // A string's UTF-8 takes at most 3 bytes per UTF-16 unit (the pages of
    // the spare that it does not use are never touched).
    const need = text
      ? Math.min(SPARE_MAX, HEADROOM + 3 * data.length + native.TEXT_FRAME_SLACK)
      : HEADROOM + data.length
    const spare = Outbox.#takeSpare(need)
    const ok = this.direct(encode(flags, data, spare))
    // Not taken whole, the write keeps the buffer: it becomes garbage later.
    if (spare !== null && this.#target.writableLength === 0) Outbox.#keepSpare(spare)
    return ok
  }

  // The spare buffer of #large(), shared by all Outboxes, and whether it
  // was used since the last sweep (see #sweep, which lets an unused one go).
  static #spare = null
  static #spareUsed = false

  /** The spare if it has room for `need` bytes, else a new one (null past SPARE_MAX). */
  static #takeSpare(need) {
    const spare = Outbox.#spare
    Outbox.#spare = null
    if (spare !== null && spare.length >= need) return spare
    return need <= SPARE_MAX ? Buffer.allocUnsafeSlow(need) : null
  }

  static #keepSpare(spare) {
    Outbox.#spare = spare
    Outbox.#spareUsed = true
    Outbox.#startSweeper()
  }

  /** Writes an encoded frame (a Buffer or [header, payload]) after what is queued. */
  direct(frame) {
    this.flush()
    let size = 0
    if (Buffer.isBuffer(frame)) size = frame.length
    else for (const part of frame) size += part.length
    this.bytesOut += size
    // A large frame is a write of its own anyway: it leaves now. Held to
    // the end of the tick, 1 MiB frames let one connection of a client wait
    // 100-270 ms while the others ran (client-large-bin's RTT p99).
    if (size < CORK_FRAME_MAX) this.#corkUntilFlush()
    return writeFrame(this.#target, frame) || this.accepting()
  }

  /**
   * Whether the target takes more now. Corked (see #corkUntilFlush), it
   * buffers every write and reports any past its high-water mark as
   * backpressure, before anything was tried: a streamed echo's 16 KiB
   * fragment then made the pipe wait for a 'drain' per message, a tick each.
   * So while corked, up to CORKED_BYTES (never more than the socket's
   * maxBackpressure) counts as taken, unless the target was already waiting
   * for a drain.
   */
  accepting() {
    const target = this.#target
    if (!target.writableNeedDrain) return true
    return this.#corked && this.#freeWhenCorked && target.writableLength < this.#corkedBytes
  }

  /** Payload bytes queued and not yet written. */
  get queuedBytes() {
    return this.#queuedBytes
  }

  #flushScheduled() {
    this.#scheduled = false
    this.flush()
    if (this.#corked) {
      this.#corked = false
      this.#target.uncork()
      this.#rewind()
    }
  }

  /**
   * Reuses the slab from its start once every write of it is done: a
   * socket trading small messages keeps one slab, where a new 64 KiB one
   * every ~900 messages left 16 MiB of dead slabs for the collector in
   * small-p1 (arrayBuffers 15.9 MiB at peak, against 0.5 for ws).
   */
  #rewind() {
    if (this.#rewinds && this.#count === 0 && this.#target.writableLength === 0) this.#used = 0
  }

  /**
   * Holds a direct frame in the target until this tick's queued frames are
   * flushed after it, so both leave in one writev: a streamed message's
   * last fragment and its empty final frame cost two syscalls otherwise.
   */
  #corkUntilFlush() {
    if (this.#corked || typeof this.#target.cork !== 'function') return
    this.#corked = true
    this.#freeWhenCorked = !this.#target.writableNeedDrain
    this.#target.cork()
    this.#schedule()
  }

  /**
   * Flushes (and uncorks) once per tick: when the read being decoded ends
   * (see beginRead), else in a microtask.
   */
  #schedule() {
    if (this.#scheduled) return
    this.#scheduled = true
    this.#sentSinceSweep = true
    if (Outbox.#due.push(this) === 1 && Outbox.#reading === 0) queueMicrotask(Outbox.#flushDue)
  }

  // How many reads are being decoded (nested when a listener's send makes
  // another socket read, as an in-memory pair does).
  static #reading = 0

  /**
   * A socket starts decoding a read: what any socket sends until the
   * matching endRead() is flushed then, from the read's own callback, as ws
   * writes from its 'data' listener. A microtask per read (Node makes an
   * AsyncResource for each) was the cost of every reply to a small message.
   */
  static beginRead() {
    Outbox.#reading++
  }

  /**
   * The read begun last, of `size` bytes, is decoded: flushes what it sent,
   * if it was the outermost. A read that filled libuv's whole buffer is
   * followed at once by another of the same socket (libuv reads on until one
   * comes short), so what it sent waits for that one's flush, or at the
   * latest for the end of the poll phase: a streamed 1 MiB echo wrote a
   * fragment per 64 KiB read, twice the syscalls of ws's one write.
   */
  static endRead(size) {
    if (--Outbox.#reading !== 0 || Outbox.#due.length === 0) return
    if (size !== FULL_READ) {
      Outbox.#flushDue()
    } else if (!Outbox.#flushImmediate) {
      Outbox.#flushImmediate = true
      setImmediate(Outbox.#flushDeferred)
    }
  }

  static #flushImmediate = false

  static #flushDeferred() {
    Outbox.#flushImmediate = false
    if (Outbox.#due.length > 0) Outbox.#flushDue()
  }

  // The Outboxes to flush this tick, in the order they asked, all in one
  // microtask: a closure per socket for queueMicrotask cost every socket
  // that ever sent 96 bytes of heap.
  static #due = []

  static #flushDue() {
    const due = Outbox.#due
    Outbox.#due = []
    let next = 0
    try {
      while (next < due.length) due[next++].#flushScheduled()
    } finally {
      // One that threw (a bug) leaves the rest to a microtask of their own.
      while (next < due.length) {
        const outbox = due[next++]
        outbox.#scheduled = false
        outbox.#schedule()
      }
    }
  }

  // The Outboxes holding a slab, and the timer that sweeps them while any do.
  static #holding = new Set()
  static #sweeper = null

  static #hold(outbox) {
    Outbox.#holding.add(outbox)
    Outbox.#startSweeper()
  }

  static #startSweeper() {
    Outbox.#sweeper ??= setInterval(Outbox.#sweep, SLAB_SWEEP).unref()
  }

  /**
   * The target closed: the slab goes now, not at a sweep, which would keep
   * this Outbox and its closed target a second or two longer.
   */
  release() {
    // Safe whatever the target still holds: each write keeps its chunk.
    if (this.#slab === null || this.#count > 0) return
    this.#slab = null
    this.#used = 0
    Outbox.#holding.delete(this)
  }

  /** Drops the slab of each Outbox that queued nothing since the last sweep, and an unused spare. */
  static #sweep() {
    for (const outbox of Outbox.#holding) {
      if (outbox.#sentSinceSweep) outbox.#sentSinceSweep = false
      else outbox.release()
    }
    if (Outbox.#spareUsed) Outbox.#spareUsed = false
    else Outbox.#spare = null
    if (Outbox.#holding.size > 0 || Outbox.#spare !== null) return
    clearInterval(Outbox.#sweeper)
    Outbox.#sweeper = null
  }

  /** Frames and writes everything queued; called before any direct write. */
  flush() {
    if (this.#count === 0) return true
    const start = this.#records[0]
    const end = native.frameBatch(this.#slab, this.#recordBytes, this.#count)
    this.#count = 0
    this.#queuedBytes = 0
    freeRecords.push([this.#records, this.#recordBytes])
    this.#records = null
    this.#recordBytes = null
    if (end < 0) throw new Error(`websockets: framing failed (${end})`)
    this.bytesOut += end - start
    const ok = this.#target.write(this.#slab.subarray(start, end))
    this.#rewind()
    return ok
  }
}

module.exports = Outbox
