/**
 * The relay side of `/secushare/relay/1.0.0` (protocol/relay-wire.ts, docs/relays.md): keeps
 * sealed blobs until the recipient (a contact) fetches and acknowledges them or they expire.
 * Contacts deposit within their share; anyone else within the strangers' pool (protocol/limits.ts).
 *
 * What it stores (sub-databases relay_blobs, relay_expiry): tag, blob, expiry, and a depositor mark
 * that only this run of the relay can read (below) — nothing else. It never holds an ego or place
 * key: it cannot open a blob, and it cannot tell which person, place or earlier deposit a tag
 * belongs to.
 *
 * Memory does not grow with the number of blobs held: the per-depositor share is a byte count per
 * depositor (a map keyed by depositor only). To give the bytes back when a blob is acknowledged or
 * expires, each blob's expiry entry carries its depositor's small slot number masked with a keyed
 * hash of the blob's tag and key (`depositorMark`); the hash key lives in memory only and is new
 * each run, so on disk the marks of one depositor look random and unrelated, and after a restart
 * the older blobs count against the total only.
 *
 * Peer input is hostile: every request is decoded with limits, cheap checks first (rate, size,
 * quota) before anything is written; refusals are answered with a code and counted; a malformed
 * request ends the stream. A receipt is sent only after the blob is durable.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { SecushareError, ERROR_CODES } from '../../protocol/errors.js'
import {
  DEFAULT_RELAY_EXPIRY_S, DEFAULT_RELAY_QUOTA_BYTES, MAX_FRAME_BYTES, MAX_RELAY_FETCH_BLOBS, MAX_RELAY_REQUESTS_PER_STREAM, MAX_RELAY_STREAMS,
  MAX_RELAY_STRANGERS, MAX_RELAY_TRACKED_PEERS, RELAY_DEPOSIT_BURST, RELAY_DEPOSITOR_SHARE_DIVISOR, RELAY_STRANGER_SHARE_DIVISOR, RELAY_STRANGERS_SHARE_DIVISOR, RELAY_DEPOSITS_PER_SECOND, RELAY_GC_BATCH, RELAY_KEY_BYTES, RELAY_TAG_BYTES
} from '../../protocol/limits.js'
import { decodeRelay, encodeRelay, readAckKeys, readDeposit, readFetchTags, relayText, RELAY_PROTOCOL, type WireMessage } from '../../protocol/relay-wire.js'
import type { FrameStream } from '../net/framing.js'
import type { NetNode } from '../net/node.js'
import { offenceOf } from '../net/offences.js'
import type { Store } from '../store/lmdb.js'

/** How long a relay waits for the next request on a stream. */
export const RELAY_WIRE_TIMEOUT_MS = 10_000
/** Expired blobs are looked for this often. */
export const RELAY_GC_INTERVAL_MS = 60_000

export interface StoredBlob { blob: Uint8Array, expires: number }
/**
 * The value under relay_expiry [expires, tag, key]: the blob's length and its depositor mark,
 * [depositor slot XOR mask, check], mask ‖ check = the first 8 bytes of
 * HMAC-SHA256(run key, tag ‖ key), then 1 if a non-contact deposited it (absent: a contact). The
 * mark names its depositor only in the run that wrote it; the flag keeps a non-contact's blob in
 * the strangers' pool after a restart. A bare length (older stores) has no depositor.
 */
export type ExpiryValue = number | [size: number, slot: number, check: number, stranger?: 1]

export interface RelayServerDeps {
  store: Store
  net: NetNode
  /**
   * Whether this peer is one of the node's contacts: they fetch and acknowledge, and deposit within
   * their share; anyone else deposits only within the strangers' pool (RELAY_STRANGERS_SHARE_DIVISOR).
   */
  allowed: (peer: string) => boolean
  /** Total bytes kept for others; 0: this node relays for nobody. */
  quotaBytes?: number
  /** Longest time a blob is kept, seconds. */
  expiryS?: number
  /**
   * A contact tells which relays it uses (handled by the relay client); returns the list to
   * answer with (a host's own list for a member of its place), if any.
   */
  onRelayList?: (peer: string, text: string) => Promise<string | undefined>
  now?: () => number
}

export interface RelayServerStats { blobs: number, bytes: number, quotaBytes: number, depositors: number, refused: Record<string, number>, expired: number }

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const knownCode = (c: string): boolean => c in ERROR_CODES
const sizeOf = (v: ExpiryValue): number => typeof v === 'number' ? v : v[0]
const byStranger = (v: ExpiryValue | undefined): boolean => typeof v === 'object' && v[3] === 1

export class RelayServer {
  readonly quotaBytes: number
  readonly expiryS: number
  private usedBytes = 0
  private blobCount = 0
  /**
   * In memory only, one entry per depositor holding bytes here (never per blob): its slot number
   * (what the marks on disk carry) and bytes held. `slots` maps a slot back to the depositor; a
   * depositor whose bytes reach 0 frees its slot (no blob carries it any more).
   */
  private readonly perPeer = new Map<string, { slot: number, bytes: number, stranger: boolean }>()
  /** Bytes held for depositors that are not contacts, and how many of them hold any. */
  private strangerBytes = 0
  private strangers = 0
  /** Bytes non-contacts deposited in earlier runs (their marks name nobody now): also in the pool. */
  private earlierStrangerBytes = 0
  private readonly slots: Array<string | undefined> = []
  private readonly freeSlots: number[] = []
  /** Keys the depositor marks of this run; never written anywhere. */
  private readonly markKey = randomBytes(32)
  private readonly rate = new Map<string, { tokens: number, at: number }>()
  private readonly refusedCounts: Record<string, number> = {}
  private expiredCount = 0
  private gcTimer: NodeJS.Timeout | undefined
  private collecting = false
  private stopped = false

  constructor (private readonly d: RelayServerDeps) {
    this.quotaBytes = d.quotaBytes ?? DEFAULT_RELAY_QUOTA_BYTES
    this.expiryS = d.expiryS ?? DEFAULT_RELAY_EXPIRY_S
  }

  private now (): number { return (this.d.now ?? Date.now)() }

  async start (): Promise<void> {
    for (const e of this.d.store.entries<ExpiryValue>('relay_expiry')) {
      this.usedBytes += sizeOf(e.value)
      if (byStranger(e.value)) this.earlierStrangerBytes += sizeOf(e.value)
      this.blobCount++
    }
    await this.d.net.handle(RELAY_PROTOCOL, async (s) => { await this.serve(s) }, { maxInboundStreams: MAX_RELAY_STREAMS })
    this.gcTimer = setInterval(() => { void this.collect().catch(() => {}) }, RELAY_GC_INTERVAL_MS)
    this.gcTimer.unref()
  }

  stop (): void {
    this.stopped = true
    clearInterval(this.gcTimer)
  }

  stats (): RelayServerStats {
    return { blobs: this.blobCount, bytes: this.usedBytes, quotaBytes: this.quotaBytes, depositors: this.perPeer.size, refused: { ...this.refusedCounts }, expired: this.expiredCount }
  }

  private refuse (code: string): void { this.refusedCounts[code] = (this.refusedCounts[code] ?? 0) + 1 }

  /** Serves one stream: requests one after another, each answered before the next is read. */
  async serve (s: FrameStream): Promise<void> {
    const peer = s.remotePeer
    for (let n = 0; n < MAX_RELAY_REQUESTS_PER_STREAM && !this.stopped; n++) {
      let req: WireMessage
      let frame: Uint8Array | undefined
      try {
        frame = await s.read(MAX_FRAME_BYTES, RELAY_WIRE_TIMEOUT_MS, 'MAX_FRAME_BYTES')
        req = decodeRelay(frame)
      } catch (e) {
        const code = (e as SecushareError).code
        if (code === 'STREAM_CLOSED' || code === 'STREAM_TIMEOUT') return
        this.refuse(code ?? 'INTERNAL')
        // a bad frame is penalised by the node; a frame that does not decode here
        if (frame !== undefined) this.d.net.penalise(peer, offenceOf(e) ?? 'malformed')
        await s.write(encodeRelay('_failure_relay', { _code: knownCode(code) ? code : 'RELAY_WIRE_INVALID', _text: 'malformed relay request' })).catch(() => {})
        return
      }
      try {
        await this.answer(s, peer, req)
      } catch (e) {
        const code = e instanceof SecushareError ? e.code : 'INTERNAL'
        const text = e instanceof SecushareError ? e.message : 'internal error'
        this.refuse(code)
        const offence = offenceOf(e)
        if (offence !== undefined) this.d.net.penalise(peer, offence)
        await s.write(encodeRelay('_failure_relay', { _code: code, _text: text }))
        if (code === 'RELAY_WIRE_INVALID') return
      }
    }
  }

  private async answer (s: FrameStream, peer: string, req: WireMessage): Promise<void> {
    switch (req.method) {
      case '_request_relay_deposit': {
        const r = await this.deposit(peer, req)
        await s.write(encodeRelay('_notice_relay_deposit', { _key: r.key, _expires: r.expires }))
        return
      }
      case '_request_relay_fetch': {
        if (!this.d.allowed(peer)) throw new SecushareError('RELAY_REFUSED', 'this node relays only for its contacts')
        const { blobs, more } = this.fetch(readFetchTags(req))
        for (const b of blobs) await s.write(encodeRelay('_notice_relay_blob', { _tag: b.tag, _key: b.key, _blob: b.blob }))
        await s.write(encodeRelay('_notice_relay_fetch_end', { _more: more ? 1 : 0 }))
        return
      }
      case '_request_relay_ack': {
        if (!this.d.allowed(peer)) throw new SecushareError('RELAY_REFUSED', 'this node relays only for its contacts')
        const removed = await this.ack(readAckKeys(req))
        await s.write(encodeRelay('_notice_relay_ack', { _removed: removed }))
        return
      }
      case '_request_relay_list': {
        // taken from contacts and from members of places I host: onRelayList decides (and refuses)
        if (this.d.onRelayList === undefined) throw new SecushareError('RELAY_REFUSED', 'relay lists are not taken here')
        const mine = await this.d.onRelayList(peer, relayText(req, '_relays'))
        await s.write(encodeRelay('_notice_relay_list', mine === undefined ? {} : { _relays: mine }))
        return
      }
      default: throw new SecushareError('RELAY_WIRE_INVALID', `unknown relay request ${req.method.slice(0, 64)}`)
    }
  }

  /** Takes one token of the peer's deposit bucket, or refuses with RELAY_BUSY. */
  private takeToken (peer: string): void {
    const now = this.now()
    let b = this.rate.get(peer)
    if (b === undefined) {
      if (this.rate.size >= MAX_RELAY_TRACKED_PEERS) this.rate.delete(this.rate.keys().next().value!)
      b = { tokens: RELAY_DEPOSIT_BURST, at: now }
    } else {
      this.rate.delete(peer) // re-inserted below: the map stays in least-recent-first order
      b.tokens = Math.min(RELAY_DEPOSIT_BURST, b.tokens + Math.max(0, now - b.at) / 1000 * RELAY_DEPOSITS_PER_SECOND)
      b.at = now
    }
    this.rate.set(peer, b)
    if (b.tokens < 1) throw new SecushareError('RELAY_BUSY', `too many deposits; at most ${RELAY_DEPOSIT_BURST} at once and ${RELAY_DEPOSITS_PER_SECOND} a second`, { limit: 'RELAY_DEPOSIT_BURST' })
    b.tokens -= 1
  }

  /**
   * Checks, in order: relaying at all, rate, layout and size, quota (total; for a stranger the
   * strangers' pool and their number; then this depositor's share); then stores durably.
   */
  async deposit (peer: string, req: WireMessage): Promise<{ key: Uint8Array, expires: number }> {
    if (this.quotaBytes === 0) throw new SecushareError('RELAY_REFUSED', 'this node relays for nobody')
    const stranger = !this.d.allowed(peer)
    this.takeToken(peer)
    const { tag, blob, ttlS } = readDeposit(req)
    const size = blob.length
    if (this.usedBytes + size > this.quotaBytes) {
      throw new SecushareError('RELAY_QUOTA_EXCEEDED', `the relay is full (${this.usedBytes} of ${this.quotaBytes} bytes used)`, { scope: 'total', quota: this.quotaBytes })
    }
    const held = this.perPeer.get(peer)
    if (stranger) {
      const pool = Math.floor(this.quotaBytes / RELAY_STRANGERS_SHARE_DIVISOR)
      const pooled = this.strangerBytes + this.earlierStrangerBytes
      if (pooled + size > pool) {
        throw new SecushareError('RELAY_QUOTA_EXCEEDED', `what this relay keeps for non-contacts is full (${pooled} of ${pool} bytes)`, { scope: 'strangers', quota: pool })
      }
      if (held === undefined && this.strangers >= MAX_RELAY_STRANGERS) {
        throw new SecushareError('RELAY_QUOTA_EXCEEDED', `this relay keeps blobs of at most ${MAX_RELAY_STRANGERS} non-contacts at once`, { scope: 'strangers', limit: 'MAX_RELAY_STRANGERS' })
      }
    }
    const share = Math.floor(this.quotaBytes / (stranger ? RELAY_STRANGER_SHARE_DIVISOR : RELAY_DEPOSITOR_SHARE_DIVISOR))
    const mine = held?.bytes ?? 0
    if (mine + size > share) {
      throw new SecushareError('RELAY_QUOTA_EXCEEDED', `your share of this relay is full (${mine} of ${share} bytes)`, { scope: 'depositor', quota: share })
    }
    // reserve before waiting for the disk, so concurrent deposits cannot overshoot the quota
    this.usedBytes += size
    const slot = this.reserve(peer, size, stranger)
    const key = crypto.getRandomValues(new Uint8Array(RELAY_KEY_BYTES))
    const expires = this.now() + Math.min(ttlS, this.expiryS) * 1000
    const t = hex(tag)
    const k = hex(key)
    const { mask, check } = this.mark(t, k)
    try {
      await this.d.store.write((tx) => {
        tx.put('relay_blobs', [t, k], { blob, expires } satisfies StoredBlob)
        tx.put('relay_expiry', [expires, t, k], (stranger ? [size, (slot ^ mask) >>> 0, check, 1] : [size, (slot ^ mask) >>> 0, check]) satisfies ExpiryValue)
      })
    } catch (e) {
      this.usedBytes -= size
      this.release(peer, size)
      throw e
    }
    this.blobCount++
    return { key, expires }
  }

  /** Adds bytes to a depositor's count, giving it a slot if it has none; returns the slot. */
  private reserve (peer: string, size: number, stranger: boolean): number {
    let p = this.perPeer.get(peer)
    if (p === undefined) {
      if (stranger) this.strangers++
      const slot = this.freeSlots.pop() ?? this.slots.length
      this.slots[slot] = peer
      p = { slot, bytes: 0, stranger }
      this.perPeer.set(peer, p)
    }
    p.bytes += size
    if (p.stranger) this.strangerBytes += size
    return p.slot
  }

  private release (peer: string, size: number): void {
    const p = this.perPeer.get(peer)
    if (p === undefined) return
    p.bytes -= size
    if (p.stranger) this.strangerBytes -= size
    if (p.bytes > 0) return
    if (p.stranger) this.strangers--
    this.perPeer.delete(peer)
    this.slots[p.slot] = undefined
    this.freeSlots.push(p.slot)
  }

  /** The mask and check of a blob's depositor mark under this run's key. */
  private mark (t: string, k: string): { mask: number, check: number } {
    const h = createHmac('sha256', this.markKey).update(t).update(k).digest()
    return { mask: h.readUInt32BE(0), check: h.readUInt32BE(4) }
  }

  /** Who deposited a blob, if it was deposited in this run. */
  private depositorOf (t: string, k: string, v: ExpiryValue | undefined): string | undefined {
    if (v === undefined || typeof v === 'number') return undefined
    const { mask, check } = this.mark(t, k)
    if (v[2] !== check) return undefined // marked in an earlier run
    return this.slots[(v[1] ^ mask) >>> 0]
  }

  /** Sizes of the in-memory structures, for tests: none of them may grow with the blobs held. */
  memoryStats (): { depositors: number, slots: number, freeSlots: number, ratePeers: number } {
    return { depositors: this.perPeer.size, slots: this.slots.length, freeSlots: this.freeSlots.length, ratePeers: this.rate.size }
  }

  /** Unexpired blobs under the tags, at most MAX_RELAY_FETCH_BLOBS; `more` when some were left out. */
  fetch (tags: Uint8Array[]): { blobs: Array<{ tag: Uint8Array, key: Uint8Array, blob: Uint8Array }>, more: boolean } {
    const now = this.now()
    const blobs: Array<{ tag: Uint8Array, key: Uint8Array, blob: Uint8Array }> = []
    const seen = new Set<string>()
    for (const tag of tags) {
      const t = hex(tag)
      if (seen.has(t)) continue
      seen.add(t)
      for (const e of this.d.store.entries<StoredBlob>('relay_blobs', { start: [t, ''], end: [t, '\uffff'] })) {
        if (e.value.expires <= now) continue
        if (blobs.length >= MAX_RELAY_FETCH_BLOBS) return { blobs, more: true }
        blobs.push({ tag, key: Buffer.from(String((e.key as string[])[1]), 'hex'), blob: e.value.blob })
      }
    }
    return { blobs, more: false }
  }

  /** Forgets acknowledged blobs (tag‖key pairs); RELAY_NOT_FOUND when none of them is held. */
  async ack (pairs: Uint8Array[]): Promise<number> {
    const found: Array<{ t: string, k: string, expires: number, size: number, peer?: string, stranger?: boolean }> = []
    for (const p of pairs) {
      const t = hex(p.subarray(0, RELAY_TAG_BYTES))
      const k = hex(p.subarray(RELAY_TAG_BYTES))
      const b = this.d.store.get<StoredBlob>('relay_blobs', [t, k])
      if (b !== undefined && !found.some((f) => f.t === t && f.k === k)) found.push({ t, k, expires: b.expires, size: b.blob.length })
    }
    if (found.length === 0 && pairs.length > 0) throw new SecushareError('RELAY_NOT_FOUND', 'no blob is held under those tags and keys')
    const removed = await this.d.store.write((tx) => {
      const n: typeof found = []
      for (const f of found) {
        if (tx.get('relay_blobs', [f.t, f.k]) === undefined) continue // acknowledged or collected meanwhile
        const v = tx.get<ExpiryValue>('relay_expiry', [f.expires, f.t, f.k])
        f.peer = this.depositorOf(f.t, f.k, v)
        f.stranger = byStranger(v)
        tx.remove('relay_blobs', [f.t, f.k])
        tx.remove('relay_expiry', [f.expires, f.t, f.k])
        n.push(f)
      }
      return n
    })
    for (const f of removed) this.forget(f.peer, f.size, f.stranger === true)
    return removed.length
  }

  private forget (peer: string | undefined, size: number, stranger: boolean): void {
    if (peer !== undefined) this.release(peer, size)
    else if (stranger) this.earlierStrangerBytes = Math.max(0, this.earlierStrangerBytes - size)
    this.usedBytes = Math.max(0, this.usedBytes - size)
    this.blobCount = Math.max(0, this.blobCount - 1)
  }

  /**
   * Removes expired blobs, RELAY_GC_BATCH per transaction, yielding to the event loop between
   * batches so the daemon keeps answering. Returns how many were removed.
   */
  async collect (): Promise<number> {
    if (this.collecting) return 0
    this.collecting = true
    let total = 0
    try {
      while (!this.stopped) {
        const now = this.now()
        const batch = [...this.d.store.entries<ExpiryValue>('relay_expiry', { end: [now + 1, '', ''], limit: RELAY_GC_BATCH })]
          .map((e) => { const key = e.key as [number, string, string]; return { key, size: sizeOf(e.value), peer: this.depositorOf(key[1], key[2], e.value), stranger: byStranger(e.value) } })
          .filter((e) => e.key[0] <= now)
        if (batch.length === 0) break
        const gone = await this.d.store.write((tx) => batch.filter((e) => {
          if (tx.get('relay_expiry', e.key) === undefined) return false // acknowledged meanwhile
          tx.remove('relay_expiry', e.key)
          tx.remove('relay_blobs', [e.key[1], e.key[2]])
          return true
        }))
        for (const e of gone) {
          this.forget(e.peer, e.size, e.stranger)
          this.expiredCount++
          total++
        }
        await new Promise((resolve) => setImmediate(resolve))
      }
    } finally {
      this.collecting = false
    }
    return total
  }
}
