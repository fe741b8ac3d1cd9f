'use strict'

const native = require('./native')
const OrderedDuplex = require('./ordered-duplex')
const Decoding = require('./decoding')
const { WebSocketError, invalidType, invalidValue } = require('./errors')
const { HEADROOM, writeFrame } = require('./frames')
const { checkSource, checkObject, checkBoolean, checkOpcode } = require('./checks')
const { kRecord, kSourceData } = require('./keys')

const {
  EVENT_HEAD,
  EVENT_PAYLOAD,
  EVENT_DONE,
  EVENT_ERROR,
  HEAD_FIN,
  HEAD_RSV1,
  HEAD_RSV2,
  HEAD_RSV3,
  HEAD_MASK,
  FLAG_FIN,
  FLAG_RSV1,
  FLAG_MASK,
  FLAG_KEY,
} = native

const FRAMES = 2

function checkHead(head) {
  checkObject('head', head)
  for (const name of ['fin', 'rsv1', 'mask']) checkBoolean(`head.${name}`, head[name])
  if (
    head.opcode !== undefined &&
    (!Number.isInteger(head.opcode) || head.opcode < 0 || head.opcode > 15)
  ) {
    throw invalidValue('head.opcode', 'an integer from 0 to 15', head.opcode)
  }
  if (head.length !== undefined && (!Number.isSafeInteger(head.length) || head.length < 0)) {
    throw invalidValue('head.length', 'a non-negative safe integer', head.length)
  }
  if (
    head.masking !== undefined &&
    !(ArrayBuffer.isView(head.masking) && head.masking.byteLength === 4)
  ) {
    throw invalidType('head.masking', 'a Buffer of 4 bytes', head.masking)
  }
}

/**
 * The frame layer (docs/stream.md): `writeHead()` then payload writes go
 * out; incoming frames raise 'head', their payload is readable, and 'done'
 * ends each.
 */
class Stream extends OrderedDuplex {
  #source
  #decoding = new Decoding(FRAMES)
  #mask
  #opcode
  #nextHead = null
  // The frame being written: payload bytes still owed, and its masking.
  #remaining = 0
  #key = 0
  #masked = false
  #phase = 0
  #failed = false

  /**
   * @param {import('node:stream').Duplex} source the raw connection
   * @param {object} [options] `mask`, `opcode`
   */
  constructor(source, options = {}) {
    checkSource(source)
    checkObject('options', options)
    checkBoolean('options.mask', options.mask)
    checkOpcode('options.opcode', options.opcode)
    super(source)
    this.#source = source
    this.#mask = options.mask === true
    this.#opcode = options.opcode ?? 1
    this._listen()
    source.on('end', () => this.push(null))
    source.on('error', (err) => this.destroy(err))
    source.on('close', () => this.destroy())
  }

  /** Sets the head of the next frame written. */
  writeHead(head) {
    checkHead(head)
    this.#nextHead = head
  }

  #startFrame(chunkLength) {
    const head = this.#nextHead ?? {}
    this.#nextHead = null
    const length = head.length ?? chunkLength
    let flags =
      (head.opcode ?? this.#opcode) | (head.fin ? FLAG_FIN : 0) | (head.rsv1 ? FLAG_RSV1 : 0)
    let key = 0
    if (head.masking !== undefined) {
      flags |= FLAG_KEY
      key = Buffer.from(head.masking.buffer, head.masking.byteOffset, 4).readUInt32BE(0)
    } else if (head.mask ?? this.#mask) {
      flags |= FLAG_MASK
    }
    const header = Buffer.allocUnsafe(HEADROOM)
    const n = native.header(header, flags, length, key)
    if (n < 0)
      throw invalidValue(
        'head',
        'a valid frame head (control frames: fin and at most 125 bytes)',
        JSON.stringify(head),
      )
    this.#masked = (flags & (FLAG_KEY | FLAG_MASK)) !== 0
    this.#key = this.#masked ? header.readUInt32BE(n - 4) : 0
    this.#phase = 0
    this.#remaining = length
    return header.subarray(0, n)
  }

  _write(chunk, encoding, callback) {
    const parts = []
    let offset = 0
    try {
      do {
        if (this.#remaining === 0) parts.push(this.#startFrame(chunk.length - offset))
        const take = Math.min(this.#remaining, chunk.length - offset)
        let payload = chunk.subarray(offset, offset + take)
        if (this.#masked && take > 0) {
          payload = Buffer.from(payload)
          this.#phase = native.mask(payload, this.#key, this.#phase)
        }
        if (take > 0) parts.push(payload)
        this.#remaining -= take
        offset += take
      } while (offset < chunk.length)
    } catch (err) {
      callback(err)
      return
    }
    if (writeFrame(this.#source, parts.length === 1 ? parts[0] : parts)) callback()
    else this.#source.once('drain', callback)
  }

  _final(callback) {
    this.#source.end(callback)
  }

  /** A chunk from the source (see OrderedDuplex._listen). */
  [kSourceData](chunk) {
    if (!this.#failed) this.#decoding.feed(chunk, this)
  }

  /** A record of a read (see Decoding.feed). */
  [kRecord](buf, first, a, b, c) {
    switch (first & 0xff) {
      case EVENT_HEAD: {
        const masked = (first & HEAD_MASK) !== 0
        let masking = null
        if (masked) {
          masking = Buffer.allocUnsafe(4)
          masking.writeUInt32BE(c >>> 0, 0)
        }
        this._order([
          'head',
          {
            fin: (first & HEAD_FIN) !== 0,
            rsv1: (first & HEAD_RSV1) !== 0,
            rsv2: (first & HEAD_RSV2) !== 0,
            rsv3: (first & HEAD_RSV3) !== 0,
            opcode: (first >> 8) & 0xf,
            mask: masked,
            masking,
            length: b * 2 ** 32 + a,
          },
        ])
        break
      }
      case EVENT_PAYLOAD:
        this._order(['data', buf.subarray(a, b)])
        break
      case EVENT_DONE:
        this._order(['done'])
        break
      case EVENT_ERROR:
        this.#failed = true
        this._order(['error', WebSocketError.fromNative(a, b)])
        break
      default:
        break
    }
  }

  _deliver([kind, value]) {
    switch (kind) {
      case 'head':
        this.emit('head', value)
        break
      case 'data':
        this._pushPayload(value)
        break
      case 'done':
        this._afterReaders(this.#emitDone)
        break
      default:
        if (this.listenerCount('error') > 0) this.emit('error', value)
        this.#source.destroy()
    }
  }

  #emitDone = () => this.emit('done')
}

module.exports = Stream
