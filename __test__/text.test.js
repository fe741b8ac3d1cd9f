'use strict'

// Text messages become strings in Rust from 1 KiB up (lib/decoding.js): every
// size class, mixed and ASCII, in place and assembled from fragments, must
// give exactly the string that was sent.

const path = require('node:path')
const { spawnSync } = require('node:child_process')

const { Receiver } = require('ws')

const { Socket } = require('..')
const native = require('../lib/native')
const { tcpPair, sink, once } = require('./helpers/pair')

const PIECES = [
  'hello wörld ',
  'ascii ',
  '日本語 ',
  '😀 ',
  'ñandú ',
  '\u{10ffff}',
  '\u0080\u07ff\u0800\uffff',
]

/** A string of at least `bytes` UTF-8 bytes (exactly, for ASCII). */
function text(bytes, ascii) {
  if (ascii) return 'websocket '.repeat(Math.ceil(bytes / 10)).slice(0, bytes)
  const unit = PIECES.join('')
  return unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit)))
}

describe('text messages as strings', () => {
  let pair
  let server
  let client
  beforeEach(async () => {
    pair = await tcpPair()
    server = new Socket(pair.server)
    client = new Socket(pair.client, { mask: true })
  })
  afterEach(() => pair.close())

  // 12000: a string the Outbox does not copy (past 8 KiB), framed in Rust and
  // handed over as a copy (up to 16 KiB; larger frames as the Vec itself).
  it.each([0, 1, 1023, 1024, 1025, 12000, 16383, 70000, 131039, 131040, 1 << 20])(
    'a %i-byte message arrives as the same string, mixed or ASCII',
    async (size) => {
      const sent = [text(size, false), text(size, true)]
      const got = []
      server.on('message', (m) => got.push(m))
      for (const s of sent) client.send(s)
      while (got.length < sent.length) await once(server, 'message')
      expect(got).toEqual(sent)
    },
  )

  it('a fragmented text message is joined and decoded once whole', async () => {
    const whole = text(5000, false)
    const parts = [whole.slice(0, 7), whole.slice(7, 2500), whole.slice(2500)]
    client.stream(parts[0])
    client.stream(parts[1])
    client.stream(parts[2])
    client.stream()
    expect(await once(server, 'message')).toEqual([whole])
  })

  // lib/text.js sends a string that just arrived as the bytes it came in.
  // 16 KiB arrives in one read (decoded in place), 300 KB in several (assembled).
  it.each([
    ['server', 'client', 16384],
    ['client', 'server', 16384],
    ['server', 'client', 300000],
    ['client', 'server', 300000],
  ])(
    'a message the %s sends back arrives unchanged (%s sent %i bytes)',
    async (echoer, sender, size) => {
      const sockets = { server, client }
      sockets[echoer].on('message', (m) => sockets[echoer].send(m))
      const sent = [text(size, false), text(size, true)]
      const got = []
      sockets[sender].on('message', (m) => got.push(m))
      for (const s of sent) sockets[sender].send(s)
      while (got.length < sent.length) await once(sockets[sender], 'message')
      expect(got).toEqual(sent)
    },
  )

  it('another string of the same length sent in reply goes out as itself', async () => {
    const sent = text(300000, false)
    const reply = `${sent.slice(0, -1)}!`
    server.on('message', (m) => {
      server.send(reply)
      server.send(m)
    })
    const got = []
    client.on('message', (m) => got.push(m))
    client.send(sent)
    while (got.length < 2) await once(client, 'message')
    expect(got).toEqual([reply, sent])
  })
})

// Strings of 1024 units and more are read out and encoded in Rust
// (native.textFrame): the bytes must be the ones Node's encoder makes,
// which ws (a peer nobody here wrote) then reads.
it('a long string is sent as the UTF-8 Node makes of it, lone surrogates as U+FFFD', async () => {
  const twoByte = (s) => Buffer.from(s, 'utf16le').toString('utf16le') // kept two-byte by V8
  const strings = [
    'websocket '.repeat(200),
    twoByte('websocket '.repeat(200)),
    'é'.repeat(3000),
    text(5000, false),
    `${text(5000, false)}\ud800`,
    `\udc00${text(5000, false)}`,
    `${text(3000, false)}\ud83d!${text(3000, false)}\ude00\ud83d`,
  ]
  for (const mask of [false, true]) {
    const source = sink()
    const ws = new Socket(source, { mask })
    for (const s of strings) ws.send(s)
    ws.stream(text(4000, false))
    ws.stream()
    const receiver = new Receiver({ isServer: mask })
    const got = []
    receiver.on('message', (data, isBinary) => got.push([data, isBinary]))
    receiver.on('error', (err) => got.push(err))
    await new Promise((resolve) => setImmediate(resolve))
    receiver.write(source.bytes())
    const expected = [...strings, text(4000, false)].map((s) => Buffer.from(s))
    expect(got.map(([data]) => Buffer.isBuffer(data) && data)).toEqual(expected)
    expect(got.every(([, isBinary]) => isBinary === false)).toBe(true)
  }
})

// Node's external-string calls are looked up at run time (linking them would
// keep the addon from loading on an older Node): found wherever Node has them.
it('strings are external on a Node that has the calls (18.18, 20.4 and later)', () => {
  const [major, minor] = process.versions.node.split('.').map(Number)
  const has = major > 20 || (major === 20 && minor >= 4) || (major === 18 && minor >= 18)
  expect(native.externalStrings()).toBe(has)
})

// Strings of 128 KiB and more are external (src/binding/text.rs): V8 frees their
// memory only when it collects them, and collects only as often as it knows
// memory is held. Unreported, this run grew RSS by about 490 MiB; reported,
// by about 110.
it('400 MiB of large text messages, none kept, grow RSS by under 250 MiB', () => {
  const run = spawnSync(process.execPath, [path.join(__dirname, 'peers', 'text-memory.js')], {
    encoding: 'utf8',
    timeout: 60000,
  })
  expect(run.stderr).toBe('')
  const { growthMiB, right } = JSON.parse(run.stdout)
  expect(right).toBe(true)
  expect(growthMiB).toBeLessThan(250)
})

// Whole text messages reach native code already validated and are converted
// without a second pass (src/binding/receiver.rs); bytes JS hands to
// native.utf8ToString are validated there. Invalid ones must still make the
// string Node makes of them (U+FFFD for each bad sequence), at every size,
// external strings included, and never be converted as if valid.
it('native.utf8ToString validates what JS hands it', () => {
  for (const bytes of [1500, 70000, 300000]) {
    const good = Buffer.from(text(bytes, false))
    expect(native.utf8ToString(good)).toBe(good.toString('utf8'))
    for (const bad of [
      Buffer.concat([good, Buffer.from([0xf0, 0x9f])]),
      Buffer.concat([Buffer.from([0xed, 0xa0, 0x80]), good]),
      Buffer.concat([good.subarray(0, 1001), Buffer.from([0xff]), good.subarray(1001)]),
    ]) {
      expect(native.utf8ToString(bad)).toBe(bad.toString('utf8'))
    }
  }
})
