'use strict'

// What operators see of a Server (docs/server.md, "Counters and
// diagnostics"): totals over its sockets past and present, closes by code,
// errors by code, and node:diagnostics_channel events for upgrade, open,
// close and error. Counting costs a few additions per socket; a channel
// costs nothing while nobody subscribes to it.

const diagnostics = require('node:diagnostics_channel')

const channels = {
  upgrade: diagnostics.channel('websockets:upgrade'),
  open: diagnostics.channel('websockets:open'),
  close: diagnostics.channel('websockets:close'),
  error: diagnostics.channel('websockets:error'),
}

// Socket.stats fields that add up over closed sockets; the buffered ones
// are only counted for the open sockets.
const CUMULATIVE = [
  'messagesReceived',
  'messagesSent',
  'bytesReceived',
  'bytesSent',
  'compressedFrom',
  'compressedTo',
]

class Observing {
  #server
  #closed = Object.fromEntries(CUMULATIVE.map((name) => [name, 0]))
  // Keyed by close code and error code only: a peer's close reason is free
  // text and would let it grow the table without end.
  #closes = {}
  #errors = {}

  constructor(server) {
    this.#server = server
  }

  /** An upgrade request for our path arrived, before it is checked. */
  upgrade(request, socket) {
    if (channels.upgrade.hasSubscribers) {
      channels.upgrade.publish({ server: this.#server, request, socket })
    }
  }

  opened(ws, request) {
    if (channels.open.hasSubscribers) {
      channels.open.publish({ server: this.#server, socket: ws, request })
    }
  }

  errored(ws, error) {
    const code = error?.code ?? 'unknown'
    this.#errors[code] = (this.#errors[code] ?? 0) + 1
    if (channels.error.hasSubscribers) {
      channels.error.publish({ server: this.#server, socket: ws, error })
    }
  }

  closed(ws, code, reason) {
    const stats = ws.stats
    for (const name of CUMULATIVE) this.#closed[name] += stats[name]
    this.#closes[code] = (this.#closes[code] ?? 0) + 1
    if (channels.close.hasSubscribers) {
      channels.close.publish({ server: this.#server, socket: ws, code, reason })
    }
  }

  /** Server.stats: `sockets` are the open ones. */
  snapshot(sockets) {
    const totals = { ...this.#closed, bufferedIncoming: 0, bufferedAmount: 0 }
    for (const ws of sockets) {
      const stats = ws.stats
      for (const name of Object.keys(totals)) totals[name] += stats[name]
    }
    return {
      sockets: sockets.size,
      ...totals,
      compressionRatio:
        totals.compressedFrom > 0 ? totals.compressedTo / totals.compressedFrom : null,
      closes: { ...this.#closes },
      errors: { ...this.#errors },
    }
  }
}

module.exports = Observing
