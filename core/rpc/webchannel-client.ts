/**
 * A QWebChannel client for Node: Qt's own qwebchannel.js (npm `qwebchannel`, unchanged) over a `ws`
 * connection to the daemon's /webchannel endpoint. The one place the `qwebchannel` package enters
 * the project; tests and benchmarks use it as a QML or browser UI would use the same script.
 */
import qwebchannel from 'qwebchannel'
import { WebSocket } from 'ws'
import { SecushareError } from '../../protocol/errors.js'
import { RPC_REQUEST_TIMEOUT_MS } from '../../protocol/limits.js'
import { TOKEN_SUBPROTOCOL_PREFIX } from './auth.js'
import { WEBCHANNEL_SUBPROTOCOL } from './webchannel.js'

export interface WebChannelClient {
  /** The published objects by name (`secushare`, `node`), as qwebchannel.js builds them. */
  objects: Record<string, any>
  ws: WebSocket
  close: () => Promise<void>
}

/**
 * Connects and runs the QWebChannel handshake. `auth` chooses how the token travels: the
 * Authorization header (Node) or the subprotocol list (what browsers and QML can do).
 */
export async function connectWebChannel (url: string, token: string, auth: 'bearer' | 'subprotocol' = 'bearer', timeoutMs = RPC_REQUEST_TIMEOUT_MS): Promise<WebChannelClient> {
  const ws = auth === 'bearer'
    ? new WebSocket(url, [WEBCHANNEL_SUBPROTOCOL], { headers: { Authorization: `Bearer ${token}` }, handshakeTimeout: timeoutMs })
    : new WebSocket(url, [WEBCHANNEL_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token], { handshakeTimeout: timeoutMs })
  ws.on('error', () => { /* reported through open/close below */ })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => { resolve() })
    ws.once('unexpected-response', (_req, res) => {
      res.resume()
      ws.terminate()
      reject(new SecushareError(res.statusCode === 401 ? 'RPC_UNAUTHORIZED' : 'RPC_REFUSED', `the daemon at ${url} refused the connection (HTTP ${res.statusCode ?? 0})`, { status: res.statusCode ?? 0 }))
    })
    ws.once('error', (e) => { reject(new SecushareError('DAEMON_UNREACHABLE', `cannot reach ${url}: ${e.message}`)) })
  })
  const objects = await new Promise<Record<string, any>>((resolve, reject) => {
    const timer = setTimeout(() => { ws.terminate(); reject(new SecushareError('RPC_TIMEOUT', `no QWebChannel init answer from ${url}`)) }, timeoutMs)
    // ws's WebSocket has send() and an onmessage property: the transport qwebchannel.js expects.
    const channel = new qwebchannel.QWebChannel(ws as any, (ch) => { clearTimeout(timer); resolve(ch.objects) })
    void channel
  })
  return {
    objects,
    ws,
    close: async () => {
      if (ws.readyState === WebSocket.CLOSED) return
      const closed = new Promise<void>((resolve) => { ws.once('close', () => { resolve() }) })
      ws.close(1000)
      await closed
    }
  }
}
