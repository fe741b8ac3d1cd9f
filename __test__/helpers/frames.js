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

/** The unmasked frames in `bytes` (what a server sends): `{ fin, opcode, payload }`. */
function readFrames(bytes) {
  const frames = []
  let at = 0
  while (at + 2 <= bytes.length) {
    let length = bytes[at + 1] & 0x7f
    let start = at + 2
    if (length === 126) {
      length = bytes.readUInt16BE(at + 2)
      start = at + 4
    } else if (length === 127) {
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
  return frames
}

module.exports.readFrames = readFrames
