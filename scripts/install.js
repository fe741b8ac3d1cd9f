'use strict'

// `npm install websockets`: use the prebuilt binary of this platform when npm
// installed one (an optional dependency), else build from source with cargo.
// WEBSOCKETS_BUILD_FROM_SOURCE=1 always builds, and so does `npm install` in
// a checkout of this repository (there npm/<triple>/ is a workspace whose
// binary, if `npm run artifacts` made one, may be older than the sources).

const { triple, prebuiltPackage } = require('../lib/platform')
const { build, hasCargo, INSTALLED } = require('./build')

function prebuiltLoads() {
  try {
    require(prebuiltPackage)
    return true
  } catch {
    return false
  }
}

if (process.env.WEBSOCKETS_BUILD_FROM_SOURCE !== '1' && INSTALLED && prebuiltLoads()) {
  console.log(`websockets: using the prebuilt binary ${prebuiltPackage}`)
} else if (!hasCargo()) {
  console.error(
    `websockets: there is no prebuilt binary for ${triple} (${prebuiltPackage}), ` +
      'and building one from source needs the Rust toolchain, but `cargo` is not on PATH. ' +
      'Install Rust (https://rustup.rs), then run `npm rebuild websockets`.',
  )
  process.exit(1)
} else {
  console.log(`websockets: no prebuilt binary for ${triple}; building from source with cargo`)
  console.log(`websockets: built ${build()}`)
}
