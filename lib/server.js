'use strict'

const { EventEmitter } = require('node:events')
const http = require('node:http')

const native = require('./native')
const Socket = require('./socket')
const Upgrade = require('./upgrade')
const { refuse } = require('./refuse')
const { invalidType, invalidValue } = require('./errors')
const {
  checkObject,
  checkLimit,
  checkInterval,
  checkProtocols,
  checkListenOptions,
} = require('./checks')
const { bytesOf } = require('./frames')
const { checkDeflateOptions } = require('./compression')

const FanOut = require('./fan-out')
const Topics = require('./topics')
const Observing = require('./observing')
const Heartbeat = require('./heartbeat')
const Sweep = require('./sweep')
const Admission = require('./admission')
const MemoryBudget = require('./budget')
const RequestTimers = require('./request-timers')

// The defaults docs/server.md documents.
const DEFAULT_URL = 'ws://localhost:3000'
const IDLE_TIMEOUT = 600000
const MAX_CONNECTIONS = 10
// A connection whose first request has not arrived by then is dropped (slow
// or never-finishing headers); Node's own headersTimeout is a minute.
const HANDSHAKE_TIMEOUT = 10000

const TEXT = 0x1
const BINARY = 0x2
const RESOLVED = Promise.resolve()
const { kTopics } = require('./keys')
const { checkTopic } = Topics
// What the `adapter` option must have (lib/adapters/adapter.js).
const ADAPTER_METHODS = ['attach', 'publish', 'subscribe', 'unsubscribe', 'close']

/**
 * Many WebSockets on one http.Server (docs/server.md): takes the upgrades
 * whose path matches `url`, keeps the open sockets, broadcasts.
 */
class Server extends EventEmitter {
  #path
  // Closes sockets that carried nothing for `timeout` ms (see the constructor), or null.
  #idle = null
  #requestTimers
  #maxConnections
  #handshakeTimeout
  #protocols
  #deflate
  #socketOptions
  #sockets = new Set()
  #admission
  // The `memoryBudget` option's watcher, or null.
  #budget = null
  // One timer pings every socket (the `heartbeat` option), or null.
  #heartbeat = null
  #fanOut = new FanOut(this.#sockets)
  // Adapter calls on the first and last subscriber of a topic here.
  #topics = new Topics(
    (topic) => this.#adapter?.subscribe(topic),
    (topic) => this.#adapter?.unsubscribe(topic),
  )
  #observing = new Observing(this)
  // The `adapter` option: the bus to other processes' subscribers, or null.
  #adapter = null
  // The http.Server made for `port`, if any; close() closes it.
  #ownServer = null
  #closing = false
  // Socket events re-emitted with the socket ('stream:start' apart: see
  // #relayStreamStart), listeners on every socket made once per Server.
  #relays = [
    ['message', this.#forSockets((ws, data) => this.emit('message', data, ws))],
    ['pong', this.#forSockets((ws, data) => this.emit('pong', data, ws))],
    ['stream:stop', this.#forSockets((ws) => this.emit('stream:stop', ws))],
  ]
  // On a socket only while this server has 'stream:start' listeners: it
  // makes the socket a stream consumer, and a socket nobody reads streams
  // from gets whole messages.
  #relayStreamStart = this.#forSockets((ws, opcode) => this.emit('stream:start', opcode, ws))
  #onSocketError = this.#forSockets((ws, err) => {
    this.#observing.errored(ws, err)
    if (this.listenerCount('error') > 0) this.emit('error', err, ws)
  })
  #onSocketClose = this.#forSockets((ws, code, reason) => {
    this.#sockets.delete(ws)
    this.#topics.removeAll(ws)
    this.#heartbeat?.delete(ws)
    this.#budget?.closed()
    this.#idle?.closed()
    this.#observing.closed(ws, code, reason)
    this.emit('close', code, ws, reason)
  })

  /**
   * @param {object} [options] `url`, `timeout`, `heartbeat`, `memoryBudget`, `maxConnections`, plus
   *   `handshakeTimeout`, `protocols`, `origins`, `verifyRequest` and the Socket options `maxPayload`,
   *   `maxFragments`, `maxBackpressure`, `streamThreshold`, `closeTimeout`.
   */
  constructor(options = {}) {
    checkObject('options', options)
    super()
    const url = options.url ?? DEFAULT_URL
    if (typeof url !== 'string') throw invalidType('options.url', 'of type string', url)
    try {
      this.#path = new URL(url).pathname
    } catch {
      throw invalidValue('options.url', 'a ws:// URL', url)
    }
    const timeout = checkLimit('options.timeout', options.timeout, false, IDLE_TIMEOUT)
    this.#idle = Sweep.idle(timeout, this.#sockets)
    const heartbeat = checkInterval('options.heartbeat', options.heartbeat)
    if (heartbeat > 0) this.#heartbeat = new Heartbeat(heartbeat)
    this.#maxConnections = checkLimit(
      'options.maxConnections',
      options.maxConnections,
      false,
      MAX_CONNECTIONS,
    )
    this.#handshakeTimeout = checkLimit(
      'options.handshakeTimeout',
      options.handshakeTimeout,
      false,
      HANDSHAKE_TIMEOUT,
    )
    this.#requestTimers = new RequestTimers(this.#handshakeTimeout)
    this.#protocols = checkProtocols('options.protocols', options.protocols)
    this.#admission = new Admission(options.origins, options.verifyRequest)
    const budget = checkLimit('options.memoryBudget', options.memoryBudget, false, Infinity)
    if (budget !== Infinity) this.#budget = new MemoryBudget(budget, this.#sockets)
    // Checked here, so a bad option throws from the constructor.
    this.#deflate = checkDeflateOptions(
      'options.perMessageDeflate',
      options.perMessageDeflate,
      false,
    )
    this.on('newListener', (event) => {
      if (event === 'stream:start' && this.listenerCount(event) === 0) {
        for (const ws of this.#sockets) ws.on(event, this.#relayStreamStart)
      }
    })
    this.on('removeListener', (event) => {
      if (event === 'stream:start' && this.listenerCount(event) === 0) {
        for (const ws of this.#sockets) ws.removeListener(event, this.#relayStreamStart)
      }
    })
    checkListenOptions(options)
    this.#socketOptions = {
      maxPayload: options.maxPayload,
      maxFragments: options.maxFragments,
      maxBackpressure: options.maxBackpressure,
      streamThreshold: options.streamThreshold,
      closeTimeout: options.closeTimeout,
    }
    if (options.adapter !== undefined) this.#useAdapter(options.adapter)
    if (options.port !== undefined) this.#listenOn(options.port, options.host)
  }

  #useAdapter(adapter) {
    if (
      adapter === null ||
      typeof adapter !== 'object' ||
      !ADAPTER_METHODS.every((name) => typeof adapter[name] === 'function')
    ) {
      throw invalidType('options.adapter', 'an Adapter (ClusterAdapter, RedisAdapter)', adapter)
    }
    adapter.attach(this.#toSubscribers)
    this.#adapter = adapter
  }

  /** Makes, listens on and takes over an http.Server of our own. */
  #listenOn(port, host) {
    // Plain HTTP requests get 426, as ws's own server answers them.
    const httpServer = http.createServer((request, response) => {
      response.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' })
      response.end('Upgrade Required\n')
    })
    this.#ownServer = httpServer
    httpServer.on('listening', () => this.emit('listening'))
    // Like net.Server: with no 'error' listener, a failure to listen throws.
    httpServer.on('error', (err) => this.emit('error', err))
    this.listen(httpServer)
    httpServer.listen(port, host)
  }

  /** The bound address of the server made for `port` (as net.Server has it), else null. */
  address() {
    return this.#ownServer?.address() ?? null
  }

  /**
   * Closes every socket with 1001 and stops taking upgrades; the server made
   * for `port` stops listening. `callback` runs once all of it is done.
   */
  close(callback) {
    if (callback !== undefined && typeof callback !== 'function') {
      throw invalidType('callback', 'of type function', callback)
    }
    this.#closing = true
    const closed = [...this.#sockets].map(
      (ws) => new Promise((resolve) => ws.once('close', resolve)),
    )
    for (const ws of this.#sockets) ws.close(1001, 'Server closing')
    const listener = new Promise((resolve) => {
      if (this.#ownServer?.listening) this.#ownServer.close(() => resolve())
      else resolve()
    })
    // A bus that fails to let go has nothing left to tell this server.
    const adapter = this.#adapter?.close().catch(() => {})
    Promise.all([...closed, listener, adapter]).then(() => callback?.())
  }

  /** The open sockets. */
  get sockets() {
    return [...this.#sockets]
  }

  /** Totals over every socket this server opened, and closes and errors by code (docs/server.md). */
  get stats() {
    return this.#observing.snapshot(this.#sockets)
  }

  /** Takes the upgrade requests of `httpServer`. */
  listen(httpServer) {
    if (
      httpServer === null ||
      typeof httpServer !== 'object' ||
      typeof httpServer.on !== 'function'
    ) {
      throw invalidType('httpServer', 'an http.Server', httpServer)
    }
    httpServer.on('upgrade', (request, socket, head) =>
      this.#onUpgrade(httpServer, request, socket, head),
    )
    httpServer.on('connection', this.#requestTimers.connected)
    httpServer.on('request', (request, response) => this.#onRequest(httpServer, request, response))
    return this
  }

  #onRequest(httpServer, request, response) {
    this.#requestTimers.arrived(request.socket)
    // Node raises 'upgrade' only with both Upgrade and Connection: upgrade;
    // a request to our path without them is a failed handshake. Answer it
    // when no other handler can.
    if (this.#pathOf(request) === this.#path && httpServer.listenerCount('request') === 1) {
      const reason = native.headerHasToken(request.headers.upgrade ?? '', 'websocket')
        ? 'Missing or invalid Connection header'
        : 'Missing or invalid Upgrade header'
      response.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' })
      response.end(reason)
    }
  }

  #pathOf(request) {
    try {
      return new URL(request.url, 'ws://localhost').pathname
    } catch {
      return null
    }
  }

  #onUpgrade(httpServer, request, socket, head) {
    this.#requestTimers.arrived(socket)
    if (this.#pathOf(request) !== this.#path) {
      // Another listener may own that path; refuse only when nobody else can.
      if (httpServer.listenerCount('upgrade') === 1)
        refuse(socket, 400, 'No WebSocket endpoint at this path')
      return
    }
    this.#observing.upgrade(request, socket)
    if (this.#closing) {
      refuse(socket, 503, 'The server is closing')
      return
    }
    if (this.#sockets.size + this.#admission.verifying >= this.#maxConnections) {
      refuse(socket, 503, 'Too many connections')
      return
    }
    if (this.#budget?.exceeded) {
      refuse(socket, 503, 'Server memory budget exceeded')
      return
    }
    const byOrigin = this.#admission.byOrigin(request)
    if (byOrigin !== null) {
      refuse(socket, byOrigin.status, byOrigin.reason)
      return
    }
    if (this.#admission.verifies) this.#verify(request, socket, head)
    else this.#accept(request, socket, head)
  }

  #verify(request, socket, head) {
    this.#admission.verifyWithin(this.#handshakeTimeout, request, socket, (verdict) => {
      if (verdict?.error !== undefined && this.listenerCount('error') > 0) {
        this.emit('error', verdict.error)
      }
      // The client left while it was checked.
      if (socket.destroyed || !socket.writable) return
      if (verdict !== null) refuse(socket, verdict.status, verdict.reason, verdict.headers)
      else if (this.#closing) refuse(socket, 503, 'The server is closing')
      else this.#accept(request, socket, head)
    })
  }

  #accept(request, socket, head) {
    Upgrade.handleUpgradeRequest(
      request,
      socket,
      { protocols: this.#protocols, perMessageDeflate: this.#deflate ?? false },
      (err, raw, settings) => {
        if (err) return
        if (head.length > 0) raw.unshift(head)
        this.#open(raw, request, settings)
      },
    )
  }

  #open(raw, request, settings) {
    const ws = new Socket(raw, { ...this.#socketOptions, mask: false })
    this.#sockets.add(ws)
    ws[kTopics] = this.#topics
    this.#heartbeat?.add(ws)
    this.#budget?.opened()
    this.#idle?.opened()
    for (const [event, relay] of this.#relays) ws.on(event, relay)
    if (this.listenerCount('stream:start') > 0) ws.on('stream:start', this.#relayStreamStart)
    ws.on('error', this.#onSocketError)
    ws.on('close', this.#onSocketClose)
    this.#observing.opened(ws, request)
    this.emit('open', ws, request, settings)
  }

  /**
   * `listener(ws, a, b)` as a listener for every socket: EventEmitter
   * calls it with the socket as `this`, so a socket holds no closure of
   * ours for it (see benches/e2e/idle.js). A Socket's events carry at most
   * two arguments: naming them, not rest and spread, spares each message
   * two arrays on its way to the Server's listeners.
   */
  #forSockets(listener) {
    return function forSocket(a, b) {
      listener(this, a, b)
    }
  }

  /**
   * Sends one frame with the given head (`{ fin = true, opcode }`, opcode by
   * the message's type when absent) to every open socket, encoded once.
   */
  broadcast(head, message) {
    this.#fanOut.broadcast(head, message)
  }

  /** Streams `chunk` to every open socket; an empty chunk ends the stream. */
  write(chunk) {
    this.#fanOut.write(chunk)
  }

  /**
   * Sends `message` to every subscriber of `topic`: those of this process
   * now (the frame made once), those of other processes through the
   * adapter. The promise resolves once the adapter's bus took the message
   * and rejects (`WS_ERR_BUS_DOWN`) when it could not; the local
   * subscribers have it either way.
   */
  publish(topic, message) {
    checkTopic('topic', topic)
    const bytes = bytesOf('message', message)
    const opcode = bytes === null ? TEXT : BINARY
    const data = bytes ?? message
    this.#toSubscribers(topic, opcode, data)
    return this.#adapter === null ? RESOLVED : this.#adapter.publish(topic, opcode, data)
  }

  /** A message for `topic` to this process's subscribers. */
  #toSubscribers = (topic, opcode, data) => {
    const sockets = this.#topics.subscribersOf(topic)
    if (sockets !== undefined) this.#fanOut.whole(sockets, opcode, data)
  }
}

module.exports = Server
