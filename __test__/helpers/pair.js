'use strict'

const net = require('node:net')
const { Duplex } = require('node:stream')

/**
 * Two connected net.Sockets over 127.0.0.1. `close()` destroys both and the
 * listening server.
 */
async function tcpPair() {
  const server = net.createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const accepted = new Promise((resolve) => server.once('connection', resolve))
  const client = net.connect(server.address().port, '127.0.0.1')
  await new Promise((resolve, reject) => {
    client.once('connect', resolve)
    client.once('error', reject)
  })
  const serverSide = await accepted
  server.close()
  return {
    server: serverSide,
    client,
    close() {
      serverSide.destroy()
      client.destroy()
    },
  }
}

/**
 * Two in-memory Duplexes wired to each other, behaving like a TCP pair:
 * bytes are copied across (as a network would), end() half-closes, and both
 * emit 'close' once both directions are done or either is destroyed.
 */
function memoryPair() {
  let a = null
  let b = null
  const make = (peer) =>
    new Duplex({
      read() {},
      write(chunk, encoding, callback) {
        const other = peer()
        if (!other.destroyed) other.push(Buffer.from(chunk))
        callback()
      },
      final(callback) {
        const other = peer()
        if (!other.destroyed) other.push(null)
        callback()
      },
      destroy(err, callback) {
        const other = peer()
        if (!other.destroyed) process.nextTick(() => other.destroy())
        callback(err)
      },
    })
  a = make(() => b)
  b = make(() => a)
  return [a, b]
}

/** A Duplex that records what is written to it and never answers. */
function sink() {
  const written = []
  const duplex = new Duplex({
    read() {},
    write(chunk, encoding, callback) {
      written.push(Buffer.from(chunk))
      callback()
    },
  })
  duplex.written = written
  duplex.bytes = () => Buffer.concat(written)
  return duplex
}

/** Resolves with the arguments of the next `event` on `emitter`. */
function once(emitter, event) {
  return new Promise((resolve) => emitter.once(event, (...args) => resolve(args)))
}

module.exports = { tcpPair, memoryPair, sink, once }
