'use strict'

// Runs the README's examples as written: a block is taken from README.md at
// test time, so the test follows the docs. Only the port is replaced (the
// README uses 3000) and `require('websockets')` resolves to this checkout.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawn } = require('node:child_process')

const ROOT = path.join(__dirname, '..', '..')

/** The first ```js block after the heading `## title`. */
function readmeBlock(title) {
  const text = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const at = text.indexOf(`\n## ${title}\n`)
  if (at < 0) throw new Error(`README.md has no section "## ${title}"`)
  const match = /```js\n([\s\S]*?)```/.exec(text.slice(at))
  if (!match) throw new Error(`README.md section "${title}" has no js block`)
  return match[1]
}

/**
 * Starts `code` in a child Node process with the port 3000 replaced by
 * `port` (and `env` added to the environment); resolves once
 * `ready(output)` says so. `stop()` ends it by PID.
 */
function runExample(code, port, ready = () => true, env = {}) {
  const source = code
    .replaceAll('3000', String(port))
    .replaceAll("require('websockets')", `require(${JSON.stringify(ROOT)})`)
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ws-readme-')), 'example.js')
  fs.writeFileSync(file, source)
  const child = spawn(process.execPath, [file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  })
  let output = ''
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)))
  const started = new Promise((resolve, reject) => {
    const check = (chunk) => {
      output += chunk
      if (ready(output)) resolve()
    }
    child.stdout.on('data', check)
    child.stderr.on('data', check)
    child.once('exit', (code) => reject(new Error(`example exited (${code}): ${output}`)))
    if (ready('')) setImmediate(resolve)
  })
  return {
    child,
    started,
    exited,
    output: () => output,
    stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}

/** A free TCP port on 127.0.0.1. */
function freePort() {
  const net = require('node:net')
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

module.exports = { readmeBlock, runExample, freePort, ROOT }
