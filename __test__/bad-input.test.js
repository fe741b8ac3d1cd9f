'use strict'

// Every violation the parser rejects, sent by a hostile peer over TCP: the
// victim emits 'error' with the right code, closes with the right close
// code, and a second connection in the same process is unaffected.

const { Duplex } = require('node:stream')
const { Socket } = require('..')
const { tcpPair, once } = require('./helpers/pair')
const { hex, wsFrame } = require('./helpers/frames')

const masked = (opcode, payload, opts = {}) => wsFrame(opcode, payload, { mask: true, ...opts })
const plain = (opcode, payload, opts = {}) => wsFrame(opcode, payload, { mask: false, ...opts })

// [name, bytes the peer sends, role of the victim, close code, error code]
const CASES = [
  ['unmasked frame to a server', plain(1, 'x'), 'server', 1002, 'WS_ERR_EXPECTED_MASK'],
  ['masked frame to a client', masked(1, 'x'), 'client', 1002, 'WS_ERR_UNEXPECTED_MASK'],
  [
    'RSV1 without an extension',
    masked(1, 'x', { rsv1: true }),
    'server',
    1002,
    'WS_ERR_UNEXPECTED_RSV_1',
  ],
  ['RSV2', hex('a18137fa213d4f'), 'server', 1002, 'WS_ERR_UNEXPECTED_RSV_2_3'],
  ['RSV3', hex('918137fa213d4f'), 'server', 1002, 'WS_ERR_UNEXPECTED_RSV_2_3'],
  ['reserved data opcode 3', hex('838037fa213d'), 'server', 1002, 'WS_ERR_INVALID_OPCODE'],
  ['reserved control opcode 11', hex('8b8037fa213d'), 'server', 1002, 'WS_ERR_INVALID_OPCODE'],
  [
    'ping over 125 bytes',
    hex('89fe007e37fa213d'),
    'server',
    1002,
    'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
  ],
  ['fragmented ping', hex('098037fa213d'), 'server', 1002, 'WS_ERR_EXPECTED_FIN'],
  [
    '64-bit length with the top bit set',
    hex('82ff800000000000000037fa213d'),
    'server',
    1002,
    'WS_ERR_INVALID_PAYLOAD_LENGTH',
  ],
  [
    'length above maxPayload (header only)',
    hex('82ff000000000640000137fa213d'),
    'server',
    1009,
    'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
  ],
  ['continuation without a start', masked(0, 'x'), 'server', 1002, 'WS_ERR_INVALID_OPCODE'],
  [
    'new data frame inside a fragmented message',
    Buffer.concat([masked(1, 'a', { fin: false }), masked(1, 'b')]),
    'server',
    1002,
    'WS_ERR_INVALID_OPCODE',
  ],
  [
    'invalid UTF-8 in a text frame',
    masked(1, Buffer.from('cebae1bdb9cf83cebcceb5eda080', 'hex')),
    'server',
    1007,
    'WS_ERR_INVALID_UTF8',
  ],
  [
    'invalid UTF-8 split across fragments',
    Buffer.concat([
      masked(1, Buffer.from('cebae1', 'hex'), { fin: false }),
      masked(0, Buffer.from('bdb9f490', 'hex')),
    ]),
    'server',
    1007,
    'WS_ERR_INVALID_UTF8',
  ],
  [
    'text ending inside a code point',
    masked(1, Buffer.from('61e282', 'hex')),
    'server',
    1007,
    'WS_ERR_INVALID_UTF8',
  ],
  [
    'close body of 1 byte',
    masked(8, Buffer.from([3])),
    'server',
    1002,
    'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
  ],
  [
    'close code 1004',
    masked(8, Buffer.from([3, 0xec])),
    'server',
    1002,
    'WS_ERR_INVALID_CLOSE_CODE',
  ],
  [
    'close code 5000',
    plain(8, Buffer.from([0x13, 0x88])),
    'client',
    1002,
    'WS_ERR_INVALID_CLOSE_CODE',
  ],
  [
    'a message in 131073 one-byte frames (maxFragments)',
    Buffer.concat([
      masked(1, 'a', { fin: false }),
      ...Array.from({ length: 131071 }, () => masked(0, 'a', { fin: false })),
      masked(0, 'a'),
    ]),
    'server',
    1008,
    'WS_ERR_TOO_MANY_BUFFERED_PARTS',
  ],
  [
    'close reason not UTF-8',
    masked(8, Buffer.from([3, 0xe8, 0xff])),
    'server',
    1007,
    'WS_ERR_INVALID_UTF8',
  ],
]

describe('bad input from a peer', () => {
  let bystander

  beforeAll(async () => {
    bystander = await tcpPair()
    bystander.server = new Socket(bystander.server)
    bystander.client = new Socket(bystander.client, { mask: true })
  })

  afterAll(() => bystander.client.close(1000))

  it.each(CASES.map((c) => [`${c[0]}: closes ${c[3]} with ${c[4]}`, ...c]))(
    '%s',
    async (title, name, bytes, role, closeCode, code) => {
      const pair = await tcpPair()
      const victimSource = role === 'server' ? pair.server : pair.client
      const attacker = role === 'server' ? pair.client : pair.server
      const victim = new Socket(victimSource, {
        mask: role === 'client',
        maxPayload: 100 * 1024 * 1024,
      })
      const errors = []
      victim.on('error', (err) => errors.push(err))
      const wire = []
      attacker.on('data', (chunk) => wire.push(chunk))
      const closed = once(victim, 'close')
      attacker.write(bytes)
      const [reported] = await closed
      await new Promise((resolve) => setImmediate(resolve))

      expect(errors).toHaveLength(1)
      expect(errors[0].code).toBe(code)
      expect(errors[0].closeCode).toBe(closeCode)
      expect(reported).toBe(closeCode)
      // The close frame on the wire carries that code.
      const frame = Buffer.concat(wire)
      expect(frame[0]).toBe(0x88)
      const offset = frame[1] & 0x80 ? 6 : 2
      let status = frame.readUInt16BE(offset)
      if (frame[1] & 0x80) status ^= frame.readUInt16BE(2)
      expect(status).toBe(closeCode)

      // The other connection still works.
      const echoed = once(bystander.client, 'message')
      bystander.server.once('message', (m) => bystander.server.send(m))
      bystander.client.send(`still here after ${name}`)
      expect(await echoed).toEqual([`still here after ${name}`])
      pair.close()
    },
  )

  it('fails fast: invalid UTF-8 closes before the rest of the message arrives', async () => {
    const pair = await tcpPair()
    const victim = new Socket(pair.server)
    victim.on('error', () => {})
    const closed = once(victim, 'close')
    pair.client.resume() // read, so our FIN is seen and TCP closes
    // A 1000-byte text frame whose first bytes are already invalid; the rest never comes.
    const head = hex('81fe03e8 00000000')
    pair.client.write(Buffer.concat([head, Buffer.from('ff', 'hex')]))
    expect(await closed).toEqual([1007, 'Invalid UTF-8 in a text message or close reason'])
    pair.close()
  })

  it('does not throw when nobody listens for errors', async () => {
    const pair = await tcpPair()
    const victim = new Socket(pair.server)
    const closed = once(victim, 'close')
    pair.client.resume()
    pair.client.write(plain(1, 'unmasked'))
    expect((await closed)[0]).toBe(1002)
    pair.close()
  })
})

describe('a ping flood from a peer that never reads', () => {
  it('stops reading instead of buffering pongs without bound', async () => {
    const pair = await tcpPair()
    new Socket(pair.server) // the victim, answering every ping
    // The attacker never reads: our pongs pile up in its receive window,
    // then in the kernel, then in our socket, unless we stop reading.
    pair.client.pause()
    const ping = wsFrame(0x9, Buffer.alloc(125, 1), { mask: true })
    const flood = Buffer.concat(Array.from({ length: 1000 }, () => ping)) // 131 KB of pings
    let sent = 0
    for (let i = 0; i < 200; i++) {
      pair.client.write(flood)
      sent += flood.length
      await new Promise((resolve) => setImmediate(resolve))
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
    // 26 MB of pings went out; what waits in our writable buffer stays near
    // one read's worth of pongs.
    expect(sent).toBeGreaterThan(25e6)
    // Past the high-water mark, pongs wait as one (the latest).
    expect(pair.server.writableLength).toBeLessThan(64 * 1024)
    expect(pair.server.isPaused()).toBe(true) // waiting for the peer to read
    pair.close()
  }, 30000)
})

describe('a peer that pings while it does not read our pongs', () => {
  it('gets one pong for the pings of the wait, the latest, once it reads again', async () => {
    // A source whose writes complete only when the test says the peer read.
    const held = []
    const source = new Duplex({
      read() {},
      write(chunk, encoding, callback) {
        held.push([chunk, callback])
      },
    })
    new Socket(source)
    const count = 10000
    const body = (i) => `ping ${i}`.padEnd(120, '.')
    const pings = Array.from({ length: count }, (_, i) =>
      wsFrame(0x9, Buffer.from(body(i)), { mask: true }),
    )
    source.push(Buffer.concat(pings))
    await new Promise((resolve) => setImmediate(resolve))
    // Until the high-water mark, each ping got its pong; then they waited as one.
    expect(source.writableLength).toBeLessThan(17 * 1024)
    const written = []
    while (held.length > 0) {
      const [chunk, callback] = held.shift()
      written.push(chunk)
      callback()
      await new Promise((resolve) => setImmediate(resolve))
    }
    const bytes = Buffer.concat(written)
    const pongs = []
    for (let at = 0; at < bytes.length; at += 2 + bytes[at + 1]) {
      expect(bytes[at]).toBe(0x8a)
      pongs.push(bytes.subarray(at + 2, at + 2 + bytes[at + 1]).toString())
    }
    expect(pongs.length).toBeLessThan(200)
    expect(pongs.at(-1)).toBe(body(count - 1))
  })
})

describe('a peer that does not read while we send (maxBackpressure)', () => {
  it('closes with 1008 once a send finds more than maxBackpressure queued, and drops the connection', async () => {
    const pair = await tcpPair()
    const victim = new Socket(pair.server, { maxBackpressure: 1 << 20 })
    const errors = []
    victim.on('error', (err) => errors.push(err))
    const closed = once(victim, 'close')
    pair.client.pause()
    const chunk = Buffer.alloc(64 * 1024, 1)
    let sends = 0
    // A producer that ignores send()'s false.
    while (sends < 1000 && victim.readyState === Socket.OPEN) {
      victim.send(chunk)
      sends++
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(await closed).toEqual([1008, expect.stringContaining('maxBackpressure')])
    expect(errors.map((e) => [e.code, e.closeCode])).toEqual([['WS_ERR_BACKPRESSURE', 1008]])
    // It stopped near the limit, not after the thousand sends.
    expect(sends * chunk.length).toBeLessThan(8 << 20)
    expect(pair.server.destroyed).toBe(true)
    pair.close()
  }, 30000)

  it('never closes a producer that waits for drain', async () => {
    const pair = await tcpPair()
    const sender = new Socket(pair.server, { maxBackpressure: 256 * 1024 })
    const receiver = new Socket(pair.client, { mask: true })
    let got = 0
    receiver.on('message', (m) => {
      got += m.length
    })
    const chunk = Buffer.alloc(64 * 1024, 2)
    for (let i = 0; i < 160; i++) {
      if (!sender.send(chunk)) await once(sender, 'drain')
    }
    while (got < 160 * chunk.length) await once(receiver, 'message')
    expect(sender.readyState).toBe(Socket.OPEN)
    receiver.close()
    await once(sender, 'close')
    pair.close()
  }, 30000)
})
