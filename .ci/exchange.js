'use strict'

// A real exchange through the installed package, as a user's project has
// it: a Server on an http.Server, a client over TCP, text and binary both
// ways (published to a topic the client's socket subscribed to), then a
// close. Run from a fresh project by .ci/install-check.sh, which installs
// no ioredis: the Redis adapter must say what it needs.

const http = require('node:http')
const assert = require('node:assert')
const { Server, Upgrade, Socket, RedisAdapter } = require('websockets')

assert.throws(() => new RedisAdapter(), /needs the ioredis package: npm install ioredis/)

const httpServer = http.createServer()
const server = new Server({ url: 'ws://127.0.0.1/echo' })
server.listen(httpServer)
server.on('open', (ws) => ws.subscribe('echo'))
server.on('message', (message) => server.publish('echo', message))

const timer = setTimeout(() => {
  console.error('exchange: no answer within 10 s')
  process.exit(1)
}, 10000)

httpServer.listen(0, '127.0.0.1', () => {
  const url = `ws://127.0.0.1:${httpServer.address().port}/echo`
  Upgrade.createUpgradeRequest(url, (err, raw) => {
    if (err) throw err
    const ws = new Socket(raw, { mask: true })
    const replies = []
    ws.on('message', (message) => {
      replies.push(message)
      if (replies.length === 2) ws.close(1000, 'done')
    })
    ws.on('close', (code, reason) => {
      assert.deepStrictEqual(replies, ['héllo', Buffer.from([0, 1, 2, 255])])
      assert.strictEqual(code, 1000)
      assert.strictEqual(reason, 'done')
      clearTimeout(timer)
      httpServer.close()
      console.log('exchange: text and binary both ways, closed 1000')
    })
    ws.send('héllo')
    ws.send(Buffer.from([0, 1, 2, 255]))
  })
})
