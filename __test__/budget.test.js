'use strict'

// The Server's memory budget: many sockets, each under its own limits,
// together over the budget. The largest holders go first (1008), new
// upgrades get 503 until the total is under the budget again.

const { Duplex } = require('node:stream')
const { EventEmitter } = require('node:events')
const { Server } = require('..')
const { once } = require('./helpers/pair')
const { rawUpgrade } = require('./helpers/raw')

/** The status line a new upgrade gets. */
async function upgradeStatus(port) {
  const { socket, answer } = await rawUpgrade(port)
  socket.destroy()
  return answer.toString().split('\r\n')[0]
}

/**
 * Upgrades a socket whose peer reads nothing: a Duplex whose writes never
 * complete, so what the server sends stays in its writable buffer, byte for
 * byte (over TCP the kernel would take an unknown share).
 */
function stalledUpgrade(httpServer) {
  const socket = new Duplex({ read() {}, write() {} })
  const request = {
    method: 'GET',
    url: '/',
    httpVersionMajor: 1,
    httpVersionMinor: 1,
    socket,
    headers: {
      host: 'localhost',
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'sec-websocket-version': '13',
    },
  }
  httpServer.emit('upgrade', request, socket, Buffer.alloc(0))
  return socket
}

describe('memoryBudget', () => {
  it('drops the largest holders first with 1008 and refuses upgrades while over', async () => {
    // The measuring timer, driven by hand so the test knows when it runs.
    const realSetInterval = global.setInterval
    let check = null
    const spy = jest.spyOn(global, 'setInterval').mockImplementation((fn, ms) => {
      if (ms === 100) {
        check = fn
        return realSetInterval(() => {}, 1 << 30)
      }
      return realSetInterval(fn, ms)
    })
    try {
      const server = new Server({
        port: 0,
        host: '127.0.0.1',
        maxConnections: 20,
        memoryBudget: 12 << 20,
      })
      await once(server, 'listening')
      const { port } = server.address()
      const stalled = new EventEmitter()
      server.listen(stalled)
      for (let i = 0; i < 8; i++) stalledUpgrade(stalled)
      expect(server.sockets).toHaveLength(8)
      const closes = []
      const errors = []
      server.on('close', (code, ws, reason) => closes.push([server.sockets.length, code, reason]))
      server.on('error', (err) => errors.push(err.code))
      // Each socket under maxBackpressure (64 MiB); together 8 + 2 + 6 x 1 = 16 MiB.
      const sockets = server.sockets
      const mib = Buffer.alloc(1 << 20, 7)
      const sizes = [8, 2, 1, 1, 1, 1, 1, 1]
      sockets.forEach((ws, i) => {
        for (let n = 0; n < sizes[i]; n++) ws.send(mib)
      })
      await new Promise((resolve) => setImmediate(resolve))
      check()
      await new Promise((resolve) => setImmediate(resolve))
      // Under the budget once the 8 MiB holder is gone: only it is dropped.
      expect(closes).toEqual([[7, 1008, 'Server memory budget exceeded']])
      expect(errors).toEqual(['WS_ERR_MEMORY_BUDGET'])
      expect(sockets.slice(1).every((ws) => ws.readyState === 1)).toBe(true)
      expect(await upgradeStatus(port)).toBe('HTTP/1.1 503 Service Unavailable')
      // The next measure finds the total under the budget: upgrades again.
      check()
      expect(await upgradeStatus(port)).toBe('HTTP/1.1 101 Switching Protocols')
      for (const ws of server.sockets) ws.terminate()
      await new Promise((resolve) => server.close(resolve))
    } finally {
      spy.mockRestore()
    }
  })

  it('is checked like the other options', () => {
    expect(() => new Server({ memoryBudget: 0 })).toThrow(/"options\.memoryBudget"/)
    expect(() => new Server({ memoryBudget: '1GB' })).toThrow(/"options\.memoryBudget"/)
  })
})
