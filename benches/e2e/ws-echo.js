'use strict'

// Echo server on ws for `npm run bench:e2e`, with its native helper
// (bufferutil) when installed. TEXT_APP=1 hands text to the application as a
// string and sends a string back (`data.toString()` then `send(string)`), as
// an application that works with text does. Listens on 127.0.0.1:$PORT.

const { WebSocketServer } = require('ws')

const textApp = process.env.TEXT_APP === '1'
const wss = new WebSocketServer({ port: Number(process.env.PORT), host: '127.0.0.1' })
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
