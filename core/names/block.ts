/**
 * Sealing and opening zone blocks (protocol/zone-record.ts). For a zone key Z and a label L:
 *   label key = BLAKE2b-256(keyed with Z) over "secushare/zone-key/v1" 0x00 L
 *   query     = BLAKE2b-256(keyed with the label key) over "secushare/zone-query/v1"
 * The record set is encrypted with the label key (XChaCha20-Poly1305, the block's fixed fields as
 * associated data) and the block signed by Z. A node serving a block and a node forwarding it see
 * only the query: without knowing Z and L they can neither read the records nor tell the label.
 */
import { SecushareError } from '../../protocol/errors.js'
import { LABEL } from '../../protocol/labels.js'
import {
  BLOCK_NONCE_BYTES, blockSignedBytes, decodeBlock, decodeRecordSet, encodeBlock, encodeRecordSet, type ZoneRecord
} from '../../protocol/zone-record.js'
import { signLabelled, verifyLabelled } from '../crypto/labels.js'
import type { Sodium } from '../crypto/sodium.js'

const utf8 = new TextEncoder()

export function labelKey (sodium: Sodium, zone: Uint8Array, label: string): Uint8Array {
  return sodium.hash(Buffer.concat([utf8.encode('secushare/zone-key/v1'), Buffer.from([0]), utf8.encode(label)]), 32, zone)
}

export function queryOf (sodium: Sodium, zone: Uint8Array, label: string): Uint8Array {
  return sodium.hash(utf8.encode('secushare/zone-query/v1'), 32, labelKey(sodium, zone, label))
}

/** A signed block of `records` (all public) under `label`, valid until `expires` (unix ms). */
export function sealBlock (sodium: Sodium, zone: { publicKey: Uint8Array, secretKey: Uint8Array }, label: string, records: ZoneRecord[], expires: number): Uint8Array {
  const key = labelKey(sodium, zone.publicKey, label)
  const query = sodium.hash(utf8.encode('secushare/zone-query/v1'), 32, key)
  const nonce = sodium.randomBytes(BLOCK_NONCE_BYTES)
  const ad = Buffer.concat([zone.publicKey, query])
  const ciphertext = sodium.aeadEncrypt(encodeRecordSet(records), ad, nonce, key)
  const signed = blockSignedBytes({ zone: zone.publicKey, query, expires, nonce, ciphertext })
  return encodeBlock(signed, signLabelled(sodium, LABEL.ZONE_RECORD, signed, zone.secretKey))
}

export interface OpenedBlock { records: ZoneRecord[], expires: number }

/**
 * Checks a block from a peer for (zone, label), cheapest first: layout and size, the zone key it
 * names, the query, the block's expiry, the signature, decryption, the record set, each record's
 * expiry. Every failure is a SecushareError with its own code.
 */
export function openBlock (sodium: Sodium, bytes: Uint8Array, zone: Uint8Array, label: string, now: number): OpenedBlock {
  const b = decodeBlock(bytes)
  if (!sodium.equal(b.zone, zone)) throw new SecushareError('ZONE_WRONG_KEY', 'the block is signed for another zone than the one asked')
  const key = labelKey(sodium, zone, label)
  if (!sodium.equal(b.query, sodium.hash(utf8.encode('secushare/zone-query/v1'), 32, key))) throw new SecushareError('ZONE_RECORD_INVALID', 'the block answers another query')
  if (b.expires <= now) throw new SecushareError('ZONE_RECORD_EXPIRED', `the block expired at ${new Date(b.expires).toISOString()}`)
  if (!verifyLabelled(sodium, LABEL.ZONE_RECORD, b.signature, b.signed, zone)) throw new SecushareError('ZONE_RECORD_INVALID', 'the block signature does not verify (tampered or damaged)')
  let plain: Uint8Array
  try {
    plain = sodium.aeadDecrypt(b.ciphertext, Buffer.concat([b.zone, b.query]), b.nonce, key)
  } catch {
    throw new SecushareError('ZONE_RECORD_INVALID', 'the block does not decrypt under its label key')
  }
  const records = decodeRecordSet(plain)
  for (const r of records) {
    if (r.expires !== 0 && r.expires <= now) throw new SecushareError('ZONE_RECORD_EXPIRED', `a ${r.type} record expired at ${new Date(r.expires).toISOString()}`)
  }
  return { records, expires: b.expires }
}
