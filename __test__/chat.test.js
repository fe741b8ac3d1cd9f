'use strict'

// The `npm start` demo, driven in headless Chromium (Debian's package, as
// .ci/run installs it): two pages in one room see each other's messages, a
// page in another room sees none of them.

const fs = require('node:fs')

const { chromium } = require('playwright-core')

const { start } = require('../examples/chat/server')

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

let demo
let browser

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `This test needs Chromium at ${CHROMIUM} (Debian: apt-get install chromium; .ci/run installs it)`,
    )
  }
  demo = await start(0)
  browser = await chromium.launch({
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
}, 60000)

afterAll(async () => {
  if (browser) await browser.close()
  if (demo) await demo.close()
})

async function open(room) {
  const page = await browser.newPage()
  await page.goto(`${demo.url}${room ? `?room=${room}` : ''}`)
  await page.waitForFunction(() => document.getElementById('status').textContent === 'connected')
  return page
}

async function say(page, name, text) {
  await page.fill('#name', name)
  await page.fill('#text', text)
  await page.click('#send')
}

const lines = (page) => page.$$eval('#log li', (items) => items.map((li) => li.textContent))

describe('the chat demo (npm start)', () => {
  it('shows each page the other pages’ messages in the same room', async () => {
    const alice = await open()
    const bob = await open()
    const elsewhere = await open('other')
    await say(alice, 'alice', 'hello bob')
    await bob.waitForFunction(() => document.querySelectorAll('#log li').length === 1)
    await say(bob, 'bob', 'hi alice ✓')
    await alice.waitForFunction(() => document.querySelectorAll('#log li').length === 2)
    expect(await lines(alice)).toEqual(['alicehello bob', 'bobhi alice ✓'])
    expect(await lines(bob)).toEqual(['alicehello bob', 'bobhi alice ✓'])
    expect(await lines(elsewhere)).toEqual([])
  }, 60000)
})
