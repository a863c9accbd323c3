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
import { MAX_NAMES_WIRE_BYTES } from './limits.js'
import { WireCodec, type WireMessage } from './request-wire.js'

export const ZONE_PROTOCOL = '/secushare/zone/1.0.0'
export const INTRODUCTION_PROTOCOL = '/secushare/introduction/1.0.0'

export type NamesMessage = WireMessage

const codec = new WireCodec({
  limit: { name: 'MAX_NAMES_WIRE_BYTES', max: MAX_NAMES_WIRE_BYTES }, invalid: 'NAMES_WIRE_INVALID', what: 'names request',
  failure: '_failure_names', unknownRefusal: 'NAMES_WIRE_INVALID'
})

export const encodeNames = (method: string, fields: Record<string, Uint8Array | string | undefined> = {}): Uint8Array => codec.encode(method, fields)
export const decodeNames = (bytes: Uint8Array): NamesMessage => codec.decode(bytes)
export const namesBytes = (m: NamesMessage, name: string, length?: number): Uint8Array => codec.bytes(m, name, length)
export const namesText = (m: NamesMessage, name: string): string => codec.text(m, name)
/** Throws the refusal in a `_failure_names` answer with its code (unknown codes become NAMES_WIRE_INVALID). */
export const throwIfNamesFailure = (m: NamesMessage, known: (code: string) => boolean): void => { codec.throwIfFailure(m, known) }
