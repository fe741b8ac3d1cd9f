'use strict'

// The baseline of `npm run bench:fanout`: what users write today with ws
// and a Redis client. Every message from a socket is published to one Redis
// channel, and every process (this one too) sends what the channel carries
// to its own subscribers (sockets that connected with `?sub`).

const Redis = require('ioredis')
const { WebSocketServer } = require('ws')

const { REDIS_URL, PORT = '8080' } = process.env
const CHANNEL = 'bench'

const pub = new Redis(REDIS_URL)
const sub = new Redis(REDIS_URL)
const subscribers = new Set()

sub.subscribe(CHANNEL)
sub.on('messageBuffer', (channel, message) => {
  for (const ws of subscribers) ws.send(message, { binary: true })
})

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: Number(PORT),
  perMessageDeflate: false,
})
wss.on('connection', (ws, request) => {
  if (request.url.includes('sub')) {
    subscribers.add(ws)
    ws.on('close', () => subscribers.delete(ws))
  }
  ws.on('message', (data) => pub.publish(CHANNEL, data))
})
