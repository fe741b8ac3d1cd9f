'use strict'

// The `npm start` demo, driven in headless Chromium (Debian's package, as
// .ci/run installs it): two pages in one room see each other's messages, a
// page in another room sees none of them; then the same across two cluster
// workers, and across two processes on a real Redis.

const { spawn } = require('node:child_process')
const net = require('node:net')
const path = require('node:path')

const { start } = require('../examples/chat/server')
const { describeWithChromium, launchChromium } = require('./helpers/chromium')
const { describeWithRedis, startRedis, freePort } = require('./helpers/redis')

const DEMO = path.join(__dirname, '..', 'examples', 'chat', 'server.js')

let demo
let browser

async function open(room, url = demo.url) {
  const page = await browser.newPage()
  await page.goto(`${url}${room ? `?room=${room}` : ''}`)
  await page.waitForFunction(() =>
    document.getElementById('status').textContent.startsWith('connected to process'),
  )
  return page
}

const processOf = (page) => page.$eval('#status', (status) => status.textContent)

/** `npm start` as a user runs it, with `env`; resolves once it serves its page. */
async function startDemo(env) {
  const child = spawn(process.execPath, [DEMO], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => chunk.includes('Chat on') && resolve())
    exited.then(() => reject(new Error('the demo exited')))
  })
  return {
    url: `http://127.0.0.1:${env.PORT}/`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL')
      await exited
    },
  }
}

/** Alice and Bob, on different processes, see each other's lines. */
async function converse(alice, bob) {
  expect(await processOf(alice)).not.toBe(await processOf(bob))
  await say(alice, 'alice', 'over there?')
  await bob.waitForFunction(() => document.querySelectorAll('#log li').length === 1)
  await say(bob, 'bob', 'yes ✓')
  await alice.waitForFunction(() => document.querySelectorAll('#log li').length === 2)
  expect(await lines(alice)).toEqual(['aliceover there?', 'bobyes ✓'])
  expect(await lines(bob)).toEqual(['aliceover there?', 'bobyes ✓'])
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

  it('WORKERS=2: pages on two cluster workers see each other', async () => {
    const port = await freePort()
    const scaled = await startDemo({ WORKERS: '2', PORT: String(port) })
    try {
      // The kernel spreads connections over the workers: open pages until
      // one is on a different worker than the first.
      const url = `http://127.0.0.1:${port}/`
      const alice = await open('scaled', url)
      let bob = await open('scaled', url)
      for (let i = 0; i < 10 && (await processOf(bob)) === (await processOf(alice)); i++) {
        await bob.close()
        // A page makes two connections (the page, the WebSocket): one more
        // moves the kernel's round robin along by one.
        await new Promise((resolve) => {
          const poke = net.connect(port, '127.0.0.1', () => resolve(poke.destroy()))
        })
        bob = await open('scaled', url)
      }
      await converse(alice, bob)
    } finally {
      await scaled.stop()
    }
  }, 60000)

  describeWithRedis('on Redis', () => {
    it('REDIS_URL: pages on two processes see each other', async () => {
      const redis = await startRedis()
      const ports = [await freePort(), await freePort()]
      const demos = []
      try {
        for (const port of ports) {
          demos.push(await startDemo({ REDIS_URL: redis.url, PORT: String(port) }))
        }
        const alice = await open('redis', demos[0].url)
        const bob = await open('redis', demos[1].url)
        await converse(alice, bob)
      } finally {
        await Promise.all(demos.map((demo) => demo.stop()))
        await redis.stop()
      }
    }, 60000)
  })
})
