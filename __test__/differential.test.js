'use strict'

// Differential fuzzing against ws's Receiver: mutated frame streams fed to
// our decoder (lib/decoding.js over the Rust core, as a Socket uses it) and
// to ws's; both must deliver the same messages, pings, pongs and close, and
// agree on rejecting the stream, with the same close code. SEED=n replays.

const { Receiver } = require('ws')

/** The close code ws attaches to a Receiver error (under a symbol of its own). */
function statusOf(err) {
  const key = Object.getOwnPropertySymbols(err).find((s) => s.description === 'status-code')
  return err[key]
}
const Decoding = require('../lib/decoding')
const { kRecord } = require('../lib/keys')
const native = require('../lib/native')
const { wsFrame } = require('./helpers/frames')
const { rng, seed } = require('./helpers/random')

const MAX_PAYLOAD = 1 << 20

/** What our decoder makes of `bytes` sent by a client, in `chunks`. */
function ours(bytes, cuts) {
  const decoding = new Decoding(0, MAX_PAYLOAD, Infinity)
  decoding.setStreaming(false)
  const seen = []
  let done = false
  const owner = {}
  owner[kRecord] = (buf, head, a, b, c) => {
    if (done) return
    const [kind, data, code] = decoding.item(buf, head, a, b, c)
    if (kind === native.EVENT_MESSAGE) {
      seen.push(['message', typeof data === 'string' ? data : data.toString('hex')])
    } else if (kind === native.EVENT_PING) seen.push(['ping', data.toString('hex')])
    else if (kind === native.EVENT_PONG) seen.push(['pong', data.toString('hex')])
    else if (kind === native.EVENT_CLOSE) {
      seen.push(['close', code, data])
      done = true
    } else if (kind === native.EVENT_ERROR) {
      seen.push(['error', data.closeCode])
      done = true
    }
  }
  let at = 0
  for (const cut of [...cuts, bytes.length]) {
    if (done) break
    decoding.feed(Buffer.from(bytes.subarray(at, cut)), owner)
    at = cut
  }
  return seen
}

/** What ws's Receiver (server side, no extension) makes of the same bytes (it reports errors a tick later). */
async function theirs(bytes) {
  const receiver = new Receiver({ isServer: true, maxPayload: MAX_PAYLOAD })
  const seen = []
  let done = false
  receiver.on('message', (data, isBinary) => {
    if (!done) seen.push(['message', isBinary ? data.toString('hex') : data.toString()])
  })
  receiver.on('ping', (data) => seen.push(['ping', data.toString('hex')]))
  receiver.on('pong', (data) => seen.push(['pong', data.toString('hex')]))
  receiver.on('conclude', (code, reason) => {
    seen.push(['close', code, reason.toString()])
    done = true
  })
  receiver.on('error', (err) => {
    if (!done) seen.push(['error', statusOf(err)])
    done = true
  })
  receiver.write(bytes)
  await new Promise((resolve) => setImmediate(resolve))
  return seen
}

/** A valid client stream of a few frames: messages, fragments, control frames. */
function validStream(r) {
  const frames = []
  const count = r.int(1, 5)
  for (let i = 0; i < count; i++) {
    const kind = r.int(0, 5)
    const mask = true
    if (kind === 0) frames.push(wsFrame(1, r.text(r.int(0, 40)), { mask }))
    else if (kind === 1) frames.push(wsFrame(2, r.bytes(r.int(0, 300)), { mask }))
    else if (kind === 2) {
      frames.push(wsFrame(1, r.text(r.int(0, 10)), { mask, fin: false }))
      if (r.int(0, 1)) frames.push(wsFrame(9, r.bytes(r.int(0, 20)), { mask }))
      frames.push(wsFrame(0, r.text(r.int(0, 10)), { mask }))
    } else if (kind === 3) frames.push(wsFrame(9, r.bytes(r.int(0, 125)), { mask }))
    else if (kind === 4) frames.push(wsFrame(10, r.bytes(r.int(0, 30)), { mask }))
    else {
      const body = Buffer.alloc(2)
      body.writeUInt16BE(r.pick([1000, 1001, 1003, 1011, 3000, 4999]))
      frames.push(wsFrame(8, Buffer.concat([body, Buffer.from(r.text(r.int(0, 10)))]), { mask }))
    }
  }
  return Buffer.concat(frames)
}

/** Flips a few bytes or bits, in the header bytes most often. */
function mutate(r, bytes) {
  const out = Buffer.from(bytes)
  const flips = r.int(1, 3)
  for (let i = 0; i < flips; i++) {
    const at = r.int(0, 9) < 6 ? r.int(0, Math.min(out.length - 1, 14)) : r.int(0, out.length - 1)
    if (r.int(0, 1)) out[at] ^= 1 << r.int(0, 7)
    else out[at] = r.int(0, 255)
  }
  return out
}

/**
 * Where the two may differ by design: a 64-bit length with its top bit
 * set is a protocol error to us (RFC 6455 §5.2: "the most significant bit
 * MUST be 0", 1002) and too big to ws (1009).
 */
function topBitLength(bytes) {
  let at = 0
  while (at + 2 <= bytes.length) {
    const len7 = bytes[at + 1] & 0x7f
    const masked = (bytes[at + 1] & 0x80) !== 0
    if (len7 === 127) return at + 2 < bytes.length && (bytes[at + 2] & 0x80) !== 0
    const header = 2 + (len7 === 126 ? 2 : 0) + (masked ? 4 : 0)
    if (len7 === 126 && at + 4 > bytes.length) return false
    const length = len7 === 126 ? bytes.readUInt16BE(at + 2) : len7
    at += header + length
  }
  return false
}

/**
 * Our view, with the one difference by design removed: invalid UTF-8 in a
 * fragmented message fails us at its first bad byte (1007), where ws waits
 * for the message's end: meanwhile it delivers the control frames between
 * the fragments, and it ends as the rest of the stream says (1007 at the
 * message's end, another error or a close frame before it, or nothing).
 */
function normalized(seen, expected) {
  const last = seen.at(-1)
  if (last?.[0] !== 'error' || last[1] !== 1007) return seen
  const before = JSON.stringify(seen.slice(0, -1))
  const prefix = JSON.stringify(expected.slice(0, seen.length - 1))
  const end = expected.at(-1)
  const terminal = end !== undefined && (end[0] === 'close' || end[0] === 'error')
  const between = expected.slice(seen.length - 1, terminal ? -1 : undefined)
  const onlyControl = between.every(([kind]) => kind === 'ping' || kind === 'pong')
  return before === prefix && onlyControl ? expected : seen
}

describe('differential fuzzing against ws’s Receiver', () => {
  const base = seed()

  // 3000 cases take 3-4 s alone, and went past Jest's default 5 s on a
  // machine also running CI: the limit is for a hang, not for speed.
  it('agrees on 3000 mutated streams, fed whole and in random chunks', async () => {
    const r = rng(base)
    let rejected = 0
    let compared = 0
    for (let i = 0; i < 3000; i++) {
      const valid = validStream(r)
      const bytes = i % 10 === 0 ? valid : mutate(r, valid)
      if (topBitLength(bytes)) continue
      const cuts = Array.from({ length: r.int(0, 4) }, () => r.int(0, bytes.length)).sort(
        (a, b) => a - b,
      )
      // Both unmask in place: each gets its own copy.
      const expected = await theirs(Buffer.from(bytes))
      const whole = ours(bytes, [])
      const chunked = ours(bytes, cuts)
      const context = `seed ${base}, case ${i}: ${bytes.toString('hex')}`
      expect([context, normalized(whole, expected)]).toEqual([context, expected])
      expect([context, normalized(chunked, expected)]).toEqual([context, expected])
      if (expected.at(-1)?.[0] === 'error') rejected++
      compared++
    }
    // The mutations reach the error paths, not only the happy one.
    expect(rejected).toBeGreaterThan(compared / 5)
  }, 60000)
})
