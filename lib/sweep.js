'use strict'

// One timer for many sockets: it runs `visit` every `period` ms while a
// live Set of sockets is not empty, and stops when the last one goes. The
// idle timeout, the heartbeat and the memory budget each sweep this way
// instead of giving every socket a timer of its own.

// The longest interval Node's timers keep (2^31 - 1 ms, about 24.8 days):
// Node runs a longer one every millisecond.
const TIMER_MAX = 2 ** 31 - 1
// Sweeps of silence after which the idle timeout closes a socket.
const IDLE_SWEEPS = 4

const { kIdle } = require('./keys')

class Sweep {
  #period
  #sockets
  #visit
  #timer = null

  /** `sockets`: a Set the owner keeps; `visit()` runs with no arguments. `period` is capped at TIMER_MAX. */
  constructor(period, sockets, visit) {
    this.#period = Math.min(period, TIMER_MAX)
    this.#sockets = sockets
    this.#visit = visit
  }

  /** A socket joined the Set. */
  opened() {
    // unref: the sockets keep the process alive, not their sweeps.
    this.#timer ??= setInterval(this.#visit, this.#period).unref()
  }

  /**
   * A Server's idle timeout (its `timeout`, ms): a socket is closed after
   * IDLE_SWEEPS sweeps without traffic, between `timeout` and 1.25 times it
   * after its last byte. Sweeping the sockets replaces a timer per socket,
   * which cost each idle socket about 300 bytes and every read and write a
   * timer refresh. A timeout longer than 4 x TIMER_MAX takes more sweeps;
   * Infinity means none at all (null).
   */
  static idle(timeout, sockets) {
    if (timeout === Infinity) return null
    const period = Math.min(Math.ceil(timeout / IDLE_SWEEPS), TIMER_MAX)
    const sweeps = Math.ceil(timeout / period)
    return new Sweep(period, sockets, () => {
      for (const ws of sockets) ws[kIdle](sweeps)
    })
  }

  /** A socket left the Set; returns true when that stopped the timer. */
  closed() {
    if (this.#sockets.size > 0 || this.#timer === null) return false
    clearInterval(this.#timer)
    this.#timer = null
    return true
  }
}

module.exports = Sweep
