'use strict'

// Compares an Autobahn run (kosoku's index.json) with the committed expected
// verdicts: exits 1 if any case is missing or got worse. `--update` writes
// the run's verdicts as the new expectation instead (merged into it, so a
// run of some sections updates only those). `--exclude "12.* 13.*"` leaves
// out the expected cases of sections that run did not include.
//
//   node conformance/compare.js REPORT_DIR EXPECTED.json [--update | --exclude GLOBS]

const fs = require('node:fs')
const path = require('node:path')

// Lower is better; OK and INFORMATIONAL are both passes.
const RANK = { OK: 0, INFORMATIONAL: 0, 'NON-STRICT': 1, UNIMPLEMENTED: 2 }
const rank = (verdict) => {
  const [behavior, close] = verdict.split(' / ')
  const closeBad = close !== 'OK' && close !== 'INFORMATIONAL'
  return Math.max(RANK[behavior] ?? 3, closeBad ? 3 : 0)
}

const [reportDir, expectedFile, flag, globs] = process.argv.slice(2)
if (!reportDir || !expectedFile) {
  console.error('usage: node conformance/compare.js REPORT_DIR EXPECTED.json [--update]')
  process.exit(2)
}
const index = JSON.parse(fs.readFileSync(path.join(reportDir, 'index.json'), 'utf8'))
const seen = {}
for (const cases of Object.values(index)) {
  for (const [id, result] of Object.entries(cases))
    seen[id] = `${result.behavior} / ${result.behaviorClose}`
}
const byId = (a, b) => {
  const x = a.split('.').map(Number)
  const y = b.split('.').map(Number)
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if ((x[i] ?? -1) !== (y[i] ?? -1)) return (x[i] ?? -1) - (y[i] ?? -1)
  return 0
}

const old = fs.existsSync(expectedFile) ? JSON.parse(fs.readFileSync(expectedFile, 'utf8')) : {}
if (flag === '--update') {
  const merged = { ...old, ...seen }
  const sorted = Object.fromEntries(
    Object.keys(merged)
      .sort(byId)
      .map((id) => [id, merged[id]]),
  )
  fs.writeFileSync(expectedFile, `${JSON.stringify(sorted, null, 2)}\n`)
  console.log(`autobahn expected: wrote ${Object.keys(sorted).length} verdicts to ${expectedFile}`)
  process.exit(0)
}

// "12.*" leaves out 12.1.1 and every other case of section 12.
const excluded = (flag === '--exclude' ? (globs ?? '') : '').split(/\s+/).filter(Boolean)
const isExcluded = (id) => excluded.some((glob) => `${id}.`.startsWith(glob.replace(/\*$/, '')))
const expected = Object.fromEntries(Object.entries(old).filter(([id]) => !isExcluded(id)))
const worse = []
for (const [id, verdict] of Object.entries(expected)) {
  if (!(id in seen)) worse.push(`${id}: expected ${verdict}, not run`)
  else if (rank(seen[id]) > rank(verdict)) worse.push(`${id}: expected ${verdict}, got ${seen[id]}`)
}
const better = Object.keys(expected).filter(
  (id) => id in seen && rank(seen[id]) < rank(expected[id]),
)
console.log(
  `autobahn expected: ${Object.keys(expected).length} cases compared, ${worse.length} worse, ${better.length} better` +
    (better.length ? ` (update ${expectedFile}: ${better.join(' ')})` : ''),
)
for (const line of worse) console.log(`  WORSE ${line}`)
process.exit(worse.length === 0 ? 0 : 1)
