/**
 * Keeps peers connected: dials every peer it is given that is not connected, with exponential
 * backoff (`minMs` doubling up to `maxMs`, with ±20% jitter so restarted nodes do not dial in
 * lockstep), starting over at the minimum when the peer disconnects or is seen on the LAN. Used
 * for contacts (core/contacts/contacts.ts) and for the hosts of places that are not contacts
 * (core/places/places.ts).
 */
import type { NetNode } from '../net/node.js'

export const REDIAL_MIN_MS = 1000
export const REDIAL_MAX_MS = 5 * 60_000

export interface RedialPeers {
  /** The peers to keep connected (dialled at start). */
  peers: () => string[]
  /** Where to dial a peer (the peer store's addresses are added); undefined: no longer to be dialled. */
  addrs: (peerId: string) => string[] | undefined
}

export class Redialer {
  private readonly timers = new Map<string, { timer: NodeJS.Timeout, delay: number }>()
  private stopped = false
  private readonly minMs: number
  private readonly maxMs: number

  constructor (private readonly net: NetNode, private readonly who: RedialPeers, backoff: { minMs?: number, maxMs?: number } = {}) {
    this.minMs = backoff.minMs ?? REDIAL_MIN_MS
    this.maxMs = backoff.maxMs ?? REDIAL_MAX_MS
  }

  start (): void {
    for (const peer of this.who.peers()) this.schedule(peer, 0)
  }

  stop (): void {
    this.stopped = true
    for (const { timer } of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
  }

  /** Dial `peerId` after `delay` ms (default the minimum; an earlier pending attempt is kept). */
  schedule (peerId: string, delay = this.minMs): void {
    if (this.stopped || this.net.isConnected(peerId)) return
    const pending = this.timers.get(peerId)
    if (pending !== undefined) {
      if (delay >= pending.delay) return
      clearTimeout(pending.timer)
    }
    const timer = setTimeout(() => { void this.attempt(peerId, Math.max(delay, this.minMs)).catch(() => {}) }, delay)
    timer.unref()
    this.timers.set(peerId, { timer, delay })
  }

  connected (peerId: string): void {
    const pending = this.timers.get(peerId)
    if (pending !== undefined) clearTimeout(pending.timer)
    this.timers.delete(peerId)
  }

  forget (peerId: string): void {
    this.connected(peerId)
  }

  private async attempt (peerId: string, delay: number): Promise<void> {
    this.timers.delete(peerId)
    if (this.stopped) return // before touching the store, which closes after this stops
    const addrs = this.who.addrs(peerId)
    if (addrs === undefined || this.net.isConnected(peerId)) return
    try {
      await this.net.dial(peerId, [...new Set([...addrs, ...this.net.knownAddrs(peerId)])])
    } catch {
      if (this.stopped) return
      const next = Math.min(delay * 2, this.maxMs)
      const jittered = Math.round(next * (0.8 + Math.random() * 0.4))
      const timer = setTimeout(() => { void this.attempt(peerId, next).catch(() => {}) }, jittered)
      timer.unref()
      this.timers.set(peerId, { timer, delay: next })
    }
  }
}
