'use strict'

/** mulberry32: a small seeded PRNG, so every randomized test can be replayed. */
function rng(seed) {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1))
  const bytes = (n) => {
    const out = Buffer.allocUnsafe(n)
    for (let i = 0; i < n; i++) out[i] = int(0, 255)
    return out
  }
  // Valid UTF-8 with 1- to 4-byte code points, `n` code points long.
  const text = (n) => {
    let s = ''
    for (let i = 0; i < n; i++) {
      const kind = int(0, 9)
      if (kind < 6) s += String.fromCharCode(int(0x20, 0x7e))
      else if (kind < 8) s += String.fromCharCode(int(0xa0, 0x7ff))
      else if (kind < 9) s += String.fromCharCode(int(0x800, 0xd7ff))
      else s += String.fromCodePoint(int(0x10000, 0x10ffff))
    }
    return s
  }
  return { next, int, bytes, text, pick: (list) => list[int(0, list.length - 1)] }
}

/** The seed for this run: $SEED, or a fresh one. */
function seed() {
  return process.env.SEED ? Number(process.env.SEED) : Math.floor(Math.random() * 2 ** 31)
}

module.exports = { rng, seed }
