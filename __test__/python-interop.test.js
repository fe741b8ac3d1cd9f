'use strict'

// Python's `websockets` (a peer nobody here wrote) against our Server and
// our client, with the permessage-deflate both offer by default. Its
// interpreter: $PYTHON_WEBSOCKETS, else /tmp/pyws-venv/bin/python (.ci/run
// makes that venv). Without it the tests are skipped, said aloud; with
// REQUIRE_PYTHON_WEBSOCKETS=1 (CI) its absence is a failure.

const path = require('node:path')
const { spawn, spawnSync } = require('node:child_process')
const { Server, connect } = require('..')
const { once } = require('./helpers/pair')

const PYTHON = process.env.PYTHON_WEBSOCKETS || '/tmp/pyws-venv/bin/python'
const PEER = path.join(__dirname, 'peers', 'python_websockets.py')
const present = spawnSync(PYTHON, ['-c', 'import websockets'], { stdio: 'ignore' }).status === 0
const required = process.env.REQUIRE_PYTHON_WEBSOCKETS === '1'

function describeWithPython(title, body) {
  if (present || required) return describe(title, body)
  process.stderr.write(
    `\nSKIPPED "${title}": no Python with websockets at ${PYTHON} ` +
      '(python3 -m venv /tmp/pyws-venv && /tmp/pyws-venv/bin/pip install websockets, ' +
      'or set PYTHON_WEBSOCKETS)\n',
  )
  return describe.skip(title, body)
}

/** Runs the peer script; resolves with its stdout once it exits with 0. */
function runPeer(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [PEER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
    })
    child.stderr.on('data', (chunk) => {
      err += chunk
    })
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`peer: ${code} ${err}`)),
    )
  })
}

const json = JSON.stringify(
  Array.from({ length: 600 }, (_, i) => ({ id: i, name: `user ${i}`, tags: ['a', 'b'] })),
)

describeWithPython("interop with Python's websockets", () => {
  it('its client: compressed text and binary echoed by our Server', async () => {
    const server = new Server({ port: 0, host: '127.0.0.1' })
    await once(server, 'listening')
    const agreed = []
    server.on('open', (ws) => agreed.push(Object.keys(ws.extensions)))
    server.on('message', (message, ws) => ws.send(message))
    const out = await runPeer(['client', `ws://127.0.0.1:${server.address().port}/`])
    const result = JSON.parse(out)
    expect(result).toEqual({
      text: true,
      textType: 'str',
      binary: true,
      binaryType: 'bytes',
      extensions: expect.stringContaining('permessage-deflate'),
    })
    expect(agreed).toEqual([['permessage-deflate']])
    await new Promise((resolve) => server.close(resolve))
  }, 30000)

  it('its server: our client offers compression and gets both kinds echoed', async () => {
    const child = spawn(PYTHON, [PEER, 'server'], { stdio: ['pipe', 'pipe', 'inherit'] })
    try {
      const [line] = await once(child.stdout, 'data')
      const port = Number(/listening (\d+)/.exec(line.toString())[1])
      const ws = await connect(`ws://127.0.0.1:${port}/`)
      expect(Object.keys(ws.extensions)).toEqual(['permessage-deflate'])
      const got = []
      ws.on('message', (message) => got.push(message))
      ws.send(json)
      ws.send(Buffer.alloc(16384, 7))
      while (got.length < 2) await once(ws, 'message')
      expect(got[0]).toBe(json)
      expect(Buffer.compare(got[1], Buffer.alloc(16384, 7))).toBe(0)
      ws.close(1000)
      expect((await once(ws, 'close'))[0]).toBe(1000)
    } finally {
      child.stdin.end()
      if (child.exitCode === null) await once(child, 'exit')
    }
  }, 30000)
})
