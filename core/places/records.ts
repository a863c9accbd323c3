/**
 * What the store keeps about places (sub-databases in store/schema.ts). Persisted shapes: change
 * only with a schema migration.
 */
import type { StateOp } from '../../protocol/place-message.js'
import type { SealedSecret } from '../identity/keystore.js'

export type HistoryPolicy = 'none' | 'recent' | 'all'
/** With history `recent`, a newcomer may read this many messages from before its admission. */
export const RECENT_HISTORY_MESSAGES = 50

export interface PlaceRecord {
  v: 1
  id: string
  name: string
  role: 'host' | 'guest'
  /** My ego in this place. */
  self: string
  hostEgo: string
  hostPeer: string
  history: HistoryPolicy
  generation: number
  /** Highest message id stored, and the highest id up to which every message is stored. */
  head: number
  contiguous: number
  /** Id of the last stateful message whose state ops are applied (0: none yet). */
  lastStateful: number
  /** First message id I may read (set at admission by the history policy). */
  sinceId: number
  /** Highest id I have seen in a feed (for unread counts). */
  readUpTo: number
  closed: boolean
  left: boolean
  /** The other person's ego hex, when this place is a 1:1 conversation. */
  dm?: string
  /** The ego hex whose home place (profile) this is. */
  home?: string
  created: number
  /** Guest only: where the host's node listens, as the invitation or place address said. */
  hostAddrs?: string[]
  /** Host only: when the current key generation started (absent: at `created`). */
  rotated?: number
  /** Host only: the place's secret key, sealed by the keystore. */
  secret?: SealedSecret
}

export interface MemberRecord {
  v: 1
  ego: string
  peerId: string
  /** 'invited' until the guest enters. */
  status: 'invited' | 'member'
  sinceId: number
  joined: number
  /** Where the member's node listens, as the host last knew it (members dial each other). */
  addrs?: string[]
}

export interface MessageRecord {
  v: 1
  id: number
  generation: number
  envelope: Uint8Array
  author: string
  method: string
  text: string | null
  replyTo: number | null
  thread: number | null
  time: number
  talkId: string
  /** Id of the previous stateful message if this one carries state ops, else null. */
  prevStateful: number | null
  /** The state operations it carries, applied in the host's order (see places/receive.ts). */
  stateOps: StateOp[]
}


/**
 * A guest's post the host has not answered yet; `relayed`: the host's relays that took it (peer ids),
 * `relayTried`: when they were last offered it (ms).
 */
export interface PendingPost { v: 1, message: Uint8Array, created: number, attempts: number, relayed?: string[], relayTried?: number }

export interface InvitationRecord {
  v: 1
  place: string
  name: string
  hostEgo: string
  hostPeer: string
  hostAddrs: string[]
  history: HistoryPolicy
  dm: boolean
  /** A contact's home place (profile): joined at once. */
  home?: boolean
  received: number
}

/** Host side: someone who knows a place's address asks to enter (protocol/place-entry.ts). */
export interface EntryRecord { v: 1, place: string, ego: string, peerId: string, addrs: string[], text: string, time: number, received: number }

/** Requester side: my entry request to a place, until the host's invitation arrives. */
export interface RequestRecord { v: 1, place: string, hostEgo: string, hostPeer: string, hostAddrs: string[], status: 'requested' | 'refused', sent: number }
