'use strict'

// A Server's memory budget (docs/server.md, `memoryBudget`): what all its
// sockets buffer in both directions, measured every CHECK_INTERVAL ms. Over
// the budget, the sockets holding the most are dropped until the total is
// under it again, and new upgrades are refused until then.

const Sweep = require('./sweep')

/** A Socket's bytes held both ways, and its way to be dropped for the budget. */
const kBuffered = Symbol('websockets.buffered')
const kShed = Symbol('websockets.shed')

const CHECK_INTERVAL = 100

class MemoryBudget {
  #bytes
  #sockets
  #sweep
  #exceeded = false

  /** `bytes`: the budget; `sockets`: the Server's live Set of open sockets. */
  constructor(bytes, sockets) {
    this.#bytes = bytes
    this.#sockets = sockets
    this.#sweep = new Sweep(CHECK_INTERVAL, sockets, this.check)
  }

  /**
   * Whether the last measure was over the budget: new upgrades are refused
   * until a measure finds the total under it (the dropped sockets gone).
   */
  get exceeded() {
    return this.#exceeded
  }

  /** A socket opened: measuring runs while there are sockets. */
  opened() {
    this.#sweep.opened()
  }

  /** A socket closed. */
  closed() {
    if (this.#sweep.closed()) this.#exceeded = false
  }

  /** Measures, and drops the largest holders while the total is over the budget. */
  check = () => {
    const held = []
    let total = 0
    for (const ws of this.#sockets) {
      const bytes = ws[kBuffered]()
      total += bytes
      held.push([bytes, ws])
    }
    this.#exceeded = total > this.#bytes
    if (this.#exceeded) {
      held.sort((a, b) => b[0] - a[0])
      for (const [bytes, ws] of held) {
        if (total <= this.#bytes) break
        ws[kShed]()
        total -= bytes
      }
    }
  }
}

module.exports = MemoryBudget
module.exports.kBuffered = kBuffered
module.exports.kShed = kShed
