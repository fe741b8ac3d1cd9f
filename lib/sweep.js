'use strict'

// One timer for many sockets: it runs `visit` every `period` ms while a
// live Set of sockets is not empty, and stops when the last one goes. The
// idle timeout, the heartbeat and the memory budget each sweep this way
// instead of giving every socket a timer of its own.

// The longest interval Node's timers keep (2^31 - 1 ms, about 24.8 days):
// Node runs a longer one every millisecond.
const TIMER_MAX = 2 ** 31 - 1

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

  /** A socket left the Set; returns true when that stopped the timer. */
  closed() {
    if (this.#sockets.size > 0 || this.#timer === null) return false
    clearInterval(this.#timer)
    this.#timer = null
    return true
  }
}

module.exports = Sweep
module.exports.TIMER_MAX = TIMER_MAX
