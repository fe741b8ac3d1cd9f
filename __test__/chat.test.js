'use strict'

// The `npm start` demo, driven in headless Chromium (Debian's package, as
// .ci/run installs it): two pages in one room see each other's messages, a
// page in another room sees none of them.

const { start } = require('../examples/chat/server')
const { describeWithChromium, launchChromium } = require('./helpers/chromium')

let demo
let browser

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

describeWithChromium('the chat demo (npm start)', () => {
  beforeAll(async () => {
    browser = await launchChromium()
    demo = await start(0)
  }, 60000)

  afterAll(async () => {
    if (browser) await browser.close()
    if (demo) await demo.close()
  })

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
