'use strict'

// The heartbeat (`heartbeat` option): peers that answer pings stay, a peer
// that stops answering is dropped with 1001 in about two intervals, and a
// Server pings all its sockets from one timer.

const WebSocket = require('ws')
const { Server, Socket } = require('..')
const { tcpPair, once } = require('./helpers/pair')
const { rawUpgrade } = require('./helpers/raw')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** A client that does the handshake, then reads everything and answers nothing. */
async function deafClient(port) {
  const { socket } = await rawUpgrade(port)
  socket.resume()
  return socket
}

describe('Server heartbeat', () => {
  it('keeps peers that answer, drops one that does not with 1001, from one timer', async () => {
    const setInterval = jest.spyOn(global, 'setInterval')
    const server = new Server({ port: 0, host: '127.0.0.1', heartbeat: 100 })
    await once(server, 'listening')
    const { port } = server.address()
    const errors = []
    server.on('error', (err) => errors.push(err.code))
    const lively = [
      new WebSocket(`ws://127.0.0.1:${port}/`),
      new WebSocket(`ws://127.0.0.1:${port}/`),
    ]
    await Promise.all(lively.map((ws) => once(ws, 'open')))
    const closed = once(server, 'close')
    const opened = Date.now()
    const deaf = await deafClient(port)
    const [code, , reason] = await closed
    const after = Date.now() - opened
    expect(code).toBe(1001)
    expect(reason).toBe('No pong within the heartbeat interval')
    expect(errors).toEqual(['WS_ERR_HEARTBEAT_TIMEOUT'])
    // Its second beat finds the first ping unanswered: between one and two intervals.
    expect(after).toBeGreaterThanOrEqual(90)
    expect(after).toBeLessThan(1000)
    await sleep(400)
    expect(lively.map((ws) => ws.readyState)).toEqual([WebSocket.OPEN, WebSocket.OPEN])
    expect(server.sockets).toHaveLength(2)
    const heartbeatTimers = setInterval.mock.calls.filter(([, ms]) => ms === 100)
    expect(heartbeatTimers).toHaveLength(1)
    setInterval.mockRestore()
    deaf.destroy()
    for (const ws of lively) ws.close()
    await new Promise((resolve) => server.close(resolve))
  })

  // Node runs an interval longer than 2^31 - 1 ms every millisecond: a
  // heartbeat of 1e12 ms pinged (and dropped) every socket at once.
  it('beats at most every 2^31 - 1 ms, whatever longer interval it is given', async () => {
    const setInterval = jest.spyOn(global, 'setInterval')
    const server = new Server({ port: 0, host: '127.0.0.1', heartbeat: 1e12 })
    await once(server, 'listening')
    const deaf = await deafClient(server.address().port)
    await sleep(150)
    expect(server.sockets).toHaveLength(1)
    expect(setInterval.mock.calls.map(([, ms]) => ms)).toContain(2 ** 31 - 1)
    expect(setInterval.mock.calls.map(([, ms]) => ms)).not.toContain(1e12)
    setInterval.mockRestore()
    deaf.destroy()
    await new Promise((resolve) => server.close(resolve))
  })

  it('is checked like the other options', () => {
    expect(() => new Server({ heartbeat: -1 })).toThrow(/"options\.heartbeat"/)
    expect(() => new Server({ heartbeat: Infinity })).toThrow(/"options\.heartbeat"/)
    expect(() => new Server({ heartbeat: '30s' })).toThrow(/"options\.heartbeat"/)
  })
})

describe('Socket heartbeat', () => {
  it('drops a peer that stops answering and keeps one that answers', async () => {
    const good = await tcpPair()
    const a = new Socket(good.server, { heartbeat: 50 })
    const b = new Socket(good.client, { mask: true })
    const bad = await tcpPair()
    const c = new Socket(bad.client, { mask: true, heartbeat: 50 })
    bad.server.resume() // reads our pings and answers none
    const errors = []
    c.on('error', (err) => errors.push(err.code))
    expect(await once(c, 'close')).toEqual([1001, 'No pong within the heartbeat interval'])
    expect(errors).toEqual(['WS_ERR_HEARTBEAT_TIMEOUT'])
    await sleep(200)
    expect(a.readyState).toBe(Socket.OPEN)
    b.close()
    await once(a, 'close')
    good.close()
    bad.close()
  })
})
