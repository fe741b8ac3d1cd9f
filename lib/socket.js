'use strict'

const native = require('./native')
const OrderedDuplex = require('./ordered-duplex')
const Sending = require('./sending')
const Decoding = require('./decoding')
const { backpressureError, heartbeatError, budgetError } = require('./errors')
const { checkSource, checkSocketOptions } = require('./checks')
const { bytesOf, pingFrame, closeFrame } = require('./frames')
const { negotiated } = require('./upgrade')
const { kDeflate, compressionOf } = require('./compression')
const Closing = require('./closing')
const PipeIn = require('./pipe-in')
const PingPong = require('./ping-pong')
const Receiving = require('./receiving')
const { addTopicMethods } = require('./topics')
const Heartbeat = require('./heartbeat')

const { kBeat } = Heartbeat
const { kBuffered, kShed } = require('./budget')
const {
  kSendFrame,
  kSendWhole,
  kShareKey,
  kCompressed,
  kStreamShared,
  kTopics,
  kIdle,
  kFail,
  kSourceData,
  kSourceClosed,
  kSettleDrain,
  kPingPong,
} = require('./keys')
const { listenToSource, unlistenToSource } = require('./source-listeners')

// After our close frame, how long to wait for the peer's before destroying
// the source (docs/socket.md, `closeTimeout`).
const CLOSE_TIMEOUT = 30000

// Bytes a peer may leave unread before a send closes its socket
// (docs/socket.md, `maxBackpressure`).
const MAX_BACKPRESSURE = 64 * 1024 * 1024

const { FLAG_MASK } = native

/**
 * A message-level WebSocket over any Duplex carrying the bytes after the
 * handshake (docs/socket.md).
 */
class Socket extends OrderedDuplex {
  #source
  #decoding
  #sending
  #settings

  #receiving

  // outgoing
  // The writable side's state, made when first written or piped to (most
  // sockets never are): null until then.
  #pipeIn = null
  // Pongs owed and the heartbeat's ping: made on first use, like #pipeIn.
  #pingPong = null
  // send() or stream() answered false while open: 'drain' is owed.
  #owesDrain = false

  #closing
  #maxBackpressure
  // The peer's address and port, read while the source is open: a destroyed
  // net.Socket no longer knows them, and 'close' listeners want them.
  #remoteAddress
  #remotePort
  // Our own heartbeat (the `heartbeat` option); a Server's sockets share its.
  #heartbeat = null
  // Bytes carried both ways at the last idle sweep, and sweeps since they changed.
  #traffic = 0
  #quietSweeps = 0;
  // Declared, so that a Server setting it does not grow the object.
  [kTopics] = null

  /**
   * @param {import('node:stream').Duplex} source the raw connection
   * @param {object} [options] `mask`, `opcode`, `streamThreshold`, `maxPayload`, `maxFragments`,
   *   `maxBackpressure`, `heartbeat`, `closeTimeout`
   */
  constructor(source, options) {
    checkSource(source)
    const opts = checkSocketOptions(options)
    super(source, { emitClose: false, allowHalfOpen: true })
    this.#source = source
    this.#settings = negotiated.get(source) ?? null
    this.#remoteAddress = source.remoteAddress
    this.#remotePort = source.remotePort
    // A client (mask: true) expects unmasked frames, a server masked ones.
    const mode = opts.mask ? 1 : 0
    const deflate = this.#settings?.[kDeflate]
    const maskFlag = opts.mask ? FLAG_MASK : 0
    this.#maxBackpressure = opts.maxBackpressure ?? MAX_BACKPRESSURE
    const compression = compressionOf(deflate, mode)
    this.#sending = new Sending(source, maskFlag, opts.opcode, compression, this.#maxBackpressure)
    this.#closing = new Closing(source, this.#sending, opts.closeTimeout ?? CLOSE_TIMEOUT)
    if (opts.heartbeat > 0) {
      this.#heartbeat = new Heartbeat(opts.heartbeat)
      this.#heartbeat.add(this)
    }
    this.#decoding = new Decoding(mode, opts.maxPayload, opts.streamThreshold, opts.maxFragments)
    if (deflate !== undefined) this.#decoding.setInflate(deflate.agreement, mode)

    this.#receiving = new Receiving(this, this.#decoding, this.#closing)
    this._listen()
    listenToSource(source)
    this.on('pipe', Socket.#onPipe)
    this.on('unpipe', Socket.#onUnpipe)
    if (source.destroyed) process.nextTick(() => this[kSourceClosed]())
  }

  // Shared by all Sockets (EventEmitter calls them with the socket as
  // `this`): a closure per socket each cost every idle socket memory.
  static #onPipe = function onPipe() {
    this.#writableSide().piped()
  }

  static #onUnpipe = function onUnpipe() {
    this.#writableSide().unpiped(this.#receiving.streamOpcode)
  }

  /** CONNECTING (0), OPEN (1), CLOSING (2) or CLOSED (3), as in ws. */
  get readyState() {
    return this.#closing.readyState
  }

  /**
   * Bytes queued for the peer and not yet handed to the kernel: in our
   * queues, in the writable buffer, and in the source's own buffer.
   */
  get bufferedAmount() {
    return this.#sending.queuedBytes + this.writableLength + (this.#source.writableLength ?? 0)
  }

  /** The subprotocol the opening handshake chose, or `''`. */
  get protocol() {
    return this.#settings?.protocol ?? ''
  }

  /** The extensions the opening handshake negotiated: `{ 'permessage-deflate': params }` or `{}`. */
  get extensions() {
    return this.#settings?.extensions ?? {}
  }

  /** The peer's address, as the source reported it when the Socket was made (undefined for in-memory sources). */
  get remoteAddress() {
    return this.#remoteAddress
  }

  /** The peer's port, as the source reported it when the Socket was made. */
  get remotePort() {
    return this.#remotePort
  }

  /**
   * What this socket has carried (docs/socket.md, "Counters"): messages and
   * bytes each way, what is buffered each way, and what permessage-deflate
   * made of the payloads this socket compressed.
   */
  get stats() {
    const sending = this.#sending
    return {
      messagesReceived: this.#receiving.messagesIn,
      messagesSent: sending.messagesOut,
      bytesReceived: this.#decoding.bytesIn,
      bytesSent: sending.bytesOut,
      bufferedIncoming: this.#bufferedIncoming,
      bufferedAmount: this.bufferedAmount,
      compressedFrom: sending.plainOut,
      compressedTo: sending.deflatedOut,
    }
  }

  /** Sends `message` as one complete data frame. */
  send(message = '') {
    const bytes = bytesOf('message', message)
    if (!this.#canQueue()) return false
    return this.#sent(this.#sending.message(message, bytes))
  }

  /** Drops the connection at once, with no closing handshake ('close' reports 1006). */
  terminate() {
    this.#closing.terminate()
  }

  /**
   * Whether data may be queued: no close frame of ours is out, and the peer
   * has not left more than `maxBackpressure` bytes unread. A send that finds
   * more fails the socket (1008): the peer does not read, and a producer
   * that ignores send()'s false would otherwise grow our memory without end.
   */
  #canQueue() {
    if (!this.#closing.canSend) return false
    const source = this.#source
    if (!source.writableNeedDrain && !this.#sending.streaming) return true
    const queued = (source.writableLength ?? 0) + this.#sending.queuedBytes
    if (queued <= this.#maxBackpressure) return true
    this.#fail(backpressureError(this.#maxBackpressure), true)
    return false
  }

  /** `ok`: whether the source took a write without asking to wait (or nothing queued it). */
  #sent(ok) {
    if (!ok) this.#owesDrain = true
    return ok
  }

  /** Emits the 'drain' owed to a producer once nothing holds its messages back. */
  [kSettleDrain]() {
    if (!this.#owesDrain || this.#sending.streaming || this.#closing.closed) return
    if (this.#source.writableNeedDrain) return
    this.#owesDrain = false
    // When our writable side is full too, the Writable emits 'drain' itself.
    if (!this.writableNeedDrain) this.emit('drain')
  }

  /** A chunk from the source (see OrderedDuplex._listen). */
  [kSourceData](chunk) {
    this.#receiving.receive(chunk)
  }

  [kPingPong]() {
    const made = this.#pingPong
    if (made !== null) return made
    return (this.#pingPong = new PingPong(this, this.#source, this.#sending, this.#closing))
  }

  /** Sends a ping; its body may be at most 125 bytes. */
  ping(message = '') {
    const frame = pingFrame(message, this.#sending.maskFlag)
    if (!this.#closing.canSend) return false
    return this.#sending.control(frame)
  }

  /**
   * Starts the closing handshake. `close(code)`, `close(reason)` (code 1000)
   * or `close(code, reason)`; a second call does nothing.
   */
  close(code, reason) {
    const frame = closeFrame(code, reason, this.#sending.maskFlag !== 0)
    if (!this.#closing.canSend) return
    this.#closing.send(frame)
  }

  /** Bytes this socket holds both ways, for a Server's memory budget. */
  [kBuffered]() {
    return this.bufferedAmount + this.#bufferedIncoming
  }

  /** Bytes received and not yet delivered: unread stream bytes, messages being assembled. */
  get #bufferedIncoming() {
    return this.readableLength + this.#decoding.buffered
  }

  /** Dropped to bring a Server under its memory budget: the bytes go with the connection. */
  [kShed]() {
    this.#fail(budgetError(), true)
  }

  /** A protocol error of the peer (Receiving). */
  [kFail](err) {
    this.#fail(err)
  }

  /**
   * A Server's idle sweep: closed with 1001 once `sweeps` sweeps in a row
   * found no bytes carried either way.
   */
  [kIdle](sweeps) {
    const traffic = this.#decoding.bytesIn + this.#sending.bytesOut
    if (traffic !== this.#traffic) {
      this.#traffic = traffic
      this.#quietSweeps = 0
    } else if (++this.#quietSweeps === sweeps) {
      this.close(1001, 'Idle timeout')
    }
  }

  /** A heartbeat: fails the socket when the last one's ping got no pong, else pings. */
  [kBeat]() {
    if (!this.#closing.canSend) return
    // The peer is presumed gone: it would not read a close frame either.
    if (!this[kPingPong]().beat()) this.#fail(heartbeatError(), true)
  }

  /** Sends an already encoded frame (the same bytes for many sockets). */
  [kSendFrame](frame) {
    if (!this.#canQueue()) return false
    return this.#sending.frame(frame)
  }

  /** Sends a whole data message with frame `flags` (no mask), compressed as this socket does. */
  [kSendWhole](flags, data) {
    if (!this.#canQueue()) return false
    return this.#sending.whole(flags | this.#sending.maskFlag, data)
  }

  /** See Sending.shareKey. */
  get [kShareKey]() {
    return this.#sending.shareKey
  }

  /** The compressed payload of a whole message as this socket would send it, or null. */
  [kCompressed](data) {
    return this.#sending.compressed(data)
  }

  /** Streams a SharedFragment (Server.write); `text`: a string was written. */
  [kStreamShared](fragment, text) {
    if (!this.#canQueue()) return false
    return this.#sent(this.#sending.sharedFragment(fragment, text, this.#receiving.streamOpcode))
  }

  /**
   * Streams a fragmented message: each call with a chunk sends a fragment,
   * `stream()` without one sends the final frame.
   */
  stream(chunk) {
    if (chunk === undefined) {
      // After our close frame nothing more may be sent (RFC 6455 §5.5.1).
      if (!this.#sending.streaming || !this.#closing.canSend) return false
      return this.#endStream()
    }
    const bytes = bytesOf('chunk', chunk)
    if (!this.#canQueue()) return false
    return this.#sent(this.#sending.fragment(chunk, bytes, this.#receiving.streamOpcode))
  }

  _deliver(item) {
    this.#receiving.deliver(item)
  }

  // ---------------------------------------------------------------- writing

  #endStream() {
    const [ok, hadBacklog] = this.#sending.end()
    if (hadBacklog) queueMicrotask(() => this[kSettleDrain]())
    return ok
  }

  #writableSide() {
    return (this.#pipeIn ??= new PipeIn(this, this.#source, this.#sending, this.#closing))
  }

  _write(chunk, encoding, callback) {
    this.#writableSide().write(chunk, callback, this.#receiving.streamOpcode)
  }

  _final(callback) {
    this.#writableSide().final(callback)
  }

  // ---------------------------------------------------------------- closing

  /** `abort`: the peer does not read, so our close frame would never reach it: drop the connection. */
  #fail(err, abort = false) {
    this.#closing.fail(err)
    if (abort) this.#source.destroy()
    // Only listeners of the user's count: a pipe into us adds its own, which
    // would destroy us with the error and make it uncaught.
    if (this.listenerCount('error') > (this.#pipeIn?.incomingPipes ?? 0)) this.emit('error', err)
  }

  [kSourceClosed]() {
    if (!this.#closing.sourceClosed()) return
    this.#heartbeat?.delete(this)
    // A closed source may live on (a pool, a test, a reference kept): it
    // keeps none of our listeners, or through them this Socket.
    this._unlisten()
    unlistenToSource(this.#source)
    this.#pingPong?.sourceClosed()
    this.#pipeIn?.sourceClosed()
    this._releaseHeld()
    this.push(null)
    this.emit('close', this.#closing.code, this.#closing.reason)
  }
}

for (const [name, value] of Object.entries(Closing.states)) {
  Object.defineProperty(Socket, name, { value, enumerable: true })
  Object.defineProperty(Socket.prototype, name, { value, enumerable: true })
}

// subscribe(), unsubscribe(), isSubscribed() and topics: see lib/topics.js.
addTopicMethods(Socket.prototype)

module.exports = Socket
