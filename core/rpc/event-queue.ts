/**
 * The events waiting for one RPC client. Bounded: at MAX_RPC_EVENT_QUEUE queued events a further
 * one is not queued; the queue is emptied instead and the client later receives one overflow
 * marker saying how many events it lost (so it refetches state rather than the daemon buffering for
 * a client that does not read). Status updates are coalesced: only the latest value of each field
 * is kept, however often it changes.
 */
import { MAX_RPC_EVENT_QUEUE } from '../../protocol/limits.js'

export type Queued = { kind: 'event', text: string } | { kind: 'lost', count: number }

export class EventQueue {
  private readonly items: string[] = []
  private lost = 0
  private status: Record<string, unknown> = {}
  private hasStatus = false

  constructor (private readonly cap = MAX_RPC_EVENT_QUEUE) {}

  get size (): number { return this.items.length }
  get lostCount (): number { return this.lost }

  push (text: string): void {
    if (this.items.length >= this.cap) {
      this.lost += this.items.length + 1
      this.items.length = 0
      return
    }
    this.items.push(text)
  }

  /** Merges status fields; later values win. */
  mergeStatus (changed: Record<string, unknown>): void {
    Object.assign(this.status, changed)
    this.hasStatus = true
  }

  /** The pending status fields (and forgets them), or undefined. */
  takeStatus (): Record<string, unknown> | undefined {
    if (!this.hasStatus) return undefined
    const s = this.status
    this.status = {}
    this.hasStatus = false
    return s
  }

  /** The next thing to send: the overflow marker first (once), then the events in order. */
  shift (): Queued | undefined {
    if (this.lost > 0) {
      const count = this.lost
      this.lost = 0
      return { kind: 'lost', count }
    }
    const text = this.items.shift()
    return text === undefined ? undefined : { kind: 'event', text }
  }
}
