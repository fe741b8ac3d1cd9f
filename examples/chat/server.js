'use strict'

// `npm start`: a chat room in the browser. An http.Server serves the page;
// its WebSocket talks to our Server, which publishes each message to the
// topic of its room (?room=NAME, default "lobby").
//
// It scales out with the same code (README, "Scaling out"):
//   WORKERS=2 npm start                      one process per core (cluster)
//   REDIS_URL=redis://127.0.0.1:6379 PORT=3001 npm start
//                                            several processes or machines
// Each page shows which process it is connected to.
//
// (In your own code, require('websockets') instead of '../..'.)

const cluster = require('node:cluster')
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')

const { Server, ClusterAdapter, RedisAdapter } = require('../..')

const PAGE = fs.readFileSync(path.join(__dirname, 'index.html'))
// Longest chat line accepted; longer messages close the connection (1009).
const MAX_MESSAGE = 4096

/** A page's message as the line other pages get, or null if it is not `{ name, text }`. */
function chatLine(message) {
  if (typeof message !== 'string') return null
  try {
    const { name, text } = JSON.parse(message)
    if (typeof name === 'string' && typeof text === 'string') return JSON.stringify({ name, text })
  } catch {
    // Not JSON: dropped like any other malformed line.
  }
  return null
}

/** `adapter`: the bus to the other processes' pages (see the top), or none. */
function start(port = 3000, host = '127.0.0.1', adapter = undefined) {
  const httpServer = http.createServer((request, response) => {
    if (request.url === '/' || request.url.startsWith('/?')) {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
      response.end(PAGE)
    } else {
      response.writeHead(404, { 'Content-Type': 'text/plain' })
      response.end('Not found\n')
    }
  })
  const server = new Server({
    url: `ws://${host}/chat`,
    maxConnections: 100,
    maxPayload: MAX_MESSAGE,
    adapter,
  })
  server.listen(httpServer)

  const rooms = new WeakMap() // socket -> its room's topic
  server.on('open', (ws, request) => {
    const room = new URL(request.url, 'ws://localhost').searchParams.get('room') || 'lobby'
    rooms.set(ws, `room:${room}`)
    ws.subscribe(`room:${room}`)
    ws.send(JSON.stringify({ system: `process ${process.pid}` }))
  })
  server.on('message', (message, ws) => {
    const line = chatLine(message)
    if (line === null) return
    // A bus outage loses this line for the other processes; say so here.
    server.publish(rooms.get(ws), line).catch((err) => console.error(`chat: ${err.message}`))
  })

  return new Promise((resolve) => {
    httpServer.listen(port, host, () => {
      const url = `http://${host}:${httpServer.address().port}/`
      resolve({
        url,
        close: () =>
          new Promise((done) => {
            server.close()
            httpServer.closeAllConnections()
            httpServer.close(done)
          }),
      })
    })
  })
}

function main() {
  const { WORKERS = '1', REDIS_URL, PORT = '3000' } = process.env
  const workers = Number(WORKERS)
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`WORKERS=${WORKERS}: a count >= 1`)
  if (workers > 1 && cluster.isPrimary) {
    // Without Redis the workers reach each other through the primary.
    if (!REDIS_URL) ClusterAdapter.relay()
    for (let i = 0; i < workers; i++) cluster.fork()
    return
  }
  let adapter
  if (REDIS_URL) adapter = new RedisAdapter({ url: REDIS_URL })
  else if (cluster.isWorker) adapter = new ClusterAdapter()
  adapter?.on('down', (err) => console.error(`chat: ${err.message}`))
  start(Number(PORT), '127.0.0.1', adapter).then(({ url }) => {
    if (cluster.isWorker && cluster.worker.id > 1) return
    console.log(
      `Chat on ${url} - open it in two browser windows (add ?room=NAME for a room of your own).`,
    )
  })
}

if (require.main === module) main()

module.exports = { start }
