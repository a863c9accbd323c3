/**
 * Profiles: every node's default ego has a home place (history `all`) whose PSYC state is its
 * profile: `_nick`, `_description`, `_avatar` (binary, at most MAX_AVATAR_BYTES). The node hosts
 * it and admits its contacts automatically: a new contact is invited when added, invited again
 * whenever its node connects while it has not entered yet, and removed (a new key generation)
 * when the contact is removed. A contact's node joins such an invitation at once, so what I show
 * of a contact is the current state of its home place (PSYC state, R7), read with `profile show`.
 * Home places are left out of `place list`.
 */
import { limitExceeded, SecushareError } from '../../protocol/errors.js'
import { MAX_AVATAR_BYTES, MAX_DESCRIPTION_BYTES, MAX_NICK_BYTES } from '../../protocol/limits.js'
import type { StateOp } from '../../protocol/place-message.js'
import type { ContactBook } from '../contacts/book.js'
import type { Ego } from '../identity/ego.js'
import type { NetNode } from '../net/node.js'
import type { Store } from '../store/lmdb.js'
import type { Places } from './places.js'
import type { MemberRecord, PlaceRecord } from './records.js'

/** An avatar is one state value: a small image (e.g. 64×64 WebP or PNG; protocol/limits.ts). */
export { MAX_AVATAR_BYTES }
/** Bytes of a nick and of a description (protocol/limits.ts). */
export { MAX_DESCRIPTION_BYTES, MAX_NICK_BYTES }

/** A failed welcome (invitation to my home place) is tried again after 0.5, 1, 2, 4 s. */
export const WELCOME_ATTEMPTS = 5
export const WELCOME_RETRY_MS = 500

export interface Profile {
  ego: string
  /** Mine: "me"; a contact's: its petname. */
  petname: string
  nick: string | null
  description: string | null
  /** The avatar's bytes, base64. */
  avatar: string | null
  /** The home place, or null while a contact's has not reached me yet. */
  place: string | null
}

export interface ProfileChange { nick?: string, description?: string, avatar?: Uint8Array | null }

export interface ProfilesDeps { store: Store, net: NetNode, contacts: ContactBook, self: Ego, places: Places }

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const text = (v: Uint8Array | undefined): string | null => v === undefined ? null : new TextDecoder().decode(v)

export class Profiles {
  private readonly unsubscribe: Array<() => void> = []

  constructor (private readonly d: ProfilesDeps) {}

  /** Makes my home place if there is none, and brings every contact into it. */
  async start (): Promise<void> {
    if (this.home() === undefined) {
      const info = await this.d.places.create(`home of ${this.d.self.nick}`, 'all', { home: this.d.self.id })
      await this.d.places.setStateOps(info.place, [{ op: '=', name: '_nick', value: new TextEncoder().encode(this.d.self.nick) }])
    }
    this.unsubscribe.push(
      this.d.store.on('contact:added', (e) => { this.welcomeSoon(String(e.ego), 0) }),
      this.d.store.on('contact:removed', (e) => { void this.farewell(String(e.ego)).catch(() => {}) }),
      this.d.net.on('peer:connect', (peer) => {
        const c = this.d.contacts.byPeer(peer)
        if (c !== undefined) void this.welcome(hex(c.ego)).catch(() => {})
      })
    )
    for (const c of this.d.contacts.list()) void this.welcome(hex(c.ego)).catch(() => {})
  }

  private stopped = false

  stop (): void {
    this.stopped = true
    for (const u of this.unsubscribe.splice(0)) u()
    for (const t of this.retries.values()) clearTimeout(t)
    this.retries.clear()
  }

  private homeId: string | undefined

  /** My home place (its id is looked up once; it never changes). */
  private home (): PlaceRecord | undefined {
    if (this.homeId === undefined) {
      for (const e of this.d.store.entries<PlaceRecord>('places')) if (e.value.role === 'host' && e.value.home === this.d.self.id) this.homeId = e.value.id
    }
    return this.homeId === undefined ? undefined : this.d.store.get<PlaceRecord>('places', this.homeId)
  }

  private readonly retries = new Map<string, NodeJS.Timeout>()

  /**
   * Welcomes a new contact, and tries again with backoff when that fails: right after a handshake
   * the contact's node may not have stored me as its contact yet, and it takes invitations only
   * from contacts.
   */
  private welcomeSoon (ego: string, attempt: number): void {
    void this.welcome(ego).catch(() => {
      if (this.stopped || attempt + 1 >= WELCOME_ATTEMPTS || this.retries.has(ego)) return
      const t = setTimeout(() => { this.retries.delete(ego); this.welcomeSoon(ego, attempt + 1) }, WELCOME_RETRY_MS * 2 ** attempt)
      t.unref()
      this.retries.set(ego, t)
    })
  }

  /** Invites a contact into my home place unless it is in already. */
  private async welcome (ego: string): Promise<void> {
    const home = this.home()
    const c = this.d.contacts.byEgo(ego)
    if (home === undefined || c === undefined) return
    if (this.d.store.get<MemberRecord>('members', [home.id, ego])?.status === 'member') return
    await this.d.places.inviteEgo(home, c)
  }

  private async farewell (ego: string): Promise<void> {
    const home = this.home()
    if (home === undefined || this.d.store.get('members', [home.id, ego]) === undefined) return
    await this.d.places.removeEgo(home.id, ego)
  }

  /** My profile, or the profile of the contact called `petname`. */
  show (petname?: string): Profile {
    let ego = this.d.self.id
    let place: PlaceRecord | undefined
    if (petname === undefined || petname === 'me') {
      place = this.home()
    } else {
      ego = hex(this.d.contacts.byPetname(petname).ego)
      for (const e of this.d.store.entries<PlaceRecord>('places')) if (e.value.home === ego && !e.value.left) place = e.value
    }
    const state = new Map<string, Uint8Array>()
    if (place !== undefined) {
      for (const e of this.d.store.entries<Uint8Array>('pstate', { start: [place.id, ''], end: [place.id, '\uffff'] })) state.set(String((e.key as [string, string])[1]), e.value)
    }
    const avatar = state.get('_avatar')
    return {
      ego, petname: petname ?? 'me', nick: text(state.get('_nick')), description: text(state.get('_description')),
      avatar: avatar === undefined ? null : Buffer.from(avatar).toString('base64'), place: place?.id ?? null
    }
  }

  /** Changes my profile in one state message; an empty description or a null avatar removes it. */
  async set (change: ProfileChange): Promise<Profile> {
    const home = this.home()
    if (home === undefined) throw new SecushareError('NOT_FOUND', 'this node has no home place yet')
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
    const ops: StateOp[] = []
    if (change.nick !== undefined) {
      if (change.nick.trim().length === 0) throw new SecushareError('INVALID_ARGUMENT', 'a nick may not be empty')
      if (Buffer.byteLength(change.nick) > MAX_NICK_BYTES) throw limitExceeded('MAX_NICK_BYTES', MAX_NICK_BYTES, Buffer.byteLength(change.nick))
      ops.push({ op: '=', name: '_nick', value: enc(change.nick.trim()) })
    }
    if (change.description !== undefined) {
      if (Buffer.byteLength(change.description) > MAX_DESCRIPTION_BYTES) throw limitExceeded('MAX_DESCRIPTION_BYTES', MAX_DESCRIPTION_BYTES, Buffer.byteLength(change.description))
      ops.push({ op: '=', name: '_description', value: enc(change.description) })
    }
    if (change.avatar !== undefined) {
      if (change.avatar !== null && change.avatar.length === 0) throw new SecushareError('INVALID_ARGUMENT', 'an avatar is not empty (remove it with null)')
      if (change.avatar !== null && change.avatar.length > MAX_AVATAR_BYTES) throw limitExceeded('MAX_AVATAR_BYTES', MAX_AVATAR_BYTES, change.avatar.length)
      ops.push({ op: '=', name: '_avatar', value: change.avatar ?? new Uint8Array() })
    }
    if (ops.length === 0) throw new SecushareError('INVALID_ARGUMENT', 'nothing to change: give a nick, a description or an avatar')
    await this.d.places.setStateOps(home.id, ops)
    return this.show()
  }
}
