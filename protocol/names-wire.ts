/**
 * Requests between nodes about names, each request and answer one PSYC packet in one frame (at
 * most MAX_NAMES_WIRE_BYTES), on Noise-authenticated libp2p streams. Fields are `:` modifiers.
 *
 * `/secushare/zone/1.0.0` (answered to contacts only):
 *   _request_zone_lookup :_zone (32) :_query (32) [:_via (k × 32)]
 *     → _notice_zone_block :_block                 the block for that query (protocol/zone-record.ts)
 *     `_via` lists the zones still to pass: the answering node forwards the request (without the
 *     first entry) to its contact owning `_via[0]`, and hands the answer back unchanged.
 *   _request_zone_vouch :_zone (32) :_ego (32) [:_label]
 *     → _notice_zone_vouch [:_label_vouch :_block_vouch] [:_block_label]
 *     the block of a public PKEY record naming `_ego` (with its label), and the block under `_label`
 * `/secushare/introduction/1.0.0`:
 *   _request_introduction :_introduction           introducer → each of the two (protocol/introduction.ts)
 *     → _notice_introduction
 *   _request_introduction_contact :_id (16) :_ego (32) :_nick :_signature (64)
 *     → _notice_introduction_contact :_ego (32) :_nick :_signature (64)
 *   any request → _failure_names :_code :_text     refused (an error code from protocol/errors.ts)
 */
import { limitExceeded, SecushareError } from './errors.js'
import { MAX_NAMES_WIRE_BYTES } from './limits.js'
import { decodePacket, encodePacket, makePacket, modifierText, type Packet } from './packet.js'

export const ZONE_PROTOCOL = '/secushare/zone/1.0.0'
export const INTRODUCTION_PROTOCOL = '/secushare/introduction/1.0.0'

export interface NamesMessage { method: string, fields: Map<string, Uint8Array> }

const bad = (why: string): SecushareError => new SecushareError('NAMES_WIRE_INVALID', `malformed names request: ${why}`)

export function encodeNames (method: string, fields: Record<string, Uint8Array | string | undefined> = {}): Uint8Array {
  const entity = Object.entries(fields).filter((e): e is [string, Uint8Array | string] => e[1] !== undefined).map(([name, value]) => ({ op: ':' as const, name, value }))
  const bytes = encodePacket(makePacket({ entity, method }))
  if (bytes.length > MAX_NAMES_WIRE_BYTES) throw limitExceeded('MAX_NAMES_WIRE_BYTES', MAX_NAMES_WIRE_BYTES, bytes.length)
  return bytes
}

export function decodeNames (bytes: Uint8Array): NamesMessage {
  if (bytes.length > MAX_NAMES_WIRE_BYTES) throw limitExceeded('MAX_NAMES_WIRE_BYTES', MAX_NAMES_WIRE_BYTES, bytes.length)
  let p: Packet
  try {
    p = decodePacket(bytes)
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

export function namesBytes (m: NamesMessage, name: string, length?: number): Uint8Array {
  const v = m.fields.get(name)
  if (v === undefined) throw bad(`${m.method} lacks ${name}`)
  if (length !== undefined && v.length !== length) throw bad(`${name} has ${v.length} bytes, not ${length}`)
  return new Uint8Array(v)
}

export function namesText (m: NamesMessage, name: string): string {
  try {
    return modifierText({ op: ':', name, value: namesBytes(m, name), binary: false })
  } catch (e) {
    if (e instanceof SecushareError && e.code === 'NAMES_WIRE_INVALID') throw e
    throw bad(`${name} is not UTF-8`)
  }
}

/** Throws the refusal in a `_failure_names` answer with its code (unknown codes become NAMES_WIRE_INVALID). */
export function throwIfNamesFailure (m: NamesMessage, known: (code: string) => boolean): void {
  if (m.method !== '_failure_names') return
  const code = m.fields.has('_code') ? namesText(m, '_code') : 'INTERNAL'
  const text = m.fields.has('_text') ? namesText(m, '_text') : 'refused'
  throw new SecushareError(known(code) ? code as never : 'NAMES_WIRE_INVALID', text.slice(0, 300), { remoteCode: code })
}
