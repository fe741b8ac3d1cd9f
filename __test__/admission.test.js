'use strict'

// Who may connect: `origins` and `verifyRequest`, the README's example as
// written, slow checks against maxConnections and handshakeTimeout, and a
// page of another origin in headless Chromium.

const http = require('node:http')
const WebSocket = require('ws')
const { Server } = require('..')
const { once } = require('./helpers/pair')
const { readmeBlock, runExample, freePort } = require('./helpers/readme')
const { describeWithChromium, useChromium } = require('./helpers/chromium')

async function listening(options) {
  const server = new Server({ port: 0, host: '127.0.0.1', ...options })
  await once(server, 'listening')
  return { server, url: `ws://127.0.0.1:${server.address().port}/` }
}

const closeServer = (server) => new Promise((resolve) => server.close(resolve))

/** How a ws client's upgrade ends: ['open'] or ['refused', status, headers, body]. */
function attempt(url, options = {}) {
  const ws = new WebSocket(url, options)
  // The first message, listened for now: a server that sends on 'open' can
  // have it emitted (ws parses what came with the 101 on process.nextTick)
  // before the code awaiting attempt() runs. Awaiting first lost it about
  // once in 50 tries.
  ws.firstMessage = new Promise((resolve) => ws.once('message', resolve))
  return new Promise((resolve) => {
    ws.on('open', () => {
      resolve(['open', ws])
    })
    ws.on('unexpected-response', (request, response) => {
      let body = ''
      response.on('data', (chunk) => {
        body += chunk
      })
      response.on('end', () => resolve(['refused', response.statusCode, response.headers, body]))
    })
    ws.on('error', () => {})
  })
}

describe('origins', () => {
  it('refuses a page of another origin with 403 and lets allowed and origin-less requests in', async () => {
    const { server, url } = await listening({ origins: ['https://app.example.com/'] })
    const opened = []
    server.on('open', (ws, request) => opened.push(request.headers.origin ?? 'none'))
    const [bad, status, , body] = await attempt(url, { origin: 'https://evil.example.com' })
    expect([bad, status, body]).toEqual(['refused', 403, 'Origin not allowed'])
    const [good, ws] = await attempt(url, { origin: 'https://app.example.com' })
    expect(good).toBe('open')
    const [plain, ws2] = await attempt(url)
    expect(plain).toBe('open')
    expect(opened).toEqual(['https://app.example.com', 'none'])
    ws.close()
    ws2.close()
    await closeServer(server)
  })

  it('is checked like the other options', () => {
    expect(() => new Server({ origins: 'https://a.example' })).toThrow(/"options\.origins"/)
    expect(() => new Server({ origins: ['not a url'] })).toThrow(/"options\.origins"/)
    expect(() => new Server({ verifyRequest: true })).toThrow(/"options\.verifyRequest"/)
  })
})

describe('verifyRequest', () => {
  it('accepts on true, refuses on false and with a status and headers, sync or async', async () => {
    const verdicts = {
      '/?v=yes': true,
      '/?v=no': false,
      '/?v=token': { status: 401, headers: { 'WWW-Authenticate': 'Bearer' }, reason: 'Log in' },
    }
    const { server, url } = await listening({
      verifyRequest: async (request) => {
        await new Promise((resolve) => setTimeout(resolve, 10))
        request.checkedAt = 'verify'
        return verdicts[request.url]
      },
    })
    const seen = []
    server.on('open', (ws, request) => seen.push(request.checkedAt))
    const [yes, ws] = await attempt(`${url}?v=yes`)
    expect(yes).toBe('open')
    expect(seen).toEqual(['verify'])
    expect((await attempt(`${url}?v=no`)).slice(0, 2)).toEqual(['refused', 403])
    const [, status, headers, body] = await attempt(`${url}?v=token`)
    expect([status, headers['www-authenticate'], body]).toEqual([401, 'Bearer', 'Log in'])
    expect(server.sockets).toHaveLength(1)
    ws.close()
    await closeServer(server)
  })

  it('answers 500 and emits error when the check throws or answers nonsense, and never injects headers', async () => {
    const answers = [
      () => {
        throw new Error('database down')
      },
      () => 'yes',
      () => ({ status: 401, headers: { 'X-A': 'b\r\nSet-Cookie: owned=1' } }),
      () => ({ status: 200 }),
    ]
    let i = 0
    const { server, url } = await listening({ verifyRequest: () => answers[i++]() })
    const errors = []
    server.on('error', (err) => errors.push(err.message))
    server.on('open', () => errors.push('opened'))
    for (let n = 0; n < answers.length; n++) {
      const [result, status, headers] = await attempt(url)
      expect([result, status]).toEqual(['refused', 500])
      expect(headers['set-cookie']).toBeUndefined()
    }
    expect(errors).toHaveLength(4)
    expect(errors[0]).toBe('database down')
    expect(errors.slice(1).every((m) => /verifyRequest\(\)/.test(m))).toBe(true)
    await closeServer(server)
  })

  it('holds a slot while it checks and gives up at handshakeTimeout, so slow checks cannot pile up', async () => {
    let slow = true
    const { server, url } = await listening({
      maxConnections: 2,
      handshakeTimeout: 300,
      // Never answers while slow: a check stuck on a dead backend.
      verifyRequest: () => (slow ? new Promise(() => {}) : true),
    })
    const opened = []
    server.on('open', () => opened.push('open'))
    const first = attempt(url)
    const second = attempt(url)
    await new Promise((resolve) => setTimeout(resolve, 50))
    // Both slots are held by the checks: the third is refused at once.
    expect((await attempt(url)).slice(0, 2)).toEqual(['refused', 503])
    expect((await first).slice(0, 2)).toEqual(['refused', 503])
    expect((await second).slice(0, 2)).toEqual(['refused', 503])
    expect(opened).toEqual([])
    // The slots are free again.
    slow = false
    const [result, ws] = await attempt(url)
    expect(result).toBe('open')
    ws.close()
    await closeServer(server)
  })
})

describe("the README's example (Who may connect)", () => {
  it('greets a user with a token from the allowed origin and refuses the rest', async () => {
    const port = await freePort()
    const example = runExample(readmeBlock('Who may connect'), port, (output) =>
      output.includes('listening on'),
    )
    try {
      await example.started
      const url = `ws://127.0.0.1:${port}/`
      const origin = 'https://chat.example.com'
      const [result, ws] = await attempt(`${url}?token=s3cret`, { origin })
      expect(result).toBe('open')
      expect((await ws.firstMessage).toString()).toBe('hello alice')
      ws.close()
      const [, status, headers] = await attempt(`${url}?token=wrong`, { origin })
      expect([status, headers['www-authenticate']]).toEqual([401, 'Bearer'])
      const [, crossSite] = await attempt(`${url}?token=s3cret`, { origin: 'https://evil.example' })
      expect(crossSite).toBe(403)
    } finally {
      await example.stop()
    }
  })
})

describeWithChromium('origins in headless Chromium', () => {
  const browser = useChromium()

  it('refuses a page served from another origin and lets the allowed one in', async () => {
    const pages = http.createServer((request, response) => {
      response.setHeader('Content-Type', 'text/html')
      response.end('<!doctype html><title>page</title>')
    })
    pages.listen(0, '127.0.0.1')
    await once(pages, 'listening')
    const pageOrigin = `http://127.0.0.1:${pages.address().port}`
    const strict = await listening({ origins: ['https://elsewhere.example'] })
    const open = await listening({ origins: [pageOrigin] })
    const opened = []
    strict.server.on('open', () => opened.push('strict'))
    open.server.on('open', () => opened.push('open'))
    const page = await browser().newPage()
    await page.goto(`${pageOrigin}/`)
    const tryOpen = (target) =>
      page.evaluate(
        (u) =>
          new Promise((resolve) => {
            const ws = new WebSocket(u)
            ws.onopen = () => {
              ws.close()
              resolve('open')
            }
            ws.onclose = (event) => resolve(`closed ${event.code}`)
          }),
        target,
      )
    expect(await tryOpen(strict.url)).toBe('closed 1006')
    expect(await tryOpen(open.url)).toBe('open')
    expect(opened).toEqual(['open'])
    await page.close()
    await Promise.all([closeServer(strict.server), closeServer(open.server)])
    pages.close()
  }, 30000)
})
