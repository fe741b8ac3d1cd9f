'use strict'

// The client role of `npm run bench:e2e`: one Node process driving the
// native echo server with this library (`node client.js ours ...`) or with
// ws (`node client.js ws ...`), the same way: C connections, each keeping P
// messages in flight until M echoes came back. Each echo is checked (length
// and the message index stamped in its first 16 bytes). Prints one JSON line
// like the load generator's, plus this process's peak RSS.

const fs = require('node:fs')

const [lib, ...rest] = process.argv.slice(2)
const opt = {
  connections: 1,
  messages: 1,
  size: 64,
  pipeline: 1,
  text: false,
  ascii: false,
  limit: 30,
}
for (let i = 0; i < rest.length; i++) {
  const name = rest[i].replace(/^--/, '').replace(/-(\w)/g, (m, c) => c.toUpperCase())
  if (name === 'text' || name === 'ascii') opt[name] = true
  else if (name === 'binary') opt.text = false
  else if (name === 'url') opt.url = rest[++i]
  else if (name === 'durationLimit') opt.limit = Number(rest[++i])
  else opt[name] = Number(rest[++i])
}

/** The load generator's payloads: ~70% ASCII text with 2-4 byte characters, or bytes. */
function template() {
  if (!opt.text) return Buffer.from(Array.from({ length: opt.size }, (_, i) => (i * 31 + 7) & 0xff))
  const pieces = opt.ascii
    ? ['websocket ']
    : ['hello wörld ', 'ascii text ', '日本語 ', 'more plain ascii ', '😀 ', 'ñandú ']
  const out = Buffer.alloc(opt.size, '.')
  let at = Math.min(16, opt.size)
  out.fill('0', 0, at)
  for (let i = 0; ; i++) {
    const piece = Buffer.from(pieces[i % pieces.length])
    if (at + piece.length > opt.size) break
    piece.copy(out, at)
    at += piece.length
  }
  return out
}

const base = template()
const baseText = opt.text ? base.toString() : null
const stampOf = (i) => i.toString(16).padStart(16, '0').slice(-Math.min(16, opt.size))
function message(i) {
  if (opt.text) return stampOf(i) + baseText.slice(Math.min(16, opt.size))
  const bytes = Buffer.from(base)
  bytes.write(stampOf(i), 0, 'latin1')
  return bytes
}

const lengthOf = (m) => (typeof m === 'string' ? Buffer.byteLength(m) : m.length)
const headOf = (m) =>
  typeof m === 'string'
    ? m.slice(0, Math.min(16, opt.size))
    : m.toString('latin1', 0, Math.min(16, opt.size))

async function open() {
  if (lib === 'ours') return require('../..').connect(opt.url)
  const WebSocket = require('ws')
  const ws = new WebSocket(opt.url, { perMessageDeflate: false })
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  return ws
}

function drive(ws) {
  return new Promise((resolve) => {
    let sent = 0
    let received = 0
    let errors = 0
    const times = []
    const sentAt = []
    const next = () => {
      sentAt.push(process.hrtime.bigint())
      ws.send(message(sent++))
    }
    const onMessage = (data, isBinary) => {
      const got = lib === 'ws' && !isBinary ? data.toString() : data
      if (lengthOf(got) !== opt.size || headOf(got) !== stampOf(received)) errors++
      times.push(Number(process.hrtime.bigint() - sentAt[received]) / 1e6)
      received++
      if (sent < opt.messages) next()
      if (received === opt.messages) {
        ws.close(1000)
        resolve({ ok: received - errors, errors, times })
      }
    }
    ws.on('message', onMessage)
    ws.on('close', () =>
      resolve({ ok: received - errors, errors: errors + opt.messages - received, times }),
    )
    for (let i = 0; i < Math.min(opt.pipeline, opt.messages); i++) next()
  })
}

async function main() {
  const sockets = []
  for (let i = 0; i < opt.connections; i++) sockets.push(await open())
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  const limit = new Promise((resolve) => setTimeout(() => resolve(null), opt.limit * 1000).unref())
  const results = await Promise.race([Promise.all(sockets.map(drive)), limit])
  const wall = Number(process.hrtime.bigint() - start) / 1e9
  const used = process.cpuUsage(cpu)
  const timedOut = results === null
  const ok = timedOut ? 0 : results.reduce((n, r) => n + r.ok, 0)
  const errors = timedOut
    ? opt.connections * opt.messages
    : results.reduce((n, r) => n + r.errors, 0)
  const times = timedOut ? [] : results.flatMap((r) => r.times).sort((a, b) => a - b)
  const pct = (p) => times[Math.min(times.length - 1, Math.round((p / 100) * (times.length - 1)))]
  const hwm = /VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))
  console.log(
    JSON.stringify({
      ok,
      errors,
      timed_out: timedOut,
      wall_s: wall,
      msgs_per_s: ok / wall,
      lat_ms_p50: pct(50),
      lat_ms_p99: pct(99),
      client_cpu_pct: ((used.user + used.system) / 1e6 / wall) * 100,
      peak_rss_kib: hwm ? Number(hwm[1]) : null,
    }),
  )
  process.exit(errors > 0 ? 2 : 0)
}

main().catch((err) => {
  console.log(JSON.stringify({ ok: 0, errors: 1, first_error: err.message }))
  process.exit(2)
})
