'use strict'

const { Sender } = require('ws')

const KEY = Buffer.from('37fa213d', 'hex')

/** Hex string to Buffer, ignoring spaces. */
function hex(s) {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex')
}

/** A frame from ws's own Sender (the reference encoder). */
function wsFrame(opcode, payload, { fin = true, mask = false, rsv1 = false } = {}) {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload
  return Buffer.concat(
    Sender.frame(data, {
      fin,
      opcode,
      mask,
      rsv1,
      readOnly: true, // ws masks in place otherwise, changing the caller's payload
      maskBuffer: Buffer.from(KEY),
      generateMask: (buf) => KEY.copy(buf),
    }),
  )
}

module.exports = { hex, wsFrame, KEY }

/**
 * Parses the unmasked frames (what a server sends) out of `bytes`:
 * `{ frames: [{ fin, opcode, payload }], rest }`, `rest` being an incomplete
 * frame's bytes to prepend to the next chunk.
 */
function readFrames(bytes) {
  const frames = []
  let at = 0
  for (;;) {
    if (at + 2 > bytes.length) break
    let length = bytes[at + 1] & 0x7f
    let start = at + 2
    if (length === 126) {
      if (at + 4 > bytes.length) break
      length = bytes.readUInt16BE(at + 2)
      start = at + 4
    } else if (length === 127) {
      if (at + 10 > bytes.length) break
      length = Number(bytes.readBigUInt64BE(at + 2))
      start = at + 10
    }
    if (start + length > bytes.length) break
    frames.push({
      fin: (bytes[at] & 0x80) !== 0,
      opcode: bytes[at] & 0x0f,
      payload: bytes.subarray(start, start + length),
    })
    at = start + length
  }
  return { frames, rest: bytes.subarray(at) }
}

module.exports.readFrames = readFrames
