'use strict'

// One message to many sockets (Server.broadcast, write and publish): the
// frame encoded once and the same bytes written to each socket. With
// permessage-deflate, a whole message is compressed once for all sockets
// that compress each message on its own with the same window and level (the
// same share key); a socket that keeps its context compresses it itself.

const native = require('./native')
const SharedFragment = require('./shared-fragment')
const { bytesOf, encode } = require('./frames')
const { invalidType, invalidValue } = require('./errors')

const { kSendFrame, kSendWhole, kShareKey, kCompressed, kStreamShared } = require('./keys')

const TEXT = 0x1
const BINARY = 0x2

class FanOut {
  #sockets
  // write()'s SharedFragments of this tick, by share key.
  #fragments = new Map()

  /** `sockets`: the Server's live Set of open sockets. */
  constructor(sockets) {
    this.#sockets = sockets
  }

  /** Server.broadcast: one frame with the given head (docs/server.md) to every socket. */
  broadcast(head, message) {
    if (head === undefined || head === null) head = {}
    if (typeof head !== 'object') throw invalidType('head', 'of type object', head)
    const bytes = bytesOf('message', message)
    const opcode = head.opcode ?? (bytes === null ? TEXT : BINARY)
    const fin = head.fin ?? true
    const frame = encode(opcode | (fin ? native.FLAG_FIN : 0), bytes ?? message)
    if (typeof frame === 'number') {
      throw invalidValue(
        'head',
        'a valid frame head (control frames: fin and at most 125 bytes)',
        JSON.stringify(head),
      )
    }
    if (fin && (opcode === TEXT || opcode === BINARY)) {
      this.whole(this.#sockets, opcode, bytes ?? message, frame)
    } else {
      for (const ws of this.#sockets) ws[kSendFrame](frame)
    }
  }

  /**
   * A whole data message (opcode TEXT or BINARY, `data` a string or bytes)
   * to each of `sockets`; `frame`: its uncompressed frame, if already made.
   */
  whole(sockets, opcode, data, frame = null) {
    const flags = opcode | native.FLAG_FIN
    // Compressed frames by share key, made for the first socket with that key.
    let compressedFrames = null
    for (const ws of sockets) {
      const key = ws[kShareKey]
      let shared
      if (key === '') {
        shared = frame ??= encode(flags, data)
      } else if (key === null) {
        ws[kSendWhole](flags, data)
        continue
      } else {
        compressedFrames ??= new Map()
        shared = compressedFrames.get(key)
        if (shared === undefined) {
          const payload = ws[kCompressed](data)
          shared =
            payload === null
              ? (frame ??= encode(flags, data))
              : encode(flags | native.FLAG_RSV1, payload)
          compressedFrames.set(key, shared)
        }
      }
      ws[kSendFrame](shared)
    }
  }

  /** Server.write: streams `chunk` to every socket; an empty chunk ends the stream. */
  write(chunk) {
    const bytes = bytesOf('chunk', chunk)
    const length = bytes === null ? chunk.length : bytes.length
    if (length === 0) {
      this.#fragments.clear()
      for (const ws of this.#sockets) ws.stream()
      return
    }
    const text = bytes === null
    let data = bytes
    const added = new Set()
    for (const ws of this.#sockets) {
      const key = ws[kShareKey]
      if (key === '' || key === null) {
        ws.stream(chunk)
        continue
      }
      let fragment = this.#fragments.get(key)
      if (fragment === undefined || fragment.sealed) {
        fragment = new SharedFragment()
        if (this.#fragments.size === 0) queueMicrotask(() => this.#fragments.clear())
        this.#fragments.set(key, fragment)
      }
      if (!added.has(fragment)) {
        data ??= Buffer.from(chunk)
        fragment.add(data)
        added.add(fragment)
      }
      ws[kStreamShared](fragment, text)
    }
  }
}

module.exports = FanOut
