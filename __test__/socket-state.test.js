'use strict'

// What a Socket tells about itself, as ws users expect: readyState,
// bufferedAmount and 'drain' for producers, terminate(), the negotiated
// protocol, the peer's address.

const WebSocket = require('ws')

const { Socket, Server, Upgrade, connect } = require('..')
const { tcpPair, once } = require('./helpers/pair')

/** A Server with its own listener; `url` is where to connect. */
async function listening(options = {}) {
  const server = new Server({ port: 0, host: '127.0.0.1', ...options })
  await once(server, 'listening')
  return { server, url: `ws://127.0.0.1:${server.address().port}/` }
}

describe('Socket state', () => {
  it('numbers readyState as ws does, on the class and on instances', () => {
    for (const name of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) {
      expect(Socket[name]).toBe(WebSocket[name])
      expect(Socket.prototype[name]).toBe(WebSocket[name])
    }
  })

  it('is OPEN, then CLOSING after close(), then CLOSED after the close event', async () => {
    const pair = await tcpPair()
    const server = new Socket(pair.server)
    new Socket(pair.client, { mask: true })
    expect(server.readyState).toBe(Socket.OPEN)
    server.close(1000)
    expect(server.readyState).toBe(Socket.CLOSING)
    await once(server, 'close')
    expect(server.readyState).toBe(Socket.CLOSED)
    pair.close()
  })

  it('is CLOSING once the peer closed, before the close event', async () => {
    const pair = await tcpPair()
    const server = new Socket(pair.server)
    const client = new Socket(pair.client, { mask: true })
    const states = []
    server.on('message', () => states.push(server.readyState))
    client.send('x')
    client.close()
    await once(server, 'close')
    expect(states).toEqual([Socket.OPEN])
    pair.close()
  })
})

describe('bufferedAmount and drain: backpressure for producers', () => {
  it('counts what a peer that stopped reading has not taken, and drains to 0 when it reads', async () => {
    const pair = await tcpPair()
    const producer = new Socket(pair.server)
    const consumer = new Socket(pair.client, { mask: true })
    pair.client.pause() // the peer stops reading
    const chunk = Buffer.alloc(256 * 1024, 1)
    // Fill the kernel's buffers until bytes wait in ours.
    let sent = 0
    while (producer.bufferedAmount === 0) {
      producer.send(chunk)
      if (++sent > 2000) throw new Error('nothing was ever left queued')
    }
    expect(producer.send(chunk)).toBe(false)
    sent++
    expect(producer.bufferedAmount).toBeGreaterThanOrEqual(chunk.length)
    // What the documentation tells a producer to do: wait for 'drain'.
    const drained = once(producer, 'drain')
    let received = 0
    consumer.on('message', () => received++)
    pair.client.resume()
    await drained
    expect(producer.bufferedAmount).toBe(0)
    while (received < sent) await once(consumer, 'message')
    expect(received).toBe(sent)
    pair.close()
  })

  it('counts small messages queued in this tick, and sends behind an open stream', async () => {
    const pair = await tcpPair()
    const socket = new Socket(pair.server)
    expect(socket.bufferedAmount).toBe(0)
    socket.send('12345')
    expect(socket.bufferedAmount).toBe(5)
    socket.stream('ab')
    socket.send('queued') // waits for the stream's final frame
    expect(socket.bufferedAmount).toBeGreaterThanOrEqual(6)
    const drained = once(socket, 'drain')
    socket.stream()
    await drained
    pair.close()
  })
})

describe('terminate()', () => {
  it('drops the connection without a closing handshake: 1006 on both sides', async () => {
    const { server, url } = await listening()
    const client = new WebSocket(url)
    const [ws] = await once(server, 'open')
    const clientClosed = once(client, 'close')
    const serverClosed = once(ws, 'close')
    ws.terminate()
    expect(ws.readyState).not.toBe(Socket.OPEN)
    expect((await clientClosed)[0]).toBe(1006)
    expect(await serverClosed).toEqual([1006, ''])
    expect(ws.readyState).toBe(Socket.CLOSED)
    await new Promise((resolve) => server.close(resolve))
  })
})

describe('protocol, extensions and the peer address', () => {
  it('are known to sockets made by Server, connect and createUpgradeRequest', async () => {
    const { server, url } = await listening({ protocols: ['chat', 'superchat'] })
    const opened = once(server, 'open')
    const viaConnect = await connect(url, { protocols: ['superchat'] })
    const [serverSide] = await opened
    expect(serverSide.protocol).toBe('superchat')
    // Both sides on by default: the server compresses each message on its own.
    const agreed = {
      'permessage-deflate': {
        serverNoContextTakeover: true,
        clientNoContextTakeover: false,
        serverMaxWindowBits: 15,
        clientMaxWindowBits: 15,
      },
    }
    expect(serverSide.extensions).toEqual(agreed)
    expect(viaConnect.extensions).toEqual(agreed)
    expect(serverSide.remoteAddress).toBe('127.0.0.1')
    expect(viaConnect.protocol).toBe('superchat')
    expect(viaConnect.remotePort).toBe(server.address().port)

    const raw = await new Promise((resolve, reject) =>
      Upgrade.createUpgradeRequest(url, { protocols: ['chat'] }, (err, socket) =>
        err ? reject(err) : resolve(socket),
      ),
    )
    expect(new Socket(raw, { mask: true }).protocol).toBe('chat')
    const plain = await connect(url, { perMessageDeflate: false })
    expect(plain.extensions).toEqual({})
    await new Promise((resolve) => server.close(resolve))
  })

  it('are empty for a Socket over a bare Duplex', async () => {
    const pair = await tcpPair()
    const socket = new Socket(pair.server)
    expect([socket.protocol, socket.extensions]).toEqual(['', {}])
    pair.close()
  })
})
