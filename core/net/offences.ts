/**
 * The per-peer offence ledger (docs/penalties.md): what hostile input each peer sent, decaying
 * over time, and which peers are banned for now. It decides; core/net/node.ts acts (hangs up,
 * refuses connections at the gater, feeds gossipsub's application-specific score).
 *
 * Two decaying counts per peer, both kept to MAX_PENALISED_PEERS peers:
 * - offences (stream protocols): PEER_OFFENCES_BEFORE_BAN of them within their half-life ban the
 *   peer for PEER_BAN_MS; a refused unauthorized request counts 1 / PEER_REFUSALS_PER_OFFENCE;
 * - gossip rejections (messages a topic validator rejected): they never ban (a forwarder's view
 *   of a place can honestly differ from ours) but lower the gossipsub score, as offences do.
 */
import { MAX_PENALISED_PEERS, PEER_BAN_MS, PEER_OFFENCE_HALF_LIFE_MS, PEER_OFFENCES_BEFORE_BAN, PEER_REFUSALS_PER_OFFENCE } from '../../protocol/limits.js'

/**
 * What a peer did: 'frame' a frame over its limit or with a bad length prefix; 'malformed' a
 * request or answer that does not decode; 'forged' a bad signature or proof; 'unauthorized' a
 * request refused because of who asked (not a member, not a contact).
 */
export type OffenceKind = 'frame' | 'malformed' | 'forged' | 'unauthorized'

/** Gossip rejections halve this often (gossipsub's score recovers in about a few hours). */
export const PUBSUB_PENALTY_HALF_LIFE_MS = 60 * 60_000
/** One offence lowers the gossipsub score as much as this many gossip rejections. */
export const PUBSUB_REJECTS_PER_OFFENCE = 3
/**
 * Offences ban from PEER_OFFENCES_BEFORE_BAN less half a refusal's weight: offences sent within
 * a few seconds (decayed a little) or refusals of weight 1/3 (rounded) still add up to a ban.
 */
const BAN_TOLERANCE = 1 / (2 * PEER_REFUSALS_PER_OFFENCE)
/** A count below this is forgotten (it no longer changes any decision). */
const FORGET_BELOW = 0.1

interface Entry { offences: number, rejects: number, at: number }

export class OffenceLedger {
  private readonly entries = new Map<string, Entry>()
  private readonly bans = new Map<string, number>()
  /** Offences recorded, by kind, and bans imposed, since start. */
  readonly counts: Record<OffenceKind | 'bans', number> = { frame: 0, malformed: 0, forged: 0, unauthorized: 0, bans: 0 }

  constructor (private readonly now: () => number = Date.now) {}

  /** Records an offence; returns true when it bans the peer (it was not banned before). */
  offend (peer: string, kind: OffenceKind): boolean {
    this.counts[kind]++
    const e = this.current(peer)
    e.offences += kind === 'unauthorized' ? 1 / PEER_REFUSALS_PER_OFFENCE : 1
    this.put(peer, e)
    if (e.offences < PEER_OFFENCES_BEFORE_BAN - BAN_TOLERANCE || this.banned(peer)) return false
    this.bans.delete(peer)
    this.bans.set(peer, this.now() + PEER_BAN_MS)
    if (this.bans.size > MAX_PENALISED_PEERS) this.bans.delete(this.bans.keys().next().value as string)
    this.counts.bans++
    // the ban is the penalty: the peer starts afresh when it ends
    e.offences = 0
    return true
  }

  /** Records a message from the peer that a gossip validator rejected. */
  reject (peer: string): void {
    const e = this.current(peer)
    e.rejects++
    this.put(peer, e)
  }

  /** Whether connections with the peer are refused now. */
  banned (peer: string): boolean {
    const until = this.bans.get(peer)
    if (until === undefined) return false
    if (until > this.now()) return true
    this.bans.delete(peer)
    return false
  }

  /** Forgets the peer's offences and rejections and lifts its ban. */
  pardon (peer: string): void {
    this.entries.delete(peer)
    this.bans.delete(peer)
  }

  /** The peer's current offences (decayed), for tests and status. */
  offences (peer: string): number { return this.peek(peer)?.offences ?? 0 }

  /**
   * Gossipsub's application-specific score term: -(r + PUBSUB_REJECTS_PER_OFFENCE × o)², 0 for a
   * peer never penalised. With gossipsub's default thresholds (gossip -10, publish -50, graylist
   * -80): 4 rejections (or 2 offences) and the peer gets no gossip, 8 (3) and we publish nothing
   * to it, 9 and everything it sends is ignored, until the counts decay.
   */
  score (peer: string): number {
    const e = this.peek(peer)
    if (e === undefined) return 0
    const c = e.rejects + PUBSUB_REJECTS_PER_OFFENCE * e.offences
    return c === 0 ? 0 : -(c * c)
  }

  /** Peers remembered (offences, rejections or a ban). */
  get size (): number { return new Set([...this.entries.keys(), ...this.bans.keys()]).size }

  /** The decayed entry, or undefined when there is nothing left to remember. */
  private peek (peer: string): Entry | undefined {
    const e = this.entries.get(peer)
    if (e === undefined) return undefined
    const t = this.now()
    const dt = Math.max(0, t - e.at)
    const d: Entry = {
      offences: e.offences * 2 ** (-dt / PEER_OFFENCE_HALF_LIFE_MS),
      rejects: e.rejects * 2 ** (-dt / PUBSUB_PENALTY_HALF_LIFE_MS),
      at: t
    }
    if (d.offences < FORGET_BELOW) d.offences = 0
    if (d.rejects < FORGET_BELOW) d.rejects = 0
    if (d.offences === 0 && d.rejects === 0) {
      this.entries.delete(peer)
      return undefined
    }
    return d
  }

  private current (peer: string): Entry { return this.peek(peer) ?? { offences: 0, rejects: 0, at: this.now() } }

  private put (peer: string, e: Entry): void {
    this.entries.delete(peer)
    this.entries.set(peer, e)
    if (this.entries.size > MAX_PENALISED_PEERS) this.entries.delete(this.entries.keys().next().value as string)
  }
}

/** LIMIT_EXCEEDED of these is a full queue on our side, not the asking peer's fault. */
const CAPACITY_LIMITS = new Set(['MAX_PENDING_ENTRIES', 'MAX_PENDING_INTRODUCTIONS'])

/**
 * The offence a request handler's error means, if any: input that does not decode or breaks a
 * wire limit is 'malformed', a bad signature or proof 'forged', a refusal because of who asked
 * 'unauthorized'. Errors an honest peer can cause (a place it does not know is gone, a relay
 * that is busy, full or does not know it, a name that is not there, a stream that ended) are no
 * offence. A thrower can say better in `detail.offence` (a kind, or 'none').
 */
export function offenceOf (e: unknown): OffenceKind | undefined {
  const code = (e as { code?: unknown })?.code
  if (typeof code !== 'string') return undefined
  // the thrower knows better than the code: detail.offence names the kind, or 'none'
  const told = (e as { detail?: { offence?: unknown } }).detail?.offence
  if (told === 'none') return undefined
  if (told === 'frame' || told === 'malformed' || told === 'forged' || told === 'unauthorized') return told
  if (code === 'LIMIT_EXCEEDED') {
    const limit = (e as { detail?: { limit?: unknown } }).detail?.limit
    return typeof limit === 'string' && CAPACITY_LIMITS.has(limit) ? undefined : 'malformed'
  }
  if (code.startsWith('PACKET_') || code.endsWith('_WIRE_INVALID') || ['ENVELOPE_BAD_VERSION', 'ENVELOPE_BAD_KIND', 'ENVELOPE_MALFORMED', 'PADDING_INVALID', 'PLACE_MESSAGE_INVALID', 'FRAME_BAD_LENGTH'].includes(code)) return 'malformed'
  if (['ENVELOPE_BAD_SIGNATURE', 'DECRYPT_FAILED', 'ZONE_RECORD_INVALID', 'INTRODUCTION_INVALID', 'RELAY_BLOB_INVALID'].includes(code)) return 'forged'
  if (['NOT_A_MEMBER', 'NOT_HOST', 'PLACE_REFUSED', 'INVITE_REFUSED'].includes(code)) return 'unauthorized'
  return undefined
}
