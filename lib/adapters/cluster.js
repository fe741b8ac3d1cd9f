'use strict'

// Node's cluster as the bus (docs/scaling.md): each worker runs a Server on
// the shared port with a ClusterAdapter, and the primary relays every
// publish to the other workers over the IPC channels cluster already has.
// No dependency, one machine.

// Loaded on first use: node:cluster brings child_process and dgram with it,
// 0.3 MiB of RSS in every process that loads this library.
let clusterModule = null
const cluster = () => (clusterModule ??= require('node:cluster'))

const Adapter = require('./adapter')
const { busDownError } = require('../errors')

// The `websockets` field of our IPC messages, so a worker's other messages
// pass by untouched.
const PUBLISH = 'publish'

let relaying = false

class ClusterAdapter extends Adapter {
  #closed = false

  /** @param {object} [options] `maxPending`: bytes on their way to the primary (default 64 MiB). */
  constructor(options = {}) {
    super(options)
    if (!cluster().isWorker) {
      throw new Error(
        'websockets: a ClusterAdapter runs in a cluster worker; the primary calls ClusterAdapter.relay()',
      )
    }
    process.on('message', this.#onMessage)
    process.on('disconnect', this.#onDisconnect)
    process.nextTick(() => {
      if (process.connected && !this.#closed) this.emit('up')
    })
  }

  /**
   * In the primary, before forking: relays each worker's publishes to the
   * other workers. Buffers cross IPC as bytes with the 'advanced'
   * serialization, which this sets for the workers forked after it.
   */
  static relay() {
    if (!cluster().isPrimary) {
      throw new Error('websockets: ClusterAdapter.relay() runs in the cluster primary')
    }
    if (relaying) return
    relaying = true
    cluster().setupPrimary({ serialization: 'advanced' })
    cluster().on('message', (from, message) => {
      if (message?.websockets !== PUBLISH) return
      for (const worker of Object.values(cluster().workers)) {
        if (worker !== from && worker.isConnected()) worker.send(message)
      }
    })
  }

  publish(topic, opcode, data) {
    if (this.#closed || !process.connected) {
      return Promise.reject(busDownError('the IPC channel to the primary is closed'))
    }
    // A string's UTF-8 is at most 3 bytes per UTF-16 unit.
    const bytes = typeof data === 'string' ? data.length * 3 : data.length
    return this.bounded(
      bytes,
      () =>
        new Promise((resolve, reject) => {
          process.send({ websockets: PUBLISH, topic, opcode, data }, (err) =>
            err ? reject(busDownError(err)) : resolve(),
          )
        }),
    )
  }

  close() {
    this.#closed = true
    process.removeListener('message', this.#onMessage)
    process.removeListener('disconnect', this.#onDisconnect)
    return Promise.resolve()
  }

  #onMessage = (message) => {
    if (message?.websockets !== PUBLISH) return
    const { topic, opcode } = message
    if (typeof topic !== 'string' || (opcode !== 1 && opcode !== 2)) return
    const data = bytesOf(message.data)
    if (data !== null) this.deliver(topic, opcode, data)
  }

  #onDisconnect = () => {
    this.emit('down', busDownError('the IPC channel to the primary closed'))
  }
}

/**
 * A message's data as it crossed IPC: a string, bytes (a Uint8Array with
 * 'advanced' serialization, `{ type: 'Buffer', data }` with JSON), or
 * null when it is neither.
 */
function bytesOf(data) {
  if (typeof data === 'string') return data
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.length)
  if (data?.type === 'Buffer' && Array.isArray(data.data)) return Buffer.from(data.data)
  return null
}

module.exports = ClusterAdapter
