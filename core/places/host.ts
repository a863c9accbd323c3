/**
 * The host's side of a place: sequencing posts (validate, assign the next id, seal, sign, store,
 * then publish), admission, and key generations.
 */
import { ENVELOPE_KIND } from '../../protocol/envelope.js'
import { SecushareError } from '../../protocol/errors.js'
import { decodePlaceMessage, encodePlaceMessage, type PlaceMessage } from '../../protocol/place-message.js'
import { encodeWire } from '../../protocol/place-wire.js'
import { sealEnvelope } from '../crypto/envelope-seal.js'
import type { Sodium } from '../crypto/sodium.js'
import type { Store } from '../store/lmdb.js'
import { verifyPlaceMessage } from './author.js'
import { accepted, store as storeAccepted, WRAPPER_METHOD } from './receive.js'
import type { MemberRecord, PlaceRecord } from './records.js'

/** Methods a guest may post; everything else (notices, state) only the host's own ego. */
export const GUEST_METHODS = ['_converse', '_converse_reply', '_converse_reaction']

export function guestMayPost (method: string): boolean {
  return GUEST_METHODS.some((m) => method === m || method.startsWith(m + '_'))
}

export interface Sequenced { id: number, envelope: Uint8Array, place: PlaceRecord, duplicate: boolean }

/**
 * Sequences one authored message in a place I host. `fromEgo` is the ego the request came from
 * (my own for local posts). Returns the stored envelope to publish. Throws with a code when refused.
 */
export async function sequence (sodium: Sodium, db: Store, placeSecret: Uint8Array, placeId: string, m: PlaceMessage): Promise<Sequenced> {
  const place = db.get<PlaceRecord>('places', placeId)
  if (place === undefined || place.role !== 'host') throw new SecushareError('NOT_HOST', `this node does not host ${placeId}`)
  if (place.closed) throw new SecushareError('PLACE_CLOSED', 'the place is closed')
  const author = Buffer.from(m.author).toString('hex')
  const isHost = author === place.hostEgo
  const member = db.get<MemberRecord>('members', [placeId, author])
  if (!isHost && member?.status !== 'member') throw new SecushareError('NOT_A_MEMBER', 'the author is not a member of this place')
  if (!isHost && (!guestMayPost(m.method) || (m.state?.length ?? 0) > 0)) {
    throw new SecushareError('PLACE_REFUSED', `guests may not post ${m.method} or change the place state`)
  }
  if (!verifyPlaceMessage(sodium, Buffer.from(placeId, 'hex'), m)) throw new SecushareError('PLACE_REFUSED', 'the author signature does not verify')
  const talk = Buffer.from(m.talkId).toString('hex')
  const seen = db.get<number>('talkseen', [placeId, author, talk])
  if (seen !== undefined) {
    const rec = db.get<{ envelope: Uint8Array }>('messages', [placeId, seen])!
    return { id: seen, envelope: rec.envelope, place, duplicate: true }
  }
  const epochKey = db.get<Uint8Array>('epochs', [placeId, place.generation])
  if (epochKey === undefined) throw new SecushareError('INTERNAL', `no key for the current generation of ${placeId}`)
  return await db.write((tx) => {
    const p = tx.get<PlaceRecord>('places', placeId)!
    const again = tx.get<number>('talkseen', [placeId, author, talk])
    if (again !== undefined) return { id: again, envelope: tx.get<{ envelope: Uint8Array }>('messages', [placeId, again])!.envelope, place: p, duplicate: true }
    const id = p.head + 1
    const packet = encodePlaceMessage(m)
    decodePlaceMessage(packet) // what members could not decode is refused here, not stored
    const plaintext = encodeWire(WRAPPER_METHOD, { _state_prev: p.lastStateful, _packet: packet })
    const envelope = sealEnvelope(sodium, { kind: ENVELOPE_KIND.PLACE_MESSAGE, placeSecretKey: placeSecret, messageId: id, generation: p.generation, epochKey, plaintext })
    // stored as a member stores it, without opening again what was just sealed from a verified message
    const updated = storeAccepted(tx, p, accepted(envelope, id, p.generation, m, p.lastStateful))
    return { id, envelope, place: updated, duplicate: false }
  })
}
