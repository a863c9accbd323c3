/**
 * Author signatures on place messages (protocol/place-message.ts): Ed25519 by the author's ego key
 * under LABEL.AUTHOR over authorSigningBytes(placeId, message), i.e.
 * `utf8("secushare/author/v1") || 0x00 || placeId(32) || canonical packet without :_sig_author`.
 */
import { SecushareError, isSecushareError } from '../../protocol/errors.js'
import { LABEL } from '../../protocol/labels.js'
import { authorSigningBytes, type PlaceMessage, type UnsignedPlaceMessage } from '../../protocol/place-message.js'
import { signLabelled, verifyLabelled } from '../crypto/labels.js'
import type { Sodium } from '../crypto/sodium.js'

/**
 * Signs `unsigned` as its author. The secret key must belong to `unsigned.author` (else BAD_KEY:
 * the result would never verify). Field rules and limits raise what encodePlaceMessage raises.
 */
export function signPlaceMessage (sodium: Sodium, placeId: Uint8Array, unsigned: UnsignedPlaceMessage, egoSecretKey: Uint8Array): PlaceMessage {
  const bytes = authorSigningBytes(placeId, unsigned)
  const publicKey = sodium.publicKeyFromSecret(egoSecretKey)
  if (!sodium.equal(publicKey, unsigned.author)) throw new SecushareError('BAD_KEY', 'the secret key is not the key of the message author')
  const signature = signLabelled(sodium, LABEL.AUTHOR, bytes, egoSecretKey)
  const { signature: _ignored, ...fields } = unsigned as PlaceMessage
  return { ...fields, signature }
}

/**
 * True when `m.signature` is the author's signature over `m` in the place `placeId`. False (never
 * a throw) for a bad signature, a malformed field or key, or a message that cannot be encoded.
 */
export function verifyPlaceMessage (sodium: Sodium, placeId: Uint8Array, m: PlaceMessage): boolean {
  let bytes: Uint8Array
  try {
    bytes = authorSigningBytes(placeId, m)
  } catch (e) {
    if (isSecushareError(e)) return false
    throw e
  }
  if (!(m.signature instanceof Uint8Array)) return false
  return verifyLabelled(sodium, LABEL.AUTHOR, m.signature, bytes, m.author)
}
