'use strict'

// The writable side of a Socket: what a pipe (or write()) into it sends, as
// the fragments of one streamed message, and the final frame when the pipe
// ends, after the chunks it had already written.

class PipeIn {
  #socket
  #source
  #sending
  #closing
  /** Sources piped into the socket; each added an 'error' listener of its own. */
  incomingPipes = 0
  // Nothing has been written since a source was piped in.
  #pipeEmpty = false
  #inflight = 0
  // The callback of a write waiting for the source to drain.
  #writeWaiting = null
  #finalAfter = 0

  constructor(socket, source, sending, closing) {
    this.#socket = socket
    this.#source = source
    this.#sending = sending
    this.#closing = closing
  }

  /** Writable#_write: `echoOpcode` as Sending.fragment takes it. */
  write(chunk, callback, echoOpcode) {
    if (!this.#closing.canSend) {
      callback()
      return
    }
    this.#inflight = chunk.length
    this.#pipeEmpty = false
    const done = () => {
      this.#inflight = 0
      this.#writeWaiting = null
      callback()
    }
    if (this.#sending.fragment(chunk, chunk, echoOpcode)) {
      done()
    } else {
      this.#writeWaiting = done
      this.#source.once('drain', done)
      this.#socket._peerBlocked()
    }
    if (this.#finalAfter > 0) {
      this.#finalAfter -= chunk.length
      if (this.#finalAfter <= 0) this.#socket.stream()
    }
  }

  /** Writable#_final. */
  final(callback) {
    if (this.#sending.streaming) this.#socket.stream()
    callback()
  }

  piped() {
    this.incomingPipes++
    this.#pipeEmpty = this.#socket.writableLength === 0 && !this.#sending.streaming
  }

  unpiped(echoOpcode) {
    this.incomingPipes--
    const writableLength = this.#socket.writableLength
    if (!this.#sending.streaming) {
      // A message piped through is a message even when it had no bytes.
      if (this.#pipeEmpty && writableLength === 0 && this.#closing.canSend) {
        this.#sending.empty(echoOpcode)
      }
      this.#pipeEmpty = false
      return
    }
    // Chunks the pipe already wrote may still wait in our writable buffer:
    // the final frame goes after them.
    const waiting = writableLength - this.#inflight
    if (waiting > 0) this.#finalAfter = waiting
    else this.#socket.stream()
  }

  /** The source closed: a write waiting for it to drain is done (its bytes dropped). */
  sourceClosed() {
    if (this.#writeWaiting === null) return
    this.#source.removeListener('drain', this.#writeWaiting)
    this.#writeWaiting()
  }
}

module.exports = PipeIn
