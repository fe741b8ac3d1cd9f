'use strict'

const native = require('./native')

/**
 * A protocol violation by the peer. `code` names it (`WS_ERR_*`, as in ws);
 * `closeCode` is the close code the connection was failed with.
 */
class WebSocketError extends Error {
  constructor(message, code, closeCode) {
    super(message)
    this.name = 'WebSocketError'
    this.code = code
    this.closeCode = closeCode
  }

  /** The error the native Receiver reported as (kind, detail) words. */
  static fromNative(kind, detail) {
    const info = native.errorInfo(kind, detail)
    return new WebSocketError(info.message, info.code, info.closeCode)
  }
}

// The closes the library decides itself (docs/errors.md), as the errors it
// fails the socket with: the message is also the close reason.

/** The peer left more than `limit` bytes unread. */
function backpressureError(limit) {
  return new WebSocketError(
    `The peer left more than maxBackpressure (${limit}) bytes unread`,
    'WS_ERR_BACKPRESSURE',
    1008,
  )
}

/** No pong came within the heartbeat interval. */
function heartbeatError() {
  return new WebSocketError(
    'No pong within the heartbeat interval',
    'WS_ERR_HEARTBEAT_TIMEOUT',
    1001,
  )
}

/** The socket held the most when its Server passed `memoryBudget`. */
function budgetError() {
  return new WebSocketError('Server memory budget exceeded', 'WS_ERR_MEMORY_BUDGET', 1008)
}

/** An adapter could not hand a published message to its bus. */
function busDownError(cause) {
  const err = new WebSocketError(
    `The message bus is unreachable: ${cause?.message ?? cause}`,
    'WS_ERR_BUS_DOWN',
    undefined,
  )
  if (cause !== undefined) err.cause = cause
  return err
}

function describe(value) {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`
  if (typeof value === 'object') {
    return value.constructor && value.constructor.name
      ? `an instance of ${value.constructor.name}`
      : 'an object'
  }
  let shown = String(value)
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`
  if (typeof value === 'string') shown = `'${shown}'`
  return `type ${typeof value} (${shown})`
}

/** A caller passed a value of the wrong type: Node's wording and code. */
function invalidType(name, expected, value) {
  const err = new TypeError(
    `The "${name}" argument must be ${expected}. Received ${describe(value)}`,
  )
  err.code = 'ERR_INVALID_ARG_TYPE'
  return err
}

/** A caller passed a value of the right type that is not allowed. */
function invalidValue(name, expected, value) {
  const err = new RangeError(
    `The "${name}" argument must be ${expected}. Received ${String(value)}`,
  )
  err.code = 'ERR_OUT_OF_RANGE'
  return err
}

module.exports = {
  WebSocketError,
  backpressureError,
  heartbeatError,
  budgetError,
  busDownError,
  invalidType,
  invalidValue,
}
