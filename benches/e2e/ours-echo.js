'use strict'

// Echo server on this library for `npm run bench:e2e`: every message goes
// back with its type, as an application written from the README would. Text
// arrives as a string and is sent back as one. STREAM=1 uses the seed's
// streamed echo instead (pipe/unpipe for messages of 16 KiB and more).
// Listens on 127.0.0.1:$PORT.

const { Server } = require('../..')

const server = new Server({
  port: Number(process.env.PORT),
  host: '127.0.0.1',
  maxConnections: 100000,
})
server.on('open', (ws) => {
  ws.on('message', (message) => ws.send(message))
  if (process.env.STREAM === '1') {
    ws.on('stream:start', () => ws.pipe(ws))
    ws.on('stream:stop', () => ws.unpipe(ws))
  }
})
server.on('listening', () => console.log(`ours-echo on ${server.address().port}`))
process.on('SIGTERM', () => process.exit(0))
