'use strict'

// Headless Chromium (Debian's package) for the browser tests. Without it the
// browser tests are skipped with a message saying why; with
// REQUIRE_CHROMIUM=1 (as .ci/run sets) its absence is a failure instead.

const fs = require('node:fs')

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
const present = fs.existsSync(CHROMIUM)
const required = process.env.REQUIRE_CHROMIUM === '1'

/** `describe`, or `describe.skip` (said aloud) when Chromium is absent and not required. */
function describeWithChromium(title, body) {
  if (present || required) return describe(title, body)
  process.stderr.write(
    `\nSKIPPED "${title}": no Chromium at ${CHROMIUM} ` +
      '(Debian: apt-get install chromium; set CHROMIUM_PATH for another binary)\n',
  )
  return describe.skip(title, body)
}

/** Launches headless Chromium, kept off any network but loopback. */
async function launchChromium() {
  if (!present) {
    throw new Error(
      `Chromium is required (REQUIRE_CHROMIUM=1) but there is none at ${CHROMIUM}: ` +
        'apt-get install chromium, or set CHROMIUM_PATH',
    )
  }
  const { chromium } = require('playwright-core')
  return chromium.launch({
    executablePath: CHROMIUM,
    // Playwright adds --headless and a fresh profile; the rest keeps Chromium
    // off a network this machine does not have.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/**
 * Launches Chromium before the tests of the enclosing `describe` and closes
 * it after them; returns a function that gives the browser.
 */
function useChromium() {
  let browser = null
  beforeAll(async () => {
    browser = await launchChromium()
  }, 60000)
  afterAll(async () => {
    if (browser) await browser.close()
  })
  return () => browser
}

module.exports = { describeWithChromium, launchChromium, useChromium, CHROMIUM }
