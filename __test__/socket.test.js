'use strict'

const { Duplex, PassThrough, Readable } = require('node:stream')
const { Receiver } = require('ws')

const { Socket, WebSocketError } = require('..')
const { tcpPair, memoryPair, sink, once } = require('./helpers/pair')
const { hex, wsFrame, readFrames } = require('./helpers/frames')

/** A server Socket and a client Socket over a real TCP connection. */
async function connected(serverOptions = {}, clientOptions = {}) {
  const pair = await tcpPair()
  const server = new Socket(pair.server, serverOptions)
  const client = new Socket(pair.client, { mask: true, ...clientOptions })
  return { server, client, pair }
}

/**
 * Mixed text (ASCII, 2- to 4-byte characters) of about `units` UTF-16
 * units, whole characters only, its first character set by `fill`.
 */
function textOf(units, fill) {
  const piece = 'wörld 日本 😀 '
  return String.fromCharCode(0x4e00 + fill) + piece.repeat(Math.floor((units - 1) / piece.length))
}

/** Data frames leave in a microtask: wait for it. */
const flushed = () => new Promise((resolve) => setImmediate(resolve))

/** Parses what `source` received with ws's Receiver. */
function parsedByWs(bytes, isServer) {
  const receiver = new Receiver({ isServer })
  const seen = []
  receiver.on('message', (data, isBinary) =>
    seen.push(['message', isBinary ? data : data.toString()]),
  )
  receiver.on('ping', (data) => seen.push(['ping', data.toString()]))
  receiver.on('pong', (data) => seen.push(['pong', data.toString()]))
  receiver.on('conclude', (code, reason) => seen.push(['close', code, reason.toString()]))
  receiver.on('error', (err) => seen.push(['error', err.code]))
  receiver.write(bytes)
  return seen
}

describe('Socket', () => {
  describe('new Socket(source, [options])', () => {
    it('requires a Duplex source', () => {
      expect(() => new Socket()).toThrow(TypeError)
      expect(() => new Socket({})).toThrow(/"source" argument must be a Duplex stream/)
      expect(() => new Socket('socket')).toThrow(TypeError)
    })

    it('names the bad option in its error', () => {
      const source = new PassThrough()
      expect(() => new Socket(source, 'x')).toThrow(/"options" argument/)
      expect(() => new Socket(source, { mask: 1 })).toThrow(
        /"options.mask" argument must be of type boolean/,
      )
      expect(() => new Socket(source, { opcode: '1' })).toThrow(TypeError)
      expect(() => new Socket(source, { opcode: 3 })).toThrow(
        /"options.opcode" argument must be 0x01 \(text\) or 0x02 \(binary\). Received 3/,
      )
      expect(() => new Socket(source, { streamThreshold: -1 })).toThrow(RangeError)
      expect(() => new Socket(source, { maxPayload: 0 })).toThrow(/"options.maxPayload"/)
      expect(() => new Socket(source, { closeTimeout: Infinity })).toThrow(/"options.closeTimeout"/)
      expect(() => new Socket(source, { closeTimeout: 'soon' })).toThrow(TypeError)
    })

    it('is a Duplex', () => {
      const ws = new Socket(new PassThrough())
      expect(typeof ws.pipe).toBe('function')
      expect(typeof ws.write).toBe('function')
    })
  })

  describe('send(message)', () => {
    it('sends strings as text and Buffers as binary', async () => {
      const { server, client, pair } = await connected()
      const got = []
      server.on('message', (m) => got.push(m))
      client.send('Hello')
      client.send(Buffer.from([1, 2, 3]))
      client.send(new Uint16Array([0x0201]))
      client.send()
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(got).toEqual(['Hello', Buffer.from([1, 2, 3]), Buffer.from([1, 2]), ''])
      pair.close()
    })

    it('follows an explicit opcode option', async () => {
      const source = sink()
      const ws = new Socket(source, { opcode: 0x02 })
      ws.send('abc')
      await flushed()
      expect(source.bytes()).toEqual(hex('8203 616263'))
      const text = sink()
      new Socket(text, { opcode: 0x01 }).send(Buffer.from('abc'))
      await flushed()
      expect(text.bytes()).toEqual(hex('8103 616263'))
    })

    it('masks when mask is true and not otherwise', async () => {
      const server = sink()
      new Socket(server).send('Hello')
      await flushed()
      expect(server.bytes()).toEqual(hex('810548656c6c6f'))
      const client = sink()
      new Socket(client, { mask: true }).send('Hello')
      await flushed()
      const bytes = client.bytes()
      expect(bytes[1]).toBe(0x85)
      expect(parsedByWs(bytes, true)).toEqual([['message', 'Hello']])
    })

    it('rejects what is not a string or bytes', () => {
      const ws = new Socket(sink())
      expect(() => ws.send(42)).toThrow(
        /"message" argument must be of type string or an instance of Buffer/,
      )
      expect(() => ws.send({})).toThrow(TypeError)
    })

    it('uses the 16- and 64-bit length forms that ws parses, masked or not', async () => {
      for (const mask of [false, true]) {
        for (const size of [125, 126, 8193, 65535, 65536, 70001]) {
          const payload = Buffer.alloc(size)
          for (let i = 0; i < size; i++) payload[i] = (i * 31 + 7) & 0xff
          const copy = Buffer.from(payload)
          const source = sink()
          new Socket(source, { mask }).send(payload)
          await flushed()
          const seen = parsedByWs(source.bytes(), mask)
          expect(seen.map(([event]) => event)).toEqual(['message'])
          expect(seen[0][1].equals(copy)).toBe(true)
          // Masking works on a copy: the caller's Buffer is as it was.
          expect(payload.equals(copy)).toBe(true)
        }
      }
    })
  })

  describe('ping([message])', () => {
    it('is answered with a pong carrying the same body', async () => {
      const { server, client, pair } = await connected()
      client.ping('are you there')
      const [body] = await once(client, 'pong')
      expect(body).toEqual(Buffer.from('are you there'))
      server.ping()
      const [empty] = await once(server, 'pong')
      expect(empty).toEqual(Buffer.alloc(0))
      pair.close()
    })

    it('throws a RangeError for a body over 125 bytes', () => {
      const ws = new Socket(sink())
      expect(() => ws.ping(Buffer.alloc(126))).toThrow(RangeError)
      expect(() => ws.ping('x'.repeat(126))).toThrow(
        /"message" argument must be at most 125 bytes. Received 126 bytes/,
      )
      expect(() => ws.ping(Buffer.alloc(125))).not.toThrow()
    })
  })

  describe('close([message])', () => {
    it('with a code: both sides see it and close exactly once', async () => {
      const { server, client } = await connected()
      const closes = { server: [], client: [] }
      server.on('close', (...args) => closes.server.push(args))
      client.on('close', (...args) => closes.client.push(args))
      const done = Promise.all([once(server, 'close'), once(client, 'close')])
      client.close(1001)
      client.close(1000)
      await done
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(closes.server).toEqual([[1001, '']])
      expect(closes.client).toEqual([[1001, '']])
    })

    it('with a string: code 1000 and that reason', async () => {
      const { server, client } = await connected()
      const seen = once(client, 'close')
      server.close('going away now')
      expect(await seen).toEqual([1000, 'going away now'])
    })

    it('with a code and a reason', async () => {
      const { server, client } = await connected()
      const seen = once(server, 'close')
      client.close(4000, 'custom')
      expect(await seen).toEqual([4000, 'custom'])
    })

    it('without arguments: the peer sees 1005', async () => {
      const { server, client } = await connected()
      const seen = once(server, 'close')
      client.close()
      expect(await seen).toEqual([1005, ''])
    })

    it('refuses codes that may not be sent, and long reasons', () => {
      const ws = new Socket(sink())
      for (const code of [0, 999, 1004, 1005, 1006, 1012, 1015, 2999, 5000, 1000.5, 65536 + 1000]) {
        expect(() => ws.close(code)).toThrow(RangeError)
      }
      expect(() => ws.close(1004)).toThrow(
        /"code" argument must be a sendable close code. Received 1004/,
      )
      expect(() => ws.close(1000, 'x'.repeat(124))).toThrow(
        /"reason" argument must be at most 123 bytes/,
      )
      expect(() => ws.close('1000', 5)).toThrow(TypeError)
      expect(() => ws.close({})).toThrow(/"code" argument must be of type number/)
      for (const code of [1000, 1001, 1003, 1007, 1011, 3000, 4999]) {
        expect(() => new Socket(sink()).close(code)).not.toThrow()
      }
    })

    it('destroys the source after closeTimeout when the peer never answers', async () => {
      const source = sink()
      const ws = new Socket(source, { closeTimeout: 30 })
      const closed = once(ws, 'close')
      ws.close(1000)
      expect(await closed).toEqual([1006, ''])
      expect(source.destroyed).toBe(true)
    })

    it('reports 1006 when the connection drops without a close frame', async () => {
      const { server, pair } = await connected()
      const seen = once(server, 'close')
      pair.client.destroy()
      expect(await seen).toEqual([1006, ''])
    })

    it('echoes a received close frame, code and reason as ws does, and ends the source', () => {
      const raw = sink()
      const socket = new Socket(raw)
      raw.emit('data', wsFrame(0x8, Buffer.from([0x03, 0xe8, 0x68, 0x69]), { mask: true }))
      expect(raw.bytes()).toEqual(hex('8804 03e8 6869'))
      expect(raw.writableEnded).toBe(true)
      expect(socket.send('late')).toBe(false)
    })

    it('echoes an empty close frame as empty, and a code it may not send without a body', () => {
      for (const [body, echo] of [
        ['', '8800'],
        ['03f4 6869', '8800'], // 1012: assigned, received, but not ours to send
      ]) {
        const raw = sink()
        new Socket(raw)
        raw.emit('data', wsFrame(0x8, hex(body), { mask: true }))
        expect(raw.bytes()).toEqual(hex(echo))
      }
    })

    it('a ws client sees its own close code and reason echoed', async () => {
      const http = require('node:http')
      const { Server } = require('..')
      const WsClient = require('ws')
      const httpServer = http.createServer()
      new Server({ url: 'ws://127.0.0.1/' }).listen(httpServer)
      await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
      const client = new WsClient(`ws://127.0.0.1:${httpServer.address().port}/`)
      await once(client, 'open')
      client.close(4001, 'going away now')
      const [code, reason] = await once(client, 'close')
      expect([code, reason.toString()]).toEqual([4001, 'going away now'])
      httpServer.close()
    })
  })

  describe('stream([chunk])', () => {
    it('sends fragments and a final frame the peer reads as one stream', async () => {
      const { server, client, pair } = await connected()
      const events = []
      const chunks = []
      server.on('stream:start', (opcode) => events.push(['start', opcode]))
      server.on('data', (chunk) => chunks.push(chunk))
      const stopped = once(server, 'stream:stop')
      client.stream(Buffer.from('one '))
      client.stream(Buffer.from('two '))
      client.stream('three')
      client.stream()
      await stopped
      expect(events).toEqual([['start', 0x02]])
      expect(Buffer.concat(chunks).toString()).toBe('one two three')
      pair.close()
    })

    it('writes FIN-clear frames, then continuations, then an empty final frame', async () => {
      const source = sink()
      const ws = new Socket(source)
      ws.stream('ab')
      ws.stream('c')
      ws.stream()
      await flushed()
      expect(source.bytes()).toEqual(hex('0102 6162  0001 63  8000'))
      expect(parsedByWs(source.bytes(), false)).toEqual([['message', 'abc']])
    })

    it('lets control frames interleave and queues send() until the final frame', async () => {
      const source = sink()
      const ws = new Socket(source)
      ws.stream('a')
      ws.ping('p')
      ws.send('later')
      ws.stream('b')
      ws.stream()
      await flushed()
      expect(source.bytes()).toEqual(hex('0101 61  8901 70  0001 62  8000  8105 6c61746572'))
      expect(parsedByWs(source.bytes(), false)).toEqual([
        ['ping', 'p'],
        ['message', 'ab'],
        ['message', 'later'],
      ])
    })

    it('sends nothing after our close frame, not even the final frame of an open stream', async () => {
      const source = sink()
      const ws = new Socket(source)
      ws.stream('a')
      ws.close(1000)
      ws.stream('b')
      ws.stream()
      ws.send('late')
      await flushed()
      expect(source.bytes()).toEqual(hex('0101 61  8802 03e8'))
    })

    it('does nothing for a final call without an open stream', async () => {
      const source = sink()
      new Socket(source).stream()
      await flushed()
      expect(source.written).toHaveLength(0)
    })
  })

  describe('the writable side', () => {
    it('sends write() as fragments and end() as the final frame', async () => {
      const source = sink()
      const ws = new Socket(source)
      ws.write(Buffer.from('ab'))
      ws.write(Buffer.from('cd'))
      ws.end()
      await once(ws, 'finish')
      expect(source.bytes()).toEqual(hex('0202 6162  0002 6364  8000'))
    })

    it('ends the outgoing stream when a piped source unpipes', async () => {
      const source = sink()
      const ws = new Socket(source)
      const input = new PassThrough()
      input.pipe(ws)
      input.write('x')
      await new Promise((resolve) => setImmediate(resolve))
      input.unpipe(ws)
      await new Promise((resolve) => setImmediate(resolve))
      expect(parsedByWs(source.bytes(), false)).toEqual([['message', Buffer.from('x')]])
    })
  })

  describe('incoming messages', () => {
    it('delivers a frame below streamThreshold as "message" and one at it as a stream', async () => {
      const [a, b] = memoryPair()
      const server = new Socket(a, { streamThreshold: 10 })
      const client = new Socket(b, { mask: true })
      const messages = []
      const streamed = []
      server.on('message', (m) => messages.push(m))
      server.on('stream:start', () => server.on('data', (c) => streamed.push(c)))
      const stopped = once(server, 'stream:stop')
      client.send('123456789')
      client.send('1234567890')
      await stopped
      expect(messages).toEqual(['123456789'])
      expect(Buffer.concat(streamed).toString()).toBe('1234567890')
    })

    // The decoder is made by a socket's first read, from limits that sockets
    // made with the same ones share.
    it('each socket keeps its own limits, however sockets with other limits are made in between', async () => {
      const pairs = [memoryPair(), memoryPair(), memoryPair()]
      const sockets = [8, 64, 8].map((maxPayload, i) => new Socket(pairs[i][0], { maxPayload }))
      const [small, large, small2] = sockets
      const errors = [once(small, 'error'), once(small2, 'error')]
      const got = once(large, 'message')
      for (const [, peer] of pairs) peer.write(wsFrame(0x1, 'sixteen bytes!!!', { mask: true }))
      expect(await got).toEqual(['sixteen bytes!!!'])
      for (const error of errors) expect((await error)[0].closeCode).toBe(1009)
      for (const ws of sockets) ws.terminate()
    })

    it('with streamThreshold Infinity delivers fragmented messages whole', async () => {
      const [a, b] = memoryPair()
      const server = new Socket(a, { streamThreshold: Infinity })
      const client = new Socket(b, { mask: true })
      const got = once(server, 'message')
      let started = false
      server.on('stream:start', () => (started = true))
      client.stream('frag')
      client.stream('mented')
      client.stream()
      expect(await got).toEqual(['fragmented'])
      expect(started).toBe(false)
    })

    it('hands each assembled message over in memory of its own, small (copied) or large', async () => {
      const [a, b] = memoryPair()
      const server = new Socket(a, { streamThreshold: Infinity })
      const client = new Socket(b, { mask: true })
      const sizes = [1, 1000, 16383, 16384, 16385, 100000]
      const sent = sizes.map((size, i) => Buffer.alloc(size, 0x41 + i))
      const got = []
      server.on('message', (m) => got.push(m))
      for (const payload of sent) {
        // Two fragments: the message is assembled, not a view of a read.
        client.stream(payload.subarray(0, payload.length >> 1))
        client.stream(payload.subarray(payload.length >> 1))
        client.stream()
      }
      while (got.length < sent.length) await once(server, 'message')
      expect(got).toEqual(sent)
      // Writing into one leaves the others as they arrived.
      for (let i = 0; i < got.length; i++) {
        got[i].fill(0)
        expect(got.slice(i + 1)).toEqual(sent.slice(i + 1))
      }
      const again = []
      server.on('message', (m) => again.push(m))
      client.send(sent[2])
      await once(server, 'message')
      expect(again).toEqual([sent[2]])
    })

    it("fires 'stream:stop' only after readers took every byte", async () => {
      const [a, b] = memoryPair()
      const server = new Socket(a)
      const client = new Socket(b, { mask: true })
      const payload = Buffer.alloc(100000, 0x61)
      let read = 0
      const order = []
      server.on('stream:start', () => {
        // Start reading only later: the bytes wait in the readable buffer.
        setTimeout(() => server.on('data', (chunk) => (read += chunk.length)), 30)
      })
      server.on('stream:stop', () => order.push(['stop', read]))
      server.on('message', (m) => order.push(['message', m, read]))
      const done = once(server, 'message')
      client.send(payload)
      client.send('after')
      await done
      expect(order).toEqual([
        ['stop', 100000],
        ['message', 'after', 100000],
      ])
    })

    it('closes 1009 with an error event when a message exceeds maxPayload', async () => {
      const { server, client } = await connected({ maxPayload: 100 })
      const errors = []
      server.on('error', (err) => errors.push(err))
      const closed = Promise.all([once(server, 'close'), once(client, 'close')])
      client.send(Buffer.alloc(101))
      const [[serverCode], [clientCode]] = await closed
      expect(errors).toHaveLength(1)
      expect(errors[0]).toBeInstanceOf(WebSocketError)
      expect(errors[0].code).toBe('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
      expect(errors[0].closeCode).toBe(1009)
      expect(serverCode).toBe(1009)
      expect(clientCode).toBe(1009)
    })

    it('closes 1008 when a message has more frames than maxFragments, and takes one at the limit', async () => {
      const { server, client } = await connected({ maxFragments: 3 })
      const errors = []
      server.on('error', (err) => errors.push(err))
      const got = once(server, 'message')
      for (const part of ['a', 'b', 'c']) client.stream(part)
      client.stream()
      // Three data frames, then the empty final one: four frames in all.
      const closed = Promise.all([once(server, 'close'), once(client, 'close')])
      const [[serverCode], [clientCode]] = await closed
      expect(errors.map((e) => [e.code, e.closeCode])).toEqual([
        ['WS_ERR_TOO_MANY_BUFFERED_PARTS', 1008],
      ])
      expect([serverCode, clientCode]).toEqual([1008, 1008])
      await expect(Promise.race([got, 'none'])).resolves.toBe('none')

      const again = await connected({ maxFragments: 3 })
      const whole = once(again.server, 'message')
      again.client.stream('a')
      again.client.stream('b')
      again.client.stream()
      expect(await whole).toEqual(['ab'])
      again.client.close()
    })

    it('keeps message order when a listener makes the peer write synchronously', () => {
      const [a, b] = memoryPair()
      const server = new Socket(a)
      const client = new Socket(b, { mask: true })
      const seen = []
      client.on('message', (m) => seen.push(m))
      server.on('message', (m) => {
        server.send(`echo ${m}`)
      })
      // Two messages in one read: both answers must arrive in order.
      b.write(Buffer.concat([wsFrame(1, 'a', { mask: true }), wsFrame(1, 'b', { mask: true })]))
      return new Promise((resolve) => setImmediate(resolve)).then(() => {
        expect(seen).toEqual(['echo a', 'echo b'])
        expect(client).toBeDefined()
      })
    })

    it('reads from any Duplex, also one fed in 1-byte chunks', async () => {
      const frames = Buffer.concat([
        wsFrame(1, 'Hello', { mask: true }),
        wsFrame(2, Buffer.from([9, 9]), { mask: true }),
      ])
      const source = new PassThrough()
      const ws = new Socket(source)
      const seen = []
      ws.on('message', (m) => seen.push(m))
      Readable.from([...frames].map((byte) => Buffer.from([byte]))).pipe(source)
      await new Promise((resolve) => setTimeout(resolve, 30))
      expect(seen).toEqual(['Hello', Buffer.from([9, 9])])
    })
  })
  // Small messages are framed in a slab per socket (lib/outbox.js).
  describe('outgoing memory', () => {
    const texts = (n) => Array.from({ length: n }, (_, i) => `message ${i} `.padEnd(64, '.'))

    it('over TCP, trading small messages reuses one slab instead of taking 64 KiB more per 64 KiB sent', async () => {
      const pair = await tcpPair()
      const server = new Socket(pair.server)
      const client = new Socket(pair.client, { mask: true })
      server.on('message', (m) => server.send(m))
      const allocUnsafe = jest.spyOn(Buffer, 'allocUnsafe')
      const seen = []
      let sizes
      try {
        for (const text of texts(2000)) {
          const echoed = once(client, 'message')
          client.send(text)
          seen.push((await echoed)[0])
        }
      } finally {
        sizes = allocUnsafe.mock.calls.map(([size]) => size)
        allocUnsafe.mockRestore()
        pair.close()
      }
      expect(seen).toEqual(texts(2000))
      // Without reuse: 6 slabs of 64 KiB, both sides together.
      expect(sizes.filter((size) => size >= 64 * 1024)).toEqual([])
    })

    // Sizes a send asks of Buffer.allocUnsafe while `send` runs.
    const allocatedBy = (send) => {
      const allocUnsafe = jest.spyOn(Buffer, 'allocUnsafe')
      try {
        send()
        return allocUnsafe.mock.calls.map(([size]) => size)
      } finally {
        allocUnsafe.mockRestore()
      }
    }

    it('a socket takes a slab the size of what it sends, not 64 KiB for one 5 KiB message', async () => {
      const pair = await tcpPair()
      const server = new Socket(pair.server)
      try {
        const sizes = allocatedBy(() => server.send(Buffer.alloc(5000, 1)))
        expect(sizes.filter((size) => size >= 5000)).toEqual([8192])
      } finally {
        pair.close()
      }
    })

    it('a socket that falls quiet lets its slab go; one that keeps sending keeps it', async () => {
      const quietPair = await tcpPair()
      const busyPair = await tcpPair()
      const quiet = new Socket(quietPair.server)
      const busy = new Socket(busyPair.server)
      try {
        quiet.send('welcome')
        busy.send('welcome')
        await null
        // The sweep runs each second; a slab goes after a whole sweep without sends.
        for (let i = 0; i < 8; i++) {
          await new Promise((resolve) => setTimeout(resolve, 300))
          busy.send('tick')
        }
        await null
        expect(allocatedBy(() => quiet.send('again'))).toEqual([128])
        expect(allocatedBy(() => busy.send('again'))).toEqual([])
      } finally {
        quietPair.close()
        busyPair.close()
      }
    })

    it('a closed socket leaves nothing for the slab sweep to hold: its connection can be collected at once', async () => {
      const v8 = require('node:v8')
      const vm = require('node:vm')
      v8.setFlagsFromString('--expose-gc')
      const gc = vm.runInNewContext('gc')
      // Opened, used and closed in a scope of its own, which keeps no reference.
      const source = await (async () => {
        const pair = await tcpPair()
        const ws = new Socket(pair.server)
        ws.send('welcome')
        await null
        const closed = once(ws, 'close')
        pair.close()
        await closed
        return new WeakRef(pair.server)
      })()
      // Well within the sweep's second: only the close itself let the slab go.
      for (let i = 0; i < 5 && source.deref() !== undefined; i++) {
        await new Promise((resolve) => setImmediate(resolve))
        gc()
      }
      expect(source.deref()).toBeUndefined()
    })

    // Frames are held in the corked source until the tick's flush, so that
    // a tick's frames leave in one write; a 1 MiB frame held so made one
    // connection of a client wait 100-270 ms while the others ran.
    it("a frame of 256 KiB or more is handed to the socket at once, a small one at the tick's end", async () => {
      const pair = await tcpPair()
      const client = new Socket(pair.client, { mask: true })
      const writes = []
      const { _write: write, _writev: writev } = pair.client
      pair.client._write = function spy(chunk, ...rest) {
        writes.push(chunk.length)
        return write.call(this, chunk, ...rest)
      }
      pair.client._writev = function spy(chunks, ...rest) {
        writes.push(chunks.reduce((n, { chunk }) => n + chunk.length, 0))
        return writev.call(this, chunks, ...rest)
      }
      try {
        client.send(Buffer.alloc(100 * 1024, 1))
        expect(writes).toEqual([])
        await null
        expect(writes).toHaveLength(1)
        client.send(Buffer.alloc(256 * 1024, 2))
        expect(writes).toHaveLength(2)
        expect(writes[1]).toBeGreaterThan(256 * 1024)
      } finally {
        pair.close()
      }
    })

    // A client copies each payload to mask it. From 256 KiB (a frame that
    // leaves at once), the copy goes into one spare buffer, kept for the
    // next frame only when the kernel took the last one whole.
    // Frames of 256 KiB and more that are copied anyway (a client's masked
    // payload, any string's UTF-8) go into one spare buffer, reused while
    // the kernel takes each write whole.
    describe.each([
      ["a client's binary messages", true, (size, fill) => Buffer.alloc(size, fill)],
      // Mixed text of about `size` UTF-16 units, different for each fill.
      ["a server's text messages", false, (size, fill) => textOf(size, fill)],
      ["a client's text messages", true, (size, fill) => textOf(size, fill)],
    ])('%s of 300 KiB or more', (_, masked, messageOf) => {
      const same = (got, sent) => (typeof sent === 'string' ? got === sent : got.equals(sent))
      // The sending Socket, and the messages its peer gets.
      const sides = (pair) => {
        const got = []
        const [from, to] = masked ? [pair.client, pair.server] : [pair.server, pair.client]
        const receiver = new Socket(to, { mask: !masked }).on('message', (m) => got.push(m))
        // A frame written over closes the connection (its text is no longer
        // UTF-8, say): no more messages then.
        receiver.on('error', () => {}).on('close', () => (got.closed = true))
        return { from, sender: new Socket(from, { mask: masked }), got }
      }
      const arrived = async (got, count) => {
        while (got.length < count && !got.closed) await flushed()
      }

      it('are written from the same buffer when each write was taken whole', async () => {
        const pair = await tcpPair()
        const { from, sender, got } = sides(pair)
        const buffers = []
        const { _write: write } = from
        from._write = function spy(chunk, ...rest) {
          buffers.push(chunk.buffer)
          return write.call(this, chunk, ...rest)
        }
        try {
          for (const fill of [1, 2, 3]) {
            sender.send(messageOf(300 * 1024, fill))
            expect(from.writableLength).toBe(0) // taken whole
            await arrived(got, fill)
          }
          expect(buffers).toHaveLength(3)
          expect(new Set(buffers).size).toBe(1)
          expect(got.map((m, i) => same(m, messageOf(300 * 1024, i + 1)))).toEqual([
            true,
            true,
            true,
          ])
        } finally {
          pair.close()
        }
      })

      it('are not written over one that a write still holds', async () => {
        const pair = await tcpPair()
        const { from, sender, got } = sides(pair)
        const sent = []
        // Nothing reads during this loop: it sends until the kernel's
        // buffers are full and a write waits in Node.
        while (from.writableLength === 0 && sent.length < 1000) {
          sent.push(messageOf(512 * 1024, sent.length % 251))
          sender.send(sent.at(-1))
        }
        expect(from.writableLength).toBeGreaterThan(0)
        for (let i = 0; i < 3; i++) {
          sent.push(messageOf(512 * 1024, 250 - i))
          sender.send(sent.at(-1))
        }
        try {
          await arrived(got, sent.length)
          expect(got.map((m, i) => same(m, sent[i]))).toEqual(sent.map(() => true))
        } finally {
          pair.close()
        }
      }, 30000)
    })

    // Replies sent from 'message' listeners leave when the read that brought
    // the messages is decoded (lib/outbox.js beginRead), not in a microtask
    // of their own: all of one read's replies in one write, made before the
    // source's 'data' listeners return.
    it("replies to the messages of a read leave in one write, within that read's 'data' event", async () => {
      const pair = await tcpPair()
      const ws = new Socket(pair.server)
      ws.on('message', (message) => ws.send(`re: ${message}`))
      const receiver = new Receiver({ isServer: false })
      pair.client.on('data', (chunk) => receiver.write(chunk))
      const sent = texts(16)
      const exchange = () =>
        new Promise((resolve) => {
          const got = []
          const onMessage = (data) => {
            got.push(data.toString())
            if (got.length < sent.length) return
            receiver.removeListener('message', onMessage)
            resolve(got)
          }
          receiver.on('message', onMessage)
          const frames = sent.map((t) => wsFrame(0x1, Buffer.from(t), { mask: true }))
          pair.client.write(Buffer.concat(frames))
        })
      // The first replies grow the socket's slab, which flushes as it grows.
      expect(await exchange()).toEqual(sent.map((t) => `re: ${t}`))
      const writes = []
      let dispatching = false
      let reads = 0
      const { _write: write, _writev: writev, emit } = pair.server
      pair.server.emit = function spy(event, ...args) {
        dispatching = event === 'data'
        if (dispatching) reads++
        try {
          return emit.call(this, event, ...args)
        } finally {
          dispatching = false
        }
      }
      pair.server._write = function spy(chunk, ...rest) {
        writes.push(dispatching)
        return write.call(this, chunk, ...rest)
      }
      pair.server._writev = function spy(chunks, ...rest) {
        writes.push(dispatching)
        return writev.call(this, chunks, ...rest)
      }
      try {
        expect(await exchange()).toEqual(sent.map((t) => `re: ${t}`))
        // Node may hand the 16 frames over in more than one read.
        expect(reads).toBeGreaterThan(0)
        expect(reads).toBeLessThan(sent.length)
        expect(writes).toEqual(Array(reads).fill(true))
      } finally {
        pair.close()
      }
    })

    // Node reads a TCP socket 64 KiB at a time, and reads again at once
    // after a read that filled them all: what a streamed echo sends from such
    // a read waits for the next one, so that a 1 MiB message goes back in a
    // write or two, not in a write per read (twice ws's syscalls).
    describe('the fragments a pipe echoes from full 64 KiB reads', () => {
      const FULL = 64 * 1024
      // A source handed `chunks` as reads, echoing streamed messages as the
      // seed does; `writes`: the bytes of each write the Socket made to it.
      const pipeEcho = () => {
        const writes = []
        const record = (chunks, callback) => {
          writes.push(Buffer.concat(chunks))
          callback()
        }
        const source = new Duplex({
          read() {},
          write: (chunk, encoding, callback) => record([chunk], callback),
          writev: (chunks, callback) =>
            record(
              chunks.map(({ chunk }) => chunk),
              callback,
            ),
        })
        const ws = new Socket(source)
        ws.on('stream:start', () => ws.pipe(ws))
        ws.on('stream:stop', () => ws.unpipe(ws))
        // As Node's reads come: each a callback of its own, after which
        // process.nextTick callbacks and microtasks run, but no setImmediate.
        const read = async (bytes) => {
          await flushed() // a Socket lets its source flow from the next turn
          for (let at = 0; at < bytes.length; at += FULL) {
            source.push(bytes.subarray(at, at + FULL))
            for (let i = 0; i < 4; i++) await new Promise((resolve) => process.nextTick(resolve))
          }
        }
        const echoed = () => {
          const { frames, rest } = readFrames(Buffer.concat(writes))
          expect(rest).toHaveLength(0)
          expect(frames.at(-1).fin).toBe(true)
          expect(frames.map((f) => f.opcode)).toEqual([0x2, ...Array(frames.length - 1).fill(0)])
          return Buffer.concat(frames.map((f) => f.payload))
        }
        return { writes, read, echoed }
      }

      it('leave in one write with those of the short read after them', async () => {
        const { writes, read, echoed } = pipeEcho()
        const payload = Buffer.alloc(1 << 20)
        for (let i = 0; i < payload.length; i++) payload[i] = i % 251
        const frame = wsFrame(0x2, payload, { mask: true })
        expect(frame.length % FULL).not.toBe(0)
        await read(frame)
        // 16 full reads and a short one. The first read's fragment leaves
        // on its own, once the pipe made in 'stream:start' flows (after that
        // read); the 15 other full reads' leave with the short read's.
        expect(writes).toHaveLength(2)
        expect(echoed().equals(payload)).toBe(true)
        await flushed()
        expect(writes).toHaveLength(2)
      })

      it('leave by the end of the poll phase when no short read follows', async () => {
        const { writes, read, echoed } = pipeEcho()
        // A masked frame with a 64-bit length has a 14-byte header.
        const payload = Buffer.alloc(4 * FULL - 14, 7)
        await read(wsFrame(0x2, payload, { mask: true }))
        expect(writes).toHaveLength(1) // the first read's, as above
        await flushed()
        expect(writes).toHaveLength(2)
        expect(echoed().equals(payload)).toBe(true)
      })
    })

    it('never rewrites bytes a stream other than TCP may still hold', async () => {
      // Keeps each written chunk as it was handed over, as an in-memory pair may.
      const kept = []
      const target = new Duplex({
        read() {},
        write(chunk, encoding, callback) {
          kept.push(chunk)
          callback()
        },
      })
      const ws = new Socket(target)
      for (const text of texts(200)) {
        ws.send(text)
        await null // each send is flushed on its own
      }
      const { frames } = readFrames(Buffer.concat(kept))
      expect(frames.map((f) => f.payload.toString())).toEqual(texts(200))
    })
  })
})
