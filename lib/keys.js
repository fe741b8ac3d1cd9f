'use strict'

// How a Server reaches into the Sockets it opened, beyond their public API.

// Server.broadcast() and Server.write() reach a socket's sending side
// through these: the same encoded frame or shared fragment for many sockets,
// or the message itself to one that compresses with a context of its own.
const kSendFrame = Symbol('websockets.sendFrame')
const kSendWhole = Symbol('websockets.sendWhole')
const kShareKey = Symbol('websockets.shareKey')
const kCompressed = Symbol('websockets.compressed')
const kStreamShared = Symbol('websockets.streamShared')
// The Server's Topics registry, set on the sockets it opens.
const kTopics = Symbol('websockets.topics')
// A Server's idle sweep (its `timeout`).
const kIdle = Symbol('websockets.idle')

module.exports = { kSendFrame, kSendWhole, kShareKey, kCompressed, kStreamShared, kTopics, kIdle }
