/// <reference types="node" />

import { EventEmitter } from 'node:events'
import { IncomingHttpHeaders, IncomingMessage, Server as HttpServer } from 'node:http'
import { Server as HttpsServer } from 'node:https'
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
  /** Milliseconds to wait for the peer's close frame after ours. Default 30000. */
  closeTimeout?: number
}

/** A protocol violation by the peer. */
export class WebSocketError extends Error {
  /** `WS_ERR_*`, as ws names the same violation. */
  readonly code: string
  /** The close code the connection was failed with (1002, 1007, 1009). */
  readonly closeCode: number
}

/** A message-level WebSocket over any Duplex carrying the bytes after the handshake. */
export class Socket extends Duplex {
  constructor(source: Duplex, options?: SocketOptions)
  /** One complete data frame. Returns false once closing, or when queued behind a stream. */
  send(message?: Payload): boolean
  /** A ping; its body may be at most 125 bytes. */
  ping(message?: Payload): boolean
  /** Starts the closing handshake: a code, a reason (code 1000), or both. */
  close(code?: number, reason?: string): void
  close(reason: string): void
  /** A fragment of an outgoing stream; without a chunk, the final frame. */
  stream(chunk?: Payload): boolean

  on(event: 'message', listener: (message: string | Buffer) => void): this
  on(event: 'stream:start', listener: (opcode: 0x01 | 0x02) => void): this
  on(event: 'stream:stop', listener: () => void): this
  on(event: 'pong', listener: (message: Buffer) => void): this
  on(event: 'close', listener: (code: number, reason: string) => void): this
  on(event: 'error', listener: (err: WebSocketError) => void): this
  on(event: 'data', listener: (chunk: Buffer) => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
  once(event: 'message', listener: (message: string | Buffer) => void): this
  once(event: 'stream:start', listener: (opcode: 0x01 | 0x02) => void): this
  once(event: 'stream:stop', listener: () => void): this
  once(event: 'pong', listener: (message: Buffer) => void): this
  once(event: 'close', listener: (code: number, reason: string) => void): this
  once(event: 'error', listener: (err: WebSocketError) => void): this
  once(event: string | symbol, listener: (...args: any[]) => void): this
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

  on(event: 'head', listener: (head: FrameHead) => void): this
  on(event: 'done', listener: () => void): this
  on(event: 'error', listener: (err: Error) => void): this
  on(event: 'data', listener: (chunk: Buffer) => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
}

/** What a completed opening handshake agreed on. */
export interface HandshakeSettings {
  /** The subprotocol chosen, or `''`. */
  protocol: string
  /** Negotiated extensions (none yet). */
  extensions: Record<string, never>
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
}

export interface HandleUpgradeOptions {
  /** Subprotocols this server speaks, in its order of preference. */
  protocols?: string | string[]
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
    Pick<SocketOptions, 'maxPayload' | 'streamThreshold' | 'closeTimeout'> {
  /** Only upgrades for this URL's path are taken. Default `'ws://localhost:3000'`. */
  url?: string
  /** An idle socket is closed (1001) after this many ms. Default 600000. */
  timeout?: number
  /** More connections are refused with 503. Default 10. */
  maxConnections?: number
  /** A connection whose request has not arrived by then is dropped (408). Default 10000. */
  handshakeTimeout?: number
}

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

  on(
    event: 'open',
    listener: (wssocket: Socket, request: IncomingMessage, settings: HandshakeSettings) => void,
  ): this
  on(event: 'message', listener: (message: string | Buffer, wssocket: Socket) => void): this
  on(event: 'pong', listener: (message: Buffer, wssocket: Socket) => void): this
  on(event: 'close', listener: (code: number, wssocket: Socket, reason: string) => void): this
  on(event: 'error', listener: (err: WebSocketError, wssocket: Socket) => void): this
  on(event: 'stream:start', listener: (opcode: 0x01 | 0x02, wssocket: Socket) => void): this
  on(event: 'stream:stop', listener: (wssocket: Socket) => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
}
