/// <reference types="node" />

import { EventEmitter } from 'node:events'
import { IncomingHttpHeaders, IncomingMessage, Server as HttpServer } from 'node:http'
import { Server as HttpsServer } from 'node:https'
import { AddressInfo } from 'node:net'
import { Duplex } from 'node:stream'
import { ConnectionOptions } from 'node:tls'

/** The bytes a message or ping may carry. */
export type Payload = string | Buffer | ArrayBufferView | ArrayBuffer

export interface SocketOptions {
  /** Mask every outgoing frame: a client must, a server must not. Default `false`. */
  mask?: boolean
  /** Opcode of `send()`/`stream()` data: `0x01` text, `0x02` binary. Default: by payload type. */
  opcode?: 0x01 | 0x02
  /**
   * When streams are consumed (a `'stream:start'` listener, or the readable side read or
   * piped), unfragmented data frames shorter than this arrive as `'message'` and the rest as
   * streams. Without a consumer every message arrives whole. Default 16384; `Infinity`: always whole.
   */
  streamThreshold?: number
  /** Largest message accepted; larger closes with 1009. Default 100 MiB. */
  maxPayload?: number
  /**
   * Most frames in one message; more closes with 1008 (`WS_ERR_TOO_MANY_BUFFERED_PARTS`).
   * Default 131072; `Infinity`: no limit.
   */
  maxFragments?: number
  /**
   * Bytes the peer may leave unread: a send that finds more queued closes the socket with 1008
   * (`WS_ERR_BACKPRESSURE`). Default 64 MiB. Waiting for `'drain'` when `send()` returns false
   * never reaches it.
   */
  maxBackpressure?: number
  /**
   * Ms between heartbeat pings; a peer that has not answered one by the next closes the socket
   * with 1001 (`WS_ERR_HEARTBEAT_TIMEOUT`). Default 0: none. A `Server`'s sockets share one timer.
   */
  heartbeat?: number
  /** Milliseconds to wait for the peer's close frame after ours. Default 30000. */
  closeTimeout?: number
}

/** What a `Duplex` itself emits, with its listeners' arguments. */
interface DuplexEvents {
  data: [chunk: Buffer]
  readable: []
  end: []
  finish: []
  pause: []
  resume: []
  pipe: [src: import('node:stream').Readable]
  unpipe: [src: import('node:stream').Readable]
}

/**
 * An event name that is not in `Events`: listeners of the named events are
 * typed by their map, so a wrong listener for them is an error, not a match
 * for a catch-all.
 */
type OtherEvent<E, Events> = E & (E extends keyof Events ? never : unknown)

/** The events of a `Socket` and their listeners' arguments. */
export interface SocketEvents extends DuplexEvents {
  /** A whole message: a string for text, a Buffer for binary. */
  message: [message: string | Buffer]
  /** A streamed message begins; its bytes follow on the readable side. */
  'stream:start': [opcode: 0x01 | 0x02]
  /** The streamed message is complete; readers have every byte. */
  'stream:stop': []
  pong: [message: Buffer]
  /** After a `send()` or `stream()` that returned false, when more may be sent. */
  drain: []
  /** Exactly once: 1005 without a code from the peer, 1006 when the connection dropped. */
  close: [code: number, reason: string]
  /** The peer broke the protocol; the socket closes with `err.closeCode`. */
  error: [err: WebSocketError]
}

/** The events of a `Stream` and their listeners' arguments. */
export interface StreamEvents extends DuplexEvents {
  drain: []
  /** A frame's header, before its payload. */
  head: [head: FrameHead]
  /** The current frame's payload has been read. */
  done: []
  close: []
  error: [err: Error]
}

/** The events of a `Server` and their listeners' arguments. */
export interface ServerEvents {
  open: [wssocket: Socket, request: IncomingMessage, settings: HandshakeSettings]
  message: [message: string | Buffer, wssocket: Socket]
  pong: [message: Buffer, wssocket: Socket]
  close: [code: number, wssocket: Socket, reason: string]
  /** A peer broke the protocol (with its socket), or the server made for `port` failed to listen. */
  error: [err: WebSocketError | NodeJS.ErrnoException, wssocket?: Socket]
  /** The server made for `port` is listening. */
  listening: []
  /** Listening for this makes every socket a stream consumer (see the README). */
  'stream:start': [opcode: 0x01 | 0x02, wssocket: Socket]
  'stream:stop': [wssocket: Socket]
}

/** A protocol violation by the peer. */
export class WebSocketError extends Error {
  /** `WS_ERR_*`, as ws names the same violation. */
  readonly code: string
  /** The close code the connection was failed with (1002, 1007, 1009). */
  readonly closeCode: number
}

/** A Socket's state, numbered as ws and the WHATWG WebSocket number them. */
export type ReadyState = 0 | 1 | 2 | 3

/** A message-level WebSocket over any Duplex carrying the bytes after the handshake. */
export class Socket extends Duplex {
  constructor(source: Duplex, options?: SocketOptions)
  static readonly CONNECTING: 0
  static readonly OPEN: 1
  static readonly CLOSING: 2
  static readonly CLOSED: 3
  readonly CONNECTING: 0
  readonly OPEN: 1
  readonly CLOSING: 2
  readonly CLOSED: 3
  /** OPEN until a close frame is sent or received, CLOSING until 'close', then CLOSED. */
  readonly readyState: ReadyState
  /** Bytes queued for the peer and not yet handed to the kernel. */
  readonly bufferedAmount: number
  /** The subprotocol the opening handshake chose (`''` for none, or a Socket not made by Upgrade, Server or connect). */
  readonly protocol: string
  /** The extensions the opening handshake negotiated: `{}` or permessage-deflate's parameters. */
  readonly extensions: Extensions
  /** The peer's address, as the source reports it. */
  readonly remoteAddress: string | undefined
  /** The peer's port, as the source reports it. */
  readonly remotePort: number | undefined
  /** What this socket has carried so far (docs/socket.md, "Counters"). */
  readonly stats: SocketStats
  /**
   * Subscribes to `topic` for `Server.publish()`. False when already subscribed or closed.
   * Throws `ERR_INVALID_STATE` on a Socket no Server opened.
   */
  subscribe(topic: string): boolean
  /** Leaves `topic`; returns whether it was subscribed. */
  unsubscribe(topic: string): boolean
  isSubscribed(topic: string): boolean
  /** The topics this socket is subscribed to. */
  readonly topics: string[]
  /** Drops the connection at once, with no closing handshake; 'close' reports 1006. */
  terminate(): void
  /**
   * One complete data frame. Returns false once closing, when queued behind an open stream, or
   * when the peer is slow to read: then wait for `'drain'` before sending more.
   */
  send(message?: Payload): boolean
  /** A ping; its body may be at most 125 bytes. */
  ping(message?: Payload): boolean
  /** Starts the closing handshake: a code, a reason (code 1000), or both. */
  close(code?: number, reason?: string): void
  close(reason: string): void
  /** A fragment of an outgoing stream; without a chunk, the final frame. */
  stream(chunk?: Payload): boolean

  on<E extends keyof SocketEvents>(event: E, listener: (...args: SocketEvents[E]) => void): this
  on<E extends string | symbol>(
    event: OtherEvent<E, SocketEvents>,
    listener: (...args: any[]) => void,
  ): this
  once<E extends keyof SocketEvents>(event: E, listener: (...args: SocketEvents[E]) => void): this
  once<E extends string | symbol>(
    event: OtherEvent<E, SocketEvents>,
    listener: (...args: any[]) => void,
  ): this
  addListener<E extends keyof SocketEvents>(
    event: E,
    listener: (...args: SocketEvents[E]) => void,
  ): this
  addListener<E extends string | symbol>(
    event: OtherEvent<E, SocketEvents>,
    listener: (...args: any[]) => void,
  ): this
  prependListener<E extends keyof SocketEvents>(
    event: E,
    listener: (...args: SocketEvents[E]) => void,
  ): this
  prependListener<E extends string | symbol>(
    event: OtherEvent<E, SocketEvents>,
    listener: (...args: any[]) => void,
  ): this
  prependOnceListener<E extends keyof SocketEvents>(
    event: E,
    listener: (...args: SocketEvents[E]) => void,
  ): this
  prependOnceListener<E extends string | symbol>(
    event: OtherEvent<E, SocketEvents>,
    listener: (...args: any[]) => void,
  ): this
  off<E extends keyof SocketEvents>(event: E, listener: (...args: SocketEvents[E]) => void): this
  off<E extends string | symbol>(
    event: OtherEvent<E, SocketEvents>,
    listener: (...args: any[]) => void,
  ): this
  removeListener<E extends keyof SocketEvents>(
    event: E,
    listener: (...args: SocketEvents[E]) => void,
  ): this
  removeListener<E extends string | symbol>(
    event: OtherEvent<E, SocketEvents>,
    listener: (...args: any[]) => void,
  ): this
}

export interface StreamOptions {
  /** Mask outgoing frames by default. */
  mask?: boolean
  /** Default opcode of written frames. Default `0x01`. */
  opcode?: 0x01 | 0x02
}

/** The head of a frame, as written with `writeHead()` or reported by `'head'`. */
export interface FrameHead {
  fin: boolean
  rsv1: boolean
  rsv2: boolean
  rsv3: boolean
  opcode: number
  mask: boolean
  /** The 4-byte masking key, or null when unmasked. */
  masking: Buffer | null
  length: number
}

export interface WriteHead {
  fin?: boolean
  rsv1?: boolean
  mask?: boolean
  opcode?: number
  /** Payload length; later writes continue the frame until it is reached. */
  length?: number
  /** A 4-byte masking key; implies `mask: true`. */
  masking?: Buffer | Uint8Array
}

/** The frame layer: one head, then payload bytes. */
export class Stream extends Duplex {
  constructor(source: Duplex, options?: StreamOptions)
  /** The head of the next frame written. */
  writeHead(head: WriteHead): void

  on<E extends keyof StreamEvents>(event: E, listener: (...args: StreamEvents[E]) => void): this
  on<E extends string | symbol>(
    event: OtherEvent<E, StreamEvents>,
    listener: (...args: any[]) => void,
  ): this
  once<E extends keyof StreamEvents>(event: E, listener: (...args: StreamEvents[E]) => void): this
  once<E extends string | symbol>(
    event: OtherEvent<E, StreamEvents>,
    listener: (...args: any[]) => void,
  ): this
  addListener<E extends keyof StreamEvents>(
    event: E,
    listener: (...args: StreamEvents[E]) => void,
  ): this
  addListener<E extends string | symbol>(
    event: OtherEvent<E, StreamEvents>,
    listener: (...args: any[]) => void,
  ): this
  prependListener<E extends keyof StreamEvents>(
    event: E,
    listener: (...args: StreamEvents[E]) => void,
  ): this
  prependListener<E extends string | symbol>(
    event: OtherEvent<E, StreamEvents>,
    listener: (...args: any[]) => void,
  ): this
  prependOnceListener<E extends keyof StreamEvents>(
    event: E,
    listener: (...args: StreamEvents[E]) => void,
  ): this
  prependOnceListener<E extends string | symbol>(
    event: OtherEvent<E, StreamEvents>,
    listener: (...args: any[]) => void,
  ): this
  off<E extends keyof StreamEvents>(event: E, listener: (...args: StreamEvents[E]) => void): this
  off<E extends string | symbol>(
    event: OtherEvent<E, StreamEvents>,
    listener: (...args: any[]) => void,
  ): this
  removeListener<E extends keyof StreamEvents>(
    event: E,
    listener: (...args: StreamEvents[E]) => void,
  ): this
  removeListener<E extends string | symbol>(
    event: OtherEvent<E, StreamEvents>,
    listener: (...args: any[]) => void,
  ): this
}

/** permessage-deflate's parameters as the handshake agreed them (windows: 15 when not limited). */
export interface DeflateParameters {
  serverNoContextTakeover: boolean
  clientNoContextTakeover: boolean
  serverMaxWindowBits: number
  clientMaxWindowBits: number
}

/** The negotiated extensions. */
export interface Extensions {
  'permessage-deflate'?: DeflateParameters
}

/**
 * permessage-deflate (RFC 7692; docs/compression.md): `false` off, `true` or absent the
 * defaults, an object to override them.
 */
export interface PerMessageDeflateOptions {
  /** The server resets its context after each message. Server default `true`; a client asks for it only when `true`. */
  serverNoContextTakeover?: boolean
  /** The client resets its context after each message (asked by a server, offered by a client). Default `false`. */
  clientNoContextTakeover?: boolean
  /** The server's LZ77 window, 8 to 15 (a server compresses with 9 at least). Default: 15, not announced. */
  serverMaxWindowBits?: number
  /** The client's LZ77 window, 8 to 15. Default: 15, not announced. */
  clientMaxWindowBits?: number
  /** zlib level, 0 to 9. Default 6. */
  level?: number
  /** zlib's memLevel, 1 to 9: memory for the compressor's speed and ratio (9 most). Default 8, zlib's own. */
  memLevel?: number
  /** Messages below this many bytes go uncompressed. Default 1024. */
  threshold?: number
}

/** What a completed opening handshake agreed on. */
export interface HandshakeSettings {
  /** The subprotocol chosen, or `''`. */
  protocol: string
  /** Negotiated extensions. */
  extensions: Extensions
  /** The other side's headers. */
  headers: IncomingHttpHeaders
}

/** An opening handshake that failed. */
export interface HandshakeError extends Error {
  code: 'WS_ERR_HANDSHAKE' | string
  /** The HTTP status involved, if any. */
  status?: number
}

export interface UpgradeRequestOptions extends Pick<
  ConnectionOptions,
  | 'ca'
  | 'cert'
  | 'key'
  | 'pfx'
  | 'passphrase'
  | 'rejectUnauthorized'
  | 'servername'
  | 'checkServerIdentity'
> {
  /** Subprotocols to offer, in order of preference. */
  protocols?: string | string[]
  /** Extra request headers. */
  headers?: Record<string, string>
  /** The Origin header. */
  origin?: string
  /** Milliseconds the whole handshake may take. Default 10000. */
  timeout?: number
  /** Offer permessage-deflate (default: offered). */
  perMessageDeflate?: boolean | PerMessageDeflateOptions
}

export interface HandleUpgradeOptions {
  /** Subprotocols this server speaks, in its order of preference. */
  protocols?: string | string[]
  /** Accept permessage-deflate when offered (default: accepted). */
  perMessageDeflate?: boolean | PerMessageDeflateOptions
}

export type UpgradeCallback = (
  err: HandshakeError | null,
  socket: Duplex,
  settings: HandshakeSettings,
) => void

/** The HTTP upgrade handshake, client and server side. */
export class Upgrade {
  static createUpgradeRequest(
    url: string,
    options: UpgradeRequestOptions,
    callback: UpgradeCallback,
  ): void
  static createUpgradeRequest(url: string, callback: UpgradeCallback): void
  static handleUpgradeRequest(
    request: IncomingMessage,
    socket: Duplex,
    options: HandleUpgradeOptions,
    callback: UpgradeCallback,
  ): void
  static handleUpgradeRequest(
    request: IncomingMessage,
    socket: Duplex,
    callback: UpgradeCallback,
  ): void
}

export interface ServerOptions
  extends
    HandleUpgradeOptions,
    Pick<
      SocketOptions,
      | 'maxPayload'
      | 'maxFragments'
      | 'maxBackpressure'
      | 'heartbeat'
      | 'streamThreshold'
      | 'closeTimeout'
    > {
  /** Create an http.Server and listen on this port (0: any free port); see `address()`. */
  port?: number
  /** With `port`: the address to listen on. Default: Node's (all interfaces). */
  host?: string
  /** Only upgrades for this URL's path are taken. Default `'ws://localhost:3000'`. */
  url?: string
  /** An idle socket is closed (1001) after this many ms (to 1.25 times it); `Infinity` never. Default 600000. */
  timeout?: number
  /** More connections are refused with 503. Default 10. */
  maxConnections?: number
  /** A connection whose request has not arrived by then is dropped (408). Default 10000. */
  handshakeTimeout?: number
  /**
   * Bytes all sockets together may buffer, both ways. Over it, the sockets holding the most are
   * dropped with 1008 (`WS_ERR_MEMORY_BUDGET`) until the total is under it, and new upgrades get
   * 503 until a measure (every 100 ms) finds it so. Default: none.
   */
  memoryBudget?: number
  /**
   * Allowed `Origin`s, such as `'https://example.com'`; a request from a page of another origin
   * gets 403. Requests without `Origin` (not from a browser) are allowed. Default: any.
   */
  origins?: string[]
  /**
   * Checks each upgrade before the 101, within `handshakeTimeout` (else 503), holding a slot of
   * `maxConnections` meanwhile: `true` accepts, `false` refuses with 403, `{ status, headers,
   * reason }` refuses with that status. What it sets on `request` the `'open'` listener sees.
   */
  verifyRequest?: (request: IncomingMessage) => VerifyResult | Promise<VerifyResult>
  /**
   * The bus to other processes' subscribers for `publish()`: a `ClusterAdapter`, a
   * `RedisAdapter` or an `Adapter` of your own; one per Server. Default: none (this process).
   */
  adapter?: Adapter
}

/** What `verifyRequest` answers. */
export type VerifyResult =
  boolean | { status: number; headers?: Record<string, string>; reason?: string }

/** Many sockets on one http.Server, with broadcast. */
export class Server extends EventEmitter {
  constructor(options?: ServerOptions)
  /** The open sockets. */
  readonly sockets: Socket[]
  /** Takes that server's upgrade requests. */
  listen(httpServer: HttpServer | HttpsServer): this
  /** One frame, encoded once, to every open socket. */
  broadcast(head: { fin?: boolean; opcode?: number } | null, message: Payload): void
  /** A stream to every socket; an empty chunk ends it. */
  write(chunk: Payload): void
  /**
   * `message` to every subscriber of `topic`: this process's now (one frame for all), other
   * processes' through the adapter. Rejects with `WS_ERR_BUS_DOWN` when the adapter's bus did not
   * take it; the local subscribers have it either way.
   */
  publish(topic: string, message: Payload): Promise<void>
  /** Totals over every socket this server opened, closes and errors by code. */
  readonly stats: ServerStats
  /** The address the server made for `port` is bound to; null without `port`. */
  address(): AddressInfo | string | null
  /** Closes every socket with 1001 and stops taking upgrades (and listening, with `port`). */
  close(callback?: () => void): void

  on<E extends keyof ServerEvents>(event: E, listener: (...args: ServerEvents[E]) => void): this
  on<E extends string | symbol>(
    event: OtherEvent<E, ServerEvents>,
    listener: (...args: any[]) => void,
  ): this
  once<E extends keyof ServerEvents>(event: E, listener: (...args: ServerEvents[E]) => void): this
  once<E extends string | symbol>(
    event: OtherEvent<E, ServerEvents>,
    listener: (...args: any[]) => void,
  ): this
  addListener<E extends keyof ServerEvents>(
    event: E,
    listener: (...args: ServerEvents[E]) => void,
  ): this
  addListener<E extends string | symbol>(
    event: OtherEvent<E, ServerEvents>,
    listener: (...args: any[]) => void,
  ): this
  prependListener<E extends keyof ServerEvents>(
    event: E,
    listener: (...args: ServerEvents[E]) => void,
  ): this
  prependListener<E extends string | symbol>(
    event: OtherEvent<E, ServerEvents>,
    listener: (...args: any[]) => void,
  ): this
  prependOnceListener<E extends keyof ServerEvents>(
    event: E,
    listener: (...args: ServerEvents[E]) => void,
  ): this
  prependOnceListener<E extends string | symbol>(
    event: OtherEvent<E, ServerEvents>,
    listener: (...args: any[]) => void,
  ): this
  off<E extends keyof ServerEvents>(event: E, listener: (...args: ServerEvents[E]) => void): this
  off<E extends string | symbol>(
    event: OtherEvent<E, ServerEvents>,
    listener: (...args: any[]) => void,
  ): this
  removeListener<E extends keyof ServerEvents>(
    event: E,
    listener: (...args: ServerEvents[E]) => void,
  ): this
  removeListener<E extends string | symbol>(
    event: OtherEvent<E, ServerEvents>,
    listener: (...args: any[]) => void,
  ): this
}

/** Options of `connect`: the handshake's, plus those that shape the Socket. */
export interface ConnectOptions
  extends
    UpgradeRequestOptions,
    Pick<
      SocketOptions,
      | 'opcode'
      | 'streamThreshold'
      | 'maxPayload'
      | 'maxFragments'
      | 'maxBackpressure'
      | 'closeTimeout'
    > {}

/**
 * Opens a client WebSocket (`ws://` or `wss://`) and resolves with the open, masking Socket;
 * rejects with the handshake's error (`code` 'WS_ERR_HANDSHAKE', `status`) or the connection's.
 */
/** Socket.stats: counts since the socket opened. */
export interface SocketStats {
  messagesReceived: number
  messagesSent: number
  /** Bytes read from the connection, frame headers included. */
  bytesReceived: number
  /** Bytes written to the connection, frame headers included. */
  bytesSent: number
  /** Bytes received and not yet delivered: unread stream bytes and messages being assembled. */
  bufferedIncoming: number
  /** As `Socket.bufferedAmount`. */
  bufferedAmount: number
  /** Payload bytes this socket compressed (permessage-deflate), before and after. */
  compressedFrom: number
  compressedTo: number
}

/** Server.stats. */
export interface ServerStats extends SocketStats {
  /** Open sockets. */
  sockets: number
  /** compressedTo / compressedFrom, or null when nothing was compressed. */
  compressionRatio: number | null
  /** Closed sockets by close code. */
  closes: Record<string, number>
  /** Socket errors by `err.code`. */
  errors: Record<string, number>
}

/** Messages the bus carries: opcode 1 (text) or 2 (binary). */
export type Opcode = 1 | 2

/**
 * The bus between Servers of several processes (docs/scaling.md). Subclass it and override
 * `publish`, `subscribe`, `unsubscribe` and `close`; call `deliver` for messages from the bus.
 */
export class Adapter extends EventEmitter {
  /** `maxPending`: bytes of publishes the bus has not taken yet before more are refused (64 MiB). */
  constructor(options?: { maxPending?: number })
  /** For subclasses' `publish`: `send()`, unless `bytes` more would pass `maxPending` (then a rejection). */
  protected bounded(bytes: number, send: () => Promise<void>): Promise<void>
  /** Called once by the Server the adapter is given to. */
  attach(receive: (topic: string, opcode: Opcode, data: string | Buffer) => void): void
  /** Hands a message from another process to the Server. */
  protected deliver(topic: string, opcode: Opcode, data: string | Buffer): void
  /** A message published here, for the other processes; rejects when the bus did not take it. */
  publish(topic: string, opcode: Opcode, data: string | Buffer): Promise<void>
  /** The first subscriber of `topic` in this process appeared. */
  subscribe(topic: string): void
  /** The last subscriber of `topic` in this process left. */
  unsubscribe(topic: string): void
  close(): Promise<void>
  on(event: 'up', listener: () => void): this
  on(event: 'down', listener: (err: WebSocketError) => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
  once(event: 'up', listener: () => void): this
  once(event: 'down', listener: (err: WebSocketError) => void): this
  once(event: string | symbol, listener: (...args: any[]) => void): this
}

/** Node's cluster as the bus: one per worker; the primary calls `ClusterAdapter.relay()`. */
export class ClusterAdapter extends Adapter {
  /** `maxPending`: bytes of publishes on their way to the primary before more are refused (64 MiB). */
  constructor(options?: { maxPending?: number })
  /** In the primary, before forking: relays publishes between workers. */
  static relay(): void
}

export interface RedisAdapterOptions {
  /** Default `'redis://127.0.0.1:6379'`. */
  url?: string
  /** Prefix of the channel names. Default `'websockets:'`. */
  prefix?: string
  /** More ioredis options. */
  redis?: Record<string, unknown>
  /** Bytes of publishes Redis has not answered yet before more are refused. Default 64 MiB. */
  maxPending?: number
}

/** Redis pub/sub as the bus, through ioredis (install it next to websockets). */
export class RedisAdapter extends Adapter {
  constructor(options?: RedisAdapterOptions)
}

export function connect(url: string, options?: ConnectOptions): Promise<Socket>
