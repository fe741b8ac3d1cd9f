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
