'use strict'

// The npm registry reachable here serves only this platform's builds of some
// packages (e.g. @napi-rs/lzma-*), so `npm install` cannot lock the others,
// yet their parent still lists them, and `npm ci` then refuses the lockfile.
// Run `node .ci/prune-lock.js` after changing dependencies: it drops the
// optional dependencies the lockfile has no entry for.

const fs = require('node:fs')
const path = require('node:path')

const file = path.join(__dirname, '..', 'package-lock.json')
const lock = JSON.parse(fs.readFileSync(file, 'utf8'))
let pruned = 0
for (const [where, entry] of Object.entries(lock.packages)) {
  // The root's own optional dependencies (our prebuilt platform packages)
  // stay: package.json lists them, and npm ci checks the two agree.
  if (where === '') continue
  for (const dep of Object.keys(entry.optionalDependencies || {})) {
    const nested = where ? `${where}/node_modules/${dep}` : `node_modules/${dep}`
    if (!lock.packages[nested] && !lock.packages[`node_modules/${dep}`]) {
      delete entry.optionalDependencies[dep]
      pruned++
    }
  }
}
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`)
console.log(`prune-lock: dropped ${pruned} optional dependencies this registry does not serve`)
