/**
 * Contacts at run time: the book (book.ts), the handshake (handshake.ts), reconnection
 * (redial.ts) and LAN discovery. Strangers found on the LAN are listed in `nearby()`, never
 * trusted or dialled; contacts found there are dialled at once.
 */
import { CONTACT_PROTOCOL } from '../../protocol/contact.js'
import { isSecushareError, limitExceeded, SecushareError } from '../../protocol/errors.js'
import { decodeInvite, encodeInvite, INVITE_SECRET_BYTES } from '../../protocol/invite.js'
import { DEFAULT_INVITE_TTL_S, MAX_HANDSHAKE_STREAMS, MAX_INVITE_TTL_S, MAX_NEARBY_PEERS } from '../../protocol/limits.js'
import { egoIdOf, type Ego } from '../identity/ego.js'
import { fingerprint } from '../identity/fingerprint.js'
import type { NetNode } from '../net/node.js'
import { offenceOf } from '../net/offences.js'
import { ContactBook, validatePetname, type ContactRecord } from './book.js'
import { answerJoiner, inviteIdOf, joinByInvite, type HandshakeDeps } from './handshake.js'
import { Redialer } from './redial.js'

export interface ContactInfo {
  petname: string
  ego: string
  fingerprint: string
  nick: string
  online: boolean
  peerId: string
  lastSeen: number | null
}

export interface NearbyPeer { peerId: string, addrs: string[], lastSeen: number }

/** How long an expired invite is kept to answer "expired" rather than "unknown". */
const EXPIRED_INVITE_GRACE_MS = 24 * 3600_000

export class Contacts {
  readonly book: ContactBook
  private readonly redial: Redialer
  private readonly nearbyPeers = new Map<string, NearbyPeer>()
  private readonly unsubscribe: Array<() => void> = []
  /** Inbound handshakes that failed (junk, bad proofs): counted, never fatal. */
  failedHandshakes = 0

  constructor (private readonly deps: HandshakeDeps, private readonly defaultEgo: string) {
    this.book = new ContactBook(deps.store)
    this.redial = new Redialer(deps.net, { peers: () => this.book.list().map((c) => c.peerId), addrs: (peer) => this.book.byPeer(peer)?.addrs })
  }

  private get net (): NetNode {
    return this.deps.net
  }

  async start (): Promise<void> {
    await this.book.dropExpiredInvites(Date.now(), EXPIRED_INVITE_GRACE_MS)
    await this.net.handle(CONTACT_PROTOCOL, async (stream) => {
      try {
        await answerJoiner(this.deps, stream)
      } catch (e) {
        this.failedHandshakes++
        // junk that does not decode (HANDSHAKE_FAILED from the decoder; bad frames are penalised by the node)
        const offence = offenceOf(e) ?? (isSecushareError(e, 'HANDSHAKE_FAILED') ? 'malformed' : undefined)
        if (offence !== undefined && !isSecushareError(e, 'LIMIT_EXCEEDED') && !isSecushareError(e, 'FRAME_BAD_LENGTH')) this.net.penalise(stream.remotePeer, offence)
        stream.abort('handshake failed')
      }
    }, { maxInboundStreams: MAX_HANDSHAKE_STREAMS })
    this.unsubscribe.push(
      this.net.on('peer:connect', (peerId) => {
        const c = this.book.byPeer(peerId)
        if (c === undefined) return
        this.redial.connected(peerId)
        void this.book.seen(egoIdOf(c.ego), { lastSeen: Date.now() }).catch(() => {})
      }),
      this.net.on('peer:disconnect', (peerId) => {
        const c = this.book.byPeer(peerId)
        if (c === undefined) return
        void this.book.seen(egoIdOf(c.ego), { lastSeen: Date.now() }).catch(() => {})
        this.redial.schedule(peerId)
      }),
      this.net.on('peer:identify', ({ peerId, listenAddrs }) => {
        const c = this.book.byPeer(peerId)
        if (c === undefined || listenAddrs.length === 0 || sameSet(c.addrs, listenAddrs)) return
        void this.book.seen(egoIdOf(c.ego), { addrs: listenAddrs }).catch(() => {})
      }),
      this.net.on('peer:discovery', ({ peerId, addrs, source }) => {
        if (peerId === this.net.peerId) return
        if (this.book.byPeer(peerId) !== undefined) {
          this.redial.schedule(peerId, 0)
          return
        }
        if (source !== 'mdns') return // nearby means on the LAN
        this.nearbyPeers.delete(peerId)
        this.nearbyPeers.set(peerId, { peerId, addrs, lastSeen: Date.now() })
        if (this.nearbyPeers.size > MAX_NEARBY_PEERS) this.nearbyPeers.delete(this.nearbyPeers.keys().next().value!)
      }),
      this.deps.store.on('contact:added', (e) => {
        const c = this.book.byEgo(String(e.ego))
        if (c !== undefined) this.nearbyPeers.delete(c.peerId)
      }),
      this.deps.store.on('contact:removed', (e) => { this.redial.forget(String(e.peerId)) })
    )
    this.redial.start()
  }

  stop (): void {
    this.redial.stop()
    for (const u of this.unsubscribe.splice(0)) u()
  }

  info (c: ContactRecord): ContactInfo {
    return {
      petname: c.petname, ego: egoIdOf(c.ego), fingerprint: fingerprint(this.deps.sodium, c.ego), nick: c.nick,
      online: this.net.isConnected(c.peerId), peerId: c.peerId, lastSeen: c.lastSeen
    }
  }

  list (): ContactInfo[] {
    return this.book.list().map((c) => this.info(c)).sort((a, b) => a.petname.localeCompare(b.petname))
  }

  private ego (id = this.defaultEgo): Ego {
    const e = this.deps.egos.get(id)
    if (e === undefined) throw new SecushareError('EGO_NOT_FOUND', `no identity ${id} on this node`)
    return e
  }

  /** A one-time invite link for `ego` (default: the default identity), valid for `ttlSeconds`. */
  async invite (opts: { ttlSeconds?: number, ego?: string } = {}): Promise<{ link: string, expires: number, ego: string, peerId: string, addrs: string[] }> {
    const ttl = opts.ttlSeconds ?? DEFAULT_INVITE_TTL_S
    if (!Number.isInteger(ttl) || ttl < 1) throw new SecushareError('INVALID_ARGUMENT', `an invite lives 1 to ${MAX_INVITE_TTL_S} seconds`)
    if (ttl > MAX_INVITE_TTL_S) throw limitExceeded('MAX_INVITE_TTL_S', MAX_INVITE_TTL_S, ttl)
    const self = this.ego(opts.ego)
    const secret = this.deps.sodium.randomBytes(INVITE_SECRET_BYTES)
    const now = Date.now()
    const expires = Math.floor(now / 1000) + ttl
    const addrs = this.net.addrs().map((a) => a.replace(/\/p2p\/[^/]+$/, '')).slice(0, 8)
    const link = encodeInvite({ ego: self.publicKey, secret, expires, peerId: this.net.peerId, addrs })
    await this.book.addInvite(Buffer.from(inviteIdOf(this.deps.sodium, secret)).toString('hex'), { v: 1, self: self.id, secret, created: now, expires: expires * 1000 })
    return { link, expires, ego: self.id, peerId: this.net.peerId, addrs }
  }

  /** Accepts someone's invite link: handshake with their node, then both have each other as contacts. */
  async add (link: string, petname: string): Promise<ContactInfo> {
    validatePetname(petname)
    const invite = decodeInvite(link)
    if (invite.expires * 1000 < Date.now()) throw new SecushareError('INVITE_EXPIRED', 'this invite has expired; ask for a new one')
    const egoHex = egoIdOf(invite.ego)
    if (this.deps.egos.has(egoHex)) throw new SecushareError('INVALID_ARGUMENT', 'this is an invite from one of your own identities')
    const known = this.book.byEgo(egoHex)
    if (known !== undefined) throw new SecushareError('CONTACT_EXISTS', `this person is already your contact ${JSON.stringify(known.petname)}`, { petname: known.petname })
    if (this.deps.store.get('petnames', petname) !== undefined) throw new SecushareError('PETNAME_TAKEN', `another contact is already called ${JSON.stringify(petname)}`)
    const c = await joinByInvite(this.deps, this.ego(), invite, petname)
    return this.info(c)
  }

  async rename (petname: string, newPetname: string): Promise<ContactInfo> {
    return this.info(await this.book.rename(petname, newPetname))
  }

  async remove (petname: string): Promise<ContactInfo> {
    const c = await this.book.remove(petname)
    if (this.book.byPeer(c.peerId) === undefined) await this.net.hangUp(c.peerId).catch(() => {})
    return this.info(c)
  }

  nearby (): NearbyPeer[] {
    return [...this.nearbyPeers.values()].filter((p) => this.book.byPeer(p.peerId) === undefined).reverse()
  }
}

function sameSet (a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x))
}
