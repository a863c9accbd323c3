/**
 * Remote UIs (router mode): pairing codes and the UI tokens they are exchanged for.
 *
 * The owner (a client holding the daemon's own token, e.g. `secushare pair`) asks for a short-lived
 * one-time pairing code. A UI on the LAN presents it once at the `/pair` endpoint (server.ts) and
 * receives its own UI token, `ui.<id>.<secret>`, which it then uses like the daemon's token on
 * `/rpc` and `/webchannel` (except for the owner-only methods). UI tokens survive restarts and are
 * stored hashed (SHA-256 of the secret) in HOME/ui-tokens.json (mode 0600); revoking one removes
 * it and closes its open connections. Pairing codes live only in the daemon's memory.
 *
 * No `ws` here: the server calls `verify` and `redeem` from the HTTP upgrade.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { limitExceeded, SecushareError } from '../../protocol/errors.js'
import {
  MAX_PAIR_CODES, MAX_UI_TOKEN_NAME_BYTES, MAX_UI_TOKENS, PAIR_CODE_CHARS, PAIR_FAILURE_LIMIT, PAIR_TTL_DEFAULT_S, PAIR_TTL_MAX_S, PAIR_TTL_MIN_S
} from '../../protocol/limits.js'

export const UI_TOKENS_FILE = 'ui-tokens.json'
export const PAIR_PATH = '/pair'
export const PAIR_SUBPROTOCOL = 'secushare.pair.v1'
/** Crockford base32 without I, L, O, U: easy to read aloud and to type. */
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const UI_TOKEN_PATTERN = /^ui\.([0-9a-f]{16})\.([0-9a-f]{64})$/
const UI_TOKEN_ID_PATTERN = /^[0-9a-f]{16}$/

export interface UiTokenInfo { id: string, name: string, created: number }
interface StoredToken extends UiTokenInfo { hash: string }
export interface PairingCode { code: string, expires: number, name: string }
export interface Grant { id: string, name: string, token: string }

function sha256 (s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest()
}

/** A code as typed by a person: case and separators (space, dash) do not matter. */
export function normalizeCode (text: string): string {
  return text.toUpperCase().replace(/[\s-]/g, '')
}

/** Validates a UI token name (printable, 1 to MAX_UI_TOKEN_NAME_BYTES bytes). */
export function checkTokenName (name: string): string {
  // eslint-disable-next-line no-control-regex
  if (name === '' || /[\u0000-\u001f\u007f]/.test(name)) throw new SecushareError('INVALID_ARGUMENT', 'a UI token name is non-empty printable text')
  const bytes = Buffer.byteLength(name)
  if (bytes > MAX_UI_TOKEN_NAME_BYTES) throw limitExceeded('MAX_UI_TOKEN_NAME_BYTES', MAX_UI_TOKEN_NAME_BYTES, bytes)
  return name
}

export interface RemoteUiOptions {
  home: string
  /** Milliseconds since the epoch; default Date.now (tests pass their own clock to reach expiry). */
  now?: () => number
}

export class RemoteUi {
  private readonly path: string
  private readonly now: () => number
  private tokens: StoredToken[]
  /** Outstanding codes by normalized code, oldest first. */
  private readonly codes = new Map<string, PairingCode>()
  private failures = 0
  /** Called with a token id after it was revoked (the server closes its connections). */
  onRevoke: (id: string) => number = () => 0

  constructor (o: RemoteUiOptions) {
    this.path = join(o.home, UI_TOKENS_FILE)
    this.now = o.now ?? Date.now
    this.tokens = this.load()
  }

  private load (): StoredToken[] {
    if (!existsSync(this.path)) return []
    let doc: unknown
    try {
      doc = JSON.parse(readFileSync(this.path, 'utf8'))
    } catch (e) {
      throw new SecushareError('HOME_CORRUPT', `${this.path} is not valid JSON: ${(e as Error).message}`)
    }
    const list = (doc as { tokens?: unknown })?.tokens
    if (!Array.isArray(list)) throw new SecushareError('HOME_CORRUPT', `${this.path} has no "tokens" list`)
    return list.filter((t): t is StoredToken => typeof t === 'object' && t !== null &&
      UI_TOKEN_ID_PATTERN.test(String(t.id)) && /^[0-9a-f]{64}$/.test(String(t.hash)) && typeof t.name === 'string' && typeof t.created === 'number')
  }

  private save (): void {
    const tmp = `${this.path}.${process.pid}`
    writeFileSync(tmp, JSON.stringify({ version: 1, tokens: this.tokens }, null, 2) + '\n', { mode: 0o600 })
    renameSync(tmp, this.path)
  }

  private expire (): void {
    const now = this.now()
    for (const [k, c] of this.codes) if (c.expires <= now) this.codes.delete(k)
  }

  /** A new pairing code valid `ttlSeconds` (PAIR_TTL_MIN_S..PAIR_TTL_MAX_S) for a UI called `name`. */
  createCode (ttlSeconds: number = PAIR_TTL_DEFAULT_S, name = 'ui'): PairingCode {
    if (Number.isSafeInteger(ttlSeconds) && ttlSeconds > PAIR_TTL_MAX_S) throw limitExceeded('PAIR_TTL_MAX_S', PAIR_TTL_MAX_S, ttlSeconds)
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < PAIR_TTL_MIN_S) {
      throw new SecushareError('INVALID_ARGUMENT', `a pairing code lives ${PAIR_TTL_MIN_S} to ${PAIR_TTL_MAX_S} seconds, not ${String(ttlSeconds)}`)
    }
    checkTokenName(name)
    if (this.tokens.length >= MAX_UI_TOKENS) throw limitExceeded('MAX_UI_TOKENS', MAX_UI_TOKENS, this.tokens.length + 1)
    this.expire()
    let code = ''
    for (let i = 0; i < PAIR_CODE_CHARS; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]
    const entry = { code, expires: this.now() + ttlSeconds * 1000, name }
    this.codes.set(code, entry)
    while (this.codes.size > MAX_PAIR_CODES) this.codes.delete(this.codes.keys().next().value!)
    this.failures = 0
    return { ...entry }
  }

  /** Outstanding, unexpired codes. */
  get pendingCodes (): number {
    this.expire()
    return this.codes.size
  }

  /**
   * Consumes `given` if it is an outstanding unexpired code (compared in constant time with each)
   * and returns a function that issues the UI token; undefined otherwise. PAIR_FAILURE_LIMIT
   * failures void every outstanding code.
   */
  redeem (given: string | undefined): (() => Grant) | undefined {
    this.expire()
    const g = sha256(normalizeCode(given ?? ''))
    let found: PairingCode | undefined
    for (const c of this.codes.values()) {
      if (timingSafeEqual(sha256(c.code), g) && given !== undefined) found = c
    }
    if (found === undefined) {
      if (++this.failures >= PAIR_FAILURE_LIMIT) {
        this.codes.clear()
        this.failures = 0
      }
      return undefined
    }
    this.codes.delete(found.code)
    if (this.tokens.length >= MAX_UI_TOKENS) return undefined
    const entry = found
    return () => this.issue(entry.name)
  }

  private issue (name: string): Grant {
    if (this.tokens.length >= MAX_UI_TOKENS) throw limitExceeded('MAX_UI_TOKENS', MAX_UI_TOKENS, this.tokens.length + 1)
    const id = randomBytes(8).toString('hex')
    const secret = randomBytes(32).toString('hex')
    this.tokens.push({ id, name, created: this.now(), hash: sha256(secret).toString('hex') })
    this.save()
    return { id, name, token: `ui.${id}.${secret}` }
  }

  /** The id of the UI token `given`, or undefined (unknown, revoked or malformed). */
  verify (given: string | undefined): string | undefined {
    const m = given === undefined ? null : UI_TOKEN_PATTERN.exec(given)
    if (m === null) return undefined
    const t = this.tokens.find((x) => x.id === m[1])
    if (t === undefined) return undefined
    return timingSafeEqual(sha256(m[2]!), Buffer.from(t.hash, 'hex')) ? t.id : undefined
  }

  list (): UiTokenInfo[] {
    return this.tokens.map(({ id, name, created }) => ({ id, name, created }))
  }

  /** Removes a UI token and closes its connections; UI_TOKEN_NOT_FOUND if there is none. */
  revoke (id: string): UiTokenInfo & { closed: number } {
    const t = this.tokens.find((x) => x.id === id)
    if (t === undefined) throw new SecushareError('UI_TOKEN_NOT_FOUND', `no UI token ${JSON.stringify(id.slice(0, 32))}`, { id: id.slice(0, 32) })
    this.tokens = this.tokens.filter((x) => x !== t)
    this.save()
    const closed = this.onRevoke(id)
    return { id: t.id, name: t.name, created: t.created, closed }
  }
}

/** Whether binding `host` keeps the RPC server on this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost (host: string): boolean {
  const h = host.toLowerCase()
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
}

/** Whether `host` is a wildcard address (all interfaces). */
export function isWildcardHost (host: string): boolean {
  return host === '0.0.0.0' || host === '::'
}

/**
 * The `Host` header values the server accepts when bound to `host`:`port`: the bound host, the
 * loopback names, for a wildcard bind the addresses of this machine's interfaces (`interfaceAddrs`,
 * from os.networkInterfaces()), and `extra` names (`name` or `name:port`, for a LAN DNS name of the
 * router). Each as `host:port`, and bare when the port is 80. Everything else (evil.example, 127.1,
 * 2130706433, ...) is refused: a DNS-rebinding page only reaches the server under its own name.
 */
export function hostHeaders (host: string, port: number, interfaceAddrs: readonly string[] = [], extra: readonly string[] = []): Set<string> {
  const bracket = (h: string): string => h.includes(':') ? `[${h}]` : h
  const names = [host, 'localhost', '127.0.0.1', '::1', ...(isWildcardHost(host) ? interfaceAddrs : [])].map((h) => bracket(h).toLowerCase())
  const out = new Set<string>()
  for (const n of names) {
    out.add(`${n}:${port}`)
    if (port === 80) out.add(n)
  }
  for (const e of extra) {
    const x = e.toLowerCase()
    if (/:\d+$/.test(x) && !x.endsWith(']')) out.add(x)
    else {
      out.add(`${x}:${port}`)
      if (port === 80) out.add(x)
    }
  }
  return out
}
