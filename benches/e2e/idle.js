'use strict'

// The memory of many idle connections: opens N (default 10000) WebSocket
// connections to our Server and to ws's WebSocketServer, each in a fresh
// process, and prints what each socket costs the server in RSS, JS heap and
// external memory (after a full GC, minus the server's own baseline); with
// WELCOME=1 each server first sends every socket one message. DEFLATE=1:
// the clients offer permessage-deflate (ws's server turns it on) and each
// sends one compressed message, so what compression holds per socket counts
// (with WELCOME=1 the welcome is 2 KiB, compressed too).
//   node benches/e2e/idle.js [N]

const net = require('node:net')
const path = require('node:path')
const zlib = require('node:zlib')
const { spawn } = require('node:child_process')

const N = Number(process.argv[2] || 10000)
const KEY = 'dGhlIHNhbXBsZSBub25jZQ=='
const DEFLATE = process.env.DEFLATE === '1'
const OFFER = DEFLATE
  ? 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n'
  : ''

/** A masked (zero key) compressed text frame: what a browser sends. */
function compressedFrame() {
  const deflated = zlib.deflateRawSync('hello websocket '.repeat(100), {
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  })
  const payload = deflated.subarray(0, deflated.length - 4)
  return Buffer.concat([Buffer.from([0xc1, 0x80 | payload.length, 0, 0, 0, 0]), payload])
}

function lines(child) {
  const waiting = []
  let buf = ''
  child.stdout.on('data', (chunk) => {
    buf += chunk
    let at
    while ((at = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, at)
      buf = buf.slice(at + 1)
      waiting.shift()?.(line)
    }
  })
  return () => new Promise((resolve) => waiting.push(resolve))
}

function open(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('error', reject)
    socket.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${OFFER}\r\n`,
    )
    socket.once('data', (chunk) => {
      if (chunk.toString('latin1').startsWith('HTTP/1.1 101')) {
        if (DEFLATE) socket.write(compressedFrame())
        resolve(socket)
      } else reject(new Error(chunk.toString('latin1').split('\r\n')[0]))
    })
  })
}

async function measure(lib, port) {
  const child = spawn(
    process.execPath,
    ['--expose-gc', path.join(__dirname, 'idle-server.js'), lib],
    {
      env: { ...process.env, PORT: String(port) },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  )
  const next = lines(child)
  await next() // ready
  const ask = async () => {
    child.stdin.write('mem\n')
    return JSON.parse(await next())
  }
  // A few connections first, so that lazily loaded code is not counted per socket.
  const warm = await Promise.all(Array.from({ length: 10 }, () => open(port)))
  const before = await ask()
  const sockets = []
  for (let i = 0; i < N; i += 500) {
    sockets.push(
      ...(await Promise.all(Array.from({ length: Math.min(500, N - i) }, () => open(port)))),
    )
  }
  // Past two slab sweeps (lib/outbox.js): what a quiet socket holds.
  await new Promise((resolve) => setTimeout(resolve, 2500))
  const after = await ask()
  for (const s of [...warm, ...sockets]) s.destroy()
  child.kill('SIGTERM')
  const per = (key) => (after[key] - before[key]) / N / 1024
  return {
    lib,
    sockets: after.sockets - before.sockets,
    rss: per('rss'),
    heap: per('heapUsed'),
    external: per('external'),
  }
}

async function main() {
  console.log(`| server | connections | RSS KiB/socket | heap KiB/socket | external KiB/socket |`)
  console.log(`| --- | --- | --- | --- | --- |`)
  for (const [lib, port] of [
    ['ours', 18701],
    ['ws', 18702],
  ]) {
    const r = await measure(lib, port)
    console.log(
      `| ${r.lib} | ${r.sockets} | ${r.rss.toFixed(2)} | ${r.heap.toFixed(2)} | ${r.external.toFixed(2)} |`,
    )
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
