/**
 * The keystore: how ego secret keys rest in the store.
 *
 * Without a passphrase, secrets are stored as they are and protected by the file mode (0600).
 * With one, a key-encryption key (KEK) is derived once with Argon2id from the passphrase and a
 * per-node salt; every ego secret is sealed with XChaCha20-Poly1305 under the KEK, with the ego's
 * public key as associated data (a sealed secret cannot be moved to another ego). A verifier — a
 * known text sealed under the KEK — tells a wrong passphrase from damage.
 *
 * Contract: records are versioned (`v: 1`); these shapes are persisted in the `node` and `egos`
 * sub-databases (store/schema.ts).
 */
import { SecushareError } from '../../protocol/errors.js'
import { NONCE_BYTES, SALT_BYTES, type Sodium } from '../crypto/sodium.js'

export type KeystoreParams =
  | { v: 1, protection: 'none' }
  | { v: 1, protection: 'passphrase', salt: Uint8Array, opslimit: number, memlimit: number, verifierNonce: Uint8Array, verifier: Uint8Array }

export type SealedSecret =
  | { v: 1, kind: 'plain', secretKey: Uint8Array }
  | { v: 1, kind: 'sealed', nonce: Uint8Array, ciphertext: Uint8Array }

export interface EgoRecord {
  v: 1
  publicKey: Uint8Array
  nick: string
  created: number
  secret: SealedSecret
}

const VERIFIER_TEXT = new TextEncoder().encode('secushare keystore v1')
/** Argon2id cost for the keystore: libsodium's "interactive" level (about 0.1–0.2 s here). */
export const KEYSTORE_OPSLIMIT = 2
export const KEYSTORE_MEMLIMIT = 64 * 1024 * 1024

export class Keystore {
  private constructor (private readonly sodium: Sodium, private readonly kek: Uint8Array | null) {}

  get protected (): boolean {
    return this.kek !== null
  }

  /** A new keystore; protected when a non-empty passphrase is given. */
  static create (sodium: Sodium, passphrase?: string): { keystore: Keystore, params: KeystoreParams } {
    if (passphrase === undefined) return { keystore: new Keystore(sodium, null), params: { v: 1, protection: 'none' } }
    if (passphrase.length === 0) throw new SecushareError('INVALID_ARGUMENT', 'the passphrase is empty')
    const salt = sodium.randomBytes(SALT_BYTES)
    const kek = sodium.pwhash(32, passphrase, salt, KEYSTORE_OPSLIMIT, KEYSTORE_MEMLIMIT)
    const verifierNonce = sodium.randomBytes(NONCE_BYTES)
    const verifier = sodium.aeadEncrypt(VERIFIER_TEXT, salt, verifierNonce, kek)
    return {
      keystore: new Keystore(sodium, kek),
      params: { v: 1, protection: 'passphrase', salt, opslimit: KEYSTORE_OPSLIMIT, memlimit: KEYSTORE_MEMLIMIT, verifierNonce, verifier }
    }
  }

  /** Opens an existing keystore. A protected one needs its passphrase (PASSPHRASE_REQUIRED, WRONG_PASSPHRASE). */
  static unlock (sodium: Sodium, params: KeystoreParams, passphrase?: string): Keystore {
    if (params.protection === 'none') return new Keystore(sodium, null)
    if (passphrase === undefined) throw new SecushareError('PASSPHRASE_REQUIRED', 'this node\'s keys are protected by a passphrase; give it with --passphrase-file or SECUSHARE_PASSPHRASE')
    const kek = sodium.pwhash(32, passphrase, params.salt, params.opslimit, params.memlimit)
    try {
      sodium.aeadDecrypt(params.verifier, params.salt, params.verifierNonce, kek)
    } catch {
      throw new SecushareError('WRONG_PASSPHRASE', 'wrong passphrase for this node\'s keys')
    }
    return new Keystore(sodium, kek)
  }

  seal (publicKey: Uint8Array, secretKey: Uint8Array): SealedSecret {
    if (this.kek === null) return { v: 1, kind: 'plain', secretKey }
    const nonce = this.sodium.randomBytes(NONCE_BYTES)
    return { v: 1, kind: 'sealed', nonce, ciphertext: this.sodium.aeadEncrypt(secretKey, publicKey, nonce, this.kek) }
  }

  /** Opens a sealed secret key (of an ego, or of a place this node hosts) and checks it matches `publicKey`. */
  open (record: { publicKey: Uint8Array, secret: SealedSecret }): Uint8Array {
    const s = record.secret
    let secretKey: Uint8Array
    if (s.kind === 'plain') {
      secretKey = s.secretKey
    } else {
      if (this.kek === null) throw new SecushareError('HOME_CORRUPT', 'a sealed secret in an unprotected keystore')
      try {
        secretKey = this.sodium.aeadDecrypt(s.ciphertext, record.publicKey, s.nonce, this.kek)
      } catch {
        throw new SecushareError('HOME_CORRUPT', 'a secret key does not open with the keystore key (damaged store?)')
      }
    }
    if (!this.sodium.equal(this.sodium.publicKeyFromSecret(secretKey), record.publicKey)) {
      throw new SecushareError('HOME_CORRUPT', 'a secret key does not match its public key (damaged store?)')
    }
    return secretKey
  }
}
