'use strict'

const { Duplex } = require('node:stream')
const { kOwner, kSourceData } = require('./keys')

// The empty queue every socket shares until it has something to queue.
const NONE = Object.freeze([])

// The source's 'data' listener, shared by all sockets (the source is
// `this`): a closure per socket cost every idle socket memory.
function onSourceData(chunk) {
  this[kOwner][kSourceData](chunk)
}

/**
 * A Duplex over a source whose incoming events must stay in order with the
 * payload bytes they follow: an event that closes a payload ('stream:stop',
 * 'done') fires only once readers have taken every byte pushed before it, and
 * everything decoded after it waits (with the source paused) until then.
 * Internal: the base of Socket and Stream.
 */
class OrderedDuplex extends Duplex {
  #source
  // Items waiting their turn; an empty queue is the shared NONE (idle sockets hold no array).
  #held = NONE
  #barrier = null
  #paused = false
  #draining = false

  constructor(source, options) {
    super(options)
    this.#source = source
  }

  /**
   * Listens for the source's bytes (handed to our [kSourceData] method), but
   * lets them flow only from the next turn of the event loop: whoever
   * created us attaches listeners first, also after an `await` (a flowing
   * source first emits on process.nextTick, which runs before promise
   * continuations, so a message that came with the handshake would
   * otherwise reach no listener).
   */
  _listen() {
    this.#source[kOwner] = this
    this.#source.on('data', onSourceData)
    if (typeof this.#source.pause !== 'function') return
    this.#source.pause()
    setImmediate(() => {
      if (!this.#paused) this.#source.resume()
    })
  }

  /** Subclasses deliver a held item here, in order. */
  _deliver() {
    throw new Error('OrderedDuplex subclasses implement _deliver(item)')
  }

  /** Delivers `item` now, or after what is already waiting. */
  _order(item) {
    if (this.#barrier !== null || this.#held.length > 0) {
      if (this.#held === NONE) this.#held = []
      this.#held.push(item)
      this._pauseSource()
    } else {
      this._deliver(item)
    }
  }

  /**
   * Pushes payload bytes, pausing the source when readers fall behind, but
   * not while the source cannot take what we write: then the peer is
   * writing rather than reading, and a reader that writes back to it (a pipe
   * echo) waits on the peer, so pausing would block both directions. The
   * message keeps arriving instead, bounded by `maxPayload`.
   */
  _pushPayload(chunk) {
    if (!this.push(chunk) && !this.#source.writableNeedDrain) this._pauseSource()
  }

  /**
   * Called when a write to the source has to wait for 'drain': a pause made
   * only because readers fell behind is lifted (see `_pushPayload`).
   */
  _peerBlocked() {
    this._read()
  }

  /** Calls `fire` once readers hold every byte pushed so far. */
  _afterReaders(fire) {
    if (this.readableLength === 0) {
      fire()
    } else {
      this.#barrier = fire
      this._pauseSource()
    }
  }

  read(n) {
    const chunk = super.read(n)
    if (this.#barrier !== null && this.readableLength === 0) {
      const fire = this.#barrier
      this.#barrier = null
      fire()
      this._releaseHeld()
    }
    return chunk
  }

  /** Delivers what waited; the source resumes once nothing does. */
  _releaseHeld() {
    while (this.#held.length > 0 && this.#barrier === null) this._deliver(this.#held.shift())
    if (
      this.#held.length === 0 &&
      this.#barrier === null &&
      !this.#draining &&
      this.readableLength < this.readableHighWaterMark
    ) {
      this.#resumeSource()
    }
  }

  /**
   * Stops reading until the source has written out what we owe it: a peer
   * that sends pings but never reads our pongs cannot grow our buffers.
   */
  _awaitDrain() {
    if (this.#draining || typeof this.#source.once !== 'function') return
    this.#draining = true
    this._pauseSource()
    this.#drained ??= () => {
      this.#draining = false
      if (this.#barrier === null && this.#held.length === 0) this.#resumeSource()
    }
    this.#source.once('drain', this.#drained)
  }

  // Made on first use: listeners that most sockets never need cost each
  // idle socket a closure (see benches/e2e/idle.js).
  #drained = null

  /** The source closed: it keeps no listener of ours. */
  _unlisten() {
    this.#source.removeListener('data', onSourceData)
    this.#source[kOwner] = null
    if (this.#drained !== null) this.#source.removeListener('drain', this.#drained)
  }

  _pauseSource() {
    if (this.#paused || typeof this.#source.pause !== 'function') return
    this.#paused = true
    this.#source.pause()
  }

  #resumeSource() {
    if (!this.#paused) return
    this.#paused = false
    this.#source.resume()
  }

  _read() {
    if (this.#barrier === null && this.#held.length === 0 && !this.#draining) this.#resumeSource()
  }
}

module.exports = OrderedDuplex
