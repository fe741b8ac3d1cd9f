'use strict'

// A Server process for the scaling tests, run by them with fork(): it joins
// the others through ADAPTER=redis (REDIS_URL) or ADAPTER=cluster (this
// process is the primary and forks WORKERS workers on PORT). Clients drive
// it: ?t=a,b subscribes on open; a text message {"publish": topic, "text"}
// or {"publish": topic, "bytes": [..]} publishes; {"who": 1} answers
// {"worker": id}. A refused publish answers {"error": code}. The parent
// hears {"ready": port}, and {"bus": "up" | "down"} from the adapter.

const cluster = require('node:cluster')

const { Server, RedisAdapter, ClusterAdapter } = require('../..')

const { ADAPTER, REDIS_URL, PORT = '0', WORKERS = '2', MAX_PENDING } = process.env

function tellParent(message) {
  if (cluster.isWorker) message = { ...message, worker: cluster.worker.id }
  process.send?.(message)
}

async function flood(server, ws, { flood: topic, size, count }) {
  const results = await Promise.allSettled(
    Array.from({ length: count }, () => server.publish(topic, Buffer.alloc(size))),
  )
  const took = results.filter((r) => r.status === 'fulfilled').length
  ws.send(JSON.stringify({ took, refused: count - took }))
}

function serve() {
  const adapter =
    ADAPTER === 'redis'
      ? new RedisAdapter({ url: REDIS_URL })
      : new ClusterAdapter({ maxPending: MAX_PENDING ? Number(MAX_PENDING) : undefined })
  adapter.on('up', () => tellParent({ bus: 'up' }))
  adapter.on('down', () => tellParent({ bus: 'down' }))
  const server = new Server({
    url: 'ws://127.0.0.1/',
    port: Number(PORT),
    host: '127.0.0.1',
    adapter,
    maxConnections: 1000,
  })
  server.on('open', (ws, request) => {
    const topics = new URL(request.url, 'ws://x').searchParams.get('t')
    for (const topic of topics ? topics.split(',') : []) ws.subscribe(topic)
  })
  server.on('message', (message, ws) => {
    const command = JSON.parse(message)
    if (command.who) ws.send(JSON.stringify({ worker: cluster.worker?.id ?? 0 }))
    if (command.stall) process.send({ stall: command.stall })
    if (command.flood) flood(server, ws, command)
    if (command.publish === undefined) return
    const data = command.text ?? Buffer.from(command.bytes)
    server.publish(command.publish, data).catch((err) => {
      ws.send(JSON.stringify({ error: err.code }))
    })
  })
  server.on('listening', () => tellParent({ ready: server.address().port }))
}

if (ADAPTER === 'cluster' && cluster.isPrimary) {
  ClusterAdapter.relay()
  for (let i = 0; i < Number(WORKERS); i++) {
    cluster.fork().on('message', (message) => {
      if (message?.stall) {
        // Busy: the workers' messages wait in the IPC channels meanwhile.
        const end = Date.now() + message.stall
        while (Date.now() < end);
      } else if (message?.websockets === undefined) {
        process.send?.(message)
      }
    })
  }
  process.on('disconnect', () => {
    for (const worker of Object.values(cluster.workers)) worker.kill()
    process.exit(0)
  })
} else {
  serve()
}
