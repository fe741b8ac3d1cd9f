'use strict'

// The closing handshake of one Socket (RFC 6455 §7): who closed, with what
// code and reason, and the timer that ends a connection whose peer never
// answers our close frame.

const native = require('./native')

const ABNORMAL = 1006

// readyState values, numbered as ws and the WHATWG WebSocket number them.
const CONNECTING = 0
const OPEN = 1
const CLOSING = 2
const CLOSED = 3

class Closing {
  #source
  #sending
  #timeout
  #sentClose = false
  #receivedClose = false
  #failed = false
  #terminated = false
  #closed = false
  #timer = null
  /** What 'close' reports: the peer's code and reason, ours on failure, 1006 when none came. */
  code = ABNORMAL
  reason = ''

  /** `sending`: the socket's Sending (which knows whether we mask); `timeout`: ms to wait for the peer's close. */
  constructor(source, sending, timeout) {
    this.#source = source
    this.#sending = sending
    this.#timeout = timeout
  }

  /** We are the client: our frames are masked. */
  get #masked() {
    return this.#sending.maskFlag !== 0
  }

  get readyState() {
    if (this.#closed) return CLOSED
    if (this.#sentClose || this.#receivedClose || this.#failed || this.#terminated) return CLOSING
    return OPEN
  }

  /** Whether data may still be sent: no close frame of ours is out (RFC 6455 §5.5.1). */
  get canSend() {
    return !this.#sentClose && !this.#closed
  }

  /** Whether our close frame is out (a ping then gets no pong). */
  get sentClose() {
    return this.#sentClose
  }

  get closed() {
    return this.#closed
  }

  /** Our close frame, already encoded (close() checked its code and reason). */
  send(frame) {
    this.#sentClose = true
    this.#sending.control(frame)
    if (this.#receivedClose || this.#failed) this.#source.end()
    // unref: an open source keeps the process alive; the timer alone need not.
    this.#timer = setTimeout(() => this.#source.destroy(), this.#timeout).unref()
  }

  /** The peer's close frame arrived. */
  received(code, reason) {
    this.#receivedClose = true
    this.code = code
    this.reason = reason
    if (this.#sentClose) {
      this.#source.end()
      return
    }
    // Echo the peer's code and reason, as ws does; a code we may not send
    // (1012-1014) gets an empty body.
    const echo = native.closeFrame(
      code === 1005 ? undefined : code,
      code === 1005 ? undefined : reason,
      this.#masked,
    )
    this.send(
      typeof echo === 'number' ? native.closeFrame(undefined, undefined, this.#masked) : echo,
    )
  }

  /** The connection failed with `err` (its `closeCode` and message go in our close frame). */
  fail(err) {
    this.#failed = true
    this.code = err.closeCode
    this.reason = err.message
    // Failing means stopping: the open outgoing stream gets no more frames
    // and the sends waiting behind it are dropped; the close frame follows
    // the messages already sent.
    this.#sending.stop()
    if (!this.#sentClose) this.send(native.closeFrame(err.closeCode, err.message, this.#masked))
    else this.#source.end()
  }

  /** Drops the connection at once, with no closing handshake. */
  terminate() {
    if (this.#closed) return
    this.#terminated = true
    this.#sending.stop()
    this.#source.destroy()
  }

  /** The source closed: returns false when that was already handled. */
  sourceClosed() {
    if (this.#closed) return false
    this.#closed = true
    clearTimeout(this.#timer)
    this.#sending.sourceClosed()
    return true
  }
}

module.exports = Closing
module.exports.states = { CONNECTING, OPEN, CLOSING, CLOSED }
