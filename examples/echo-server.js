'use strict'

// An echo server on the public API, as the Autobahn fuzzing client expects:
// text back as text, binary back as binary, streamed messages echoed as
// streams. `PORT=9001 node examples/echo-server.js`
//
// (In your own code, require('websockets') instead of '..'.)

const http = require('node:http')
const { Server } = require('..')

const port = Number(process.env.PORT || 9001)

function echo(ws) {
  ws.on('message', (message) => ws.send(message))

  // A streamed message goes back as a stream, fragment by fragment.
  let opcode = 0
  let echoed = false
  const onData = (chunk) => {
    echoed = true
    ws.stream(chunk) // binary chunks take the incoming message's opcode
  }
  ws.on('stream:start', (incoming) => {
    opcode = incoming
    echoed = false
    ws.on('data', onData)
  })
  ws.on('stream:stop', () => {
    ws.removeListener('data', onData)
    if (echoed) ws.stream()
    else ws.send(opcode === 0x01 ? '' : Buffer.alloc(0)) // an empty streamed message
  })
}

const httpServer = http.createServer((request, response) => {
  response.writeHead(426, { 'Content-Type': 'text/plain' })
  response.end('This is a WebSocket echo server.\n')
})
const server = new Server({ url: `ws://127.0.0.1:${port}/`, maxConnections: 1000 })
server.listen(httpServer)
server.on('open', echo)
httpServer.listen(port, '127.0.0.1', () => {
  console.log(`echo server on ws://127.0.0.1:${port}/`)
})
process.on('SIGTERM', () => process.exit(0))
