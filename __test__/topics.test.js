'use strict'

// Topics and publish within one process, the adapter contract (with a bus
// made here that joins two Servers in memory), counters and
// diagnostics_channel events. Peers are ws clients and raw TCP.

const diagnostics = require('node:diagnostics_channel')
const net = require('node:net')
const { PassThrough } = require('node:stream')

const WebSocket = require('ws')

const { Server, Socket, Adapter } = require('..')
const { once } = require('./helpers/pair')
const { rawUpgrade } = require('./helpers/raw')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** A Server on its own port that subscribes each socket to the topics in its URL (?t=a,b). */
async function topicServer(options = {}) {
  const server = new Server({ url: 'ws://127.0.0.1/', port: 0, host: '127.0.0.1', ...options })
  server.on('open', (ws, request) => {
    const topics = new URL(request.url, 'ws://x').searchParams.get('t')
    for (const topic of topics ? topics.split(',') : []) ws.subscribe(topic)
  })
  server.on('error', () => {})
  await once(server, 'listening')
  return server
}

/** A ws client with every message it receives (strings for text) in `got`. */
async function client(server, topics = '', options) {
  const url = `ws://127.0.0.1:${server.address().port}/?t=${topics}`
  const ws = new WebSocket(url, options)
  ws.got = []
  ws.on('message', (data, isBinary) => ws.got.push(isBinary ? data : data.toString()))
  await once(ws, 'open')
  // The server's 'open' handler ran before the 101 went out.
  return ws
}

/** Waits until `predicate()` holds, checking every 5 ms, for at most `ms`. */
async function until(predicate, ms = 5000) {
  const end = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await sleep(5)
  }
}

const closeAll = (server, clients) =>
  Promise.all([
    ...clients.map((ws) => ws.readyState < 2 && ws.close()),
    new Promise((resolve) => server.close(resolve)),
  ])

describe('topics', () => {
  it('publish reaches exactly the subscribers of the topic, in order, with its type', async () => {
    const server = await topicServer()
    const a = await client(server, 'news')
    const b = await client(server, 'news,sport')
    const c = await client(server, 'sport')
    const none = await client(server)
    expect(server.sockets.map((ws) => ws.topics.sort())).toEqual([
      ['news'],
      ['news', 'sport'],
      ['sport'],
      [],
    ])
    await server.publish('news', 'first')
    await server.publish('news', Buffer.from([1, 2, 3]))
    await server.publish('sport', 'goal')
    await server.publish('nobody', 'lost')
    await until(() => a.got.length === 2 && b.got.length === 3 && c.got.length === 1)
    await sleep(20)
    expect(a.got).toEqual(['first', Buffer.from([1, 2, 3])])
    expect(b.got).toEqual(['first', Buffer.from([1, 2, 3]), 'goal'])
    expect(c.got).toEqual(['goal'])
    expect(none.got).toEqual([])
    await closeAll(server, [a, b, c, none])
  })

  it('unsubscribe and close take a socket out of its topics', async () => {
    const server = await topicServer()
    const a = await client(server, 'room')
    const b = await client(server, 'room')
    const [wsA, wsB] = server.sockets
    expect(wsA.isSubscribed('room')).toBe(true)
    expect(wsA.subscribe('room')).toBe(false)
    expect(wsA.unsubscribe('room')).toBe(true)
    expect(wsA.unsubscribe('room')).toBe(false)
    expect(wsA.isSubscribed('room')).toBe(false)
    server.publish('room', 'one')
    await until(() => b.got.length === 1)
    b.close()
    await once(wsB, 'close')
    expect(wsB.topics).toEqual([])
    // A closed socket cannot come back into a topic.
    expect(wsB.subscribe('room')).toBe(false)
    server.publish('room', 'two')
    await sleep(30)
    expect(a.got).toEqual([])
    await closeAll(server, [a])
  })

  it('writes the same frame bytes to every subscriber (made once), also when compressed', async () => {
    for (const perMessageDeflate of [false, { threshold: 0 }]) {
      const server = await topicServer({ perMessageDeflate })
      const options = { perMessageDeflate: perMessageDeflate !== false }
      const clients = []
      for (let i = 0; i < 4; i++) clients.push(await client(server, 't', options))
      const written = []
      const write = net.Socket.prototype.write
      net.Socket.prototype.write = function spy(chunk, ...rest) {
        written.push(chunk)
        return write.call(this, chunk, ...rest)
      }
      try {
        server.publish('t', 'x'.repeat(300))
      } finally {
        net.Socket.prototype.write = write
      }
      expect(written).toHaveLength(4)
      for (const chunk of written) expect(chunk).toBe(written[0])
      // Compressed: RSV1 set, and far shorter than the 300-byte text.
      if (perMessageDeflate)
        expect([written[0][0] & 0x40, written[0].length < 50]).toEqual([64, true])
      await until(() => clients.every((ws) => ws.got.length === 1))
      for (const ws of clients) expect(ws.got).toEqual(['x'.repeat(300)])
      await closeAll(server, clients)
    }
  })

  it('the messages one tick publishes go to each socket in one write (writev), in order', async () => {
    const server = await topicServer({ perMessageDeflate: false })
    const clients = [await client(server, 't'), await client(server, 't')]
    const calls = []
    const { _write: write, _writev: writev } = net.Socket.prototype
    net.Socket.prototype._write = function spy(chunk, ...rest) {
      calls.push(['write', 1])
      return write.call(this, chunk, ...rest)
    }
    net.Socket.prototype._writev = function spy(chunks, ...rest) {
      calls.push(['writev', chunks.length])
      return writev.call(this, chunks, ...rest)
    }
    try {
      for (const text of ['one', 'two', 'three']) server.publish('t', text)
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      Object.assign(net.Socket.prototype, { _write: write, _writev: writev })
    }
    expect(calls).toEqual([
      ['writev', 3],
      ['writev', 3],
    ])
    await until(() => clients.every((ws) => ws.got.length === 3))
    for (const ws of clients) expect(ws.got).toEqual(['one', 'two', 'three'])
    await closeAll(server, clients)
  })

  it('a subscriber that does not read is closed past maxBackpressure; the others get every message', async () => {
    const server = await topicServer({ maxBackpressure: 1 << 20 })
    const good = await client(server, 'feed')
    const { socket } = await rawUpgrade(server.address().port)
    socket.on('error', () => {})
    socket.pause()
    const slow = server.sockets.find((ws) => ws.remotePort === socket.localPort)
    slow.subscribe('feed')
    const closed = once(slow, 'close')
    const chunk = Buffer.alloc(64 << 10, 7)
    let sent = 0
    for (; sent < 400 && slow.readyState === 1; sent++) {
      server.publish('feed', chunk)
      // Let the good client read, as a paced publisher would.
      if (sent % 8 === 0) await sleep(2)
    }
    const [code] = await closed
    expect(code).toBe(1008)
    expect(server.stats.errors).toEqual({ WS_ERR_BACKPRESSURE: 1 })
    await until(() => good.got.length === sent)
    expect(good.got.every((data) => data.equals(chunk))).toBe(true)
    socket.destroy()
    await closeAll(server, [good])
  })

  it('checks its arguments, naming them', async () => {
    const server = await topicServer()
    expect(() => server.publish(7, 'x')).toThrow(/"topic" argument must be of type string/)
    expect(() => server.publish('', 'x')).toThrow(/"topic" argument must be a non-empty string/)
    expect(() => server.publish('t', 42)).toThrow(/"message" argument/)
    const a = await client(server)
    expect(() => server.sockets[0].subscribe(null)).toThrow(/"topic" argument/)
    // A Socket a Server did not open has no topics to join.
    const standalone = new Socket(new PassThrough())
    expect(() => standalone.subscribe('t')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_STATE' }),
    )
    expect(standalone.topics).toEqual([])
    expect(() => new Server({ adapter: {} })).toThrow(/"options.adapter" argument/)
    await closeAll(server, [a])
  })
})

/**
 * A bus in memory for the adapter tests: every adapter on it hears the
 * others' publishes for the topics it subscribed to, as Redis would do.
 */
class MemoryBus {
  adapters = new Set()
  down = false
}

class MemoryAdapter extends Adapter {
  topics = new Set()
  calls = []

  constructor(bus) {
    super()
    this.bus = bus
    bus.adapters.add(this)
  }

  publish(topic, opcode, data) {
    if (this.bus.down) return Promise.reject(new Error('bus down'))
    for (const other of this.bus.adapters) {
      if (other !== this && other.topics.has(topic)) other.deliver(topic, opcode, data)
    }
    return Promise.resolve()
  }

  subscribe(topic) {
    this.calls.push(['subscribe', topic])
    this.topics.add(topic)
  }

  unsubscribe(topic) {
    this.calls.push(['unsubscribe', topic])
    this.topics.delete(topic)
  }
}

describe('adapters: the interface, on a bus in memory', () => {
  it('a publish on either server reaches the subscribers of both; the bus hears first and last subscribers', async () => {
    const bus = new MemoryBus()
    const adapters = [new MemoryAdapter(bus), new MemoryAdapter(bus)]
    const servers = [
      await topicServer({ adapter: adapters[0] }),
      await topicServer({ adapter: adapters[1] }),
    ]
    const a1 = await client(servers[0], 'x')
    const a2 = await client(servers[0], 'x')
    const b1 = await client(servers[1], 'x,y')
    const b2 = await client(servers[1], 'y')
    expect(adapters[0].calls).toEqual([['subscribe', 'x']])
    expect(adapters[1].calls).toEqual([
      ['subscribe', 'x'],
      ['subscribe', 'y'],
    ])
    for (let i = 0; i < 5; i++) {
      await servers[i % 2].publish('x', `x${i}`)
      await servers[i % 2].publish('y', Buffer.from([i]))
    }
    const xs = ['x0', 'x1', 'x2', 'x3', 'x4']
    await until(() => a1.got.length === 5 && a2.got.length === 5 && b2.got.length === 5)
    await until(() => b1.got.length === 10)
    await sleep(20)
    expect(a1.got).toEqual(xs)
    expect(a2.got).toEqual(xs)
    expect(b1.got.filter((m) => typeof m === 'string')).toEqual(xs)
    expect(b2.got).toEqual([0, 1, 2, 3, 4].map((i) => Buffer.from([i])))

    // The last subscriber of y on server 1 leaves: the bus is told.
    servers[1].sockets.forEach((ws) => ws.unsubscribe('y'))
    expect(adapters[1].calls.at(-1)).toEqual(['unsubscribe', 'y'])

    // A publish the bus refuses rejects; the local subscribers still have it.
    bus.down = true
    await expect(servers[0].publish('x', 'during')).rejects.toThrow('bus down')
    await until(() => a1.got.length === 6)
    expect(b1.got).toHaveLength(10)

    for (const [i, server] of servers.entries()) {
      await closeAll(server, i === 0 ? [a1, a2] : [b1, b2])
    }
    // A socket's close takes it out, so the last close unsubscribes.
    expect(adapters[0].calls.at(-1)).toEqual(['unsubscribe', 'x'])
  })

  it('an adapter serves one Server', () => {
    const adapter = new MemoryAdapter(new MemoryBus())
    const first = new Server({ adapter })
    expect(first).toBeInstanceOf(Server)
    expect(() => new Server({ adapter })).toThrow(/an adapter serves one Server/)
  })
})

describe('counters and diagnostics_channel', () => {
  it('counts messages and bytes each way, per socket and per server, closes by code', async () => {
    const server = await topicServer()
    server.on('message', (message, ws) => ws.send(message))
    const ws = await client(server, '', { perMessageDeflate: false })
    for (let i = 0; i < 3; i++) ws.send('0123456789')
    await until(() => ws.got.length === 3)
    const [socket] = server.sockets
    // Client frames: 2 header + 4 mask + 10 bytes; ours back: 2 + 10.
    expect(socket.stats).toEqual({
      messagesReceived: 3,
      messagesSent: 3,
      bytesReceived: 48,
      bytesSent: 36,
      bufferedIncoming: 0,
      bufferedAmount: 0,
      compressedFrom: 0,
      compressedTo: 0,
    })
    ws.close(4001)
    await once(socket, 'close')
    const b = await client(server, '', { perMessageDeflate: false })
    b.close(1000)
    await until(() => server.sockets.length === 0)
    const stats = server.stats
    // The closed sockets' totals stay; close frames are counted as bytes.
    expect(stats).toMatchObject({
      sockets: 0,
      messagesReceived: 3,
      messagesSent: 3,
      closes: { 4001: 1, 1000: 1 },
      errors: {},
      compressionRatio: null,
    })
    expect(stats.bytesReceived).toBe(48 + 2 * (6 + 2))
    expect(stats.bytesSent).toBe(36 + 2 * (2 + 2))
    await closeAll(server, [])
  })

  it('counts what permessage-deflate made of the payloads', async () => {
    const server = await topicServer({ perMessageDeflate: { threshold: 0 } })
    const ws = await client(server, 't', { perMessageDeflate: true })
    const text = JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ id: i, name: 'item' })))
    server.sockets[0].send(text)
    await until(() => ws.got.length === 1)
    const { compressedFrom, compressedTo } = server.sockets[0].stats
    expect(compressedFrom).toBe(Buffer.byteLength(text))
    expect(compressedTo).toBeGreaterThan(0)
    expect(server.stats.compressionRatio).toBe(compressedTo / compressedFrom)
    expect(server.stats.compressionRatio).toBeLessThan(0.3)
    await closeAll(server, [ws])
  })

  it('publishes upgrade, open, error and close on diagnostics_channel', async () => {
    const seen = []
    const subscribers = {}
    for (const name of ['upgrade', 'open', 'error', 'close']) {
      subscribers[name] = (message) => seen.push([name, message])
      diagnostics.subscribe(`websockets:${name}`, subscribers[name])
    }
    try {
      const server = await topicServer({ maxPayload: 16 })
      const ws = await client(server)
      const [socket] = server.sockets
      ws.send('x'.repeat(100))
      await once(socket, 'close')
      const names = seen.map(([name]) => name)
      expect(names).toEqual(['upgrade', 'open', 'error', 'close'])
      for (const [, message] of seen) expect(message.server).toBe(server)
      expect(seen[1][1].socket).toBe(socket)
      expect(seen[1][1].request.url).toBe('/?t=')
      expect(seen[2][1].error.code).toBe('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
      expect(seen[3][1]).toMatchObject({ socket, code: 1009 })
      await closeAll(server, [ws])
    } finally {
      for (const [name, fn] of Object.entries(subscribers)) {
        diagnostics.unsubscribe(`websockets:${name}`, fn)
      }
    }
  })
})
