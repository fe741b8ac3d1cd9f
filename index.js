'use strict'

const Socket = require('./lib/socket')
const Stream = require('./lib/stream')
const Upgrade = require('./lib/upgrade')
const Server = require('./lib/server')
const connect = require('./lib/connect')
const { WebSocketError } = require('./lib/errors')

module.exports = { Socket, Stream, Upgrade, Server, WebSocketError, connect }
