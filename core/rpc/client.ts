/**
 * The JSON-RPC client the CLI (and scripts, tests) use to reach a daemon: typed-rpc's proxy over a
 * transport of our own on one `ws` connection. typed-rpc/ws is not used: it needs a global
 * WebSocket (Node 20 has none) and cannot send the Authorization header.
 *
 * Errors are SecushareErrors: connection refused or lost → DAEMON_UNREACHABLE; HTTP 401 →
 * RPC_UNAUTHORIZED; 403/429/503 → RPC_REFUSED; no answer in time → RPC_TIMEOUT; a request over
 * MAX_RPC_MESSAGE_BYTES → LIMIT_EXCEEDED; a JSON-RPC error carrying `data: {code, message, detail}`
 * → that SecushareError, so the CLI prints the daemon's own code and message.
 */
import { rpcClient, type JsonRpcRequest, type JsonRpcResponse, type RpcTransport } from 'typed-rpc'
import { WebSocket, type RawData } from 'ws'
import { ERROR_CODES, limitExceeded, SecushareError, type ErrorCode } from '../../protocol/errors.js'
import { MAX_RPC_MESSAGE_BYTES, RPC_REQUEST_TIMEOUT_MS } from '../../protocol/limits.js'
import { RPC_SUBPROTOCOL } from './auth.js'
import { isRecord } from './json.js'

export interface RpcClient<T> {
  /** The service's methods; each returns a promise of its JSON result. Methods take one params object or none. */
  call: T
  /** Ends the connection; pending calls fail with DAEMON_UNREACHABLE. */
  close: () => Promise<void>
}

export interface ConnectOptions {
  /** Per request, and for the opening handshake (default RPC_REQUEST_TIMEOUT_MS). */
  timeoutMs?: number
  /** Receives the server's JSON-RPC notifications (`RpcServer.notify`). */
  onNotification?: (method: string, params: unknown) => void
}

interface Pending {
  resolve: (res: JsonRpcResponse) => void
  reject: (e: unknown) => void
}

function rawText (data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
}

/** A JSON-RPC error object as a SecushareError. */
export function errorFromRpc (error: { code: number, message: string, data?: unknown }): SecushareError {
  const data = error.data
  if (isRecord(data) && typeof data.code === 'string' && typeof data.message === 'string') {
    const detail = isRecord(data.detail) ? data.detail : {}
    if (Object.hasOwn(ERROR_CODES, data.code)) return new SecushareError(data.code as ErrorCode, data.message, detail)
    // A newer daemon's code this client does not know: keep it visible in the detail.
    return new SecushareError('INTERNAL', `${data.message} [${data.code}]`, { ...detail, remoteCode: data.code })
  }
  const code: ErrorCode = error.code === -32602 ? 'INVALID_ARGUMENT' : error.code === -32601 ? 'NOT_FOUND' : 'INTERNAL'
  return new SecushareError(code, `daemon: ${error.message}`, { rpcCode: error.code })
}

function closeError (url: string, code: number, reason: string): SecushareError {
  if (code === 1009) return limitExceeded('MAX_RPC_MESSAGE_BYTES', MAX_RPC_MESSAGE_BYTES, MAX_RPC_MESSAGE_BYTES + 1)
  const why = reason !== '' ? `: ${reason}` : ''
  return new SecushareError('DAEMON_UNREACHABLE', `the connection to the daemon at ${url} closed (${code}${why})`, { closeCode: code, reason })
}

function httpError (url: string, status: number): SecushareError {
  if (status === 401) return new SecushareError('RPC_UNAUTHORIZED', `the daemon at ${url} refused the RPC token`, { status })
  if (status === 429) return new SecushareError('RPC_REFUSED', `the daemon at ${url} refuses connections after too many wrong tokens; wait a minute`, { status })
  if (status === 503) return new SecushareError('RPC_REFUSED', `the daemon at ${url} has too many RPC connections or is stopping`, { status })
  if (status === 403) return new SecushareError('RPC_REFUSED', `the daemon at ${url} refused the request's Host or Origin`, { status })
  return new SecushareError('DAEMON_UNREACHABLE', `no secushare RPC endpoint at ${url} (HTTP ${status})`, { status })
}

/** Opens the connection (authenticated in the upgrade) and returns the typed proxy. */
export async function connectRpc<T> (url: string, token: string, opts: ConnectOptions = {}): Promise<RpcClient<T>> {
  const timeoutMs = opts.timeoutMs ?? RPC_REQUEST_TIMEOUT_MS
  let ws: WebSocket
  try {
    ws = new WebSocket(url, [RPC_SUBPROTOCOL], {
      headers: { Authorization: `Bearer ${token}` },
      handshakeTimeout: timeoutMs,
      perMessageDeflate: false,
      followRedirects: false
    })
  } catch (e) {
    // A malformed URL (SyntaxError) or a token with characters no header may carry (TypeError).
    if (e instanceof TypeError && /header|char/i.test(e.message)) {
      throw new SecushareError('RPC_UNAUTHORIZED', 'the RPC token has characters no token has', {})
    }
    throw new SecushareError('INVALID_ARGUMENT', `not a WebSocket URL: ${url}`, { url })
  }
  ws.on('error', () => { /* reported through 'close' or the opening promise */ })

  await new Promise<void>((resolve, reject) => {
    let settled = false
    const settle = (e?: SecushareError): void => {
      if (settled) return
      settled = true
      if (e === undefined) resolve()
      else reject(e)
    }
    ws.once('open', () => {
      if (ws.protocol !== RPC_SUBPROTOCOL) {
        settle(new SecushareError('DAEMON_UNREACHABLE', `the server at ${url} does not speak ${RPC_SUBPROTOCOL}`))
        ws.terminate()
        return
      }
      settle()
    })
    ws.once('unexpected-response', (_req, res) => {
      settle(httpError(url, res.statusCode ?? 0))
      res.resume()
      ws.terminate()
    })
    ws.once('error', (e: NodeJS.ErrnoException) => {
      settle(new SecushareError('DAEMON_UNREACHABLE', `cannot reach the daemon at ${url}: ${e.code ?? e.message}`, { cause: e.code ?? e.message }))
    })
    ws.once('close', (code: number, reason: Buffer) => { settle(closeError(url, code, reason.toString('utf8'))) })
  })

  const pending = new Map<string | number, Pending>()
  let closedWith: SecushareError | undefined
  let nextId = 1

  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) return
    let msg: unknown
    try { msg = JSON.parse(rawText(data)) } catch { return }
    if (!isRecord(msg)) return
    if (!('id' in msg) && typeof msg.method === 'string') {
      opts.onNotification?.(msg.method, msg.params)
      return
    }
    const id = msg.id
    if (typeof id !== 'string' && typeof id !== 'number') return
    const p = pending.get(id)
    if (p === undefined) return
    pending.delete(id)
    if (isRecord(msg.error) && typeof msg.error.code === 'number' && typeof msg.error.message === 'string') {
      p.reject(errorFromRpc(msg.error as { code: number, message: string, data?: unknown }))
    } else {
      p.resolve(msg as unknown as JsonRpcResponse)
    }
  })
  ws.on('close', (code: number, reason: Buffer) => {
    closedWith ??= closeError(url, code, reason.toString('utf8'))
    for (const p of pending.values()) p.reject(closedWith)
    pending.clear()
  })

  const transport: RpcTransport = async (req: JsonRpcRequest, signal: AbortSignal) => await new Promise<JsonRpcResponse>((resolve, reject) => {
    if (closedWith !== undefined || ws.readyState !== WebSocket.OPEN) {
      reject(closedWith ?? new SecushareError('DAEMON_UNREACHABLE', `the connection to the daemon at ${url} is closed`))
      return
    }
    const text = JSON.stringify(req)
    const bytes = Buffer.byteLength(text)
    if (bytes > MAX_RPC_MESSAGE_BYTES) {
      reject(limitExceeded('MAX_RPC_MESSAGE_BYTES', MAX_RPC_MESSAGE_BYTES, bytes))
      return
    }
    const id = req.id ?? null
    if (id === null) {
      reject(new SecushareError('INTERNAL', 'an RPC request without an id'))
      return
    }
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
    }
    const timer = setTimeout(() => {
      pending.delete(id)
      done()
      reject(new SecushareError('RPC_TIMEOUT', `the daemon did not answer ${req.method} within ${timeoutMs} ms`, { method: req.method, timeoutMs }))
    }, timeoutMs)
    const onAbort = (): void => {
      pending.delete(id)
      done()
      reject(new SecushareError('RPC_TIMEOUT', `${req.method} was aborted`, { method: req.method }))
    }
    signal.addEventListener('abort', onAbort)
    pending.set(id, {
      resolve: (res) => { done(); resolve(res) },
      reject: (e) => { done(); reject(e) }
    })
    ws.send(text, (err) => {
      if (err === undefined || err === null) return
      const p = pending.get(id)
      pending.delete(id)
      p?.reject(new SecushareError('DAEMON_UNREACHABLE', `cannot send to the daemon at ${url}: ${err.message}`))
    })
  })

  const call = rpcClient<object>({ transport, uuid: () => nextId++ }) as unknown as T

  return {
    call,
    close: async () => {
      closedWith ??= new SecushareError('DAEMON_UNREACHABLE', `the connection to the daemon at ${url} was closed by this client`)
      if (ws.readyState === WebSocket.CLOSED) return
      const closed = new Promise<void>((resolve) => { ws.once('close', () => { resolve() }) })
      ws.close(1000)
      const t = setTimeout(() => { ws.terminate() }, 1_000)
      await closed
      clearTimeout(t)
    }
  }
}
