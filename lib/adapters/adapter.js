'use strict'

const { EventEmitter } = require('node:events')

const { busDownError, invalidType } = require('../errors')
const { checkLimit } = require('../checks')

// Bytes of publishes the bus has not yet taken before more are refused
// (`maxPending`): a bus that stops reading must not grow our memory without
// bound.
const MAX_PENDING = 64 * 1024 * 1024

/**
 * What a Server needs from a message bus to reach the subscribers of other
 * processes (docs/scaling.md). The whole interface is this class: subclass
 * it and override the four methods. ClusterAdapter and RedisAdapter are the
 * two that ship.
 *
 * The Server delivers a published message to its own subscribers itself,
 * then calls publish(); the bus must not hand the message back to the
 * process that published it. Messages from one publisher arrive in the
 * order it published them. A bus outage loses what was published during it
 * (at most once): publish() rejects, and the adapter emits 'down' and later
 * 'up'.
 *
 * Events: 'up' (the bus is reachable, subscriptions in place), 'down' (err:
 * it is not; publishes fail and remote messages are missed until 'up').
 */
class Adapter extends EventEmitter {
  #receive = null
  #maxPending
  #pending = 0

  /** @param {object} [options] `maxPending`: bytes of publishes the bus has not taken yet (64 MiB). */
  constructor(options = {}) {
    if (options === null || typeof options !== 'object') {
      throw invalidType('options', 'of type object', options)
    }
    super()
    this.#maxPending = checkLimit('options.maxPending', options.maxPending, false, MAX_PENDING)
  }

  /**
   * For subclasses' publish(): `send()`'s promise, unless `bytes` more
   * would pass `maxPending`; then a rejection (WS_ERR_BUS_DOWN).
   */
  bounded(bytes, send) {
    if (this.#pending + bytes > this.#maxPending) {
      return Promise.reject(
        busDownError(`the bus has not taken ${this.#pending} bytes yet (maxPending)`),
      )
    }
    this.#pending += bytes
    return send().finally(() => {
      this.#pending -= bytes
    })
  }

  /**
   * Called once by the Server the adapter is given to. `receive(topic,
   * opcode, data)` delivers a message another process published: opcode 1
   * (text) or 2 (binary), data a string or Buffer.
   */
  attach(receive) {
    if (this.#receive !== null) throw new Error('websockets: an adapter serves one Server')
    this.#receive = receive
  }

  /** For subclasses: hands a message from the bus to the Server. */
  deliver(topic, opcode, data) {
    this.#receive?.(topic, opcode, data)
  }

  /**
   * Sends a message published here to the other processes: opcode 1 or 2,
   * data a string or Buffer. Resolves once the bus took it; rejects with a
   * WebSocketError `WS_ERR_BUS_DOWN` when it could not.
   */
  publish() {
    return Promise.resolve()
  }

  /** The first subscriber of `topic` in this process appeared: the bus may start sending it here. */
  subscribe() {}

  /** The last subscriber of `topic` here left. */
  unsubscribe() {}

  /** Lets go of the bus (Server.close() calls it). */
  close() {
    return Promise.resolve()
  }
}

module.exports = Adapter
