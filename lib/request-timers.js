'use strict'

const { refuse } = require('./refuse')

/**
 * The handshake timeout's first half: a connection whose HTTP request does
 * not arrive within `timeout` ms is answered 408 and closed. (Admission
 * bounds the second half, a `verifyRequest` that does not answer.)
 */
class RequestTimers {
  // Connections whose request has not arrived: how to stop their timer.
  #clears = new WeakMap()
  #timeout

  constructor(timeout) {
    this.#timeout = timeout
  }

  /** An http.Server 'connection' listener. */
  connected = (socket) => {
    const timer = setTimeout(
      () => refuse(socket, 408, 'The request did not arrive in time'),
      this.#timeout,
    )
    timer.unref()
    const clear = () => clearTimeout(timer)
    socket.once('close', clear)
    this.#clears.set(socket, clear)
  }

  /** The request came: its timer and listener go (an open socket keeps neither). */
  arrived(socket) {
    const clear = this.#clears.get(socket)
    if (clear === undefined) return
    this.#clears.delete(socket)
    clear()
    socket.removeListener('close', clear)
  }
}

module.exports = RequestTimers
