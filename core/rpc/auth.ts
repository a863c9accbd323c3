/**
 * RPC authentication: a random token, created by the daemon at every start and kept in a 0600
 * file in its home. A client presents it in the HTTP upgrade, never in the URL:
 * - `Authorization: Bearer TOKEN` (Node clients, the CLI);
 * - `Sec-WebSocket-Protocol: secushare.rpc.v1, secushare.token.TOKEN` (browsers and QML, which
 *   cannot set headers); the server then selects `secushare.rpc.v1` and never echoes the token.
 *   The QWebChannel endpoint works the same with `secushare.webchannel.v1` in place of
 *   `secushare.rpc.v1` (each endpoint has its own subprotocol).
 * No I/O here and no `ws`: the server applies these to the upgrade request.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

export const TOKEN_BYTES = 32
export const RPC_SUBPROTOCOL = 'secushare.rpc.v1'
export const TOKEN_SUBPROTOCOL_PREFIX = 'secushare.token.'
/** What a server token must look like: usable as an HTTP token (a subprotocol value), and long. */
export const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{32,256}$/

/** A fresh token: TOKEN_BYTES of crypto-strong randomness as lowercase hex (64 characters). */
export function newToken (): string {
  return randomBytes(TOKEN_BYTES).toString('hex')
}

function digest (s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest()
}

/**
 * Constant-time comparison. Both sides are hashed first, so neither the content nor the length of
 * the expected token leaks through timing. An empty expected token never matches.
 */
export function tokenMatches (expected: string, given: string | undefined): boolean {
  if (given === undefined || expected.length === 0) return false
  return timingSafeEqual(digest(expected), digest(given))
}

/** The values of a Sec-WebSocket-Protocol header (a comma-separated list), trimmed. */
export function offeredProtocols (headers: IncomingHttpHeaders): string[] {
  const h = headers['sec-websocket-protocol']
  if (typeof h !== 'string') return []
  return h.split(',').map((s) => s.trim()).filter((s) => s !== '')
}

/**
 * The token a request presents, or undefined. When an Authorization header is present it alone
 * counts (a malformed one presents no token); otherwise a `secushare.token.` subprotocol counts,
 * but only beside the endpoint's own `subprotocol` (the one the server will select). The URL is
 * never looked at.
 */
export function presentedToken (headers: IncomingHttpHeaders, subprotocol = RPC_SUBPROTOCOL): string | undefined {
  const auth = headers.authorization
  if (auth !== undefined) {
    const m = /^Bearer(?: +(\S*))?\s*$/i.exec(auth)
    return m?.[1] ?? undefined
  }
  const offered = offeredProtocols(headers)
  if (!offered.includes(subprotocol)) return undefined
  const tokens = offered.filter((p) => p.startsWith(TOKEN_SUBPROTOCOL_PREFIX))
  if (tokens.length !== 1) return undefined
  return tokens[0]?.slice(TOKEN_SUBPROTOCOL_PREFIX.length)
}
