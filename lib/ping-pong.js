'use strict'

// A Socket's control traffic of its own: pongs for the peer's pings, and the
// heartbeat's pings with the pong each one waits for. Made on a socket's
// first ping, pong or heartbeat (Socket[kPingPong]).

const native = require('./native')
const { encode } = require('./frames')

const PING = 0x9
const PONG = 0xa

class PingPong {
  #socket
  #source
  #sending
  #closing
  // The latest ping's body while its pong waits for the source to drain.
  #pending = null
  // A heartbeat ping went out and no pong came since.
  #awaitingPong = false

  constructor(socket, source, sending, closing) {
    this.#socket = socket
    this.#source = source
    this.#sending = sending
    this.#closing = closing
  }

  /**
   * Answers a ping. While the source waits to drain, only the latest ping
   * of the wait is answered, once it drained (RFC 6455 §5.5.3), and the
   * socket stops reading: a peer that pings but does not read cannot grow
   * our buffers.
   */
  answer(data) {
    if (this.#source.writableNeedDrain) {
      const waiting = this.#pending !== null
      // Copied: the body is a view of a whole read.
      this.#pending = Buffer.from(data)
      if (!waiting) {
        this.#socket._awaitDrain()
        this.#sendPending ??= () => {
          const pending = this.#pending
          this.#pending = null
          if (pending !== null && this.#closing.canSend) this.answer(pending)
        }
        this.#source.once('drain', this.#sendPending)
      }
      return
    }
    const pong = encode(PONG | native.FLAG_FIN | this.#sending.maskFlag, data)
    if (!this.#sending.control(pong)) this.#socket._awaitDrain()
  }

  // Made on first use (most sockets never wait to answer a ping).
  #sendPending = null

  /** A pong arrived. */
  ponged() {
    this.#awaitingPong = false
  }

  /** A heartbeat: false when the previous one's ping got no pong, else pings. */
  beat() {
    if (this.#awaitingPong) return false
    this.#awaitingPong = true
    this.#sending.control(encode(PING | native.FLAG_FIN | this.#sending.maskFlag, ''))
    return true
  }

  /** The source closed: it keeps no listener of ours. */
  sourceClosed() {
    if (this.#sendPending !== null) this.#source.removeListener('drain', this.#sendPending)
  }
}

module.exports = PingPong
