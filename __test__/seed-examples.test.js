'use strict'

// Each example block of shared/seed/websocket.md, as written, over a real
// TCP connection on 127.0.0.1: both ends are our Socket, the client masks.

const crypto = require('node:crypto')

const WebSocket = require('..').Socket
const { tcpPair, once } = require('./helpers/pair')

let pair
let wsserver // the server end, named as in the seed
let wssocket // the end the examples act on

beforeEach(async () => {
  pair = await tcpPair()
  const source = pair.client
  // new WebSocket(socket, [options])
  wsserver = new WebSocket(source, { mask: true })
  wssocket = new WebSocket(pair.server)
})

afterEach(() => pair.close())

describe('the seed examples', () => {
  it('new WebSocket(source, { mask: true }) masks what it sends', async () => {
    const raw = []
    pair.server.on('data', (chunk) => raw.push(chunk))
    const got = once(wssocket, 'message')
    wsserver.send('x')
    await got
    expect(raw[0][1] & 0x80).toBe(0x80)
  })

  it("wssocket.send('Hello this is a text-frame message')", async () => {
    const got = once(wsserver, 'message')
    wssocket.send('Hello this is a text-frame message')
    expect(await got).toEqual(['Hello this is a text-frame message'])
  })

  it('wssocket.ping() is answered with a pong', async () => {
    const got = once(wssocket, 'pong')
    wssocket.ping()
    expect(await got).toEqual([Buffer.alloc(0)])
  })

  it('wssocket.close() and wssocket.close(1001)', async () => {
    const first = once(wsserver, 'close')
    wssocket.close()
    expect(await first).toEqual([1005, ''])

    const again = await tcpPair()
    const a = new WebSocket(again.server)
    const b = new WebSocket(again.client, { mask: true })
    const second = once(b, 'close')
    a.close(1001)
    expect(await second).toEqual([1001, ''])
    again.close()
  })

  it('wssocket.stream(crypto.randomBytes(200)) x4, then stream()', async () => {
    const received = []
    wsserver.on('stream:start', function () {
      wsserver.on('data', (chunk) => received.push(chunk))
    })
    const stopped = once(wsserver, 'stream:stop')
    const sent = []
    // lets stream a lot of random stuff
    sent.push(crypto.randomBytes(200))
    wssocket.stream(sent[0])
    sent.push(crypto.randomBytes(200))
    wssocket.stream(sent[1])
    sent.push(crypto.randomBytes(200))
    wssocket.stream(sent[2])
    sent.push(crypto.randomBytes(200))
    wssocket.stream(sent[3])
    wssocket.stream() // sends the final frame
    await stopped
    expect(Buffer.concat(received)).toEqual(Buffer.concat(sent))
  })

  it("Event 'message': answers 'You told me: ' + message", async () => {
    wssocket.on('message', function (message) {
      wssocket.send('You told me: ' + message)
    })
    const got = once(wsserver, 'message')
    wsserver.send('hi')
    expect(await got).toEqual(['You told me: hi'])
  })

  it("Event 'pong': latency logging as written", async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {})
    const Data = Date // the seed writes `new Data()`
    const ponged = new Promise((resolve) => {
      wssocket.once('pong', function (message) {
        console.log('pong: ' + new Data())
        resolve(message)
      })
    })
    console.log('ping: ' + new Date())
    wssocket.ping()
    await ponged
    expect(log.mock.calls.map((c) => c[0].split(':')[0])).toEqual(['ping', 'pong'])
    log.mockRestore()
  })

  it("Event 'close': message.toString()", async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {})
    const closed = new Promise((resolve) => {
      wssocket.once('close', function (message) {
        console.log('connection was classed because of', message.toString())
        resolve()
      })
    })
    wsserver.close(1000)
    await closed
    expect(log).toHaveBeenCalledWith('connection was classed because of', '1000')
    log.mockRestore()
  })

  it("Event 'stream:start': parse traditionally on 'readable'", async () => {
    const chunks = []
    function parseIncome() {
      let chunk
      while ((chunk = wssocket.read()) !== null) chunks.push(chunk)
    }
    wssocket.on('stream:start', function () {
      // parse traditionally
      wssocket.on('readable', parseIncome)
    })
    const stopped = once(wssocket, 'stream:stop')
    const payload = crypto.randomBytes(50000)
    wsserver.send(payload)
    await stopped
    expect(Buffer.concat(chunks)).toEqual(payload)
  })

  it("Event 'stream:start' / 'stream:stop': pipe back to socket, then unpipe", async () => {
    wssocket.on('stream:start', function () {
      // pipe back to socket
      wssocket.pipe(wssocket)
    })
    wssocket.on('stream:stop', function () {
      wssocket.unpipe(wssocket)
    })
    // Two streamed messages in a row, text and binary, each echoed whole.
    const echoed = []
    let current = []
    wsserver.on('stream:start', (opcode) => {
      current = [opcode]
      wsserver.on('data', collect)
    })
    function collect(chunk) {
      current.push(chunk)
    }
    const both = new Promise((resolve) => {
      wsserver.on('stream:stop', () => {
        wsserver.removeListener('data', collect)
        echoed.push([current[0], Buffer.concat(current.slice(1))])
        if (echoed.length === 2) resolve()
      })
    })
    const text = 'é'.repeat(20000)
    const binary = crypto.randomBytes(40000)
    wsserver.send(text)
    wsserver.send(binary)
    await both
    expect(echoed[0][0]).toBe(0x01)
    expect(echoed[0][1].toString()).toBe(text)
    expect(echoed[1][0]).toBe(0x02)
    expect(echoed[1][1]).toEqual(binary)
  })

  it("Event 'stream:stop': removeListener as written does not throw", async () => {
    function parseIncome() {}
    wssocket.on('stream:start', function () {
      wssocket.on('readable', parseIncome)
    })
    const stopped = new Promise((resolve) => {
      wssocket.on('stream:stop', function () {
        // remove listeners (the seed omits the event name; we pass it)
        wssocket.removeListener('readable', parseIncome)
        resolve()
      })
    })
    wsserver.send(Buffer.alloc(20000))
    // Nobody reads: drain the buffer so 'stream:stop' can fire.
    wssocket.on('readable', () => {
      while (wssocket.read() !== null);
    })
    await stopped
    expect(wssocket.listenerCount('readable')).toBe(1)
  })
})
