'use strict'

// The Autobahn client driver on the public API: asks the fuzzing server for
// its case count, runs every case echoing each message back, then asks for
// the reports. AUTOBAHN_URL and AGENT come from conformance/client-suite.sh.

const { Upgrade, Socket } = require('..')

const base = process.env.AUTOBAHN_URL || 'ws://127.0.0.1:9001'
const agent = process.env.AGENT || 'websockets'

// permessage-deflate is offered by default. Cases 13.2, 13.5 and 13.6 make
// the fuzzing server ask the client to reset its context after each
// message, which it asks only of a client that offered to: this driver
// offers it (and then keeps to it, as RFC 7692 §7.1.1.2 requires).
const options = { perMessageDeflate: { clientNoContextTakeover: true } }

/** Connects to `path` and resolves with a client Socket. */
function connect(path) {
  return new Promise((resolve, reject) => {
    Upgrade.createUpgradeRequest(`${base}${path}`, options, (err, raw) => {
      if (err) reject(err)
      else resolve(new Socket(raw, { mask: true, streamThreshold: Infinity }))
    })
  })
}

function closed(ws) {
  return new Promise((resolve) => ws.once('close', resolve))
}

async function caseCount() {
  const ws = await connect('/getCaseCount')
  const [count] = await Promise.all([
    new Promise((resolve) => ws.once('message', resolve)),
    closed(ws),
  ])
  return Number(count)
}

async function runCase(n) {
  const ws = await connect(`/runCase?case=${n}&agent=${encodeURIComponent(agent)}`)
  ws.on('message', (message) => ws.send(message))
  ws.on('error', () => {}) // the close code says it; nothing to add
  await closed(ws)
}

async function main() {
  const count = await caseCount()
  for (let n = 1; n <= count; n++) {
    try {
      await runCase(n)
    } catch (err) {
      console.error(`case ${n}: ${err.message}`)
    }
  }
  const ws = await connect(`/updateReports?agent=${encodeURIComponent(agent)}`)
  await closed(ws)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
