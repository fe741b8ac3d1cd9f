'use strict'

const http = require('node:http')

/** A failed opening handshake; `status` is the HTTP status involved, if any. */
function handshakeError(message, status) {
  const err = new Error(message)
  err.code = 'WS_ERR_HANDSHAKE'
  if (status !== undefined) err.status = status
  return err
}

/** Answers a refused handshake with `status` and a one-line reason, then closes. */
function refuse(socket, status, reason, headers = {}) {
  if (socket.writable) {
    const lines = [
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}`,
      'Connection: close',
      'Content-Type: text/plain; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(reason)}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ]
    socket.end(`${lines.join('\r\n')}\r\n\r\n${reason}`)
  }
  socket.once('finish', () => socket.destroy())
  if (!socket.writable) socket.destroy()
}

module.exports = { handshakeError, refuse }
