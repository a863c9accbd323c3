/**
 * Relay requests, protocol `/secushare/relay/1.0.0` (docs/relays.md), on Noise-authenticated
 * libp2p streams. Like the place protocol (protocol/place-wire.ts), every request and answer is
 * one PSYC packet in one frame; a stream may carry several requests one after another
 * (MAX_RELAY_REQUESTS_PER_STREAM), each answered before the next is read:
 *
 *   _request_relay_deposit :_tag :_blob :_ttl     depositor → relay: keep this blob under this tag
 *     → _notice_relay_deposit :_key :_expires     custody receipt: durable on the relay until _expires (ms)
 *   _request_relay_fetch   :_tags                 anyone → relay: the blobs under these tags
 *     → _notice_relay_blob :_tag :_key :_blob     one frame per blob (at most MAX_RELAY_FETCH_BLOBS) …
 *     → _notice_relay_fetch_end :_more            … then the end; _more is 1 when blobs were left out
 *   _request_relay_ack     :_keys                 fetcher → relay: forget these (tag‖key pairs)
 *     → _notice_relay_ack :_removed
 *   _request_relay_list    :_relays               a node → its contact: the relays I use (text, one per line: PEER ADDR…)
 *     → _notice_relay_list [:_relays]             a host answers a member of its place with its own list
 *   any request → _failure_relay :_code :_text    refused (an error code from protocol/errors.ts)
 *
 * The relay learns from a deposit only the tag, the blob (sealed, one of RELAY_BLOB_SIZES) and the
 * time to live. Tags are RELAY_TAG_BYTES, keys RELAY_KEY_BYTES; `_tags` and `_keys` are the
 * concatenated bytes.
 */
import { SecushareError, limitExceeded } from './errors.js'
import { MAX_FRAME_BYTES, MAX_RELAY_ACK_KEYS, MAX_RELAY_BLOB_BYTES, MAX_RELAY_EXPIRY_S, MAX_RELAY_FETCH_TAGS, MAX_RELAYS, MAX_ZONE_ADDRS, RELAY_BLOB_SIZES, RELAY_KEY_BYTES, RELAY_TAG_BYTES } from './limits.js'
import { WireCodec, type WireMessage, type WireValue } from './request-wire.js'

export const RELAY_PROTOCOL = '/secushare/relay/1.0.0'

export type { WireMessage }

const bad = (why: string): SecushareError => codec.bad(why)

const codec = new WireCodec({
  limit: { name: 'MAX_FRAME_BYTES', max: MAX_FRAME_BYTES }, invalid: 'RELAY_WIRE_INVALID', what: 'relay message',
  failure: '_failure_relay', unknownRefusal: 'RELAY_REFUSED'
})

export const encodeRelay = (method: string, fields: Record<string, WireValue> = {}): Uint8Array => codec.encode(method, fields)
export const decodeRelay = (bytes: Uint8Array): WireMessage => codec.decode(bytes)
export const relayBytes = (m: WireMessage, name: string, length?: number): Uint8Array => codec.bytes(m, name, length)
export const relayNumber = (m: WireMessage, name: string): number => codec.number(m, name)
export const relayText = (m: WireMessage, name: string): string => codec.text(m, name)

export interface Deposit { tag: Uint8Array, blob: Uint8Array, ttlS: number }

/** A deposit's fields, cheapest checks first: tag length, blob size (a blob size, at most the largest), ttl. */
export function readDeposit (m: WireMessage): Deposit {
  const tag = relayBytes(m, '_tag', RELAY_TAG_BYTES)
  const raw = m.fields.get('_blob')
  if (raw === undefined) throw bad('no _blob')
  if (raw.length > MAX_RELAY_BLOB_BYTES) throw limitExceeded('MAX_RELAY_BLOB_BYTES', MAX_RELAY_BLOB_BYTES, raw.length)
  if (!RELAY_BLOB_SIZES.includes(raw.length)) throw new SecushareError('RELAY_BLOB_INVALID', `a blob of ${raw.length} bytes is not one of the blob sizes`, { length: raw.length })
  const ttlS = relayNumber(m, '_ttl')
  if (ttlS < 1 || ttlS > MAX_RELAY_EXPIRY_S) throw bad(`_ttl must be 1..${MAX_RELAY_EXPIRY_S} seconds`)
  return { tag, blob: new Uint8Array(raw), ttlS }
}

/** Concatenated fixed-size items (tags, tag‖key pairs), at most `max`. */
export function splitFixed (bytes: Uint8Array, size: number, max: number, limit: string): Uint8Array[] {
  if (bytes.length % size !== 0) throw bad(`a list of ${size}-byte items has ${bytes.length} bytes`)
  const n = bytes.length / size
  if (n > max) throw limitExceeded(limit, max, n)
  const out: Uint8Array[] = []
  for (let i = 0; i < n; i++) out.push(bytes.slice(i * size, (i + 1) * size))
  return out
}

export const readFetchTags = (m: WireMessage): Uint8Array[] => splitFixed(relayBytes(m, '_tags'), RELAY_TAG_BYTES, MAX_RELAY_FETCH_TAGS, 'MAX_RELAY_FETCH_TAGS')
export const readAckKeys = (m: WireMessage): Uint8Array[] => splitFixed(relayBytes(m, '_keys'), RELAY_TAG_BYTES + RELAY_KEY_BYTES, MAX_RELAY_ACK_KEYS, 'MAX_RELAY_ACK_KEYS')

export const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

export interface RelayRef { peer: string, addrs: string[] }

export function encodeRelayList (relays: RelayRef[]): string {
  return relays.slice(0, MAX_RELAYS).map((r) => [r.peer, ...r.addrs.slice(0, MAX_ZONE_ADDRS)].join(' ')).join('\n')
}

/** A published relay list: at most MAX_RELAYS lines of a peer id and at most MAX_ZONE_ADDRS multiaddrs. */
export function decodeRelayList (text: string): RelayRef[] {
  const lines = text.split('\n').filter((l) => l.length > 0)
  if (lines.length > MAX_RELAYS) throw limitExceeded('MAX_RELAYS', MAX_RELAYS, lines.length)
  return lines.map((l) => {
    const [peer, ...addrs] = l.split(' ')
    if (peer === undefined || !/^[1-9A-HJ-NP-Za-km-z]{40,64}$/.test(peer)) throw bad('a relay list line does not start with a peer id')
    if (addrs.length > MAX_ZONE_ADDRS || addrs.some((a) => !a.startsWith('/') || a.length > 256)) throw bad('a relay list line has bad addresses')
    return { peer, addrs }
  })
}

/** Throws the refusal carried by a `_failure_relay` answer as a SecushareError with its code. */
export const throwIfRelayFailure = (m: WireMessage, known: (code: string) => boolean): void => { codec.throwIfFailure(m, known) }
