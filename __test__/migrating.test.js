'use strict'

// docs/migrating-from-ws.md: every row, run both ways. Each row's `ws` and
// `ours` functions do the same thing with each library and return what a
// user would observe; the two must agree.

const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const { once } = require('node:events')

const WebSocket = require('ws')

const { Server, Socket, Upgrade, connect } = require('..')

const close = (server) => new Promise((resolve) => server.close(() => resolve()))
const portOf = (server) => server.address().port

/** A ws echo server and an ours echo server, each on a free port. */
async function wsServer(options = {}) {
  const wss = new WebSocket.WebSocketServer({ port: 0, host: '127.0.0.1', ...options })
  await once(wss, 'listening')
  return wss
}
async function ourServer(options = {}) {
  const server = new Server({ port: 0, host: '127.0.0.1', ...options })
  await once(server, 'listening')
  return server
}

/** Opens a ws client to `port` and resolves once open. */
async function wsClient(port) {
  const client = new WebSocket(`ws://127.0.0.1:${port}/`)
  await once(client, 'open')
  return client
}

/** The first server-side socket, its client, and a way to end both. */
async function wsPair() {
  const wss = await wsServer()
  const opened = once(wss, 'connection')
  const client = await wsClient(portOf(wss))
  const [ws] = await opened
  return { ws, client, end: () => (client.terminate(), close(wss)) }
}
async function ourPair() {
  const server = await ourServer()
  const opened = once(server, 'open')
  const client = await wsClient(portOf(server))
  const [ws] = await opened
  return { ws, client, end: () => (client.terminate(), close(server)) }
}

/**
 * A row whose code is the same with both libraries: `body` gets the
 * library's pair and server factories and its OPEN constant.
 */
const same = (body) => ({
  ws: () => body({ pair: wsPair, server: wsServer, OPEN: WebSocket.OPEN }),
  ours: () => body({ pair: ourPair, server: ourServer, OPEN: Socket.OPEN }),
})

/** Messages the (ws) client receives, as [text or base64, isBinary]. */
function received(client, count) {
  return new Promise((resolve) => {
    const got = []
    client.on('message', (data, isBinary) => {
      got.push([isBinary ? data.toString('base64') : data.toString(), isBinary])
      if (got.length === count) resolve(got)
    })
  })
}

const ROWS = {
  'new WebSocketServer({ port })': {
    ws: async () => {
      const wss = await wsServer()
      const client = await wsClient(portOf(wss))
      client.terminate()
      await close(wss)
      return 'open'
    },
    ours: async () => {
      const server = await ourServer()
      const client = await wsClient(portOf(server))
      client.terminate()
      await close(server)
      return 'open'
    },
  },
  'new WebSocketServer({ server })': {
    ws: async () => {
      const httpServer = http.createServer()
      const wss = new WebSocket.WebSocketServer({ server: httpServer })
      await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
      wss.on('connection', (ws) => ws.send('hi'))
      const client = new WebSocket(`ws://127.0.0.1:${portOf(httpServer)}/`)
      const [data] = await once(client, 'message')
      client.terminate()
      wss.close()
      httpServer.close()
      return String(data)
    },
    ours: async () => {
      const httpServer = http.createServer()
      const server = new Server({ url: 'ws://127.0.0.1/' }).listen(httpServer)
      await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
      server.on('open', (ws) => ws.send('hi'))
      const client = new WebSocket(`ws://127.0.0.1:${portOf(httpServer)}/`)
      const [data] = await once(client, 'message')
      client.terminate()
      await close(server)
      httpServer.close()
      return String(data)
    },
  },
  'wss.handleUpgrade(req, socket, head, cb)': {
    ws: async () => {
      const httpServer = http.createServer()
      const wss = new WebSocket.WebSocketServer({ noServer: true })
      httpServer.on('upgrade', (req, socket, head) =>
        wss.handleUpgrade(req, socket, head, (ws) => ws.send(`hello ${req.url}`)),
      )
      await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
      const client = new WebSocket(`ws://127.0.0.1:${portOf(httpServer)}/room`)
      const [data] = await once(client, 'message')
      client.terminate()
      httpServer.close()
      return String(data)
    },
    ours: async () => {
      const httpServer = http.createServer()
      httpServer.on('upgrade', (req, socket, head) =>
        Upgrade.handleUpgradeRequest(req, socket, {}, (err, raw) => {
          if (err) return
          if (head.length > 0) raw.unshift(head)
          new Socket(raw).send(`hello ${req.url}`)
        }),
      )
      await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
      const client = new WebSocket(`ws://127.0.0.1:${portOf(httpServer)}/room`)
      const [data] = await once(client, 'message')
      client.terminate()
      httpServer.close()
      return String(data)
    },
  },
  "wss.on('connection', (ws, req) => ...)": {
    ws: async () => {
      const wss = await wsServer()
      const opened = once(wss, 'connection')
      const client = await wsClient(portOf(wss))
      const [, req] = await opened
      client.terminate()
      await close(wss)
      return req.url
    },
    ours: async () => {
      const server = await ourServer()
      const opened = once(server, 'open')
      const client = await wsClient(portOf(server))
      const [, req] = await opened
      client.terminate()
      await close(server)
      return req.url
    },
  },
  "ws.on('message', (data, isBinary) => ...)": {
    ws: async () => {
      const { ws, client, end } = await wsPair()
      const seen = []
      ws.on('message', (data, isBinary) => seen.push([String(data), isBinary]))
      client.send('text')
      client.send(Buffer.from('bytes'))
      while (seen.length < 2) await once(ws, 'message')
      await end()
      return seen
    },
    ours: async () => {
      const { ws, client, end } = await ourPair()
      const seen = []
      ws.on('message', (message) => seen.push([String(message), typeof message !== 'string']))
      client.send('text')
      client.send(Buffer.from('bytes'))
      while (seen.length < 2) await once(ws, 'message')
      await end()
      return seen
    },
  },
  'ws.send(data)': same(async ({ pair }) => {
    const { ws, client, end } = await pair()
    const got = received(client, 2)
    ws.send('text')
    ws.send(Buffer.from([1, 2]))
    const result = await got
    await end()
    return result
  }),
  'ws.send(data, callback)': {
    ws: async () => {
      const { ws, client, end } = await wsPair()
      const got = received(client, 1)
      await new Promise((resolve, reject) =>
        ws.send('x'.repeat(1 << 20), (err) => (err ? reject(err) : resolve())),
      )
      const [[text]] = await got
      await end()
      return text.length
    },
    ours: async () => {
      const { ws, client, end } = await ourPair()
      const got = received(client, 1)
      if (!ws.send('x'.repeat(1 << 20))) await once(ws, 'drain')
      const [[text]] = await got
      await end()
      return text.length
    },
  },
  "ws.ping() and 'pong'": same(async ({ pair }) => {
    const { ws, end } = await pair()
    ws.ping('are you there')
    const [data] = await once(ws, 'pong')
    await end()
    return String(data)
  }),
  'ws.close(code, reason)': same(async ({ pair }) => {
    const { ws, client, end } = await pair()
    const closed = once(client, 'close')
    ws.close(4000, 'bye')
    const [code, reason] = await closed
    await end()
    return [code, String(reason)]
  }),
  'ws.terminate()': same(async ({ pair }) => {
    const { ws, client, end } = await pair()
    const closed = once(client, 'close')
    ws.terminate()
    const [code] = await closed
    await end()
    return code
  }),
  'ws.readyState === WebSocket.OPEN': same(async ({ pair, OPEN }) => {
    const { ws, end } = await pair()
    const states = [ws.readyState === OPEN]
    ws.close()
    states.push(ws.readyState)
    await once(ws, 'close')
    states.push(ws.readyState)
    await end()
    return states
  }),
  'ws.bufferedAmount': same(async ({ pair }) => {
    const { ws, end } = await pair()
    const before = ws.bufferedAmount
    await end()
    return before
  }),
  'wss.clients': {
    ws: async () => {
      const wss = await wsServer()
      const clients = [await wsClient(portOf(wss)), await wsClient(portOf(wss))]
      const count = wss.clients.size
      clients.forEach((c) => c.terminate())
      await close(wss)
      return count
    },
    ours: async () => {
      const server = await ourServer()
      const clients = [await wsClient(portOf(server)), await wsClient(portOf(server))]
      const count = server.sockets.length
      clients.forEach((c) => c.terminate())
      await close(server)
      return count
    },
  },
  "new WebSocket(url) then 'open'": {
    ws: async () => {
      const wss = await wsServer()
      wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo ${data}`)))
      const client = new WebSocket(`ws://127.0.0.1:${portOf(wss)}/`)
      await once(client, 'open')
      client.send('hi')
      const [data] = await once(client, 'message')
      client.close()
      await close(wss)
      return String(data)
    },
    ours: async () => {
      const wss = await wsServer()
      wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo ${data}`)))
      const client = await connect(`ws://127.0.0.1:${portOf(wss)}/`)
      client.send('hi')
      const [data] = await once(client, 'message')
      client.close()
      await close(wss)
      return String(data)
    },
  },
  'wss.close()': same(async ({ server }) => {
    const listening = await server()
    const port = portOf(listening)
    await close(listening)
    const late = new WebSocket(`ws://127.0.0.1:${port}/`)
    const [err] = await once(late, 'error')
    return err.code
  }),
}

describe('docs/migrating-from-ws.md', () => {
  it('has a test for every row, and a row for every test', () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'migrating-from-ws.md'), 'utf8')
    const rows = doc
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => line.split(' | ')[0].slice(1).replaceAll('`', '').trim())
    expect(rows.sort()).toEqual(Object.keys(ROWS).sort())
  })

  it.each(Object.keys(ROWS))('%s: both forms behave the same', async (row) => {
    const expected = await ROWS[row].ws()
    expect(await ROWS[row].ours()).toEqual(expected)
  })
})
