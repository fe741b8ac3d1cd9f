'use strict'

// Who may connect to a Server (docs/server.md): an `origins` allow-list
// against cross-site WebSocket hijacking, and `verifyRequest`, the
// application's own check (a token, a cookie) before the 101.

const native = require('./native')
const { refuse } = require('./refuse')
const { invalidType, invalidValue } = require('./errors')

/** A refusal: the HTTP status, a one-line body and extra headers. */
function refusal(status, reason, headers = {}) {
  return { status, reason, headers }
}

const FORBIDDEN = refusal(403, 'Forbidden')

class Admission {
  #origins = null
  #verify = null
  /** Requests being verified: each holds a slot of maxConnections. */
  verifying = 0

  /** `origins`: allowed Origin values (or undefined); `verifyRequest`: a function (or undefined). */
  constructor(origins, verifyRequest) {
    if (origins !== undefined) {
      if (!Array.isArray(origins) || origins.some((o) => typeof o !== 'string')) {
        throw invalidType('options.origins', 'an array of strings', origins)
      }
      this.#origins = new Set(origins.map(serializedOrigin))
    }
    if (verifyRequest !== undefined) {
      if (typeof verifyRequest !== 'function') {
        throw invalidType('options.verifyRequest', 'of type function', verifyRequest)
      }
      this.#verify = verifyRequest
    }
  }

  /** Whether `verifyRequest` must run (asynchronously) before the 101. */
  get verifies() {
    return this.#verify !== null
  }

  /**
   * The refusal for a request whose Origin is not allowed, or null. A request
   * without Origin comes from no browser, so no page can have sent it.
   */
  byOrigin(request) {
    if (this.#origins === null) return null
    const origin = request.headers.origin
    if (origin === undefined || this.#origins.has(origin)) return null
    return refusal(403, 'Origin not allowed')
  }

  /**
   * Runs verifyRequest within `timeout` ms, holding a connection slot
   * meanwhile, so slow checks can neither pile up past maxConnections nor
   * keep a socket forever: past it the request gets 503 here. `done(verdict)`
   * as `verify` resolves it (after the timeout, only to report an error).
   */
  verifyWithin(timeout, request, socket, done) {
    this.verifying++
    let settled = false
    const settle = () => {
      if (settled) return false
      settled = true
      this.verifying--
      clearTimeout(timer)
      return true
    }
    const timer = setTimeout(() => {
      if (settle()) refuse(socket, 503, 'The request was not verified in time')
    }, timeout).unref()
    // A late verdict still reports its error; the refused socket takes nothing.
    this.verify(request).then((verdict) => {
      if (settle() || verdict?.error !== undefined) done(verdict)
    })
  }

  /**
   * Runs `verifyRequest(request)`: resolves to null to accept, or to a
   * refusal. A verdict that is none of those, or a throw, is a 500 with the
   * error to report (`error`).
   */
  async verify(request) {
    let verdict
    try {
      verdict = await this.#verify(request)
    } catch (err) {
      return { ...refusal(500, 'Internal Server Error'), error: err }
    }
    if (verdict === true) return null
    if (verdict === false) return FORBIDDEN
    try {
      return refusalOf(verdict)
    } catch (err) {
      return { ...refusal(500, 'Internal Server Error'), error: err }
    }
  }
}

/** `{ status, headers?, reason? }` from verifyRequest, checked: a refusal. */
function refusalOf(verdict) {
  if (verdict === null || typeof verdict !== 'object') {
    throw invalidType('verifyRequest() result', 'true, false or { status, headers }', verdict)
  }
  const { status, headers = {}, reason } = verdict
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw invalidValue('verifyRequest() result status', 'an HTTP error status (400-599)', status)
  }
  if (headers === null || typeof headers !== 'object') {
    throw invalidType('verifyRequest() result headers', 'of type object', headers)
  }
  for (const [name, value] of Object.entries(headers)) {
    // No header injection: a token name, a value without line breaks.
    if (!native.isToken(name)) throw invalidValue('verifyRequest() header name', 'a token', name)
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      throw invalidValue(`verifyRequest() header ${name}`, 'a string without line breaks', value)
    }
  }
  if (reason !== undefined && (typeof reason !== 'string' || /[\r\n]/.test(reason))) {
    throw invalidValue('verifyRequest() result reason', 'one line of text', reason)
  }
  return refusal(status, reason ?? 'Refused', headers)
}

/** An allowed origin as browsers send it: scheme://host[:port], lower case, no path. */
function serializedOrigin(origin) {
  if (origin === 'null') return origin
  try {
    return new URL(origin).origin
  } catch {
    throw invalidValue('options.origins', 'origins such as https://example.com', origin)
  }
}

module.exports = Admission
