'use strict'

// `npm start`: a chat room in the browser. An http.Server serves the page;
// its WebSocket talks to our Server, which relays each message to everyone
// in the same room (?room=NAME, default "lobby").
//
// (In your own code, require('websockets') instead of '../..'.)

const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')

const { Server } = require('../..')

const PAGE = fs.readFileSync(path.join(__dirname, 'index.html'))
// Longest chat line accepted; longer messages close the connection (1009).
const MAX_MESSAGE = 4096

function start(port = 3000, host = '127.0.0.1') {
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
  })
  server.listen(httpServer)

  const rooms = new Map() // socket -> room
  server.on('open', (ws, request) => {
    const room = new URL(request.url, 'ws://localhost').searchParams.get('room') || 'lobby'
    rooms.set(ws, room)
  })
  server.on('close', (code, ws) => rooms.delete(ws))
  server.on('message', (message, ws) => {
    if (typeof message !== 'string') return
    const room = rooms.get(ws)
    for (const [other, otherRoom] of rooms) if (otherRoom === room) other.send(message)
  })

  return new Promise((resolve) => {
    httpServer.listen(port, host, () => {
      const url = `http://${host}:${httpServer.address().port}/`
      resolve({
        url,
        close: () =>
          new Promise((done) => {
            for (const ws of server.sockets) ws.close(1001)
            httpServer.closeAllConnections()
            httpServer.close(done)
          }),
      })
    })
  })
}

if (require.main === module) {
  start(Number(process.env.PORT || 3000)).then(({ url }) => {
    console.log(
      `Chat on ${url} - open it in two browser windows (add ?room=NAME for a room of your own).`,
    )
  })
}

module.exports = { start }
