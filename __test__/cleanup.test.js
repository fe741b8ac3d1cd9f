'use strict'

// After faults: a reset connection leaves none of our listeners on its raw
// socket, and a loop of connections reset at every stage leaves the heap and
// the handle count where they were (benches/soak/reset.js is the long form).

const WebSocket = require('ws')
const { Server } = require('..')
const { once } = require('./helpers/pair')
const { main: soak } = require('../benches/soak/reset')

describe('cleanup after a reset', () => {
  it('leaves no listener of ours on the raw socket', async () => {
    const server = new Server({ port: 0, host: '127.0.0.1', heartbeat: 1000 })
    await once(server, 'listening')
    const ws = new WebSocket(`ws://127.0.0.1:${server.address().port}/`)
    const [socket, request] = await once(server, 'open')
    await once(ws, 'open')
    const raw = request.socket
    expect(raw.listenerCount('data')).toBe(1)
    const closed = once(server, 'close')
    const clientPort = ws._socket.localPort
    ws._socket.resetAndDestroy()
    expect((await closed)[0]).toBe(1006)
    // Who it was is still known after 'close' (a destroyed net.Socket that
    // was never asked no longer knows).
    expect([socket.remoteAddress, socket.remotePort]).toEqual(['127.0.0.1', clientPort])
    await new Promise((resolve) => setImmediate(resolve))
    for (const event of ['data', 'drain', 'error', 'close', 'timeout']) {
      expect([event, raw.listenerCount(event)]).toEqual([event, 0])
    }
    // Node's own 'end' handler only.
    expect(raw.listenerCount('end')).toBeLessThanOrEqual(1)
    await new Promise((resolve) => server.close(resolve))
  })

  it('keeps the heap and the handle count flat over connections reset in a loop', async () => {
    const result = await soak(5, 10)
    expect(result.cycles).toBeGreaterThan(1000)
    expect(result.openSocketsAtEnd).toBe(0)
    expect(result.end.handles).toBe(result.start.handles)
    expect(result.end.heapMiB - result.start.heapMiB).toBeLessThan(4)
  }, 30000)
})
