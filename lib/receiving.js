'use strict'

// A Socket's incoming side: each chunk from the source decoded in Rust, and
// each record delivered in order as the Socket's events, its readable
// side's bytes, or what the protocol owes the peer (pongs, the closing
// handshake).

const native = require('./native')
const Outbox = require('./outbox')
const { kFail, kRecord, kPingPong } = require('./keys')

const {
  EVENT_MESSAGE,
  EVENT_STREAM_START,
  EVENT_STREAM_DATA,
  EVENT_STREAM_STOP,
  EVENT_PING,
  EVENT_PONG,
  EVENT_CLOSE,
  EVENT_ERROR,
} = native

class Receiving {
  #socket
  #decoding
  #closing
  /** The opcode of the message being received as a stream; 0 between streams. */
  streamOpcode = 0
  /** Data messages received (Socket.stats). */
  messagesIn = 0

  constructor(socket, decoding, closing) {
    this.#socket = socket
    this.#decoding = decoding
    this.#closing = closing
  }

  /** A chunk from the source. */
  receive(chunk) {
    const socket = this.#socket
    // Messages stream only when someone consumes streams: a 'stream:start'
    // listener, or a reader of the readable side (data, readable, pipe).
    const streaming = socket.listenerCount('stream:start') > 0 || socket.readableFlowing !== null
    // What the listeners send leaves when the read is decoded (Outbox.beginRead).
    Outbox.beginRead()
    try {
      this.#decoding.push(chunk, streaming, this)
    } finally {
      Outbox.endRead(chunk.length)
    }
  }

  /** A record of a read (see Decoding.feed). */
  [kRecord](buf, head, a, b, c) {
    this.#socket._order(this.#decoding.item(buf, head, a, b, c))
  }

  /** A record's turn came (OrderedDuplex._deliver). */
  deliver([kind, data, code]) {
    const socket = this.#socket
    switch (kind) {
      case EVENT_MESSAGE:
        this.messagesIn++
        socket.emit('message', data)
        break
      case EVENT_STREAM_START:
        this.streamOpcode = data
        socket.emit('stream:start', data)
        break
      case EVENT_STREAM_DATA:
        socket._pushPayload(data)
        break
      case EVENT_STREAM_STOP:
        this.messagesIn++
        socket._afterReaders((this.#emitStop ??= () => this.#stopped()))
        break
      case EVENT_PING:
        if (!this.#closing.sentClose) this.#socket[kPingPong]().answer(data)
        break
      case EVENT_PONG:
        this.#socket[kPingPong]().ponged()
        socket.emit('pong', data)
        break
      case EVENT_CLOSE:
        this.#closing.received(code, data)
        break
      case EVENT_ERROR:
        this.#socket[kFail](data)
        break
      default:
        break
    }
  }

  // Made on first use: sockets that never stream need no closure.
  #emitStop = null

  #stopped() {
    // Until the listeners ran, a pipe back to us may still write this
    // message's bytes, and its echo takes this message's opcode (see
    // Sending.fragment and PipeIn.unpiped).
    this.#socket.emit('stream:stop')
    this.streamOpcode = 0
  }
}

module.exports = Receiving
