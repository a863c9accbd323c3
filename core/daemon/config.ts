/**
 * The daemon's configuration: HOME/config.json (optional), overridden by command-line flags.
 * Every flag of `secushare daemon` has a key here, so a router's node can be set up once and
 * started with no arguments. Unknown keys are refused (a typo must not be silently ignored).
 *
 *   {
 *     "listen": ["/ip4/0.0.0.0/tcp/0"],   // libp2p listen multiaddrs      (--listen, repeatable)
 *     "peers": [],                        // multiaddrs dialled at start   (--peer, repeatable)
 *     "rpc": "127.0.0.1:0",               // JSON-RPC host:port, 0 = free  (--rpc)
 *     "rpcListen": null,                  // router mode: RPC host:port for UIs on the LAN, used
 *                                         // instead of "rpc"; needs allowRemoteUi (--rpc-listen)
 *     "allowRemoteUi": false,             // allow a non-loopback RPC address (--allow-remote-ui)
 *     "uiHosts": [],                      // extra Host names remote UIs use: "router.lan" (--ui-host)
 *     "webUi": true,                      // serve the web UI at http://RPC-ADDRESS/ (--no-web-ui)
 *     "mdns": true,                       // LAN discovery                 (--no-mdns)
 *     "dht": false,                       // kad-dht                       (--dht)
 *     "relayClient": false,               // reach others through relays   (--relay-client)
 *     "relayServer": false,               // relay for others              (--relay-server)
 *     "placeKeyRotation": 604800,         // seconds between key generations of the places I host
 *                                         //                               (--place-key-rotation)
 *     "relayQuota": 268435456,            // bytes kept for contacts as their relay, 0 = none (--relay-quota)
 *     "relayExpiry": 1209600              // seconds a relayed blob is kept at most   (--relay-expiry)
 *   }
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { limitExceeded, SecushareError } from '../../protocol/errors.js'
import { DEFAULT_RELAY_EXPIRY_S, DEFAULT_RELAY_QUOTA_BYTES, MAX_KEY_ROTATION_S, MAX_RELAY_EXPIRY_S, MAX_RELAY_QUOTA_BYTES } from '../../protocol/limits.js'
import { isLoopbackHost } from '../rpc/remote.js'
import { v } from '../rpc/validate.js'

export const CONFIG_FILE = 'config.json'

export interface DaemonConfig {
  listen: string[]
  peers: string[]
  rpc: string
  /** Router mode: the RPC address for remote UIs (wins over `rpc`); null: use `rpc`. */
  rpcListen: string | null
  /** A non-loopback RPC address is refused (RPC_REMOTE_NOT_ALLOWED) unless this is true. */
  allowRemoteUi: boolean
  /** Host header names (`name` or `name:port`) accepted besides the bound address and loopback. */
  uiHosts: string[]
  /** Serve the web UI on the RPC address (pairing with `secushare pair` still needed). */
  webUi: boolean
  mdns: boolean
  dht: boolean
  relayClient: boolean
  relayServer: boolean
  /** Seconds after which a place I host gets a new key generation (forward secrecy). */
  placeKeyRotation: number
  /** Bytes this node keeps for its contacts as their relay (0: it relays for nobody). */
  relayQuota: number
  /** Seconds a relayed blob is kept at most. */
  relayExpiry: number
}

/** Bounds of `placeKeyRotation`: one second (tests) to a year; the default is 7 days. */
export const MIN_KEY_ROTATION_S = 1
export { MAX_KEY_ROTATION_S } from '../../protocol/limits.js'

export const DEFAULT_CONFIG: Readonly<DaemonConfig> = {
  listen: ['/ip4/0.0.0.0/tcp/0'],
  peers: [],
  rpc: '127.0.0.1:0',
  rpcListen: null,
  allowRemoteUi: false,
  uiHosts: [],
  webUi: true,
  mdns: true,
  dht: false,
  relayClient: false,
  relayServer: false,
  placeKeyRotation: 7 * 24 * 3600,
  relayQuota: DEFAULT_RELAY_QUOTA_BYTES,
  relayExpiry: DEFAULT_RELAY_EXPIRY_S
}

const multiaddr = v.pipe(v.string(), v.regex(/^\//, 'a multiaddr starts with "/"'), v.maxLength(256))
const KeyRotation = v.pipe(v.number(), v.integer(), v.minValue(MIN_KEY_ROTATION_S), v.maxValue(MAX_KEY_ROTATION_S))
/** A DNS name or IPv4 address, optionally with a port: what a remote UI puts in its Host header. */
const UiHost = v.pipe(v.string(), v.regex(/^[A-Za-z0-9.-]{1,253}(?::\d{1,5})?$/, 'a host name, optionally with :PORT'))
const ConfigSchema = v.strictObject({
  listen: v.optional(v.pipe(v.array(multiaddr), v.minLength(1), v.maxLength(16))),
  peers: v.optional(v.pipe(v.array(multiaddr), v.maxLength(64))),
  rpc: v.optional(v.string()),
  rpcListen: v.optional(v.nullable(v.string())),
  allowRemoteUi: v.optional(v.boolean()),
  uiHosts: v.optional(v.pipe(v.array(UiHost), v.maxLength(16))),
  webUi: v.optional(v.boolean()),
  mdns: v.optional(v.boolean()),
  dht: v.optional(v.boolean()),
  relayClient: v.optional(v.boolean()),
  relayServer: v.optional(v.boolean()),
  placeKeyRotation: v.optional(KeyRotation),
  relayQuota: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_RELAY_QUOTA_BYTES))),
  relayExpiry: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_RELAY_EXPIRY_S)))
})

export type ConfigOverrides = Partial<DaemonConfig>

/** Defaults, then HOME/config.json, then `flags` (only the keys that were given). */
export function loadConfig (home: string, flags: ConfigOverrides = {}): DaemonConfig {
  const path = join(home, CONFIG_FILE)
  let fromFile: ConfigOverrides = {}
  if (existsSync(path)) {
    let raw: unknown
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'))
    } catch (e) {
      throw new SecushareError('CONFIG_INVALID', `${path} is not valid JSON: ${(e as Error).message}`)
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SecushareError('CONFIG_INVALID', `${path} must hold one JSON object`)
    const r = v.safeParse(ConfigSchema, raw)
    if (!r.success) {
      throw new SecushareError('CONFIG_INVALID', `${path}: ${r.issues.map((i) => `${v.getDotPath(i) ?? '(top)'}: ${i.message}`).join('; ')}`)
    }
    fromFile = r.output
  }
  const defined = Object.fromEntries(Object.entries(flags).filter(([, x]) => x !== undefined)) as ConfigOverrides
  const config = { ...DEFAULT_CONFIG, ...fromFile, ...defined }
  // past a named maximum: LIMIT_EXCEEDED naming it; otherwise malformed: INVALID_ARGUMENT
  for (const [value, limit, max] of [[config.placeKeyRotation, 'MAX_KEY_ROTATION_S', MAX_KEY_ROTATION_S], [config.relayQuota, 'MAX_RELAY_QUOTA_BYTES', MAX_RELAY_QUOTA_BYTES], [config.relayExpiry, 'MAX_RELAY_EXPIRY_S', MAX_RELAY_EXPIRY_S]] as const) {
    if (Number.isSafeInteger(value) && value > max) throw limitExceeded(limit, max, value)
  }
  if (!v.is(KeyRotation, config.placeKeyRotation)) {
    throw new SecushareError('INVALID_ARGUMENT', `the place key rotation is a whole number of seconds from ${MIN_KEY_ROTATION_S} to ${MAX_KEY_ROTATION_S}, not ${String(config.placeKeyRotation)}`)
  }
  if (!Number.isSafeInteger(config.relayQuota) || config.relayQuota < 0) {
    throw new SecushareError('INVALID_ARGUMENT', `the relay quota is 0 to ${MAX_RELAY_QUOTA_BYTES} bytes, not ${String(config.relayQuota)}`)
  }
  if (!Number.isSafeInteger(config.relayExpiry) || config.relayExpiry < 1) {
    throw new SecushareError('INVALID_ARGUMENT', `the relay expiry is 1 to ${MAX_RELAY_EXPIRY_S} seconds, not ${String(config.relayExpiry)}`)
  }
  parseHostPort(config.rpc)
  if (config.rpcListen !== null) parseHostPort(config.rpcListen)
  if (!v.is(v.array(UiHost), config.uiHosts)) throw new SecushareError('INVALID_ARGUMENT', `--ui-host takes a host name, optionally with :PORT, not ${JSON.stringify(config.uiHosts)}`)
  return config
}

/**
 * The RPC address the daemon binds (`rpcListen`, else `rpc`). RPC_REMOTE_NOT_ALLOWED when it is not
 * a loopback address and `allowRemoteUi` is false: exposing the UI API to the LAN is a decision.
 */
export function rpcBindAddress (config: DaemonConfig): { host: string, port: number } {
  const addr = parseHostPort(config.rpcListen ?? config.rpc)
  if (!isLoopbackHost(addr.host) && !config.allowRemoteUi) {
    throw new SecushareError('RPC_REMOTE_NOT_ALLOWED',
      `the RPC address ${addr.host} is reachable from other machines; add --allow-remote-ui (config "allowRemoteUi": true) to serve remote UIs, or bind 127.0.0.1`,
      { host: addr.host })
  }
  return addr
}

/** `--relay-quota`: bytes, or a number with K, M or G (KiB, MiB, GiB): `256M`. */
export function parseSize (text: string): number {
  const m = /^(\d{1,12})([KMG]?)(?:i?B)?$/i.exec(text.trim())
  if (m === null) throw new SecushareError('INVALID_ARGUMENT', `expected a size such as 268435456, 256M or 1G, got ${JSON.stringify(text)}`)
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G']
  return Number(m[1]) * unit
}

/** `HOST:PORT` (IPv6 in brackets) → parts; INVALID_ARGUMENT otherwise. */
export function parseHostPort (text: string): { host: string, port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text)
  const port = m === null ? NaN : Number(m[2])
  if (m === null || port > 65535) throw new SecushareError('INVALID_ARGUMENT', `expected HOST:PORT for the RPC address, got ${JSON.stringify(text)}`)
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port }
}
