/**
 * What two egos share for relaying (docs/relays.md): a pair secret from X25519 of their keys, and
 * from it the deposit tags of each time slot and the key that seals blobs. Nothing here is ever
 * given to a relay except tags and sealed blobs.
 *
 *   shared   = X25519(my Ed25519 secret → X25519, your Ed25519 public → X25519)
 *   pair     = BLAKE2b-256("secushare/relay-pair/v1" ‖ 0 ‖ lower ego ‖ higher ego ‖ shared)
 *   tag      = BLAKE2b-128 keyed with pair ("secushare/relay-tag/v1" ‖ 0 ‖ recipient ego ‖ slot as u64 BE)
 *   box key  = BLAKE2b-256 keyed with pair ("secushare/relay-box/v1" ‖ 0 ‖ recipient ego)
 *   blob     = nonce (24) ‖ XChaCha20-Poly1305(box key, ad = tag, pad(kind ‖ place id ‖ envelope))
 *
 * The tag is a keyed hash of the slot: without the pair secret, tags of two slots (or two pairs)
 * are unrelated random-looking strings. The padded plaintext makes every blob one of
 * RELAY_BLOB_SIZES.
 */
import { SecushareError } from '../../protocol/errors.js'
import { RELAY_BLOB_SIZES, RELAY_SLOT_MS, RELAY_TAG_BYTES } from '../../protocol/limits.js'
import { NONCE_BYTES, TAG_BYTES, type Sodium } from '../crypto/sodium.js'

const utf8 = new TextEncoder()
const PAIR_LABEL = utf8.encode('secushare/relay-pair/v1\0')
const TAG_LABEL = utf8.encode('secushare/relay-tag/v1\0')
const BOX_LABEL = utf8.encode('secushare/relay-box/v1\0')
/** Blob kinds (first plaintext byte): a place envelope from the host, a guest's signed post for the host. */
export const BLOB_PLACE_ENVELOPE = 1
export const BLOB_GUEST_TALK = 2
export type BlobKind = typeof BLOB_PLACE_ENVELOPE | typeof BLOB_GUEST_TALK
const BLOB_HEADER = 1 + 32

const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

const lessThan = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) < 0

/** The pair secret of my ego (secret key) and another ego (public key); the same from both sides. */
export function pairSecret (sodium: Sodium, mySecretKey: Uint8Array, myPublicKey: Uint8Array, otherPublicKey: Uint8Array): Uint8Array {
  const shared = sodium.x25519(sodium.x25519SecretFromEd(mySecretKey), sodium.x25519PublicFromEd(otherPublicKey))
  const [lo, hi] = lessThan(myPublicKey, otherPublicKey) ? [myPublicKey, otherPublicKey] : [otherPublicKey, myPublicKey]
  const pair = sodium.hash(cat(PAIR_LABEL, lo, hi, shared), 32)
  sodium.wipe(shared)
  return pair
}

export const slotOf = (timeMs: number): number => Math.floor(timeMs / RELAY_SLOT_MS)

const u64 = (n: number): Uint8Array => {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, BigInt(n))
  return b
}

/** The tag under which blobs for `recipient` (ego public key) are deposited in `slot`. */
export function tagFor (sodium: Sodium, pair: Uint8Array, recipient: Uint8Array, slot: number): Uint8Array {
  return sodium.hash(cat(TAG_LABEL, recipient, u64(slot)), RELAY_TAG_BYTES, pair)
}

export function boxKey (sodium: Sodium, pair: Uint8Array, recipient: Uint8Array): Uint8Array {
  return sodium.hash(cat(BOX_LABEL, recipient), 32, pair)
}

/** The smallest blob size whose plaintext holds the header, the payload and the padding marker. */
export function blobSizeFor (payloadLength: number): number {
  const need = BLOB_HEADER + payloadLength + 1 + NONCE_BYTES + TAG_BYTES
  const size = RELAY_BLOB_SIZES.find((s) => s >= need)
  if (size === undefined) throw new SecushareError('LIMIT_EXCEEDED', `a payload of ${payloadLength} bytes does not fit a relay blob`, { limit: 'MAX_RELAY_BLOB_BYTES' })
  return size
}

/** Seals a place envelope (or, kind BLOB_GUEST_TALK, a guest's post) for the recipient: a blob of one of RELAY_BLOB_SIZES. */
export function sealBlob (sodium: Sodium, key: Uint8Array, tag: Uint8Array, placeId: Uint8Array, envelope: Uint8Array, kind: BlobKind = BLOB_PLACE_ENVELOPE): Uint8Array {
  const size = blobSizeFor(envelope.length)
  const plain = new Uint8Array(size - NONCE_BYTES - TAG_BYTES)
  plain[0] = kind
  plain.set(placeId, 1)
  plain.set(envelope, BLOB_HEADER)
  plain[BLOB_HEADER + envelope.length] = 0x80
  const nonce = sodium.randomBytes(NONCE_BYTES)
  return cat(nonce, sodium.aeadEncrypt(plain, tag, nonce, key))
}

/** Opens a blob: DECRYPT_FAILED or RELAY_BLOB_INVALID for anything not sealed by the pair for this tag. */
export function openBlob (sodium: Sodium, key: Uint8Array, tag: Uint8Array, blob: Uint8Array): { kind: BlobKind, placeId: Uint8Array, envelope: Uint8Array } {
  if (!RELAY_BLOB_SIZES.includes(blob.length)) throw new SecushareError('RELAY_BLOB_INVALID', `a blob of ${blob.length} bytes is not one of the blob sizes`)
  const plain = sodium.aeadDecrypt(blob.subarray(NONCE_BYTES), tag, blob.subarray(0, NONCE_BYTES), key)
  let end = plain.length - 1
  while (end >= 0 && plain[end] === 0) end--
  const kind = plain[0]
  if (end < BLOB_HEADER || plain[end] !== 0x80 || (kind !== BLOB_PLACE_ENVELOPE && kind !== BLOB_GUEST_TALK)) throw new SecushareError('RELAY_BLOB_INVALID', 'the blob holds no place envelope or post')
  return { kind, placeId: plain.slice(1, BLOB_HEADER), envelope: plain.slice(BLOB_HEADER, end) }
}
