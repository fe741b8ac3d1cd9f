'use strict'

// `npm run bench:e2e`: this library against ws, end to end over loopback TCP.
//
// Server role: ours-echo.js and ws-echo.js (child processes) driven by the
// project's Rust load generator (benches/load). Client role: client.js with
// each library driving the native echo server. Each scenario alternates the
// two sides PAIRS times (A B A B ...), each run on a fresh process, the
// measured process pinned to CPU 0 and its peer to CPU 1 (when taskset and 2
// CPUs exist). Prints medians and the median of the per-pair ratios
// (ours/ws, min-max), with the measured process's peak RSS beside each rate
// and its CPU time per message (a process that waits on its peer shows a
// rate its CPU does not explain: medium leaves both servers partly idle).
//
// Settings: PAIRS (default 3), SCENARIOS (names, space-separated), ROLE
// (server, client or both), LIMIT (seconds per run, default 20; a scenario
// marked slow gets a multiple), JSON=file.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const {
  chosenScenarios,
  LOAD_DIR,
  pin,
  pinnable,
  freePort,
  peakRss,
  cpuSeconds,
  startServer,
  stop,
  median,
  fmt,
  build,
} = require('../processes')

const LOAD = path.join(LOAD_DIR, 'target', 'release', 'load')
const ECHO = path.join(LOAD_DIR, 'target', 'release', 'echo')
const PAIRS = Number(process.env.PAIRS || 3)
const LIMIT = Number(process.env.LIMIT || 20)
const ROLE = process.env.ROLE || 'both'

const SIZES = {
  'small-p1': '--connections 50 --messages 2000 --size 64 --text --pipeline 1',
  'small-p16': '--connections 50 --messages 4000 --size 64 --text --pipeline 16',
  medium: '--connections 16 --messages 4000 --size 16384 --binary --pipeline 4',
  'large-bin': '--connections 4 --messages 300 --size 1048576 --binary --pipeline 2',
  'large-text': '--connections 4 --messages 300 --size 1048576 --text --pipeline 2',
}
const OURS = `node ${path.join(__dirname, 'ours-echo.js')}`
const WS = `node ${path.join(__dirname, 'ws-echo.js')}`

// name -> { role, args, ours, ws }: what runs where. Server role: commands
// of the two echo servers. Client role: the library client.js uses.
const SCENARIOS = {}
for (const [name, args] of Object.entries(SIZES)) {
  SCENARIOS[name] = { role: 'server', args, ours: OURS, ws: WS }
}
SCENARIOS['text-app'] = {
  role: 'server',
  args: SIZES['large-text'],
  ours: OURS,
  ws: `env TEXT_APP=1 ${WS}`,
}
for (const name of ['medium', 'large-bin', 'large-text']) {
  SCENARIOS[`stream-${name}`] = {
    role: 'server',
    args: SIZES[name],
    ours: `env STREAM=1 ${OURS}`,
    ws: WS,
  }
}
for (const [name, args] of Object.entries(SIZES)) {
  SCENARIOS[`client-${name}`] = { role: 'client', args, ours: 'ours', ws: 'ws' }
}
// permessage-deflate, both servers at zlib level 6 with a 1 KiB threshold,
// no context takeover either way (the load generator asks for it): JSON-like
// text, 50 connections. The table adds the compression each server achieved.
for (const [name, size, messages] of [
  ['deflate-1k', 1024, 2000],
  ['deflate-64k', 65536, 100],
]) {
  SCENARIOS[name] = {
    role: 'server',
    args: `--connections 50 --messages ${messages} --size ${size} --json --deflate --pipeline 1`,
    // ws takes 20-30 s here on a loaded machine (its zlib is asynchronous):
    // these runs get three times LIMIT to finish.
    slow: 3,
    ours: OURS,
    ws: `env DEFLATE=1 ${WS}`,
  }
}

function runClient(argv, cpu, limit) {
  const [file, ...rest] = pin(cpu, argv)
  const result = spawnSync(file, rest, {
    encoding: 'utf8',
    timeout: (limit + 30) * 1000,
  })
  const line = (result.stdout || '').trim().split('\n').pop()
  try {
    return JSON.parse(line)
  } catch {
    return {
      ok: 0,
      errors: 1,
      first_error: `${result.stderr || line || result.error}`.slice(0, 300),
    }
  }
}

/** One measured run of `side` ('ours' or 'ws') in scenario `sc`. */
async function runOnce(sc, side) {
  const port = await freePort()
  const limit = LIMIT * (sc.slow ?? 1)
  const args = `${sc.args} --duration-limit ${limit}`.split(' ')
  if (sc.role === 'server') {
    const server = await startServer(sc[side], port, 0)
    const cpu0 = cpuSeconds(server.child.pid)
    const r = runClient([LOAD, '--url', `ws://127.0.0.1:${port}/`, ...args], 1, limit)
    const cpu = cpuSeconds(server.child.pid) - cpu0
    r.server_cpu_pct = (cpu / (r.wall_s || 1)) * 100
    r.cpu_us_per_msg = (cpu / r.ok) * 1e6
    r.peak_rss_kib = peakRss(server.child.pid)
    await stop(server.child)
    return r
  }
  const echo = await startServer(ECHO, port, 1)
  const r = runClient(
    [
      'node',
      path.join(__dirname, 'client.js'),
      sc[side],
      '--url',
      `ws://127.0.0.1:${port}/`,
      ...args,
    ],
    0,
    limit,
  )
  r.cpu_us_per_msg = ((r.client_cpu_pct / 100) * r.wall_s * 1e6) / r.ok
  await stop(echo.child)
  return r
}

async function main() {
  build()
  const chosen = chosenScenarios(
    SCENARIOS,
    (name) => ROLE === 'both' || SCENARIOS[name].role === ROLE,
  )
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  console.error(
    `bench:e2e: node ${process.version}, ws ${require('ws/package.json').version}, ${os.cpus().length} x ${cpu}; ` +
      `${PAIRS} pairs per scenario; pinning ${pinnable ? 'measured process CPU 0, peer CPU 1' : 'off'}`,
  )
  const rows = []
  let failed = false
  for (const name of chosen) {
    const sc = SCENARIOS[name]
    const runs = { ours: [], ws: [] }
    for (let p = 0; p < PAIRS; p++) {
      for (const side of ['ours', 'ws']) {
        const r = await runOnce(sc, side)
        runs[side].push(r)
        if (r.errors > 0) {
          failed = true
          console.error(
            `${name} ${side}: ${r.errors} errors (${r.first_error || 'missing echoes'})`,
          )
        }
        console.error(
          `${name} ${side} #${p + 1}: ${fmt(r.msgs_per_s)} msg/s, peak RSS ${fmt(r.peak_rss_kib / 1024, 1)} MiB`,
        )
      }
    }
    const rates = (side) => runs[side].map((r) => r.msgs_per_s)
    const ratios = runs.ours
      .map((r, i) => r.msgs_per_s / runs.ws[i].msgs_per_s)
      .filter(Number.isFinite)
    const clientBound = [...runs.ours, ...runs.ws].some(
      (r) => sc.role === 'server' && r.client_cpu_pct >= 90,
    )
    rows.push({
      name,
      role: sc.role,
      ours: median(rates('ours')),
      ws: median(rates('ws')),
      ratio: median(ratios),
      ratioMin: Math.min(...ratios),
      ratioMax: Math.max(...ratios),
      rssOurs: median(runs.ours.map((r) => r.peak_rss_kib)) / 1024,
      rssWs: median(runs.ws.map((r) => r.peak_rss_kib)) / 1024,
      p99Ours: median(runs.ours.map((r) => r.lat_ms_p99)),
      p99Ws: median(runs.ws.map((r) => r.lat_ms_p99)),
      cpuOurs: median(runs.ours.map((r) => r.cpu_us_per_msg)),
      cpuWs: median(runs.ws.map((r) => r.cpu_us_per_msg)),
      flag: clientBound ? 'CLIENT-BOUND?' : '',
      // Wire bytes per message byte the server sent (compressed scenarios).
      wireOurs: median(runs.ours.map((r) => r.wire_in / r.payload_in)),
      wireWs: median(runs.ws.map((r) => r.wire_in / r.payload_in)),
    })
  }
  console.log(
    '\n| scenario | role | ours msg/s | ws msg/s | ours/ws (median of pairs, min-max) | peak RSS MiB ours / ws | CPU us/msg ours / ws | RTT p99 ms ours / ws | |',
  )
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.role} | ${fmt(r.ours)} | ${fmt(r.ws)} | **${fmt(r.ratio, 2)}** (${fmt(r.ratioMin, 2)}-${fmt(r.ratioMax, 2)}) | ` +
        `${fmt(r.rssOurs, 1)} / ${fmt(r.rssWs, 1)} | ${fmt(r.cpuOurs, 1)} / ${fmt(r.cpuWs, 1)} | ` +
        `${fmt(r.p99Ours, 2)} / ${fmt(r.p99Ws, 2)} | ${r.flag} |`,
    )
  }
  const compressed = rows.filter((r) => r.name.startsWith('deflate-'))
  if (compressed.length > 0) {
    console.log('\n| scenario | wire bytes / message bytes, ours | ws |')
    console.log('| --- | --- | --- |')
    for (const r of compressed) {
      console.log(`| ${r.name} | ${fmt(r.wireOurs, 3)} | ${fmt(r.wireWs, 3)} |`)
    }
  }
  if (process.env.JSON) fs.writeFileSync(process.env.JSON, `${JSON.stringify(rows, null, 2)}\n`)
  process.exit(failed ? 1 : 0)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
