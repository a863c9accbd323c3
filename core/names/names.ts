/**
 * Names at run time: my zones (zone.ts), resolving (resolver.ts), serving my zones to contacts
 * (serve.ts), introductions (introductions.ts) and common contacts (vouch.ts). docs/names.md.
 */
import { SecushareError } from '../../protocol/errors.js'
import { MAX_INTRODUCTION_STREAMS, MAX_ZONE_STREAMS } from '../../protocol/limits.js'
import { INTRODUCTION_PROTOCOL, ZONE_PROTOCOL } from '../../protocol/names-wire.js'
import { decodeNodeValue, decodePlaceValue, encodeNodeValue, encodePlaceValue, type RecordType } from '../../protocol/zone-record.js'
import type { ContactBook } from '../contacts/book.js'
import type { Sodium } from '../crypto/sodium.js'
import { fingerprint } from '../identity/fingerprint.js'
import type { Ego } from '../identity/ego.js'
import type { NetNode } from '../net/node.js'
import type { PlaceRecord } from '../places/records.js'
import type { Store } from '../store/lmdb.js'
import { Introductions, type AcceptResult } from './introductions.js'
import { Resolver, type Resolved } from './resolver.js'
import { ZoneServer } from './serve.js'
import { vouchesFor, type Vouches } from './vouch.js'
import { Zone, type ZoneEntry } from './zone.js'

export interface NamesDeps { sodium: Sodium, store: Store, net: NetNode, egos: ReadonlyMap<string, Ego>, defaultEgo: string, contacts: ContactBook }

/** A zone record as the CLI and RPC show it. */
export interface ZoneEntryInfo { label: string, type: RecordType, value: string | Record<string, unknown>, private: boolean, expires: number | null, source: 'set' | 'contact' }

export interface IntroductionInfo { id: string, from: string | null, introducer: string, ego: string, fingerprint: string, nick: string, peerId: string, received: number, accepted: boolean, peerAccepted: boolean, vouches?: Vouches }

/** What a place name resolves to: the place key, the node hosting it, and where to find it. */
export interface PlaceAddress { place: string, hostPeer: string, addrs: string[], relays: string[], hostEgo: string }

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

export class Names {
  readonly zone: Zone
  readonly resolver: Resolver
  readonly server: ZoneServer
  readonly introductions: Introductions

  constructor (private readonly d: NamesDeps) {
    this.zone = new Zone(d.store, () => d.net.peerId, () => d.net.addrs().map((a) => a.replace(/\/p2p\/[^/]+$/, '')))
    this.resolver = new Resolver({ sodium: d.sodium, net: d.net, contacts: d.contacts, zone: this.zone, egos: new Set(d.egos.keys()), defaultEgo: d.defaultEgo })
    this.server = new ZoneServer({ sodium: d.sodium, net: d.net, contacts: d.contacts, zone: this.zone, egos: d.egos })
    this.introductions = new Introductions({ sodium: d.sodium, store: d.store, net: d.net, egos: d.egos, contacts: d.contacts, defaultEgo: d.defaultEgo })
  }

  async start (): Promise<void> {
    await this.d.net.handle(ZONE_PROTOCOL, async (s) => { await this.server.answer(s) }, { maxInboundStreams: MAX_ZONE_STREAMS })
    await this.d.net.handle(INTRODUCTION_PROTOCOL, async (s) => { await this.introductions.answer(s) }, { maxInboundStreams: MAX_INTRODUCTION_STREAMS })
  }

  async resolve (name: string): Promise<Resolved> {
    return await this.resolver.resolve(name)
  }

  /**
   * For places: a name such as `garden.carol.bob` (or `garden` in my own zone) to the place it
   * names. NAME_NOT_FOUND when the name has no PLACE record; the other errors of `resolve`.
   */
  async resolvePlace (name: string): Promise<PlaceAddress> {
    const r = await this.resolver.resolve(name, 'PLACE')
    if (r.type !== 'PLACE') throw new SecushareError('NAME_NOT_FOUND', `"${name}" names no place`)
    return { place: r.place, hostPeer: r.hostPeer, addrs: r.addrs, relays: r.relays, hostEgo: r.zone }
  }

  zoneList (): ZoneEntryInfo[] {
    return this.zone.list(this.d.defaultEgo).map(info)
  }

  async zoneSet (label: string, type: RecordType, value: string, opts: { private?: boolean, expiresInSeconds?: number, peer?: string, addrs?: string[] } = {}): Promise<ZoneEntryInfo> {
    const expires = opts.expiresInSeconds === undefined ? 0 : Date.now() + opts.expiresInSeconds * 1000
    const entry = await this.zone.set(this.d.defaultEgo, label, { type, value: this.encodeValue(type, value, opts), expires, private: opts.private === true })
    return info(entry)
  }

  async zoneDelete (label: string, type?: RecordType): Promise<ZoneEntryInfo[]> {
    return (await this.zone.delete(this.d.defaultEgo, label, type)).map(info)
  }

  private encodeValue (type: RecordType, value: string, opts: { peer?: string, addrs?: string[] }): Uint8Array {
    switch (type) {
      case 'PKEY': {
        if (/^[0-9a-f]{64}$/.test(value)) return Buffer.from(value, 'hex')
        return new Uint8Array(this.d.contacts.byPetname(value).ego)
      }
      case 'NICK': return new TextEncoder().encode(value)
      case 'PLACE': {
        const places = [...this.d.store.entries<PlaceRecord>('places')].map((e) => e.value)
        const p = places.find((x) => x.id === value) ?? (places.filter((x) => x.name === value).length === 1 ? places.find((x) => x.name === value) : undefined)
        if (p === undefined && (!/^[0-9a-f]{64}$/.test(value) || opts.peer === undefined)) {
          throw new SecushareError('PLACE_NOT_FOUND', `no place ${JSON.stringify(value)} on this node (for another node's place give its id and --peer)`)
        }
        const hostPeer = opts.peer ?? p!.hostPeer
        const addrs = opts.addrs ?? (hostPeer === this.d.net.peerId ? this.d.net.addrs().map((a) => a.replace(/\/p2p\/[^/]+$/, '')) : this.d.contacts.byPeer(hostPeer)?.addrs ?? [])
        return encodePlaceValue({ place: Buffer.from(p?.id ?? value, 'hex'), peerId: hostPeer, addrs: addrs.slice(0, 8), relays: [] })
      }
      case 'PEER': case 'RELAY': return encodeNodeValue({ peerId: value, addrs: (opts.addrs ?? []).slice(0, 8) })
    }
  }

  async introduce (petname1: string, petname2: string): Promise<{ id: string, delivered: string[] }> {
    return await this.introductions.introduce(petname1, petname2)
  }

  async introductionList (opts: { vouches?: boolean } = {}): Promise<IntroductionInfo[]> {
    return await Promise.all(this.introductions.list().map(async (r) => ({
      id: r.id, from: this.d.contacts.byEgo(r.introducer)?.petname ?? null, introducer: r.introducer, ego: hex(r.subject),
      fingerprint: fingerprint(this.d.sodium, r.subject), nick: r.nick, peerId: r.peerId, received: r.received, accepted: r.accepted, peerAccepted: r.peerAccepted,
      ...(opts.vouches === true ? { vouches: await vouchesFor(this.d.sodium, this.d.net, this.d.contacts, r.subject, r.nick) } : {})
    })))
  }

  async introductionAccept (id: string, petname?: string): Promise<AcceptResult> {
    return await this.introductions.accept(id, petname)
  }

  async introductionIgnore (id: string): Promise<{ id: string }> {
    await this.introductions.ignore(id)
    return { id }
  }

  async vouches (ego: string, nick?: string): Promise<Vouches> {
    return await vouchesFor(this.d.sodium, this.d.net, this.d.contacts, Buffer.from(ego, 'hex'), nick)
  }
}

function info (e: ZoneEntry): ZoneEntryInfo {
  let value: ZoneEntryInfo['value']
  switch (e.type) {
    case 'PKEY': value = hex(e.value); break
    case 'NICK': value = Buffer.from(e.value).toString('utf8'); break
    case 'PLACE': { const p = decodePlaceValue(e.value); value = { place: hex(p.place), hostPeer: p.peerId, addrs: p.addrs, relays: p.relays }; break }
    default: { const n = decodeNodeValue(e.value); value = { peerId: n.peerId, addrs: n.addrs } }
  }
  return { label: e.label, type: e.type, value, private: e.private, expires: e.expires === 0 ? null : e.expires, source: e.source }
}
