/**
 * The contact book: contacts, their petnames, and this node's pending invites, in the store.
 *
 * Contract (persisted shapes, store/schema.ts):
 * - contacts/<ego hex> → ContactRecord; petnames/<petname> → ego hex. A petname names exactly one
 *   contact; every change to both is one transaction.
 * - invites/<invite id hex> → InviteRecord. An invite is deleted in the same transaction that
 *   stores the contact it admitted, so it works once.
 * Petnames are what *I* call someone: 1–64 bytes, no dots (dots separate the labels of names such
 * as `carol.bob`), no spaces or control characters.
 */
import { limitExceeded, SecushareError } from '../../protocol/errors.js'
import { MAX_PETNAME_BYTES } from '../../protocol/limits.js'
import { egoIdOf } from '../identity/ego.js'
import type { Store, WriteTx } from '../store/lmdb.js'

export interface ContactRecord {
  v: 1
  ego: Uint8Array
  /** Which of my egos knows this contact. */
  self: string
  petname: string
  nick: string
  peerId: string
  addrs: string[]
  added: number
  lastSeen: number | null
}

export interface InviteRecord {
  v: 1
  self: string
  secret: Uint8Array
  created: number
  /** Unix milliseconds. */
  expires: number
}

export function validatePetname (name: string): string {
  if (Buffer.byteLength(name) > MAX_PETNAME_BYTES) throw limitExceeded('MAX_PETNAME_BYTES', MAX_PETNAME_BYTES, Buffer.byteLength(name))
  if (name.length === 0) {
    throw new SecushareError('INVALID_ARGUMENT', `a petname has 1 to ${MAX_PETNAME_BYTES} bytes`)
  }
  // eslint-disable-next-line no-control-regex
  if (/[.\s\u0000-\u001f\u007f]/u.test(name)) throw new SecushareError('INVALID_ARGUMENT', `a petname may not contain dots, spaces or control characters: ${JSON.stringify(name)}`)
  return name
}

/** A petname made from someone's nick: dots and spaces become dashes. */
export function petnameFromNick (nick: string): string {
  // eslint-disable-next-line no-control-regex
  const base = nick.replace(/[.\s\u0000-\u001f\u007f]+/gu, '-').replace(/^-+|-+$/g, '')
  return base.length > 0 ? base.slice(0, 48) : 'contact'
}

export class ContactBook {
  constructor (private readonly store: Store) {}

  list (): ContactRecord[] {
    return [...this.store.entries<ContactRecord>('contacts')].map((e) => e.value)
  }

  count (): number {
    return this.store.count('contacts')
  }

  byEgo (egoHex: string): ContactRecord | undefined {
    return this.store.get<ContactRecord>('contacts', egoHex)
  }

  byPeer (peerId: string): ContactRecord | undefined {
    return this.list().find((c) => c.peerId === peerId)
  }

  byPetname (petname: string): ContactRecord {
    const ego = this.store.get<string>('petnames', petname)
    const rec = ego === undefined ? undefined : this.byEgo(ego)
    if (rec === undefined) throw new SecushareError('CONTACT_NOT_FOUND', `no contact called ${JSON.stringify(petname)}`, { petname })
    return rec
  }

  /** A free petname: `wanted`, or `wanted-2`, `wanted-3`, … (read inside the writing transaction). */
  static freePetname (tx: WriteTx, wanted: string): string {
    for (let i = 1; ; i++) {
      const name = i === 1 ? wanted : `${wanted}-${i}`
      if (tx.get('petnames', name) === undefined) return name
    }
  }

  /** Stores a new contact, or refreshes the node of a known one (keeping its petname). In `tx`. */
  static put (tx: WriteTx, rec: ContactRecord): ContactRecord {
    const id = egoIdOf(rec.ego)
    const old = tx.get<ContactRecord>('contacts', id)
    if (old !== undefined) {
      const merged = { ...old, nick: rec.nick, peerId: rec.peerId, addrs: rec.addrs }
      tx.put('contacts', id, merged)
      tx.emit({ type: 'contact:updated', ego: id })
      return merged
    }
    const owner = tx.get<string>('petnames', rec.petname)
    if (owner !== undefined) throw new SecushareError('PETNAME_TAKEN', `another contact is already called ${JSON.stringify(rec.petname)}`, { petname: rec.petname })
    tx.put('contacts', id, rec)
    tx.put('petnames', rec.petname, id)
    tx.emit({ type: 'contact:added', ego: id, petname: rec.petname })
    return rec
  }

  async rename (petname: string, newPetname: string): Promise<ContactRecord> {
    validatePetname(newPetname)
    return await this.store.write((tx) => {
      const ego = tx.get<string>('petnames', petname)
      const rec = ego === undefined ? undefined : tx.get<ContactRecord>('contacts', ego)
      if (ego === undefined || rec === undefined) throw new SecushareError('CONTACT_NOT_FOUND', `no contact called ${JSON.stringify(petname)}`, { petname })
      if (newPetname === petname) return rec
      if (tx.get('petnames', newPetname) !== undefined) throw new SecushareError('PETNAME_TAKEN', `another contact is already called ${JSON.stringify(newPetname)}`, { petname: newPetname })
      const renamed = { ...rec, petname: newPetname }
      tx.remove('petnames', petname)
      tx.put('petnames', newPetname, ego)
      tx.put('contacts', ego, renamed)
      tx.emit({ type: 'contact:renamed', ego, petname: newPetname })
      return renamed
    })
  }

  async remove (petname: string): Promise<ContactRecord> {
    return await this.store.write((tx) => {
      const ego = tx.get<string>('petnames', petname)
      const rec = ego === undefined ? undefined : tx.get<ContactRecord>('contacts', ego)
      if (ego === undefined || rec === undefined) throw new SecushareError('CONTACT_NOT_FOUND', `no contact called ${JSON.stringify(petname)}`, { petname })
      tx.remove('petnames', petname)
      tx.remove('contacts', ego)
      tx.emit({ type: 'contact:removed', ego, petname, peerId: rec.peerId })
      return rec
    })
  }

  /** Records when a contact was last connected and the addresses it announced. */
  async seen (egoHex: string, update: { lastSeen?: number, addrs?: string[] }): Promise<void> {
    await this.store.write((tx) => {
      const rec = tx.get<ContactRecord>('contacts', egoHex)
      if (rec !== undefined) tx.put('contacts', egoHex, { ...rec, ...update })
    })
  }

  async addInvite (id: string, rec: InviteRecord): Promise<void> {
    await this.store.write((tx) => { tx.put('invites', id, rec) })
  }

  invite (id: string): InviteRecord | undefined {
    return this.store.get<InviteRecord>('invites', id)
  }

  /** Deletes invites that expired more than `graceMs` ago (they only served to say "expired"). */
  async dropExpiredInvites (now: number, graceMs: number): Promise<number> {
    const old = [...this.store.entries<InviteRecord>('invites')].filter((e) => e.value.expires + graceMs < now).map((e) => e.key)
    if (old.length > 0) await this.store.write((tx) => { for (const k of old) tx.remove('invites', k) })
    return old.length
  }
}
