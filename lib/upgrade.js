'use strict'

const http = require('node:http')
const https = require('node:https')

const native = require('./native')
const { invalidType, invalidValue } = require('./errors')
const { handshakeError, refuse } = require('./refuse')
const { checkProtocols } = require('./checks')
const { checkDeflateOptions, agree, kDeflate } = require('./compression')

// How long a client waits for the whole opening handshake by default.
const HANDSHAKE_TIMEOUT = 10000

// What a Socket made from a raw socket needs of its handshake: the
// protocol, the extensions and the deflate agreement, without the headers
// (which the settings given to the application carry, and an open socket
// would otherwise hold for its whole life). A WeakMap, not a property:
// a symbol added to every net.Socket grows its property storage.
const negotiated = new WeakMap()

/** Records a completed handshake's settings for `socket` (see `negotiated`). */
function remember(socket, settings) {
  const { protocol, extensions } = settings
  // Most handshakes agree on neither: a Socket's defaults say as much.
  if (!protocol && settings[kDeflate] === undefined && Object.keys(extensions).length === 0) {
    return
  }
  negotiated.set(socket, { protocol, extensions, [kDeflate]: settings[kDeflate] })
}

// Options passed on to tls.connect for wss:// URLs.
const TLS_OPTIONS = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'rejectUnauthorized',
  'servername',
  'checkServerIdentity',
]

function splitOptions(options, callback) {
  if (typeof options === 'function') return [{}, options]
  if (options === undefined || options === null) options = {}
  if (typeof options !== 'object') throw invalidType('options', 'of type object', options)
  if (typeof callback !== 'function') throw invalidType('callback', 'of type function', callback)
  return [options, callback]
}

/** The HTTP upgrade handshake (RFC 6455 §4), both sides. */
class Upgrade {
  /**
   * Client side: requests an upgrade of `url` (ws:// or wss://), checks the
   * 101 answer, then `callback(null, socket, { protocol, extensions, headers })`
   * with the raw socket; on any failure `callback(err)` and the socket is
   * destroyed. Options: `protocols`, `headers`, `origin`, `timeout`,
   * `perMessageDeflate` (offered unless `false`; docs/compression.md), and
   * TLS options (`ca`, `rejectUnauthorized`, ...) for wss://.
   */
  static createUpgradeRequest(url, options, callback) {
    ;[options, callback] = splitOptions(options, callback)
    let target
    try {
      target = new URL(url)
    } catch {
      throw invalidValue('url', 'a ws:// or wss:// URL', url)
    }
    if (target.protocol !== 'ws:' && target.protocol !== 'wss:') {
      throw invalidValue('url', 'a ws:// or wss:// URL', url)
    }
    const protocols = checkProtocols('options.protocols', options.protocols)
    if (
      options.headers !== undefined &&
      (options.headers === null || typeof options.headers !== 'object')
    ) {
      throw invalidType('options.headers', 'of type object', options.headers)
    }
    if (options.origin !== undefined && typeof options.origin !== 'string') {
      throw invalidType('options.origin', 'of type string', options.origin)
    }
    const timeout = options.timeout ?? HANDSHAKE_TIMEOUT
    if (typeof timeout !== 'number' || !(timeout > 0) || timeout === Infinity) {
      throw invalidValue('options.timeout', 'a positive number of milliseconds', timeout)
    }
    const deflate = checkDeflateOptions(
      'options.perMessageDeflate',
      options.perMessageDeflate,
      true,
    )

    const key = native.generateKey()
    const secure = target.protocol === 'wss:'
    const headers = {
      ...options.headers,
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Key': key,
      'Sec-WebSocket-Version': '13',
    }
    if (protocols.length > 0) headers['Sec-WebSocket-Protocol'] = protocols.join(', ')
    if (deflate !== null) headers['Sec-WebSocket-Extensions'] = native.deflateOffer(deflate)
    if (options.origin !== undefined) headers.Origin = options.origin
    const request = {
      hostname: target.hostname.replace(/^\[|\]$/g, ''),
      port: target.port || (secure ? 443 : 80),
      path: `${target.pathname}${target.search}`,
      headers,
      agent: false,
    }
    if (secure) {
      for (const name of TLS_OPTIONS) if (options[name] !== undefined) request[name] = options[name]
    }

    let settled = false
    const req = (secure ? https : http).request(request)
    const finish = (err, socket, settings) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (err) {
        req.destroy()
        if (socket) socket.destroy()
        callback(err)
      } else {
        callback(null, socket, settings)
      }
    }
    const timer = setTimeout(
      () => finish(handshakeError(`Opening handshake timed out after ${timeout} ms`)),
      timeout,
    )
    req.on('error', (err) => finish(err))
    req.on('response', (res) => {
      res.resume()
      // Node reports a 101 without `Upgrade: websocket` as a plain response.
      const message =
        res.statusCode === 101
          ? 'Invalid Upgrade header in the 101 response'
          : `Unexpected server response: ${res.statusCode}`
      finish(handshakeError(message, res.statusCode))
    })
    req.on('upgrade', (res, socket, head) => {
      const answer = res.headers
      const protocol = answer['sec-websocket-protocol']
      const extensions = answer['sec-websocket-extensions']
      let agreement = null
      let problem = null
      if (!native.headerHasToken(answer.upgrade ?? '', 'websocket'))
        problem = 'Invalid Upgrade header'
      else if (!native.headerHasToken(answer.connection ?? '', 'upgrade'))
        problem = 'Invalid Connection header'
      else if (answer['sec-websocket-accept'] !== native.acceptKey(key))
        problem = 'Invalid Sec-WebSocket-Accept header'
      else if (protocol !== undefined && !protocols.includes(protocol))
        problem = 'Server chose a subprotocol that was not offered'
      else if (extensions !== undefined && deflate === null)
        problem = 'Server chose an extension that was not offered'
      else if (extensions !== undefined) {
        try {
          agreement = native.deflateCheck(extensions, deflate)
        } catch (err) {
          problem = err.message
        }
      }
      if (problem !== null) {
        finish(handshakeError(problem, res.statusCode), socket)
        return
      }
      if (typeof socket.setNoDelay === 'function') socket.setNoDelay(true)
      if (head.length > 0) socket.unshift(head)
      const settings = { protocol: protocol ?? '', extensions: {}, headers: answer }
      if (agreement !== null) agree(settings, agreement, deflate)
      remember(socket, settings)
      finish(null, socket, settings)
    })
    req.end()
  }

  /**
   * Server side, for an `http.Server`'s 'upgrade' event: validates the
   * request, answers 101 (choosing a subprotocol from `options.protocols`,
   * the server's order of preference, and accepting permessage-deflate
   * unless `options.perMessageDeflate` is `false`) and calls
   * `callback(null, socket, { protocol, extensions, headers })`; or answers
   * 400 / 426 with a reason, destroys the socket and calls `callback(err)`.
   */
  static handleUpgradeRequest(request, socket, options, callback) {
    ;[options, callback] = splitOptions(options, callback)
    if (request === null || typeof request !== 'object' || typeof request.headers !== 'object') {
      throw invalidType('request', 'an http.IncomingMessage', request)
    }
    if (socket === null || typeof socket !== 'object' || typeof socket.write !== 'function') {
      throw invalidType('socket', 'a Duplex stream', socket)
    }
    const supported = checkProtocols('options.protocols', options.protocols)
    const deflate = checkDeflateOptions(
      'options.perMessageDeflate',
      options.perMessageDeflate,
      false,
    )
    const fail = (status, reason, headers) => {
      refuse(socket, status, reason, headers)
      callback(handshakeError(reason, status))
    }
    const h = request.headers
    if (request.method !== 'GET') return fail(400, 'The opening handshake must be a GET request')
    if (
      request.httpVersionMajor < 1 ||
      (request.httpVersionMajor === 1 && request.httpVersionMinor < 1)
    ) {
      return fail(400, 'The opening handshake needs HTTP/1.1 or later')
    }
    if (!native.headerHasToken(h.upgrade ?? '', 'websocket'))
      return fail(400, 'Missing or invalid Upgrade header')
    if (!native.headerHasToken(h.connection ?? '', 'upgrade'))
      return fail(400, 'Missing or invalid Connection header')
    const key = h['sec-websocket-key']
    if (typeof key !== 'string' || !native.isValidKey(key.trim())) {
      return fail(400, 'Missing or invalid Sec-WebSocket-Key header')
    }
    if (h['sec-websocket-version'] !== '13') {
      return fail(426, 'Unsupported Sec-WebSocket-Version: only 13 is', {
        'Sec-WebSocket-Version': '13',
      })
    }
    let protocol = ''
    if (h['sec-websocket-protocol'] !== undefined) {
      const chosen = native.selectProtocol(h['sec-websocket-protocol'], supported)
      if (chosen === null) return fail(400, 'Invalid Sec-WebSocket-Protocol header')
      protocol = chosen
    }
    let agreement = null
    if (deflate !== null && h['sec-websocket-extensions'] !== undefined) {
      try {
        agreement = native.deflateAccept(h['sec-websocket-extensions'], deflate)
      } catch (err) {
        return fail(400, err.message)
      }
    }
    if (!socket.writable) {
      socket.destroy()
      return callback(handshakeError('The connection closed during the opening handshake'))
    }
    const lines = [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${native.acceptKey(key.trim())}`,
    ]
    if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`)
    if (agreement !== null) lines.push(`Sec-WebSocket-Extensions: ${agreement.header}`)
    socket.write(`${lines.join('\r\n')}\r\n\r\n`)
    if (typeof socket.setNoDelay === 'function') socket.setNoDelay(true)
    const settings = { protocol, extensions: {}, headers: h }
    if (agreement !== null) agree(settings, agreement, deflate)
    remember(socket, settings)
    return callback(null, socket, settings)
  }
}

module.exports = Upgrade
module.exports.negotiated = negotiated
