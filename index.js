'use strict'

const Socket = require('./lib/socket')
const Stream = require('./lib/stream')
const { WebSocketError } = require('./lib/errors')

module.exports = { Socket, Stream, WebSocketError }
