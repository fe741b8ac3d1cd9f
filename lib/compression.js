'use strict'

// permessage-deflate (RFC 7692) on the JS side: the `perMessageDeflate`
// option, and what a socket needs to compress. Negotiation, inflating and
// deflating are Rust's (src/binding/deflate.rs, the Receiver).

const native = require('./native')
const { invalidType, invalidValue } = require('./errors')

// The settings of a negotiated extension, kept with a handshake's settings
// for the Socket made from it: { agreement, level, memLevel, threshold }.
const kDeflate = Symbol('websockets.deflate')

// The defaults docs/compression.md documents and justifies. A server
// compresses each message on its own by default (one shared compressor,
// no 256 KiB of zlib state per socket, broadcasts compressed once); a
// client asks nothing of the server beyond the extension itself.
const DEFAULTS = {
  serverNoContextTakeover: true,
  clientNoContextTakeover: false,
  serverMaxWindowBits: undefined,
  clientMaxWindowBits: undefined,
  level: 6,
  memLevel: 8,
  threshold: 1024,
}
const CLIENT_DEFAULTS = { ...DEFAULTS, serverNoContextTakeover: false }

const BOOLEANS = ['serverNoContextTakeover', 'clientNoContextTakeover']
const WINDOWS = ['serverMaxWindowBits', 'clientMaxWindowBits']
const KNOWN = new Set(Object.keys(DEFAULTS))

/**
 * `perMessageDeflate` checked: `false` is off, `true` or `undefined` the
 * defaults (`client`: those of a client), an object overrides them.
 * Returns null (off) or the settings.
 */
function checkDeflateOptions(name, value, client) {
  const defaults = client ? CLIENT_DEFAULTS : DEFAULTS
  if (value === false) return null
  if (value === undefined || value === true) return { ...defaults }
  if (value === null || typeof value !== 'object') {
    throw invalidType(name, 'a boolean or an object', value)
  }
  const options = { ...defaults }
  for (const [key, given] of Object.entries(value)) {
    if (!KNOWN.has(key)) throw invalidValue(name, `free of unknown keys`, key)
    if (given === undefined) continue
    const path = `${name}.${key}`
    if (BOOLEANS.includes(key) && typeof given !== 'boolean') {
      throw invalidType(path, 'of type boolean', given)
    }
    if (!BOOLEANS.includes(key) && typeof given !== 'number') {
      throw invalidType(path, 'of type number', given)
    }
    if (WINDOWS.includes(key) && !(Number.isInteger(given) && given >= 8 && given <= 15)) {
      throw invalidValue(path, 'an integer from 8 to 15', given)
    }
    if (key === 'level' && !(Number.isInteger(given) && given >= 0 && given <= 9)) {
      throw invalidValue(path, 'an integer from 0 to 9', given)
    }
    if (key === 'memLevel' && !(Number.isInteger(given) && given >= 1 && given <= 9)) {
      throw invalidValue(path, 'an integer from 1 to 9', given)
    }
    if (key === 'threshold' && !(given >= 0)) throw invalidValue(path, '>= 0', given)
    options[key] = given
  }
  return options
}

/** The parameters the handshake shows as `extensions['permessage-deflate']`. */
function shown(agreement) {
  return {
    serverNoContextTakeover: agreement.serverNoContextTakeover,
    clientNoContextTakeover: agreement.clientNoContextTakeover,
    serverMaxWindowBits: agreement.serverMaxWindowBits,
    clientMaxWindowBits: agreement.clientMaxWindowBits,
  }
}

/**
 * Records an agreement on a handshake's `settings`: the public
 * `extensions` and the private codec settings.
 */
function agree(settings, agreement, options) {
  settings.extensions = { 'permessage-deflate': shown(agreement) }
  const { level, memLevel, threshold } = options
  settings[kDeflate] = { agreement, level, memLevel, threshold }
}

/**
 * What a Socket in `mode` (0 server, 1 client) compresses with, or null:
 * `{ deflate, threshold, shareKey }`. `shareKey` is set when every message
 * starts from an empty context, so another socket with the same key can be
 * sent the same compressed bytes (Server.broadcast).
 */
function compressionOf(deflateSettings, mode) {
  if (deflateSettings === undefined || deflateSettings === null) return null
  const { agreement, level, memLevel, threshold } = deflateSettings
  const deflate = new native.Deflate(agreement, mode, level, memLevel)
  if (!deflate.usable) return null
  const bits = deflate.sharedWindowBits
  return { deflate, threshold, shareKey: bits === null ? null : `${bits}/${level}/${memLevel}` }
}

module.exports = { kDeflate, checkDeflateOptions, agree, compressionOf }
