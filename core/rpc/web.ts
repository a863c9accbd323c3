/**
 * The web UI the daemon serves on its RPC listener (server.ts), for a router box without a Qt
 * shell nearby: the files of web-assets.ts at fixed paths, nothing else. The page holds no
 * secret: it pairs once with a code from `secushare pair` (at /pair) and keeps the UI token it
 * gets in the browser's storage for the daemon's origin, then drives the daemon through
 * /webchannel with Qt's qwebchannel.js, like the Qt shell.
 *
 * Contract with server.ts: a GET or HEAD is served only with an allowed Host header (the same
 * DNS-rebinding defence as the upgrades); the WebSocket endpoints accept the page's own Origin
 * (`http://` + that Host) only while the web UI is on. Every answer forbids framing, sniffing,
 * referrers and caching, and its Content-Security-Policy lets the page load only its own scripts
 * and styles and connect only to its own origin.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WebAsset } from './web-assets.js'

export const WEB_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store'
}

/** The Origin a page served under `host` (a Host header value) sends. */
export function ownOrigin (host: string): string {
  return `http://${host}`
}

/**
 * Answers a plain HTTP request for the web UI; false when `path` is none of its files (the
 * caller answers). `hostAllowed` is the server's verdict on the Host header.
 */
export function serveWeb (assets: ReadonlyMap<string, WebAsset>, path: string, req: IncomingMessage, res: ServerResponse, hostAllowed: boolean): boolean {
  const asset = assets.get(path)
  if (asset === undefined) return false
  const plain = (status: number, text: string, extra: Record<string, string> = {}): void => {
    res.writeHead(status, { ...WEB_SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close', ...extra })
    res.end(text + '\n')
  }
  if (!hostAllowed) plain(403, 'Host not allowed')
  else if (req.method !== 'GET' && req.method !== 'HEAD') plain(405, 'method not allowed', { Allow: 'GET, HEAD' })
  else {
    res.writeHead(200, { ...WEB_SECURITY_HEADERS, 'Content-Type': asset.type, 'Content-Length': String(asset.body.length) })
    res.end(req.method === 'HEAD' ? undefined : asset.body)
  }
  return true
}
