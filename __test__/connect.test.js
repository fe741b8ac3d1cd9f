'use strict'

// connect(url, options): the one-line client, against servers nobody here
// wrote (ws, over TCP and TLS).

const https = require('node:https')

const WebSocket = require('ws')

const { connect, Socket } = require('..')
const { once } = require('./helpers/pair')
const { selfSigned } = require('./helpers/tls')

/** A ws echo server; `url` is where to connect. */
async function wsEcho(options = {}) {
  const wss = new WebSocket.WebSocketServer({ port: 0, host: '127.0.0.1', ...options })
  await once(wss, 'listening')
  wss.on('connection', (ws) =>
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })),
  )
  return { wss, url: `ws://127.0.0.1:${wss.address().port}` }
}

describe('connect(url, [options])', () => {
  it('resolves with an open Socket that masks, as every server requires', async () => {
    const { wss, url } = await wsEcho()
    const ws = await connect(`${url}/path?x=1`)
    expect(ws).toBeInstanceOf(Socket)
    expect(ws.readyState).toBe(Socket.OPEN)
    // ws closes 1002 on an unmasked client frame; the echo proves masking.
    ws.send('hello')
    ws.send(Buffer.from([1, 2, 3]))
    const replies = []
    ws.on('message', (m) => replies.push(m))
    while (replies.length < 2) await once(ws, 'message')
    expect(replies).toEqual(['hello', Buffer.from([1, 2, 3])])
    ws.close(1000)
    expect(await once(ws, 'close')).toEqual([1000, ''])
    await new Promise((resolve) => wss.close(resolve))
  })

  it('passes handshake options and Socket options', async () => {
    const { wss, url } = await wsEcho({ handleProtocols: (offered) => [...offered].pop() })
    const headers = once(wss, 'connection')
    const ws = await connect(url, {
      protocols: ['a', 'b'],
      headers: { 'X-Token': 't0k3n' },
      origin: 'http://example.test',
      maxPayload: 8,
    })
    const [, request] = await headers
    expect(request.headers['x-token']).toBe('t0k3n')
    expect(request.headers.origin).toBe('http://example.test')
    expect(ws.protocol).toBe('b')
    ws.send('a message longer than eight bytes')
    expect((await once(ws, 'close'))[0]).toBe(1009)
    await new Promise((resolve) => wss.close(resolve))
  })

  it('reaches a ws server over wss://', async () => {
    const { key, cert } = selfSigned()
    const httpsServer = https.createServer({ key, cert })
    const wss = new WebSocket.WebSocketServer({ server: httpsServer })
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`secure ${data}`)))
    await new Promise((resolve) => httpsServer.listen(0, '127.0.0.1', resolve))
    const url = `wss://127.0.0.1:${httpsServer.address().port}/`
    await expect(connect(url)).rejects.toThrow(/self-signed|certificate/)
    const ws = await connect(url, { ca: cert })
    ws.send('hi')
    expect(await once(ws, 'message')).toEqual(['secure hi'])
    ws.close()
    await once(ws, 'close')
    wss.close()
    httpsServer.close()
  })

  it('rejects with a clear error when the server refuses, is absent, or the URL is bad', async () => {
    const { wss, url } = await wsEcho({ verifyClient: () => false })
    await expect(connect(url)).rejects.toMatchObject({ code: 'WS_ERR_HANDSHAKE', status: 401 })
    const port = wss.address().port
    await new Promise((resolve) => wss.close(resolve))
    await expect(connect(`ws://127.0.0.1:${port}/`)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    })
    await expect(connect('http://127.0.0.1/')).rejects.toThrow(/url/)
    await expect(connect('ws://127.0.0.1/', { maxPayload: -1 })).rejects.toThrow(
      /options\.maxPayload/,
    )
    await expect(connect('ws://127.0.0.1/', null)).rejects.toThrow(/options/)
  })
})
