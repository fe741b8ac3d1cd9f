// Compiled with `tsc -p __test__` (never run): the public types accept what
// docs/ documents and reject what they do not.
import { Socket as NetSocket } from 'node:net'
import { createServer } from 'node:http'
import { Socket, Stream, WebSocketError, FrameHead, Upgrade, Server, connect, ReadyState } from '..'

declare const source: NetSocket

const ws = new Socket(source, {
  mask: true,
  opcode: 0x02,
  streamThreshold: Infinity,
  maxPayload: 1024,
  closeTimeout: 100,
})
ws.send('text')
ws.send(Buffer.from('bytes'))
ws.send(new Uint8Array(2))
ws.ping()
ws.close()
ws.close(1001)
ws.close('bye')
ws.close(4000, 'custom')
ws.stream(Buffer.alloc(1))
ws.stream()
ws.on('message', (message: string | Buffer) => message.length)
ws.on('stream:start', (opcode) => opcode === 0x01)
ws.on('close', (code: number, reason: string) => `${code} ${reason}`)
ws.on('error', (err: WebSocketError) => err.closeCode + err.code.length)
ws.pipe(ws)

const frames = new Stream(source, { mask: false })
frames.writeHead({ fin: true, opcode: 0x02, masking: Buffer.alloc(4) })
frames.on('head', (head: FrameHead) => head.length + (head.masking?.length ?? 0))

// @ts-expect-error opcode must be 0x01 or 0x02
new Socket(source, { opcode: 3 })
// @ts-expect-error a close reason is a string
ws.close(1000, 42)
// @ts-expect-error send takes no numbers
ws.send(42)

Upgrade.createUpgradeRequest(
  'ws://127.0.0.1:3000/',
  { protocols: ['chat'], timeout: 1000 },
  (err, socket, settings) => {
    if (err) return err.status
    return new Socket(socket, { mask: true }).send(settings.protocol)
  },
)
Upgrade.createUpgradeRequest('wss://127.0.0.1/', (err) => err?.message)

const server = new Server({
  url: 'ws://localhost:3000/chat',
  maxConnections: 100,
  timeout: 60000,
}).listen(createServer())
server.on('open', (ws: Socket) => ws.send('welcome'))
server.on('message', (message, ws) => ws.send(message))
server.on('close', (code: number, ws: Socket) => code + ws.readableLength)
server.broadcast({ fin: true, opcode: 0x01 }, 'to all')
server.write(Buffer.from('streamed'))
server.sockets.forEach((ws) => ws.close(1001))

// @ts-expect-error broadcast needs a message
server.broadcast({})

// Every event's listener is typed; a wrong one is an error, not a catch-all match.
ws.once('pong', (message: Buffer) => message.length)
ws.on('stream:stop', () => undefined)
ws.on('data', (chunk: Buffer) => chunk.length)
ws.off('message', (message: string | Buffer) => message)
frames.on('done', () => undefined)
server.on('stream:start', (opcode: 0x01 | 0x02, ws: Socket) => ws.send(String(opcode)))
server.on('error', (err, ws) => ws?.close((err as WebSocketError).closeCode))
// @ts-expect-error a message is a string or a Buffer, never a number
ws.on('message', (m: number) => m)
// @ts-expect-error 'close' passes a number code first
ws.once('close', (code: string) => code)
// @ts-expect-error a pong's body is a Buffer
ws.prependListener('pong', (message: string) => message)
// @ts-expect-error 'head' passes a FrameHead
frames.on('head', (head: string) => head)
// @ts-expect-error a Server's 'open' passes the Socket first
server.on('open', (request: string) => request)
// @ts-expect-error a Server's 'message' passes the message, then the Socket
server.addListener('message', (message: string | Buffer, ws: number) => ws)

// What ws users reach for first.
const state: ReadyState = ws.readyState
if (state === Socket.OPEN && ws.readyState !== ws.CLOSED) ws.send('open')
const queued: number = ws.bufferedAmount + ws.protocol.length + (ws.remotePort ?? 0)
ws.terminate()
ws.on('drain', () => queued)
// @ts-expect-error readyState is read-only
ws.readyState = 3
async function client(): Promise<void> {
  const socket: Socket = await connect('wss://127.0.0.1:8443/', {
    protocols: ['chat'],
    rejectUnauthorized: false,
    maxPayload: 1 << 20,
    perMessageDeflate: { clientNoContextTakeover: true },
  })
  const deflate = socket.extensions['permessage-deflate']
  if (deflate !== undefined) socket.send(String(deflate.serverMaxWindowBits))
  socket.close()
  // @ts-expect-error connect takes a URL string
  await connect(new URL('ws://127.0.0.1/'))
}
void client
const own = new Server({ port: 0, host: '127.0.0.1' })
own.on('listening', () => {
  const address = own.address()
  if (address !== null && typeof address === 'object') own.close(() => address.port)
})
// @ts-expect-error port is a number
new Server({ port: '8080' })
new Server({ perMessageDeflate: false })
new Server({ perMessageDeflate: { serverNoContextTakeover: false, level: 1, threshold: 256 } })
new Server({ perMessageDeflate: { memLevel: 9 } })
// @ts-expect-error memLevel is a number
new Server({ perMessageDeflate: { memLevel: 'max' } })
new Server({
  heartbeat: 30000,
  memoryBudget: 1 << 30,
  maxFragments: 1024,
  maxBackpressure: 1 << 20,
  origins: ['https://chat.example.com'],
  verifyRequest: async (request) =>
    request.headers.cookie ? true : { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } },
})
// @ts-expect-error a verdict is true, false or a refusal with a status
new Server({ verifyRequest: () => 'yes' })

// Topics, adapters and counters (docs/scaling.md).
import { Adapter, ClusterAdapter, RedisAdapter, SocketStats, ServerStats } from '..'

const redis = new RedisAdapter({ url: 'redis://127.0.0.1:6379', prefix: 'app:' })
redis.on('down', (err: WebSocketError) => err.code === 'WS_ERR_BUS_DOWN')
redis.on('up', () => undefined)
const topical = new Server({ adapter: redis })
const published: Promise<void> = topical.publish('news', 'text')
void published.catch((err: WebSocketError) => err.code)
void topical.publish('news', Buffer.alloc(1))
const serverStats: ServerStats = topical.stats
const ratio: number | null = serverStats.compressionRatio
void ratio
const subscribed: boolean = ws.subscribe('news')
void subscribed
ws.unsubscribe('news')
const topics: string[] = ws.topics
void topics
const socketStats: SocketStats = ws.stats
void (socketStats.bytesSent + socketStats.messagesReceived)
if (false as boolean) ClusterAdapter.relay()
new Server({ adapter: new ClusterAdapter() })
new ClusterAdapter({ maxPending: 1 << 20 })

class Custom extends Adapter {
  publish(topic: string, opcode: 1 | 2, data: string | Buffer): Promise<void> {
    this.deliver(topic, opcode, data)
    return Promise.resolve()
  }
}
new Server({ adapter: new Custom() })
// @ts-expect-error: a topic is a string
topical.publish(1, 'x')
// @ts-expect-error: an adapter is an Adapter
new Server({ adapter: {} })
