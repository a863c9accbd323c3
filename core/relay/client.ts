/**
 * The user side of relays (docs/relays.md): which contacts' nodes I use as relays (`relay use`,
 * `relay list`, `relay drop`), telling my contacts, hosts and members about them, depositing what I
 * host for members who are offline on their relays and my posts for an offline host on its relays,
 * and fetching what waits for me on mine — on start, when a relay connects, and every
 * `fetchIntervalMs`.
 *
 * Tags and blobs come from core/relay/tags.ts: a relay sees neither egos nor places. Fetched
 * envelopes go through the same checks as gossip and replay (Places.receiveMany); a blob is
 * acknowledged only after what it held is durable.
 */
import { SecushareError, ERROR_CODES } from '../../protocol/errors.js'
import { DEFAULT_RELAY_EXPIRY_S, MAX_FETCH_ROUNDS, MAX_FRAME_BYTES, MAX_RELAY_FETCH_BLOBS, MAX_RELAY_FETCH_TAGS, MAX_RELAYS, RELAY_DEPOSIT_COPIES, RELAY_SLOT_MS } from '../../protocol/limits.js'
import {
  concat, decodeRelay, decodeRelayList, encodeRelay, encodeRelayList, relayBytes, relayNumber, relayText, RELAY_PROTOCOL, throwIfRelayFailure, type RelayRef, type WireMessage
} from '../../protocol/relay-wire.js'
import type { ContactBook, ContactRecord } from '../contacts/book.js'
import type { Sodium } from '../crypto/sodium.js'
import type { Ego } from '../identity/ego.js'
import type { FrameStream } from '../net/framing.js'
import type { NetNode } from '../net/node.js'
import { requestFrame } from '../net/request.js'
import { noteDelivery } from '../places/delivery.js'
import type { Places } from '../places/places.js'
import type { PlaceRecord } from '../places/records.js'
import type { Store } from '../store/lmdb.js'
import { BLOB_GUEST_TALK, BLOB_PLACE_ENVELOPE, boxKey, openBlob, pairSecret, sealBlob, slotOf, tagFor } from './tags.js'
import type { RelayServer, RelayServerStats } from './server.js'

/** What waits on my relays is fetched this often (and on start, and when a relay connects). */
export const RELAY_FETCH_INTERVAL_MS = 60_000
/** How long a relay request waits for its answer. */
export const RELAY_CLIENT_TIMEOUT_MS = 10_000
/** Fetch rounds per relay and batch of tags before giving up for this time (protocol/limits.ts). */
export { MAX_FETCH_ROUNDS }

export interface RelayUseRecord { v: 1, ego: string, since: number, state: 'new' | 'ok' | 'unreachable' | 'refused', lastContact: number | null, storedBytes: number, fetched: number }
export interface RelayListRecord { v: 1, relays: RelayRef[], received: number }
export interface RelayInfo { petname: string, ego: string, peerId: string, state: RelayUseRecord['state'], lastContact: number | null, storedBytes: number, fetched: number }

export interface RelaysDeps {
  sodium: Sodium
  store: Store
  net: NetNode
  egos: ReadonlyMap<string, Ego>
  defaultEgo: string
  contacts: ContactBook
  places: Places
  server?: RelayServer
  /** Time to live asked for deposits, seconds (DEFAULT_RELAY_EXPIRY_S). */
  expiryS?: number
  fetchIntervalMs?: number
}

/** How a fetched blob under one of my tags is opened, and whose pair secret sealed it (an ego, hex). */
interface Opener { key: Uint8Array, sender: string }

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const knownCode = (c: string): boolean => c in ERROR_CODES

export class Relays {
  private readonly unsubscribe: Array<() => void> = []
  private fetchTimer: NodeJS.Timeout | undefined
  private fetching: Promise<number> | undefined
  private depositQueue: Promise<void> = Promise.resolve()
  private stopped = false
  /**
   * Counted, not thrown: blobs under my tags that did not open, deposits that failed, guests'
   * posts sequenced from relays, refused (acknowledged), or kept on the relay (not stored).
   */
  readonly counts = { fetched: 0, unopened: 0, deposited: 0, depositFailed: 0, talks: 0, talksRefused: 0, talksKept: 0 }

  constructor (private readonly d: RelaysDeps) {}

  private get db (): Store { return this.d.store }

  async start (): Promise<void> {
    this.unsubscribe.push(this.d.places.onHosted((p, id, envelope) => { this.onHosted(p, id, envelope) }))
    this.unsubscribe.push(this.d.net.on('peer:connect', (peer) => {
      if (this.d.contacts.byPeer(peer) !== undefined || this.hostsOfMine().has(peer) || this.d.places.memberEgosOf(peer).length > 0) void this.sendList(peer).catch(() => {})
      if (this.used().some((r) => this.d.contacts.byEgo(r.ego)?.peerId === peer)) void this.fetchAll().catch(() => {})
    }))
    // on joining, I tell the host my relays (even none): the host answers with its own
    this.unsubscribe.push(this.d.places.onJoined((hostPeer) => { if (hostPeer !== this.d.net.peerId) void this.sendList(hostPeer).catch(() => {}) }))
    this.d.places.setCatchUpFallback(async () => await this.fetchAll())
    this.d.places.setTalkRelay(async (p, message) => await this.depositTalk(p, message))
    this.fetchTimer = setInterval(() => { void this.fetchAll().catch(() => {}) }, this.d.fetchIntervalMs ?? RELAY_FETCH_INTERVAL_MS)
    this.fetchTimer.unref()
    void this.fetchAll().catch(() => {})
  }

  stop (): void {
    this.stopped = true
    this.d.places.setCatchUpFallback(undefined)
    this.d.places.setTalkRelay(undefined)
    clearInterval(this.fetchTimer)
    for (const u of this.unsubscribe.splice(0)) u()
  }

  // ---- choosing relays ----

  private used (): RelayUseRecord[] { return [...this.db.entries<RelayUseRecord>('relay_use')].map((e) => e.value) }

  async use (petname: string): Promise<RelayInfo> {
    const c = this.d.contacts.byPetname(petname)
    const ego = hex(c.ego)
    if (this.db.get('relay_use', ego) === undefined && this.used().length >= MAX_RELAYS) throw new SecushareError('LIMIT_EXCEEDED', `at most ${MAX_RELAYS} relays`, { limit: 'MAX_RELAYS', max: MAX_RELAYS })
    await this.db.write((tx) => {
      if (tx.get('relay_use', ego) === undefined) tx.put('relay_use', ego, { v: 1, ego, since: Date.now(), state: 'new', lastContact: null, storedBytes: 0, fetched: 0 } satisfies RelayUseRecord)
    })
    this.announce()
    void this.fetchAll().catch(() => {})
    return this.info(this.db.get<RelayUseRecord>('relay_use', ego)!)
  }

  async drop (petname: string): Promise<RelayInfo> {
    const c = this.d.contacts.byPetname(petname)
    const rec = this.db.get<RelayUseRecord>('relay_use', hex(c.ego))
    if (rec === undefined) throw new SecushareError('NOT_FOUND', `${petname} is not one of my relays`)
    await this.db.write((tx) => { tx.remove('relay_use', rec.ego) })
    this.announce()
    return this.info(rec)
  }

  list (): { relays: RelayInfo[], serving: RelayServerStats | null, contacts: Array<{ petname: string, relays: string[], received: number }>, members: Array<{ ego: string, relays: string[], received: number }> } {
    const name = (peer: string): string => peer === this.d.net.peerId ? 'me' : this.d.contacts.byPeer(peer)?.petname ?? peer
    const contacts: Array<{ petname: string, relays: string[], received: number }> = []
    const members: Array<{ ego: string, relays: string[], received: number }> = []
    for (const e of this.db.entries<RelayListRecord>('relay_lists')) {
      const c = this.d.contacts.byEgo(String(e.key))
      const relays = e.value.relays.map((r) => name(r.peer))
      if (c !== undefined) contacts.push({ petname: c.petname, relays, received: e.value.received })
      else members.push({ ego: String(e.key), relays, received: e.value.received })
    }
    return { relays: this.used().map((r) => this.info(r)).sort((a, b) => a.petname.localeCompare(b.petname)), serving: this.d.server?.stats() ?? null, contacts, members }
  }

  private info (r: RelayUseRecord): RelayInfo {
    const c = this.d.contacts.byEgo(r.ego)
    return { petname: c?.petname ?? r.ego.slice(0, 16), ego: r.ego, peerId: c?.peerId ?? '', state: r.state, lastContact: r.lastContact, storedBytes: r.storedBytes, fetched: r.fetched }
  }

  /** My relays as I publish them: each relay's peer id and addresses. */
  private myList (): RelayRef[] {
    return this.used().flatMap((r) => {
      const c = this.d.contacts.byEgo(r.ego)
      return c === undefined ? [] : [{ peer: c.peerId, addrs: c.addrs.slice(0, 8) }]
    })
  }

  /** Host peers of the places I am a member of (not host), with the host's addresses. */
  private hostsOfMine (): Map<string, string[]> {
    const out = new Map<string, string[]>()
    for (const p of this.d.places.guestPlaces()) if (p.hostPeer !== this.d.net.peerId && !out.has(p.hostPeer)) out.set(p.hostPeer, p.hostAddrs)
    return out
  }

  /** Peers of the current members of places I host. */
  private membersOfMine (): Set<string> {
    const out = new Set<string>()
    for (const p of this.d.places.hostedPlaces()) {
      for (const m of this.d.places.memberList(p.id)) if (m.status === 'member' && m.peerId !== this.d.net.peerId) out.add(m.peerId)
    }
    return out
  }

  /**
   * Tells every connected contact, every connected host of a place I am a member of, and every
   * connected member of a place I host which relays I use (the others hear it when they connect).
   * Hosts deposit for me what I miss; members deposit for me the posts they make while I am away.
   */
  private announce (): void {
    const peers = new Set([...this.d.contacts.list().map((c) => c.peerId), ...this.hostsOfMine().keys(), ...this.membersOfMine()])
    for (const peer of peers) if (this.d.net.isConnected(peer)) void this.sendList(peer).catch(() => {})
  }

  private async sendList (peer: string): Promise<void> {
    // a member of a place I host is told only while connected: no addresses needed
    const addrs = this.d.contacts.byPeer(peer)?.addrs ?? this.hostsOfMine().get(peer) ?? (this.membersOfMine().has(peer) ? [] : undefined)
    if (addrs === undefined) return
    await this.ask(peer, addrs, encodeRelay('_request_relay_list', { _relays: encodeRelayList(this.myList()) }), async (m) => {
      // the host of a place I am in answers with its own list (where I leave my posts while it is away)
      if (m.method === '_notice_relay_list' && m.fields.has('_relays')) await this.keepList(this.hostEgosOf(peer), relayText(m, '_relays'))
    })
  }

  /**
   * A contact, a member of a place I host, or the host of a place I am a member of told me which
   * relays it uses (called by the relay server for `_request_relay_list`). Kept per ego: a
   * contact's under its ego, a member's under every ego the peer is a current member with in a
   * place I host, a host's under the host ego of each such place.
   */
  async onRelayList (peer: string, text: string): Promise<string | undefined> {
    const egos = new Set<string>()
    const c = this.d.contacts.byPeer(peer)
    if (c !== undefined) egos.add(hex(c.ego))
    const member = this.d.places.memberEgosOf(peer)
    for (const ego of member) egos.add(ego)
    for (const ego of this.hostEgosOf(peer)) egos.add(ego)
    if (egos.size === 0) throw new SecushareError('RELAY_REFUSED', 'relay lists are taken from contacts, members of places I host and hosts of places I am in only')
    await this.keepList(egos, text)
    // a member of a place I host hears my list in return: it leaves its posts there while I am away
    return member.length > 0 ? encodeRelayList(this.myList()) : undefined
  }

  private async keepList (egos: Iterable<string>, text: string): Promise<void> {
    const relays = decodeRelayList(text)
    await this.db.write((tx) => { for (const ego of egos) tx.put('relay_lists', ego, { v: 1, relays, received: Date.now() } satisfies RelayListRecord) })
  }

  /** The host egos of the places I am a member of that `peer` hosts. */
  private hostEgosOf (peer: string): Set<string> {
    return new Set(this.d.places.guestPlaces().filter((p) => p.hostPeer === peer).map((p) => p.hostEgo))
  }

  /** The relays a contact told me it uses. */
  relaysOf (egoHex: string): RelayRef[] { return this.db.get<RelayListRecord>('relay_lists', egoHex)?.relays ?? [] }

  // ---- depositing ----

  private onHosted (p: PlaceRecord, id: number, envelope: Uint8Array): void {
    const others = this.d.places.memberList(p.id).filter((m) => m.status === 'member' && m.ego !== p.self && m.peerId !== this.d.net.peerId)
    const live = others.filter((m) => this.d.net.isConnected(m.peerId)).map((m) => m.ego)
    const offline = others.filter((m) => !live.includes(m.ego))
    const job = async (): Promise<void> => {
      await this.d.places.noteLive(p.id, id, live)
      for (const m of offline) await this.depositFor(p, id, envelope, m.ego).catch(() => {})
    }
    this.depositQueue = this.depositQueue.then(job, job)
  }

  /** Waits until the deposits queued so far are done (tests, stop). */
  async settled (): Promise<void> { await this.depositQueue }

  private async depositFor (p: PlaceRecord, id: number, envelope: Uint8Array, memberEgo: string): Promise<void> {
    if (this.stopped) return
    const member = this.d.places.memberList(p.id).find((m) => m.ego === memberEgo && m.status === 'member')
    const self = this.d.egos.get(p.self)
    if (member === undefined || self === undefined) return
    const held = await this.deposit(self, memberEgo, member.peerId, Buffer.from(p.id, 'hex'), envelope, BLOB_PLACE_ENVELOPE)
    if (held.length > 0) await this.db.write((tx) => { noteDelivery(tx, p.id, id, { relayed: { ego: memberEgo, relays: held } }) })
  }

  /**
   * A guest's post for a host that is away (Places.setTalkRelay): the signed post sealed for the
   * host's ego and deposited on up to RELAY_DEPOSIT_COPIES of the host's relays. Returns the relays
   * that took it.
   */
  async depositTalk (p: PlaceRecord, message: Uint8Array): Promise<string[]> {
    const self = this.d.egos.get(p.self)
    if (self === undefined || this.stopped) return []
    return await this.deposit(self, p.hostEgo, p.hostPeer, Buffer.from(p.id, 'hex'), message, BLOB_GUEST_TALK)
  }

  /** Seals a payload for `recipientEgo` and deposits it on its relays (not on it, not on me); returns the relays that took it. */
  private async deposit (self: Ego, recipientEgo: string, recipientPeer: string, placeId: Uint8Array, payload: Uint8Array, kind: typeof BLOB_PLACE_ENVELOPE | typeof BLOB_GUEST_TALK): Promise<string[]> {
    const relays = this.relaysOf(recipientEgo).filter((r) => r.peer !== this.d.net.peerId && r.peer !== recipientPeer).slice(0, RELAY_DEPOSIT_COPIES)
    if (relays.length === 0) return []
    const recipient = Buffer.from(recipientEgo, 'hex')
    const pair = pairSecret(this.d.sodium, self.secretKey, self.publicKey, recipient)
    const tag = tagFor(this.d.sodium, pair, recipient, slotOf(Date.now()))
    const blob = sealBlob(this.d.sodium, boxKey(this.d.sodium, pair, recipient), tag, placeId, payload, kind)
    const ttl = this.d.expiryS ?? DEFAULT_RELAY_EXPIRY_S
    const held: string[] = []
    for (const r of relays) {
      try {
        await this.ask(r.peer, this.addrsOf(r), encodeRelay('_request_relay_deposit', { _tag: tag, _blob: blob, _ttl: ttl }), async (m) => {
          if (m.method !== '_notice_relay_deposit') throw new SecushareError('RELAY_WIRE_INVALID', 'unexpected deposit answer')
          relayNumber(m, '_expires')
        })
        held.push(r.peer)
        this.counts.deposited++
      } catch {
        this.counts.depositFailed++
      }
    }
    return held
  }

  private addrsOf (r: RelayRef): string[] {
    return [...new Set([...r.addrs, ...(this.d.contacts.byPeer(r.peer)?.addrs ?? [])])]
  }

  // ---- fetching ----

  /** Fetches from every relay I use what waits for me; returns how many new envelopes were stored. */
  async fetchAll (): Promise<number> {
    if (this.fetching !== undefined) return await this.fetching
    this.fetching = this.fetchOnce().finally(() => { this.fetching = undefined })
    return await this.fetching
  }

  private async fetchOnce (): Promise<number> {
    const relays = this.used()
    if (relays.length === 0 || this.stopped) return 0
    const me = this.d.egos.get(this.d.defaultEgo)
    if (me === undefined) return 0
    const now = slotOf(Date.now())
    const maxSlots = Math.ceil((this.d.expiryS ?? DEFAULT_RELAY_EXPIRY_S) * 1000 / RELAY_SLOT_MS) + 1
    const from = Math.max(now - maxSlots, (this.db.get<number>('relay_state', 'fetchedSlot') ?? now - maxSlots) - 1)
    const byTag = new Map<string, Opener>() // tag hex → box key and who sealed it
    // who may have deposited for me: my contacts and the hosts of places I am a member of (for my
    // default ego), and the members of places I host (for the host ego of each place)
    const pairs = new Map<string, { me: Ego, sender: string }>()
    for (const c of this.d.contacts.list()) pairs.set(`${this.d.defaultEgo}:${hex(c.ego)}`, { me, sender: hex(c.ego) })
    for (const p of this.d.places.guestPlaces()) if (p.self === this.d.defaultEgo) pairs.set(`${p.self}:${p.hostEgo}`, { me, sender: p.hostEgo })
    for (const p of this.d.places.hostedPlaces()) {
      const host = this.d.egos.get(p.self)
      if (host === undefined) continue
      for (const m of this.d.places.memberList(p.id)) if (m.status === 'member' && m.ego !== p.self) pairs.set(`${p.self}:${m.ego}`, { me: host, sender: m.ego })
    }
    for (const { me: self, sender } of pairs.values()) {
      const pair = pairSecret(this.d.sodium, self.secretKey, self.publicKey, Buffer.from(sender, 'hex'))
      const key = boxKey(this.d.sodium, pair, self.publicKey)
      for (let s = from; s <= now + 1; s++) byTag.set(hex(tagFor(this.d.sodium, pair, self.publicKey, s)), { key, sender })
    }
    const tags = [...byTag.keys()].map((t) => Buffer.from(t, 'hex'))
    let added = 0
    let reached = false
    for (const r of relays) {
      const c = this.d.contacts.byEgo(r.ego)
      if (c === undefined) continue
      let bytes = 0
      let fetched = 0
      try {
        for (let i = 0; i < tags.length; i += MAX_RELAY_FETCH_TAGS) {
          const got = await this.fetchFrom(c, tags.slice(i, i + MAX_RELAY_FETCH_TAGS), byTag)
          added += got.added
          bytes += got.bytes
          fetched += got.blobs
        }
        reached = true
        await this.db.write((tx) => {
          const cur = tx.get<RelayUseRecord>('relay_use', r.ego)
          if (cur !== undefined) tx.put('relay_use', r.ego, { ...cur, state: 'ok', lastContact: Date.now(), storedBytes: bytes, fetched: cur.fetched + fetched })
        })
      } catch (e) {
        const state = (e as SecushareError)?.code === 'RELAY_REFUSED' ? 'refused' : 'unreachable'
        await this.db.write((tx) => {
          const cur = tx.get<RelayUseRecord>('relay_use', r.ego)
          if (cur !== undefined) tx.put('relay_use', r.ego, { ...cur, state })
        })
      }
    }
    if (reached) await this.db.write((tx) => { tx.put('relay_state', 'fetchedSlot', now) })
    return added
  }

  /** Fetch, store, acknowledge — until the relay has nothing more under these tags. */
  private async fetchFrom (c: ContactRecord, tags: Uint8Array[], keys: Map<string, Opener>): Promise<{ added: number, bytes: number, blobs: number }> {
    const s = await this.d.net.openStream(c.peerId, c.addrs, RELAY_PROTOCOL)
    let added = 0
    let bytes = 0
    let blobs = 0
    try {
      for (let round = 0; round < MAX_FETCH_ROUNDS; round++) {
        await s.write(encodeRelay('_request_relay_fetch', { _tags: concat(tags) }))
        const got: Array<{ tag: Uint8Array, key: Uint8Array, blob: Uint8Array }> = []
        let more = false
        for (;;) {
          const m = await this.read(s)
          if (m.method === '_notice_relay_fetch_end') { more = relayNumber(m, '_more') === 1; break }
          if (m.method !== '_notice_relay_blob' || got.length >= MAX_RELAY_FETCH_BLOBS) throw new SecushareError('RELAY_WIRE_INVALID', 'unexpected fetch answer')
          got.push({ tag: relayBytes(m, '_tag'), key: relayBytes(m, '_key'), blob: relayBytes(m, '_blob') })
        }
        if (got.length === 0) break
        bytes += got.reduce((n, g) => n + g.blob.length, 0)
        blobs += got.length
        const perPlace = new Map<string, Uint8Array[]>()
        const talks: Array<{ placeId: string, packet: Uint8Array, sender: string, blob: (typeof got)[number] }> = []
        for (const g of got) {
          const opener = keys.get(hex(g.tag))
          if (opener === undefined) { this.counts.unopened++; continue } // not a tag I asked for
          try {
            const { kind, placeId, envelope } = openBlob(this.d.sodium, opener.key, g.tag, g.blob)
            if (kind === BLOB_GUEST_TALK) { talks.push({ placeId: hex(placeId), packet: envelope, sender: opener.sender, blob: g }); continue }
            const list = perPlace.get(hex(placeId)) ?? []
            list.push(envelope)
            perPlace.set(hex(placeId), list)
          } catch {
            this.counts.unopened++
          }
        }
        for (const [placeId, envelopes] of perPlace) added += await this.d.places.receiveMany(placeId, envelopes)
        // a guest's post for a place I host: sequenced like one that came live (a repeat keeps its id)
        const keep = new Set<(typeof got)[number]>()
        for (const t of talks) {
          try {
            await this.d.places.receiveRelayedTalk(t.placeId, t.packet, t.sender)
            this.counts.talks++
          } catch (e) {
            if (!(e instanceof SecushareError) || e.code === 'INTERNAL') {
              keep.add(t.blob) // not stored, through no fault of the post: left on the relay for the next fetch
              this.counts.talksKept++
            } else {
              this.counts.talksRefused++ // refused for good (not a member, bad signature, ...): acknowledged
            }
          }
        }
        this.counts.fetched += got.length
        // what they held is durable (or was worthless): the relay may forget them
        const done = got.filter((g) => !keep.has(g))
        if (done.length === 0) break
        await s.write(encodeRelay('_request_relay_ack', { _keys: concat(done.flatMap((g) => [g.tag, g.key])) }))
        const ack = await this.read(s)
        if (ack.method !== '_notice_relay_ack') throw new SecushareError('RELAY_WIRE_INVALID', 'unexpected ack answer')
        if (!more) break
      }
    } finally {
      s.abort('done')
    }
    return { added, bytes, blobs }
  }

  private async read (s: FrameStream): Promise<WireMessage> {
    const m = decodeRelay(await s.read(MAX_FRAME_BYTES, RELAY_CLIENT_TIMEOUT_MS, 'MAX_FRAME_BYTES'))
    throwIfRelayFailure(m, knownCode)
    return m
  }

  /** One request, one answer (deposits, lists); a fetch holds its stream for several (fetchFrom). */
  private async ask (peer: string, addrs: string[], request: Uint8Array, onAnswer: (m: WireMessage) => Promise<void>): Promise<void> {
    const m = decodeRelay(await requestFrame(this.d.net, peer, addrs, RELAY_PROTOCOL, request, { maxBytes: MAX_FRAME_BYTES, timeoutMs: RELAY_CLIENT_TIMEOUT_MS, limit: 'MAX_FRAME_BYTES' }))
    throwIfRelayFailure(m, knownCode)
    await onAnswer(m)
  }
}
