'use strict'

// Which prebuilt binary the loader picks (lib/platform.js), and what loading
// the library costs a process: the C library comes from the process's own
// mappings, not from a diagnostic report (1.5 MiB of RSS and milliseconds in
// every process that loaded us), and the cluster adapter's node:cluster
// (with child_process and dgram) only when it is used.

const path = require('node:path')
const { spawnSync } = require('node:child_process')

const { libcOfMaps, platformTriple, triple } = require('../lib/platform')

const GLIBC_MAPS = [
  '55d0c0a00000-55d0c0c00000 r--p 00000000 08:01 1234 /usr/bin/node',
  '7f1c2a000000-7f1c2a028000 r--p 00000000 08:01 5678 /usr/lib/x86_64-linux-gnu/libc.so.6',
  '7f1c2a400000-7f1c2a402000 r--p 00000000 08:01 5679 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
].join('\n')
const OLD_GLIBC_MAPS = '7f00-7f10 r-xp 00000000 08:01 1 /lib64/libc-2.17.so'
const MUSL_MAPS = [
  '55d0c0a00000-55d0c0c00000 r--p 00000000 08:01 1234 /usr/local/bin/node',
  '7f1c2a000000-7f1c2a014000 r--p 00000000 08:01 5678 /lib/ld-musl-x86_64.so.1',
].join('\n')
const MUSL_LIBC_MAPS = '7f00-7f10 r-xp 00000000 08:01 1 /usr/lib/libc.musl-aarch64.so.1'

describe('the C library of the process', () => {
  test('glibc and musl are told apart by what is mapped', () => {
    expect(libcOfMaps(GLIBC_MAPS)).toBe('gnu')
    expect(libcOfMaps(OLD_GLIBC_MAPS)).toBe('gnu')
    expect(libcOfMaps(MUSL_MAPS)).toBe('musl')
    expect(libcOfMaps(MUSL_LIBC_MAPS)).toBe('musl')
  })

  test('neither mapped (a static build, no /proc) leaves the answer to the report', () => {
    expect(libcOfMaps('')).toBeNull()
    expect(libcOfMaps('55d0c0a00000-55d0c0c00000 r-xp 00000000 08:01 1 /usr/bin/node')).toBeNull()
    // A library whose name merely contains "libc" is not the C library.
    expect(libcOfMaps('7f00-7f10 r-xp 00000000 08:01 1 /opt/libcrypto.so.3')).toBeNull()
  })

  test("this machine's triple agrees with Node's own report", () => {
    if (process.platform !== 'linux') {
      expect(triple).toBe(platformTriple())
      return
    }
    const glibc = process.report.getReport().header.glibcVersionRuntime
    expect(triple).toBe(`linux-${process.arch}-${glibc ? 'gnu' : 'musl'}`)
  })
})

test('loading the library makes no report and loads no cluster', () => {
  const root = path.join(__dirname, '..')
  const script = `
    const before = new Set(process.moduleLoadList)
    require(${JSON.stringify(root)})
    const loaded = process.moduleLoadList.filter((m) => !before.has(m))
    console.log(JSON.stringify(loaded))
  `
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000 })
  expect(child.status).toBe(0)
  const loaded = JSON.parse(child.stdout)
  // The addon was loaded: the check below is about a real load.
  expect(loaded).toContain('NativeModule net')
  expect(loaded).not.toContain('NativeModule internal/process/report')
  expect(loaded).not.toContain('NativeModule cluster')
})
