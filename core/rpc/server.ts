/**
 * The daemon's JSON-RPC 2.0 server over WebSocket: the one place (with client.ts) where `ws` and
 * `typed-rpc` enter the project.
 *
 * Two endpoints share the listener, the checks and the limits: `/rpc` (JSON-RPC 2.0, subprotocol
 * `secushare.rpc.v1`) and `/webchannel` (the QWebChannel protocol, webchannel.ts, subprotocol
 * `secushare.webchannel.v1`). Every check happens in the HTTP upgrade, before a WebSocket exists and
 * before any method can run: request head size (431), path (404), Host header (403, DNS-rebinding
 * defence), Origin header (403, browsers), repeated failed logins from the address (429), token
 * (401, see auth.ts), connection cap (503). After that each JSON-RPC text message is one request,
 * dispatched by typed-rpc's handleRpc to the service object; errors leave as JSON-RPC errors whose
 * `data` is `{code, message, detail}` of a SecushareError (see docs/rpc.md).
 *
 * With `webUi` the listener also serves the web UI's files (web.ts) to plain GETs, and the
 * WebSocket endpoints accept that page's own Origin besides `allowedOrigins`.
 *
 * Events (event-bus.ts) reach JSON-RPC clients that called `subscribe` as notifications, and
 * QWebChannel clients as signals and property updates, through a bounded per-client queue
 * (event-queue.ts) that is written only while the client keeps up: the daemon never blocks on one.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { networkInterfaces } from 'node:os'
import type { Duplex } from 'node:stream'
import { handleRpc, isJsonRpcRequest, type JsonRpcRequest, type JsonRpcResponse } from 'typed-rpc/server'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import { isSecushareError, limitExceeded, SecushareError, type ErrorCode } from '../../protocol/errors.js'
import {
  MAX_RPC_AUTH_TRACKED_ADDRESSES, MAX_RPC_CLIENT_BUFFERED_BYTES, MAX_RPC_CONNECTIONS, MAX_RPC_INFLIGHT_PER_CONNECTION,
  MAX_RPC_MESSAGE_BYTES, MAX_RPC_PENDING_SOCKETS, MAX_RPC_REQUEST_HEAD_BYTES, RPC_AUTH_BLOCK_MS, RPC_AUTH_FAILURE_LIMIT,
  RPC_AUTH_FAILURE_WINDOW_MS, RPC_EVENT_SEND_BUFFERED_BYTES, RPC_UPGRADE_TIMEOUT_MS
} from '../../protocol/limits.js'
import { offeredProtocols, presentedToken, RPC_SUBPROTOCOL, TOKEN_PATTERN, tokenMatches } from './auth.js'
import { EventBus, type EventName, type NodeStatus } from './event-bus.js'
import { EventQueue } from './event-queue.js'
import { hostHeaders, isWildcardHost, PAIR_PATH, PAIR_SUBPROTOCOL, type Grant } from './remote.js'
import { propertyUpdate, WEBCHANNEL_PATH, WEBCHANNEL_SUBPROTOCOL, WebChannelSession } from './webchannel.js'
import { isRecord, jsonDetail } from './json.js'
import { ownOrigin, serveWeb } from './web.js'
import { loadWebAssets, type WebAsset } from './web-assets.js'

export const RPC_PATH = '/rpc'
/** The method a JSON-RPC client calls to receive events; the service validates it (service.ts). */
export const SUBSCRIBE_METHOD = 'subscribe'
/** Methods only JSON-RPC publishes (a QWebChannel client connects to signals instead). */
const JSONRPC_ONLY = new Set([SUBSCRIBE_METHOD])
/** Subprotocol of each endpoint, by path. */
const ENDPOINTS: ReadonlyMap<string, string> = new Map([[RPC_PATH, RPC_SUBPROTOCOL], [WEBCHANNEL_PATH, WEBCHANNEL_SUBPROTOCOL], [PAIR_PATH, PAIR_SUBPROTOCOL]])

/** JSON-RPC error codes used by the server. */
export const JSONRPC_PARSE_ERROR = -32700
export const JSONRPC_INVALID_REQUEST = -32600
export const JSONRPC_METHOD_NOT_FOUND = -32601
export const JSONRPC_INVALID_PARAMS = -32602
export const JSONRPC_INTERNAL_ERROR = -32603
/** Every SecushareError other than INVALID_ARGUMENT and INTERNAL; `data.code` tells them apart. */
export const JSONRPC_APPLICATION_ERROR = -32000

/** How long a closing client gets to answer the close handshake before its socket is destroyed. */
const CLOSE_GRACE_MS = 1_000

export interface RpcServerOptions {
  /** Address to bind; port 0 picks a free one. */
  host: string
  port: number
  /** The token clients must present (auth.ts; newToken() makes one). */
  token: string
  /**
   * A typed-rpc service: methods taking ONE params object (or none) and returning JSON. Its method
   * names are fixed when the server starts: own and inherited function properties, except
   * `constructor`, names starting with `_`, and Object.prototype's.
   */
  service: object
  /** Browser origins allowed to connect (exact `Origin` values). Default none. */
  allowedOrigins?: string[]
  /**
   * Extra `Host` header values (`name:port`) accepted besides the bound host and loopback names,
   * for a remote UI reaching a daemon bound to a LAN address by name. Default none.
   */
  allowedHosts?: string[]
  /**
   * Remote UIs (remote.ts): `verify` maps a UI token to its id (undefined: not one); `redeem`
   * consumes a pairing code presented at `/pair` and returns what issues the UI token. Without
   * them only `token` is accepted and `/pair` refuses every code (401).
   */
  uiTokens?: { verify: (token: string | undefined) => string | undefined, redeem: (code: string | undefined) => (() => Grant) | undefined }
  /** Methods only a client authenticated with `token` itself may call (UI tokens get NOT_FOUND). */
  ownerOnly?: readonly string[]
  /** Called with every error that is not a SecushareError (a bug); default: one line on stderr. */
  onInternalError?: (err: unknown, method: string) => void
  /** Events and status forwarded to clients (JSON-RPC after `subscribe`, QWebChannel). Default: none ever. */
  events?: EventBus
  /**
   * Serve the web UI (web.ts) at `/`, and accept its own Origin (`http://` + an allowed Host) on
   * the WebSocket endpoints. Default false.
   */
  webUi?: boolean
}

export interface RpcServer {
  /** ws://HOST:PORT/rpc */
  readonly url: string
  /** ws://HOST:PORT/webchannel */
  readonly webchannelUrl: string
  /** http://HOST:PORT/, the web UI on the local address, or null when it is off. */
  readonly webUrl: string | null
  /** The web UI at each name in pairUrls (empty when it is off). */
  readonly webUrls: string[]
  readonly port: number
  /**
   * Sends the JSON-RPC notification `{jsonrpc, method, params}` to every connected (so
   * authenticated) client. Throws LIMIT_EXCEEDED (MAX_RPC_MESSAGE_BYTES) if it is too big. A client
   * already MAX_RPC_CLIENT_BUFFERED_BYTES behind is disconnected (1013) instead of sent to.
   */
  notify: (method: string, params: unknown) => void
  /** Closes (1008) every connection authenticated with the UI token `id`; returns how many. */
  closeUiToken: (id: string) => number
  /** Open connections per UI token id. */
  uiConnections: () => Map<string, number>
  /** ws://HOST:PORT/pair, with each name a remote UI may use for HOST (bound host or interfaces). */
  readonly pairUrls: string[]
  /** Closes every client (1001) and the listener; resolves when all sockets are gone. */
  close: () => Promise<void>
  /** Live counters: open WebSocket connections, and upgrades refused for a missing or wrong token. */
  readonly stats: { connections: number, refusedAuth: number }
}

interface Client {
  ws: WebSocket
  /** The UI token the client authenticated with (remote.ts), or undefined for the daemon's token. */
  uiToken: string | undefined
  /** Runs one text message (JSON-RPC request or QWebChannel frame). */
  handle: (text: string) => Promise<void>
  /** Events not yet written to the socket. */
  events: EventQueue
  /** JSON-RPC: what `subscribe` asked for (none before). */
  subscribed: Set<string>
  /** QWebChannel: the protocol state. */
  session: WebChannelSession | undefined
  pumpScheduled: boolean
  inflight: number
  /** Messages read while `inflight` was at the limit, in arrival order. */
  queue: string[]
  paused: boolean
  dropping: boolean
}

type ErrorData = { code: string, message: string, detail: Record<string, unknown> }

function clip (s: string, n = 64): string {
  return s.length <= n ? s : s.slice(0, n - 1) + '…'
}

/** The names a client may call (see RpcServerOptions.service). */
function serviceMethods (service: object): Set<string> {
  const names = new Set<string>()
  for (let o: object | null = service; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const k of Object.getOwnPropertyNames(o)) {
      if (k === 'constructor' || k.startsWith('_')) continue
      if (typeof Object.getOwnPropertyDescriptor(o, k)?.value === 'function') names.add(k)
    }
  }
  return names
}

function errorResponse (id: JsonRpcRequest['id'], code: number, errCode: ErrorCode, message: string, detail: Record<string, unknown> = {}): JsonRpcResponse {
  const data: ErrorData = { code: errCode, message, detail }
  return { jsonrpc: '2.0', id: id ?? null, error: { code, message, data } }
}

function idOf (msg: unknown): JsonRpcRequest['id'] {
  if (!isRecord(msg)) return null
  const id = msg.id
  return typeof id === 'string' || typeof id === 'number' ? id : null
}

function rawText (data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
}

/** Failed authentications per remote address (bounded, forgetting the oldest). Exported for its tests. */
export class AuthLimiter {
  private readonly entries = new Map<string, { failures: number, windowStart: number, blockedUntil: number }>()

  /** Milliseconds this address stays refused, or 0. */
  blockedFor (addr: string, now: number): number {
    const e = this.entries.get(addr)
    if (e === undefined || e.blockedUntil === 0) return 0
    if (e.blockedUntil > now) return e.blockedUntil - now
    this.entries.delete(addr)
    return 0
  }

  fail (addr: string, now: number): void {
    let e = this.entries.get(addr)
    this.entries.delete(addr)
    if (e === undefined || now - e.windowStart > RPC_AUTH_FAILURE_WINDOW_MS) e = { failures: 0, windowStart: now, blockedUntil: 0 }
    e.failures++
    if (e.failures >= RPC_AUTH_FAILURE_LIMIT) e.blockedUntil = now + RPC_AUTH_BLOCK_MS
    this.entries.set(addr, e)
    while (this.entries.size > MAX_RPC_AUTH_TRACKED_ADDRESSES) {
      const oldest = this.entries.keys().next().value
      if (oldest === undefined) break
      this.entries.delete(oldest)
    }
  }
}

/** A client this many bytes behind (written, not yet taken by its socket) is dropped (1013), not sent more. */
export const tooFarBehind = (buffered: number): boolean => buffered > MAX_RPC_CLIENT_BUFFERED_BYTES
/** Queued events are written to a client only while fewer bytes than this wait in its socket. */
export const mayWriteEvents = (buffered: number): boolean => buffered < RPC_EVENT_SEND_BUFFERED_BYTES

function hostForUrl (host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

function defaultInternalError (err: unknown, method: string): void {
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err)
  process.stderr.write(`secushare rpc: internal error in ${method}: ${text}\n`)
}

export async function startRpcServer (opts: RpcServerOptions): Promise<RpcServer> {
  if (!TOKEN_PATTERN.test(opts.token)) {
    throw new SecushareError('INVALID_ARGUMENT', 'the RPC token must be 32 to 256 characters of [A-Za-z0-9._~-]')
  }
  if (opts.host === '') throw new SecushareError('INVALID_ARGUMENT', 'the RPC host is empty')
  const service = opts.service
  const methods = serviceMethods(service)
  const channelMethods = [...methods].filter((m) => !JSONRPC_ONLY.has(m))
  const bus = opts.events ?? new EventBus()
  const allowedOrigins = new Set(opts.allowedOrigins ?? [])
  const webAssets: ReadonlyMap<string, WebAsset> = opts.webUi === true ? loadWebAssets() : new Map()
  const ownerOnly = new Set(opts.ownerOnly ?? [])
  const uiChannelMethods = channelMethods.filter((m) => !ownerOnly.has(m))
  const onInternalError = opts.onInternalError ?? defaultInternalError
  const limiter = new AuthLimiter()
  const clients = new Set<Client>()
  /** TCP connections not yet upgraded, with the timer that closes them. */
  const pending = new Map<Duplex, NodeJS.Timeout>()
  const stats = { connections: 0, refusedAuth: 0 }
  let allowedHosts = new Set<string>()
  let closing: Promise<void> | undefined

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: MAX_RPC_MESSAGE_BYTES,
    perMessageDeflate: false,
    // Select the endpoint's subprotocol when offered, never anything else (never the token).
    handleProtocols: (protocols, req) => {
      const own = ENDPOINTS.get((req.url ?? '').split('?')[0] ?? '')
      return own !== undefined && protocols.has(own) ? own : false
    }
  })

  const http = createServer({ maxHeaderSize: MAX_RPC_REQUEST_HEAD_BYTES }, (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0] ?? ''
    const host = req.headers.host?.toLowerCase()
    if (serveWeb(webAssets, path, req, res, host !== undefined && allowedHosts.has(host))) return
    const status = ENDPOINTS.has(path) ? 426 : 404
    res.writeHead(status, { Connection: 'close', 'Content-Type': 'text/plain' })
    res.end(status === 426 ? 'WebSocket upgrade required\n' : 'not found\n')
  })

  http.on('connection', (socket: Socket) => {
    if (closing !== undefined || pending.size >= MAX_RPC_PENDING_SOCKETS) {
      socket.destroy()
      return
    }
    const timer = setTimeout(() => { socket.destroy() }, RPC_UPGRADE_TIMEOUT_MS)
    timer.unref()
    pending.set(socket, timer)
    socket.once('close', () => {
      clearTimeout(timer)
      pending.delete(socket)
    })
  })

  const refuse = (socket: Duplex, status: number, text: string, headers: Record<string, string> = {}): void => {
    const body = text + '\n'
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')
    socket.once('finish', () => { socket.destroy() })
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`)
  }

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => { /* a reset peer; 'close' follows */ })
    if (closing !== undefined) { refuse(socket, 503, 'the daemon is stopping'); return }
    const path = (req.url ?? '').split('?')[0] ?? ''
    const subprotocol = ENDPOINTS.get(path)
    if (subprotocol === undefined) { refuse(socket, 404, 'not found'); return }
    const host = req.headers.host?.toLowerCase()
    if (host === undefined || !allowedHosts.has(host)) { refuse(socket, 403, 'Host not allowed'); return }
    const originHeader = req.headers.origin ?? req.headers['sec-websocket-origin']
    const origin = Array.isArray(originHeader) ? originHeader.join(',') : originHeader
    if (origin !== undefined && !allowedOrigins.has(origin) && !(webAssets.size > 0 && origin.toLowerCase() === ownOrigin(host))) {
      refuse(socket, 403, 'Origin not allowed')
      return
    }
    const addr = (socket as Socket).remoteAddress ?? ''
    const now = Date.now()
    const blocked = limiter.blockedFor(addr, now)
    if (blocked > 0) {
      refuse(socket, 429, 'too many failed authentications', { 'Retry-After': String(Math.ceil(blocked / 1000)) })
      return
    }
    const presented = presentedToken(req.headers, subprotocol)
    if (path === PAIR_PATH) {
      const grant = opts.uiTokens?.redeem(presented)
      if (grant === undefined) {
        stats.refusedAuth++
        limiter.fail(addr, now)
        refuse(socket, 401, 'pairing code missing, wrong, used or expired', { 'WWW-Authenticate': 'Bearer realm="secushare-pair"' })
        return
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const timer = pending.get(socket)
        if (timer !== undefined) clearTimeout(timer)
        pending.delete(socket)
        ws.on('error', () => { /* closed below */ })
        let answer: Record<string, unknown>
        try {
          const g = grant()
          answer = { id: g.id, name: g.name, token: g.token, endpoints: { jsonrpc: `ws://${req.headers.host ?? ''}${RPC_PATH}`, webchannel: `ws://${req.headers.host ?? ''}${WEBCHANNEL_PATH}` } }
        } catch (e) {
          if (!isSecushareError(e)) onInternalError(e, 'pair')
          answer = { error: isSecushareError(e) ? e.toJSON() : { code: 'INTERNAL', message: 'internal error in pair', detail: {} } }
        }
        ws.send(JSON.stringify(answer), () => { ws.close(1000, 'paired') })
        const t = setTimeout(() => { ws.terminate() }, CLOSE_GRACE_MS * 2)
        t.unref()
        ws.once('close', () => { clearTimeout(t) })
      })
      return
    }
    const uiToken = tokenMatches(opts.token, presented) ? undefined : opts.uiTokens?.verify(presented)
    if (uiToken === undefined && !tokenMatches(opts.token, presented)) {
      stats.refusedAuth++
      limiter.fail(addr, now)
      refuse(socket, 401, 'token missing or wrong', { 'WWW-Authenticate': 'Bearer realm="secushare"' })
      return
    }
    if (clients.size >= MAX_RPC_CONNECTIONS) { refuse(socket, 503, 'too many RPC connections'); return }
    if (offeredProtocols(req.headers).length > 0 && !offeredProtocols(req.headers).includes(subprotocol)) {
      refuse(socket, 400, `offer the ${subprotocol} subprotocol or none`)
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const timer = pending.get(socket)
      if (timer !== undefined) clearTimeout(timer)
      pending.delete(socket)
      accept(ws, path, uiToken)
      // Revoked while the upgrade completed: closeUiToken has already run, so close it here.
      if (uiToken !== undefined && opts.uiTokens?.verify(presented) !== uiToken) ws.close(1008, 'token revoked')
    })
  })

  const send = (c: Client, text: string): void => {
    if (c.ws.readyState !== WebSocket.OPEN) return
    if (tooFarBehind(c.ws.bufferedAmount)) {
      drop(c, 1013, 'client too slow')
      return
    }
    c.ws.send(text)
  }

  const drop = (c: Client, code: number, reason: string): void => {
    if (c.dropping) return
    c.dropping = true
    c.ws.close(code, reason)
    const t = setTimeout(() => { c.ws.terminate() }, CLOSE_GRACE_MS)
    t.unref()
    c.ws.once('close', () => { clearTimeout(t) })
  }

  const reply = (c: Client, res: JsonRpcResponse, method: string): void => {
    if ('result' in res && res.result === undefined) res.result = null
    let text: string
    try {
      text = JSON.stringify(res)
    } catch (e) {
      onInternalError(e, method)
      text = JSON.stringify(errorResponse(res.id, JSONRPC_INTERNAL_ERROR, 'INTERNAL', `internal error in ${method} (its result is not JSON)`))
    }
    send(c, text)
  }

  const dispatch = async (c: Client, text: string): Promise<void> => {
    let msg: unknown
    try {
      msg = JSON.parse(text)
    } catch {
      reply(c, errorResponse(null, JSONRPC_PARSE_ERROR, 'INVALID_ARGUMENT', 'Parse error: the message is not JSON'), '-')
      return
    }
    if (Array.isArray(msg)) {
      reply(c, errorResponse(null, JSONRPC_INVALID_REQUEST, 'INVALID_ARGUMENT', 'Invalid Request: batches are not supported'), '-')
      return
    }
    // JSON-RPC allows params by name; our methods take one params object, so that is [params].
    const req: unknown = isRecord(msg) && isRecord(msg.params) ? { ...msg, params: [msg.params] } : msg
    if (!isJsonRpcRequest(req)) {
      reply(c, errorResponse(idOf(msg), JSONRPC_INVALID_REQUEST, 'INVALID_ARGUMENT', 'Invalid Request: not a JSON-RPC 2.0 request'), '-')
      return
    }
    const notification = isRecord(msg) && !('id' in msg)
    const method = req.method
    if (!methods.has(method) || (c.uiToken !== undefined && ownerOnly.has(method))) {
      if (!notification) reply(c, errorResponse(req.id, JSONRPC_METHOD_NOT_FOUND, 'NOT_FOUND', `no RPC method ${JSON.stringify(clip(method))}`), '-')
      return
    }
    if ((req.params?.length ?? 0) > 1) {
      if (!notification) {
        reply(c, errorResponse(req.id, JSONRPC_INVALID_PARAMS, 'INVALID_ARGUMENT', `${method}: takes one params object, got ${req.params?.length ?? 0} arguments`), method)
      }
      return
    }
    const res = await handleRpc(req, service, {
      getErrorCode: (e) => {
        if (!isSecushareError(e)) return JSONRPC_INTERNAL_ERROR
        if (e.code === 'INVALID_ARGUMENT') return JSONRPC_INVALID_PARAMS
        if (e.code === 'INTERNAL') return JSONRPC_INTERNAL_ERROR
        return JSONRPC_APPLICATION_ERROR
      },
      getErrorMessage: (e) => isSecushareError(e) ? e.message : `internal error in ${method}`,
      getErrorData: (e): ErrorData => isSecushareError(e)
        ? { code: e.code, message: e.message, detail: jsonDetail(e.detail) }
        : { code: 'INTERNAL', message: `internal error in ${method}`, detail: {} },
      onError: (e) => { if (!isSecushareError(e) || e.code === 'INTERNAL') onInternalError(e, method) }
    })
    if (method === SUBSCRIBE_METHOD && 'result' in res && isRecord(res.result) && Array.isArray(res.result.events)) {
      c.subscribed = new Set(res.result.events.filter((e): e is string => typeof e === 'string'))
    }
    if (!notification) reply(c, res, method)
  }

  /**
   * Runs one message, at most MAX_RPC_INFLIGHT_PER_CONNECTION at once per client. At the limit the
   * socket is paused; messages ws had already read from it wait in `queue` (so the queue holds at
   * most one socket read).
   */
  const run = (c: Client, text: string): void => {
    if (c.inflight >= MAX_RPC_INFLIGHT_PER_CONNECTION) {
      c.queue.push(text)
      return
    }
    c.inflight++
    if (c.inflight >= MAX_RPC_INFLIGHT_PER_CONNECTION && !c.paused) {
      c.paused = true
      c.ws.pause()
    }
    c.handle(text).catch((e: unknown) => { onInternalError(e, '-') }).finally(() => {
      bus.refresh() // a call may change what the status shows (a feed read lowers unread)
      c.inflight--
      const next = c.queue.shift()
      if (next !== undefined) {
        run(c, next)
      } else if (c.paused) {
        c.paused = false
        c.ws.resume()
      }
    })
  }

  const accept = (ws: WebSocket, path: string, uiToken: string | undefined): void => {
    const c: Client = {
      ws, uiToken, handle: async (text) => { await dispatch(c, text) }, events: new EventQueue(), subscribed: new Set(), session: undefined,
      pumpScheduled: false, inflight: 0, queue: [], paused: false, dropping: false
    }
    if (path === WEBCHANNEL_PATH) {
      const session = new WebChannelSession({
        methods: uiToken === undefined ? channelMethods : uiChannelMethods,
        call: async (method, args) => await (service as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!(...args),
        send: (msg) => { sendJson(c, msg, 'webchannel') },
        status: () => bus.status,
        onIdle: () => { pump(c) },
        onResend: (changed) => { c.events.mergeStatus(changed); pump(c) },
        onInternalError
      })
      c.session = session
      c.handle = async (text) => { await session.handle(text) }
    }
    clients.add(c)
    stats.connections = clients.size
    ws.on('error', () => { /* ws closes the connection itself (1009 too big, 1007 bad UTF-8, ...) */ })
    ws.on('close', () => {
      clients.delete(c)
      stats.connections = clients.size
    })
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) {
        drop(c, 1003, 'only text JSON-RPC messages')
        return
      }
      run(c, rawText(data))
    })
  }

  /** Sends a message built by the server, or an INTERNAL note if it is not JSON. */
  const sendJson = (c: Client, msg: Record<string, unknown>, method: string): void => {
    let text: string
    try {
      text = JSON.stringify(msg)
    } catch (e) {
      onInternalError(e, method)
      text = JSON.stringify({ ...msg, data: undefined, error: { code: 'INTERNAL', message: `internal error in ${method} (its result is not JSON)`, detail: {} } })
    }
    send(c, text)
  }

  /** Whether a client wants status updates now (QWebChannel: only when idle, as in Qt). */
  const wantsStatus = (c: Client): boolean => c.session !== undefined ? c.session.idle : c.subscribed.has('statusChanged')

  /**
   * Writes queued events while the client keeps up (fewer than RPC_EVENT_SEND_BUFFERED_BYTES
   * unread); the write callback of the last one resumes the pump once the socket drains.
   */
  const pump = (c: Client): void => {
    if (c.pumpScheduled) return
    c.pumpScheduled = true
    setImmediate(() => {
      c.pumpScheduled = false
      while (c.ws.readyState === WebSocket.OPEN && !c.dropping && mayWriteEvents(c.ws.bufferedAmount)) {
        let text: string | undefined
        const status = wantsStatus(c) ? c.events.takeStatus() : undefined
        if (status !== undefined) {
          if (c.session !== undefined) c.session.idle = false
          text = JSON.stringify(c.session !== undefined ? propertyUpdate(status as Partial<NodeStatus>) : { jsonrpc: '2.0', method: 'statusChanged', params: status })
        } else {
          const next = c.events.shift()
          if (next === undefined) return
          if (next.kind === 'event') {
            text = next.text
          } else {
            const lost = { count: next.count }
            text = c.session !== undefined ? JSON.stringify(c.session.signal('eventsLost', lost) ?? null) : JSON.stringify({ jsonrpc: '2.0', method: 'eventsLost', params: lost })
            if (text === 'null') continue
          }
        }
        if (Buffer.byteLength(text) > MAX_RPC_MESSAGE_BYTES) continue // never sent; events are small
        c.ws.send(text, () => { if (c.events.size > 0 || c.events.lostCount > 0) pump(c) })
      }
    })
  }

  const onEvent = (name: EventName, params: Record<string, unknown>): void => {
    let jsonRpcText: string | undefined
    for (const c of clients) {
      if (c.session !== undefined) {
        const msg = c.session.signal(name, params)
        if (msg === undefined) continue
        c.events.push(JSON.stringify(msg))
      } else {
        if (!c.subscribed.has(name)) continue
        jsonRpcText ??= JSON.stringify({ jsonrpc: '2.0', method: name, params })
        c.events.push(jsonRpcText)
      }
      pump(c)
    }
  }
  const onStatus = (changed: Partial<NodeStatus>): void => {
    for (const c of clients) {
      if (c.session === undefined && !c.subscribed.has('statusChanged')) continue
      c.events.mergeStatus(changed)
      pump(c)
    }
  }
  const unsubscribe = [bus.on(onEvent), bus.onStatus(onStatus)]

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      for (const u of unsubscribe) u()
      reject(new SecushareError('RPC_LISTEN_FAILED', `cannot listen for RPC on ${hostForUrl(opts.host)}:${opts.port}: ${e.code ?? e.message}`, { code: e.code ?? null }))
    }
    http.once('error', onError)
    http.listen(opts.port, opts.host, () => {
      http.off('error', onError)
      resolve()
    })
  })
  http.on('error', (e) => { onInternalError(e, 'listener') })
  const address = http.address()
  const port = typeof address === 'object' && address !== null ? address.port : opts.port
  const interfaceAddrs = isWildcardHost(opts.host)
    ? Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((i) => !i.internal && (i.family === 'IPv4' || opts.host === '::')).map((i) => i.address.replace(/%.*$/, '')))
    : []
  allowedHosts = hostHeaders(opts.host, port, interfaceAddrs, opts.allowedHosts ?? [])
  // Local clients (rpc.json) reach a wildcard bind through loopback.
  const localHost = opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host === '::' ? '::1' : opts.host
  const url = `ws://${hostForUrl(localHost)}:${port}${RPC_PATH}`
  const webchannelUrl = `ws://${hostForUrl(localHost)}:${port}${WEBCHANNEL_PATH}`
  const webUrl = webAssets.size > 0 ? `http://${hostForUrl(localHost)}:${port}/` : null
  const pairHosts = isWildcardHost(opts.host) ? [...interfaceAddrs, ...(opts.allowedHosts ?? [])] : [opts.host, ...(opts.allowedHosts ?? [])]
  const pairUrls = [...new Set(pairHosts.map((h) => /:\d+$/.test(h) && !h.endsWith(']') && h.split(':').length === 2 ? `ws://${h}${PAIR_PATH}` : `ws://${hostForUrl(h)}:${port}${PAIR_PATH}`))]

  const close = async (): Promise<void> => {
    if (closing !== undefined) return await closing
    closing = (async () => {
      for (const u of unsubscribe) u()
      const listenerClosed = new Promise<void>((resolve) => { http.close(() => { resolve() }) })
      for (const socket of pending.keys()) socket.destroy()
      await Promise.all([...clients].map(async (c) => {
        if (c.ws.readyState === WebSocket.CLOSED) return
        const closed = new Promise<void>((resolve) => { c.ws.once('close', () => { resolve() }) })
        drop(c, 1001, 'daemon stopping')
        await closed
      }))
      await listenerClosed
      await new Promise<void>((resolve) => { wss.close(() => { resolve() }) })
    })()
    return await closing
  }

  return {
    url,
    webchannelUrl,
    webUrl,
    port,
    stats,
    close,
    pairUrls,
    webUrls: webUrl === null ? [] : pairUrls.map((u) => u.replace(/^ws:/, 'http:').slice(0, -PAIR_PATH.length) + '/'),
    closeUiToken (id: string): number {
      let n = 0
      for (const c of clients) {
        if (c.uiToken !== id) continue
        n++
        drop(c, 1008, 'token revoked')
      }
      return n
    },
    uiConnections (): Map<string, number> {
      const m = new Map<string, number>()
      for (const c of clients) if (c.uiToken !== undefined) m.set(c.uiToken, (m.get(c.uiToken) ?? 0) + 1)
      return m
    },
    notify (method: string, params: unknown): void {
      const text = JSON.stringify(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params })
      const bytes = Buffer.byteLength(text)
      if (bytes > MAX_RPC_MESSAGE_BYTES) throw limitExceeded('MAX_RPC_MESSAGE_BYTES', MAX_RPC_MESSAGE_BYTES, bytes)
      for (const c of clients) send(c, text)
    }
  }
}
