'use strict'

// `npm run bench:fanout`: one publisher, SUBSCRIBERS subscribers (default
// 1000) spread over 2 processes, small and 16 KiB messages, driven by the
// project's Rust client (benches/load, `fanout`): deliveries per second (one
// message received by one subscriber) and delivery latency.
//
// - redis-*: our RedisAdapter (ours.js, two processes on one real Redis)
//   against the baseline users write today (ws-redis.js: ws plus ioredis,
//   every process rebroadcasting the channel to its sockets);
// - cluster-*: our Server in one process against two cluster workers with
//   the ClusterAdapter (the same port; the primary spreads connections).
//
// Each scenario alternates its two sides PAIRS times (default 3) on fresh
// processes and prints medians, the median of the per-pair ratios, the
// server's CPU time per delivery and the peak RSS of its processes (summed;
// Redis not included in either). Redis is
// Debian's redis-server, started here on a free loopback port and stopped by
// PID. Settings: PAIRS, SCENARIOS, SUBSCRIBERS, LIMIT (seconds per run).

const os = require('node:os')
const path = require('node:path')
const { spawn, spawnSync } = require('node:child_process')

const {
  chosenScenarios,
  LOAD_DIR,
  freePort,
  waitListening,
  peakRss,
  cpuSeconds,
  startServer,
  stop,
  median,
  fmt,
  build,
} = require('../processes')

const FANOUT = path.join(LOAD_DIR, 'target', 'release', 'fanout')
const PAIRS = Number(process.env.PAIRS || 3)
const LIMIT = Number(process.env.LIMIT || 60)
const SUBSCRIBERS = Number(process.env.SUBSCRIBERS || 1000)

const OURS = `node ${path.join(__dirname, 'ours.js')}`
const WS_REDIS = `node ${path.join(__dirname, 'ws-redis.js')}`

const SIZES = { 64: 500, 16384: 100 }
const SCENARIOS = {}
for (const [size, messages] of Object.entries(SIZES)) {
  const tag = size === '64' ? '64' : '16k'
  const load = `--size ${size} --messages ${messages} --window 8`
  SCENARIOS[`redis-${tag}`] = {
    load,
    a: { label: 'ours Redis', command: OURS, env: { ADAPTER: 'redis' }, processes: 2 },
    b: { label: 'ws + ioredis', command: WS_REDIS, env: {}, processes: 2 },
  }
  SCENARIOS[`cluster-${tag}`] = {
    load,
    a: { label: 'ours 2 workers', command: OURS, env: { ADAPTER: 'cluster' }, processes: 1 },
    b: { label: 'ours 1 process', command: OURS, env: { ADAPTER: 'none' }, processes: 1 },
  }
}

async function startRedis() {
  const port = await freePort()
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore', detached: true },
  )
  await waitListening(port, child)
  return { child, url: `redis://127.0.0.1:${port}` }
}

/** One run of `side` (a scenario's a or b): its server processes, then the client. */
async function runOnce(sc, side, redis) {
  const servers = []
  const ports = []
  for (let i = 0; i < side.processes; i++) {
    const port = await freePort()
    ports.push(port)
    servers.push(await startServer(side.command, port, null, { ...side.env, REDIS_URL: redis.url }))
  }
  // The cluster's workers: give the second one time to listen too.
  if (side.env.ADAPTER === 'cluster') await new Promise((resolve) => setTimeout(resolve, 500))
  const subscribe = ports.map((port) => `ws://127.0.0.1:${port}/?sub`).join(',')
  const args = [
    '--publish',
    `ws://127.0.0.1:${ports[0]}/?pub`,
    '--subscribe',
    subscribe,
    '--subscribers',
    String(SUBSCRIBERS),
    ...sc.load.split(' '),
    '--duration-limit',
    String(LIMIT),
  ]
  const serverCpu = () => servers.reduce((sum, s) => sum + cpuSeconds(s.child.pid), 0)
  const cpuBefore = serverCpu()
  const result = spawnSync(FANOUT, args, { encoding: 'utf8', timeout: (LIMIT + 30) * 1000 })
  const cpuUsed = serverCpu() - cpuBefore
  let r
  try {
    r = JSON.parse((result.stdout || '').trim().split('\n').pop())
  } catch {
    r = { delivered: 0, errors: 1, first_error: `${result.stderr || result.error}`.slice(0, 300) }
  }
  r.peak_rss_kib = servers.reduce((sum, s) => sum + peakRss(s.child.pid), 0)
  // Server CPU per delivery (all its processes; connecting included): what
  // the work costs, whatever share of the machine the server got.
  r.server_us_per_delivery = r.delivered > 0 ? (cpuUsed / r.delivered) * 1e6 : NaN
  await Promise.all(servers.map((s) => stop(s.child)))
  return r
}

async function main() {
  build()
  const chosen = chosenScenarios(SCENARIOS)
  const redisVersion = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout
  console.error(
    `bench:fanout: node ${process.version}, ws ${require('ws/package.json').version}, ` +
      `${os.cpus().length} CPUs, ${SUBSCRIBERS} subscribers over 2 processes, ${PAIRS} pairs; ` +
      `${(redisVersion || 'no redis-server').trim()}`,
  )
  const redis = await startRedis()
  const rows = []
  let failed = false
  try {
    for (const name of chosen) {
      const sc = SCENARIOS[name]
      const runs = { a: [], b: [] }
      for (let p = 0; p < PAIRS; p++) {
        for (const key of ['a', 'b']) {
          const r = await runOnce(sc, sc[key], redis)
          runs[key].push(r)
          if (r.errors > 0) {
            failed = true
            console.error(`${name} ${sc[key].label}: ${r.errors} errors (${r.first_error})`)
          }
          console.error(
            `${name} ${sc[key].label} #${p + 1}: ${fmt(r.deliveries_per_s)} deliveries/s, ` +
              `p99 ${fmt(r.lat_ms_p99, 2)} ms, client CPU ${fmt(r.client_cpu_pct)}%, ` +
              `server ${fmt(r.server_us_per_delivery, 2)} CPU us/delivery, ` +
              `peak RSS ${fmt(r.peak_rss_kib / 1024, 1)} MiB`,
          )
        }
      }
      const ratios = runs.a
        .map((r, i) => r.deliveries_per_s / runs.b[i].deliveries_per_s)
        .filter(Number.isFinite)
      const m = (key, field) => median(runs[key].map((r) => r[field]))
      rows.push({
        name,
        a: sc.a.label,
        b: sc.b.label,
        rateA: m('a', 'deliveries_per_s'),
        rateB: m('b', 'deliveries_per_s'),
        ratio: median(ratios),
        min: Math.min(...ratios),
        max: Math.max(...ratios),
        p99A: m('a', 'lat_ms_p99'),
        p99B: m('b', 'lat_ms_p99'),
        rssA: m('a', 'peak_rss_kib') / 1024,
        rssB: m('b', 'peak_rss_kib') / 1024,
        usA: m('a', 'server_us_per_delivery'),
        usB: m('b', 'server_us_per_delivery'),
        clientBound: [...runs.a, ...runs.b].some((r) => r.client_cpu_pct >= 90),
      })
    }
  } finally {
    await stop(redis.child)
  }
  console.log(
    '\n| scenario | A | B | A deliveries/s | B deliveries/s | A/B (median of pairs, min-max) | p99 ms A / B | server CPU us per delivery A / B | peak RSS MiB A / B | |',
  )
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.a} | ${r.b} | ${fmt(r.rateA)} | ${fmt(r.rateB)} | **${fmt(r.ratio, 2)}** (${fmt(r.min, 2)}-${fmt(r.max, 2)}) | ` +
        `${fmt(r.p99A, 2)} / ${fmt(r.p99B, 2)} | ${fmt(r.usA, 2)} / ${fmt(r.usB, 2)} | ${fmt(r.rssA, 1)} / ${fmt(r.rssB, 1)} | ${r.clientBound ? 'CLIENT-BOUND?' : ''} |`,
    )
  }
  process.exit(failed ? 1 : 0)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
