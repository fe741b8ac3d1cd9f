'use strict'

// An echo server written exactly as the seed page shows a Socket being used,
// and nothing else: whole messages back with send(), streamed ones piped
// back to the socket. Autobahn runs it in CI as a user would write it.
// `PORT=9001 node examples/seed-echo-server.js`

const http = require('node:http')
const { Server } = require('websockets')

const port = Number(process.env.PORT || 9001)

const httpServer = http.createServer()
const server = new Server({ url: `ws://127.0.0.1:${port}/`, maxConnections: 1000 })
server.listen(httpServer)
server.on('open', (ws) => {
  ws.on('message', (m) => ws.send(m))
  ws.on('stream:start', () => ws.pipe(ws))
  ws.on('stream:stop', () => ws.unpipe(ws))
})
httpServer.listen(port, '127.0.0.1', () => {
  console.log(`seed-pattern echo server on ws://127.0.0.1:${port}/`)
})
process.on('SIGTERM', () => process.exit(0))
