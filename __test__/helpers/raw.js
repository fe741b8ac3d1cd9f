'use strict'

// A client written by hand, for peers that misbehave after the handshake
// (never read, never answer) or whose bytes a test inspects.

const net = require('node:net')
const { once } = require('./pair')

/** A valid upgrade request for `/`, with `extra` header lines (each ending in CRLF). */
function upgradeRequest(extra = '') {
  return (
    'GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`
  )
}

/**
 * Connects to 127.0.0.1:`port` and sends an upgrade request; resolves with
 * the socket and the first chunk the server answered (the status line and
 * perhaps more).
 */
async function rawUpgrade(port, extra = '') {
  const socket = net.connect(port, '127.0.0.1')
  await once(socket, 'connect')
  socket.write(upgradeRequest(extra))
  const [answer] = await once(socket, 'data')
  return { socket, answer }
}

module.exports = { upgradeRequest, rawUpgrade }
