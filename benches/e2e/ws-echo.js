'use strict'

// Echo server on ws for `npm run bench:e2e`, with its native helper
// (bufferutil) when installed. TEXT_APP=1 hands text to the application as a
// string and sends a string back (`data.toString()` then `send(string)`), as
// an application that works with text does. DEFLATE=1 turns
// permessage-deflate on with the settings ours uses (zlib level 6, messages
// from 1 KiB compressed); the load generator asks for no context takeover
// both ways. Listens on 127.0.0.1:$PORT.

const { WebSocketServer } = require('ws')

const textApp = process.env.TEXT_APP === '1'
const perMessageDeflate =
  process.env.DEFLATE === '1' ? { zlibDeflateOptions: { level: 6 }, threshold: 1024 } : false
const wss = new WebSocketServer({
  port: Number(process.env.PORT),
  host: '127.0.0.1',
  perMessageDeflate,
})
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    if (textApp && !isBinary) ws.send(data.toString())
    else ws.send(data, { binary: isBinary })
  })
})
let helper = 'js'
try {
  require('bufferutil')
  helper = 'bufferutil'
} catch {
  // ws then masks in JavaScript; the startup line says so.
}
wss.on('listening', () => console.log(`ws-echo on ${wss.address().port} (unmask: ${helper})`))
process.on('SIGTERM', () => process.exit(0))
