/**
 * Place keys: gossipsub topic names derived from epoch keys, and payloads sealed to one ego
 * (invitations, admissions, key handovers) as JSON inside a libsodium sealed box to the X25519
 * key derived from the ego's Ed25519 key. Byte fields travel as base64.
 */
import { SecushareError } from '../../protocol/errors.js'
import type { Sodium } from '../crypto/sodium.js'
import type { Ego } from '../identity/ego.js'

/** The gossipsub topic of one place generation: outsiders cannot map it to a place. */
export function topicFor (sodium: Sodium, epochKey: Uint8Array): string {
  return 'secushare/place/' + Buffer.from(sodium.hash(new TextEncoder().encode('secushare topic v1'), 16, epochKey)).toString('hex')
}

export interface EpochKey { generation: number, key: Uint8Array }

export function sealTo (sodium: Sodium, egoPublicKey: Uint8Array, payload: unknown): Uint8Array {
  // Buffers (as LMDB returns bytes) reach the replacer already turned into {type: 'Buffer', data}
  const json = JSON.stringify(payload, (_k, v: unknown) => {
    if (v instanceof Uint8Array) return { $b64: Buffer.from(v).toString('base64') }
    const b = v as { type?: unknown, data?: unknown }
    if (typeof v === 'object' && v !== null && b.type === 'Buffer' && Array.isArray(b.data)) return { $b64: Buffer.from(b.data as number[]).toString('base64') }
    return v
  })
  return sodium.seal(new TextEncoder().encode(json), sodium.x25519PublicFromEd(egoPublicKey))
}

export function openSealed<T> (sodium: Sodium, self: Ego, sealed: Uint8Array): T {
  const plain = sodium.sealOpen(sealed, sodium.x25519PublicFromEd(self.publicKey), sodium.x25519SecretFromEd(self.secretKey))
  try {
    return JSON.parse(new TextDecoder().decode(plain), (_k, v: unknown) =>
      (typeof v === 'object' && v !== null && typeof (v as { $b64?: unknown }).$b64 === 'string' ? new Uint8Array(Buffer.from((v as { $b64: string }).$b64, 'base64')) : v)) as T
  } catch {
    throw new SecushareError('PLACE_WIRE_INVALID', 'a sealed place payload is not valid JSON')
  }
}
