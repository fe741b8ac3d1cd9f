'use strict'

// Soak: connections to a Server in a loop, each ending badly (reset
// mid-handshake or after a message, invalid UTF-8, a fragment flood, a ping
// flood and a reset), then the heap after a full GC and the open handles at
// the start and at the end, which must be flat.
//
//   node benches/soak/reset.js [seconds = 120] [parallel = 20]
//
// Loopback only; the Server and the clients run in this process.

const net = require('node:net')
const v8 = require('node:v8')
const vm = require('node:vm')
const { Server } = require('../..')

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc')

const REQUEST =
  'GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
// A masked text frame "hi".
const HELLO = Buffer.from([0x81, 0x82, 1, 2, 3, 4, 0x68 ^ 1, 0x69 ^ 2])

function snapshot() {
  gc()
  return {
    heapMiB: +(process.memoryUsage().heapUsed / 2 ** 20).toFixed(2),
    handles: process.getActiveResourcesInfo().filter((r) => r !== 'Timeout').length,
  }
}

const mask = (bytes) => bytes.map((b, i) => b ^ [1, 2, 3, 4][i % 4])
/** A masked frame with key 01 02 03 04 (payloads under 126 bytes). */
function frame(first, payload) {
  return Buffer.concat([Buffer.from([first, 0x80 | payload.length, 1, 2, 3, 4]), mask(payload)])
}
// What the hostile cycles send after the upgrade: invalid UTF-8 (1007),
// a message in more frames than the Server's maxFragments (1008), and a
// ping flood from a peer that then vanishes.
const BAD_UTF8 = frame(0x81, Buffer.from([0xce, 0xba, 0x80]))
const FRAGMENTS = Buffer.concat([
  frame(0x01, Buffer.from('a')),
  ...Array.from({ length: 40 }, () => frame(0x00, Buffer.from('a'))),
  frame(0x80, Buffer.from('a')),
])
const PINGS = Buffer.concat(Array.from({ length: 200 }, () => frame(0x89, Buffer.alloc(100, 7))))

/**
 * One connection, by `n`: reset mid-handshake; a message, its echo, then a
 * reset; invalid UTF-8; a fragment flood; a ping flood and a reset. The
 * server closes the bad ones itself; the client waits for that close.
 */
function cycle(port, n) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.on('error', () => {})
    socket.on('close', resolve)
    socket.on('connect', () => {
      const kind = n % 5
      if (kind === 0) {
        socket.write(REQUEST.slice(0, 40))
        setImmediate(() => socket.resetAndDestroy())
        return
      }
      socket.write(REQUEST)
      socket.once('data', () => {
        if (kind === 1) {
          socket.write(HELLO)
          socket.once('data', () => socket.resetAndDestroy())
        } else if (kind === 2) {
          socket.end(BAD_UTF8)
        } else if (kind === 3) {
          socket.end(FRAGMENTS)
        } else {
          socket.write(PINGS)
          setImmediate(() => socket.resetAndDestroy())
        }
      })
    })
  })
}

async function main(seconds, parallel) {
  const server = new Server({
    port: 0,
    host: '127.0.0.1',
    maxConnections: parallel * 2,
    maxFragments: 32,
  })
  await new Promise((resolve) => server.once('listening', resolve))
  server.on('message', (message, ws) => ws.send(message))
  server.on('error', () => {})
  const { port } = server.address()
  // Warm up before the first snapshot: code compiled, pools filled.
  for (let i = 0; i < 200; i++) await cycle(port, i)
  await new Promise((resolve) => setTimeout(resolve, 200))
  const start = snapshot()
  const deadline = Date.now() + seconds * 1000
  let cycles = 0
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (Date.now() < deadline) await cycle(port, cycles++)
    }),
  )
  await new Promise((resolve) => setTimeout(resolve, 500))
  const end = snapshot()
  const open = server.sockets.length
  await new Promise((resolve) => server.close(resolve))
  return { seconds, cycles, start, end, openSocketsAtEnd: open }
}

if (require.main === module) {
  const seconds = Number(process.argv[2] || 120)
  const parallel = Number(process.argv[3] || 20)
  main(seconds, parallel).then((result) => console.log(JSON.stringify(result)))
}
module.exports = { main }
