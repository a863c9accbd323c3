/**
 * Fingerprints for humans: 80 bits of BLAKE2b over the ego public key, in Crockford base32
 * (no I, L, O, U: nothing to misread), four groups of four: `7K3Q-M9XA-P2DE-HT5W`.
 * Two people compare these aloud or side by side to check they hold the same key.
 */
import type { Sodium } from '../crypto/sodium.js'

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const FINGERPRINT_BYTES = 10

export function fingerprint (sodium: Sodium, publicKey: Uint8Array): string {
  const digest = sodium.hash(publicKey, 32).subarray(0, FINGERPRINT_BYTES)
  let bits = 0
  let acc = 0
  let out = ''
  for (const byte of digest) {
    acc = (acc << 8) | byte
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += ALPHABET[(acc >> bits) & 31]
    }
    acc &= (1 << bits) - 1
  }
  return out.match(/.{4}/g)!.join('-')
}
