'use strict'

// `npm run bench`: our native core against ws's Receiver and Sender, in the
// same process and run. Each figure is the median of several timed runs;
// the ratio is ws time / our time (above 1: we are faster). Also measures
// the cost of one native call, empty and with a converted argument.

const { Receiver, Sender } = require('ws')

const native = require('../../lib/native')
const { Socket } = require('../..')

const RUNS = Number(process.env.BENCH_RUNS || 11)

function median(fn) {
  fn() // warm-up
  const times = []
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint()
    fn()
    times.push(Number(process.hrtime.bigint() - start))
  }
  times.sort((a, b) => a - b)
  return times[RUNS >> 1]
}

function wsFrames(payload, opcode, mask, count) {
  const frame = Buffer.concat(
    Sender.frame(payload, {
      fin: true,
      opcode,
      mask,
      readOnly: true,
      maskBuffer: Buffer.from([1, 2, 3, 4]),
      generateMask() {},
    }),
  )
  return Buffer.concat(Array.from({ length: count }, () => frame))
}

/** Splits like a socket would: 64 KiB reads. */
function reads(buf) {
  const out = []
  for (let at = 0; at < buf.length; at += 65536) out.push(buf.subarray(at, at + 65536))
  return out
}

const rows = []
function row(name, oursNs, wsNs, unit) {
  rows.push({ name, ours: oursNs, ws: wsNs, unit })
}

function parseOurs(input, mask) {
  const chunks = reads(input)
  return () => {
    // A fresh copy: our decoder unmasks in place.
    const source = new (require('node:stream').PassThrough)()
    const ws = new Socket(source, { mask: !mask, streamThreshold: Infinity })
    let n = 0
    ws.on('message', () => n++)
    for (const chunk of chunks) source.emit('data', Buffer.from(chunk))
    return n
  }
}

function parseWs(input, mask) {
  const chunks = reads(input)
  return () => {
    const receiver = new Receiver({ isServer: mask, maxPayload: 0 })
    let n = 0
    receiver.on('message', () => n++)
    for (const chunk of chunks) receiver.write(Buffer.from(chunk))
    return n
  }
}

const parses = [
  ['parse 10,000 x 20 B masked text', 'a'.repeat(20), 1, true, 10000],
  ['parse 10,000 x 20 B binary (client side)', Buffer.alloc(20, 1), 2, false, 10000],
  ['parse 64 x 16 KiB masked binary', Buffer.alloc(16384, 1), 2, true, 64],
  ['parse 1 x 1 MiB masked text', 'a'.repeat(1 << 20), 1, true, 1],
]
for (const [name, payload, opcode, mask, count] of parses) {
  const input = wsFrames(Buffer.from(payload), opcode, mask, count)
  row(name, median(parseOurs(input, mask)), median(parseWs(input, mask)), 'batch')
}

// Text at 1 MiB of mixed UTF-8 (70% ASCII, 2- to 4-byte characters), the
// right-hand column being Node's own Buffer#toString.
const { textOf } = require('../../lib/text')
const MIXED_PIECES = [
  'hello wörld ',
  'ascii text ',
  '日本語 ',
  'more plain ascii ',
  '😀 ',
  'ñandú ',
]
const mixedText = MIXED_PIECES.join('').repeat(Math.ceil((1 << 20) / 70))
const mixedBytes = Buffer.from(mixedText)

/**
 * Time per call of `fn` in steady state: the median of 3 batches of
 * STEADY_MS each. A call that allocates 1 MiB or more costs far more while
 * the process still maps fresh pages for it (11 single calls measure that,
 * not a server converting message after message).
 */
const STEADY_MS = Number(process.env.BENCH_STEADY_MS || 400)
function steady(fn) {
  fn() // warm-up
  const batches = []
  for (let b = 0; b < 3; b++) {
    const start = process.hrtime.bigint()
    const until = start + BigInt(STEADY_MS) * 1_000_000n
    let calls = 0
    let now = start
    while (now < until) {
      fn()
      calls++
      now = process.hrtime.bigint()
    }
    batches.push(Number(now - start) / calls)
  }
  return batches.sort((a, b) => a - b)[1]
}

row(
  'text 1 MiB mixed -> string (vs toString)',
  steady(() => textOf(mixedBytes)),
  steady(() => mixedBytes.toString('utf8')),
  'batch',
)

// The other way: a string to a frame's bytes, against Node's encoder (count,
// allocate, write), as Outbox did before.
row(
  'text 1 MiB mixed string -> frame (vs byteLength + write)',
  steady(() => native.textFrame(mixedText, 0x81)),
  steady(() => {
    const length = Buffer.byteLength(mixedText)
    Buffer.allocUnsafe(length + 10).utf8Write(mixedText, 10, length)
  }),
  'batch',
)
// The same into memory that is reused, as Outbox does for a large frame the
// kernel took whole (its spare buffer).
const reused = Buffer.allocUnsafeSlow(3 * mixedText.length + 64)
row(
  'text 1 MiB mixed string -> frame, reused memory (vs byteLength + write)',
  steady(() => native.textFrame(mixedText, 0x81, reused)),
  steady(() => {
    const length = Buffer.byteLength(mixedText)
    reused.utf8Write(mixedText, 10, length)
  }),
  'batch',
)

/** A socket stand-in that takes writes and drops them. */
function discard() {
  const { Duplex } = require('node:stream')
  let bytes = 0
  const target = new Duplex({
    read() {},
    write(chunk, encoding, callback) {
      bytes += chunk.length
      callback()
    },
    writev(chunks, callback) {
      for (const { chunk } of chunks) bytes += chunk.length
      callback()
    },
  })
  target.count = () => bytes
  return target
}

// Sends go through the public API into a stream, writes included: our
// Socket.send against ws's Sender.send (what ws's WebSocket#send calls).
async function sendOurs(payload, mask, count) {
  const target = discard()
  const ws = new Socket(target, { mask })
  const start = process.hrtime.bigint()
  for (let i = 0; i < count; i++) ws.send(payload)
  await null // our data frames leave in a microtask
  return Number(process.hrtime.bigint() - start)
}

async function sendWs(payload, mask, count) {
  const target = discard()
  const sender = new Sender(target)
  const binary = typeof payload !== 'string'
  const start = process.hrtime.bigint()
  for (let i = 0; i < count; i++) sender.send(payload, { binary, fin: true, mask, compress: false })
  return Number(process.hrtime.bigint() - start)
}

async function medianAsync(fn) {
  await fn()
  const times = []
  for (let i = 0; i < RUNS; i++) times.push(await fn())
  times.sort((a, b) => a - b)
  return times[RUNS >> 1]
}

const sends = [
  ['send 10,000 x 20 B text, unmasked', 'a'.repeat(20), false, 10000],
  ['send 10,000 x 20 B text, masked', 'a'.repeat(20), true, 10000],
  ['send 64 x 16 KiB binary, masked', Buffer.alloc(16384, 1), true, 64],
  ['send 1 x 1 MiB binary, masked', Buffer.alloc(1 << 20, 1), true, 1],
  // Another string than the one just received (which would be sent as its bytes).
  ['send 1 x 1 MiB mixed text, unmasked', `.${mixedText.slice(1)}`, false, 1],
]

async function main() {
  // A string that just arrived, sent back (an echo or relay): ours reuses
  // the bytes it came in; ws's Sender encodes it with Node, as any new string.
  const echoOurs = () => sendOurs(textOf(Buffer.from(mixedBytes)), false, 1)
  row(
    'echo 1 MiB mixed text just received (vs ws)',
    await medianAsync(echoOurs),
    await medianAsync(() => sendWs(mixedText, false, 1)),
    'batch',
  )
  for (const [name, payload, mask, count] of sends) {
    row(
      name,
      await medianAsync(() => sendOurs(payload, mask, count)),
      await medianAsync(() => sendWs(payload, mask, count)),
      'batch',
    )
  }
  report()
}

// The price of crossing into Rust.
const N = 200000
const scratch = Buffer.alloc(32)
const empty = median(() => {
  for (let i = 0; i < N; i++) native.mask(scratch.subarray(0, 0), 0, 0)
})
const loop = median(() => {
  for (let i = 0; i < N; i++) scratch.subarray(0, 0)
})
const frameCall = median(() => {
  for (let i = 0; i < N; i++) native.frame(scratch, 0x81)
})

function report() {
  const fmt = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : `${(ns / 1e3).toFixed(1)} µs`)
  console.log(`websockets bench: medians of ${RUNS} runs, node ${process.version}`)
  console.log('')
  console.log(
    `${'case'.padEnd(44)} ${'ours'.padStart(10)} ${'ws'.padStart(10)} ${'ws/ours'.padStart(8)}`,
  )
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(44)} ${fmt(r.ours).padStart(10)} ${fmt(r.ws).padStart(10)} ${(r.ws / r.ours).toFixed(2).padStart(8)}`,
    )
  }
  console.log('')
  console.log(
    `native call with one Buffer argument (mask of 0 bytes): ${((empty - loop) / N).toFixed(0)} ns`,
  )
  console.log(
    `native frame() of one 20-byte message (unbatched path):    ${((frameCall - loop) / N).toFixed(0)} ns`,
  )
}

main()
