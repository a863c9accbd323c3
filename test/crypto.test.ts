/**
 * The libsodium adapter (core/crypto/sodium.ts): one suite run against each backend, then
 * cross-backend interop, then labelled signatures. Known answers come from RFC 8032 (Ed25519),
 * the BLAKE2b reference (checked against OpenSSL too), and draft-irtf-cfrg-xchacha (AEAD).
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { isSecushareError, type ErrorCode } from '../protocol/errors.js'
import { LABEL, SIGNATURE_LABELS, type SignatureLabel } from '../protocol/labels.js'
import { labelledMessage, signLabelled, verifyLabelled } from '../core/crypto/labels.js'
import {
  loadSodium, KEY_BYTES, NONCE_BYTES, PWHASH_MEMLIMIT_INTERACTIVE, PWHASH_OPSLIMIT_INTERACTIVE, SALT_BYTES, TAG_BYTES,
  type Sodium, type SodiumBackend
} from '../core/crypto/sodium.js'

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const range = (n: number, start = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff)

function throwsCode (f: () => unknown, code: ErrorCode): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(isSecushareError(e), `expected SecushareError ${code}, got ${String(e)}`)
    assert.equal(e.code, code)
    return true
  })
}

function flip (b: Uint8Array, bit: number): Uint8Array {
  const c = b.slice()
  c[bit >> 3]! ^= 1 << (bit & 7)
  return c
}

const RFC8032 = [
  {
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'
  },
  {
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'
  }
]

/** draft-irtf-cfrg-xchacha-03 A.3.1 */
const XCHACHA = {
  key: '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f',
  nonce: '404142434445464748494a4b4c4d4e4f5051525354555657',
  ad: '50515253c0c1c2c3c4c5c6c7',
  plaintext: "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  ciphertext: 'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e' +
    'c0875924c1c7987947deafd8780acf49'
}

/** Load a backend or skip the suite, saying why. */
async function loadOrSkip (ctx: Mocha.Context, backend: SodiumBackend): Promise<Sodium> {
  try {
    return await loadSodium(backend)
  } catch (e) {
    console.log(`      SKIPPED (${backend} suite): ${(e as Error).message}`)
    ctx.skip()
  }
}

for (const backend of ['wasm', 'native'] as const) {
  describe(`crypto adapter (${backend})`, function () {
    let s: Sodium
    before(async function () { s = await loadOrSkip(this, backend) })

    it('reports its backend and constants', () => {
      assert.equal(s.backend, backend)
      assert.deepEqual([KEY_BYTES, NONCE_BYTES, TAG_BYTES, SALT_BYTES], [32, 24, 16, 16])
    })

    it('randomBytes: the asked length, plain Uint8Array, not constant', () => {
      const a = s.randomBytes(32)
      assert.equal(a.length, 32)
      assert.equal(Object.getPrototypeOf(a), Uint8Array.prototype)
      assert.notEqual(toHex(a), toHex(s.randomBytes(32)))
      assert.equal(s.randomBytes(0).length, 0)
      throwsCode(() => s.randomBytes(-1), 'INVALID_ARGUMENT')
      throwsCode(() => s.randomBytes(1.5), 'INVALID_ARGUMENT')
    })

    it('Ed25519: RFC 8032 test vectors 1 and 2', () => {
      for (const v of RFC8032) {
        const kp = s.signKeypair(hex(v.seed))
        assert.equal(toHex(kp.publicKey), v.publicKey)
        assert.equal(kp.secretKey.length, 64)
        assert.equal(toHex(s.publicKeyFromSecret(kp.secretKey)), v.publicKey)
        const sig = s.sign(hex(v.message), kp.secretKey)
        assert.equal(toHex(sig), v.signature)
        assert.equal(s.verify(sig, hex(v.message), kp.publicKey), true)
      }
    })

    it('Ed25519: fresh key pairs differ and sign/verify', () => {
      const a = s.signKeypair()
      const b = s.signKeypair()
      assert.notEqual(toHex(a.publicKey), toHex(b.publicKey))
      const m = utf8('hello')
      assert.equal(s.verify(s.sign(m, a.secretKey), m, a.publicKey), true)
      assert.equal(s.verify(s.sign(m, a.secretKey), m, b.publicKey), false)
    })

    it('Ed25519: every flipped bit of signature, message or key fails', () => {
      const kp = s.signKeypair(range(32))
      const m = utf8('a message of some length')
      const sig = s.sign(m, kp.secretKey)
      for (let bit = 0; bit < 512; bit++) assert.equal(s.verify(flip(sig, bit), m, kp.publicKey), false, `sig bit ${bit}`)
      for (let bit = 0; bit < m.length * 8; bit++) assert.equal(s.verify(sig, flip(m, bit), kp.publicKey), false, `msg bit ${bit}`)
      for (let bit = 0; bit < 256; bit++) assert.equal(s.verify(sig, m, flip(kp.publicKey, bit)), false, `pk bit ${bit}`)
    })

    it('Ed25519: malformed signature or key lengths verify false, never throw', () => {
      const kp = s.signKeypair()
      const m = utf8('x')
      const sig = s.sign(m, kp.secretKey)
      for (const bad of [new Uint8Array(0), sig.subarray(0, 63), new Uint8Array([...sig, 0]), new Uint8Array(128)]) {
        assert.equal(s.verify(bad, m, kp.publicKey), false)
      }
      for (const bad of [new Uint8Array(0), kp.publicKey.subarray(0, 31), new Uint8Array(33), kp.secretKey]) {
        assert.equal(s.verify(sig, m, bad), false)
      }
      assert.equal(s.verify(sig, m, new Uint8Array(32)), false)
    })

    it('Ed25519: wrong key or seed lengths are BAD_KEY', () => {
      throwsCode(() => s.signKeypair(new Uint8Array(31)), 'BAD_KEY')
      throwsCode(() => s.sign(utf8('x'), new Uint8Array(32)), 'BAD_KEY')
      throwsCode(() => s.publicKeyFromSecret(new Uint8Array(63)), 'BAD_KEY')
      throwsCode(() => s.sign('x' as unknown as Uint8Array, new Uint8Array(64)), 'INVALID_ARGUMENT')
    })

    it('X25519 from Ed25519: sealed boxes open with the converted keys', () => {
      const kp = s.signKeypair()
      const xpk = s.x25519PublicFromEd(kp.publicKey)
      const xsk = s.x25519SecretFromEd(kp.secretKey)
      assert.equal(xpk.length, 32)
      assert.equal(xsk.length, 32)
      const m = utf8('sealed to you')
      const c = s.seal(m, xpk)
      assert.equal(c.length, m.length + 48)
      assert.equal(toHex(s.sealOpen(c, xpk, xsk)), toHex(m))
      assert.equal(toHex(s.sealOpen(s.seal(new Uint8Array(0), xpk), xpk, xsk)), '')
    })

    it('X25519 from Ed25519: invalid points and wrong lengths are BAD_KEY', () => {
      // y = 2 is not on the curve.
      throwsCode(() => s.x25519PublicFromEd(hex('02' + '00'.repeat(31))), 'BAD_KEY')
      throwsCode(() => s.x25519PublicFromEd(new Uint8Array(31)), 'BAD_KEY')
      throwsCode(() => s.x25519SecretFromEd(new Uint8Array(32)), 'BAD_KEY')
    })

    it('sealed boxes: tampering, a wrong key and short input are DECRYPT_FAILED', () => {
      const kp = s.signKeypair()
      const xpk = s.x25519PublicFromEd(kp.publicKey)
      const xsk = s.x25519SecretFromEd(kp.secretKey)
      const other = s.signKeypair()
      const c = s.seal(utf8('secret'), xpk)
      for (let bit = 0; bit < c.length * 8; bit += 7) throwsCode(() => s.sealOpen(flip(c, bit), xpk, xsk), 'DECRYPT_FAILED')
      throwsCode(() => s.sealOpen(c, s.x25519PublicFromEd(other.publicKey), s.x25519SecretFromEd(other.secretKey)), 'DECRYPT_FAILED')
      throwsCode(() => s.sealOpen(c.subarray(0, 47), xpk, xsk), 'DECRYPT_FAILED')
      throwsCode(() => s.sealOpen(new Uint8Array(0), xpk, xsk), 'DECRYPT_FAILED')
      throwsCode(() => s.seal(utf8('x'), new Uint8Array(31)), 'BAD_KEY')
      throwsCode(() => s.sealOpen(c, xpk, new Uint8Array(64)), 'BAD_KEY')
    })

    it('AEAD: draft-irtf-cfrg-xchacha A.3.1 known answer', () => {
      const c = s.aeadEncrypt(utf8(XCHACHA.plaintext), hex(XCHACHA.ad), hex(XCHACHA.nonce), hex(XCHACHA.key))
      assert.equal(toHex(c), XCHACHA.ciphertext)
      const m = s.aeadDecrypt(hex(XCHACHA.ciphertext), hex(XCHACHA.ad), hex(XCHACHA.nonce), hex(XCHACHA.key))
      assert.equal(Buffer.from(m).toString('utf8'), XCHACHA.plaintext)
    })

    it('AEAD: a flipped bit of ciphertext, ad, nonce or key is DECRYPT_FAILED', () => {
      const key = range(32, 1)
      const nonce = range(24, 2)
      const ad = utf8('header')
      const c = s.aeadEncrypt(utf8('body'), ad, nonce, key)
      assert.equal(c.length, 4 + TAG_BYTES)
      for (let bit = 0; bit < c.length * 8; bit++) throwsCode(() => s.aeadDecrypt(flip(c, bit), ad, nonce, key), 'DECRYPT_FAILED')
      for (let bit = 0; bit < ad.length * 8; bit++) throwsCode(() => s.aeadDecrypt(c, flip(ad, bit), nonce, key), 'DECRYPT_FAILED')
      throwsCode(() => s.aeadDecrypt(c, ad, flip(nonce, 100), key), 'DECRYPT_FAILED')
      throwsCode(() => s.aeadDecrypt(c, ad, nonce, flip(key, 0)), 'DECRYPT_FAILED')
      throwsCode(() => s.aeadDecrypt(c, new Uint8Array(0), nonce, key), 'DECRYPT_FAILED')
      throwsCode(() => s.aeadDecrypt(c.subarray(0, 15), ad, nonce, key), 'DECRYPT_FAILED')
      assert.equal(toHex(s.aeadDecrypt(s.aeadEncrypt(new Uint8Array(0), new Uint8Array(0), nonce, key), new Uint8Array(0), nonce, key)), '')
    })

    it('AEAD: wrong key length is BAD_KEY, wrong nonce length INVALID_ARGUMENT', () => {
      const m = utf8('x')
      throwsCode(() => s.aeadEncrypt(m, m, new Uint8Array(24), new Uint8Array(31)), 'BAD_KEY')
      throwsCode(() => s.aeadEncrypt(m, m, new Uint8Array(12), new Uint8Array(32)), 'INVALID_ARGUMENT')
      throwsCode(() => s.aeadDecrypt(new Uint8Array(32), m, new Uint8Array(24), new Uint8Array(33)), 'BAD_KEY')
      throwsCode(() => s.aeadDecrypt(new Uint8Array(32), m, new Uint8Array(25), new Uint8Array(32)), 'INVALID_ARGUMENT')
    })

    it('BLAKE2b: known answers (unkeyed, keyed) and length checks', () => {
      assert.equal(toHex(s.hash(utf8('abc'), 64)),
        'ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923')
      assert.equal(toHex(s.hash(new Uint8Array(0))), '0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8')
      // blake2b-kat.txt, first keyed entry: empty input, key 00..3f
      assert.equal(toHex(s.hash(new Uint8Array(0), 64, range(64))),
        '10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568')
      throwsCode(() => s.hash(utf8('x'), 15), 'INVALID_ARGUMENT')
      throwsCode(() => s.hash(utf8('x'), 65), 'INVALID_ARGUMENT')
      throwsCode(() => s.hash(utf8('x'), 32, new Uint8Array(15)), 'BAD_KEY')
      throwsCode(() => s.hash(utf8('x'), 32, new Uint8Array(65)), 'BAD_KEY')
    })

    it('KDF: subkeys differ by id and context; argument checks', () => {
      const master = range(32)
      const a = s.kdfDerive(master, 1, 'secushar')
      assert.equal(a.length, 32)
      assert.notEqual(toHex(a), toHex(s.kdfDerive(master, 2, 'secushar')))
      assert.notEqual(toHex(a), toHex(s.kdfDerive(master, 1, 'Secushar')))
      assert.equal(s.kdfDerive(master, Number.MAX_SAFE_INTEGER, 'secushar', 64).length, 64)
      throwsCode(() => s.kdfDerive(new Uint8Array(31), 1, 'secushar'), 'BAD_KEY')
      throwsCode(() => s.kdfDerive(master, 1, 'short'), 'INVALID_ARGUMENT')
      throwsCode(() => s.kdfDerive(master, 1, 'ünicode!'), 'INVALID_ARGUMENT')
      throwsCode(() => s.kdfDerive(master, -1, 'secushar'), 'INVALID_ARGUMENT')
      throwsCode(() => s.kdfDerive(master, 2 ** 53, 'secushar'), 'INVALID_ARGUMENT')
      throwsCode(() => s.kdfDerive(master, 1, 'secushar', 8), 'INVALID_ARGUMENT')
    })

    it('Argon2id: deterministic, salt- and passphrase-sensitive, string = UTF-8 bytes; argument checks', () => {
      const salt = range(16)
      const a = s.pwhash(32, 'correct horse', salt, 1, 1 << 20)
      assert.equal(toHex(a), toHex(s.pwhash(32, utf8('correct horse'), salt, 1, 1 << 20)))
      assert.notEqual(toHex(a), toHex(s.pwhash(32, 'correct horsf', salt, 1, 1 << 20)))
      assert.notEqual(toHex(a), toHex(s.pwhash(32, 'correct horse', flip(salt, 0), 1, 1 << 20)))
      assert.notEqual(toHex(a), toHex(s.pwhash(32, 'correct horse', salt, 2, 1 << 20)))
      assert.equal(s.pwhash(32, '', salt, PWHASH_OPSLIMIT_INTERACTIVE, PWHASH_MEMLIMIT_INTERACTIVE).length, 32)
      throwsCode(() => s.pwhash(32, 'x', new Uint8Array(15), 1, 1 << 20), 'INVALID_ARGUMENT')
      throwsCode(() => s.pwhash(32, 'x', salt, 0, 1 << 20), 'INVALID_ARGUMENT')
      throwsCode(() => s.pwhash(32, 'x', salt, 1, 8191), 'INVALID_ARGUMENT')
      throwsCode(() => s.pwhash(32, 'x', salt, 1, 2 ** 31), 'INVALID_ARGUMENT')
      throwsCode(() => s.pwhash(8, 'x', salt, 1, 1 << 20), 'INVALID_ARGUMENT')
    })

    it('equal: constant-time compare, different lengths unequal', () => {
      assert.equal(s.equal(range(32), range(32)), true)
      assert.equal(s.equal(new Uint8Array(0), new Uint8Array(0)), true)
      assert.equal(s.equal(range(32), flip(range(32), 255)), false)
      assert.equal(s.equal(range(32), range(31)), false)
      throwsCode(() => s.equal('a' as unknown as Uint8Array, range(1)), 'INVALID_ARGUMENT')
    })

    it('pad/unpad: ISO/IEC 7816-4 bytes, round trip, malformed padding is PADDING_INVALID', () => {
      assert.equal(toHex(s.pad(hex('010203'), 8)), '0102038000000000')
      assert.equal(toHex(s.pad(range(8), 8)), toHex(range(8)) + '80' + '00'.repeat(7))
      assert.equal(toHex(s.pad(new Uint8Array(0), 4)), '80000000')
      for (const n of [0, 1, 255, 256, 1000]) {
        const p = s.pad(range(n), 256)
        assert.equal(p.length % 256, 0)
        assert.equal(toHex(s.unpad(p, 256)), toHex(range(n)))
      }
      const bad = ['00000000', '01000000', '80000001', '80008001', '00000081']
      for (const b of bad) throwsCode(() => s.unpad(hex(b), 4), 'PADDING_INVALID')
      throwsCode(() => s.unpad(new Uint8Array(0), 4), 'PADDING_INVALID')
      throwsCode(() => s.unpad(hex('80'), 4), 'PADDING_INVALID')
      throwsCode(() => s.pad(range(3), 0), 'INVALID_ARGUMENT')
      throwsCode(() => s.unpad(range(3), 0), 'INVALID_ARGUMENT')
    })

    it('unpad returns a view into its input', () => {
      const p = s.pad(range(5), 16)
      const u = s.unpad(p, 16)
      assert.equal(u.buffer, p.buffer)
      assert.equal(u.length, 5)
    })

    it('wipe zeroes the buffer (and views into it)', () => {
      const b = range(64, 1)
      s.wipe(b.subarray(8, 16))
      assert.equal(toHex(b.subarray(8, 16)), '00'.repeat(8))
      assert.equal(b[7], 8)
      s.wipe(b)
      assert.equal(toHex(b), '00'.repeat(64))
    })

    it('random argument lengths raise only SecushareErrors with expected codes', () => {
      const codes = new Set<string>(['BAD_KEY', 'INVALID_ARGUMENT', 'DECRYPT_FAILED', 'PADDING_INVALID'])
      const calls: Array<(a: Uint8Array, b: Uint8Array, c: Uint8Array, d: Uint8Array) => unknown> = [
        (a) => s.signKeypair(a),
        (a, b) => s.sign(a, b),
        (a, b, c) => s.verify(a, b, c),
        (a) => s.publicKeyFromSecret(a),
        (a) => s.x25519PublicFromEd(a),
        (a) => s.x25519SecretFromEd(a),
        (a, b) => s.seal(a, b),
        (a, b, c) => s.sealOpen(a, b, c),
        (a, b, c, d) => s.aeadEncrypt(a, b, c, d),
        (a, b, c, d) => s.aeadDecrypt(a, b, c, d),
        (a, b) => s.hash(a, 32, b),
        (a) => s.kdfDerive(a, 1, 'secushar'),
        (a, b) => s.equal(a, b),
        (a) => s.unpad(a, 16)
      ]
      const arb = fc.uint8Array({ minLength: 0, maxLength: 80 })
      fc.assert(fc.property(fc.nat(calls.length - 1), arb, arb, arb, arb, (i, a, b, c, d) => {
        try {
          calls[i]!(a, b, c, d)
        } catch (e) {
          assert.ok(isSecushareError(e) && codes.has(e.code), `call ${i} threw ${String(e)}`)
        }
      }), { numRuns: 3000 })
    })
  })
}

describe('crypto adapter: wasm and native interoperate', function () {
  let w: Sodium
  let n: Sodium
  before(async function () {
    w = await loadSodium('wasm')
    n = await loadOrSkip(this, 'native')
  })

  it('signatures made by either verify with the other; same deterministic bytes', () => {
    const seed = range(32, 9)
    const kw = w.signKeypair(seed)
    const kn = n.signKeypair(seed)
    assert.equal(toHex(kw.secretKey), toHex(kn.secretKey))
    for (let len = 0; len < 2000; len += 199) {
      const m = range(len)
      const sw = w.sign(m, kw.secretKey)
      assert.equal(toHex(sw), toHex(n.sign(m, kn.secretKey)))
      assert.equal(n.verify(sw, m, kn.publicKey), true)
      assert.equal(w.verify(n.sign(m, kn.secretKey), m, kw.publicKey), true)
      assert.equal(n.verify(flip(sw, len % 512), m, kn.publicKey), false)
    }
  })

  it('sealed boxes cross over in both directions; converted keys are identical', () => {
    const kp = w.signKeypair()
    const xpk = w.x25519PublicFromEd(kp.publicKey)
    const xsk = w.x25519SecretFromEd(kp.secretKey)
    assert.equal(toHex(xpk), toHex(n.x25519PublicFromEd(kp.publicKey)))
    assert.equal(toHex(xsk), toHex(n.x25519SecretFromEd(kp.secretKey)))
    const m = range(300)
    assert.equal(toHex(n.sealOpen(w.seal(m, xpk), xpk, xsk)), toHex(m))
    assert.equal(toHex(w.sealOpen(n.seal(m, xpk), xpk, xsk)), toHex(m))
  })

  it('AEAD output is byte-identical and opens across backends', () => {
    for (const len of [0, 1, 255, 256, 4096, 65536]) {
      const key = w.randomBytes(32)
      const nonce = n.randomBytes(24)
      const ad = range(70)
      const m = range(len, len)
      const cw = w.aeadEncrypt(m, ad, nonce, key)
      assert.equal(toHex(cw), toHex(n.aeadEncrypt(m, ad, nonce, key)))
      assert.equal(toHex(n.aeadDecrypt(cw, ad, nonce, key)), toHex(m))
      throwsCode(() => n.aeadDecrypt(flip(cw, 3), ad, nonce, key), 'DECRYPT_FAILED')
    }
  })

  it('hash, kdf, pwhash, pad and unpad give identical outputs', () => {
    const key = range(32, 3)
    for (const len of [0, 1, 127, 128, 129, 1000]) {
      const m = range(len, 7)
      assert.equal(toHex(w.hash(m)), toHex(n.hash(m)))
      assert.equal(toHex(w.hash(m, 16, key)), toHex(n.hash(m, 16, key)))
      for (const bs of [1, 16, 256, 1024]) {
        const p = w.pad(m, bs)
        assert.equal(toHex(p), toHex(n.pad(m, bs)))
        assert.equal(toHex(n.unpad(p, bs)), toHex(m))
      }
    }
    for (const id of [0, 1, 2 ** 32, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER]) {
      assert.equal(toHex(w.kdfDerive(key, id, 'ctx-test', 48)), toHex(n.kdfDerive(key, id, 'ctx-test', 48)))
    }
    const salt = range(16, 5)
    assert.equal(toHex(w.pwhash(32, 'pässword', salt, 1, 1 << 20)), toHex(n.pwhash(32, 'pässword', salt, 1, 1 << 20)))
    assert.equal(toHex(w.pwhash(32, 'x', salt, PWHASH_OPSLIMIT_INTERACTIVE, PWHASH_MEMLIMIT_INTERACTIVE)),
      toHex(n.pwhash(32, 'x', salt, PWHASH_OPSLIMIT_INTERACTIVE, PWHASH_MEMLIMIT_INTERACTIVE)))
  })

  it('unpad accepts and refuses exactly the same inputs', () => {
    // The native binding ignores sodium_unpad's status (see sodium-native.d.ts); the adapter must not.
    const wellFormedOrNearly = fc.tuple(
      fc.uint8Array({ maxLength: 30 }), fc.constantFrom(0x80, 0x00, 0x01, 0x81), fc.nat(12), fc.option(fc.nat({ max: 255 }))
    ).map(([body, marker, zeros, junk]) => {
      const b = new Uint8Array(body.length + 1 + zeros)
      b.set(body)
      b[body.length] = marker
      if (junk !== null && zeros > 0) b[b.length - 1 - (junk % zeros)] = junk
      return b
    })
    const seen = new Set<string>()
    fc.assert(fc.property(fc.oneof(wellFormedOrNearly, fc.uint8Array({ maxLength: 40 })), fc.integer({ min: 1, max: 24 }), (buf, bs) => {
      const r = (s: Sodium): string => { try { return toHex(s.unpad(buf, bs)) } catch (e) { return isSecushareError(e) ? e.code : String(e) } }
      const result = r(w)
      seen.add(result === 'PADDING_INVALID' ? 'refused' : 'accepted')
      assert.equal(r(n), result)
    }), { numRuns: 5000 })
    assert.equal(seen.size, 2, 'both outcomes occurred')
  })
})

describe('loadSodium', () => {
  const saved = process.env.SECUSHARE_SODIUM
  afterEach(() => {
    if (saved === undefined) delete process.env.SECUSHARE_SODIUM
    else process.env.SECUSHARE_SODIUM = saved
  })

  it('caches one instance per backend', async () => {
    assert.equal(await loadSodium('wasm'), await loadSodium('wasm'))
  })

  it('auto prefers native where it loads', async function () {
    delete process.env.SECUSHARE_SODIUM
    let nativeLoads = true
    try { await loadSodium('native') } catch { nativeLoads = false }
    assert.equal((await loadSodium()).backend, nativeLoads ? 'native' : 'wasm')
  })

  it('auto honours SECUSHARE_SODIUM; an explicit argument wins over it', async () => {
    process.env.SECUSHARE_SODIUM = 'wasm'
    assert.equal((await loadSodium()).backend, 'wasm')
    assert.equal((await loadSodium('auto')).backend, 'wasm')
    process.env.SECUSHARE_SODIUM = 'bogus'
    await assert.rejects(loadSodium(), (e: unknown) => isSecushareError(e, 'INVALID_ARGUMENT'))
    assert.equal((await loadSodium('wasm')).backend, 'wasm')
  })
})

describe('labelled signatures', () => {
  let s: Sodium
  before(async () => { s = await loadSodium() })

  it('labels are distinct, versioned, ASCII without NUL', () => {
    assert.equal(new Set(SIGNATURE_LABELS).size, SIGNATURE_LABELS.length)
    assert.equal(SIGNATURE_LABELS.length, 8)
    for (const l of SIGNATURE_LABELS) assert.match(l, /^secushare\/[a-z][a-z-]*\/v[1-9][0-9]*$/)
  })

  it('signs utf8(label) || 0x00 || message', () => {
    const m = hex('0102')
    assert.equal(toHex(labelledMessage(LABEL.ENVELOPE, m)), Buffer.from('secushare/envelope/v1').toString('hex') + '000102')
    const kp = s.signKeypair(range(32))
    assert.equal(toHex(signLabelled(s, LABEL.ENVELOPE, m, kp.secretKey)), toHex(s.sign(labelledMessage(LABEL.ENVELOPE, m), kp.secretKey)))
  })

  it('a signature under one label fails under every other label and unlabelled', () => {
    const kp = s.signKeypair()
    const m = utf8('the same bytes')
    for (const a of SIGNATURE_LABELS) {
      const sig = signLabelled(s, a, m, kp.secretKey)
      for (const b of SIGNATURE_LABELS) assert.equal(verifyLabelled(s, b, sig, m, kp.publicKey), a === b, `${a} vs ${b}`)
      assert.equal(s.verify(sig, m, kp.publicKey), false)
      assert.equal(verifyLabelled(s, a, sig, flip(m, 0), kp.publicKey), false)
    }
  })

  it('an unknown label is INVALID_ARGUMENT', () => {
    throwsCode(() => labelledMessage('secushare/nope/v1' as SignatureLabel, new Uint8Array(0)), 'INVALID_ARGUMENT')
  })
})
