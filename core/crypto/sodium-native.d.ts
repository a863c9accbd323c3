/**
 * The part of sodium-native 5.x that core/crypto/sodium.ts uses (the package ships no types).
 * Conventions of the binding: outputs come first and are caller-allocated; argument lengths are
 * checked with `assert` (an AssertionError, which the adapter never lets happen: it checks first).
 */
declare module 'sodium-native' {
  interface SodiumNative {
    randombytes_buf (out: Uint8Array): void

    crypto_sign_seed_keypair (pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void
    crypto_sign_detached (sig: Uint8Array, m: Uint8Array, sk: Uint8Array): void
    crypto_sign_verify_detached (sig: Uint8Array, m: Uint8Array, pk: Uint8Array): boolean
    crypto_sign_ed25519_sk_to_pk (pk: Uint8Array, sk: Uint8Array): void
    /** Throws on a public key that is not a valid point. */
    crypto_sign_ed25519_pk_to_curve25519 (x25519pk: Uint8Array, ed25519pk: Uint8Array): void
    crypto_sign_ed25519_sk_to_curve25519 (x25519sk: Uint8Array, ed25519sk: Uint8Array): void

    crypto_box_seal (c: Uint8Array, m: Uint8Array, pk: Uint8Array): void
    crypto_scalarmult (q: Uint8Array, n: Uint8Array, p: Uint8Array): void
    crypto_box_seal_open (m: Uint8Array, c: Uint8Array, pk: Uint8Array, sk: Uint8Array): boolean

    /** Returns the ciphertext length. */
    crypto_aead_xchacha20poly1305_ietf_encrypt (
      c: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array
    ): number
    /** Returns the plaintext length; throws when authentication fails. */
    crypto_aead_xchacha20poly1305_ietf_decrypt (
      m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array
    ): number

    crypto_generichash (out: Uint8Array, input: Uint8Array, key?: Uint8Array): void
    crypto_kdf_derive_from_key (subkey: Uint8Array, subkeyId: number, ctx: Uint8Array, key: Uint8Array): void
    crypto_pwhash (
      out: Uint8Array, passwd: Uint8Array, salt: Uint8Array, opslimit: number, memlimit: number, alg: number
    ): void
    readonly crypto_pwhash_ALG_ARGON2ID13: number

    sodium_memcmp (a: Uint8Array, b: Uint8Array): boolean
    sodium_memzero (buf: Uint8Array): void
    /** Returns the padded length. */
    sodium_pad (buf: Uint8Array, unpaddedLength: number, blockSize: number): number
    /**
     * Returns the unpadded length. In 5.1.0 the binding ignores libsodium's error status, so on
     * invalid padding it returns an uninitialised value: never trust the result unchecked.
     */
    sodium_unpad (buf: Uint8Array, paddedLength: number, blockSize: number): number
  }
  const sodium: SodiumNative
  export default sodium
}
