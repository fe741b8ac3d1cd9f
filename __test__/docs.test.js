'use strict'

// docs/ is the reference: it must name every option, event and error code
// the package has, and its links must lead somewhere.

const fs = require('node:fs')
const path = require('node:path')

const native = require('../lib/native')

const DOCS = path.join(__dirname, '..', 'docs')
const read = (file) => fs.readFileSync(path.join(DOCS, file), 'utf8')
const types = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')

/** The member names of `interface name` in index.d.ts. */
function members(name) {
  const body = new RegExp(`interface ${name}\\b[^{]*\\{([\\s\\S]*?)\\n\\}`).exec(types)
  if (!body) throw new Error(`index.d.ts has no interface ${name}`)
  return [...body[1].matchAll(/^ {2}'?([\w:]+)'?\??:/gm)].map((m) => m[1])
}

describe('docs/', () => {
  it.each([
    ['SocketOptions', 'socket.md'],
    ['StreamOptions', 'stream.md'],
    ['ServerOptions', 'server.md'],
    ['UpgradeRequestOptions', 'upgrade.md'],
    ['HandleUpgradeOptions', 'upgrade.md'],
  ])('documents every option of %s in %s', (name, file) => {
    const text = read(file)
    for (const option of members(name)) expect(text).toContain(`\`${option}\``)
  })

  it.each([
    ['SocketEvents', 'socket.md'],
    ['StreamEvents', 'stream.md'],
    ['ServerEvents', 'server.md'],
  ])('documents every event of %s in %s', (name, file) => {
    const text = read(file)
    const duplex = members('DuplexEvents')
    for (const event of members(name).filter((e) => !duplex.includes(e) || e === 'data')) {
      expect(text).toContain(`'${event}'`)
    }
  })

  it('documents every error code the Rust core reports, with its close code', () => {
    const text = read('errors.md')
    let kind = 0
    for (let info = native.errorInfo(kind, 0); info; info = native.errorInfo(++kind, 0)) {
      expect(text).toMatch(new RegExp(`\\|\\s*\`${info.code}\`\\s*\\|\\s*${info.closeCode}\\s*\\|`))
    }
    expect(kind).toBeGreaterThan(10)
    expect(text).toContain('`WS_ERR_HANDSHAKE`')
  })

  it('links only to files that exist', () => {
    for (const file of fs.readdirSync(DOCS)) {
      for (const [, target] of read(file).matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)) {
        if (/^https?:/.test(target)) continue
        expect(fs.existsSync(path.join(DOCS, target))).toBe(true)
      }
    }
  })
})
