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
 *   any request → _failure_place :_code :_text        refused (an error code from protocol/errors.ts)
 *
 * Who may ask what is decided by the answering node from the authenticated peer id.
 */
import { SecushareError } from './errors.js'
import { MAX_FRAME_BYTES } from './limits.js'
import { decodePacket, encodePacket, makePacket, modifierText, type Packet } from './packet.js'

export const PLACE_PROTOCOL = '/secushare/place/1.0.0'

export type WireValue = Uint8Array | string | number

const WIRE_LIMIT = { name: 'MAX_FRAME_BYTES', max: MAX_FRAME_BYTES }

export interface WireMessage { method: string, fields: Map<string, Uint8Array> }

export function encodeWire (method: string, fields: Record<string, WireValue> = {}): Uint8Array {
  const entity = Object.entries(fields).map(([name, value]) => ({ op: ':' as const, name, value: typeof value === 'number' ? String(value) : value }))
  // a whole envelope of the largest bucket travels in one of these: the frame is the limit
  return encodePacket(makePacket({ entity, method }, WIRE_LIMIT), WIRE_LIMIT)
}

const bad = (why: string): SecushareError => new SecushareError('PLACE_WIRE_INVALID', `malformed place request: ${why}`)

export function decodeWire (bytes: Uint8Array): WireMessage {
  let p: Packet
  try {
    p = decodePacket(bytes, WIRE_LIMIT)
  } catch (e) {
    throw bad((e as Error).message)
  }
  const method = p.content?.method
  if (method === undefined || method === null) throw bad('no method')
  const fields = new Map<string, Uint8Array>()
  for (const line of p.content?.entity ?? []) {
    if ('lone' in line || line.op !== ':') throw bad('unexpected entity line')
    fields.set(line.name, line.value)
  }
  return { method, fields }
}

export function wireBytes (m: WireMessage, name: string, length?: number): Uint8Array {
  const v = m.fields.get(name)
  if (v === undefined) throw bad(`${m.method} lacks ${name}`)
  if (length !== undefined && v.length !== length) throw bad(`${name} has ${v.length} bytes, not ${length}`)
  return new Uint8Array(v)
}

export function wireText (m: WireMessage, name: string): string {
  const v = wireBytes(m, name)
  try {
    return modifierText({ op: ':', name, value: v, binary: false })
  } catch {
    throw bad(`${name} is not UTF-8`)
  }
}

export function wireNumber (m: WireMessage, name: string): number {
  const t = wireText(m, name)
  if (!/^(0|[1-9][0-9]{0,15})$/.test(t) || !Number.isSafeInteger(Number(t))) throw bad(`${name} is not a canonical number`)
  return Number(t)
}

/** Throws the refusal carried by a `_failure_place` answer as a SecushareError with its code. */
export function throwIfFailure (m: WireMessage, known: (code: string) => boolean): void {
  if (m.method !== '_failure_place') return
  const code = m.fields.has('_code') ? wireText(m, '_code') : 'INTERNAL'
  const text = m.fields.has('_text') ? wireText(m, '_text') : 'refused'
  throw new SecushareError(known(code) ? code as never : 'PLACE_REFUSED', text.slice(0, 300), { remoteCode: code })
}

