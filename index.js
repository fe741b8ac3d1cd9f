'use strict'

const Socket = require('./lib/socket')
const Stream = require('./lib/stream')
const Upgrade = require('./lib/upgrade')
const Server = require('./lib/server')
const connect = require('./lib/connect')
const { WebSocketError } = require('./lib/errors')
const Adapter = require('./lib/adapters/adapter')
const ClusterAdapter = require('./lib/adapters/cluster')
const RedisAdapter = require('./lib/adapters/redis')

module.exports = {
  Socket,
  Stream,
  Upgrade,
  Server,
  WebSocketError,
  connect,
  Adapter,
  ClusterAdapter,
  RedisAdapter,
}
