'use strict'

// What the end-to-end benchmarks share: servers started in process groups
// of their own (pinned to a CPU where the machine allows) and stopped by
// PID, their peak RSS and CPU time read from /proc, and the statistics the
// tables print.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const net = require('node:net')
const { spawn, spawnSync } = require('node:child_process')

const LOAD_DIR = path.join(__dirname, 'load')

const pinnable = os.cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0
// cpu null: not pinned.
const pin = (cpu, argv) =>
  pinnable && cpu !== null ? ['taskset', '-c', String(cpu), ...argv] : argv

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

async function waitListening(port, child) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode})`)
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1')
      s.once('connect', () => resolve(s.destroy() || true))
      s.once('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`nothing listened on ${port}`)
}

/** The sum of `measure(pid)` over a process and its descendants, from /proc. */
function overTree(pid, measure) {
  let total = 0
  const visit = (p) => {
    try {
      total += measure(p)
      const children = fs.readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim()
      for (const c of children ? children.split(/\s+/) : []) visit(c)
    } catch {
      // The process ended meanwhile: nothing more to count.
    }
  }
  visit(pid)
  return total
}

/** VmHWM of a process and its descendants (KiB), read before it is stopped. */
const peakRss = (pid) =>
  overTree(pid, (p) =>
    Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))[1]),
  )

/** CPU seconds (user + system) of a process and its descendants (100 ticks a second). */
const cpuSeconds = (pid) =>
  overTree(pid, (p) => {
    const fields = fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ')
    return Number(fields[11]) + Number(fields[12])
  }) / 100

/**
 * Starts `command` (a shell line) with PORT=`port` and `env`, pinned to
 * `cpu` (null: not pinned), in its own process group.
 */
async function startServer(command, port, cpu, env = {}) {
  const [file, ...argv] = pin(cpu, ['bash', '-c', `exec ${command}`])
  const child = spawn(file, argv, {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let log = ''
  child.stdout.on('data', (c) => (log += c))
  child.stderr.on('data', (c) => (log += c))
  await waitListening(port, child)
  return { child, log: () => log }
}

function stop(child) {
  if (child.exitCode !== null) return Promise.resolve()
  const exited = new Promise((resolve) => child.once('exit', resolve))
  try {
    process.kill(-child.pid, 'SIGTERM') // the group we started, by PID
  } catch {
    // Already gone.
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }, 5000)
  return exited.then(() => clearTimeout(timer))
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0
    ? NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-')

function build() {
  const r = spawnSync(
    'cargo',
    ['build', '--release', '--quiet', '--manifest-path', path.join(LOAD_DIR, 'Cargo.toml')],
    {
      stdio: 'inherit',
    },
  )
  if (r.status !== 0) throw new Error('building benches/load failed')
}

/**
 * The scenarios SCENARIOS (space-separated names) asks for, or all of
 * `scenarios` (those `keep` keeps); an unknown name throws.
 */
function chosenScenarios(scenarios, keep = () => true) {
  const chosen = (process.env.SCENARIOS || Object.keys(scenarios).join(' '))
    .split(/\s+/)
    .filter(Boolean)
  for (const name of chosen) if (!scenarios[name]) throw new Error(`unknown scenario ${name}`)
  return chosen.filter(keep)
}

module.exports = {
  chosenScenarios,
  LOAD_DIR,
  pin,
  pinnable,
  freePort,
  waitListening,
  peakRss,
  cpuSeconds,
  startServer,
  stop,
  median,
  fmt,
  build,
}
