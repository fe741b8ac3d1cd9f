'use strict'

// Redis pub/sub as the bus (docs/scaling.md): several processes or
// machines, each Server with a RedisAdapter on the same Redis. A topic is
// the channel `prefix + topic`; a process subscribes to the channels of the
// topics someone there subscribed to. Through ioredis (an optional peer
// dependency): it delivers channel messages as Buffers and reconnects by
// itself.

const { randomBytes } = require('node:crypto')

const Adapter = require('./adapter')
const { busDownError, invalidType } = require('../errors')

// A message on the channel: [opcode][8-byte publisher id][payload]. The id
// lets a process skip its own publishes, which it delivered itself.
const HEAD = 9
const ID_BYTES = 8

// Reconnection backoff, ms: doubling from the first to the last.
const RETRY_FIRST = 50
const RETRY_LAST = 2000

class RedisAdapter extends Adapter {
  #prefix
  // The prefix's length in a channel name's bytes.
  #prefixBytes
  #id = randomBytes(ID_BYTES)
  #pub
  #sub
  // Topics with subscribers here: subscribed again whenever the
  // subscriber connection is ready, so a reconnect restores them.
  #topics = new Set()
  // null until the first 'up' or 'down': each event is emitted on a change.
  #up = null
  #closed = false

  /**
   * @param {object} [options] `url` (default `redis://127.0.0.1:6379`), `prefix` of
   *   the channel names (default `'websockets:'`), `redis`: more ioredis options,
   *   `maxPending`: bytes of publishes Redis has not answered yet (64 MiB).
   */
  constructor(options = {}) {
    super(options)
    const { url = 'redis://127.0.0.1:6379', prefix = 'websockets:', redis = {} } = options
    if (typeof url !== 'string') throw invalidType('options.url', 'of type string', url)
    if (typeof prefix !== 'string') throw invalidType('options.prefix', 'of type string', prefix)
    if (redis === null || typeof redis !== 'object') {
      throw invalidType('options.redis', 'of type object', redis)
    }
    const Redis = loadIoredis()
    this.#prefix = prefix
    this.#prefixBytes = Buffer.byteLength(prefix)
    const settings = {
      // A publish while Redis is unreachable fails now instead of queuing
      // without bound and arriving late.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // We subscribe again ourselves, from #topics, on every 'ready'.
      autoResubscribe: false,
      retryStrategy: (times) => Math.min(RETRY_FIRST * 2 ** (times - 1), RETRY_LAST),
      ...redis,
    }
    this.#pub = new Redis(url, settings)
    this.#sub = new Redis(url, settings)
    for (const client of [this.#pub, this.#sub]) {
      client.on('ready', this.#onReady)
      client.on('error', this.#onError)
      client.on('close', this.#onClose)
    }
    this.#sub.on('messageBuffer', this.#onMessage)
  }

  publish(topic, opcode, data) {
    const text = typeof data === 'string'
    const message = Buffer.allocUnsafe(HEAD + (text ? Buffer.byteLength(data) : data.length))
    message[0] = opcode
    this.#id.copy(message, 1)
    if (text) message.write(data, HEAD)
    else message.set(data, HEAD)
    return this.bounded(message.length, () =>
      this.#pub.publish(this.#prefix + topic, message).then(
        () => undefined,
        (err) => {
          throw busDownError(err)
        },
      ),
    )
  }

  subscribe(topic) {
    this.#topics.add(topic)
    if (this.#sub.status === 'ready') this.#sub.subscribe(this.#prefix + topic).catch(ignore)
  }

  unsubscribe(topic) {
    this.#topics.delete(topic)
    if (this.#sub.status === 'ready') this.#sub.unsubscribe(this.#prefix + topic).catch(ignore)
  }

  async close() {
    this.#closed = true
    await Promise.all([this.#pub, this.#sub].map((client) => client.quit().catch(ignore)))
    for (const client of [this.#pub, this.#sub]) client.disconnect()
  }

  #onReady = () => {
    if (this.#closed) return
    if (this.#sub.status !== 'ready' || this.#pub.status !== 'ready') return
    const channels = [...this.#topics].map((topic) => this.#prefix + topic)
    const subscribed = channels.length > 0 ? this.#sub.subscribe(...channels) : Promise.resolve()
    subscribed.then(() => {
      if (this.#up || this.#closed) return
      this.#up = true
      this.emit('up')
    }, ignore)
  }

  #onError = (err) => this.#down(err)

  #onClose = () => this.#down(new Error('the connection to Redis closed'))

  #down(err) {
    if (this.#up === false || this.#closed) return
    this.#up = false
    this.emit('down', busDownError(err))
  }

  #onMessage = (channel, message) => {
    // Anything on our channels that is not ours in shape is skipped.
    if (message.length < HEAD || (message[0] !== 1 && message[0] !== 2)) return
    if (this.#id.equals(message.subarray(1, HEAD))) return
    const topic = channel.toString('utf8', this.#prefixBytes)
    this.deliver(topic, message[0], message.subarray(HEAD))
  }
}

function ignore() {}

function loadIoredis() {
  try {
    return require('ioredis')
  } catch (err) {
    if (err.code !== 'MODULE_NOT_FOUND') throw err
    throw new Error(
      'websockets: the Redis adapter needs the ioredis package: npm install ioredis',
      {
        cause: err,
      },
    )
  }
}

module.exports = RedisAdapter
