'use strict'

// new Server({ port }): a Server with its own http.Server, as ws's
// `new WebSocketServer({ port })`, and close().

const http = require('node:http')
const net = require('node:net')

const WebSocket = require('ws')

const { Server } = require('..')
const { once } = require('./helpers/pair')

describe('new Server({ port, host })', () => {
  it("listens by itself: 'listening', address(), and a ws client gets through", async () => {
    const server = new Server({ port: 0, host: '127.0.0.1' })
    server.on('message', (message, ws) => ws.send(`echo ${message}`))
    await once(server, 'listening')
    const address = server.address()
    expect(address).toMatchObject({ address: '127.0.0.1', family: 'IPv4' })
    expect(address.port).toBeGreaterThan(0)
    const client = new WebSocket(`ws://127.0.0.1:${address.port}/`)
    await once(client, 'open')
    client.send('hi')
    expect(String((await once(client, 'message'))[0])).toBe('echo hi')
    await new Promise((resolve) => server.close(resolve))
  })

  it('answers a plain HTTP request with 426', async () => {
    const server = new Server({ port: 0, host: '127.0.0.1' })
    await once(server, 'listening')
    const [response] = await once(
      http.get(`http://127.0.0.1:${server.address().port}/anything`),
      'response',
    )
    response.resume()
    expect(response.statusCode).toBe(426)
    await new Promise((resolve) => server.close(resolve))
  })

  it("reports a port in use as 'error'", async () => {
    const taken = net.createServer()
    await new Promise((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const server = new Server({ port: taken.address().port, host: '127.0.0.1' })
    const [err] = await once(server, 'error')
    expect(err.code).toBe('EADDRINUSE')
    expect(server.sockets).toEqual([])
    taken.close()
  })

  it('names a bad port or host', () => {
    expect(() => new Server({ port: '80' })).toThrow(
      /"options\.port" argument must be of type number/,
    )
    expect(() => new Server({ port: 70000 })).toThrow(/"options\.port" argument must be an integer/)
    expect(() => new Server({ port: 0, host: 1 })).toThrow(/"options\.host"/)
    expect(() => new Server({ host: '127.0.0.1' })).toThrow(/only with options\.port/)
  })

  it('has no address without a port of its own', () => {
    expect(new Server().address()).toBe(null)
  })
})

describe('server.close([callback])', () => {
  it('closes every socket with 1001, then stops listening, then calls back', async () => {
    const server = new Server({ port: 0, host: '127.0.0.1' })
    await once(server, 'listening')
    const url = `ws://127.0.0.1:${server.address().port}/`
    const clients = [new WebSocket(url), new WebSocket(url)]
    await Promise.all(clients.map((c) => once(c, 'open')))
    const closes = clients.map((c) => once(c, 'close'))
    await new Promise((resolve) => server.close(resolve))
    for (const [code, reason] of await Promise.all(closes)) {
      expect([code, String(reason)]).toEqual([1001, 'Server closing'])
    }
    expect(server.sockets).toEqual([])
    const late = new WebSocket(url)
    const [err] = await once(late, 'error')
    expect(err.code).toBe('ECONNREFUSED')
  })

  it('refuses new upgrades on a shared http.Server it does not own, which keeps listening', async () => {
    const httpServer = http.createServer()
    const server = new Server({ url: 'ws://127.0.0.1/' }).listen(httpServer)
    await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
    await new Promise((resolve) => server.close(resolve))
    expect(httpServer.listening).toBe(true)
    const late = new WebSocket(`ws://127.0.0.1:${httpServer.address().port}/`)
    const [, response] = await once(late, 'unexpected-response')
    expect(response.statusCode).toBe(503)
    late.on('error', () => {})
    httpServer.close()
  })
})
