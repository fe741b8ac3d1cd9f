'use strict'

// Which prebuilt binary fits this process: the napi-rs naming the loader,
// the install script and `npm run artifacts` share (linux-x64-gnu,
// darwin-arm64, win32-x64-msvc, ...).

const fs = require('node:fs')

const PACKAGE = 'websockets'

/** 'gnu' or 'musl' from the text of /proc/self/maps, or null when neither C library is mapped. */
function libcOfMaps(maps) {
  if (/\/ld-musl-|\/libc\.musl-/.test(maps)) return 'musl'
  if (/\/libc\.so\.6\b|\/libc-2\.\d+\.so\b/.test(maps)) return 'gnu'
  return null
}

/**
 * glibc or musl, for Linux: the C library this process has mapped, else
 * what Node's report says (it names the glibc it runs on; musl has none).
 * The report is the fallback only: making one cost every process that
 * loaded the library 1.5 MiB of RSS and milliseconds.
 */
function linuxLibc() {
  try {
    const libc = libcOfMaps(fs.readFileSync('/proc/self/maps', 'latin1'))
    if (libc !== null) return libc
  } catch {
    // No /proc (a sandbox): ask the report.
  }
  const header = process.report?.getReport?.().header
  return header?.glibcVersionRuntime ? 'gnu' : 'musl'
}

/** The platform triple, e.g. `linux-x64-gnu`. */
function platformTriple(platform = process.platform, arch = process.arch) {
  if (platform === 'linux') return `${platform}-${arch}-${linuxLibc()}`
  if (platform === 'win32') return `${platform}-${arch}-msvc`
  return `${platform}-${arch}`
}

const triple = platformTriple()

module.exports = {
  triple,
  platformTriple,
  libcOfMaps,
  /** The addon's file name, in native/ or in a platform package. */
  binaryName: `${PACKAGE}.${triple}.node`,
  /** The npm package that holds this platform's prebuilt binary. */
  prebuiltPackage: `${PACKAGE}-${triple}`,
}
