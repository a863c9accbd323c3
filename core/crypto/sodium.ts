/**
 * The one door through which libsodium enters secushare.
 *
 * Two backends with identical behaviour sit behind the `Sodium` interface: sodium-native (N-API,
 * 2.5–7× faster, used where its prebuilt binary loads) and libsodium-wrappers-sumo (WASM, loads
 * everywhere). Contract of every method:
 * - arguments are checked here, before libsodium sees them; a wrong key length or a key that is
 *   not a valid point raises SecushareError BAD_KEY, any other malformed argument
 *   INVALID_ARGUMENT. No libsodium exception or AssertionError ever leaves this module.
 * - authentication failures raise DECRYPT_FAILED (`verify` returns false instead).
 * - outputs are fresh plain Uint8Arrays (never Buffers, never views into a WASM heap), except
 *   `unpad`, which returns a view into its input.
 * Both backends run the same test suite (test/crypto.test.ts), including cross-backend interop.
 */
import { SecushareError } from '../../protocol/errors.js'
import type NativeModule from 'sodium-native'

type SodiumNative = typeof NativeModule
type SodiumWasm = (typeof import('libsodium-wrappers-sumo'))['default']

export type SodiumBackend = 'native' | 'wasm'

/** Ed25519 */
export const PUBLIC_KEY_BYTES = 32
export const SECRET_KEY_BYTES = 64
export const SEED_BYTES = 32
export const SIGNATURE_BYTES = 64
/** X25519 keys (both halves) and the overhead of a sealed box (ephemeral key + MAC). */
export const X25519_KEY_BYTES = 32
export const SEAL_OVERHEAD_BYTES = 48
/** XChaCha20-Poly1305 IETF AEAD */
export const KEY_BYTES = 32
export const NONCE_BYTES = 24
export const TAG_BYTES = 16
/** BLAKE2b output and key lengths; KDF master key and context. */
export const HASH_BYTES_MIN = 16
export const HASH_BYTES_MAX = 64
export const HASH_KEY_BYTES_MIN = 16
export const HASH_KEY_BYTES_MAX = 64
export const KDF_KEY_BYTES = 32
export const KDF_CONTEXT_BYTES = 8
/** Argon2id. The maxima are this adapter's: the WASM backend cannot go higher. */
export const SALT_BYTES = 16
export const PWHASH_OPSLIMIT_INTERACTIVE = 2
export const PWHASH_MEMLIMIT_INTERACTIVE = 64 * 1024 * 1024
export const PWHASH_OPSLIMIT_MIN = 1
export const PWHASH_OPSLIMIT_MAX = 0x7fff_ffff
export const PWHASH_MEMLIMIT_MIN = 8192
export const PWHASH_MEMLIMIT_MAX = 1024 * 1024 * 1024
/** The largest `randomBytes` request. */
export const RANDOM_BYTES_MAX = 1024 * 1024 * 1024

export interface SignKeyPair { publicKey: Uint8Array, secretKey: Uint8Array }

export interface Sodium {
  readonly backend: SodiumBackend

  randomBytes: (n: number) => Uint8Array

  /** A fresh key pair, or the one a 32-byte seed determines. */
  signKeypair: (seed?: Uint8Array) => SignKeyPair
  /** Detached Ed25519 signature (64 bytes). Deterministic. */
  sign: (message: Uint8Array, secretKey: Uint8Array) => Uint8Array
  /** False for a bad signature and for a malformed signature or public key; never throws. */
  verify: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean
  publicKeyFromSecret: (secretKey: Uint8Array) => Uint8Array

  x25519PublicFromEd: (publicKey: Uint8Array) => Uint8Array
  x25519SecretFromEd: (secretKey: Uint8Array) => Uint8Array
  /**
   * X25519 (crypto_scalarmult): the raw shared point of my secret and your public key. Never use
   * it as a key directly: hash it with both public keys and a label. BAD_KEY for a low-order point
   * (all-zero result).
   */
  x25519: (x25519Secret: Uint8Array, x25519Public: Uint8Array) => Uint8Array

  /** Anonymous sealed box to an X25519 public key; `SEAL_OVERHEAD_BYTES` longer than the message. */
  seal: (message: Uint8Array, x25519Public: Uint8Array) => Uint8Array
  sealOpen: (ciphertext: Uint8Array, x25519Public: Uint8Array, x25519Secret: Uint8Array) => Uint8Array

  /** XChaCha20-Poly1305 IETF; the ciphertext is `TAG_BYTES` longer than the message. */
  aeadEncrypt: (message: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array) => Uint8Array
  aeadDecrypt: (ciphertext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array) => Uint8Array

  /** BLAKE2b, `outLen` in 16..64, optional key of 16..64 bytes. */
  hash: (message: Uint8Array, outLen?: number, key?: Uint8Array) => Uint8Array
  /** crypto_kdf (BLAKE2b): subkey `subkeyId` (0..2^53-1) of a 32-byte master key; context is 8 ASCII chars. */
  kdfDerive: (masterKey: Uint8Array, subkeyId: number, context: string, outLen?: number) => Uint8Array
  /** Argon2id 1.3; a string passphrase is taken as UTF-8. */
  pwhash: (outLen: number, passphrase: Uint8Array | string, salt: Uint8Array, opslimit: number, memlimit: number) => Uint8Array

  /** Constant-time comparison; different lengths compare unequal. */
  equal: (a: Uint8Array, b: Uint8Array) => boolean
  /** ISO/IEC 7816-4 padding (sodium_pad) to a multiple of blockSize, always at least one byte. */
  pad: (buf: Uint8Array, blockSize: number) => Uint8Array
  /** Inverse of `pad` (sodium_unpad): a view into `buf`; PADDING_INVALID when malformed. */
  unpad: (buf: Uint8Array, blockSize: number) => Uint8Array
  /** Overwrite with zeros (sodium_memzero). */
  wipe: (buf: Uint8Array) => void
}

/**
 * Raw libsodium, one per backend. Arguments are already checked by `CheckedSodium`; expected
 * failures (bad MAC, invalid point, bad padding) come back as null, never as a throw.
 */
interface Primitives {
  readonly backend: SodiumBackend
  randomBytes: (n: number) => Uint8Array
  signSeedKeypair: (seed: Uint8Array) => SignKeyPair
  sign: (m: Uint8Array, sk: Uint8Array) => Uint8Array
  verify: (sig: Uint8Array, m: Uint8Array, pk: Uint8Array) => boolean
  skToPk: (sk: Uint8Array) => Uint8Array
  pkToX25519: (pk: Uint8Array) => Uint8Array | null
  skToX25519: (sk: Uint8Array) => Uint8Array
  /** null for a low-order point. */
  scalarmult: (sk: Uint8Array, pk: Uint8Array) => Uint8Array | null
  seal: (m: Uint8Array, pk: Uint8Array) => Uint8Array
  sealOpen: (c: Uint8Array, pk: Uint8Array, sk: Uint8Array) => Uint8Array | null
  aeadEncrypt: (m: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array) => Uint8Array
  aeadDecrypt: (c: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array) => Uint8Array | null
  hash: (m: Uint8Array, outLen: number, key: Uint8Array | undefined) => Uint8Array
  kdf: (key: Uint8Array, id: number, context: string, outLen: number) => Uint8Array
  pwhash: (outLen: number, pw: Uint8Array, salt: Uint8Array, ops: number, mem: number) => Uint8Array
  /** Equal lengths only. */
  equal: (a: Uint8Array, b: Uint8Array) => boolean
  pad: (buf: Uint8Array, blockSize: number) => Uint8Array
  /** The unpadded length, or null. */
  unpadLength: (buf: Uint8Array, blockSize: number) => number | null
  wipe: (buf: Uint8Array) => void
}

const utf8 = new TextEncoder()

function fail (code: 'BAD_KEY' | 'INVALID_ARGUMENT', message: string, detail: Record<string, unknown> = {}): never {
  throw new SecushareError(code, message, detail)
}

function bytes (x: unknown, what: string): Uint8Array {
  if (!(x instanceof Uint8Array)) fail('INVALID_ARGUMENT', `${what} must be a Uint8Array`)
  return x
}

function keyOf (x: unknown, length: number, what: string): Uint8Array {
  const k = bytes(x, what)
  if (k.length !== length) fail('BAD_KEY', `${what} must be ${length} bytes, not ${k.length}`, { expected: length, actual: k.length })
  return k
}

function exactly (x: unknown, length: number, what: string): Uint8Array {
  const b = bytes(x, what)
  if (b.length !== length) fail('INVALID_ARGUMENT', `${what} must be ${length} bytes, not ${b.length}`, { expected: length, actual: b.length })
  return b
}

function intIn (n: unknown, min: number, max: number, what: string): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
    fail('INVALID_ARGUMENT', `${what} must be an integer in ${min}..${max}`, { min, max, actual: n })
  }
  return n
}

function decryptFailed (what: string): SecushareError {
  return new SecushareError('DECRYPT_FAILED', `${what}: authentication failed`)
}

class CheckedSodium implements Sodium {
  readonly backend: SodiumBackend

  constructor (private readonly raw: Primitives) {
    this.backend = raw.backend
  }

  randomBytes (n: number): Uint8Array {
    return this.raw.randomBytes(intIn(n, 0, RANDOM_BYTES_MAX, 'n'))
  }

  signKeypair (seed?: Uint8Array): SignKeyPair {
    const s = seed === undefined ? this.raw.randomBytes(SEED_BYTES) : keyOf(seed, SEED_BYTES, 'seed')
    return this.raw.signSeedKeypair(s)
  }

  sign (message: Uint8Array, secretKey: Uint8Array): Uint8Array {
    return this.raw.sign(bytes(message, 'message'), keyOf(secretKey, SECRET_KEY_BYTES, 'secret key'))
  }

  verify (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_BYTES) return false
    return this.raw.verify(signature, bytes(message, 'message'), publicKey)
  }

  publicKeyFromSecret (secretKey: Uint8Array): Uint8Array {
    return this.raw.skToPk(keyOf(secretKey, SECRET_KEY_BYTES, 'secret key'))
  }

  x25519PublicFromEd (publicKey: Uint8Array): Uint8Array {
    const x = this.raw.pkToX25519(keyOf(publicKey, PUBLIC_KEY_BYTES, 'public key'))
    if (x === null) fail('BAD_KEY', 'the Ed25519 public key is not a valid point')
    return x
  }

  x25519SecretFromEd (secretKey: Uint8Array): Uint8Array {
    return this.raw.skToX25519(keyOf(secretKey, SECRET_KEY_BYTES, 'secret key'))
  }

  x25519 (x25519Secret: Uint8Array, x25519Public: Uint8Array): Uint8Array {
    const q = this.raw.scalarmult(keyOf(x25519Secret, X25519_KEY_BYTES, 'X25519 secret key'), keyOf(x25519Public, X25519_KEY_BYTES, 'X25519 public key'))
    if (q === null || q.every((b) => b === 0)) fail('BAD_KEY', 'the X25519 public key is a low-order point')
    return q
  }

  seal (message: Uint8Array, x25519Public: Uint8Array): Uint8Array {
    return this.raw.seal(bytes(message, 'message'), keyOf(x25519Public, X25519_KEY_BYTES, 'X25519 public key'))
  }

  sealOpen (ciphertext: Uint8Array, x25519Public: Uint8Array, x25519Secret: Uint8Array): Uint8Array {
    const c = bytes(ciphertext, 'ciphertext')
    const pk = keyOf(x25519Public, X25519_KEY_BYTES, 'X25519 public key')
    const sk = keyOf(x25519Secret, X25519_KEY_BYTES, 'X25519 secret key')
    const m = c.length < SEAL_OVERHEAD_BYTES ? null : this.raw.sealOpen(c, pk, sk)
    if (m === null) throw decryptFailed('sealed box')
    return m
  }

  aeadEncrypt (message: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
    return this.raw.aeadEncrypt(bytes(message, 'message'), bytes(ad, 'associated data'),
      exactly(nonce, NONCE_BYTES, 'nonce'), keyOf(key, KEY_BYTES, 'key'))
  }

  aeadDecrypt (ciphertext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
    const c = bytes(ciphertext, 'ciphertext')
    const a = bytes(ad, 'associated data')
    const n = exactly(nonce, NONCE_BYTES, 'nonce')
    const k = keyOf(key, KEY_BYTES, 'key')
    const m = c.length < TAG_BYTES ? null : this.raw.aeadDecrypt(c, a, n, k)
    if (m === null) throw decryptFailed('AEAD')
    return m
  }

  hash (message: Uint8Array, outLen = 32, key?: Uint8Array): Uint8Array {
    intIn(outLen, HASH_BYTES_MIN, HASH_BYTES_MAX, 'hash length')
    if (key !== undefined) {
      const k = bytes(key, 'hash key')
      if (k.length < HASH_KEY_BYTES_MIN || k.length > HASH_KEY_BYTES_MAX) {
        fail('BAD_KEY', `hash key must be ${HASH_KEY_BYTES_MIN}..${HASH_KEY_BYTES_MAX} bytes, not ${k.length}`)
      }
    }
    return this.raw.hash(bytes(message, 'message'), outLen, key)
  }

  kdfDerive (masterKey: Uint8Array, subkeyId: number, context: string, outLen = 32): Uint8Array {
    const k = keyOf(masterKey, KDF_KEY_BYTES, 'KDF master key')
    intIn(subkeyId, 0, Number.MAX_SAFE_INTEGER, 'subkey id')
    if (typeof context !== 'string' || !/^[\x20-\x7e]{8}$/.test(context)) {
      fail('INVALID_ARGUMENT', `KDF context must be ${KDF_CONTEXT_BYTES} printable ASCII characters`, { context })
    }
    intIn(outLen, HASH_BYTES_MIN, HASH_BYTES_MAX, 'subkey length')
    return this.raw.kdf(k, subkeyId, context, outLen)
  }

  pwhash (outLen: number, passphrase: Uint8Array | string, salt: Uint8Array, opslimit: number, memlimit: number): Uint8Array {
    intIn(outLen, HASH_BYTES_MIN, HASH_BYTES_MAX, 'pwhash length')
    const pw = typeof passphrase === 'string' ? utf8.encode(passphrase) : bytes(passphrase, 'passphrase')
    const s = exactly(salt, SALT_BYTES, 'salt')
    intIn(opslimit, PWHASH_OPSLIMIT_MIN, PWHASH_OPSLIMIT_MAX, 'opslimit')
    intIn(memlimit, PWHASH_MEMLIMIT_MIN, PWHASH_MEMLIMIT_MAX, 'memlimit')
    return this.raw.pwhash(outLen, pw, s, opslimit, memlimit)
  }

  equal (a: Uint8Array, b: Uint8Array): boolean {
    bytes(a, 'a')
    bytes(b, 'b')
    return a.length === b.length && this.raw.equal(a, b)
  }

  pad (buf: Uint8Array, blockSize: number): Uint8Array {
    bytes(buf, 'buffer')
    // Both bindings take lengths as 31/32-bit integers: the padded length must stay below 2^31.
    intIn(blockSize, 1, 0x7fff_ffff - buf.length, 'block size')
    return this.raw.pad(buf, blockSize)
  }

  unpad (buf: Uint8Array, blockSize: number): Uint8Array {
    bytes(buf, 'buffer')
    intIn(blockSize, 1, 0x7fff_ffff, 'block size')
    const n = this.raw.unpadLength(buf, blockSize)
    if (n === null) throw new SecushareError('PADDING_INVALID', 'the padding is malformed', { length: buf.length, blockSize })
    return buf.subarray(0, n)
  }

  wipe (buf: Uint8Array): void {
    this.raw.wipe(bytes(buf, 'buffer'))
  }
}

function nativePrimitives (na: SodiumNative): Primitives {
  const out = (n: number): Uint8Array => new Uint8Array(n)
  return {
    backend: 'native',
    randomBytes: n => { const b = out(n); na.randombytes_buf(b); return b },
    signSeedKeypair: seed => {
      const publicKey = out(PUBLIC_KEY_BYTES)
      const secretKey = out(SECRET_KEY_BYTES)
      na.crypto_sign_seed_keypair(publicKey, secretKey, seed)
      return { publicKey, secretKey }
    },
    sign: (m, sk) => { const sig = out(SIGNATURE_BYTES); na.crypto_sign_detached(sig, m, sk); return sig },
    verify: (sig, m, pk) => na.crypto_sign_verify_detached(sig, m, pk),
    skToPk: sk => { const pk = out(PUBLIC_KEY_BYTES); na.crypto_sign_ed25519_sk_to_pk(pk, sk); return pk },
    pkToX25519: pk => {
      const x = out(X25519_KEY_BYTES)
      try { na.crypto_sign_ed25519_pk_to_curve25519(x, pk) } catch { return null }
      return x
    },
    skToX25519: sk => { const x = out(X25519_KEY_BYTES); na.crypto_sign_ed25519_sk_to_curve25519(x, sk); return x },
    scalarmult: (sk, pk) => { const q = out(X25519_KEY_BYTES); try { na.crypto_scalarmult(q, sk, pk) } catch { return null } return q },
    seal: (m, pk) => { const c = out(m.length + SEAL_OVERHEAD_BYTES); na.crypto_box_seal(c, m, pk); return c },
    sealOpen: (c, pk, sk) => {
      const m = out(c.length - SEAL_OVERHEAD_BYTES)
      return na.crypto_box_seal_open(m, c, pk, sk) ? m : null
    },
    aeadEncrypt: (m, ad, nonce, key) => {
      const c = out(m.length + TAG_BYTES)
      na.crypto_aead_xchacha20poly1305_ietf_encrypt(c, m, ad, null, nonce, key)
      return c
    },
    aeadDecrypt: (c, ad, nonce, key) => {
      const m = out(c.length - TAG_BYTES)
      try { na.crypto_aead_xchacha20poly1305_ietf_decrypt(m, null, c, ad, nonce, key) } catch { return null }
      return m
    },
    hash: (m, outLen, key) => { const h = out(outLen); na.crypto_generichash(h, m, key); return h },
    kdf: (key, id, context, outLen) => {
      const k = out(outLen)
      na.crypto_kdf_derive_from_key(k, id, utf8.encode(context), key)
      return k
    },
    pwhash: (outLen, pw, salt, ops, mem) => {
      const k = out(outLen)
      na.crypto_pwhash(k, pw, salt, ops, mem, na.crypto_pwhash_ALG_ARGON2ID13)
      return k
    },
    equal: (a, b) => na.sodium_memcmp(a, b),
    pad: (buf, blockSize) => {
      const padded = out(buf.length + blockSize - (buf.length % blockSize))
      padded.set(buf)
      na.sodium_pad(padded, buf.length, blockSize)
      return padded
    },
    unpadLength: (buf, blockSize) => {
      if (buf.length < blockSize) return null // libsodium's own first check; the binding would assert
      const n = na.sodium_unpad(buf, buf.length, blockSize)
      // sodium-native 5.1.0 drops libsodium's error status (see sodium-native.d.ts), so check the
      // answer: the 0x80 marker at n, in the last block, followed only by zeros.
      if (!Number.isInteger(n) || n < buf.length - blockSize || n >= buf.length || buf[n] !== 0x80) return null
      let tail = 0
      for (let i = n + 1; i < buf.length; i++) tail |= buf[i]!
      return tail === 0 ? n : null
    },
    wipe: buf => na.sodium_memzero(buf)
  }
}

function wasmPrimitives (w: SodiumWasm): Primitives {
  /** Calls whose only throw, on checked arguments, is an authentication or point failure. */
  const orNull = <T>(f: () => T): T | null => { try { return f() } catch { return null } }
  return {
    backend: 'wasm',
    randomBytes: n => w.randombytes_buf(n),
    signSeedKeypair: seed => {
      const kp = w.crypto_sign_seed_keypair(seed)
      return { publicKey: kp.publicKey, secretKey: kp.privateKey }
    },
    sign: (m, sk) => w.crypto_sign_detached(m, sk),
    verify: (sig, m, pk) => w.crypto_sign_verify_detached(sig, m, pk),
    skToPk: sk => w.crypto_sign_ed25519_sk_to_pk(sk),
    pkToX25519: pk => orNull(() => w.crypto_sign_ed25519_pk_to_curve25519(pk)),
    skToX25519: sk => w.crypto_sign_ed25519_sk_to_curve25519(sk),
    scalarmult: (sk, pk) => orNull(() => w.crypto_scalarmult(sk, pk)),
    seal: (m, pk) => w.crypto_box_seal(m, pk),
    sealOpen: (c, pk, sk) => orNull(() => w.crypto_box_seal_open(c, pk, sk)),
    aeadEncrypt: (m, ad, nonce, key) => w.crypto_aead_xchacha20poly1305_ietf_encrypt(m, ad, null, nonce, key),
    aeadDecrypt: (c, ad, nonce, key) => orNull(() => w.crypto_aead_xchacha20poly1305_ietf_decrypt(null, c, ad, nonce, key)),
    hash: (m, outLen, key) => w.crypto_generichash(outLen, m, key ?? null),
    kdf: (key, id, context, outLen) => w.crypto_kdf_derive_from_key(outLen, BigInt(id), context, key),
    pwhash: (outLen, pw, salt, ops, mem) => w.crypto_pwhash(outLen, pw, salt, ops, mem, w.crypto_pwhash_ALG_ARGON2ID13),
    equal: (a, b) => w.memcmp(a, b),
    pad: (buf, blockSize) => w.pad(buf, blockSize),
    unpadLength: (buf, blockSize) => orNull(() => w.unpad(buf, blockSize).length),
    wipe: buf => { w.memzero(buf) }
  }
}

async function loadPrimitives (backend: SodiumBackend): Promise<Primitives> {
  try {
    if (backend === 'native') return nativePrimitives((await import('sodium-native')).default)
    const w = (await import('libsodium-wrappers-sumo')).default
    await w.ready
    return wasmPrimitives(w)
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e)
    throw new SecushareError('CRYPTO_UNAVAILABLE', `the ${backend} libsodium backend did not load: ${reason}`, { backend, reason })
  }
}

/** One instance per backend; a failed load is remembered too (a binary that failed will fail again). */
const instances = new Map<SodiumBackend, Promise<Sodium>>()

function instance (backend: SodiumBackend): Promise<Sodium> {
  let p = instances.get(backend)
  if (p === undefined) {
    p = loadPrimitives(backend).then(raw => new CheckedSodium(raw))
    instances.set(backend, p)
  }
  return p
}

/**
 * The libsodium adapter. 'auto' takes `SECUSHARE_SODIUM` (native | wasm | auto) from the
 * environment if set, else native if it loads, else wasm. A backend named explicitly (argument or
 * environment) must load: CRYPTO_UNAVAILABLE otherwise, no silent fallback.
 */
export async function loadSodium (backend: 'auto' | SodiumBackend = 'auto'): Promise<Sodium> {
  let choice: string = backend
  if (choice === 'auto') choice = process.env.SECUSHARE_SODIUM ?? ''
  if (choice === 'native' || choice === 'wasm') return await instance(choice)
  if (choice !== 'auto' && choice !== '') {
    throw new SecushareError('INVALID_ARGUMENT', `SECUSHARE_SODIUM must be native, wasm or auto, not "${choice}"`)
  }
  try {
    return await instance('native')
  } catch {
    return await instance('wasm')
  }
}
