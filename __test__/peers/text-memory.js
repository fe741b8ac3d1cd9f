'use strict'

// Receives 400 text messages of 1 MiB (mixed and ASCII) over TCP through a
// Socket, keeping none of the strings, and prints the RSS growth in MiB.
// Large strings are external (src/binding/text.rs): their memory is only
// freed when V8 collects them, so V8 must be told how much they hold.

const { Socket } = require('../..')
const { tcpPair, once } = require('../helpers/pair')

const MESSAGES = 400

async function main() {
  const pair = await tcpPair()
  const server = new Socket(pair.server)
  const client = new Socket(pair.client, { mask: true })
  const unit = 'hello wörld 日本語 😀 ñandú '
  const mixed = unit.repeat(Math.ceil((1 << 20) / Buffer.byteLength(unit)))
  const ascii = 'websocket '.repeat(1 << 17)
  const before = process.memoryUsage().rss
  let peak = before
  let received = 0
  let chars = 0
  server.on('message', (m) => {
    received += 1
    chars += m.length
    peak = Math.max(peak, process.memoryUsage().rss)
  })
  for (let i = 0; i < MESSAGES; i++) {
    client.send(i % 2 === 0 ? mixed : ascii)
    // A few in flight at most, as a peer that reads its replies would send.
    while (received < i - 4) await once(server, 'message')
  }
  while (received < MESSAGES) await once(server, 'message')
  pair.close()
  const expected = (MESSAGES / 2) * (mixed.length + ascii.length)
  console.log(JSON.stringify({ growthMiB: (peak - before) / 1048576, right: chars === expected }))
}

main()
