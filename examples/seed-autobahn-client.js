'use strict'

// The Autobahn client driver written exactly in the seed's pattern: every
// case's messages are echoed with send() when whole and with pipe()/unpipe()
// when streamed, and nothing else. AUTOBAHN_URL and AGENT come from
// conformance/client-suite.sh.

const { Upgrade, Socket } = require('websockets')

const base = process.env.AUTOBAHN_URL || 'ws://127.0.0.1:9001'
const agent = encodeURIComponent(process.env.AGENT || 'websockets-seed')

function open(path, onSocket) {
  Upgrade.createUpgradeRequest(`${base}${path}`, (err, socket) => {
    if (err) throw err
    onSocket(new Socket(socket, { mask: true }))
  })
}

function runCase(n, count) {
  if (n > count) {
    open(`/updateReports?agent=${agent}`, (ws) => ws.on('close', () => {}))
    return
  }
  open(`/runCase?case=${n}&agent=${agent}`, (ws) => {
    ws.on('message', (m) => ws.send(m))
    ws.on('stream:start', () => ws.pipe(ws))
    ws.on('stream:stop', () => ws.unpipe(ws))
    ws.on('close', () => runCase(n + 1, count))
  })
}

open('/getCaseCount', (ws) => {
  ws.on('message', (message) => ws.on('close', () => runCase(1, Number(message))))
})
