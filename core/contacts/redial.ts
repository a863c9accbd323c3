/**
 * Keeps contacts connected: dials every contact that is not connected, with exponential backoff
 * (REDIAL_MIN_MS doubling up to REDIAL_MAX_MS, with ±20% jitter so restarted nodes do not dial in
 * lockstep), starting over at the minimum when a contact disconnects or is seen on the LAN.
 */
import type { NetNode } from '../net/node.js'
import type { ContactBook, ContactRecord } from './book.js'

export const REDIAL_MIN_MS = 1000
export const REDIAL_MAX_MS = 5 * 60_000

export class Redialer {
  private readonly timers = new Map<string, { timer: NodeJS.Timeout, delay: number }>()
  private stopped = false

  constructor (private readonly net: NetNode, private readonly book: ContactBook) {}

  start (): void {
    for (const c of this.book.list()) this.schedule(c.peerId, 0)
  }

  stop (): void {
    this.stopped = true
    for (const { timer } of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
  }

  /** Dial `peerId` after `delay` ms (keeping an earlier pending attempt if there is one). */
  schedule (peerId: string, delay = REDIAL_MIN_MS): void {
    if (this.stopped || this.net.isConnected(peerId)) return
    const pending = this.timers.get(peerId)
    if (pending !== undefined) {
      if (delay >= pending.delay) return
      clearTimeout(pending.timer)
    }
    const timer = setTimeout(() => { void this.attempt(peerId, Math.max(delay, REDIAL_MIN_MS)).catch(() => {}) }, delay)
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
    const contact: ContactRecord | undefined = this.book.byPeer(peerId)
    if (contact === undefined || this.net.isConnected(peerId)) return
    try {
      await this.net.dial(peerId, [...new Set([...contact.addrs, ...this.net.knownAddrs(peerId)])])
    } catch {
      if (this.stopped) return
      const next = Math.min(delay * 2, REDIAL_MAX_MS)
      const jittered = Math.round(next * (0.8 + Math.random() * 0.4))
      const timer = setTimeout(() => { void this.attempt(peerId, next).catch(() => {}) }, jittered)
      timer.unref()
      this.timers.set(peerId, { timer, delay: next })
    }
  }
}
