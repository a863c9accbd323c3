/**
 * Entry requests, both sides. A place's address (protocol/place-address.ts) lets anyone ask its
 * host to be let in; the host lists the requests (`place requests`), admits (`place admit`: the
 * requester becomes an invited member and gets an invitation, which its node accepts and joins at
 * once because it asked) or refuses (`place refuse`: the request is dropped and the requester told).
 * Requests are signed by the requester's ego over the place, the time and its node's peer id
 * (protocol/place-entry.ts), checked cheap things first, and bounded per place.
 */
import { limitExceeded, SecushareError } from '../../protocol/errors.js'
import { LABEL } from '../../protocol/labels.js'
import { MAX_ENTRY_CLOCK_SKEW_MS, MAX_ENTRY_TEXT_BYTES, MAX_INVITE_ADDRS, MAX_PENDING_ENTRIES } from '../../protocol/limits.js'
import { decodePlaceAddress, encodePlaceAddress, type PlaceAddress } from '../../protocol/place-address.js'
import { entrySigningBytes } from '../../protocol/place-entry.js'
import { wireBytes, wireNumber, type WireMessage, type WireValue } from '../../protocol/place-wire.js'
import type { ContactBook } from '../contacts/book.js'
import { signLabelled, verifyLabelled } from '../crypto/labels.js'
import type { Sodium } from '../crypto/sodium.js'
import { fingerprint } from '../identity/fingerprint.js'
import type { Ego } from '../identity/ego.js'
import type { NetNode } from '../net/node.js'
import type { Store } from '../store/lmdb.js'
import type { EntryRecord, MemberRecord, PlaceRecord, RequestRecord } from './records.js'

/** What entries need from the rest of places (places.ts). */
export interface EntriesContext {
  sodium: Sodium
  db: Store
  net: NetNode
  contacts: ContactBook
  find: (ref: string) => PlaceRecord
  hosted: (placeId: string) => PlaceRecord
  self: () => Ego
  hostAddrs: (p: PlaceRecord) => string[]
  invite: (p: PlaceRecord, to: { ego: Uint8Array, peerId: string, addrs: string[] }) => Promise<void>
  ask: (peer: string, addrs: string[], method: string, fields: Record<string, WireValue>) => Promise<unknown>
}

export interface EntryInfo { place: string, ego: string, fingerprint: string, petname: string | null, text: string, received: number }
export interface RequestResult { place: string, requested: true, status: RequestRecord['status'] }

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const decoder = new TextDecoder('utf-8', { fatal: true })
function utf8Field (m: WireMessage, name: string): string {
  try { return decoder.decode(wireBytes(m, name)) } catch (e) { throw e instanceof SecushareError ? e : new SecushareError('PLACE_WIRE_INVALID', `malformed place request: ${name} is not UTF-8`) }
}

export class Entries {
  constructor (private readonly c: EntriesContext) {}

  /** The address of a place I host or am in, to hand to people who should ask for entry. */
  address (ref: string): { place: string, address: string } {
    const p = this.c.find(ref)
    const hostPeer = p.role === 'host' ? this.c.net.peerId : p.hostPeer
    const addrs = (p.role === 'host' ? this.c.net.addrs().map((a) => a.replace(/\/p2p\/[^/]+$/, '')) : this.c.hostAddrs(p)).slice(0, MAX_INVITE_ADDRS)
    return { place: p.id, address: encodePlaceAddress({ place: Buffer.from(p.id, 'hex'), hostEgo: Buffer.from(p.hostEgo, 'hex'), hostPeer, addrs }) }
  }

  /** Asks the host named in `address` to let me in; I join when it admits me. */
  async request (address: string, text = ''): Promise<RequestResult> {
    return await this.requestTo(decodePlaceAddress(address), text)
  }

  /** The same, for an address already decoded (or resolved from a name). */
  async requestTo (a: PlaceAddress, text = ''): Promise<RequestResult> {
    const place = hex(a.place)
    if (Buffer.byteLength(text) > MAX_ENTRY_TEXT_BYTES) throw limitExceeded('MAX_ENTRY_TEXT_BYTES', MAX_ENTRY_TEXT_BYTES, Buffer.byteLength(text))
    const existing = this.c.db.get<PlaceRecord>('places', place)
    if (existing !== undefined && !existing.left) throw new SecushareError('INVALID_ARGUMENT', `you are already in ${existing.name}`)
    if (a.hostPeer === this.c.net.peerId) throw new SecushareError('INVALID_ARGUMENT', 'this node hosts that place')
    const self = this.c.self()
    const time = Date.now()
    const signature = signLabelled(this.c.sodium, LABEL.PLACE_ENTRY, entrySigningBytes({ place: a.place, ego: self.publicKey, peerId: this.c.net.peerId, time, text }), self.secretKey)
    const mine = this.c.net.addrs().map((x) => x.replace(/\/p2p\/[^/]+$/, '')).slice(0, MAX_INVITE_ADDRS)
    const record: RequestRecord = { v: 1, place, hostEgo: hex(a.hostEgo), hostPeer: a.hostPeer, hostAddrs: a.addrs, status: 'requested', sent: time }
    await this.c.db.write((tx) => { tx.put('requests', place, record) }) // first: the invitation may come back before the answer
    await this.c.ask(a.hostPeer, a.addrs, '_request_place_entry', {
      _place: a.place, _ego: self.publicKey, _time: time, _text: text, _addrs: mine.join('\n'), _signature: signature
    })
    return { place, requested: true, status: 'requested' }
  }

  /** Host: a request arrives from `peer`. Answers nothing but success; throws a coded refusal. */
  async onRequest (peer: string, placeId: string, req: WireMessage): Promise<void> {
    const p = this.c.hosted(placeId)
    const ego = wireBytes(req, '_ego', 32)
    const time = wireNumber(req, '_time')
    const text = utf8Field(req, '_text')
    if (Buffer.byteLength(text) > MAX_ENTRY_TEXT_BYTES) throw new SecushareError('LIMIT_EXCEEDED', `an entry note has at most ${MAX_ENTRY_TEXT_BYTES} bytes`)
    if (Math.abs(Date.now() - time) > MAX_ENTRY_CLOCK_SKEW_MS) throw new SecushareError('PLACE_REFUSED', 'the request is too old (or the clocks disagree)')
    const signed = entrySigningBytes({ place: Buffer.from(placeId, 'hex'), ego, peerId: peer, time, text })
    if (!verifyLabelled(this.c.sodium, LABEL.PLACE_ENTRY, wireBytes(req, '_signature', 64), signed, ego)) throw new SecushareError('PLACE_REFUSED', 'the request signature does not verify')
    const id = hex(ego)
    if (id === p.hostEgo) throw new SecushareError('PLACE_REFUSED', 'the host cannot ask to enter its own place')
    const addrs = utf8Field(req, '_addrs').split('\n').filter((x) => x.startsWith('/')).slice(0, MAX_INVITE_ADDRS)
    const member = this.c.db.get<MemberRecord>('members', [p.id, id])
    if (member !== undefined) {
      // admitted before (the invitation may have been lost): invite again, to the node asking now
      await this.c.invite(p, { ego, peerId: peer, addrs })
      return
    }
    const entry: EntryRecord = { v: 1, place: p.id, ego: id, peerId: peer, addrs, text, time, received: Date.now() }
    await this.c.db.write((tx) => {
      if (tx.get('entries', [p.id, id]) === undefined && this.pending(p.id).length >= MAX_PENDING_ENTRIES) {
        throw new SecushareError('LIMIT_EXCEEDED', `${p.name} has ${MAX_PENDING_ENTRIES} entry requests waiting`, { limit: 'MAX_PENDING_ENTRIES' })
      }
      tx.put('entries', [p.id, id], entry)
      tx.emit({ type: 'place:entry', place: p.id, ego: id })
    })
  }

  private pending (placeId: string): EntryRecord[] {
    return [...this.c.db.entries<EntryRecord>('entries', { start: [placeId, ''], end: [placeId, '\uffff'] })].map((e) => e.value)
  }

  /** Host: the requests waiting in a place, oldest first. */
  list (ref: string): EntryInfo[] {
    const p = this.c.find(ref)
    if (p.role !== 'host') throw new SecushareError('NOT_HOST', 'only the host sees entry requests')
    return this.pending(p.id).sort((a, b) => a.received - b.received).map((e) => ({
      place: p.id, ego: e.ego, fingerprint: fingerprint(this.c.sodium, Buffer.from(e.ego, 'hex')), petname: this.c.contacts.byEgo(e.ego)?.petname ?? null, text: e.text, received: e.received
    }))
  }

  /** A request by the requester's ego (hex, or a unique prefix of at least 8 digits) or petname. */
  private entry (p: PlaceRecord, who: string): EntryRecord {
    const all = this.pending(p.id)
    const byPetname = this.c.contacts.list().find((c) => c.petname === who)
    const matches = byPetname !== undefined
      ? all.filter((e) => e.ego === hex(byPetname.ego))
      : /^[0-9a-f]{8,64}$/.test(who) ? all.filter((e) => e.ego.startsWith(who)) : []
    if (matches.length === 1) return matches[0]!
    if (matches.length > 1) throw new SecushareError('INVALID_ARGUMENT', `several requests start with ${who}; give more digits`)
    throw new SecushareError('NOT_FOUND', `no entry request from ${JSON.stringify(who)} in ${p.name}`)
  }

  /** Host: lets the requester in. `delivered` is false when its node could not be reached (it may ask again). */
  async admit (ref: string, who: string): Promise<{ place: string, ego: string, delivered: boolean }> {
    const p = this.hostedRef(ref)
    const e = this.entry(p, who)
    await this.c.db.write((tx) => {
      tx.remove('entries', [p.id, e.ego])
      if (tx.get('members', [p.id, e.ego]) === undefined) {
        tx.put('members', [p.id, e.ego], { v: 1, ego: e.ego, peerId: e.peerId, status: 'invited', sinceId: 0, joined: 0, addrs: e.addrs } satisfies MemberRecord)
      }
    })
    const delivered = await this.c.invite(p, { ego: Buffer.from(e.ego, 'hex'), peerId: e.peerId, addrs: e.addrs }).then(() => true, () => false)
    return { place: p.id, ego: e.ego, delivered }
  }

  /** Host: drops the request and tells the requester (when reachable). */
  async refuse (ref: string, who: string): Promise<{ place: string, ego: string }> {
    const p = this.hostedRef(ref)
    const e = this.entry(p, who)
    await this.c.db.write((tx) => { tx.remove('entries', [p.id, e.ego]) })
    await this.c.ask(e.peerId, e.addrs, '_request_place_refused', { _place: Buffer.from(p.id, 'hex') }).catch(() => {})
    return { place: p.id, ego: e.ego }
  }

  /** Requester: the host of a place I asked to enter says no. */
  async onRefused (peer: string, placeId: string): Promise<void> {
    const r = this.c.db.get<RequestRecord>('requests', placeId)
    if (r === undefined || r.hostPeer !== peer) throw new SecushareError('PLACE_REFUSED', 'no request of mine to that place')
    await this.c.db.write((tx) => { tx.put('requests', placeId, { ...r, status: 'refused' }); tx.emit({ type: 'place:refused', place: placeId }) })
  }

  /** Requester: whether an invitation from `peer` answers a request of mine (then it is taken, and joined). */
  requested (peer: string, placeId: string, hostEgo: string): RequestRecord | undefined {
    const r = this.c.db.get<RequestRecord>('requests', placeId)
    return r !== undefined && r.hostPeer === peer && r.hostEgo === hostEgo ? r : undefined
  }

  /** My outstanding requests. */
  mine (): RequestRecord[] { return [...this.c.db.entries<RequestRecord>('requests')].map((e) => e.value) }

  private hostedRef (ref: string): PlaceRecord {
    const p = this.c.find(ref)
    if (p.role !== 'host') throw new SecushareError('NOT_HOST', 'only the host admits or refuses')
    return this.c.hosted(p.id)
  }
}
