'use strict'

// The one path to the addon. A binary built from source in native/ (a
// checkout, or an install without a prebuilt) comes first; otherwise the
// prebuilt platform package npm installed as an optional dependency.

const path = require('node:path')

const { triple, binaryName, prebuiltPackage } = require('./platform')

function load() {
  const local = path.join(__dirname, '..', 'native', binaryName)
  const failures = []
  for (const candidate of [local, prebuiltPackage]) {
    try {
      return require(candidate)
    } catch (err) {
      // Absent is expected for one of the two; any other failure is news.
      if (err.code !== 'MODULE_NOT_FOUND' || !err.message.includes(candidate)) {
        failures.push(`${candidate}: ${err.message}`)
      }
    }
  }
  const why = failures.length > 0 ? ` Loading failed:\n  ${failures.join('\n  ')}` : ''
  throw new Error(
    `websockets: no native binary for ${triple}. There is no prebuilt package ` +
      `(${prebuiltPackage}) installed and no source build in native/. With a Rust ` +
      `toolchain (cargo) on PATH, run \`npm rebuild websockets\` to build one.${why}`,
  )
}

module.exports = load()
