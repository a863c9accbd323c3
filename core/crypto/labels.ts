/**
 * Labelled signatures: the signed bytes are `utf8(label) || 0x00 || message`, so a signature
 * cannot be moved from one kind of structure to another (protocol/labels.ts).
 */
import { SecushareError } from '../../protocol/errors.js'
import { isSignatureLabel, type SignatureLabel } from '../../protocol/labels.js'
import type { Sodium } from './sodium.js'

const utf8 = new TextEncoder()
const prefixes = new Map<SignatureLabel, Uint8Array>()

/** The bytes a labelled signature covers (a copy of `message` behind the label prefix). */
export function labelledMessage (label: SignatureLabel, message: Uint8Array): Uint8Array {
  let prefix = prefixes.get(label)
  if (prefix === undefined) {
    if (!isSignatureLabel(label)) throw new SecushareError('INVALID_ARGUMENT', `unknown signature label "${String(label)}"`)
    prefix = utf8.encode(label + '\0')
    prefixes.set(label, prefix)
  }
  const out = new Uint8Array(prefix.length + message.length)
  out.set(prefix)
  out.set(message, prefix.length)
  return out
}

export function signLabelled (sodium: Sodium, label: SignatureLabel, message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return sodium.sign(labelledMessage(label, message), secretKey)
}

/** False for a bad or malformed signature or key; throws only for an unknown label. */
export function verifyLabelled (
  sodium: Sodium, label: SignatureLabel, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array
): boolean {
  return sodium.verify(signature, labelledMessage(label, message), publicKey)
}
