'use strict'

// Which prebuilt binary fits this process: the napi-rs naming the loader,
// the install script and `npm run artifacts` share (linux-x64-gnu,
// darwin-arm64, win32-x64-msvc, ...).

const PACKAGE = 'websockets'

/** glibc or musl, for Linux; Node reports the glibc it runs on, musl has none. */
function linuxLibc() {
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
  /** The addon's file name, in native/ or in a platform package. */
  binaryName: `${PACKAGE}.${triple}.node`,
  /** The npm package that holds this platform's prebuilt binary. */
  prebuiltPackage: `${PACKAGE}-${triple}`,
}
