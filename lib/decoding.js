'use strict'

// The read side of the native boundary: one push per socket chunk, then a
// synchronous walk over the packed result records.

const native = require('./native')

// Result records per push: 64 records of 4 words, plus the end word.
const RESULT_WORDS = 260

class Decoding {
  #receiver
  #streaming = true
  #words = new Uint32Array(RESULT_WORDS)
  #bytes = Buffer.from(this.#words.buffer)

  /** `mode`: 0 server messages, 1 client messages, 2 frames (see native Receiver). */
  constructor(mode, maxPayload, streamThreshold) {
    this.#receiver = new native.Receiver(mode, maxPayload, streamThreshold)
  }

  /**
   * Whether streamed messages have a consumer; without one every message
   * arrives whole. Crosses to native only when the answer changes.
   */
  setStreaming(streaming) {
    if (streaming === this.#streaming) return
    this.#streaming = streaming
    this.#receiver.setStreaming(streaming)
  }

  /** The next payload a BUFFERED record announced. */
  take() {
    return this.#receiver.take()
  }

  /**
   * Decodes `chunk` (unmasking it in place) and calls
   * `onRecord(view, head, a, b, c)` for each record, in order; `view` is the
   * part of the chunk the record's offsets refer to.
   */
  feed(chunk, onRecord) {
    if (!Buffer.isBuffer(chunk)) chunk = Buffer.from(chunk)
    const words = this.#words
    let offset = 0
    while (offset < chunk.length) {
      const view = offset === 0 ? chunk : chunk.subarray(offset)
      const consumed = this.#receiver.push(view, this.#bytes)
      for (let i = 0; words[i] !== 0; i += 4)
        onRecord(view, words[i], words[i + 1], words[i + 2], words[i + 3])
      offset += consumed
      if (consumed === 0) break
    }
  }
}

module.exports = Decoding
