'use strict'

// Who subscribed to what on one Server (docs/server.md, "Topics"). The
// Server builds a published message's frame once and writes it to the
// sockets this answers for; an adapter hears when a topic gains its first
// local subscriber or loses its last, so a bus sends a process only the
// topics someone there wants.

const { invalidType, invalidValue } = require('./errors')
const { kTopics } = require('./keys')

class Topics {
  // topic -> Set of sockets
  #subscribers = new Map()
  // socket -> Set of topics; a socket with none has no entry.
  #topicsOf = new Map()
  #onFirst
  #onLast

  /** `onFirst(topic)` / `onLast(topic)`: a topic gained its first subscriber, lost its last. */
  constructor(onFirst, onLast) {
    this.#onFirst = onFirst
    this.#onLast = onLast
  }

  /** Whether `ws` was newly subscribed. */
  subscribe(ws, topic) {
    checkTopic('topic', topic)
    let topics = this.#topicsOf.get(ws)
    if (topics?.has(topic)) return false
    if (topics === undefined) {
      topics = new Set()
      this.#topicsOf.set(ws, topics)
    }
    topics.add(topic)
    const sockets = this.#subscribers.get(topic)
    if (sockets === undefined) {
      this.#subscribers.set(topic, new Set([ws]))
      this.#onFirst(topic)
    } else {
      sockets.add(ws)
    }
    return true
  }

  /** Whether `ws` had been subscribed. */
  unsubscribe(ws, topic) {
    checkTopic('topic', topic)
    const topics = this.#topicsOf.get(ws)
    if (topics === undefined || !topics.delete(topic)) return false
    if (topics.size === 0) this.#topicsOf.delete(ws)
    this.#leave(ws, topic)
    return true
  }

  /** A socket closed: it leaves every topic. */
  removeAll(ws) {
    const topics = this.#topicsOf.get(ws)
    if (topics === undefined) return
    this.#topicsOf.delete(ws)
    for (const topic of topics) this.#leave(ws, topic)
  }

  #leave(ws, topic) {
    const sockets = this.#subscribers.get(topic)
    sockets.delete(ws)
    if (sockets.size > 0) return
    this.#subscribers.delete(topic)
    this.#onLast(topic)
  }

  /** The sockets subscribed to `topic`, or undefined: a live Set, not to be changed. */
  subscribersOf(topic) {
    return this.#subscribers.get(topic)
  }

  has(ws, topic) {
    return this.#topicsOf.get(ws)?.has(topic) ?? false
  }

  topicsOf(ws) {
    const topics = this.#topicsOf.get(ws)
    return topics === undefined ? [] : [...topics]
  }

  /** Topics with at least one subscriber here. */
  get names() {
    return [...this.#subscribers.keys()]
  }
}

/** A topic is a non-empty string. */
function checkTopic(name, topic) {
  if (typeof topic !== 'string') throw invalidType(name, 'of type string', topic)
  if (topic.length === 0) throw invalidValue(name, 'a non-empty string', "''")
}

/** The registry of the Server that opened `ws`. */
function registryOf(ws) {
  const topics = ws[kTopics]
  if (topics !== null) return topics
  const err = new Error('websockets: topics belong to a Server: this Socket was not opened by one')
  err.code = 'ERR_INVALID_STATE'
  throw err
}

// A Socket's topic methods (docs/socket.md): they need nothing of the Socket
// but the registry its Server set (kTopics), so they live with it.
const socketMethods = {
  /** Subscribes to `topic` (Server.publish); returns false if already subscribed or closed. */
  subscribe(topic) {
    return this.readyState !== 3 && registryOf(this).subscribe(this, topic)
  },

  /** Leaves `topic`; returns whether it was subscribed. */
  unsubscribe(topic) {
    return registryOf(this).unsubscribe(this, topic)
  },

  isSubscribed(topic) {
    return registryOf(this).has(this, topic)
  },

  /** The topics subscribed to. */
  get topics() {
    return this[kTopics]?.topicsOf(this) ?? []
  },
}

/** Adds the topic methods to `prototype` (Socket's), as a class body would: not enumerable. */
function addTopicMethods(prototype) {
  for (const [name, descriptor] of Object.entries(
    Object.getOwnPropertyDescriptors(socketMethods),
  )) {
    Object.defineProperty(prototype, name, { ...descriptor, enumerable: false })
  }
}

module.exports = Topics
module.exports.checkTopic = checkTopic
module.exports.addTopicMethods = addTopicMethods
