'use strict'

// The API as the seed page and the README show it, against peers nobody
// here wrote: the seed's pipe echo fed the frames of the Autobahn cases it
// once failed, the README's server fed large messages by ws and Chromium,
// and the rules that keep a piped echo from losing, completing or
// deadlocking a message.

const net = require('node:net')
const { spawn } = require('node:child_process')

const WebSocket = require('ws')

const { Socket, Server } = require('..')
const { tcpPair, once } = require('./helpers/pair')
const { hex, wsFrame, readFrames } = require('./helpers/frames')
const { readmeBlock, runExample, freePort, ROOT } = require('./helpers/readme')
const { describeWithChromium, useChromium } = require('./helpers/chromium')

const TEXT = 0x1
const BINARY = 0x2
const CONTINUATION = 0x0
const CLOSE = 0x8

/** The seed page's echo, verbatim. */
function seedEcho(ws) {
  ws.on('message', (m) => ws.send(m))
  ws.on('stream:start', () => ws.pipe(ws))
  ws.on('stream:stop', () => ws.unpipe(ws))
}

/**
 * A raw TCP peer (the client end, sending masked frames) in front of a
 * server Socket with the seed's echo. `frames()` parses what came back.
 */
async function seedEchoPeer() {
  const pair = await tcpPair()
  const ws = new Socket(pair.server)
  seedEcho(ws)
  const parsed = []
  let rest = Buffer.alloc(0)
  pair.client.on('data', (chunk) => {
    const result = readFrames(rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk)
    parsed.push(...result.frames)
    rest = Buffer.from(result.rest)
  })
  const frames = () => parsed
  const closed = once(ws, 'close')
  /** Resolves once a frame matching `test` has come back. */
  const until = async (test) => {
    while (!frames().some(test)) await once(pair.client, 'data')
  }
  return { pair, ws, frames, closed, until }
}

const isClose = (f) => f.opcode === CLOSE
const closeCode = (frames) => frames.find(isClose).payload.readUInt16BE(0)
const dataFrames = (frames) => frames.filter((f) => f.opcode < 0x8)

describe('the seed pipe echo, fed the Autobahn cases it once failed', () => {
  let peer
  afterEach(() => peer.pair.close())

  it('6.4.1: invalid UTF-8 in a later fragment closes 1007 and never completes the echo', async () => {
    peer = await seedEchoPeer()
    peer.pair.client.write(wsFrame(TEXT, hex('cebae1bdb9cf83cebcceb5'), { fin: false, mask: true }))
    await peer.until((f) => f.opcode === TEXT)
    peer.pair.client.write(wsFrame(CONTINUATION, hex('f4908080'), { fin: false, mask: true }))
    await peer.until(isClose)
    const frames = peer.frames()
    expect(closeCode(frames)).toBe(1007)
    // The first fragment came back unfinished; no final frame follows it.
    expect(dataFrames(frames)).toEqual([
      { fin: false, opcode: TEXT, payload: hex('cebae1bdb9cf83cebcceb5') },
    ])
    expect(frames.at(-1).opcode).toBe(CLOSE)
  })

  it('6.3.2: one-byte fragments, one write each, close 1007 at the bad byte with no complete echo', async () => {
    peer = await seedEchoPeer()
    const payload = hex('cebae1bdb9cf83cebcceb5f4908080656469746564')
    for (let i = 0; i < payload.length; i++) {
      const opcode = i === 0 ? TEXT : CONTINUATION
      const fin = i === payload.length - 1
      peer.pair.client.write(wsFrame(opcode, payload.subarray(i, i + 1), { fin, mask: true }))
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    await peer.until(isClose)
    const frames = peer.frames()
    expect(closeCode(frames)).toBe(1007)
    expect(dataFrames(frames).some((f) => f.fin)).toBe(false)
  })

  it('5.18 / 6.4.2: a new message inside a fragmented one closes 1002 with no complete echo', async () => {
    peer = await seedEchoPeer()
    peer.pair.client.write(wsFrame(TEXT, 'fragment1', { fin: false, mask: true }))
    await peer.until((f) => f.opcode === TEXT)
    peer.pair.client.write(wsFrame(TEXT, 'fragment2', { fin: true, mask: true }))
    await peer.until(isClose)
    const frames = peer.frames()
    expect(closeCode(frames)).toBe(1002)
    expect(dataFrames(frames)).toEqual([
      { fin: false, opcode: TEXT, payload: Buffer.from('fragment1') },
    ])
  })

  it('6.1.2: an empty fragmented text message comes back as one empty text message', async () => {
    peer = await seedEchoPeer()
    peer.pair.client.write(
      Buffer.concat([
        wsFrame(TEXT, '', { fin: false, mask: true }),
        wsFrame(CONTINUATION, '', { fin: false, mask: true }),
        wsFrame(CONTINUATION, '', { fin: true, mask: true }),
        wsFrame(TEXT, 'after', { fin: true, mask: true }),
      ]),
    )
    await peer.until((f) => f.payload.toString() === 'after')
    expect(dataFrames(peer.frames())).toEqual([
      { fin: true, opcode: TEXT, payload: Buffer.alloc(0) },
      { fin: true, opcode: TEXT, payload: Buffer.from('after') },
    ])
  })

  it('the process survives a protocol error on a piped socket with no error listener', async () => {
    // In a process of its own: Jest's sandbox would hide an uncaught 'error'.
    const script = `
      const { Socket } = require(${JSON.stringify(ROOT)})
      const { tcpPair } = require(${JSON.stringify(require.resolve('./helpers/pair'))})
      const { wsFrame } = require(${JSON.stringify(require.resolve('./helpers/frames'))})
      tcpPair().then((pair) => {
        const ws = new Socket(pair.server)
        ws.on('message', (m) => ws.send(m))
        ws.on('stream:start', () => ws.pipe(ws))
        ws.on('stream:stop', () => ws.unpipe(ws))
        ws.on('close', (code) => setTimeout(() => { console.log('alive', code); pair.close() }, 50))
        pair.client.write(wsFrame(2, 'x'.repeat(20000), { fin: false, mask: true }))
        pair.client.once('data', () => pair.client.write(wsFrame(3, 'reserved', { mask: true })))
      })`
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    const [status] = await once(child, 'exit')
    expect(output.trim()).toBe('alive 1002')
    expect(status).toBe(0)
  })

  it.each([
    ['binary', BINARY, Buffer.alloc(16 << 20, 0xab)],
    ['text', TEXT, Buffer.alloc(16 << 20, 'é')],
  ])(
    '9.1.6 / 9.2.6: a peer that writes a 16 MiB %s message before reading gets it back',
    async (name, opcode, payload) => {
      peer = await seedEchoPeer()
      // Like Autobahn's peer: nothing is read until the whole frame is out.
      peer.pair.client.pause()
      const frame = wsFrame(opcode, payload, { mask: true })
      await new Promise((resolve) => peer.pair.client.write(frame, resolve))
      peer.pair.client.resume()
      await peer.until((f) => f.fin)
      const frames = dataFrames(peer.frames())
      expect(frames[0].opcode).toBe(opcode)
      expect(Buffer.concat(frames.map((f) => f.payload)).equals(payload)).toBe(true)
      expect(frames.filter((f) => f.fin)).toHaveLength(1)
    },
    60000,
  )
})

describe('the seed pipe echo over TCP', () => {
  /** Runs `send(peer)` with the server socket's writes recorded, until `done(frames)`. */
  async function serverWrites(peer, send, done) {
    const calls = []
    const server = peer.pair.server
    const { _write: write, _writev: writev } = net.Socket.prototype
    net.Socket.prototype._write = function spy(chunk, ...rest) {
      if (this === server) calls.push([chunk])
      return write.call(this, chunk, ...rest)
    }
    net.Socket.prototype._writev = function spy(chunks, ...rest) {
      if (this === server) calls.push(chunks.map(({ chunk }) => chunk))
      return writev.call(this, chunks, ...rest)
    }
    try {
      send(peer)
      await peer.until(() => done(dataFrames(peer.frames())))
    } finally {
      Object.assign(net.Socket.prototype, { _write: write, _writev: writev })
    }
    return calls
  }

  // The last fragment of a streamed echo and its final frame used to leave
  // in two syscalls; they leave in one writev (lib/outbox.js).
  it('writes the last fragment and the final frame of an echoed message in one write', async () => {
    const peer = await seedEchoPeer()
    const payload = Buffer.alloc(40000, 7)
    const calls = await serverWrites(
      peer,
      () => peer.pair.client.write(wsFrame(BINARY, payload, { mask: true })),
      (frames) => frames.some((f) => f.fin && f.opcode === CONTINUATION),
    )
    const echoed = dataFrames(peer.frames())
    expect(Buffer.concat(echoed.map((f) => f.payload))).toEqual(payload)
    expect(echoed.at(-1)).toEqual({ fin: true, opcode: CONTINUATION, payload: Buffer.alloc(0) })
    // The final frame is two bytes; it shares its write with a fragment.
    const last = calls.at(-1)
    expect(Buffer.concat(last).subarray(-2)).toEqual(Buffer.from([0x80, 0x00]))
    expect(Buffer.concat(last).length).toBeGreaterThan(2)
    peer.pair.close()
  })

  // A fragment of 16 KiB or more, written into the corked source, read as
  // backpressure: the pipe then waited for a 'drain' before the next
  // message, one tick and one write per message (lib/outbox.js accepting()).
  it('echoes streamed messages that arrive together in one write', async () => {
    const peer = await seedEchoPeer()
    const payloads = [1, 2, 3].map((n) => Buffer.alloc(17000, n))
    const calls = await serverWrites(
      peer,
      () =>
        peer.pair.client.write(
          Buffer.concat(payloads.map((p) => wsFrame(BINARY, p, { mask: true }))),
        ),
      (frames) => frames.filter((f) => f.fin).length === payloads.length,
    )
    const echoed = dataFrames(peer.frames())
    expect(Buffer.concat(echoed.map((f) => f.payload))).toEqual(Buffer.concat(payloads))
    expect(echoed.filter((f) => f.fin)).toHaveLength(payloads.length)
    expect(calls).toHaveLength(1)
    peer.pair.close()
  })
})

describe('failing means stopping', () => {
  it('a protocol error ends our open stream and drops the sends behind it: the close frame is next', async () => {
    const peer = await seedEchoPeer()
    try {
      peer.ws.stream('partial')
      peer.ws.send('queued behind the stream')
      await peer.until((f) => f.payload.toString() === 'partial')
      peer.pair.client.write(wsFrame(0x3, '', { mask: true })) // reserved opcode: 1002
      await peer.until(isClose)
      const frames = peer.frames()
      expect(dataFrames(frames)).toEqual([
        { fin: false, opcode: TEXT, payload: Buffer.from('partial') },
      ])
      expect(closeCode(frames)).toBe(1002)
      // Later calls send nothing either.
      expect(peer.ws.stream()).toBe(false)
      expect(peer.ws.send('late')).toBe(false)
    } finally {
      peer.pair.close()
    }
  })

  it('messages sent before the failure still go out, ahead of the close frame', async () => {
    const peer = await seedEchoPeer()
    try {
      peer.pair.client.write(
        Buffer.concat([
          wsFrame(TEXT, 'Hello, world!', { mask: true }),
          wsFrame(TEXT, 'bad rsv', { mask: true, rsv1: true }),
        ]),
      )
      await peer.until(isClose)
      const frames = peer.frames()
      expect(dataFrames(frames)).toEqual([
        { fin: true, opcode: TEXT, payload: Buffer.from('Hello, world!') },
      ])
      expect(closeCode(frames)).toBe(1002)
    } finally {
      peer.pair.close()
    }
  })
})

describe('whole messages unless streaming is asked for', () => {
  let pair
  afterEach(() => pair.close())

  it('a socket with only a message listener gets large and fragmented messages whole', async () => {
    pair = await tcpPair()
    const server = new Socket(pair.server)
    const client = new Socket(pair.client, { mask: true })
    const messages = []
    server.on('message', (m) => messages.push(m))
    const big = Buffer.alloc(1 << 20, 7)
    client.send(big)
    client.stream('frag')
    client.stream('mented')
    client.stream()
    while (messages.length < 2) await once(server, 'message')
    expect(messages[0].equals(big)).toBe(true)
    expect(messages[1]).toBe('fragmented')
  })

  it('a stream:start listener, or a reader of the readable side, gets streams', async () => {
    pair = await tcpPair()
    const server = new Socket(pair.server)
    const client = new Socket(pair.client, { mask: true })
    const chunks = []
    server.on('data', (chunk) => chunks.push(chunk))
    const stop = once(server, 'stream:stop')
    client.send(Buffer.alloc(1 << 20, 7))
    await stop
    expect(Buffer.concat(chunks).length).toBe(1 << 20)
  })
})

describe("the README's server", () => {
  let example
  let port

  beforeAll(async () => {
    port = await freePort()
    example = runExample(readmeBlock('A server'), port, (output) => output.includes('listening on'))
    await example.started
  })

  afterAll(() => example.stop())

  it("talks to the README's client, which prints both replies and exits by itself", async () => {
    const client = runExample(readmeBlock('A client'), port)
    expect(await client.exited).toBe(0)
    expect(client.output()).toBe('welcome\nYou told me: hello\n')
  })

  it.each([16384, 1 << 20, 10 << 20])(
    'answers a %i-byte message from ws, and still answers after it',
    async (size) => {
      const client = new WebSocket(`ws://127.0.0.1:${port}/`)
      const replies = []
      client.on('message', (data) => replies.push(data.toString()))
      await once(client, 'open')
      const text = 'x'.repeat(size)
      client.send(text)
      client.send('after')
      while (replies.length < 3) await once(client, 'message')
      expect(replies[0]).toBe('welcome')
      expect(replies[1] === `You told me: ${text}`).toBe(true)
      expect(replies[2]).toBe('You told me: after')
      const closed = once(client, 'close')
      client.close(1000)
      expect((await closed)[0]).toBe(1000)
    },
    30000,
  )

  describeWithChromium('in headless Chromium', () => {
    const browser = useChromium()

    it('answers 16 KiB, 1 MiB and 10 MiB messages from the browser', async () => {
      const page = await browser().newPage()
      const lengths = await page.evaluate(async (url) => {
        const ws = new WebSocket(url)
        const replies = []
        const sizes = [16384, 1 << 20, 10 << 20]
        await new Promise((resolve, reject) => {
          ws.onerror = () => reject(new Error('WebSocket error'))
          ws.onmessage = (event) => {
            replies.push(event.data.length)
            if (replies.length === sizes.length + 1) resolve()
          }
          ws.onopen = () => sizes.forEach((n) => ws.send('y'.repeat(n)))
        })
        ws.close(1000)
        return replies
      }, `ws://127.0.0.1:${port}/`)
      const prefix = 'You told me: '.length
      expect(lengths).toEqual([
        'welcome'.length,
        prefix + 16384,
        prefix + (1 << 20),
        prefix + (10 << 20),
      ])
    }, 60000)
  })
})

describe('a stream consumer that never reads', () => {
  it('is closed by the idle timeout and frees its slot', async () => {
    const http = require('node:http')
    const httpServer = http.createServer()
    const server = new Server({
      url: 'ws://127.0.0.1/',
      timeout: 300,
      closeTimeout: 300,
      maxConnections: 1,
    })
    server.listen(httpServer)
    server.on('stream:start', () => {}) // consumes streams, reads nothing
    await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
    const url = `ws://127.0.0.1:${httpServer.address().port}/`
    try {
      const stuck = new WebSocket(url)
      await once(stuck, 'open')
      stuck.send(Buffer.alloc(8 << 20))
      const [code] = await once(server, 'close')
      expect([1001, 1006]).toContain(code)
      expect(server.sockets).toHaveLength(0)
      stuck.terminate()
      // The slot is free: maxConnections 1 takes a new connection.
      const next = new WebSocket(url)
      await once(next, 'open')
      next.terminate()
    } finally {
      httpServer.close()
      for (const ws of server.sockets) ws.destroy()
    }
  }, 20000)
})
