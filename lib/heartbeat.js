'use strict'

// Pings sockets at an interval and fails those that did not answer the
// previous ping (docs/socket.md, `heartbeat`): dead peers (a laptop that
// slept, a NAT that dropped the flow) are found in two intervals instead of
// the idle timeout. One timer serves every socket of a Server.

/** A Socket's answer to a beat: fail if the last ping got no pong, else ping. */
const kBeat = Symbol('websockets.beat')

class Heartbeat {
  #interval
  #sockets = new Set()
  #timer = null

  /** `interval`: ms between pings, > 0. */
  constructor(interval) {
    this.#interval = interval
  }

  add(ws) {
    this.#sockets.add(ws)
    // unref: the sockets keep the process alive, not their heartbeat.
    this.#timer ??= setInterval(this.#beat, this.#interval).unref()
  }

  delete(ws) {
    this.#sockets.delete(ws)
    if (this.#sockets.size > 0 || this.#timer === null) return
    clearInterval(this.#timer)
    this.#timer = null
  }

  #beat = () => {
    for (const ws of this.#sockets) ws[kBeat]()
  }
}

module.exports = Heartbeat
module.exports.kBeat = kBeat
