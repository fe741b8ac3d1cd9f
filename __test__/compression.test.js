'use strict'

// permessage-deflate (RFC 7692) as users meet it: against ws in both roles,
// in headless Chromium, against a hostile peer's bomb, and in broadcasts.

const zlib = require('node:zlib')
const crypto = require('node:crypto')
const WebSocket = require('ws')
const { Server, connect } = require('..')
const native = require('../lib/native')
const { once } = require('./helpers/pair')
const { rawUpgrade } = require('./helpers/raw')
const { wsFrame, readFrames } = require('./helpers/frames')
const { describeWithChromium, useChromium } = require('./helpers/chromium')

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff])

async function listening(options = {}) {
  const server = new Server({ port: 0, host: '127.0.0.1', url: 'ws://localhost/', ...options })
  await once(server, 'listening')
  const url = `ws://127.0.0.1:${server.address().port}/`
  return { server, url, close: () => new Promise((resolve) => server.close(resolve)) }
}

/** JSON-like text that compresses well, different each time. */
function json(bytes, seed = 0) {
  const rows = []
  let size = 2
  for (let i = 0; size < bytes; i++) {
    const row = JSON.stringify({ id: seed * 100000 + i, name: `user ${i}`, tags: ['a', 'b'] })
    rows.push(row)
    size += row.length + 1
  }
  return `[${rows.join(',')}]`
}

/** Collects `count` messages of a ws client or one of our sockets. */
function collect(emitter, count) {
  const got = []
  return new Promise((resolve) => {
    emitter.on('message', (data, isBinary) => {
      got.push(isBinary === undefined || isBinary ? data : data.toString())
      if (got.length === count) resolve(got)
    })
  })
}

describe('permessage-deflate with ws as the peer', () => {
  it('our Server and a ws client: messages both ways arrive whole, compressed on the wire', async () => {
    const { server, url, close } = await listening({ maxPayload: 8 << 20 })
    server.on('message', (message, ws) => ws.send(message))
    const opened = once(server, 'open')
    const client = new WebSocket(url)
    await once(client, 'open')
    const [ws, , settings] = await opened
    expect(client.extensions).toBe('permessage-deflate')
    expect(settings.extensions['permessage-deflate'].serverNoContextTakeover).toBe(true)

    const messages = [json(100), json(4000, 1), json(1 << 20, 2), crypto.randomBytes(70000)]
    const echoed = collect(client, messages.length)
    for (const m of messages) client.send(m)
    // A fragmented compressed message (ws compresses across its fragments).
    const fragments = json(50000, 3)
    client.send(fragments.slice(0, 20000), { fin: false })
    client.send(fragments.slice(20000), { fin: true })
    const got = await echoed
    expect(got.slice(0, 4)).toEqual(messages)
    // JSON goes over the wire at a fraction of its size in both directions.
    const sent = messages.reduce((n, m) => n + m.length, 0) + fragments.length
    expect(client._socket.bytesRead).toBeLessThan(sent * 0.5)
    expect(ws.bufferedAmount).toBe(0)
    client.close()
    await close()
  })

  it('sends many compressed messages of a tick to many sockets, each whole and in order', async () => {
    // Small compressed payloads pass through one shared scratch on their
    // way into each socket's queue, large ones do not: a mix of both, from
    // strings and from bytes, interleaved across sockets in one tick.
    const { server, url, close } = await listening()
    const clients = []
    for (let i = 0; i < 3; i++) {
      const opened = once(server, 'open')
      const client = new WebSocket(url)
      await once(client, 'open')
      clients.push([client, (await opened)[0]])
    }
    const messages = []
    for (let i = 0; i < 12; i++) {
      const text = i % 3 === 0 ? crypto.randomBytes(9000).toString('base64') : json(1500 * i, i)
      messages.push(i % 2 === 0 ? text : Buffer.from(text))
    }
    const received = clients.map(([client]) => collect(client, messages.length))
    for (const m of messages) for (const [, ws] of clients) ws.send(m)
    for (const got of await Promise.all(received)) {
      expect(got.map(String)).toEqual(messages.map(String))
    }
    for (const [client] of clients) client.close()
    await close()
  })

  it('sends a received string on as itself, also after later messages came in', async () => {
    // The bytes a string was received as stand in for it when it is sent
    // on; later messages of the same read must not change what it sends.
    // (Replies go uncompressed, to be read here as they are.)
    const { server, url, close } = await listening({ perMessageDeflate: { threshold: Infinity } })
    const kept = []
    server.on('message', (message, ws) => {
      kept.push(message)
      if (kept.length === 3) for (const m of [...kept].reverse()) ws.send(m)
    })
    const peer = await rawClient(url)
    const messages = [json(3000, 1), json(3000, 2), json(2000, 3)]
    const deflated = (text) =>
      zlib.deflateRawSync(text, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4)
    // One write: the three arrive in one read.
    peer.socket.write(Buffer.concat(messages.map((m) => compressedFrame(0x1, deflated(m)))))
    const bytes = messages.reduce((n, m) => n + 4 + m.length, 0)
    const { frames } = readFrames(await peer.after(bytes))
    expect(frames.map((f) => f.payload.toString())).toEqual([...messages].reverse())
    peer.socket.destroy()
    await close()
  })

  it('keeps the compression context across messages when both sides agree to', async () => {
    const { server, url, close } = await listening({
      perMessageDeflate: { serverNoContextTakeover: false },
    })
    server.on('message', (message, ws) => ws.send(message))
    const client = new WebSocket(url)
    await once(client, 'open')
    expect(client.extensions).toBe('permessage-deflate')
    const message = json(2000, 7)
    const echoed = collect(client, 50)
    for (let i = 0; i < 50; i++) client.send(message)
    expect(new Set(await echoed)).toEqual(new Set([message]))
    // With the context kept, repeats cost a few bytes each.
    expect(client._socket.bytesRead).toBeLessThan(message.length * 2)
    client.close()
    await close()
  })

  it('our client and a ws server with deflate: the same exchanges, context kept', async () => {
    const wss = new WebSocket.Server({ port: 0, host: '127.0.0.1', perMessageDeflate: true })
    await once(wss, 'listening')
    wss.on('connection', (peer) =>
      peer.on('message', (data, isBinary) => peer.send(data, { binary: isBinary })),
    )
    const socket = await connect(`ws://127.0.0.1:${wss.address().port}/`)
    expect(socket.extensions).toEqual({
      'permessage-deflate': {
        serverNoContextTakeover: false,
        clientNoContextTakeover: false,
        serverMaxWindowBits: 15,
        clientMaxWindowBits: 15,
      },
    })
    const messages = [json(3000), json(3000), Buffer.from(json(200000, 1)), 'short']
    const echoed = collect(socket, messages.length)
    for (const m of messages) socket.send(m)
    const got = await echoed
    expect(got).toEqual(messages)
    socket.close()
    await once(socket, 'close')
    await new Promise((resolve) => wss.close(resolve))
  })

  it('streams a compressed message both ways: stream() out, pipe back', async () => {
    const { server, url, close } = await listening({ streamThreshold: 1024 })
    server.on('open', (ws) => {
      ws.on('stream:start', () => ws.pipe(ws))
      ws.on('stream:stop', () => ws.unpipe(ws))
    })
    const socket = await connect(url, { streamThreshold: Infinity })
    const parts = [json(5000, 1), json(70000, 2), json(10, 3)]
    const echoed = collect(socket, 1)
    for (const part of parts) socket.stream(part)
    socket.stream()
    const [got] = await echoed
    expect(got).toBe(parts.join(''))
    socket.close()
    await close()
  })

  it('sends nothing compressed to a peer that did not agree, and honours perMessageDeflate: false', async () => {
    const { server, url, close } = await listening({ perMessageDeflate: false })
    server.on('message', (message, ws) => ws.send(message))
    const client = new WebSocket(url)
    await once(client, 'open')
    expect(client.extensions).toBe('')
    const message = json(5000)
    const echoed = collect(client, 1)
    client.send(message)
    expect(await echoed).toEqual([message])
    expect(client._socket.bytesRead).toBeGreaterThan(message.length)
    client.close()
    await close()
  })
})

/** A raw TCP client that completed a handshake offering permessage-deflate. */
async function rawClient(url, offer = 'permessage-deflate') {
  const { port } = new URL(url)
  const { socket, answer } = await rawUpgrade(
    Number(port),
    `Sec-WebSocket-Extensions: ${offer}\r\n`,
  )
  let received = answer
  socket.on('data', (chunk) => {
    received = Buffer.concat([received, chunk])
  })
  const headerEnd = async () => {
    while (received.indexOf('\r\n\r\n') < 0) await once(socket, 'data')
    return received.indexOf('\r\n\r\n') + 4
  }
  const end = await headerEnd()
  return {
    socket,
    head: received.subarray(0, end).toString(),
    /** Everything after the 101, once `bytes` of it arrived. */
    async after(bytes) {
      while (received.length - end < bytes) await once(socket, 'data')
      return received.subarray(end)
    },
  }
}

/** `count` raw clients, each open on `server` before the next connects. */
async function rawClients(server, url, count) {
  const peers = []
  for (let i = 0; i < count; i++) {
    const opened = once(server, 'open')
    peers.push(await rawClient(url))
    await opened
  }
  return peers
}

/** A masked compressed data frame carrying `deflated`. */
function compressedFrame(opcode, deflated) {
  return wsFrame(opcode, deflated, { mask: true, rsv1: true })
}

describe('permessage-deflate against a hostile peer', () => {
  /** 10 MB of DEFLATE that inflates to 10 GB of zeros: one 100 MB block, flushed, repeated. */
  function bomb() {
    const block = zlib.deflateRawSync(Buffer.alloc(100 << 20), {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      level: 9,
    })
    return Buffer.concat(Array(100).fill(block))
  }

  it.each([
    ['whole', {}],
    ['streamed', { streamThreshold: 1024 }],
  ])(
    'stops a bomb at maxPayload while inflating (%s): 1009, memory bounded, others unharmed',
    async (name, options) => {
      const { server, url, close } = await listening({ maxPayload: 1 << 20, ...options })
      const errors = []
      server.on('error', (err) => errors.push(err))
      server.on('open', (ws) => {
        if (options.streamThreshold) ws.on('stream:start', () => ws.resume())
      })
      const bystander = new WebSocket(url)
      await once(bystander, 'open')
      const payload = bomb()
      expect(payload.length).toBeLessThan(11 << 20)
      const before = process.memoryUsage().rss
      const peer = await rawClient(url)
      const closed = once(server, 'close')
      peer.socket.write(compressedFrame(0x2, payload))
      const [code] = await closed
      const grown = process.memoryUsage().rss - before
      expect(code).toBe(1009)
      expect(errors.map((e) => e.code)).toEqual(['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'])
      // The 10 MB frame itself is read and buffered; what it inflates to is not.
      expect(grown).toBeLessThan(64 << 20)
      const answer = collect(bystander, 1)
      bystander.send('still here')
      server.on('message', (m, ws) => ws.send(m))
      expect((await answer).map(String)).toEqual(['still here'])
      peer.socket.destroy()
      bystander.close()
      await close()
    },
    60000,
  )

  it.each([
    ['data that is not DEFLATE', () => Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00])],
    [
      'bytes after a final block other than an empty block header',
      () => Buffer.concat([zlib.deflateRawSync('Hello'), zlib.deflateRawSync('world')]),
    ],
  ])('closes with 1007 on compressed %s', async (name, deflated) => {
    const { server, url, close } = await listening()
    const errors = []
    server.on('error', (err) => errors.push(err))
    const peer = await rawClient(url)
    const closed = once(server, 'close')
    peer.socket.write(compressedFrame(0x1, deflated()))
    expect((await closed)[0]).toBe(1007)
    expect(errors[0].code).toBe('WS_ERR_INVALID_COMPRESSED_DATA')
    peer.socket.destroy()
    await close()
  })

  it("takes the RFC 7692 §7.2.3 ways to compress a message, final blocks included, as ws's server does", async () => {
    const hello = (bytes) => Buffer.from(bytes.replace(/ /g, ''), 'hex')
    // §7.2.3.1 sync-flushed; §7.2.3.4 a block with BFINAL set, then the
    // header of an empty stored block; §7.2.3.5 two blocks; a whole zlib
    // stream (what zlib.deflateRawSync makes by default: a final block and
    // no empty one); §7.2.3.4 again, cut across two frames.
    const frames = [
      compressedFrame(0x1, hello('f2 48 cd c9 c9 07 00')),
      compressedFrame(0x1, hello('f3 48 cd c9 c9 07 00 00')),
      compressedFrame(0x1, hello('f2 48 05 00 00 00 ff ff ca c9 c9 07 00')),
      compressedFrame(0x1, zlib.deflateRawSync('Hello, world')),
      Buffer.concat([
        wsFrame(0x1, hello('f3 48 cd'), { fin: false, mask: true, rsv1: true }),
        wsFrame(0x0, hello('c9 c9 07 00 00'), { mask: true }),
      ]),
    ]
    const expected = ['Hello', 'Hello', 'Hello', 'Hello, world', 'Hello']
    // What `server` delivered by the time the connection closed (the peer
    // closes it after the last message's echo, or the server on an error).
    const received = async (server, url) => {
      const got = []
      const onMessage = (m, ws) => {
        got.push(String(m))
        if (got.length === expected.length) ws.terminate()
      }
      server.on('connection', (ws) => ws.on('message', (m) => onMessage(m, ws)))
      server.on('message', onMessage)
      server.on('error', () => {})
      const peer = await rawClient(url)
      expect(peer.head).toMatch(/Sec-WebSocket-Extensions: permessage-deflate/i)
      const ended = once(peer.socket, 'close')
      peer.socket.write(Buffer.concat(frames))
      await ended
      return got
    }
    const ours = await listening()
    expect(await received(ours.server, ours.url)).toEqual(expected)
    await ours.close()
    const ws = new WebSocket.Server({ port: 0, host: '127.0.0.1', perMessageDeflate: true })
    await once(ws, 'listening')
    expect(await received(ws, `ws://127.0.0.1:${ws.address().port}/`)).toEqual(expected)
    await new Promise((resolve) => ws.close(resolve))
  })

  it('refuses RSV1 from a peer that did not negotiate the extension with 1002', async () => {
    const { server, url, close } = await listening()
    const peer = await rawClient(url, 'x-unknown')
    expect(peer.head).not.toMatch(/Sec-WebSocket-Extensions/i)
    const closed = once(server, 'close')
    server.on('error', () => {})
    peer.socket.write(compressedFrame(0x1, zlib.deflateRawSync('hi')))
    expect((await closed)[0]).toBe(1002)
    peer.socket.destroy()
    await close()
  })

  it.each([
    ['an unknown parameter', 'permessage-deflate; foo', 101],
    [
      'a duplicated parameter',
      'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
      101,
    ],
    ['a window of 16', 'permessage-deflate; client_max_window_bits=16', 101],
    ['a malformed header', 'permessage-deflate;;', 400],
  ])('declines an offer with %s (or refuses a malformed header)', async (name, offer, status) => {
    const { url, close } = await listening()
    const peer = await rawClient(url, offer)
    expect(peer.head).toMatch(new RegExp(`^HTTP/1.1 ${status} `))
    expect(peer.head).not.toMatch(/Sec-WebSocket-Extensions/i)
    peer.socket.destroy()
    await close()
  })
})

describe('Server.broadcast with permessage-deflate', () => {
  it('compresses a message once and writes the same bytes to every socket', async () => {
    const { server, url, close } = await listening()
    const peers = await rawClients(server, url, 3)
    const message = json(20000)
    server.broadcast({}, message)
    await Promise.all(peers.map((p) => p.after(100)))
    // Let the rest of the frame arrive.
    await new Promise((resolve) => setTimeout(resolve, 100))
    const frames = await Promise.all(peers.map((p) => p.after(0)))
    expect(frames[1]).toEqual(frames[0])
    expect(frames[2]).toEqual(frames[0])
    // One text frame, RSV1 set, that inflates to the message.
    const frame = frames[0]
    expect(frame[0]).toBe(0x80 | 0x40 | 0x1)
    const start = (frame[1] & 0x7f) === 126 ? 4 : 2
    const inflated = zlib.inflateRawSync(Buffer.concat([frame.subarray(start), TAIL]), {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    })
    expect(inflated.toString()).toBe(message)
    expect(frame.length).toBeLessThan(message.length / 3)
    for (const p of peers) p.socket.destroy()
    await close()
  })
  it('lets a socket that keeps its context compress for itself, and sends plain frames to one without the extension', async () => {
    const { server, url, close } = await listening({
      perMessageDeflate: { serverNoContextTakeover: false },
    })
    const kept = new WebSocket(url)
    const plain = new WebSocket(url, { perMessageDeflate: false })
    await Promise.all([once(kept, 'open'), once(plain, 'open')])
    const message = json(20000, 5)
    const keptGot = collect(kept, 2)
    const plainGot = collect(plain, 2)
    server.broadcast({}, message)
    // Sent next on the same context: the peer's window must hold the
    // broadcast exactly as this socket's compressor does.
    for (const ws of server.sockets) ws.send(message)
    expect(await keptGot).toEqual([message, message])
    expect(await plainGot).toEqual([message, message])
    expect(plain._socket.bytesRead).toBeGreaterThan(message.length * 2)
    // The repeat costs a few bytes with the context kept.
    expect(kept._socket.bytesRead).toBeLessThan(message.length / 3)
    kept.close()
    plain.close()
    await close()
  })
})

describe('Server.write with permessage-deflate', () => {
  /** The data frames in `bytes` (unmasked, as a server sends them). */
  function framesOf(bytes) {
    const frames = []
    for (let at = 0; at < bytes.length;) {
      let length = bytes[at + 1] & 0x7f
      let start = at + 2
      if (length === 126) {
        length = bytes.readUInt16BE(at + 2)
        start = at + 4
      } else if (length === 127) {
        length = Number(bytes.readBigUInt64BE(at + 2))
        start = at + 10
      }
      frames.push({ first: bytes[at], payload: bytes.subarray(start, start + length) })
      at = start + length
    }
    return frames
  }

  it('compresses the chunks of a tick once for every socket, and each stream inflates whole', async () => {
    const { server, url, close } = await listening()
    const peers = await rawClients(server, url, 3)
    const parts = [json(9000, 1), json(5000, 2), json(7000, 3)]
    const deflate = jest.spyOn(native.Deflate.prototype, 'deflate')
    try {
      server.write(parts[0])
      await new Promise(setImmediate)
      server.write(parts[1])
      server.write(parts[2])
      server.write('')
      await new Promise(setImmediate)
      // One compression per tick with bytes in it, whatever the socket count.
      const withBytes = deflate.mock.calls.filter(([data]) => data.length > 0)
      expect(withBytes.map(([data]) => data.length)).toEqual([
        parts[0].length,
        parts[1].length + parts[2].length,
      ])
    } finally {
      deflate.mockRestore()
    }
    const message = parts.join('')
    await new Promise((resolve) => setTimeout(resolve, 100))
    const received = await Promise.all(peers.map((p) => p.after(0)))
    expect(received[1]).toEqual(received[0])
    expect(received[2]).toEqual(received[0])
    const frames = framesOf(received[0])
    // Text with RSV1 first, then continuations, FIN on the last only.
    expect(frames.map((f) => f.first)).toEqual([0x41, 0x00, 0x80])
    const inflated = zlib.inflateRawSync(Buffer.concat([...frames.map((f) => f.payload), TAIL]), {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    })
    expect(inflated.toString()).toBe(message)
    for (const p of peers) p.socket.destroy()
    await close()
  })

  it("keeps a socket's own stream chunks in order around the shared ones (ws as the peer)", async () => {
    const { server, url, close } = await listening()
    const mixed = new WebSocket(url)
    const onlyShared = new WebSocket(url)
    await Promise.all([once(mixed, 'open'), once(onlyShared, 'open')])
    const [own] = [...server.sockets].filter((ws) => ws.remotePort === mixed._socket.localPort)
    const mixedGot = collect(mixed, 1)
    const sharedGot = collect(onlyShared, 1)
    const [a, b, c, d] = [json(3000, 1), json(4000, 2), json(2000, 3), json(5000, 4)]
    own.stream(a)
    server.write(b)
    own.stream(c)
    await new Promise(setImmediate)
    server.write(d)
    server.write('')
    expect(await mixedGot).toEqual([a + b + c + d])
    expect(await sharedGot).toEqual([b + d])
    mixed.close()
    onlyShared.close()
    await close()
  })
})

describe('perMessageDeflate options', () => {
  it('are checked, naming the bad one', () => {
    expect(() => new Server({ perMessageDeflate: 'yes' })).toThrow(
      /"options.perMessageDeflate" argument must be a boolean or an object/,
    )
    expect(() => new Server({ perMessageDeflate: { serverMaxWindowBits: 7 } })).toThrow(
      /"options.perMessageDeflate.serverMaxWindowBits" argument must be an integer from 8 to 15/,
    )
    expect(() => new Server({ perMessageDeflate: { level: 10 } })).toThrow(
      /"options.perMessageDeflate.level"/,
    )
    expect(() => new Server({ perMessageDeflate: { clientNoContextTakeover: 1 } })).toThrow(
      TypeError,
    )
    for (const memLevel of [0, 10, 1.5]) {
      expect(() => new Server({ perMessageDeflate: { memLevel } })).toThrow(
        /"options.perMessageDeflate.memLevel" argument must be an integer from 1 to 9/,
      )
    }
    expect(() => new Server({ perMessageDeflate: { memLevel: '9' } })).toThrow(TypeError)
  })

  it("memLevel takes effect, and compresses as well as Node's zlib (ws's) at the same memLevel", async () => {
    const message = json(200000)
    const payloads = []
    for (const memLevel of [1, 2, 8]) {
      const options = memLevel === 8 ? {} : { perMessageDeflate: { memLevel } }
      const { server, url, close } = await listening({ ...options, maxPayload: 1 << 20 })
      const opened = once(server, 'open')
      const peer = await rawClient(url)
      const [ws] = await opened
      ws.send(message)
      // Node's zlib is Chromium's, whose hashing writes other bytes: the
      // sizes are compared.
      const node = zlib.deflateRawSync(message, { level: 6, memLevel }).length
      let wire = await peer.after(1)
      while (readFrames(wire).frames.length === 0) wire = await peer.after(wire.length + 1)
      const { payload } = readFrames(wire).frames[0]
      const inflated = zlib.inflateRawSync(Buffer.concat([payload, TAIL]), {
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
      })
      expect(inflated.toString()).toBe(message)
      expect(Math.abs(payload.length / node - 1)).toBeLessThan(0.03)
      payloads.push(payload)
      peer.socket.destroy()
      await close()
    }
    // Each memLevel wrote other bytes than the default.
    expect(payloads[0].equals(payloads[2])).toBe(false)
    expect(payloads[1].equals(payloads[2])).toBe(false)
  })

  it('a threshold leaves small messages uncompressed', async () => {
    const { server, url, close } = await listening({ perMessageDeflate: { threshold: 4096 } })
    const opened = once(server, 'open')
    const peer = await rawClient(url)
    const [ws] = await opened
    ws.send(json(2000))
    ws.send(json(5000))
    const wire = await peer.after(2004)
    expect(wire[0]).toBe(0x81)
    // The next message, above the threshold, is compressed.
    expect(wire[2 + 2 + wire.readUInt16BE(2)] & 0x40).toBe(0x40)
    peer.socket.destroy()
    await close()
  })
})

describeWithChromium('permessage-deflate in headless Chromium', () => {
  const browser = useChromium()

  it('negotiates the extension and exchanges compressed messages both ways', async () => {
    const { server, url, close } = await listening()
    let wireIn = 0
    server.on('open', (ws, request) => {
      request.socket.on('data', (chunk) => {
        wireIn += chunk.length
      })
    })
    server.on('message', (message, ws) => ws.send(message))
    const page = await browser().newPage()
    const text = json(100000)
    const result = await page.evaluate(
      ([target, message]) =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(target)
          ws.binaryType = 'arraybuffer'
          const got = []
          ws.onerror = () => reject(new Error('WebSocket error'))
          ws.onopen = () => {
            ws.send(message)
            ws.send(new TextEncoder().encode(message))
          }
          ws.onmessage = (event) => {
            got.push(
              typeof event.data === 'string' ? event.data : new TextDecoder().decode(event.data),
            )
            if (got.length === 2) {
              resolve({ extensions: ws.extensions, same: got.every((g) => g === message) })
              ws.close()
            }
          }
        }),
      [url, text],
    )
    expect(result).toEqual({
      extensions: 'permessage-deflate; server_no_context_takeover',
      same: true,
    })
    // Chromium compressed what it sent: two 100 KB messages took far less.
    expect(wireIn).toBeLessThan(text.length / 2)
    await page.close()
    await close()
  }, 60000)
})
