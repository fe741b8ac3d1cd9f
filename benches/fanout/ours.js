'use strict'

// The fan-out server for `npm run bench:fanout`, on this library: sockets
// that connect with `?sub` subscribe to one topic, and every message from
// any socket is published to it. ADAPTER: none (one process), redis
// (REDIS_URL) or cluster (WORKERS workers on PORT). Compression off, as in
// the baseline.

const cluster = require('node:cluster')

const { Server, ClusterAdapter, RedisAdapter } = require('../..')

const { ADAPTER = 'none', REDIS_URL, PORT = '8080', WORKERS = '2' } = process.env
const TOPIC = 'bench'

if (ADAPTER === 'cluster' && cluster.isPrimary) {
  ClusterAdapter.relay()
  for (let i = 0; i < Number(WORKERS); i++) cluster.fork()
} else {
  let adapter
  if (ADAPTER === 'redis') adapter = new RedisAdapter({ url: REDIS_URL })
  else if (ADAPTER === 'cluster') adapter = new ClusterAdapter()
  const server = new Server({
    url: 'ws://127.0.0.1/',
    port: Number(PORT),
    host: '127.0.0.1',
    maxConnections: 10000,
    perMessageDeflate: false,
    adapter,
  })
  server.on('open', (ws, request) => {
    if (request.url.includes('sub')) ws.subscribe(TOPIC)
  })
  server.on('message', (message) => {
    server.publish(TOPIC, message).catch((err) => console.error(err.message))
  })
}
