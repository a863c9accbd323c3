/**
 * Entry requests: someone who knows a place's address (protocol/place-address.ts) but was not
 * invited asks its host to be let in (`_request_place_entry` on /secushare/place/1.0.0, fields
 * `_place`, `_ego`, `_time`, `_text`, `_addrs`, `_signature`). The requester's ego signs, under
 * LABEL.PLACE_ENTRY,
 *   place id (32) | u64 time (ms since 1970) | u8 length + requester peer id | the note (UTF-8)
 * so a request names the node that will be admitted and cannot be replayed for another place or
 * from another node; the host refuses one signed more than MAX_ENTRY_CLOCK_SKEW_MS away from now.
 */
import { limitExceeded } from './errors.js'
import { MAX_ENTRY_TEXT_BYTES, MAX_INVITE_FIELD_BYTES } from './limits.js'

export interface EntryRequest { place: Uint8Array, ego: Uint8Array, peerId: string, time: number, text: string }

export function entrySigningBytes (r: EntryRequest): Uint8Array {
  const text = Buffer.from(r.text, 'utf8')
  if (text.length > MAX_ENTRY_TEXT_BYTES) throw limitExceeded('MAX_ENTRY_TEXT_BYTES', MAX_ENTRY_TEXT_BYTES, text.length)
  const peer = Buffer.from(r.peerId, 'utf8')
  if (peer.length === 0 || peer.length > MAX_INVITE_FIELD_BYTES) throw limitExceeded('MAX_INVITE_FIELD_BYTES', MAX_INVITE_FIELD_BYTES, peer.length)
  const time = Buffer.alloc(8)
  time.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(r.time))))
  return Buffer.concat([Buffer.from(r.place), time, Buffer.from([peer.length]), peer, text])
}
