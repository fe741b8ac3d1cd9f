'use strict'

// Pings sockets at an interval and fails those that did not answer the
// previous ping (docs/socket.md, `heartbeat`): dead peers (a laptop that
// slept, a NAT that dropped the flow) are found in two intervals instead of
// the idle timeout. One timer serves every socket of a Server.

const Sweep = require('./sweep')

/** A Socket's answer to a beat: fail if the last ping got no pong, else ping. */
const kBeat = Symbol('websockets.beat')

class Heartbeat {
  #sockets = new Set()
  #sweep

  /** `interval`: ms between pings, > 0. */
  constructor(interval) {
    this.#sweep = new Sweep(interval, this.#sockets, () => {
      for (const ws of this.#sockets) ws[kBeat]()
    })
  }

  add(ws) {
    this.#sockets.add(ws)
    this.#sweep.opened()
  }

  delete(ws) {
    this.#sockets.delete(ws)
    this.#sweep.closed()
  }
}

module.exports = Heartbeat
module.exports.kBeat = kBeat
