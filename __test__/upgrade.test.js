'use strict'

const crypto = require('node:crypto')
const http = require('node:http')
const net = require('node:net')

const WS = require('ws')

const { Upgrade, Socket } = require('..')
const { once } = require('./helpers/pair')
const { wsFrame } = require('./helpers/frames')

const accept = (key) =>
  crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64')

/** A raw TCP server answering each request with `answer(requestText)`. */
async function rawServer(answer) {
  const sockets = new Set()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    let text = ''
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1')
      if (text.includes('\r\n\r\n')) {
        const reply = answer(text)
        if (reply !== null) socket.write(reply)
      }
    })
    socket.on('error', () => {})
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const close = server.close.bind(server)
  server.close = (callback) => {
    for (const socket of sockets) socket.destroy()
    return close(callback)
  }
  return server
}

const keyOf = (request) => /sec-websocket-key: (\S+)/i.exec(request)[1]

/** A valid 101 answer to `request`, with `after` in the same write. */
const switching = (request, after) =>
  Buffer.concat([
    Buffer.from(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept(keyOf(request))}\r\n\r\n`,
    ),
    after,
  ])

function upgrade(url, options = {}) {
  return new Promise((resolve) => {
    Upgrade.createUpgradeRequest(url, options, (err, socket, settings) =>
      resolve({ err, socket, settings }),
    )
  })
}

describe('Upgrade', () => {
  describe('createUpgradeRequest(url, [options], callback)', () => {
    it('sends the RFC 6455 request and hands over the socket after a valid 101', async () => {
      let seen = ''
      const server = await rawServer((request) => {
        seen = request
        return (
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${accept(keyOf(request))}\r\nSec-WebSocket-Protocol: chat\r\n\r\n`
        )
      })
      const { err, socket, settings } = await upgrade(
        `ws://127.0.0.1:${server.address().port}/path?q=1`,
        {
          protocols: ['superchat', 'chat'],
          headers: { 'X-Test': 'yes' },
          origin: 'http://example.test',
        },
      )
      expect(err).toBeNull()
      expect(settings.protocol).toBe('chat')
      expect(seen).toMatch(/^GET \/path\?q=1 HTTP\/1\.1\r\n/)
      expect(seen).toMatch(/\r\nupgrade: websocket\r\n/i)
      expect(seen).toMatch(/\r\nconnection: upgrade\r\n/i)
      expect(seen).toMatch(/\r\nsec-websocket-version: 13\r\n/i)
      expect(seen).toMatch(/\r\nsec-websocket-protocol: superchat, chat\r\n/i)
      expect(seen).toMatch(/\r\norigin: http:\/\/example\.test\r\n/i)
      expect(seen).toMatch(/\r\nx-test: yes\r\n/i)
      expect(Buffer.from(keyOf(seen), 'base64')).toHaveLength(16)
      socket.destroy()
      server.close()
    })

    it('hands bytes that follow the 101 response on to the socket', async () => {
      const server = await rawServer((request) => switching(request, wsFrame(1, 'already here')))
      const { err, socket } = await upgrade(`ws://127.0.0.1:${server.address().port}/`)
      expect(err).toBeNull()
      const ws = new Socket(socket, { mask: true })
      expect(await once(ws, 'message')).toEqual(['already here'])
      socket.destroy()
      server.close()
    })

    it('delivers a message that came with the 101 to listeners attached after an await', async () => {
      const server = await rawServer((request) => switching(request, wsFrame(1, 'early')))
      // The common promise wrapper: listeners are attached only after `await`.
      const ws = await new Promise((resolve, reject) => {
        Upgrade.createUpgradeRequest(`ws://127.0.0.1:${server.address().port}/`, (err, raw) =>
          err ? reject(err) : resolve(new Socket(raw, { mask: true })),
        )
      })
      expect(await once(ws, 'message')).toEqual(['early'])
      server.close()
    })

    it.each([
      [
        'a non-101 status',
        () => 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
        /Unexpected server response: 200/,
      ],
      [
        'a wrong Sec-WebSocket-Accept',
        () =>
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAA\r\n\r\n',
        /Invalid Sec-WebSocket-Accept/,
      ],
      [
        'a subprotocol that was not offered',
        (request) =>
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${accept(keyOf(request))}\r\nSec-WebSocket-Protocol: other\r\n\r\n`,
        /subprotocol that was not offered/,
      ],
      [
        'an extension that was not offered',
        (request) =>
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${accept(keyOf(request))}\r\nSec-WebSocket-Extensions: x-webkit-deflate-frame\r\n\r\n`,
        /extension that was not offered/,
      ],
      [
        'permessage-deflate with a parameter it may not add',
        (request) =>
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${accept(keyOf(request))}\r\nSec-WebSocket-Extensions: permessage-deflate; foo=1\r\n\r\n`,
        /Unknown permessage-deflate parameter/,
      ],
      [
        'a missing Upgrade header',
        (request) =>
          `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(keyOf(request))}\r\n\r\n`,
        /Invalid Upgrade header/,
      ],
    ])('fails on %s', async (name, answer, message) => {
      const server = await rawServer(answer)
      const { err, socket } = await upgrade(`ws://127.0.0.1:${server.address().port}/`, {
        protocols: 'chat',
      })
      expect(socket).toBeUndefined()
      expect(err.message).toMatch(message)
      expect(err.code).toBe('WS_ERR_HANDSHAKE')
      server.close()
    })

    it('fails after options.timeout when the server never answers', async () => {
      const server = await rawServer(() => null)
      const { err } = await upgrade(`ws://127.0.0.1:${server.address().port}/`, { timeout: 50 })
      expect(err.message).toMatch(/timed out after 50 ms/)
      server.close()
    })

    it('fails with the connection error when nothing listens', async () => {
      const server = await rawServer(() => null)
      const port = server.address().port
      await new Promise((resolve) => server.close(resolve))
      const { err } = await upgrade(`ws://127.0.0.1:${port}/`)
      expect(err.code).toBe('ECONNREFUSED')
    })

    it('rejects bad arguments at once, naming them', () => {
      const cb = () => {}
      expect(() => Upgrade.createUpgradeRequest('http://x/', cb)).toThrow(
        /"url" argument must be a ws:\/\/ or wss:\/\/ URL/,
      )
      expect(() => Upgrade.createUpgradeRequest('not a url', cb)).toThrow(RangeError)
      expect(() => Upgrade.createUpgradeRequest('ws://x/', { protocols: ['a b'] }, cb)).toThrow(
        /"options.protocols"/,
      )
      expect(() => Upgrade.createUpgradeRequest('ws://x/', { protocols: ['a', 'a'] }, cb)).toThrow(
        /duplicates/,
      )
      expect(() => Upgrade.createUpgradeRequest('ws://x/', { timeout: -1 }, cb)).toThrow(
        /"options.timeout"/,
      )
      expect(() => Upgrade.createUpgradeRequest('ws://x/', {})).toThrow(
        /"callback" argument must be of type function/,
      )
    })
  })

  describe('handleUpgradeRequest(request, socket, [options], callback)', () => {
    it('answers a ws client with 101 and the subprotocol it prefers', async () => {
      const httpServer = http.createServer()
      const settings = []
      httpServer.on('upgrade', (request, socket) => {
        Upgrade.handleUpgradeRequest(request, socket, { protocols: ['b', 'a'] }, (err, raw, s) => {
          settings.push(s.protocol)
          const ws = new Socket(raw)
          ws.on('message', (m) => ws.send(`echo ${m}`))
        })
      })
      await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
      const client = new WS(`ws://127.0.0.1:${httpServer.address().port}/`, ['a', 'b'])
      await once(client, 'open')
      expect(client.protocol).toBe('b')
      client.send('x')
      const [data] = await once(client, 'message')
      expect(data.toString()).toBe('echo x')
      expect(settings).toEqual(['b'])
      client.close()
      await once(client, 'close')
      httpServer.close()
    })

    it('answers 426 with the supported version for another version', async () => {
      const httpServer = http.createServer()
      const errors = []
      httpServer.on('upgrade', (request, socket) => {
        Upgrade.handleUpgradeRequest(request, socket, (err) => errors.push(err))
      })
      await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
      const response = await new Promise((resolve) => {
        const socket = net.connect(httpServer.address().port, '127.0.0.1', () => {
          socket.write(
            'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
              'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n',
          )
        })
        let text = ''
        socket.on('data', (chunk) => (text += chunk))
        socket.on('close', () => resolve(text))
      })
      expect(response).toMatch(/^HTTP\/1\.1 426 Upgrade Required\r\n/)
      expect(response).toMatch(/\r\nSec-WebSocket-Version: 13\r\n/)
      expect(errors[0].status).toBe(426)
      httpServer.close()
    })
  })
})
