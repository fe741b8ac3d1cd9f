'use strict'

// A Socket's listeners on its source, shared by all sockets: EventEmitter
// calls each with the source as `this`, and it finds its socket through the
// source's [kOwner] (see OrderedDuplex._listen). A closure per socket each
// cost every idle socket memory (benches/e2e/idle.js).

const { kOwner, kSourceClosed, kSettleDrain } = require('./keys')

/** The peer finished sending; finish our side too so the source closes. */
function endToo() {
  if (typeof this.end === 'function' && !this.writableEnded) this.end()
}

/** A reset or similar: 'close' follows with 1006 unless a close frame came. */
function ignoreError() {}

function onClose() {
  this[kOwner][kSourceClosed]()
}

function onDrain() {
  this[kOwner][kSettleDrain]()
}

/** Listens to `source`'s ends and drains (its bytes: OrderedDuplex._listen). */
function listenToSource(source) {
  source.on('end', endToo)
  source.on('error', ignoreError)
  source.on('close', onClose)
  source.on('drain', onDrain)
}

/** The source closed: it keeps none of our listeners (it may live on, in a pool or a test). */
function unlistenToSource(source) {
  source.removeListener('end', endToo)
  source.removeListener('error', ignoreError)
  source.removeListener('close', onClose)
  source.removeListener('drain', onDrain)
}

module.exports = { listenToSource, unlistenToSource }
