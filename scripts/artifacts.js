'use strict'

// `npm run artifacts`: builds the prebuilt platform packages into
// npm/<triple>/ (each ready for `npm pack`) and checks every binary with
// `file` and `readelf`. With `cargo-zigbuild` on PATH (PyPI: ziglang and
// cargo-zigbuild, as .ci/run installs them) glibc targets link against glibc
// 2.17, so the binary runs on any Linux of the last decade; without it, the
// binary needs this machine's glibc or newer, and says so. A target whose
// Rust standard library is not installed is skipped with the reason.

const fs = require('node:fs')
const path = require('node:path')
const { execFileSync, spawnSync } = require('node:child_process')

const { build } = require('./build')
const { triple: hostTriple } = require('../lib/platform')

const ROOT = path.join(__dirname, '..')
const GLIBC_FLOOR = '2.17'

function hasZigbuild() {
  return spawnSync('cargo-zigbuild', ['--version'], { stdio: 'ignore' }).status === 0
}

// npm triple -> Rust target, and what readelf must report for it.
const TARGETS = {
  'linux-x64-gnu': { rust: 'x86_64-unknown-linux-gnu', machine: 'X86-64' },
  'linux-arm64-gnu': { rust: 'aarch64-unknown-linux-gnu', machine: 'AArch64' },
  'linux-x64-musl': { rust: 'x86_64-unknown-linux-musl', machine: 'X86-64' },
  'linux-arm64-musl': { rust: 'aarch64-unknown-linux-musl', machine: 'AArch64' },
}

function hasStd(rustTarget) {
  const result = spawnSync('rustc', ['--print', 'target-libdir', '--target', rustTarget], {
    encoding: 'utf8',
  })
  const dir = result.stdout?.trim()
  return (
    result.status === 0 &&
    fs.existsSync(dir) &&
    fs.readdirSync(dir).some((f) => f.startsWith('libstd-'))
  )
}

/** `file` and `readelf` agree that `binary` is a shared object for `machine`. */
function check(binary, machine) {
  const kind = execFileSync('file', ['-b', binary], { encoding: 'utf8' }).trim()
  const header = execFileSync('readelf', ['-h', binary], { encoding: 'utf8' })
  const dynamic = execFileSync('readelf', ['-d', binary], { encoding: 'utf8' })
  const versions = execFileSync('readelf', ['-V', binary], { encoding: 'utf8' })
  if (!/Type:\s+DYN/.test(header) || !header.includes(machine)) {
    throw new Error(`${binary} is not a ${machine} shared object:\n${header}`)
  }
  const needed = [...dynamic.matchAll(/\(NEEDED\).*\[(.+)\]/g)].map((m) => m[1])
  const glibc = [...versions.matchAll(/GLIBC_(\d+)\.(\d+)/g)]
    .map((m) => [Number(m[1]), Number(m[2])])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .pop()
  return { kind, needed, glibc: glibc ? glibc.join('.') : 'none' }
}

let built = 0
for (const [npmTriple, { rust, machine }] of Object.entries(TARGETS)) {
  const dir = path.join(ROOT, 'npm', npmTriple)
  if (!fs.existsSync(path.join(dir, 'package.json'))) continue
  if (npmTriple !== hostTriple) {
    // Cross builds need the target's standard library (`rustup target add`);
    // none is wired up yet, so each platform package is built on its platform.
    const why = hasStd(rust)
      ? 'cross builds are not wired up'
      : `no Rust standard library for ${rust}`
    console.log(`${npmTriple}: skipped (${why}); build it on ${npmTriple}`)
    continue
  }
  const zig = rust.endsWith('-gnu') && hasZigbuild()
  const binary = build({ out: dir, zigTarget: zig ? `${rust}.${GLIBC_FLOOR}` : undefined })
  const { kind, needed, glibc } = check(binary, machine)
  const size = (fs.statSync(binary).size / 1024).toFixed(0)
  console.log(`${npmTriple}: ${path.relative(ROOT, binary)} (${size} KiB)`)
  console.log(`  file: ${kind}`)
  console.log(`  needs: ${needed.join(', ')}; newest glibc symbol: ${glibc}`)
  if (!zig && rust.endsWith('-gnu')) {
    console.log(`  built without cargo-zigbuild: it needs glibc ${glibc} or newer`)
  }
  built++
}
if (built === 0) {
  console.error('artifacts: nothing was built')
  process.exit(1)
}
