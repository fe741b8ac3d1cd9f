'use strict'

// Topics across processes, on a real Redis and on Node's cluster: Server
// processes (peers/topic-server.js) with ws clients on each.

const { fork } = require('node:child_process')
const path = require('node:path')

const WebSocket = require('ws')

const { RedisAdapter, Server } = require('..')
const { once } = require('./helpers/pair')
const { describeWithRedis, startRedis, freePort, subscribers } = require('./helpers/redis')
const { readmeBlock, runExample } = require('./helpers/readme')

const SERVER = path.join(__dirname, 'peers', 'topic-server.js')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(predicate, what, ms = 15000) {
  const end = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

/** A topic-server process; `messages` collects what it tells us (ready, bus events). */
function startServer(env) {
  const child = fork(SERVER, [], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  child.messages = []
  child.on('message', (message) => child.messages.push(message))
  child.stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }
  return child
}

/** A ws client of 127.0.0.1:`port` subscribed to `topics`; what it receives goes in `got`. */
async function client(port, topics = '') {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/?t=${topics}`, { perMessageDeflate: false })
  ws.got = []
  ws.on('message', (data, isBinary) => ws.got.push(isBinary ? [...data] : data.toString()))
  await once(ws, 'open')
  return ws
}

const publish = (ws, topic, data) =>
  ws.send(
    JSON.stringify(
      typeof data === 'string' ? { publish: topic, text: data } : { publish: topic, bytes: data },
    ),
  )

const busEvents = (child, event) => child.messages.filter((m) => m.bus === event).length

describeWithRedis('the Redis adapter, three Server processes on a real Redis', () => {
  let redis
  let servers = []
  let clients = []

  beforeAll(async () => {
    redis = await startRedis()
    servers = [0, 1, 2].map(() => startServer({ ADAPTER: 'redis', REDIS_URL: redis.url }))
    await until(
      () => servers.every((s) => s.messages.some((m) => m.ready) && busEvents(s, 'up') === 1),
      'three servers with their adapters up',
    )
  }, 30000)

  afterAll(async () => {
    for (const ws of clients) ws.terminate()
    await Promise.all(servers.map((s) => s.stop()))
    await redis?.stop()
  })

  const portOf = (child) => child.messages.find((m) => m.ready).ready

  it('a publish from any process reaches exactly the subscribers of its topic on all three, once each, in order', async () => {
    // On each server: a subscriber of "a", one of "a" and "b", one of "b".
    const byServer = []
    for (const server of servers) {
      const port = portOf(server)
      byServer.push([await client(port, 'a'), await client(port, 'a,b'), await client(port, 'b')])
    }
    const publishers = await Promise.all(servers.map((s) => client(portOf(s))))
    clients = [...byServer.flat(), ...publishers]
    await subscribers(redis.url, 'websockets:a', 3)
    // Each process publishes 20 messages to "a", text and binary in turn.
    const sent = [[], [], []]
    for (let i = 0; i < 20; i++) {
      for (const [p, ws] of publishers.entries()) {
        const data = i % 2 === 0 ? `from ${p}: ${i} é€😀` : [p, i, 255]
        sent[p].push(data)
        publish(ws, 'a', data)
      }
    }
    const all = sent.flat()
    const aSubscribers = byServer.flatMap(([onlyA, both]) => [onlyA, both])
    await until(() => aSubscribers.every((ws) => ws.got.length >= all.length), 'every message')
    await sleep(100)
    for (const ws of aSubscribers) {
      expect(ws.got).toHaveLength(all.length)
      // Once each, and in each publisher's order.
      for (const [p, messages] of sent.entries()) {
        const fromP = ws.got.filter((m) =>
          typeof m === 'string' ? m.startsWith(`from ${p}:`) : m[0] === p,
        )
        expect(fromP).toEqual(messages)
      }
    }
    for (const [, , onlyB] of byServer) expect(onlyB.got).toEqual([])
    for (const ws of publishers) expect(ws.got).toEqual([])
  }, 30000)

  it('Redis stopped and restarted: publishes are refused and reported, the adapters recover and resubscribe', async () => {
    const cSubscribers = await Promise.all(servers.map((s) => client(portOf(s), 'c')))
    const publisher = await client(portOf(servers[0]))
    clients.push(...cSubscribers, publisher)
    await subscribers(redis.url, 'websockets:c', 3)
    publish(publisher, 'c', 'before')
    await until(() => cSubscribers.every((ws) => ws.got.length === 1), 'the first message')

    const { port } = redis
    await redis.stop()
    await until(() => servers.every((s) => busEvents(s, 'down') === 1), "every adapter's down")
    // The publish is refused and reported to the publisher; the local
    // subscriber still has it, the others miss it (at most once).
    publish(publisher, 'c', 'during')
    await until(() => publisher.got.length === 1, 'the refusal')
    expect(JSON.parse(publisher.got[0])).toEqual({ error: 'WS_ERR_BUS_DOWN' })
    await until(() => cSubscribers[0].got.length === 2, 'the local delivery')

    redis = await startRedis(port)
    await until(() => servers.every((s) => busEvents(s, 'up') === 2), "every adapter's up")
    publish(publisher, 'c', 'after')
    await until(() => cSubscribers.every((ws) => ws.got.at(-1) === 'after'), 'the later publish')
    expect(cSubscribers.map((ws) => ws.got)).toEqual([
      ['before', 'during', 'after'],
      ['before', 'after'],
      ['before', 'after'],
    ])
    expect(publisher.got).toHaveLength(1)
  }, 40000)
})

describeWithRedis('the Redis adapter on its own', () => {
  it('checks its options, naming them', () => {
    expect(() => new RedisAdapter(5)).toThrow(/"options" argument/)
    expect(() => new RedisAdapter({ url: 5 })).toThrow(/"options.url" argument/)
    expect(() => new RedisAdapter({ prefix: null })).toThrow(/"options.prefix" argument/)
  })

  it('topics and prefixes beyond ASCII cross Redis intact', async () => {
    const redis = await startRedis()
    const prefix = 'chat€:'
    const topic = 'salón 🎉'
    const servers = [0, 1].map(
      () =>
        new Server({
          port: 0,
          host: '127.0.0.1',
          adapter: new RedisAdapter({ url: redis.url, prefix }),
        }),
    )
    try {
      await Promise.all(servers.map((server) => once(server, 'listening')))
      servers[0].on('open', (ws) => ws.subscribe(topic))
      const ws = await client(servers[0].address().port)
      await subscribers(redis.url, prefix + topic, 1)
      await servers[1].publish(topic, 'olé ✓')
      await servers[1].publish(topic, Buffer.from([0, 1, 2]))
      await until(() => ws.got.length === 2, 'both messages')
      expect(ws.got).toEqual(['olé ✓', [0, 1, 2]])
      ws.terminate()
    } finally {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
      await redis.stop()
    }
  })

  it('server.close() lets go of Redis: both connections quit', async () => {
    const redis = await startRedis()
    try {
      const adapter = new RedisAdapter({ url: redis.url })
      const server = new Server({ port: 0, host: '127.0.0.1', adapter })
      server.on('open', (ws) => ws.subscribe('t'))
      await Promise.all([once(adapter, 'up'), once(server, 'listening')])
      const ws = await client(server.address().port, 't')
      await subscribers(redis.url, 'websockets:t', 1)
      const closed = once(ws, 'close')
      await new Promise((resolve) => server.close(resolve))
      expect((await closed)[0]).toBe(1001)
      // Only the connection that asks is left.
      const Redis = require('ioredis')
      const probe = new Redis(redis.url)
      const clients = await probe.client('LIST')
      probe.disconnect()
      expect(clients.trim().split('\n')).toHaveLength(1)
    } finally {
      await redis.stop()
    }
  })

  it('refuses publishes past maxPending while Redis does not answer, and takes them again after', async () => {
    const redis = await startRedis()
    const Redis = require('ioredis')
    const admin = new Redis(redis.url)
    const adapter = new RedisAdapter({ url: redis.url, maxPending: 1 << 20 })
    try {
      await once(adapter, 'up')
      // Redis holds every client's commands, unanswered, for 1.5 s.
      await admin.client('PAUSE', 1500, 'ALL')
      const flood = Array.from({ length: 32 }, () =>
        adapter.publish('x', 2, Buffer.alloc(256 << 10)),
      )
      const results = await Promise.allSettled(flood)
      const refused = results.filter((r) => r.status === 'rejected')
      expect(refused.length).toBeGreaterThan(16)
      expect(refused[0].reason.code).toBe('WS_ERR_BUS_DOWN')
      expect(results.length - refused.length).toBeGreaterThan(0)
      await expect(adapter.publish('x', 2, Buffer.alloc(256 << 10))).resolves.toBeUndefined()
    } finally {
      admin.disconnect()
      await adapter.close()
      await redis.stop()
    }
  }, 15000)

  it('reports an unreachable Redis with down, and a publish to it rejects', async () => {
    const port = await freePort()
    const adapter = new RedisAdapter({ url: `redis://127.0.0.1:${port}` })
    const [err] = await once(adapter, 'down')
    expect(err.code).toBe('WS_ERR_BUS_DOWN')
    await expect(adapter.publish('t', 1, 'x')).rejects.toMatchObject({ code: 'WS_ERR_BUS_DOWN' })
    await adapter.close()
  })
})

describe('the cluster adapter: two workers on one port', () => {
  let primary
  const clients = []

  afterAll(async () => {
    for (const ws of clients) ws.terminate()
    await primary?.stop()
  })

  it('a publish on either worker reaches the subscribers on both, once each, in order', async () => {
    const port = await freePort()
    primary = startServer({ ADAPTER: 'cluster', PORT: String(port), WORKERS: '2' })
    await until(
      () => primary.messages.filter((m) => m.ready).length === 2,
      'two workers listening',
      20000,
    )
    // The kernel spreads connections over the workers: connect until each
    // worker has a subscriber and a publisher.
    const byWorker = new Map()
    for (let i = 0; i < 40 && [...byWorker.values()].filter((l) => l.length >= 2).length < 2; i++) {
      const ws = await client(port, 'd')
      clients.push(ws)
      ws.send(JSON.stringify({ who: 1 }))
      await until(() => ws.got.length === 1, 'who')
      const { worker } = JSON.parse(ws.got.shift())
      byWorker.set(worker, [...(byWorker.get(worker) ?? []), ws])
    }
    expect([...byWorker.keys()].sort()).toEqual([1, 2])
    const [[pub1, sub1], [pub2, sub2]] = [...byWorker.values()]
    const everyone = [...byWorker.values()].flat()
    for (let i = 0; i < 10; i++) {
      publish(pub1, 'd', `one ${i}`)
      publish(pub2, 'd', [2, i])
    }
    await until(() => everyone.every((ws) => ws.got.length >= 20), 'every message')
    await sleep(100)
    for (const ws of [sub1, sub2, pub1, pub2]) {
      expect(ws.got).toHaveLength(20)
      expect(ws.got.filter((m) => typeof m === 'string')).toEqual(
        Array.from({ length: 10 }, (_, i) => `one ${i}`),
      )
      expect(ws.got.filter((m) => typeof m !== 'string')).toEqual(
        Array.from({ length: 10 }, (_, i) => [2, i]),
      )
    }
  }, 40000)
})

describe('the cluster adapter when the primary stops reading', () => {
  let primary
  const clients = []

  afterAll(async () => {
    for (const ws of clients) ws.terminate()
    await primary?.stop()
  })

  it('refuses publishes past maxPending instead of queuing them, and takes them again after', async () => {
    const port = await freePort()
    primary = startServer({
      ADAPTER: 'cluster',
      PORT: String(port),
      WORKERS: '1',
      MAX_PENDING: String(1 << 20),
    })
    await until(() => primary.messages.some((m) => m.ready), 'the worker', 20000)
    const ws = await client(port)
    clients.push(ws)
    ws.send(JSON.stringify({ stall: 1500 }))
    await sleep(100)
    // 8 MiB against a 1 MiB bound, while the primary reads nothing.
    ws.send(JSON.stringify({ flood: 'x', size: 256 << 10, count: 32 }))
    await until(() => ws.got.length === 1, 'the flood', 10000)
    const during = JSON.parse(ws.got.shift())
    expect(during.took).toBeGreaterThan(0)
    expect(during.refused).toBeGreaterThan(16)
    ws.send(JSON.stringify({ flood: 'x', size: 256 << 10, count: 2 }))
    await until(() => ws.got.length === 1, 'the later publishes', 10000)
    expect(JSON.parse(ws.got.shift())).toEqual({ took: 2, refused: 0 })
  }, 30000)
})

describe("the README's Scaling out example, as written", () => {
  const example = readmeBlock('Scaling out')
  const listening = (count) => (output) => output.split('listening on').length > count

  /** Clients in `room` on each port; each sends one line; every client must get every line. */
  async function everyoneHearsEveryone(ports, ready = async () => {}) {
    const clients = []
    for (const port of ports) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/?room=r`, { perMessageDeflate: false })
      ws.got = []
      ws.on('message', (data) => ws.got.push(data.toString()))
      await once(ws, 'open')
      clients.push(ws)
    }
    await ready()
    clients.forEach((ws, i) => ws.send(`line ${i}`))
    const lines = clients.map((_, i) => `line ${i}`)
    await until(() => clients.every((ws) => ws.got.length >= lines.length), 'every line')
    await sleep(50)
    for (const ws of clients) expect([...ws.got].sort()).toEqual(lines)
    for (const ws of clients) ws.terminate()
  }

  it('WORKERS=2: clients of both workers hear each other', async () => {
    const port = await freePort()
    const run = runExample(example, port, listening(2), { WORKERS: '2' })
    try {
      await run.started
      // The primary hands connections to the workers in turn: four clients
      // are two on each.
      await everyoneHearsEveryone([port, port, port, port])
    } finally {
      await run.stop()
    }
  }, 30000)

  describeWithRedis('on Redis', () => {
    it('REDIS_URL: clients of two processes hear each other', async () => {
      const redis = await startRedis()
      const ports = [await freePort(), await freePort()]
      const runs = ports.map((port) =>
        runExample(example, port, listening(1), { REDIS_URL: redis.url }),
      )
      try {
        await Promise.all(runs.map((run) => run.started))
        await everyoneHearsEveryone([ports[0], ports[1], ports[0], ports[1]], () =>
          subscribers(redis.url, 'websockets:r', 2),
        )
      } finally {
        await Promise.all(runs.map((run) => run.stop()))
        await redis.stop()
      }
    }, 30000)
  })
})
