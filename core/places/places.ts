/**
 * Places at run time: hosting, joining, posting, reading, and keeping up (gossip, replay, pending
 * posts). The protocol handler for `/secushare/place/1.0.0` (protocol/place-wire.ts) answers
 * requests by the authenticated peer id: only a place's members (and invited guests, to enter)
 * get anything about it.
 */
import { SecushareError, ERROR_CODES } from '../../protocol/errors.js'
import { MAX_FRAME_BYTES, MAX_PLACE_STREAMS, MAX_REPLAY_BATCH, MAX_WRITES_PER_COMMIT } from '../../protocol/limits.js'
import { decodePlaceMessage, encodePlaceMessage, type PlaceMessage, type StateOp } from '../../protocol/place-message.js'
import { decodeWire, encodeWire, PLACE_PROTOCOL, throwIfFailure, wireBytes, wireNumber, type WireMessage, type WireValue } from '../../protocol/place-wire.js'
import type { ContactBook, ContactRecord } from '../contacts/book.js'
import { Redialer } from '../contacts/redial.js'
import type { Sodium } from '../crypto/sodium.js'
import type { Ego } from '../identity/ego.js'
import type { SealedSecret } from '../identity/keystore.js'
import { WRITE_BATCH_BYTES, type FrameStream } from '../net/framing.js'
import type { NetNode } from '../net/node.js'
import { offenceOf } from '../net/offences.js'
import { requestFrame } from '../net/request.js'
import type { Store, WriteTx } from '../store/lmdb.js'
import { signPlaceMessage } from './author.js'
import { guestMayPost, sequence } from './host.js'
import { openSealed, sealTo, topicFor, type EpochKey } from './keys.js'
import { Entries } from './entries.js'
import { check, DropCounter, precheck, store as storeAccepted, type Accepted, type DropReason } from './receive.js'
import { RECENT_HISTORY_MESSAGES, type HistoryPolicy, type InvitationRecord, type MemberRecord, type MessageRecord, type PendingPost, type PlaceRecord } from './records.js'
import { stateToJson } from './state.js'
import { deliveryOf, noteDelivery, noteMark, type Delivery } from './delivery.js'
import { DIRECT_DELIVERY_MEMBERS, Pusher, PUSH_READ_IDLE_MS } from './push.js'

export const WIRE_TIMEOUT_MS = 10_000
/** Pending posts are retried this often while the host is unreachable. */
export const PENDING_RETRY_MS = 2_000
/**
 * The host of a place I am in, not my contact (contacts have their own Redialer), is dialled at
 * start and after it disconnects, after this long, then twice as long each time, up to
 * HOST_REDIAL_MAX_MS (core/contacts/redial.ts): nobody else would dial it, and without it a guest
 * neither catches up nor delivers its pending posts.
 */
export const HOST_REDIAL_MIN_MS = 2_000
export const HOST_REDIAL_MAX_MS = 5 * 60_000
/** A pending post no relay of the host took yet is offered to the host's relays again after this long. */
export const PENDING_RELAY_RETRY_MS = 60_000
/**
 * A member asks for what it misses this often even when nothing suggests a gap: a member that
 * missed a key announcement listens on an old gossip topic and would otherwise notice nothing.
 */
export const PERIODIC_CATCHUP_MS = 60_000
/** A member asks the host for newer keys at most this often per place. */
export const KEY_REQUEST_INTERVAL_MS = 2_000
/** A gap in a place's ids is left this long to close by gossip before a replay is asked for. */
export const GAP_WAIT_MS = 500
/** Envelopes per replay answer (protocol/limits.ts). */
export { MAX_REPLAY_BATCH }
/** Default interval between key generations of a hosted place (the daemon's `placeKeyRotation`). */
export const DEFAULT_KEY_ROTATION_MS = 7 * 24 * 3600_000
/** The rotation timer looks at the hosted places this often at most (a quarter of the interval at least). */
const MAX_ROTATION_CHECK_MS = 3600_000

export interface PlacesDeps {
  sodium: Sodium
  store: Store
  net: NetNode
  egos: ReadonlyMap<string, Ego>
  defaultEgo: string
  contacts: ContactBook
  sealSecret: (publicKey: Uint8Array, secretKey: Uint8Array) => Promise<SealedSecret>
  openSecret: (publicKey: Uint8Array, secret: SealedSecret) => Promise<Uint8Array>
  /** A place I host gets a new key generation this long after the last (DEFAULT_KEY_ROTATION_MS). */
  keyRotationMs?: number
  /**
   * A place I host with at most this many members besides me is delivered directly, a larger one
   * on gossipsub (DIRECT_DELIVERY_MEMBERS; 0: always gossipsub). Benchmarks and tests compare both.
   */
  directDelivery?: number
}

export interface PlaceInfo { place: string, name: string, host: boolean, hostEgo: string, members: number, lastId: number, unread: number, generation: number, history: HistoryPolicy, closed: boolean, dm: string | null, home: string | null }
export interface FeedItem { id: number, author: string, authorPetname: string | null, method: string, text: string | null, replyTo: number | null, thread: number | null, time: number, delivery?: Delivery }
/** Called after a place I host sequenced and published a message (the relay client deposits it for offline members). */
export type HostedListener = (p: PlaceRecord, id: number, envelope: Uint8Array) => void
/**
 * `delivery` of a pending post: `relayed` with the relays' petnames when it was deposited for the
 * host on the host's relays (the host takes it from there when it starts), otherwise `local`.
 */
export type PostResult = { id: number, pending: false } | { id: null, pending: true, delivery: Delivery }
/**
 * Deposits a guest's signed post (encoded PlaceMessage) for the host of `p` on the host's relays;
 * returns the peers that took it (custody receipts). Set by the relay client.
 */
export type TalkRelay = (p: PlaceRecord, message: Uint8Array) => Promise<string[]>

interface Admission { place: string, name: string, hostEgo: string, history: HistoryPolicy, generation: number, sinceId: number, keys: EpochKey[], state: Array<[string, Uint8Array]>, lastStateful: number, members: MemberRecord[], dm: boolean }
interface Invitation { place: string, name: string, hostEgo: string, history: HistoryPolicy, dm: boolean, home?: boolean }

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
/** Network failures after which a pending post is kept and retried (anything else is a refusal). */
const unreachable = (e: unknown): boolean => ['PEER_UNREACHABLE', 'STREAM_TIMEOUT', 'STREAM_CLOSED', 'PROTOCOL_UNSUPPORTED'].includes((e as SecushareError)?.code)
const knownCode = (c: string): boolean => c in ERROR_CODES
/** Pushed envelopes refused for these reasons were made wrong by the host that pushed them. */
const FORGED_PUSH = new Set<DropReason>(['malformed', 'wrong-place', 'bad-host-signature', 'undecryptable', 'bad-author-signature'])

export class Places {
  readonly drops = new DropCounter()
  /** Requests from peers refused as offences (core/net/offences.ts offenceOf), by error code. */
  readonly refused: Record<string, number> = {}
  /** The gossip topic each place is subscribed on (its current generation's). */
  private readonly subscriptions = new Map<string, { topic: string, unsub: () => void }>()
  private readonly unsubscribe: Array<() => void> = []
  private readonly keyRequests = new Map<string, number>()
  private readonly keyRetries = new Map<string, NodeJS.Timeout>()
  private pendingTimer: NodeJS.Timeout | undefined
  private rotationTimer: NodeJS.Timeout | undefined
  private catchUpTimer: NodeJS.Timeout | undefined
  private stopped = false
  private readonly hostedListeners = new Set<HostedListener>()
  private readonly joinedListeners = new Set<(hostPeer: string) => void>()
  /** Keeps the hosts of my places connected when they are not my contacts (redialledHosts). */
  private readonly hostRedial: Redialer

  readonly entries: Entries
  /** Direct delivery of the places I host (core/places/push.ts). */
  readonly pusher: Pusher
  /** Envelopes members received on push streams, and pushes refused (not from the place's host). */
  readonly pushes = { received: 0, refused: 0 }

  constructor (private readonly d: PlacesDeps) {
    this.pusher = new Pusher(d.net)
    this.entries = new Entries({
      sodium: d.sodium, db: d.store, net: d.net, contacts: d.contacts,
      find: (ref) => this.find(ref), hosted: (id) => this.hosted(id), self: () => this.ego(d.defaultEgo),
      hostAddrs: (p) => this.hostAddrs(p), invite: async (p, to) => { await this.inviteEgo(p, to) },
      ask: async (peer, addrs, method, fields) => await this.ask(peer, addrs, method, fields)
    })
    this.hostRedial = new Redialer(d.net, {
      peers: () => [...new Set(this.redialledHosts().map((p) => p.hostPeer))],
      addrs: (peer) => {
        const places = this.redialledHosts().filter((p) => p.hostPeer === peer)
        return places.length === 0 ? undefined : places.flatMap((p) => this.hostAddrs(p))
      }
    }, { minMs: HOST_REDIAL_MIN_MS, maxMs: HOST_REDIAL_MAX_MS })
  }

  /** Places whose host I keep connected myself: I am a guest, and the host is not my contact. */
  private redialledHosts (): PlaceRecord[] {
    return this.all().filter((p) => p.role === 'guest' && !p.left && !p.closed && this.d.contacts.byEgo(p.hostEgo) === undefined)
  }

  /** Where the host of a place I am in listens, as far as I know. */
  private hostAddrs (p: PlaceRecord): string[] {
    return p.hostAddrs ?? this.d.contacts.byEgo(p.hostEgo)?.addrs ?? []
  }

  private get db (): Store { return this.d.store }

  async start (): Promise<void> {
    await this.d.net.handle(PLACE_PROTOCOL, async (stream) => { await this.answer(stream) }, { maxInboundStreams: MAX_PLACE_STREAMS })
    for (const p of this.all()) if (!p.left) this.subscribe(p)
    this.unsubscribe.push(this.d.net.on('peer:disconnect', (peer) => {
      if (this.redialledHosts().some((p) => p.hostPeer === peer)) this.hostRedial.schedule(peer)
    }))
    this.hostRedial.start()
    this.unsubscribe.push(this.d.net.on('peer:connect', (peer) => {
      this.hostRedial.connected(peer)
      for (const p of this.all()) {
        if (p.role !== 'guest' || p.left) continue
        if (p.hostPeer === peer || this.members(p.id).some((m) => m.peerId === peer)) void this.catchUp(p.id).catch(() => {})
      }
      void this.flushPending().catch(() => {})
    }))
    this.pendingTimer = setInterval(() => { void this.flushPending().catch(() => {}) }, PENDING_RETRY_MS)
    this.pendingTimer.unref()
    // with the host, or with a member: in a directly delivered place nobody else forwards to me
    this.catchUpTimer = setInterval(() => {
      for (const p of this.all()) {
        if (p.role !== 'guest' || p.left) continue
        if (this.d.net.isConnected(p.hostPeer) || this.members(p.id).some((m) => m.peerId !== '' && this.d.net.isConnected(m.peerId))) void this.catchUp(p.id).catch(() => {})
      }
    }, PERIODIC_CATCHUP_MS)
    this.catchUpTimer.unref()
    const rotationMs = this.d.keyRotationMs ?? DEFAULT_KEY_ROTATION_MS
    this.rotationTimer = setInterval(() => { void this.rotateDue().catch(() => {}) }, Math.min(MAX_ROTATION_CHECK_MS, Math.max(250, rotationMs / 4)))
    this.rotationTimer.unref()
    void this.rotateDue().catch(() => {})
    for (const p of this.all()) {
      if (p.role === 'guest' && !p.left) {
        void this.catchUp(p.id).catch(() => {})
        this.meetMembers(p)
      }
    }
  }

  /**
   * Dials the other members of a place I am a guest in, so gossip meshes among members rather
   * than a star around the host, and members can replay to each other while the host is away.
   */
  private meetMembers (p: PlaceRecord): void {
    if (p.role === 'host' || p.left) return
    for (const m of this.members(p.id)) {
      if (m.status !== 'member' || m.peerId === this.d.net.peerId || m.peerId === '' || this.d.net.isConnected(m.peerId)) continue
      void this.d.net.dial(m.peerId, m.addrs ?? []).catch(() => {})
    }
  }

  stop (): void {
    this.stopped = true
    this.hostRedial.stop()
    this.pusher.stop()
    clearInterval(this.pendingTimer)
    clearInterval(this.rotationTimer)
    clearInterval(this.catchUpTimer)
    for (const t of this.keyRetries.values()) clearTimeout(t)
    this.keyRetries.clear()
    for (const u of this.unsubscribe.splice(0)) u()
    for (const { unsub } of this.subscriptions.values()) unsub()
    this.subscriptions.clear()
  }

  private all (): PlaceRecord[] { return [...this.db.entries<PlaceRecord>('places')].map((e) => e.value) }

  /** Everyone the host listed for a place (invited or member). */
  private members (placeId: string): MemberRecord[] {
    return [...this.db.entries<MemberRecord>('members', { start: [placeId, ''], end: [placeId, '\uffff'] })].map((e) => e.value)
  }

  /** A place by id (hex) or by name (when unique). */
  find (ref: string): PlaceRecord {
    const byId = /^[0-9a-f]{64}$/.test(ref) ? this.db.get<PlaceRecord>('places', ref) : undefined
    if (byId !== undefined) return byId
    const named = this.all().filter((p) => p.name === ref)
    if (named.length === 1) return named[0]!
    if (named.length > 1) throw new SecushareError('INVALID_ARGUMENT', `several places are called ${JSON.stringify(ref)}; use the place id`)
    throw new SecushareError('PLACE_NOT_FOUND', `no place ${JSON.stringify(ref)} on this node`, { place: ref })
  }

  private ego (id: string): Ego {
    const e = this.d.egos.get(id)
    if (e === undefined) throw new SecushareError('EGO_NOT_FOUND', `no identity ${id} on this node`)
    return e
  }

  // ---- gossip ----

  private subscribe (p: PlaceRecord): void {
    const key = this.db.get<Uint8Array>('epochs', [p.id, p.generation])
    if (key === undefined) return
    const topic = topicFor(this.d.sodium, key)
    const current = this.subscriptions.get(p.id)
    if (current?.topic === topic) return
    current?.unsub()
    const unsub = this.d.net.subscribe(topic, (msg) => {
      const place = this.db.get<PlaceRecord>('places', p.id)
      if (place === undefined) return 'reject'
      const why = precheck(this.d.sodium, this.db, place, msg.data)
      if (why === undefined) return 'accept'
      this.drops.add(why)
      return why === 'duplicate' || why === 'no-key' ? 'ignore' : 'reject'
    }, (msg) => { void this.receive(p.id, msg.data).catch(() => {}) })
    this.subscriptions.set(p.id, { topic, unsub })
  }

  /** Checks and stores one envelope; returns whether it was new and valid. */
  async receive (placeId: string, bytes: Uint8Array): Promise<boolean> {
    return await this.receiveMany(placeId, [bytes]) === 1
  }

  /**
   * Checks envelopes (in order) and stores the new valid ones in one transaction; returns how many
   * were new. A replay answer of MAX_REPLAY_BATCH envelopes costs one commit, not one each.
   */
  async receiveMany (placeId: string, envelopes: Uint8Array[]): Promise<number> {
    const place = this.db.get<PlaceRecord>('places', placeId)
    if (place === undefined) { this.drops.add('unknown-place'); return 0 }
    const accepted: Accepted[] = []
    const ids = new Set<number>()
    let missingKey = false
    // the head moves with the batch: ids far beyond what the batch itself reached are refused
    let head = place.head
    for (const bytes of envelopes) {
      const a = check(this.d.sodium, this.db, { ...place, head }, bytes)
      if (typeof a === 'string') {
        this.drops.add(a)
        missingKey ||= a === 'no-key'
        continue
      }
      if (ids.has(a.record.id)) { this.drops.add('duplicate'); continue }
      ids.add(a.record.id)
      head = Math.max(head, a.record.id)
      accepted.push(a)
    }
    if (missingKey && place.role === 'guest') void this.refreshKeys(placeId).catch(() => {})
    return await this.commit(placeId, accepted)
  }

  /** Stores checked envelopes (those not stored meanwhile) in one transaction; returns how many were new. */
  private async commit (placeId: string, accepted: Accepted[]): Promise<number> {
    if (accepted.length === 0) return 0
    const { updated, fresh } = await this.db.write((tx) => {
      let p = tx.get<PlaceRecord>('places', placeId)!
      const fresh: Accepted[] = []
      for (const a of accepted) {
        if (tx.get('messages', [placeId, a.record.id]) !== undefined) continue
        p = storeAccepted(tx, p, a)
        this.applyMembership(tx, p, a.message)
        p = tx.get<PlaceRecord>('places', placeId)!
        fresh.push(a)
      }
      return { updated: p, fresh }
    })
    if (updated.role === 'guest') await this.wipeStoredGenerations(updated)
    const methods = new Set(fresh.map((a) => a.message.method))
    if (methods.has('_notice_place_key') || methods.has('_notice_place_leave')) void this.refreshKeys(placeId).catch(() => {})
    if (methods.has('_notice_place_enter')) this.meetMembers(updated)
    if (updated.contiguous < updated.head) this.catchUpSoon(placeId, updated.contiguous + 1)
    return fresh.length
  }

  /**
   * A member forgets the key of every generation all of whose messages it has stored: those are
   * the generations before that of the message at its contiguous mark, since ids and generations
   * grow together. Replays of them are then dropped as duplicates before any key is needed, and a
   * key that leaks from this node later opens no traffic older than the generation in use.
   * (The host keeps its keys: newcomers and members coming back after a rotation need them.)
   */
  private async wipeStoredGenerations (p: PlaceRecord): Promise<void> {
    const at = this.db.get<MessageRecord>('messages', [p.id, p.contiguous])
    if (at === undefined) return
    const stale = [...this.db.entries('epochs', { start: [p.id, 0], end: [p.id, at.generation] })].map((e) => e.key)
    if (stale.length > 0) await this.db.write((tx) => { for (const k of stale) tx.remove('epochs', k) })
  }

  /** Member lists travel as host notices: `_notice_place_enter` / `_leave` with :_nym_member, :_peer_member, :_id_since. */
  private applyMembership (tx: WriteTx, p: PlaceRecord, m: PlaceMessage): void {
    if (hex(m.author) !== p.hostEgo) return
    const v = (n: string): Uint8Array | undefined => m.vars?.find((x) => x.name === n)?.value
    const ego = v('_nym_member')
    if (ego === undefined || ego.length !== 32) return
    const id = hex(ego)
    if (m.method === '_notice_place_enter') {
      const peer = Buffer.from(v('_peer_member') ?? new Uint8Array()).toString()
      const since = Number(Buffer.from(v('_id_since') ?? new Uint8Array()).toString() || '1')
      const addrs = Buffer.from(v('_addrs_member') ?? new Uint8Array()).toString().split('\n').filter((a) => a.startsWith('/')).slice(0, 8)
      tx.put('members', [p.id, id], { v: 1, ego: id, peerId: peer, status: 'member', sinceId: since, joined: m.time, addrs } satisfies MemberRecord)
    } else if (m.method === '_notice_place_leave') {
      tx.remove('members', [p.id, id])
      if (id === p.self) tx.put('places', p.id, { ...p, left: true })
    }
  }

  // ---- host ----

  async create (name: string, history: HistoryPolicy, opts: { dm?: string, home?: string } = {}): Promise<PlaceInfo> {
    if (name.trim().length === 0 || Buffer.byteLength(name) > 128) throw new SecushareError('INVALID_ARGUMENT', 'a place name has 1 to 128 bytes')
    const self = this.ego(this.d.defaultEgo)
    const { publicKey, secretKey } = this.d.sodium.signKeypair()
    const id = hex(publicKey)
    const place: PlaceRecord = {
      v: 1, id, name: name.trim(), role: 'host', self: self.id, hostEgo: self.id, hostPeer: this.d.net.peerId, history,
      generation: 1, head: 0, contiguous: 0, lastStateful: 0, sinceId: 1, readUpTo: 0, closed: false, left: false,
      dm: opts.dm, home: opts.home, created: Date.now(), secret: await this.d.sealSecret(publicKey, secretKey)
    }
    await this.db.write((tx) => {
      tx.put('places', id, place)
      tx.put('epochs', [id, 1], this.d.sodium.randomBytes(32))
      tx.emit({ type: 'place:created', place: id })
    })
    this.subscribe(place)
    await this.postAs(id, self, '_notice_set', { state: [{ op: '=', name: '_name', value: new TextEncoder().encode(place.name) }] })
    return this.info(this.find(id))
  }

  private async placeSecret (p: PlaceRecord): Promise<Uint8Array> {
    if (p.secret === undefined) throw new SecushareError('NOT_HOST', 'only the host can do that')
    return await this.d.openSecret(Buffer.from(p.id, 'hex'), p.secret)
  }

  /** Sequences and publishes a message authored by one of my egos in a place I host. */
  private async hostPost (p: PlaceRecord, m: PlaceMessage): Promise<number> {
    const r = await sequence(this.d.sodium, this.db, await this.placeSecret(p), p.id, m)
    if (!r.duplicate) {
      await this.publish(r.place, r.envelope)
      for (const l of this.hostedListeners) { try { l(r.place, r.id, r.envelope) } catch { /* a listener's failure is its own */ } }
    }
    return r.id
  }

  /** Listens to the messages this node sequences as a host; returns the unsubscribe function. */
  onHosted (l: HostedListener): () => void {
    this.hostedListeners.add(l)
    return () => { this.hostedListeners.delete(l) }
  }

  /** Listens to places I join (the relay client tells the host which relays I use); returns the unsubscribe function. */
  onJoined (l: (hostPeer: string) => void): () => void {
    this.joinedListeners.add(l)
    return () => { this.joinedListeners.delete(l) }
  }

  /** Everyone the host listed for a place (invited or member), for the relay client. */
  memberList (placeId: string): MemberRecord[] { return this.members(placeId) }

  /** The places I am a member (not the host) of and have not left: where the relay client announces and fetches. */
  guestPlaces (): Array<{ id: string, self: string, hostEgo: string, hostPeer: string, hostAddrs: string[] }> {
    return this.all().filter((p) => p.role === 'guest' && !p.left).map((p) => ({ id: p.id, self: p.self, hostEgo: p.hostEgo, hostPeer: p.hostPeer, hostAddrs: this.hostAddrs(p) }))
  }

  /** The places I host and have not closed: whose members' posts the relay client fetches for me. */
  hostedPlaces (): PlaceRecord[] { return this.all().filter((p) => p.role === 'host' && !p.closed) }

  /** The egos a peer is a current member with in places I host (hex, deduplicated). */
  memberEgosOf (peer: string): string[] {
    const out = new Set<string>()
    for (const p of this.all()) {
      if (p.role !== 'host' || p.closed) continue
      for (const m of this.members(p.id)) if (m.peerId === peer && m.status === 'member') out.add(m.ego)
    }
    return [...out]
  }

  private catchUpFallback: (() => Promise<number>) | undefined

  /**
   * What a catch-up asks when neither the host nor any connected member answered: the relay
   * client's fetch (what the host deposited for me on my relays). Returns the envelopes stored.
   */
  setCatchUpFallback (f: (() => Promise<number>) | undefined): void { this.catchUpFallback = f }

  /** Notes that members got a message I host live (they were connected when it was published). */
  async noteLive (placeId: string, id: number, egos: string[]): Promise<void> {
    if (egos.length > 0) await this.db.write((tx) => { noteDelivery(tx, placeId, id, { live: egos }) })
  }

  /**
   * Sends a message I sequenced to the members: directly to each connected member node in a place
   * of up to `directDelivery` members besides me (core/places/push.ts), else on gossipsub.
   */
  private async publish (p: PlaceRecord, envelope: Uint8Array): Promise<void> {
    const limit = this.d.directDelivery ?? DIRECT_DELIVERY_MEMBERS
    // member nodes, read only as far as needed to know the place is too large (it may have millions)
    const peers = new Set<string>()
    for (const { value: m } of this.db.entries<MemberRecord>('members', { start: [p.id, ''], end: [p.id, '\uffff'] })) {
      if (m.status === 'member' && m.peerId !== '' && m.peerId !== this.d.net.peerId) peers.add(m.peerId)
      if (peers.size > limit) break
    }
    if (peers.size <= limit) {
      const frame = encodeWire('_notice_place_push', { _place: Buffer.from(p.id, 'hex'), _envelope: envelope })
      for (const peer of peers) this.pusher.send(peer, frame)
      return
    }
    const key = this.db.get<Uint8Array>('epochs', [p.id, p.generation])
    if (key !== undefined) await this.d.net.publish(topicFor(this.d.sodium, key), envelope).catch(() => {})
  }

  private sign (placeId: string, self: Ego, method: string, extra: Partial<PlaceMessage>): PlaceMessage {
    return signPlaceMessage(this.d.sodium, Buffer.from(placeId, 'hex'), {
      method, author: self.publicKey, talkId: this.d.sodium.randomBytes(16), time: Date.now(), ...extra
    }, self.secretKey)
  }

  private async postAs (placeId: string, self: Ego, method: string, extra: Partial<PlaceMessage>): Promise<number> {
    return await this.hostPost(this.find(placeId), this.sign(placeId, self, method, extra))
  }

  async invite (ref: string, petname: string): Promise<{ place: string, petname: string }> {
    const p = this.find(ref)
    if (p.role !== 'host') throw new SecushareError('NOT_HOST', 'only the host invites')
    const c = this.d.contacts.byPetname(petname)
    await this.inviteEgo(p, c)
    return { place: p.id, petname }
  }

  /** Invites a contact, or someone whose entry request I admitted, to a place I host. */
  async inviteEgo (p: PlaceRecord, c: { ego: Uint8Array, peerId: string, addrs: string[] }): Promise<void> {
    const ego = hex(c.ego)
    await this.db.write((tx) => {
      const m = tx.get<MemberRecord>('members', [p.id, ego])
      if (m === undefined) tx.put('members', [p.id, ego], { v: 1, ego, peerId: c.peerId, status: 'invited', sinceId: 0, joined: 0, addrs: c.addrs.slice(0, 8) } satisfies MemberRecord)
      else if (m.status === 'invited' && m.peerId !== c.peerId) tx.put('members', [p.id, ego], { ...m, peerId: c.peerId, addrs: c.addrs.slice(0, 8) })
    })
    const invitation: Invitation = { place: p.id, name: p.name, hostEgo: p.hostEgo, history: p.history, dm: p.dm !== undefined, home: p.home !== undefined }
    await this.ask(c.peerId, c.addrs, '_request_place_invite', { _place: Buffer.from(p.id, 'hex'), _sealed: sealTo(this.d.sodium, c.ego, invitation) })
  }

  /** Admits the member behind `peer` (invited, or already a member coming back) and returns what it may read. */
  private async admit (p: PlaceRecord, peer: string): Promise<{ ego: Uint8Array, admission: Admission }> {
    const member = this.members(p.id).find((m) => m.peerId === peer)
    if (member === undefined) throw new SecushareError('NOT_A_MEMBER', 'not invited to this place')
    const ego = Buffer.from(member.ego, 'hex')
    const addrs = (this.d.contacts.byEgo(member.ego)?.addrs ?? member.addrs ?? []).slice(0, 8)
    let since = member.sinceId
    if (member.status === 'invited') {
      // `none`: a newcomer gets a key generation of its own, so it cannot open the traffic of the
      // members before it (captured off the wire) with the key it is given
      if (p.history === 'none' && p.head > 0 && this.members(p.id).some((m) => m.status === 'member')) await this.rotate(p.id)
      const head = this.find(p.id).head
      since = p.history === 'all' ? 1 : p.history === 'recent' ? Math.max(1, head + 1 - RECENT_HISTORY_MESSAGES) : head + 1
      await this.db.write((tx) => { tx.put('members', [p.id, member.ego], { ...member, status: 'member', sinceId: since, joined: Date.now() }) })
      await this.postAs(p.id, this.ego(p.self), '_notice_place_enter', {
        vars: [{ name: '_nym_member', value: ego }, { name: '_peer_member', value: new TextEncoder().encode(peer) }, { name: '_id_since', value: new TextEncoder().encode(String(since)) },
          { name: '_addrs_member', value: new TextEncoder().encode(addrs.join('\n')) }]
      })
    }
    const fresh = this.find(p.id)
    const firstGen = since <= 1 ? 1 : (this.db.get<MessageRecord>('messages', [p.id, since])?.generation ?? fresh.generation)
    const keys: EpochKey[] = []
    for (let g = firstGen; g <= fresh.generation; g++) {
      const key = this.db.get<Uint8Array>('epochs', [p.id, g])
      if (key !== undefined) keys.push({ generation: g, key })
    }
    const state = [...this.db.entries<Uint8Array>('pstate', { start: [p.id, ''], end: [p.id, '\uffff'] })].map((e): [string, Uint8Array] => [String((e.key as [string, string])[1]), e.value])
    const members = this.members(p.id).filter((m) => m.status === 'member')
    return { ego, admission: { place: p.id, name: fresh.name, hostEgo: fresh.hostEgo, history: fresh.history, generation: fresh.generation, sinceId: since, keys, state, lastStateful: fresh.lastStateful, members, dm: fresh.dm !== undefined } }
  }

  /** Removes a member and starts a new key generation that the removed member never gets. */
  async remove (ref: string, petname: string): Promise<{ place: string, petname: string, generation: number }> {
    const p = this.find(ref)
    if (p.role !== 'host') throw new SecushareError('NOT_HOST', 'only the host removes members')
    const ego = hex(this.d.contacts.byPetname(petname).ego)
    if (this.db.get('members', [p.id, ego]) === undefined) throw new SecushareError('NOT_A_MEMBER', `${petname} is not a member of ${p.name}`)
    return { place: p.id, petname, generation: await this.removeEgo(p.id, ego) }
  }

  /** Removes a member (by ego hex) from a place I host; returns the new key generation. */
  async removeEgo (placeId: string, ego: string): Promise<number> {
    const p = this.find(placeId)
    await this.postAs(p.id, this.ego(p.self), '_notice_place_leave', { vars: [{ name: '_nym_member', value: Buffer.from(ego, 'hex') }] })
    // before the new generation exists: from now on the removed member is refused keys, talk, replay
    await this.db.write((tx) => { tx.remove('members', [p.id, ego]) })
    return await this.rotate(p.id)
  }

  /**
   * A new generation: a fresh epoch key, stored first, then announced by `_notice_place_key` sealed
   * under the OLD generation (so every member still holding it learns of the new one and asks for
   * its key), and only then made current. Members get the key on request (`_request_place_keys`,
   * current members only); a removed member never does.
   */
  private async rotate (placeId: string): Promise<number> {
    const next = this.find(placeId).generation + 1
    await this.db.write((tx) => { tx.put('epochs', [placeId, next], this.d.sodium.randomBytes(32)) })
    await this.postAs(placeId, this.ego(this.find(placeId).self), '_notice_place_key', { vars: [{ name: '_generation', value: new TextEncoder().encode(String(next)) }] })
    await this.db.write((tx) => { tx.put('places', placeId, { ...tx.get<PlaceRecord>('places', placeId)!, generation: next, rotated: Date.now() }) })
    this.subscribe(this.find(placeId))
    return next
  }

  private rotating = false
  /** Gives every open place I host whose key generation is older than keyRotationMs a new one. */
  private async rotateDue (): Promise<void> {
    if (this.rotating || this.stopped) return
    this.rotating = true
    try {
      const due = Date.now() - (this.d.keyRotationMs ?? DEFAULT_KEY_ROTATION_MS)
      for (const p of this.all()) {
        if (this.stopped) return
        if (p.role !== 'host' || p.closed || (p.rotated ?? p.created) > due) continue
        if (!this.members(p.id).some((m) => m.status === 'member')) continue // nobody else holds the key
        await this.rotate(p.id).catch(() => {})
      }
    } finally {
      this.rotating = false
    }
  }

  async close (ref: string): Promise<PlaceInfo> {
    const p = this.find(ref)
    if (p.role !== 'host') throw new SecushareError('NOT_HOST', 'only the host closes a place')
    await this.postAs(p.id, this.ego(p.self), '_notice_place_closing', {})
    await this.db.write((tx) => { tx.put('places', p.id, { ...this.find(p.id), closed: true }) })
    return this.info(this.find(p.id))
  }

  async setState (ref: string, name: string, value: string): Promise<{ id: number }> {
    return await this.setStateOps(ref, [{ op: '=', name, value: new TextEncoder().encode(value) }])
  }

  /** Changes the state of a place I host with one `_notice_set` (all operations or none). */
  async setStateOps (ref: string, ops: StateOp[]): Promise<{ id: number }> {
    const p = this.find(ref)
    if (p.role !== 'host') throw new SecushareError('NOT_HOST', 'only the host changes the place state')
    return { id: await this.postAs(p.id, this.ego(p.self), '_notice_set', { state: ops }) }
  }

  // ---- guest ----

  invitations (): Array<InvitationRecord & { from: string | null }> {
    return [...this.db.entries<InvitationRecord>('invitations')].map((e) => ({ ...e.value, from: this.d.contacts.byEgo(e.value.hostEgo)?.petname ?? null }))
  }

  async join (ref: string): Promise<PlaceInfo> {
    const inv = this.db.get<InvitationRecord>('invitations', ref) ?? this.invitations().find((i) => i.name === ref)
    if (inv === undefined) throw new SecushareError('PLACE_NOT_FOUND', `no invitation to ${JSON.stringify(ref)}`)
    const answer = await this.ask(inv.hostPeer, inv.hostAddrs, '_request_place_enter', { _place: Buffer.from(inv.place, 'hex') })
    const self = this.ego(this.d.defaultEgo)
    const adm = openSealed<Admission>(this.d.sodium, self, wireBytes(answer, '_sealed'))
    if (adm.place !== inv.place || adm.hostEgo !== inv.hostEgo) throw new SecushareError('PLACE_WIRE_INVALID', 'the admission is for another place')
    await this.db.write((tx) => {
      const old = tx.get<PlaceRecord>('places', inv.place)
      const place: PlaceRecord = {
        v: 1, id: inv.place, name: adm.name, role: 'guest', self: self.id, hostEgo: adm.hostEgo, hostPeer: inv.hostPeer, history: adm.history,
        generation: adm.generation, head: old?.head ?? adm.sinceId - 1, contiguous: old?.contiguous ?? adm.sinceId - 1,
        lastStateful: old?.lastStateful ?? adm.lastStateful, sinceId: adm.sinceId, readUpTo: old?.readUpTo ?? 0, closed: false, left: false,
        dm: inv.dm ? inv.hostEgo : undefined, home: inv.home === true ? inv.hostEgo : undefined, created: Date.now(), hostAddrs: inv.hostAddrs
      }
      tx.put('places', inv.place, place)
      for (const k of adm.keys) tx.put('epochs', [inv.place, k.generation], k.key)
      if (old === undefined) for (const [name, value] of adm.state) tx.put('pstate', [inv.place, name], value)
      for (const m of adm.members) tx.put('members', [inv.place, m.ego], m)
      tx.remove('invitations', inv.place)
      tx.remove('requests', inv.place)
      tx.emit({ type: 'place:joined', place: inv.place })
    })
    for (const l of this.joinedListeners) { try { l(inv.hostPeer) } catch { /* a listener's failure is its own */ } }
    this.subscribe(this.find(inv.place))
    this.meetMembers(this.find(inv.place))
    await this.catchUp(inv.place)
    return this.info(this.find(inv.place))
  }

  async leave (ref: string): Promise<PlaceInfo> {
    const p = this.find(ref)
    if (p.role === 'host') throw new SecushareError('INVALID_ARGUMENT', 'the host closes a place instead of leaving it')
    await this.db.write((tx) => { tx.put('places', p.id, { ...p, left: true }) })
    this.subscriptions.get(p.id)?.unsub()
    this.subscriptions.delete(p.id)
    return this.info(this.find(p.id))
  }

  /** Fetches keys of generations newer than mine from the host, then subscribes to the newest. */
  private async refreshKeys (placeId: string): Promise<void> {
    if (this.stopped) return
    const p = this.find(placeId)
    if (p.role === 'host' || p.left) return
    const last = this.keyRequests.get(placeId) ?? 0
    const wait = last + KEY_REQUEST_INTERVAL_MS - Date.now()
    if (wait > 0) {
      // at most one key request per place per interval, but never lose one: a member that misses
      // a generation would stay on the old gossip topic
      if (!this.keyRetries.has(placeId)) {
        const t = setTimeout(() => { this.keyRetries.delete(placeId); void this.refreshKeys(placeId).catch(() => {}) }, wait)
        t.unref()
        this.keyRetries.set(placeId, t)
      }
      return
    }
    this.keyRequests.set(placeId, Date.now())
    let answer: WireMessage
    try {
      answer = await this.ask(p.hostPeer, this.hostAddrs(p), '_request_place_keys', { _place: Buffer.from(p.id, 'hex'), _generation: p.generation })
    } catch (e) {
      if ((e as SecushareError)?.code === 'NOT_A_MEMBER') { await this.removedByHost(p.id); return }
      throw e
    }
    const keys = openSealed<EpochKey[]>(this.d.sodium, this.ego(p.self), wireBytes(answer, '_sealed'))
    const newest = Math.max(p.generation, ...keys.map((k) => k.generation))
    await this.db.write((tx) => {
      for (const k of keys) tx.put('epochs', [p.id, k.generation], k.key)
      tx.put('places', p.id, { ...tx.get<PlaceRecord>('places', p.id)!, generation: newest })
    })
    this.subscribe(this.find(p.id))
    await this.catchUp(p.id)
  }

  // ---- posting and reading ----

  async post (ref: string, text: string, opts: { replyTo?: number, method?: string } = {}): Promise<PostResult> {
    const p = this.find(ref)
    if (p.closed) throw new SecushareError('PLACE_CLOSED', 'the place is closed')
    if (p.left) throw new SecushareError('NOT_A_MEMBER', 'you left this place')
    const method = opts.method ?? '_converse'
    if (!guestMayPost(method)) throw new SecushareError('INVALID_ARGUMENT', `cannot post ${method}`)
    let thread: number | undefined
    if (opts.replyTo !== undefined) {
      const parent = this.db.get<MessageRecord>('messages', [p.id, opts.replyTo])
      if (parent === undefined) throw new SecushareError('NOT_FOUND', `no message ${opts.replyTo} in ${p.name}`)
      thread = parent.thread ?? parent.id
    }
    const m = this.sign(p.id, this.ego(p.self), method, { text, replyTo: opts.replyTo, thread })
    if (p.role === 'host') return { id: await this.hostPost(p, m), pending: false }
    const talk = hex(m.talkId)
    const message = encodePlaceMessage(m)
    // The outbox entry and the request go out together: the answer "posted as N" needs only the
    // host's durable copy, the answer "pending" needs the outbox entry to be durable first.
    const saved = this.db.write((tx) => { tx.put('pending', [p.id, talk], { v: 1, message, created: Date.now(), attempts: 0 } satisfies PendingPost) })
    try {
      const id = await this.talk(p, talk, message)
      await saved
      return { id, pending: false }
    } catch (e) {
      await saved
      if (unreachable(e)) return { id: null, pending: true, delivery: await this.relayPending(p, talk, message) }
      await this.db.write((tx) => { tx.remove('pending', [p.id, talk]) }) // refused: it would be refused again
      throw e
    }
  }

  /** Sends one post to the host; on success it leaves the outbox. */
  private async talk (p: PlaceRecord, talk: string, message?: Uint8Array): Promise<number> {
    const packet = message ?? this.db.get<PendingPost>('pending', [p.id, talk])?.message
    if (packet === undefined) throw new SecushareError('NOT_FOUND', 'no such pending post')
    const answer = await this.ask(p.hostPeer, this.hostAddrs(p), '_request_place_talk', { _place: Buffer.from(p.id, 'hex'), _packet: packet })
    const id = wireNumber(answer, '_id')
    // not awaited: should the removal be lost, the retry is answered with the same id (talk id)
    void this.db.write((tx) => { tx.remove('pending', [p.id, talk]) }).catch(() => {})
    this.catchUpSoon(p.id, id) // the post comes back by gossip; if it does not, by replay
    return id
  }

  private talkRelay: TalkRelay | undefined
  /** Talk ids of pending posts being deposited on the host's relays right now. */
  private readonly relaying = new Set<string>()

  /** How pending posts reach an offline host through its relays (the relay client); undefined: they wait. */
  setTalkRelay (f: TalkRelay | undefined): void { this.talkRelay = f }

  /**
   * Deposits a pending post for the host on the host's relays, once: the relays that took it are
   * kept with the pending post (`relayed`). The post stays pending (and is still sent to the host
   * when it is back: the host answers a post it already sequenced with the same id).
   */
  private async relayPending (p: PlaceRecord, talk: string, message: Uint8Array): Promise<Delivery> {
    const names = (peers: string[]): Delivery => ({ state: 'relayed', relays: peers.map((peer) => this.d.contacts.byPeer(peer)?.petname ?? peer).sort() })
    const cur = this.db.get<PendingPost>('pending', [p.id, talk])
    if (cur?.relayed !== undefined && cur.relayed.length > 0) return names(cur.relayed)
    // one deposit at a time per post: the periodic flush may come by while post() still deposits
    if (this.talkRelay === undefined || cur === undefined || this.relaying.has(talk)) return { state: 'local' }
    this.relaying.add(talk)
    let held: string[]
    try { held = await this.talkRelay(p, message) } catch { held = [] } finally { this.relaying.delete(talk) }
    const tried = Date.now()
    await this.db.write((tx) => {
      const now = tx.get<PendingPost>('pending', [p.id, talk])
      if (now !== undefined) tx.put('pending', [p.id, talk], { ...now, relayed: held, relayTried: tried } satisfies PendingPost)
    })
    return held.length === 0 ? { state: 'local' } : names(held)
  }

  /**
   * Host: a guest's post that waited on one of my relays (the relay client fetched and opened it;
   * `sender` is the ego whose pair secret sealed it). Checked and sequenced exactly like a post
   * over `_request_place_talk` — a member's, signed by its author — except that the sender stands
   * in for the peer: it must be the author. A post sequenced before (its talk id) keeps its id.
   */
  async receiveRelayedTalk (placeId: string, packet: Uint8Array, sender: string): Promise<number> {
    const p = this.hosted(placeId)
    const m = decodePlaceMessage(packet)
    if (hex(m.author) !== sender) throw new SecushareError('PLACE_REFUSED', 'a relayed post must come from its author')
    const member = this.db.get<MemberRecord>('members', [p.id, sender])
    if (member?.status !== 'member') throw new SecushareError('NOT_A_MEMBER', 'not a member of this place')
    return await this.hostPost(p, m)
  }

  private flushing = false
  async flushPending (): Promise<void> {
    if (this.flushing || this.stopped) return
    this.flushing = true
    try {
      for (const { key, value } of [...this.db.entries<PendingPost>('pending')]) {
        const [placeId, talk] = key as [string, string]
        const p = this.db.get<PlaceRecord>('places', placeId)
        if (p === undefined) continue
        if (!this.d.net.isConnected(p.hostPeer)) {
          // the host is away: leave it on the host's relays if that has not been done yet
          if ((value.relayed?.length ?? 0) === 0 && Date.now() - (value.relayTried ?? 0) >= PENDING_RELAY_RETRY_MS) await this.relayPending(p, talk, value.message)
          continue
        }
        try { await this.talk(p, talk) } catch (e) {
          if (!unreachable(e)) {
            await this.db.write((tx) => { tx.remove('pending', [placeId, talk]) }) // refused for good: never retried
          }
        }
      }
    } finally {
      this.flushing = false
    }
  }

  /**
   * Catches up unless message `id` arrives within GAP_WAIT_MS: messages sequenced at the same
   * time may arrive out of order, and a gap usually closes by itself a moment later.
   */
  private catchUpSoon (placeId: string, id: number): void {
    const t = setTimeout(() => {
      if (this.stopped || this.db.get('messages', [placeId, id]) !== undefined) return
      void this.catchUp(placeId).catch(() => {})
    }, GAP_WAIT_MS)
    t.unref()
  }

  /** The host refused me as a non-member: the place is left, as a `_notice_place_leave` naming me leaves it. */
  private async removedByHost (placeId: string): Promise<void> {
    await this.db.write((tx) => {
      const p = tx.get<PlaceRecord>('places', placeId)
      if (p !== undefined && p.role === 'guest' && !p.left) tx.put('places', p.id, { ...p, left: true })
    })
  }

  private readonly catchingUp = new Map<string, { run: Promise<number>, again: boolean }>()

  /**
   * Asks the host (or any connected member) for what I miss, and stores it. One catch-up per place
   * at a time: asked again while one runs, it runs once more after it (what the first one asked
   * for may be older than what made the second ask).
   */
  async catchUp (placeId: string): Promise<number> {
    const running = this.catchingUp.get(placeId)
    if (running !== undefined) {
      running.again = true
      return await running.run
    }
    const entry = { run: Promise.resolve(0), again: false }
    entry.run = (async () => {
      let added = 0
      try {
        do {
          entry.again = false
          added += await this.catchUpOnce(placeId)
        } while (entry.again && !this.stopped)
      } finally {
        this.catchingUp.delete(placeId)
      }
      return added
    })()
    this.catchingUp.set(placeId, entry)
    return await entry.run
  }

  private async catchUpOnce (placeId: string): Promise<number> {
    const p = this.find(placeId)
    if (p.role === 'host' || p.left) return 0
    const sources = [p.hostPeer, ...this.members(p.id)
      .map((m) => m.peerId).filter((peer) => peer !== this.d.net.peerId && peer !== p.hostPeer && this.d.net.isConnected(peer))]
    let added = 0
    for (const peer of sources) {
      const addrs = peer === p.hostPeer ? this.hostAddrs(p) : this.members(p.id).find((m) => m.peerId === peer)?.addrs ?? []
      // one gap at a time, and only the gap: what gossip already brought past it is not sent again
      let from = this.find(placeId).contiguous + 1
      let to = this.gapEnd(p.id, from)
      // the next batch is asked for while this one is checked and stored
      let next: Promise<Uint8Array[]> | undefined = this.replayFrom(peer, addrs, p.id, from, to)
      try {
        while (next !== undefined) {
          const got = await next
          next = undefined
          const more = got.length === MAX_REPLAY_BATCH && (to === 0 || from + got.length <= to)
          if (more) {
            next = this.replayFrom(peer, addrs, p.id, from + got.length, to)
            next.catch(() => {}) // awaited in the next round, unless this one ends the loop
          }
          const fresh = await this.receiveMany(p.id, got)
          added += fresh
          if (fresh === 0) break
          from += got.length
          if (!more && to !== 0) { // that gap is closed: the next one, if any
            const now = this.find(placeId)
            if (now.contiguous >= now.head) break
            from = now.contiguous + 1
            to = this.gapEnd(p.id, from)
            next = this.replayFrom(peer, addrs, p.id, from, to)
          }
        }
        return added
      } catch (e) {
        // the host itself says I am not a member (removed while I missed its notice): stop asking,
        // as the notice would have made me (asking on would be refused, and penalised)
        if (peer === p.hostPeer && (e as SecushareError)?.code === 'NOT_A_MEMBER') { await this.removedByHost(p.id); return added }
        /* try the next source */
      }
    }
    // nobody answered: what the host deposited for me waits on my relays (docs/relays.md)
    if (this.catchUpFallback !== undefined && !this.stopped) added += await this.catchUpFallback().catch(() => 0)
    return added
  }

  /** The last id of the gap that starts at `from`: one before the next message I hold, or 0 (none: up to the end). */
  private gapEnd (placeId: string, from: number): number {
    for (const e of this.db.entries<MessageRecord>('messages', { start: [placeId, from], end: [placeId, Number.MAX_SAFE_INTEGER], limit: 1 })) return e.value.id - 1
    return 0
  }

  private async replayFrom (peer: string, addrs: string[], placeId: string, from: number, to: number): Promise<Uint8Array[]> {
    const s = await this.d.net.openStream(peer, addrs, PLACE_PROTOCOL)
    try {
      await s.write(encodeWire('_request_place_replay', { _place: Buffer.from(placeId, 'hex'), _from: from, _to: to }))
      const out: Uint8Array[] = []
      for (;;) {
        const m = decodeWire(await s.read(MAX_FRAME_BYTES, WIRE_TIMEOUT_MS, 'MAX_FRAME_BYTES'))
        throwIfFailure(m, knownCode)
        if (m.method === '_notice_place_replay_end') return out
        if (m.method !== '_notice_place_replay' || out.length >= MAX_REPLAY_BATCH) throw new SecushareError('PLACE_WIRE_INVALID', 'unexpected replay answer')
        out.push(wireBytes(m, '_envelope'))
      }
    } finally {
      s.abort('done')
    }
  }

  list (): PlaceInfo[] {
    return this.all().filter((p) => !p.left && p.home === undefined).map((p) => this.info(p)).sort((a, b) => a.name.localeCompare(b.name))
  }

  info (p: PlaceRecord): PlaceInfo {
    const members = this.members(p.id).filter((m) => m.status === 'member').length
    return { place: p.id, name: p.name, host: p.role === 'host', hostEgo: p.hostEgo, members: members + 1, lastId: p.head, unread: Math.max(0, p.head - Math.max(p.readUpTo, p.sinceId - 1)), generation: p.generation, history: p.history, closed: p.closed, dm: p.dm ?? null, home: p.home ?? null }
  }

  /** A page of a place's messages; marks it read (readUpTo) unless `markRead` is false. */
  async feed (ref: string, opts: { since?: number, limit?: number, markRead?: boolean } = {}): Promise<FeedItem[]> {
    const p = this.find(ref)
    const limit = Math.min(opts.limit ?? 50, 1000)
    const start = Math.max(opts.since === undefined ? 1 : opts.since + 1, p.sinceId)
    const all = [...this.db.entries<MessageRecord>('messages', { start: [p.id, start], end: [p.id, Number.MAX_SAFE_INTEGER] })].map((e) => e.value)
    const page = opts.since === undefined ? all.slice(-limit) : all.slice(0, limit)
    if (opts.markRead !== false && page.length > 0 && page[page.length - 1]!.id > p.readUpTo) {
      await this.db.write((tx) => { const cur = tx.get<PlaceRecord>('places', p.id)!; tx.put('places', p.id, { ...cur, readUpTo: Math.max(cur.readUpTo, page[page.length - 1]!.id) }) })
    }
    const self = new Set(this.d.egos.keys())
    const members = this.members(p.id)
    const relayName = (peer: string): string => this.d.contacts.byPeer(peer)?.petname ?? peer
    return page.map((m) => ({
      id: m.id, author: m.author, authorPetname: self.has(m.author) ? 'me' : this.d.contacts.byEgo(m.author)?.petname ?? null,
      method: m.method, text: m.text, replyTo: m.replyTo, thread: m.thread, time: m.time,
      ...(self.has(m.author) ? { delivery: deliveryOf(this.db, p, m.id, members, relayName) } : {})
    }))
  }

  // ---- 1:1 conversations: a two-member place hosted by whoever wrote first ----

  private dmPlace (petname: string): PlaceRecord | undefined {
    const ego = hex(this.d.contacts.byPetname(petname).ego)
    return this.all().find((p) => p.dm === ego && !p.left)
  }

  async dm (petname: string, text: string): Promise<PostResult & { place: string }> {
    let p = this.dmPlace(petname)
    if (p === undefined) {
      const c = this.d.contacts.byPetname(petname)
      const info = await this.create(`dm ${petname}`, 'all', { dm: hex(c.ego) })
      p = this.find(info.place)
      await this.inviteEgo(p, c)
    }
    return { ...await this.post(p.id, text), place: p.id }
  }

  async dmFeed (petname: string, opts: { since?: number, limit?: number, markRead?: boolean } = {}): Promise<FeedItem[]> {
    const p = this.dmPlace(petname)
    return p === undefined ? [] : await this.feed(p.id, opts)
  }

  state (ref: string): Record<string, unknown> {
    const p = this.find(ref)
    const m = new Map<string, Uint8Array>()
    for (const e of this.db.entries<Uint8Array>('pstate', { start: [p.id, ''], end: [p.id, '\uffff'] })) m.set(String((e.key as [string, string])[1]), e.value)
    return stateToJson(m)
  }

  pendingCount (ref: string): number {
    const p = this.find(ref)
    return [...this.db.entries('pending', { start: [p.id, ''], end: [p.id, '\uffff'] })].length
  }

  // ---- the wire ----

  private async ask (peer: string, addrs: string[], method: string, fields: Record<string, WireValue>): Promise<WireMessage> {
    const answer = await requestFrame(this.d.net, peer, addrs, PLACE_PROTOCOL, encodeWire(method, fields), { maxBytes: MAX_FRAME_BYTES, timeoutMs: WIRE_TIMEOUT_MS, limit: 'MAX_FRAME_BYTES' })
    const m = decodeWire(answer)
    throwIfFailure(m, knownCode)
    return m
  }

  private async answer (s: FrameStream): Promise<void> {
    const peer = s.remotePeer
    let frame: Uint8Array
    try {
      frame = await s.read(MAX_FRAME_BYTES, WIRE_TIMEOUT_MS, 'MAX_FRAME_BYTES')
    } catch {
      return // an oversized or badly framed request is penalised by the node
    }
    let req: WireMessage
    try {
      req = decodeWire(frame)
    } catch {
      this.drops.add('malformed')
      this.d.net.penalise(peer, 'malformed')
      return
    }
    try {
      const placeId = hex(wireBytes(req, '_place', 32))
      switch (req.method) {
        case '_request_place_invite': return await this.onInvite(s, peer, placeId, req)
        case '_request_place_enter': {
          const p = this.hosted(placeId)
          const { ego, admission } = await this.admit(p, peer)
          await s.write(encodeWire('_notice_place_enter', { _sealed: sealTo(this.d.sodium, ego, admission) }))
          return
        }
        case '_request_place_entry':
          await this.entries.onRequest(peer, placeId, req)
          await s.write(encodeWire('_notice_place_entry'))
          return
        case '_request_place_refused':
          await this.entries.onRefused(peer, placeId)
          await s.write(encodeWire('_notice_place_refused'))
          return
        case '_request_place_talk': {
          const p = this.hosted(placeId)
          const m = decodePlaceMessage(wireBytes(req, '_packet'))
          const member = this.db.get<MemberRecord>('members', [p.id, hex(m.author)])
          if (member?.status !== 'member' || member.peerId !== peer) throw new SecushareError('NOT_A_MEMBER', 'not a member of this place')
          const id = await this.hostPost(p, m)
          await s.write(encodeWire('_notice_place_talk', { _id: id }))
          return
        }
        case '_request_place_keys': {
          const p = this.hosted(placeId)
          const member = this.members(p.id).find((m) => m.peerId === peer && m.status === 'member')
          if (member === undefined) throw new SecushareError('NOT_A_MEMBER', 'not a member of this place')
          const from = wireNumber(req, '_generation')
          const keys: EpochKey[] = [...this.db.entries<Uint8Array>('epochs', { start: [p.id, Math.max(1, from)], end: [p.id, Number.MAX_SAFE_INTEGER] })]
            .map((e) => ({ generation: Number((e.key as [string, number])[1]), key: e.value }))
          await s.write(encodeWire('_notice_place_keys', { _sealed: sealTo(this.d.sodium, Buffer.from(member.ego, 'hex'), keys) }))
          return
        }
        // no :_to (older nodes always send one): up to the head
        case '_request_place_replay': return await this.onReplay(s, peer, placeId, wireNumber(req, '_from'), req.fields.has('_to') ? wireNumber(req, '_to') : 0)
        case '_notice_place_push': return await this.onPush(s, peer, req)
        default: throw new SecushareError('PLACE_WIRE_INVALID', `unknown request ${req.method}`)
      }
    } catch (e) {
      const code = e instanceof SecushareError ? e.code : 'INTERNAL'
      const text = e instanceof SecushareError ? e.message : 'internal error'
      await s.write(encodeWire('_failure_place', { _code: code, _text: text })).catch(() => {})
      // after the answer: the offence that bans the peer hangs up on it
      const offence = offenceOf(e)
      if (offence !== undefined) {
        this.refused[code] = (this.refused[code] ?? 0) + 1
        this.d.net.penalise(peer, offence)
      }
    }
  }

  /**
   * A host's push stream (direct delivery): envelopes of places `peer` hosts, one per frame, until
   * the host closes the stream or it is silent for PUSH_READ_IDLE_MS. They are stored without
   * waiting for each commit, up to MAX_WRITES_PER_COMMIT at a time, in the order they came.
   */
  private async onPush (s: FrameStream, peer: string, first: WireMessage): Promise<void> {
    const storing: Array<Promise<unknown>> = []
    try {
      for (let req = first; ;) {
        if (!this.pushed(peer, req, storing)) return
        if (storing.length >= MAX_WRITES_PER_COMMIT) await Promise.all(storing.splice(0))
        let frame: Uint8Array
        try {
          frame = await s.read(MAX_FRAME_BYTES, PUSH_READ_IDLE_MS, 'MAX_FRAME_BYTES')
        } catch {
          return // closed, silent, or over the limit (the node penalises that)
        }
        try {
          req = decodeWire(frame)
          if (req.method !== '_notice_place_push') throw new SecushareError('PLACE_WIRE_INVALID', 'only pushes follow a push')
        } catch {
          this.drops.add('malformed')
          this.d.net.penalise(peer, 'malformed')
          return
        }
      }
    } finally {
      await Promise.all(storing)
    }
  }

  /** One pushed envelope: checked as gossip checks it, then stored. False: the stream is to end. */
  private pushed (peer: string, req: WireMessage, storing: Array<Promise<unknown>>): boolean {
    let placeId: string
    let envelope: Uint8Array
    try {
      placeId = hex(wireBytes(req, '_place', 32))
      envelope = wireBytes(req, '_envelope')
    } catch {
      this.drops.add('malformed')
      this.d.net.penalise(peer, 'malformed')
      return false
    }
    const p = this.db.get<PlaceRecord>('places', placeId)
    // a place I left or never had: the host may not know yet (nothing to hold against it)
    if (p === undefined || p.left) { this.drops.add('unknown-place'); return true }
    if (p.role !== 'guest' || p.hostPeer !== peer) {
      this.pushes.refused++
      this.drops.add('not-from-host')
      this.d.net.penalise(peer, 'unauthorized')
      return false
    }
    const a = check(this.d.sodium, this.db, p, envelope)
    if (typeof a === 'string') {
      this.drops.add(a)
      if (a === 'no-key') void this.refreshKeys(placeId).catch(() => {})
      // only what no honest host sends is an offence; not, e.g., a message I hold already (replay
      // was faster), of a generation I have no key for yet, or far ahead of a member still catching up
      if (FORGED_PUSH.has(a)) this.d.net.penalise(peer, 'forged')
      return true
    }
    this.pushes.received++
    storing.push(this.commit(placeId, [a]).catch(() => {}))
    return true
  }

  private hosted (placeId: string): PlaceRecord {
    const p = this.db.get<PlaceRecord>('places', placeId)
    if (p === undefined || p.role !== 'host') throw new SecushareError('PLACE_NOT_FOUND', 'no such place here')
    if (p.closed) throw new SecushareError('PLACE_CLOSED', 'the place is closed')
    return p
  }

  private async onInvite (s: FrameStream, peer: string, placeId: string, req: WireMessage): Promise<void> {
    // from a contact (its node, its ego), or the answer to an entry request of mine
    const from = this.d.contacts.byPeer(peer)
    const inv = openSealed<Invitation>(this.d.sodium, this.ego(this.d.defaultEgo), wireBytes(req, '_sealed'))
    const requested = this.entries.requested(peer, placeId, String(inv.hostEgo))
    if (from === undefined && requested === undefined) throw new SecushareError('PLACE_REFUSED', 'invitations are taken from contacts only')
    if (inv.place !== placeId || (requested === undefined && inv.hostEgo !== hex(from!.ego))) throw new SecushareError('PLACE_WIRE_INVALID', 'the invitation does not match its sender')
    const record: InvitationRecord = {
      v: 1, place: placeId, name: String(inv.name).slice(0, 128), hostEgo: inv.hostEgo, hostPeer: peer, hostAddrs: requested?.hostAddrs ?? from!.addrs,
      history: inv.history, dm: inv.dm === true, home: inv.home === true && requested === undefined, received: Date.now()
    }
    await this.db.write((tx) => { tx.put('invitations', placeId, record); tx.emit({ type: 'place:invitation', place: placeId }) })
    await s.write(encodeWire('_notice_place_invite'))
    // conversations, contacts' home places (profiles) and places I asked to enter are joined at once
    if (record.dm || record.home === true || requested !== undefined) void this.join(placeId).catch(() => {})
  }

  /** Envelopes `from`..`to` (0: up to the head), at most MAX_REPLAY_BATCH of them. */
  private async onReplay (s: FrameStream, peer: string, placeId: string, from: number, to: number): Promise<void> {
    const p = this.db.get<PlaceRecord>('places', placeId)
    if (p === undefined) throw new SecushareError('PLACE_NOT_FOUND', 'no such place here')
    const member = this.members(p.id).find((m) => m.peerId === peer && m.status === 'member')
    const isHostPeer = p.hostPeer === peer
    if (member === undefined && !isHostPeer) throw new SecushareError('NOT_A_MEMBER', 'not a member of this place')
    const start = Math.max(from, member?.sinceId ?? 1)
    if (member !== undefined && p.role === 'host' && from > 1 && Math.min(from - 1, p.head) > (this.db.get<number>('delivery_marks', [p.id, member.ego]) ?? 0)) await this.db.write((tx) => { noteMark(tx, p.id, member.ego, Math.min(from - 1, p.head)) })
    let n = 0
    let batch: Uint8Array[] = []
    let bytes = 0
    for (const e of this.db.entries<MessageRecord>('messages', { start: [p.id, start], end: [p.id, to > 0 ? to + 1 : Number.MAX_SAFE_INTEGER] })) {
      if (n++ >= MAX_REPLAY_BATCH) break
      const frame = encodeWire('_notice_place_replay', { _envelope: e.value.envelope })
      if (bytes + frame.byteLength > WRITE_BATCH_BYTES && batch.length > 0) {
        await s.writeMany(batch)
        batch = []
        bytes = 0
      }
      batch.push(frame)
      bytes += frame.byteLength
    }
    batch.push(encodeWire('_notice_place_replay_end'))
    await s.writeMany(batch)
  }
}
