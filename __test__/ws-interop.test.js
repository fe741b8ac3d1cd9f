'use strict'

// Differential tests against ws, the JS reference: frames our Socket writes
// must parse in ws's Receiver, and frames ws's Sender writes must parse in our
// Socket, over seeded random message sequences fed in random chunk sizes.
// Reproduce a failure with SEED=<seed> npx jest ws-interop.

const { Receiver } = require('ws')

const { Socket } = require('..')
const { sink } = require('./helpers/pair')
const { wsFrame } = require('./helpers/frames')
const { rng, seed } = require('./helpers/random')

const CASES_PER_DIRECTION = 6000
const SEED = seed()

/** Pools to slice payloads from: random code points and random bytes. */
function pools(r) {
  return { chars: Array.from(r.text(80000)), bytes: r.bytes(80000) }
}

function payloadSize(r) {
  const roll = r.next()
  if (roll < 0.8) return r.int(0, 125)
  if (roll < 0.92) return r.int(126, 20000)
  return r.int(20000, 70000)
}

/** A random message: text or binary, maybe fragmented, maybe pings between. */
function randomMessage(r, pool) {
  const size = payloadSize(r)
  const text = r.next() < 0.5
  let bytes
  let value
  if (text) {
    const start = r.int(0, pool.chars.length - size)
    value = pool.chars.slice(start, start + size).join('')
    bytes = Buffer.from(value)
  } else {
    const start = r.int(0, pool.bytes.length - size)
    bytes = Buffer.from(pool.bytes.subarray(start, start + size))
    value = bytes
  }
  const fragments = []
  if (r.next() < 0.3) {
    // Cut at random byte offsets: text may split inside a code point.
    const cuts = Array.from({ length: r.int(1, 4) }, () => r.int(0, bytes.length)).sort(
      (a, b) => a - b,
    )
    let at = 0
    for (const cut of cuts) {
      fragments.push({
        data: bytes.subarray(at, cut),
        ping: r.next() < 0.5 ? r.bytes(r.int(0, 125)) : null,
      })
      at = cut
    }
    fragments.push({ data: bytes.subarray(at), ping: null })
  }
  return { text, bytes, value, fragments }
}

/** Splits `bytes` into random chunks; small inputs sometimes go 1 byte at a time. */
function chunked(r, bytes) {
  const chunks = []
  const oneByOne = bytes.length < 2000 && r.next() < 0.2
  let at = 0
  while (at < bytes.length) {
    const size = oneByOne ? 1 : r.pick([1, 2, 3, 7, 64, 1000, 16384, 65536])
    chunks.push(Buffer.from(bytes.subarray(at, at + size)))
    at += size
  }
  return chunks
}

/** Deep equality of event lists holding strings, numbers and Buffers. */
function same(a, b) {
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b))
    return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b)
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((x, i) => same(x, b[i]))
    )
  }
  return a === b
}

function describeCase(direction, index) {
  return `${direction} case ${index} (SEED=${SEED})`
}

describe('interop with ws', () => {
  it(`our frames parse in ws's Receiver (${CASES_PER_DIRECTION} cases)`, async () => {
    const r = rng(SEED)
    const pool = pools(r)
    for (let index = 0; index < CASES_PER_DIRECTION; index++) {
      const mask = r.next() < 0.5
      const source = sink()
      const expected = []
      for (let m = r.int(1, 4); m > 0; m--) {
        const message = randomMessage(r, pool)
        if (message.fragments.length === 0) {
          new Socket(source, { mask }).send(message.value)
        } else {
          // An explicit opcode, so text fragments may be Buffers cut anywhere.
          const ws = new Socket(source, { mask, opcode: message.text ? 0x01 : 0x02 })
          for (const fragment of message.fragments) {
            ws.stream(fragment.data)
            if (fragment.ping) {
              ws.ping(fragment.ping)
              expected.push(['ping', fragment.ping])
            }
          }
          ws.stream()
        }
        // Data frames leave in a microtask; a case uses one Socket per
        // message on one sink, so let each go out before the next.
        await null
        expected.push(['message', message.text ? message.value : message.bytes])
      }
      const seen = []
      const receiver = new Receiver({ isServer: mask, maxPayload: 0 })
      receiver.on('message', (data, isBinary) =>
        seen.push(['message', isBinary ? data : data.toString()]),
      )
      receiver.on('ping', (data) => seen.push(['ping', data]))
      receiver.on('error', (err) => seen.push(['error', err.message]))
      for (const chunk of chunked(r, source.bytes())) receiver.write(chunk)
      if (!same(seen, expected)) {
        throw new Error(
          `${describeCase('ours -> ws', index)}: ws saw ${JSON.stringify(seen).slice(0, 300)}`,
        )
      }
    }
  }, 120000)

  it(`ws's frames parse in our Socket (${CASES_PER_DIRECTION} cases)`, async () => {
    const r = rng(SEED ^ 0x5eed)
    const pool = pools(r)
    for (let index = 0; index < CASES_PER_DIRECTION; index++) {
      const mask = r.next() < 0.5
      const wholeOnly = r.next() < 0.3
      const frames = []
      const expected = []
      const pings = []
      const count = r.int(1, 4)
      for (let m = 0; m < count; m++) {
        const message = randomMessage(r, pool)
        const opcode = message.text ? 0x01 : 0x02
        if (message.fragments.length === 0) {
          frames.push(wsFrame(opcode, message.bytes, { mask }))
        } else {
          message.fragments.forEach((fragment, i) => {
            const last = i === message.fragments.length - 1
            frames.push(wsFrame(i === 0 ? opcode : 0x00, fragment.data, { mask, fin: last }))
            if (fragment.ping) {
              frames.push(wsFrame(0x09, fragment.ping, { mask }))
              pings.push(fragment.ping)
            }
          })
        }
        expected.push(message.text ? message.value : message.bytes)
      }
      const source = sink()
      const ws = new Socket(source, {
        mask: !mask,
        streamThreshold: wholeOnly ? Infinity : undefined,
      })
      const seen = []
      const errors = []
      let streamed = null
      ws.on('message', (m) => seen.push(m))
      ws.on('error', (err) => errors.push(err.message))
      ws.on('stream:start', (opcode) => (streamed = { opcode, chunks: [] }))
      ws.on('data', (chunk) => streamed.chunks.push(chunk))
      const done = new Promise((resolve) => {
        const check = () => (seen.length === count || errors.length > 0 ? resolve() : null)
        ws.on('message', check)
        ws.on('stream:stop', () => {
          const body = Buffer.concat(streamed.chunks)
          seen.push(streamed.opcode === 0x01 ? body.toString() : body)
          check()
        })
        ws.on('error', check)
      })
      for (const chunk of chunked(r, Buffer.concat(frames))) source.emit('data', chunk)
      await done
      // A read of exactly 64 KiB (libuv's whole buffer) is taken to be
      // followed by another, so what it sent (the pongs) leaves when that one
      // is decoded or, as here where none comes, at the end of the loop turn.
      await new Promise((resolve) => setImmediate(resolve))
      const pongs = []
      const receiver = new Receiver({ isServer: !mask })
      receiver.on('pong', (data) => pongs.push(data))
      receiver.write(source.bytes())
      const ok = errors.length === 0 && same(seen, expected) && same(pongs, pings)
      if (!ok) {
        const first = expected.findIndex((e, i) => !same(e, seen[i]))
        throw new Error(
          `${describeCase('ws -> ours', index)}: errors [${errors}], ${seen.length} of ${count} messages, ` +
            `first difference at message ${first} (expected ${JSON.stringify(expected[first])?.slice(0, 80)}, ` +
            `saw ${JSON.stringify(seen[first])?.slice(0, 80)}), ${pongs.length} pongs for ${pings.length} pings`,
        )
      }
    }
  }, 120000)
})
