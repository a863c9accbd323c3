/**
 * Envelope fuzzing (test plan: peer input never throws anything but a SecushareError with a
 * known code). Seeded and reproducible: set FUZZ_SEED to replay a run; the seed is printed.
 * - decodeEnvelope: >= 200,000 random and mutated frames; anything that decodes re-encodes
 *   byte for byte.
 * - openEnvelope: every single-bit flip and >= 7,000 single-byte substitutions of a valid sealed
 *   envelope are all rejected, never by the cipher (the signature is checked first); plus a few
 *   thousand general mutants.
 */
import assert from 'node:assert/strict'
import { isSecushareError, type ErrorCode } from '../protocol/errors.js'
import { MAX_ENVELOPE_BYTES, MAX_MESSAGE_ID } from '../protocol/limits.js'
import { decodeEnvelope, encodeEnvelope, ENVELOPE_KIND, ENVELOPE_OFFSET, ENVELOPE_FIXED_BYTES } from '../protocol/envelope.js'
import { openEnvelope, sealEnvelope } from '../core/crypto/envelope-seal.js'
import { loadSodium, type Sodium } from '../core/crypto/sodium.js'
import { prng } from './support/prng.js'

const DECODE_CODES = new Set<ErrorCode>(['ENVELOPE_MALFORMED', 'ENVELOPE_BAD_VERSION', 'ENVELOPE_BAD_KIND', 'PADDING_INVALID', 'LIMIT_EXCEEDED'])
const DECODE_LIMITS = new Set(['MAX_ENVELOPE_BYTES', 'MAX_MESSAGE_ID'])
const OPEN_CODES = new Set<ErrorCode>([...DECODE_CODES, 'ENVELOPE_BAD_SIGNATURE', 'NOT_FOUND', 'DECRYPT_FAILED'])

type Outcome = { ok: true } | { ok: false, code: ErrorCode }

/** Run f; a thrown SecushareError is an outcome, anything else fails the test. */
function outcome (f: () => unknown, allowed: Set<ErrorCode>, frame: Uint8Array): Outcome {
  try {
    f()
    return { ok: true }
  } catch (e) {
    if (!isSecushareError(e) || !allowed.has(e.code) || (e.code === 'LIMIT_EXCEEDED' && !DECODE_LIMITS.has(String(e.detail.limit)))) {
      assert.fail(`unexpected ${String(e)} for frame of ${frame.length} bytes starting ${Buffer.from(frame.subarray(0, 80)).toString('hex')}`)
    }
    return { ok: false, code: e.code }
  }
}

function tally (counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1)
}

describe('envelope fuzz', function () {
  this.timeout(60000)
  const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
  let sodium: Sodium
  let epochKey: Uint8Array
  let bases: Uint8Array[]

  before(async () => {
    sodium = await loadSodium()
    const r = prng(seed)
    const place = sodium.signKeypair()
    epochKey = sodium.randomBytes(32)
    bases = [0, 1, 300, 2000].map((len, i) => sealEnvelope(sodium, {
      kind: (i % 4 + 1) as 1 | 2 | 3 | 4,
      placeSecretKey: place.secretKey,
      messageId: 1 + Math.floor(r() * 1e9),
      generation: i,
      epochKey,
      plaintext: sodium.randomBytes(len)
    }))
    console.log(`      FUZZ_SEED=${seed} (${sodium.backend} backend)`)
  })

  it('>= 200,000 random and mutated frames through decodeEnvelope: known codes only, accepted frames re-encode identically', () => {
    const r = prng(seed)
    const int = (n: number): number => Math.floor(r() * n)
    const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!
    const noise = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256))
    const interesting = [0, 1, 2, 4, 5, 0x7f, 0x80, 0xfe, 0xff]
    const mutators: Array<(b: Uint8Array) => Uint8Array> = [
      // random bytes, often with a plausible version and kind
      () => {
        const f = noise(int(1200))
        if (f.length > 1 && r() < 0.7) { f[0] = 1; f[1] = 1 + int(4) }
        return f
      },
      // flip 1-4 bits anywhere, or in the header
      b => {
        const f = b.slice()
        for (let k = 1 + int(4); k > 0; k--) { const i = r() < 0.5 ? int(ENVELOPE_OFFSET.CIPHERTEXT) : int(f.length); f[i]! ^= 1 << int(8) }
        return f
      },
      // an interesting byte in the header
      b => { const f = b.slice(); f[int(ENVELOPE_OFFSET.CIPHERTEXT)] = pick(interesting); return f },
      // truncate
      b => b.slice(0, int(b.length)),
      // extend
      b => { const f = new Uint8Array(b.length + 1 + int(300)); f.set(b); return f },
      // declared ciphertext length: random, off by a little, or another bucket's
      b => {
        const f = b.slice()
        const v = new DataView(f.buffer)
        const n = v.getUint32(ENVELOPE_OFFSET.CIPHERTEXT_LENGTH)
        v.setUint32(ENVELOPE_OFFSET.CIPHERTEXT_LENGTH, pick([n - 1, n + 1, n + 64, 0, 0xffff_ffff, int(2 ** 32), 272, 1040, 4112]))
        return f
      },
      // a frame whose length field is consistent with a random ciphertext length near a bucket
      b => {
        const ct = pick([256, 1024, 4096]) + pick([15, 16, 17, 0, -1])
        const f = new Uint8Array(ENVELOPE_FIXED_BYTES + ct)
        f.set(b.subarray(0, ENVELOPE_OFFSET.CIPHERTEXT_LENGTH))
        new DataView(f.buffer).setUint32(ENVELOPE_OFFSET.CIPHERTEXT_LENGTH, ct)
        return f
      },
      // message id: 0, 1, the limit, past it, random 64 bits
      b => {
        const f = b.slice()
        const ids = [0n, 1n, BigInt(MAX_MESSAGE_ID), BigInt(MAX_MESSAGE_ID) + 1n, 2n ** 64n - 1n, BigInt(int(2 ** 32)) << BigInt(int(33))]
        new DataView(f.buffer).setBigUint64(ENVELOPE_OFFSET.MESSAGE_ID, pick(ids))
        return f
      },
      // splice the front of one envelope onto the back of another
      b => { const o = pick(bases); const cut = int(Math.min(b.length, o.length)); const f = new Uint8Array(b.length); f.set(b); f.set(o.subarray(0, cut)); return f },
      // tiny frames
      () => noise(int(4))
    ]
    const N = 200_000
    const counts = new Map<string, number>()
    const t0 = performance.now()
    for (let i = 0; i < N; i++) {
      const frame = i % 2000 === 0
        ? new Uint8Array(MAX_ENVELOPE_BYTES + 1 + int(100)).fill(1) // oversize, version 1, kind 1
        : pick(mutators)(pick(bases))
      let decoded: ReturnType<typeof decodeEnvelope> | undefined
      const o = outcome(() => { decoded = decodeEnvelope(frame) }, DECODE_CODES, frame)
      tally(counts, o.ok ? 'decoded' : o.code)
      if (decoded !== undefined) {
        const again = encodeEnvelope(decoded, decoded.signature)
        assert.ok(Buffer.from(again).equals(frame), `frame ${i} does not re-encode identically`)
      }
    }
    const ms = performance.now() - t0
    console.log(`      decodeEnvelope: ${N} frames in ${ms.toFixed(0)} ms: ${[...counts].map(([k, n]) => `${k} ${n}`).join(', ')}`)
    assert.ok((counts.get('decoded') ?? 0) > 1000, 'some mutants must decode, or the re-encode check tests nothing')
    for (const code of DECODE_CODES) assert.ok((counts.get(code) ?? 0) > 0, `no frame produced ${code}`)
  })

  it('every single-bit flip and >= 7,000 single-byte substitutions of a sealed envelope are rejected by openEnvelope, before decryption', () => {
    const base = bases[0]!
    const keyFor = (): Uint8Array => epochKey
    assert.equal(openEnvelope(sodium, base, keyFor).plaintext.length, 0)
    const r = prng(seed ^ 0x5eed)
    const counts = new Map<string, number>()
    const t0 = performance.now()
    let n = 0
    const check = (frame: Uint8Array): void => {
      n++
      const o = outcome(() => openEnvelope(sodium, frame, keyFor), OPEN_CODES, frame)
      assert.ok(!o.ok, `mutant ${n} opened`)
      assert.ok(o.code !== 'DECRYPT_FAILED' && o.code !== 'NOT_FOUND', `mutant ${n} reached the cipher: ${o.code}`)
      tally(counts, o.code)
    }
    for (let bit = 0; bit < base.length * 8; bit++) {
      const f = base.slice()
      f[bit >> 3]! ^= 1 << (bit & 7)
      check(f)
    }
    for (let i = 0; i < base.length; i++) {
      for (let k = 0; k < 17; k++) {
        const f = base.slice()
        f[i] = (f[i]! + 1 + Math.floor(r() * 255)) & 0xff // never the original value
        check(f)
      }
    }
    const ms = performance.now() - t0
    console.log(`      openEnvelope: ${n} single-bit/byte mutants of a ${base.length}-byte envelope, all rejected, in ${ms.toFixed(0)} ms: ` +
      [...counts].map(([k, c]) => `${k} ${c}`).join(', '))
    assert.ok(n >= 10_000)
  })

  it('a few thousand general mutants through openEnvelope: known codes only, none opens', () => {
    const r = prng(seed ^ 0xfeed)
    const int = (k: number): number => Math.floor(r() * k)
    const counts = new Map<string, number>()
    const t0 = performance.now()
    const N = 4000
    for (let i = 0; i < N; i++) {
      const base = bases[int(bases.length)]!
      let f = base.slice()
      switch (int(4)) {
        case 0: f = f.slice(0, int(f.length)); break
        case 1: f[int(f.length)]! ^= 1 << int(8); f[int(f.length)]! ^= 1 << int(8); break
        case 2: f[ENVELOPE_OFFSET.KIND] = (f[ENVELOPE_OFFSET.KIND]! + int(3)) % Object.keys(ENVELOPE_KIND).length + 1; break
        default: f.set(Uint8Array.from({ length: 8 }, () => int(256)), int(f.length - 8))
      }
      const o = outcome(() => openEnvelope(sodium, f, () => epochKey), OPEN_CODES, f)
      if (o.ok) assert.ok(Buffer.from(f).equals(base), `general mutant ${i} differs from its base but opened`)
      tally(counts, o.ok ? 'opened (two flips cancelled)' : o.code)
    }
    console.log(`      openEnvelope: ${N} general mutants in ${(performance.now() - t0).toFixed(0)} ms: ${[...counts].map(([k, c]) => `${k} ${c}`).join(', ')}`)
  })
})
