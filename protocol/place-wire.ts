/**
 * Direct requests between nodes about places, protocol `/secushare/place/1.0.0`, on
 * Noise-authenticated libp2p streams. Each request and answer is one PSYC packet in one frame
 * (at most MAX_FRAME_BYTES). The method names the request; fields are `:` modifiers:
 *
 *   _request_place_talk    :_place :_packet          guest → host: a signed post (protocol/place-message.ts)
 *     → _notice_place_talk :_id                      the id the host assigned (also for a retry of the same post)
 *   _request_place_invite  :_place :_sealed          host → guest: an invitation sealed to the guest's ego
 *     → _notice_place_invite
 *   _request_place_enter   :_place                   guest → host: "admit me" (invited, or asking)
 *     → _notice_place_enter :_sealed                 place info and the epoch keys the history policy allows
 *   _request_place_keys    :_place :_generation      member → host: the key of a newer generation
 *     → _notice_place_keys :_sealed
 *   _request_place_replay  :_place :_from :_to       member → anyone holding the place: envelopes from..to
 *     → _notice_place_replay :_envelope (one frame per envelope) … then _notice_place_replay_end
 *   _notice_place_push     :_place :_envelope        host → member: a new message of a place it hosts (direct
 *                                                    delivery); no answer; more of them follow on the same stream
 *                                                    until the host closes it
 *   any request → _failure_place :_code :_text        refused (an error code from protocol/errors.ts)
 *
 * Who may ask what is decided by the answering node from the authenticated peer id.
 */
import { MAX_FRAME_BYTES } from './limits.js'
import { WireCodec, type WireMessage, type WireValue } from './request-wire.js'

export const PLACE_PROTOCOL = '/secushare/place/1.0.0'

export type { WireMessage, WireValue }

// a whole envelope of the largest bucket travels in one of these: the frame is the limit
const codec = new WireCodec({
  limit: { name: 'MAX_FRAME_BYTES', max: MAX_FRAME_BYTES }, invalid: 'PLACE_WIRE_INVALID', what: 'place request',
  failure: '_failure_place', unknownRefusal: 'PLACE_REFUSED'
})

export const encodeWire = (method: string, fields: Record<string, WireValue> = {}): Uint8Array => codec.encode(method, fields)
export const decodeWire = (bytes: Uint8Array): WireMessage => codec.decode(bytes)
export const wireBytes = (m: WireMessage, name: string, length?: number): Uint8Array => codec.bytes(m, name, length)
export const wireText = (m: WireMessage, name: string): string => codec.text(m, name)
export const wireNumber = (m: WireMessage, name: string): number => codec.number(m, name)
/** Throws the refusal carried by a `_failure_place` answer as a SecushareError with its code. */
export const throwIfFailure = (m: WireMessage, known: (code: string) => boolean): void => { codec.throwIfFailure(m, known) }
