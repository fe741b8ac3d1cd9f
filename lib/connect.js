'use strict'

const Socket = require('./socket')
const Upgrade = require('./upgrade')
const { invalidType } = require('./errors')
const { checkSocketOptions } = require('./checks')

// Options that shape the Socket; the rest go to the opening handshake.
const SOCKET_OPTIONS = [
  'opcode',
  'streamThreshold',
  'maxPayload',
  'maxFragments',
  'maxBackpressure',
  'heartbeat',
  'closeTimeout',
]

/**
 * Opens a client WebSocket: the opening handshake to `url` (ws:// or wss://),
 * then a masking Socket over the connection. Resolves with the open Socket;
 * rejects with the handshake's error (`code` 'WS_ERR_HANDSHAKE' and the
 * HTTP `status` when the server answered, or the connection's own error).
 * `options`: those of Upgrade.createUpgradeRequest, plus the Socket options
 * `opcode`, `streamThreshold`, `maxPayload`, `maxFragments`, `maxBackpressure`,
 * `heartbeat` and `closeTimeout`.
 */
function connect(url, options = {}) {
  if (options === null || typeof options !== 'object') {
    return Promise.reject(invalidType('options', 'of type object', options))
  }
  const handshake = {}
  const socketOptions = { mask: true }
  for (const [name, value] of Object.entries(options)) {
    if (SOCKET_OPTIONS.includes(name)) socketOptions[name] = value
    else handshake[name] = value
  }
  return new Promise((resolve, reject) => {
    // Bad arguments reject too: a promise API does not throw.
    try {
      checkSocketOptions(socketOptions)
      Upgrade.createUpgradeRequest(url, handshake, (err, raw) => {
        if (err) reject(err)
        else resolve(new Socket(raw, socketOptions))
      })
    } catch (err) {
      reject(err)
    }
  })
}

module.exports = connect
