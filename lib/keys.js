'use strict'

// How a Server reaches into the Sockets it opened, beyond their public API,
// and how a socket's parts call back into it without a closure per socket.

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
// A Socket fails for a protocol error of the peer (Receiving calls it).
const kFail = Symbol('websockets.fail')
// Decoding hands each record of a read to its owner's method of this name.
const kRecord = Symbol('websockets.record')
// On a source: the socket over it. Its listeners are shared by all sockets
// and find their socket here, through its methods of the names below.
const kOwner = Symbol('websockets.owner')
const kSourceData = Symbol('websockets.sourceData')
const kSourceClosed = Symbol('websockets.sourceClosed')
const kSettleDrain = Symbol('websockets.settleDrain')
// A Socket's PingPong, made on first use.
const kPingPong = Symbol('websockets.pingPong')

module.exports = {
  kSendFrame,
  kSendWhole,
  kShareKey,
  kCompressed,
  kStreamShared,
  kTopics,
  kIdle,
  kFail,
  kRecord,
  kOwner,
  kSourceData,
  kSourceClosed,
  kSettleDrain,
  kPingPong,
}
