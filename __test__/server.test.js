'use strict'

const http = require('node:http')
const net = require('node:net')
const crypto = require('node:crypto')

const WS = require('ws')

const native = require('../lib/native')
const { Server, Socket, Upgrade } = require('..')
const { once } = require('./helpers/pair')

/** An http.Server on 127.0.0.1 with our Server listening on it. */
async function serve(options = {}, httpOptions = {}) {
  const httpServer = http.createServer(httpOptions)
  const server = new Server({ url: 'ws://127.0.0.1/ws', ...options }).listen(httpServer)
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
  const url = `ws://127.0.0.1:${httpServer.address().port}/ws`
  const close = async () => {
    for (const ws of server.sockets) ws.close(1001)
    httpServer.closeAllConnections()
    await new Promise((resolve) => httpServer.close(resolve))
  }
  return { server, httpServer, url, port: httpServer.address().port, close }
}

/** A ws client connected to `url`. */
async function wsClient(url, protocols) {
  const client = new WS(url, protocols)
  await once(client, 'open')
  return client
}

/** Sends raw request text; resolves with everything the server answered. */
function rawRequest(port, text) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text))
    let answer = ''
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')))
    socket.on('error', () => {})
    socket.on('close', () => resolve(answer))
  })
}

const GOOD_HEADERS =
  'Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n'

describe('Server', () => {
  describe('new Server([options])', () => {
    it('validates its options, naming them', () => {
      expect(() => new Server(5)).toThrow(/"options" argument/)
      expect(() => new Server({ url: 42 })).toThrow(/"options.url"/)
      expect(() => new Server({ timeout: 0 })).toThrow(/"options.timeout"/)
      expect(() => new Server({ maxConnections: -1 })).toThrow(/"options.maxConnections"/)
      expect(() => new Server().listen({})).toThrow(/"httpServer" argument/)
      // Checked here, not on the first upgrade, where it would throw inside the http.Server.
      expect(() => new Server({ protocols: ['a b'] })).toThrow(/"options.protocols"/)
      expect(() => new Server({ protocols: 7 })).toThrow(TypeError)
    })
  })

  describe('listen(httpServer) and the events', () => {
    it("emits 'open', 'message', 'pong' and 'close' with the socket", async () => {
      const { server, url, close } = await serve()
      const events = []
      server.on('open', (ws) => {
        events.push(['open', ws instanceof Socket])
        ws.ping('p')
      })
      server.on('message', (message, ws) =>
        events.push(['message', message, server.sockets.includes(ws)]),
      )
      server.on('pong', (message, ws) =>
        events.push(['pong', message.toString(), ws instanceof Socket]),
      )
      const closed = once(server, 'close')
      const client = await wsClient(url)
      client.send('hello')
      await new Promise((resolve) => setTimeout(resolve, 50))
      client.close(4002)
      const [code, ws] = await closed
      expect(events).toEqual([
        ['open', true],
        ['pong', 'p', true],
        ['message', 'hello', true],
      ])
      expect(code).toBe(4002)
      expect(ws).toBeInstanceOf(Socket)
      expect(server.sockets).toHaveLength(0)
      await close()
    })

    it("emits 'stream:start' and 'stream:stop' with the socket", async () => {
      const { server, url, close } = await serve()
      const events = []
      server.on('stream:start', (opcode, ws) => {
        events.push(['start', opcode])
        ws.resume()
      })
      const stopped = new Promise((resolve) => server.on('stream:stop', (ws) => resolve(ws)))
      const client = await wsClient(url)
      // Random bytes stay above the threshold when compressed too.
      client.send(crypto.randomBytes(20000))
      const ws = await stopped
      expect(events).toEqual([['start', 0x02]])
      expect(ws).toBeInstanceOf(Socket)
      client.terminate()
      await close()
    })

    it('takes only upgrades for the path of its url', async () => {
      const { url, port, close } = await serve()
      const wrong = new WS(`ws://127.0.0.1:${port}/other`)
      const [err] = await once(wrong, 'error')
      expect(err.message).toMatch(/Unexpected server response: 400/)
      const right = await wsClient(`${url}?query=ignored`)
      right.terminate()
      await close()
    })

    it('refuses connections beyond maxConnections with 503', async () => {
      const { url, close } = await serve({ maxConnections: 2 })
      const a = await wsClient(url)
      const b = await wsClient(url)
      const c = new WS(url)
      const [err] = await once(c, 'error')
      expect(err.message).toMatch(/503/)
      a.terminate()
      b.terminate()
      await close()
    })

    it('closes an idle socket with 1001 after timeout', async () => {
      const { url, close } = await serve({ timeout: 100 })
      const client = await wsClient(url)
      const [code] = await once(client, 'close')
      expect(code).toBe(1001)
      await close()
    })

    // The idle timeout sweeps all sockets from one timer (a timer per socket
    // cost each idle socket about 300 bytes): a socket that talks stays, one
    // that falls silent is closed between timeout and 1.25 times it.
    it('keeps a socket that talks, closes the silent one, from one timer', async () => {
      const setInterval = jest.spyOn(global, 'setInterval')
      const setTimeout = jest.spyOn(global, 'setTimeout')
      const { server, url, close } = await serve({ timeout: 200 })
      server.on('message', (message, ws) => ws.send(message))
      const clients = await Promise.all([wsClient(url), wsClient(url), wsClient(url)])
      const [talker, ...silent] = clients
      const opened = Date.now()
      const closedAt = silent.map((c) => once(c, 'close').then(([code]) => [code, Date.now()]))
      const ticker = global.setInterval(() => talker.send('still here'), 40)
      const closes = await Promise.all(closedAt)
      for (const [code, at] of closes) {
        expect(code).toBe(1001)
        expect(at - opened).toBeGreaterThanOrEqual(190)
      }
      // Talking for 3 more timeouts keeps it open.
      await new Promise((resolve) => global.setTimeout(resolve, 600))
      expect(talker.readyState).toBe(WS.OPEN)
      clearInterval(ticker)
      const [code] = await once(talker, 'close')
      expect(code).toBe(1001)
      expect(setInterval.mock.calls.filter(([, ms]) => ms === 50)).toHaveLength(1)
      expect(setTimeout.mock.calls.filter(([, ms]) => ms === 200)).toHaveLength(0)
      setInterval.mockRestore()
      setTimeout.mockRestore()
      await close()
    })

    // Node runs an interval longer than 2^31 - 1 ms every millisecond: a
    // sweep period that long would close every socket after 4 ms.
    it.each([Infinity, 1e12])('timeout %d keeps a silent socket open', async (timeout) => {
      const setInterval = jest.spyOn(global, 'setInterval')
      const { url, close } = await serve({ timeout })
      const client = await wsClient(url)
      await new Promise((resolve) => global.setTimeout(resolve, 150))
      expect(client.readyState).toBe(WS.OPEN)
      const delays = setInterval.mock.calls.map(([, ms]) => ms)
      setInterval.mockRestore()
      if (timeout === Infinity) expect(delays).toEqual([])
      else expect(delays).toEqual([2 ** 31 - 1])
      client.terminate()
      await close()
    })

    it('negotiates a subprotocol in its order of preference', async () => {
      const { server, url, close } = await serve({ protocols: ['v2', 'v1'] })
      const chosen = new Promise((resolve) =>
        server.on('open', (ws, request, settings) => resolve(settings.protocol)),
      )
      const client = await wsClient(url, ['v1', 'v2'])
      expect(client.protocol).toBe('v2')
      expect(await chosen).toBe('v2')
      client.terminate()
      await close()
    })
  })

  describe('broadcast(head, message) and write(chunk)', () => {
    it('encodes a broadcast once and writes the same bytes to every socket', async () => {
      const { server, url, close } = await serve()
      const clients = await Promise.all([wsClient(url), wsClient(url), wsClient(url)])
      const received = clients.map((c) => once(c, 'message'))
      const frame = jest.spyOn(native, 'frame')
      server.broadcast({ fin: true, opcode: 0x01 }, 'to everyone')
      expect(frame).toHaveBeenCalledTimes(1)
      frame.mockRestore()
      for (const [data, isBinary] of await Promise.all(received)) {
        expect(data.toString()).toBe('to everyone')
        expect(isBinary).toBe(false)
      }
      for (const c of clients) c.terminate()
      await close()
    })

    it('waits behind a socket\u2019s open stream', async () => {
      const { server, url, close } = await serve()
      const client = await wsClient(url)
      const [ws] = server.sockets
      const got = []
      client.on('message', (data) => got.push(data.toString()))
      ws.stream('part one, ')
      server.broadcast({}, 'broadcast')
      ws.stream('part two')
      ws.stream()
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(got).toEqual(['part one, part two', 'broadcast'])
      client.terminate()
      await close()
    })

    it('streams write() chunks to every socket and ends on an empty chunk', async () => {
      const { server, url, close } = await serve()
      const clients = await Promise.all([wsClient(url), wsClient(url)])
      const received = clients.map((c) => once(c, 'message'))
      server.write('stre')
      server.write(Buffer.from('amed'))
      server.write('')
      for (const [data] of await Promise.all(received)) expect(data.toString()).toBe('streamed')
      for (const c of clients) c.terminate()
      await close()
    })
  })

  describe('bad handshakes', () => {
    const CASES = [
      ['POST', `POST /ws HTTP/1.1\r\n${GOOD_HEADERS}Content-Length: 0\r\n\r\n`, 400],
      ['HTTP/1.0', `GET /ws HTTP/1.0\r\n${GOOD_HEADERS}\r\n`, 400],
      [
        'no Upgrade header',
        `GET /ws HTTP/1.1\r\n${GOOD_HEADERS.replace('Upgrade: websocket\r\n', '')}\r\n`,
        400,
      ],
      [
        'Upgrade: h2c',
        `GET /ws HTTP/1.1\r\n${GOOD_HEADERS.replace('Upgrade: websocket', 'Upgrade: h2c')}\r\n`,
        400,
      ],
      [
        'no Connection: Upgrade',
        `GET /ws HTTP/1.1\r\n${GOOD_HEADERS.replace('Connection: Upgrade', 'Connection: keep-alive')}\r\n`,
        400,
      ],
      [
        'a key that is not base64 of 16 bytes',
        `GET /ws HTTP/1.1\r\n${GOOD_HEADERS.replace('dGhlIHNhbXBsZSBub25jZQ==', 'aGVsbG8=')}\r\n`,
        400,
      ],
      [
        'no version',
        `GET /ws HTTP/1.1\r\n${GOOD_HEADERS.replace('Sec-WebSocket-Version: 13\r\n', '')}\r\n`,
        426,
      ],
      [
        'version 12',
        `GET /ws HTTP/1.1\r\n${GOOD_HEADERS.replace('Version: 13', 'Version: 12')}\r\n`,
        426,
      ],
      [
        'version 14',
        `GET /ws HTTP/1.1\r\n${GOOD_HEADERS.replace('Version: 13', 'Version: 14')}\r\n`,
        426,
      ],
      [
        'a 50,000-space Sec-WebSocket-Protocol',
        `GET /ws HTTP/1.1\r\n${GOOD_HEADERS}Sec-WebSocket-Protocol: b${' '.repeat(50000)}x\r\n\r\n`,
        400,
      ],
      [
        '2,000+ headers',
        `GET /ws HTTP/1.1\r\n${GOOD_HEADERS}${Array.from({ length: 2100 }, (_, i) => `X-H${i}: ${i}\r\n`).join('')}\r\n`,
        431,
      ],
    ]

    it.each(
      CASES.map((c) => [
        `${c[0]}: answers ${c[2]}, opens nothing, a good connection goes on`,
        ...c,
      ]),
    )('%s', async (title, name, request, status) => {
      // A header limit large enough for the 50 KB header to reach our parser.
      const big = name.includes('50,000')
      const { server, url, port, close } = await serve({}, big ? { maxHeaderSize: 1 << 20 } : {})
      const good = await wsClient(url)
      let opened = 0
      server.on('open', () => opened++)
      const answer = await rawRequest(port, request)
      expect(answer.split('\r\n')[0]).toBe(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}`)
      if (status === 426) expect(answer).toMatch(/\r\nSec-WebSocket-Version: 13\r\n/)
      expect(opened).toBe(0)
      good.send('still fine')
      const echoed = once(good, 'message')
      server.sockets[0].once('message', (m) => server.sockets[0].send(m))
      expect((await echoed)[0].toString()).toBe('still fine')
      good.terminate()
      await close()
    })

    it('drops a connection whose headers never finish after handshakeTimeout', async () => {
      const { server, url, port, close } = await serve({ handshakeTimeout: 100 })
      const good = await wsClient(url)
      let opened = 0
      server.on('open', () => opened++)
      const answer = await rawRequest(port, `GET /ws HTTP/1.1\r\n${GOOD_HEADERS}X-Slow: never ends`)
      expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout')
      expect(opened).toBe(0)
      expect(good.readyState).toBe(WS.OPEN)
      good.terminate()
      await close()
    })
  })
})

describe('interop with ws over TCP', () => {
  it('our Server and a ws client: text, binary, 1 MiB, fragmented, ping/pong, close codes', async () => {
    const { server, url, close } = await serve()
    server.on('open', (ws) => {
      ws.on('message', (m) => ws.send(m))
      ws.on('stream:start', () => {
        const chunks = []
        ws.on('data', (c) => chunks.push(c))
        ws.once('stream:stop', () => {
          ws.removeAllListeners('data')
          ws.send(Buffer.concat(chunks))
        })
      })
    })
    const client = await wsClient(url)
    const next = () => once(client, 'message')
    client.send('text')
    let [data, isBinary] = await next()
    expect([data.toString(), isBinary]).toEqual(['text', false])
    client.send(Buffer.from([1, 2, 3]))
    ;[data, isBinary] = await next()
    expect([data, isBinary]).toEqual([Buffer.from([1, 2, 3]), true])
    const big = Buffer.alloc(1 << 20, 7)
    client.send(big)
    ;[data] = await next()
    expect(data.equals(big)).toBe(true)
    client.send(Buffer.from('frag'), { fin: false })
    client.send(Buffer.from('mented'), { fin: true })
    ;[data] = await next()
    expect(data.toString()).toBe('fragmented')
    client.ping('are you there')
    expect((await once(client, 'pong'))[0].toString()).toBe('are you there')
    const serverClosed = once(server, 'close')
    client.close(4321, 'from ws')
    const [clientCode] = await once(client, 'close')
    expect(clientCode).toBe(4321)
    expect((await serverClosed)[0]).toBe(4321)
    await close()
  })

  it('a ws server and our client: the same exchanges, and close from the server', async () => {
    const wss = new WS.WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: (set) => (set.has('b') ? 'b' : false),
    })
    await once(wss, 'listening')
    wss.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => {
        if (data.toString() === 'close please') socket.close(4100, 'bye from ws')
        else socket.send(data, { binary: isBinary })
      })
    })
    const { err, socket, settings } = await new Promise((resolve) =>
      Upgrade.createUpgradeRequest(
        `ws://127.0.0.1:${wss.address().port}/`,
        { protocols: ['a', 'b'] },
        (e, s, st) => resolve({ err: e, socket: s, settings: st }),
      ),
    )
    expect(err).toBeNull()
    expect(settings.protocol).toBe('b')
    const ws = new Socket(socket, { mask: true, streamThreshold: Infinity })
    const next = () => once(ws, 'message')
    ws.send('text')
    expect(await next()).toEqual(['text'])
    ws.send(Buffer.from([4, 5]))
    expect(await next()).toEqual([Buffer.from([4, 5])])
    const big = Buffer.alloc(1 << 20, 9)
    ws.send(big)
    expect((await next())[0].equals(big)).toBe(true)
    // Both may arrive in one read: listen for both before waiting.
    const pong = once(ws, 'pong')
    const message = next()
    ws.stream('frag')
    ws.ping('between')
    ws.stream('mented')
    ws.stream()
    expect((await pong)[0].toString()).toBe('between')
    expect(await message).toEqual(['fragmented'])
    const closed = once(ws, 'close')
    ws.send('close please')
    expect(await closed).toEqual([4100, 'bye from ws'])
    await new Promise((resolve) => wss.close(resolve))
  })
})

describe('wss:// (TLS) with a self-signed certificate made in the test', () => {
  const https = require('node:https')
  const { selfSigned } = require('./helpers/tls')

  let key
  let cert
  beforeAll(() => {
    ;({ key, cert } = selfSigned())
  })

  it('a ws client reaches our Server over https', async () => {
    const httpsServer = https.createServer({ key, cert })
    const server = new Server({ url: 'wss://127.0.0.1/secure' }).listen(httpsServer)
    server.on('message', (m, ws) => ws.send(`secure ${m}`))
    await new Promise((resolve) => httpsServer.listen(0, '127.0.0.1', resolve))
    const client = new WS(`wss://127.0.0.1:${httpsServer.address().port}/secure`, { ca: cert })
    await once(client, 'open')
    client.send('hello')
    const [data] = await once(client, 'message')
    expect(data.toString()).toBe('secure hello')
    client.close(1000)
    await once(client, 'close')
    await new Promise((resolve) => httpsServer.close(resolve))
  })

  it('our client reaches a ws server over https, and refuses an untrusted certificate', async () => {
    const httpsServer = https.createServer({ key, cert })
    const wss = new WS.WebSocketServer({ server: httpsServer })
    wss.on('connection', (socket) =>
      socket.on('message', (d, isBinary) => socket.send(d, { binary: isBinary })),
    )
    await new Promise((resolve) => httpsServer.listen(0, '127.0.0.1', resolve))
    const url = `wss://127.0.0.1:${httpsServer.address().port}/`
    const untrusted = await new Promise((resolve) =>
      Upgrade.createUpgradeRequest(url, (err) => resolve(err)),
    )
    expect(untrusted.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/)
    const raw = await new Promise((resolve, reject) =>
      Upgrade.createUpgradeRequest(url, { ca: cert }, (err, socket) =>
        err ? reject(err) : resolve(socket),
      ),
    )
    expect(raw.encrypted).toBe(true)
    const ws = new Socket(raw, { mask: true })
    const got = once(ws, 'message')
    ws.send('over tls')
    expect(await got).toEqual(['over tls'])
    const closed = once(ws, 'close')
    ws.close(1000)
    expect((await closed)[0]).toBe(1000)
    wss.close()
    httpsServer.closeAllConnections()
    await new Promise((resolve) => httpsServer.close(resolve))
  })
})
