'use strict'

// A real Redis (Debian's redis-server) for the scaling tests, started on a
// free loopback port and stopped by PID. Without it the tests are skipped
// with a message saying why; with REQUIRE_REDIS=1 (as .ci/run sets) its
// absence is a failure instead.

const { spawn, spawnSync } = require('node:child_process')
const net = require('node:net')

const REDIS = process.env.REDIS_SERVER || 'redis-server'
const present = spawnSync(REDIS, ['--version']).status === 0
const required = process.env.REQUIRE_REDIS === '1'

/** `describe`, or `describe.skip` (said aloud) when redis-server is absent and not required. */
function describeWithRedis(title, body) {
  if (present || required) return describe(title, body)
  process.stderr.write(
    `\nSKIPPED "${title}": no ${REDIS} on PATH ` +
      '(Debian: apt-get install redis-server; set REDIS_SERVER for another binary)\n',
  )
  return describe.skip(title, body)
}

/** A free port on 127.0.0.1 (free when asked; good enough for a test's own server). */
async function freePort() {
  const server = net.createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Resolves once 127.0.0.1:`port` accepts a connection, polling for at most `ms`. */
async function accepting(port, ms = 10000) {
  const end = Date.now() + ms
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy()
        resolve(true)
      })
      socket.on('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > end) throw new Error(`nothing accepts on 127.0.0.1:${port}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * Starts redis-server on `port` (a free one if not given), persistence off;
 * resolves with `{ port, url, stop() }` once it accepts connections.
 */
async function startRedis(port) {
  if (!present) {
    throw new Error(
      `redis-server is required (REQUIRE_REDIS=1) but ${REDIS} is not on PATH: ` +
        'apt-get install redis-server, or set REDIS_SERVER',
    )
  }
  port ??= await freePort()
  const child = spawn(
    REDIS,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  )
  const exited = new Promise((resolve) => child.once('exit', resolve))
  await Promise.race([
    accepting(port),
    exited.then(() => {
      throw new Error(`redis-server exited before accepting on ${port}`)
    }),
  ])
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL')
      await exited
    },
  }
}

/**
 * Resolves once `count` connections subscribe to `channel` on the Redis at
 * `url` (PUBSUB NUMSUB): a SUBSCRIBE lands after the socket that caused it
 * opened, and a publish before it would not reach that process.
 */
async function subscribers(url, channel, count, ms = 10000) {
  const Redis = require('ioredis')
  const client = new Redis(url)
  try {
    const end = Date.now() + ms
    for (;;) {
      const [, n] = await client.pubsub('NUMSUB', channel)
      if (n === count) return
      if (Date.now() > end) throw new Error(`${channel} has ${n} subscribers, not ${count}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  } finally {
    client.disconnect()
  }
}

module.exports = { describeWithRedis, startRedis, freePort, subscribers }
