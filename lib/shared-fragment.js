'use strict'

/**
 * The bytes one tick of `Server.write` streams to the sockets that share a
 * compression key, compressed once for all of them by the first that sends
 * them. Without context takeover a fragment is compressed alone (see
 * `Deflater::deflate_alone`), so the same payload may follow whatever each
 * socket's stream sent before. Once compressed it is sealed: later chunks
 * go into a new one.
 */
class SharedFragment {
  #chunks = []
  #payload = null
  /** Bytes added, for the sockets' queued byte counts. */
  length = 0

  get sealed() {
    return this.#payload !== null
  }

  add(chunk) {
    this.#chunks.push(chunk)
    this.length += chunk.length
  }

  /** The compressed payload, made with `deflate` (a native Deflate) the first time. */
  payloadWith(deflate) {
    if (this.#payload === null) {
      const chunks = this.#chunks
      this.#chunks = []
      this.#payload = deflate.deflate(
        chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
        false,
      )
    }
    return this.#payload
  }
}

module.exports = SharedFragment
