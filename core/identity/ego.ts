/**
 * Egos (this node's identities: Ed25519 key pairs, several per node) and nyms (other people's
 * ego public keys). An ego id is the lowercase hex of its 32-byte public key; it is what the CLI,
 * RPC and invite links show. The libp2p peer key is a different key (net/peer-key.ts): the network
 * address of a node never reveals which ego it serves.
 */
import { limitExceeded, SecushareError } from '../../protocol/errors.js'
import type { Sodium } from '../crypto/sodium.js'
import { MAX_NICK_BYTES } from '../../protocol/limits.js'

export const EGO_ID_PATTERN = /^[0-9a-f]{64}$/
/** Nicks are what a person calls themselves; shown to contacts (the limit lives in protocol/limits.ts). */
export { MAX_NICK_BYTES }

export interface Ego {
  id: string
  publicKey: Uint8Array
  secretKey: Uint8Array
  nick: string
  created: number
}

export interface Nym {
  id: string
  publicKey: Uint8Array
}

export function egoIdOf (publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new SecushareError('BAD_KEY', `an ego public key has 32 bytes, not ${publicKey.length}`)
  return Buffer.from(publicKey).toString('hex')
}

export function nymFromId (id: string): Nym {
  if (!EGO_ID_PATTERN.test(id)) {
    throw new SecushareError('INVALID_ARGUMENT', `not an ego id (64 lowercase hex digits): ${JSON.stringify(id.slice(0, 80))}`)
  }
  return { id, publicKey: new Uint8Array(Buffer.from(id, 'hex')) }
}

/** Returns the nick trimmed, or throws INVALID_ARGUMENT with the reason. */
export function validateNick (nick: string): string {
  const n = nick.trim()
  if (n.length === 0) throw new SecushareError('INVALID_ARGUMENT', 'a nick may not be empty')
  if (Buffer.byteLength(n) > MAX_NICK_BYTES) throw limitExceeded('MAX_NICK_BYTES', MAX_NICK_BYTES, Buffer.byteLength(n))
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(n)) throw new SecushareError('INVALID_ARGUMENT', 'a nick may not contain control characters')
  return n
}

export function createEgo (sodium: Sodium, nick: string, now = Date.now()): Ego {
  const { publicKey, secretKey } = sodium.signKeypair()
  return { id: egoIdOf(publicKey), publicKey, secretKey, nick: validateNick(nick), created: now }
}
