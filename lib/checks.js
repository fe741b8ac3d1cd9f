'use strict'

// Argument checks shared by the public classes: types and JS-level ranges
// only. Whether a value is allowed by the protocol is Rust's to answer.

const native = require('./native')
const { invalidType, invalidValue } = require('./errors')

function checkSource(source) {
  if (
    source === null ||
    typeof source !== 'object' ||
    typeof source.write !== 'function' ||
    typeof source.on !== 'function' ||
    typeof source.end !== 'function'
  ) {
    throw invalidType('source', 'a Duplex stream', source)
  }
}

function checkObject(name, value) {
  if (value === null || typeof value !== 'object') throw invalidType(name, 'of type object', value)
}

function checkBoolean(name, value) {
  if (value !== undefined && typeof value !== 'boolean') {
    throw invalidType(name, 'of type boolean', value)
  }
}

/** The data opcode option: 0x01 or 0x02, or undefined. */
function checkOpcode(name, value) {
  if (value === undefined) return
  if (typeof value !== 'number') throw invalidType(name, 'of type number', value)
  if (value !== 0x1 && value !== 0x2)
    throw invalidValue(name, '0x01 (text) or 0x02 (binary)', value)
}

/** A number >= 0 (> 0 unless `allowZero`); returns `fallback` for undefined. */
function checkLimit(name, value, allowZero, fallback) {
  if (value === undefined) return fallback
  if (typeof value !== 'number') throw invalidType(name, 'of type number', value)
  if (Number.isNaN(value) || value < 0 || (!allowZero && value === 0)) {
    throw invalidValue(name, allowZero ? '>= 0' : '> 0', value)
  }
  return value
}

/** A timer interval in ms: a finite number >= 0, 0 for none. */
function checkInterval(name, value) {
  checkLimit(name, value, true)
  if (value === Infinity) throw invalidValue(name, 'a finite number of milliseconds', value)
  return value
}

/** Subprotocol names: a string or a list of distinct tokens. Returns the list. */
function checkProtocols(name, protocols) {
  if (protocols === undefined) return []
  const list = typeof protocols === 'string' ? [protocols] : protocols
  if (!Array.isArray(list) || list.some((p) => typeof p !== 'string')) {
    throw invalidType(name, 'a string or an array of strings', protocols)
  }
  const bad = list.find((p) => !native.isToken(p))
  if (bad !== undefined) throw invalidValue(name, 'made of valid tokens', JSON.stringify(bad))
  if (new Set(list).size !== list.length) {
    throw invalidValue(name, 'free of duplicates', JSON.stringify(list))
  }
  return list
}

/** A Socket's options (docs/socket.md), checked; `{}` for undefined. */
function checkSocketOptions(options) {
  if (options === undefined) return {}
  checkObject('options', options)
  checkBoolean('options.mask', options.mask)
  checkOpcode('options.opcode', options.opcode)
  checkLimit('options.streamThreshold', options.streamThreshold, true)
  checkLimit('options.maxPayload', options.maxPayload, false)
  checkLimit('options.maxFragments', options.maxFragments, false)
  checkLimit('options.maxBackpressure', options.maxBackpressure, true)
  checkInterval('options.closeTimeout', options.closeTimeout)
  checkInterval('options.heartbeat', options.heartbeat)
  return options
}

/** A Server's `port` and `host` options: `host` only with `port`. */
function checkListenOptions(options) {
  const { port, host } = options
  if (host !== undefined && typeof host !== 'string') {
    throw invalidType('options.host', 'of type string', host)
  }
  if (port !== undefined) {
    if (typeof port !== 'number') throw invalidType('options.port', 'of type number', port)
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw invalidValue('options.port', 'an integer from 0 to 65535', port)
    }
  } else if (host !== undefined) {
    throw invalidValue('options.host', 'given only with options.port', host)
  }
}

module.exports = {
  checkSource,
  checkObject,
  checkBoolean,
  checkOpcode,
  checkLimit,
  checkInterval,
  checkProtocols,
  checkSocketOptions,
  checkListenOptions,
}
