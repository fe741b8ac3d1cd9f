'use strict'

// Builds the addon from source with cargo and puts it where lib/native.js
// looks: native/websockets.<triple>.node.
//
//   node scripts/build.js [--debug] [--out DIR]
//
// `npm run artifacts` builds with `zig` instead (`build({ zigTarget })`): the
// same host target, linked against an older glibc so the prebuilt binary
// runs on more Linux systems than the one that built it.
//
// In a checkout, cargo keeps its target/ for incremental builds. Installed
// under node_modules, the build runs in a temporary target directory that
// is removed afterwards, so no build output stays in the user's project.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const { binaryName } = require('../lib/platform')

const ROOT = path.join(__dirname, '..')
// Installed as a dependency (under node_modules), not a checkout of the repo.
const INSTALLED = ROOT.split(path.sep).includes('node_modules')

// What cargo names a cdylib on each platform.
const LIBRARY = { darwin: 'libwebsockets.dylib', win32: 'websockets.dll' }

/** Whether cargo runs here. */
function hasCargo() {
  return spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status === 0
}

/**
 * Builds and returns the path of the copied binary. `zigTarget` (such as
 * `x86_64-unknown-linux-gnu.2.17`) builds with `cargo zigbuild` for it.
 */
function build({ debug = false, out = path.join(ROOT, 'native'), zigTarget } = {}) {
  const temporary =
    INSTALLED && !process.env.CARGO_TARGET_DIR
      ? fs.mkdtempSync(path.join(os.tmpdir(), 'websockets-build-'))
      : null
  const targetDir = temporary ?? process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target')
  try {
    const args = [zigTarget ? 'zigbuild' : 'build', '--lib', ...(debug ? [] : ['--release'])]
    if (zigTarget) args.push('--target', zigTarget)
    // An install builds exactly the committed dependency graph.
    if (INSTALLED) args.push('--locked')
    const result = spawnSync('cargo', [...args, '--target-dir', targetDir], {
      cwd: ROOT,
      stdio: 'inherit',
    })
    if (result.status !== 0) {
      throw new Error(`cargo ${args.join(' ')} failed (${result.error?.message ?? result.status})`)
    }
    const library = LIBRARY[process.platform] ?? 'libwebsockets.so'
    fs.mkdirSync(out, { recursive: true })
    const destination = path.join(out, binaryName)
    // cargo zigbuild names the output directory after the target without its glibc suffix.
    const targetSubdir = zigTarget ? zigTarget.replace(/\.[\d.]+$/, '') : ''
    const built = path.join(targetDir, targetSubdir, debug ? 'debug' : 'release', library)
    fs.copyFileSync(built, destination)
    return destination
  } finally {
    if (temporary) fs.rmSync(temporary, { recursive: true, force: true })
  }
}

module.exports = { build, hasCargo, INSTALLED }

if (require.main === module) {
  const args = process.argv.slice(2)
  const at = args.indexOf('--out')
  const out = at >= 0 ? path.resolve(args[at + 1]) : undefined
  console.log(`websockets: built ${build({ debug: args.includes('--debug'), out })}`)
}
