'use strict'

// A server for idle.js: ours (`node --expose-gc idle-server.js ours`) or ws,
// on 127.0.0.1:$PORT, holding every connection and doing nothing else (with
// WELCOME=1, sending each one 'welcome' first). A line "mem" on stdin
// answers with process.memoryUsage() after a full GC.

const readline = require('node:readline')

const lib = process.argv[2]
const port = Number(process.env.PORT)
const welcome = process.env.WELCOME === '1'
const deflate = process.env.DEFLATE === '1'
// With DEFLATE=1 the welcome is large enough to be compressed.
const message = deflate ? JSON.stringify(Array(100).fill({ id: 1, name: 'welcome' })) : 'welcome'
let sockets = 0
if (lib === 'ours') {
  const { Server } = require('../..')
  const server = new Server({ port, host: '127.0.0.1', maxConnections: 1e6 })
  server.on('open', (ws) => {
    sockets++
    if (welcome) ws.send(message)
  })
  server.on('listening', () => console.log('ready'))
} else {
  const { WebSocketServer } = require('ws')
  const wss = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: deflate })
  wss.on('connection', (ws) => {
    sockets++
    if (welcome) ws.send(message)
  })
  wss.on('listening', () => console.log('ready'))
}
readline.createInterface({ input: process.stdin }).on('line', () => {
  global.gc()
  global.gc()
  const rss =
    Number(/VmRSS:\s+(\d+)/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))[1]) *
    1024
  console.log(JSON.stringify({ ...process.memoryUsage(), rss, sockets }))
})
