'use strict'

// The hostile peers of issue 10 and docs/errors.md, one after another
// against one Server over TCP, as an attacker would: each gets the close
// code or HTTP status it must, a well-behaved client keeps echoing through
// all of it, and the process's RSS stays within a stated bound.
// benches/soak/reset.js is the long form of the reset case.

const net = require('node:net')
const zlib = require('node:zlib')
const WebSocket = require('ws')
const { Server } = require('..')
const { once } = require('./helpers/pair')
const { wsFrame } = require('./helpers/frames')
const { rawUpgrade, upgradeRequest } = require('./helpers/raw')

// What the whole suite may add to this process's RSS.
const RSS_BOUND = 96 << 20

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const masked = (opcode, payload, opts = {}) => wsFrame(opcode, payload, { mask: true, ...opts })

/** The server-side 'close' (code, reason, error codes) of the socket a raw client opened. */
function serverClose(server, client) {
  const ws = server.sockets.find((w) => w.remotePort === client.localPort)
  const errors = []
  ws.on('error', (err) => errors.push(err.code))
  return once(ws, 'close').then(([code, reason]) => [code, reason, errors])
}

/** Everything a plain TCP connection receives until the server closes it. */
async function httpAnswer(port, request) {
  const socket = net.connect(port, '127.0.0.1')
  socket.on('error', () => {})
  await once(socket, 'connect')
  if (request) socket.write(request)
  let answer = ''
  socket.on('data', (chunk) => {
    answer += chunk
  })
  await once(socket, 'close')
  return answer.split('\r\n')[0]
}

describe('hostile peers against one Server', () => {
  let server
  let port
  let good
  const rss = []

  beforeAll(async () => {
    server = new Server({
      port: 0,
      host: '127.0.0.1',
      maxConnections: 12,
      handshakeTimeout: 300,
      heartbeat: 200,
      maxPayload: 1 << 20,
      maxFragments: 1000,
      maxBackpressure: 1 << 20,
      memoryBudget: 256 << 20,
    })
    await once(server, 'listening')
    port = server.address().port
    server.on('message', (message, ws) => ws.send(message))
    server.on('error', () => {})
    good = new WebSocket(`ws://127.0.0.1:${port}/`)
    await once(good, 'open')
    rss.push(process.memoryUsage().rss)
  })

  afterEach(async () => {
    // The well-behaved client still gets its echo.
    const text = `still here ${Date.now()}`
    const echoed = once(good, 'message')
    good.send(text)
    expect((await echoed)[0].toString()).toBe(text)
    expect(good.readyState).toBe(WebSocket.OPEN)
    rss.push(process.memoryUsage().rss)
  })

  afterAll(async () => {
    good.close()
    await new Promise((resolve) => server.close(resolve))
    expect(Math.max(...rss) - rss[0]).toBeLessThan(RSS_BOUND)
  })

  it('slowloris: a request that never ends gets 408 at handshakeTimeout', async () => {
    expect(await httpAnswer(port, 'GET / HTTP/1.1\r\nHost: x\r\n')).toBe(
      'HTTP/1.1 408 Request Timeout',
    )
  })

  it('garbage instead of HTTP, and an upgrade without a key, get 400', async () => {
    expect(await httpAnswer(port, 'BLAH\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/)
    const noKey =
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Version: 13\r\n\r\n'
    expect(await httpAnswer(port, noKey)).toBe('HTTP/1.1 400 Bad Request')
  })

  it('a connection flood past maxConnections gets 503 and holds no slot', async () => {
    const opened = []
    const statuses = []
    for (let i = 0; i < 15; i++) {
      const { socket, answer } = await rawUpgrade(port)
      socket.on('error', () => {})
      statuses.push(answer.toString().split('\r\n')[0])
      opened.push(socket)
    }
    // 12 slots, one held by the good client.
    expect(statuses.filter((s) => s.includes('101'))).toHaveLength(11)
    expect(statuses.filter((s) => s.includes('503'))).toHaveLength(4)
    for (const socket of opened) socket.destroy()
    await sleep(100)
    expect(server.sockets).toHaveLength(1)
  })

  it.each([
    [
      'a message in 1001 one-byte frames',
      1008,
      'WS_ERR_TOO_MANY_BUFFERED_PARTS',
      () =>
        Buffer.concat([
          masked(1, 'a', { fin: false }),
          ...Array.from({ length: 999 }, () => masked(0, 'a', { fin: false })),
          masked(0, 'a'),
        ]),
    ],
    [
      'a header claiming 1 TB',
      1009,
      'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
      () => Buffer.from('82ff000000e8d4a5100037fa213d', 'hex'),
    ],
    ['invalid UTF-8', 1007, 'WS_ERR_INVALID_UTF8', () => masked(1, Buffer.from('ceba80', 'hex'))],
    ['an unmasked frame', 1002, 'WS_ERR_EXPECTED_MASK', () => wsFrame(1, 'x')],
    ['a reserved opcode', 1002, 'WS_ERR_INVALID_OPCODE', () => masked(3, 'x')],
  ])('%s: closed %d', async (name, code, errorCode, bytes) => {
    const { socket } = await rawUpgrade(port)
    socket.on('error', () => {})
    socket.resume()
    const closed = serverClose(server, socket)
    socket.write(bytes())
    const [got, , errors] = await closed
    expect([got, errors]).toEqual([code, [errorCode]])
    socket.destroy()
  })

  it('a deflate bomb stops at maxPayload while inflating: 1009', async () => {
    const { socket } = await rawUpgrade(port, 'Sec-WebSocket-Extensions: permessage-deflate\r\n')
    socket.on('error', () => {})
    socket.resume()
    const closed = serverClose(server, socket)
    const zeros = zlib.deflateRawSync(Buffer.alloc(64 << 20), { level: 9 })
    socket.write(masked(2, zeros, { rsv1: true }))
    const [code, , errors] = await closed
    expect([code, errors]).toEqual([1009, ['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH']])
    socket.destroy()
  })

  it('a peer that never reads while the server sends: 1008 past maxBackpressure', async () => {
    const { socket } = await rawUpgrade(port)
    socket.on('error', () => {})
    socket.pause()
    const closed = serverClose(server, socket)
    const victim = server.sockets.find((ws) => ws.remotePort === socket.localPort)
    const chunk = Buffer.alloc(64 << 10)
    for (let i = 0; i < 2000 && victim.readyState === 1; i++) {
      victim.send(chunk)
      if (i % 16 === 0) await sleep(1)
    }
    const [code, , errors] = await closed
    expect([code, errors]).toEqual([1008, ['WS_ERR_BACKPRESSURE']])
    socket.destroy()
  })

  it('a peer that pings without reading is dropped by the heartbeat: 1001', async () => {
    const { socket } = await rawUpgrade(port)
    socket.on('error', () => {})
    socket.pause()
    const closed = serverClose(server, socket)
    const ping = masked(9, Buffer.alloc(125, 1))
    const flood = Buffer.concat(Array.from({ length: 500 }, () => ping))
    let open = true
    closed.then(() => {
      open = false
    })
    for (let i = 0; i < 100 && open; i++) {
      socket.write(flood)
      await sleep(10)
    }
    const [code, reason, errors] = await closed
    expect([code, reason, errors]).toEqual([
      1001,
      'No pong within the heartbeat interval',
      ['WS_ERR_HEARTBEAT_TIMEOUT'],
    ])
    socket.destroy()
  })

  it('a reset in the middle of a message frees its socket', async () => {
    const { socket } = await rawUpgrade(port)
    socket.on('error', () => {})
    const closed = serverClose(server, socket)
    socket.write(masked(2, Buffer.alloc(100000)).subarray(0, 50000))
    await sleep(20)
    socket.resetAndDestroy()
    const [code] = await closed
    expect(code).toBe(1006)
    expect(server.sockets).toHaveLength(1)
  })

  it('an upgrade with a wrong version gets 426 naming 13', async () => {
    const request = upgradeRequest().replace(
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Version: 8',
    )
    expect(await httpAnswer(port, request)).toBe('HTTP/1.1 426 Upgrade Required')
  })
})
