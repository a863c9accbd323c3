/**
 * Introductions (`/secushare/introduction/1.0.0`, protocol/introduction.ts). A introduces B and C:
 * each gets a signed introduction of the other, with the same id. Whoever accepts asks the other's
 * node directly (its peer id and addresses are in the introduction) for a contact handshake; the
 * other side completes it only if it accepted too, otherwise it notes the wish and answers
 * INTRODUCTION_PENDING — and completes the handshake itself, towards the first, when it accepts.
 *
 * Contract (store/schema.ts): introductions/<id hex> → IntroductionRecord, deleted in the same
 * transaction that stores the new contact, or when ignored.
 */
import { ERROR_CODES, SecushareError } from '../../protocol/errors.js'
import { LABEL } from '../../protocol/labels.js'
import { decodeIntroduction, encodeIntroduction, introducedTranscript, introductionSignedBytes, INTRODUCTION_ID_BYTES, type Introduction } from '../../protocol/introduction.js'
import { MAX_NAMES_WIRE_BYTES, MAX_PENDING_INTRODUCTIONS } from '../../protocol/limits.js'
import { decodeNames, encodeNames, INTRODUCTION_PROTOCOL, namesBytes, namesText, throwIfNamesFailure, type NamesMessage } from '../../protocol/names-wire.js'
import { ContactBook, petnameFromNick, validatePetname, type ContactRecord } from '../contacts/book.js'
import { signLabelled, verifyLabelled } from '../crypto/labels.js'
import type { Sodium } from '../crypto/sodium.js'
import { egoIdOf, validateNick, type Ego } from '../identity/ego.js'
import type { FrameStream } from '../net/framing.js'
import type { NetNode } from '../net/node.js'
import { offenceOf } from '../net/offences.js'
import { requestFrame } from '../net/request.js'
import type { Store } from '../store/lmdb.js'

export const INTRODUCTION_TIMEOUT_MS = 10_000

export interface IntroductionRecord {
  v: 1
  id: string
  /** My ego the introduction is addressed to. */
  self: string
  introducer: string
  subject: Uint8Array
  nick: string
  peerId: string
  addrs: string[]
  received: number
  accepted: boolean
  /** The petname I chose when accepting. */
  petname?: string
  /** The other side accepted before me. */
  peerAccepted: boolean
}

export interface IntroductionDeps { sodium: Sodium, store: Store, net: NetNode, egos: ReadonlyMap<string, Ego>, contacts: ContactBook, defaultEgo: string }

export type AcceptResult = { status: 'contact', petname: string, ego: string } | { status: 'waiting', ego: string }

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const known = (c: string): boolean => c in ERROR_CODES

export class Introductions {
  /** Introductions and introduced handshakes refused, by code. */
  readonly drops = new Map<string, number>()

  constructor (private readonly d: IntroductionDeps) {}

  list (): IntroductionRecord[] {
    return [...this.d.store.entries<IntroductionRecord>('introductions')].map((e) => e.value).sort((a, b) => a.received - b.received)
  }

  get (id: string): IntroductionRecord {
    const r = this.d.store.get<IntroductionRecord>('introductions', id)
    if (r === undefined) throw new SecushareError('INTRODUCTION_NOT_FOUND', `no introduction ${JSON.stringify(id)}`)
    return r
  }

  private ego (id: string): Ego {
    const e = this.d.egos.get(id)
    if (e === undefined) throw new SecushareError('EGO_NOT_FOUND', `no identity ${id} on this node`)
    return e
  }

  private async ask (peer: string, addrs: string[], method: string, fields: Record<string, Uint8Array | string>): Promise<NamesMessage> {
    const answer = await requestFrame(this.d.net, peer, addrs, INTRODUCTION_PROTOCOL, encodeNames(method, fields), { maxBytes: MAX_NAMES_WIRE_BYTES, timeoutMs: INTRODUCTION_TIMEOUT_MS, limit: 'MAX_NAMES_WIRE_BYTES' })
    const m = decodeNames(answer)
    throwIfNamesFailure(m, known)
    return m
  }

  /** Introduces two of my contacts to each other; returns the id and whom it reached. */
  async introduce (petname1: string, petname2: string): Promise<{ id: string, delivered: string[] }> {
    const a = this.d.contacts.byPetname(petname1)
    const b = this.d.contacts.byPetname(petname2)
    if (this.d.sodium.equal(a.ego, b.ego)) throw new SecushareError('INVALID_ARGUMENT', 'introduce two different contacts')
    const id = this.d.sodium.randomBytes(INTRODUCTION_ID_BYTES)
    const delivered: string[] = []
    const errors: SecushareError[] = []
    for (const [to, about] of [[a, b], [b, a]] as const) {
      const self = this.ego(to.self)
      const intro: Introduction = { id, introducer: self.publicKey, recipient: to.ego, subject: about.ego, time: Date.now(), nick: about.nick, peerId: about.peerId, addrs: about.addrs.slice(0, 8) }
      const signed = introductionSignedBytes(intro)
      try {
        await this.ask(to.peerId, to.addrs, '_request_introduction', { _introduction: encodeIntroduction(signed, signLabelled(this.d.sodium, LABEL.INTRODUCTION, signed, self.secretKey)) })
        delivered.push(to.petname)
      } catch (e) {
        errors.push(e instanceof SecushareError ? e : new SecushareError('INTERNAL', String(e)))
      }
    }
    if (delivered.length === 0) throw errors[0]!
    return { id: hex(id), delivered }
  }

  /** Handles one inbound stream of `/secushare/introduction/1.0.0`. */
  async answer (s: FrameStream): Promise<void> {
    let frame: Uint8Array
    try {
      frame = await s.read(MAX_NAMES_WIRE_BYTES, INTRODUCTION_TIMEOUT_MS, 'MAX_NAMES_WIRE_BYTES')
    } catch {
      return // an oversized or badly framed request is penalised by the node
    }
    let req: NamesMessage
    try {
      req = decodeNames(frame)
    } catch {
      this.drops.set('malformed', (this.drops.get('malformed') ?? 0) + 1)
      this.d.net.penalise(s.remotePeer, 'malformed')
      return
    }
    try {
      switch (req.method) {
        case '_request_introduction': await this.onIntroduction(s, req); return
        case '_request_introduction_contact': await this.onContactRequest(s, req); return
        default: throw new SecushareError('NAMES_WIRE_INVALID', `unknown request ${req.method}`)
      }
    } catch (e) {
      const code = e instanceof SecushareError ? e.code : 'INTERNAL'
      this.drops.set(code, (this.drops.get(code) ?? 0) + 1)
      const offence = offenceOf(e)
      if (offence !== undefined) this.d.net.penalise(s.remotePeer, offence)
      await s.write(encodeNames('_failure_names', { _code: code, _text: e instanceof SecushareError ? e.message : 'internal error' })).catch(() => {})
    }
  }

  private async onIntroduction (s: FrameStream, req: NamesMessage): Promise<void> {
    const from = this.d.contacts.byPeer(s.remotePeer)
    if (from === undefined) throw new SecushareError('INTRODUCTION_INVALID', 'introductions are taken from contacts only', { offence: 'unauthorized' })
    const { intro, signed, signature } = decodeIntroduction(namesBytes(req, '_introduction'))
    const self = this.d.egos.get(hex(intro.recipient))
    if (!this.d.sodium.equal(intro.introducer, from.ego) || self === undefined || from.self !== self.id) throw new SecushareError('INTRODUCTION_INVALID', 'the introduction does not come from its sender, or is not for me')
    if (!verifyLabelled(this.d.sodium, LABEL.INTRODUCTION, signature, signed, intro.introducer)) throw new SecushareError('INTRODUCTION_INVALID', 'the introduction signature does not verify')
    if (this.d.egos.has(hex(intro.subject))) throw new SecushareError('INTRODUCTION_INVALID', 'an introduction to myself')
    validateNick(intro.nick)
    const id = hex(intro.id)
    if (this.d.contacts.byEgo(hex(intro.subject)) === undefined) {
      if (this.d.store.count('introductions') >= MAX_PENDING_INTRODUCTIONS) throw new SecushareError('LIMIT_EXCEEDED', 'too many pending introductions', { limit: 'MAX_PENDING_INTRODUCTIONS', max: MAX_PENDING_INTRODUCTIONS })
      await this.d.store.write((tx) => {
        if (tx.get('introductions', id) !== undefined) return
        tx.put('introductions', id, {
          v: 1, id, self: self.id, introducer: hex(intro.introducer), subject: intro.subject, nick: intro.nick, peerId: intro.peerId, addrs: intro.addrs,
          received: Date.now(), accepted: false, peerAccepted: false
        } satisfies IntroductionRecord)
        tx.emit({ type: 'introduction:received', id })
      })
    }
    await s.write(encodeNames('_notice_introduction'))
  }

  /** Accepts an introduction: tries the handshake with the other side (done now, or when it accepts too). */
  async accept (id: string, petname?: string): Promise<AcceptResult> {
    const rec = this.get(id)
    const name = petname ?? rec.petname
    if (name !== undefined) {
      validatePetname(name)
      const owner = this.d.store.get<string>('petnames', name)
      if (owner !== undefined && owner !== hex(rec.subject)) throw new SecushareError('PETNAME_TAKEN', `another contact is already called ${JSON.stringify(name)}`)
    }
    await this.d.store.write((tx) => { tx.put('introductions', id, { ...tx.get<IntroductionRecord>('introductions', id)!, accepted: true, petname: name }) })
    const self = this.ego(rec.self)
    try {
      const req = introducedTranscript('request', { requesterPeer: this.d.net.peerId, responderPeer: rec.peerId, id: Buffer.from(id, 'hex'), requesterEgo: self.publicKey, responderEgo: rec.subject, nick: self.nick })
      const m = await this.ask(rec.peerId, rec.addrs, '_request_introduction_contact', {
        _id: Buffer.from(id, 'hex'), _ego: self.publicKey, _nick: self.nick, _signature: signLabelled(this.d.sodium, LABEL.HANDSHAKE, req, self.secretKey)
      })
      if (m.method !== '_notice_introduction_contact') throw new SecushareError('NAMES_WIRE_INVALID', `unexpected answer ${m.method}`)
      const ego = namesBytes(m, '_ego', 32)
      const nick = validateNick(namesText(m, '_nick'))
      const acc = introducedTranscript('accept', { requesterPeer: this.d.net.peerId, responderPeer: rec.peerId, id: Buffer.from(id, 'hex'), requesterEgo: self.publicKey, responderEgo: rec.subject, nick })
      if (!this.d.sodium.equal(ego, rec.subject) || !verifyLabelled(this.d.sodium, LABEL.HANDSHAKE, namesBytes(m, '_signature', 64), acc, ego)) {
        throw new SecushareError('HANDSHAKE_FAILED', 'the introduced person\'s answer does not prove their key')
      }
      const c = await this.befriend(id, rec.peerId, nick)
      return { status: 'contact', petname: c.petname, ego: egoIdOf(c.ego) }
    } catch (e) {
      if (e instanceof SecushareError && ['INTRODUCTION_PENDING', 'PEER_UNREACHABLE', 'STREAM_TIMEOUT', 'STREAM_CLOSED', 'PROTOCOL_UNSUPPORTED'].includes(e.code)) {
        return { status: 'waiting', ego: hex(rec.subject) }
      }
      throw e
    }
  }

  async ignore (id: string): Promise<IntroductionRecord> {
    const rec = this.get(id)
    await this.d.store.write((tx) => { tx.remove('introductions', id) })
    return rec
  }

  /** Stores the introduced person as a contact and spends the introduction, in one transaction. */
  private async befriend (id: string, peerId: string, nick: string): Promise<ContactRecord> {
    const c = await this.d.store.write((tx) => {
      const rec = tx.get<IntroductionRecord>('introductions', id)
      if (rec === undefined) throw new SecushareError('INTRODUCTION_NOT_FOUND', 'the introduction was used meanwhile')
      tx.remove('introductions', id)
      const petname = rec.petname !== undefined && tx.get('petnames', rec.petname) === undefined ? rec.petname : ContactBook.freePetname(tx, petnameFromNick(nick))
      const now = Date.now()
      return ContactBook.put(tx, { v: 1, ego: rec.subject, self: rec.self, petname, nick, peerId, addrs: rec.addrs, added: now, lastSeen: now })
    })
    return c
  }

  private async onContactRequest (s: FrameStream, req: NamesMessage): Promise<void> {
    const id = hex(namesBytes(req, '_id', INTRODUCTION_ID_BYTES))
    const ego = namesBytes(req, '_ego', 32)
    const nick = validateNick(namesText(req, '_nick'))
    const rec = this.d.store.get<IntroductionRecord>('introductions', id)
    // the same answer for "no such id" and "not the person introduced": a stranger learns nothing
    if (rec === undefined || !this.d.sodium.equal(rec.subject, ego) || rec.peerId !== s.remotePeer) throw new SecushareError('INTRODUCTION_NOT_FOUND', 'no such introduction')
    const self = this.ego(rec.self)
    const t = introducedTranscript('request', { requesterPeer: s.remotePeer, responderPeer: this.d.net.peerId, id: Buffer.from(id, 'hex'), requesterEgo: ego, responderEgo: self.publicKey, nick })
    if (!verifyLabelled(this.d.sodium, LABEL.HANDSHAKE, namesBytes(req, '_signature', 64), t, ego)) throw new SecushareError('HANDSHAKE_FAILED', 'bad signature')
    if (!rec.accepted) {
      await this.d.store.write((tx) => { const cur = tx.get<IntroductionRecord>('introductions', id); if (cur !== undefined) tx.put('introductions', id, { ...cur, peerAccepted: true }) })
      throw new SecushareError('INTRODUCTION_PENDING', 'not accepted yet on this side')
    }
    await this.befriend(id, s.remotePeer, nick)
    const acc = introducedTranscript('accept', { requesterPeer: s.remotePeer, responderPeer: this.d.net.peerId, id: Buffer.from(id, 'hex'), requesterEgo: ego, responderEgo: self.publicKey, nick: self.nick })
    await s.write(encodeNames('_notice_introduction_contact', { _ego: self.publicKey, _nick: self.nick, _signature: signLabelled(this.d.sodium, LABEL.HANDSHAKE, acc, self.secretKey) }))
  }
}
