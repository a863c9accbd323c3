/**
 * Resolving dotted names (`garden.carol.bob`), read right to left: `bob` in my zone, `carol` in
 * the zone `bob` delegates to, `garden` in the zone `carol` delegates to there. Remote zones are
 * asked over `/secushare/zone/1.0.0`: directly when the zone's owner is my contact, otherwise
 * through the chain of contacts that led to it (`_via`). Every block is checked (block.ts) before
 * use; verified blocks are cached until they expire, failures never are.
 */
import { SecushareError, ERROR_CODES } from '../../protocol/errors.js'
import { MAX_NAME_DEPTH, MAX_NAMES_WIRE_BYTES, MAX_ZONE_CACHE_ENTRIES } from '../../protocol/limits.js'
import { decodeNames, encodeNames, namesBytes, throwIfNamesFailure, ZONE_PROTOCOL } from '../../protocol/names-wire.js'
import { decodeNodeValue, decodePlaceValue, type RecordType, type ZoneRecord } from '../../protocol/zone-record.js'
import { validatePetname, type ContactBook } from '../contacts/book.js'
import type { Sodium } from '../crypto/sodium.js'
import type { NetNode } from '../net/node.js'
import { openBlock, queryOf } from './block.js'
import type { Zone } from './zone.js'

/** How long one zone request waits for its answer, per hop still to go. */
export const ZONE_HOP_TIMEOUT_MS = 5_000

export type Resolved =
  | { type: 'PKEY', ego: string, zone: string, cached: boolean }
  | { type: 'PLACE', place: string, hostPeer: string, addrs: string[], relays: string[], zone: string, cached: boolean }
  | { type: 'NICK', nick: string, zone: string, cached: boolean }
  | { type: 'PEER' | 'RELAY', peerId: string, addrs: string[], zone: string, cached: boolean }

export interface ResolverDeps {
  sodium: Sodium
  net: NetNode
  contacts: ContactBook
  zone: Zone
  /** My egos' public keys by id. */
  egos: ReadonlySet<string>
  defaultEgo: string
  now?: () => number
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const known = (c: string): boolean => c in ERROR_CODES

/** Splits and checks a dotted name; LIMIT_EXCEEDED (MAX_NAME_DEPTH) beyond 8 labels. */
export function nameLabels (name: string): string[] {
  const labels = name.split('.')
  if (labels.length > MAX_NAME_DEPTH) throw new SecushareError('LIMIT_EXCEEDED', `a name has at most ${MAX_NAME_DEPTH} labels, "${name.slice(0, 80)}" has ${labels.length}`, { limit: 'MAX_NAME_DEPTH', max: MAX_NAME_DEPTH, actual: labels.length })
  for (const l of labels) {
    if (l === '') throw new SecushareError('INVALID_ARGUMENT', `an empty label in "${name.slice(0, 80)}"`)
    validatePetname(l)
  }
  return labels
}

/** Asks a contact for one block; `via` is the rest of the route to the zone's owner. */
export async function fetchBlock (net: NetNode, contacts: ContactBook, first: string, zone: Uint8Array, query: Uint8Array, via: string[]): Promise<Uint8Array> {
  const c = contacts.byEgo(first)
  if (c === undefined) throw new SecushareError('ZONE_UNREACHABLE', 'the route starts with someone who is not a contact')
  let s
  try {
    s = await net.openStream(c.peerId, c.addrs, ZONE_PROTOCOL)
  } catch (e) {
    throw new SecushareError('ZONE_UNREACHABLE', `${c.petname} cannot be reached: ${(e as Error).message}`)
  }
  try {
    await s.write(encodeNames('_request_zone_lookup', { _zone: zone, _query: query, _via: via.length === 0 ? undefined : Buffer.concat(via.map((v) => Buffer.from(v, 'hex'))) }))
    const m = decodeNames(await s.read(MAX_NAMES_WIRE_BYTES, ZONE_HOP_TIMEOUT_MS * (via.length + 1), 'MAX_NAMES_WIRE_BYTES'))
    throwIfNamesFailure(m, known)
    if (m.method !== '_notice_zone_block') throw new SecushareError('NAMES_WIRE_INVALID', `unexpected answer ${m.method}`)
    return namesBytes(m, '_block')
  } catch (e) {
    if (e instanceof SecushareError && ['STREAM_TIMEOUT', 'STREAM_CLOSED', 'PEER_UNREACHABLE', 'PROTOCOL_UNSUPPORTED'].includes(e.code)) {
      throw new SecushareError('ZONE_UNREACHABLE', `no answer through ${c.petname}: ${e.message}`)
    }
    throw e
  } finally {
    s.abort('done')
  }
}

interface CacheEntry { records: ZoneRecord[], expires: number }

export class Resolver {
  private readonly cache = new Map<string, CacheEntry>()
  /** Remote look-ups made, answered from the cache, and refused by reason (for tests and benchmarks). */
  readonly stats = { fetched: 0, cacheHits: 0, failures: new Map<string, number>() }

  constructor (private readonly d: ResolverDeps) {}

  private now (): number { return (this.d.now ?? Date.now)() }

  clearCache (): void { this.cache.clear() }

  cacheSize (): number { return this.cache.size }

  /** The records under `label` of `zone`, from my own store, the cache, or the route. */
  private async lookup (zone: string, label: string, route: string[]): Promise<{ records: ZoneRecord[], cached: boolean }> {
    if (route.length === 0) return { records: this.d.zone.records(zone, label, { includePrivate: true }, this.now()), cached: true }
    const zoneKey = Buffer.from(zone, 'hex')
    const query = queryOf(this.d.sodium, zoneKey, label)
    const key = hex(query)
    const hit = this.cache.get(key)
    if (hit !== undefined && hit.expires > this.now() && hit.records.every((r) => r.expires === 0 || r.expires > this.now())) {
      this.stats.cacheHits++
      return { records: hit.records, cached: true }
    }
    this.cache.delete(key)
    this.stats.fetched++
    const bytes = await fetchBlock(this.d.net, this.d.contacts, route[0]!, zoneKey, query, route.slice(1))
    const opened = openBlock(this.d.sodium, bytes, zoneKey, label, this.now())
    this.cache.set(key, { records: opened.records, expires: opened.expires })
    if (this.cache.size > MAX_ZONE_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!)
    return { records: opened.records, cached: false }
  }

  /** Resolves a dotted name to its most specific record: PKEY, else PLACE, else NICK, PEER, RELAY. */
  async resolve (name: string, want?: RecordType): Promise<Resolved> {
    try {
      return await this.walk(name, want)
    } catch (e) {
      const code = e instanceof SecushareError ? e.code : 'INTERNAL'
      this.stats.failures.set(code, (this.stats.failures.get(code) ?? 0) + 1)
      throw e
    }
  }

  private async walk (name: string, want?: RecordType): Promise<Resolved> {
    const labels = nameLabels(name)
    let zone = this.d.defaultEgo
    let route: string[] = []
    let allCached = true
    const visited = new Set([zone])
    for (let i = labels.length - 1; i >= 0; i--) {
      const label = labels[i]!
      const { records, cached } = await this.lookup(zone, label, route)
      allCached &&= cached
      const where = labels.slice(i).join('.')
      if (i === 0) return present(records, zone, allCached, where, want)
      const pkey = records.find((r) => r.type === 'PKEY')
      if (pkey === undefined) throw new SecushareError('NAME_NOT_FOUND', `"${where}" is not a delegation to someone's zone`, { name: where })
      const next = hex(pkey.value)
      if (visited.has(next)) throw new SecushareError('NAME_LOOP', `"${where}" leads back into a zone this name already passed through`, { name: where })
      visited.add(next)
      if (this.d.egos.has(next)) route = []
      else if (this.d.contacts.byEgo(next) !== undefined) route = [next]
      else route = [...route, next]
      zone = next
    }
    throw new SecushareError('INTERNAL', 'unreachable')
  }
}

function present (records: ZoneRecord[], zone: string, cached: boolean, name: string, want?: RecordType): Resolved {
  const order: RecordType[] = want === undefined ? ['PKEY', 'PLACE', 'NICK', 'PEER', 'RELAY'] : [want]
  for (const type of order) {
    const r = records.find((x) => x.type === type)
    if (r === undefined) continue
    switch (r.type) {
      case 'PKEY': return { type: 'PKEY', ego: hex(r.value), zone, cached }
      case 'PLACE': {
        const p = decodePlaceValue(r.value)
        return { type: 'PLACE', place: hex(p.place), hostPeer: p.peerId, addrs: p.addrs, relays: p.relays, zone, cached }
      }
      case 'NICK': return { type: 'NICK', nick: Buffer.from(r.value).toString('utf8'), zone, cached }
      case 'PEER': case 'RELAY': {
        const n = decodeNodeValue(r.value)
        return { type: r.type, peerId: n.peerId, addrs: n.addrs, zone, cached }
      }
    }
  }
  throw new SecushareError('NAME_NOT_FOUND', `"${name}" has no ${want ?? ''} record`.replace('  ', ' '), { name })
}
