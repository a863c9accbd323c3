/**
 * Taking in an envelope of a place I am in, from gossip, from replay, or made by myself as host.
 * Checks, in order (cheap first): layout, place, not stored yet, not before my admission, not far
 * beyond the head, generation key known, host signature, decryption, wrapper, author signature. What fails is dropped
 * and counted by reason, never stored or forwarded. What passes is stored in one transaction
 * together with the state it changes; stateful messages apply strictly in the host's order.
 */
import { openEnvelope } from '../crypto/envelope-seal.js'
import type { Sodium } from '../crypto/sodium.js'
import { decodeEnvelope } from '../../protocol/envelope.js'
import { isSecushareError } from '../../protocol/errors.js'
import { decodePlaceMessage, type PlaceMessage, type StateOp } from '../../protocol/place-message.js'
import { decodeWire, wireBytes, wireNumber } from '../../protocol/place-wire.js'
import type { Store, WriteTx } from '../store/lmdb.js'
import { verifyPlaceMessage } from './author.js'
import type { MessageRecord, PlaceRecord } from './records.js'
import { applyOps } from './state.js'
import { MAX_ID_AHEAD } from '../../protocol/limits.js'

/** An id more than this beyond my head is refused (protocol/limits.ts). */
export { MAX_ID_AHEAD }
/** The method of the host's wrapper around an author's message inside an envelope. */
export const WRAPPER_METHOD = '_message_place'

export type DropReason = 'malformed' | 'unknown-place' | 'wrong-place' | 'no-key' | 'duplicate' | 'too-far-ahead' |
  'before-admission' | 'bad-host-signature' | 'undecryptable' | 'bad-author-signature' | 'stale-generation' |
  /** pushed (direct delivery) by a peer that is not the place's host */ 'not-from-host'

export class DropCounter {
  readonly counts: Partial<Record<DropReason, number>> = {}
  add (reason: DropReason): void { this.counts[reason] = (this.counts[reason] ?? 0) + 1 }
  get total (): number { return Object.values(this.counts).reduce((a, b) => a + (b ?? 0), 0) }
}

export interface Accepted { record: MessageRecord, message: PlaceMessage }

/** The cheap checks gossip runs before forwarding: no decryption. */
export function precheck (sodium: Sodium, store: Store, place: PlaceRecord, bytes: Uint8Array): DropReason | undefined {
  let env
  try {
    env = decodeEnvelope(bytes)
  } catch {
    return 'malformed'
  }
  if (Buffer.from(env.placeId).toString('hex') !== place.id) return 'wrong-place'
  if (store.get('messages', [place.id, env.messageId]) !== undefined) return 'duplicate'
  if (env.messageId < place.sinceId) return 'before-admission'
  if (env.messageId > place.head + MAX_ID_AHEAD) return 'too-far-ahead'
  // after the duplicate check: a node may have wiped the keys of generations it has stored
  if (store.get('epochs', [place.id, env.generation]) === undefined) return 'no-key'
  return undefined
}

/** Fully checks `bytes`; returns what to store, or the reason to drop it. */
export function check (sodium: Sodium, store: Store, place: PlaceRecord, bytes: Uint8Array): Accepted | DropReason {
  const early = precheck(sodium, store, place, bytes)
  if (early !== undefined) return early
  let opened
  try {
    opened = openEnvelope(sodium, bytes, (g) => store.get<Uint8Array>('epochs', [place.id, g]))
  } catch (e) {
    if (isSecushareError(e, 'ENVELOPE_BAD_SIGNATURE')) return 'bad-host-signature'
    return 'undecryptable'
  }
  let message: PlaceMessage
  let prevStateful: number
  try {
    const wrapper = decodeWire(opened.plaintext)
    if (wrapper.method !== WRAPPER_METHOD) return 'malformed'
    prevStateful = wireNumber(wrapper, '_state_prev')
    message = decodePlaceMessage(wireBytes(wrapper, '_packet'))
  } catch {
    return 'malformed'
  }
  if (!verifyPlaceMessage(sodium, opened.placeId, message)) return 'bad-author-signature'
  return accepted(bytes, opened.messageId, opened.generation, message, prevStateful)
}

/**
 * What to store for an envelope whose checks passed (or, at the host, that it has just sealed
 * from a message it verified): the envelope as received, and the message it carries.
 */
export function accepted (envelope: Uint8Array, id: number, generation: number, message: PlaceMessage, prevStateful: number): Accepted {
  const stateful = (message.state?.length ?? 0) > 0
  const record: MessageRecord = {
    v: 1, id, generation, envelope: new Uint8Array(envelope),
    author: Buffer.from(message.author).toString('hex'), method: message.method, text: message.text ?? null,
    replyTo: message.replyTo ?? null, thread: message.thread ?? null, time: message.time,
    talkId: Buffer.from(message.talkId).toString('hex'), prevStateful: stateful ? prevStateful : null,
    stateOps: message.state ?? []
  }
  return { record, message }
}

/**
 * Stores an accepted message inside `tx`: the message, the talk id seen, the head and contiguous
 * marks, and the state of every stateful message that has now become applicable. Returns the
 * updated place record (also written).
 */
export function store (tx: WriteTx, place: PlaceRecord, a: Accepted): PlaceRecord {
  const p = { ...place }
  tx.put('messages', [p.id, a.record.id], a.record)
  tx.put('talkseen', [p.id, a.record.author, a.record.talkId], a.record.id)
  p.head = Math.max(p.head, a.record.id)
  while (tx.get('messages', [p.id, p.contiguous + 1]) !== undefined) p.contiguous++
  if (a.record.prevStateful !== null) tx.put('heldstate', [p.id, a.record.prevStateful], a.record.id)
  for (;;) {
    const next = tx.get<number>('heldstate', [p.id, p.lastStateful])
    if (next === undefined) break
    const m = tx.get<MessageRecord>('messages', [p.id, next])
    if (m === undefined) break
    tx.remove('heldstate', [p.id, p.lastStateful])
    applyStoredOps(tx, p.id, m.stateOps)
    p.lastStateful = m.id
  }
  tx.put('places', p.id, p)
  tx.emit({ type: 'place:message', place: p.id, id: a.record.id })
  return p
}

function applyStoredOps (tx: WriteTx, place: string, ops: StateOp[]): void {
  const current = new Map<string, Uint8Array>()
  for (const op of ops) {
    const v = tx.get<Uint8Array>('pstate', [place, op.name])
    if (v !== undefined) current.set(op.name, v)
  }
  const { state } = applyOps(current, ops)
  for (const op of ops) {
    const v = state.get(op.name)
    if (v === undefined) tx.remove('pstate', [place, op.name])
    else tx.put('pstate', [place, op.name], v)
  }
}
