/**
 * Envelope v1 (protocol/envelope.ts) and sealing (core/crypto/envelope-seal.ts) against the
 * golden vectors, on every backend that loads; plus layout invariants and round-trip properties.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { isSecushareError, type ErrorCode } from '../protocol/errors.js'
import { MAX_ENVELOPE_BYTES, MAX_GENERATION, MAX_MESSAGE_ID, MAX_PADDED_BYTES, MAX_PLAINTEXT_BYTES, PAD_BUCKETS } from '../protocol/limits.js'
import {
  decodeEnvelope, encodeEnvelope, envelopeAssociatedData, envelopeSigningBytes, ENVELOPE_FIXED_BYTES, ENVELOPE_HEADER_BYTES,
  ENVELOPE_KIND, ENVELOPE_OFFSET, ENVELOPE_TAG_BYTES, MIN_ENVELOPE_BYTES, type EnvelopeFields, type EnvelopeKind
} from '../protocol/envelope.js'
import { openEnvelope, sealEnvelope } from '../core/crypto/envelope-seal.js'
import { loadSodium, type Sodium } from '../core/crypto/sodium.js'
import { buildEnvelopeVectors, bytesOf, VECTOR_FILES, vectorJson, type EnvelopeVectors } from './support/gen-envelope-vectors.js'

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const vectors = JSON.parse(readFileSync(VECTOR_FILES.envelopes, 'utf8')) as EnvelopeVectors

function throwsCode (f: () => unknown, code: ErrorCode, limit?: string, what = ''): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(isSecushareError(e), `${what}: expected SecushareError ${code}, got ${String(e)}`)
    assert.equal(e.code, code, `${what}: ${e.message}`)
    if (limit !== undefined) assert.equal(e.detail.limit, limit, what)
    return true
  })
}

const epochKeyFor = (g: number): Uint8Array | undefined => {
  const k = vectors.epochKeys[String(g)]
  return k === undefined ? undefined : hex(k)
}

function fieldsOf (v: EnvelopeVectors['invalidEncode'][number]): EnvelopeFields {
  return {
    kind: v.kind as EnvelopeKind,
    placeId: hex(v.placeId),
    messageId: v.messageId,
    generation: v.generation,
    nonce: hex(v.nonce),
    ciphertext: new Uint8Array(v.ciphertextLength)
  }
}

describe('envelope v1', () => {
  const sodiums: Sodium[] = []
  before(async () => {
    sodiums.push(await loadSodium('wasm'))
    try { sodiums.push(await loadSodium('native')) } catch (e) { console.log(`      (native backend not loaded: ${(e as Error).message})`) }
  })

  it('the vector file is what the generator writes, and has enough vectors', () => {
    assert.equal(readFileSync(VECTOR_FILES.envelopes, 'utf8'), vectorJson(buildEnvelopeVectors(sodiums[0]!)))
    assert.ok(vectors.valid.length >= 20, 'valid')
    assert.ok(vectors.invalid.length + vectors.invalidEncode.length >= 40, 'invalid')
  })

  it('layout constants agree with each other and with limits.ts', () => {
    assert.equal(ENVELOPE_HEADER_BYTES, 70)
    assert.equal(ENVELOPE_FIXED_BYTES, 1 + 1 + 32 + 8 + 4 + 24 + 4 + 64)
    assert.equal(MAX_ENVELOPE_BYTES, ENVELOPE_FIXED_BYTES + MAX_PADDED_BYTES + ENVELOPE_TAG_BYTES)
    assert.equal(MIN_ENVELOPE_BYTES, ENVELOPE_FIXED_BYTES + PAD_BUCKETS[0] + ENVELOPE_TAG_BYTES)
    assert.deepEqual(Object.values(ENVELOPE_KIND), [1, 2, 3, 4])
  })

  it('valid vectors decode to their fields, re-encode byte for byte, and open to their plaintext on every backend', () => {
    for (const v of vectors.valid) {
      const bytes = bytesOf(v.envelope)
      const d = decodeEnvelope(bytes)
      assert.deepEqual([d.version, d.kind, d.messageId, d.generation, toHex(d.nonce), toHex(d.placeId)],
        [1, v.kind, v.messageId, v.generation, v.nonce, vectors.placePublicKey], v.name)
      assert.equal(toHex(encodeEnvelope(d, d.signature)), toHex(bytes), v.name)
      assert.equal(toHex(envelopeSigningBytes(d)), toHex(d.signedBytes), v.name)
      assert.equal(toHex(envelopeAssociatedData(d)), toHex(d.associatedData), v.name)
      for (const s of sodiums) {
        assert.equal(toHex(openEnvelope(s, bytes, epochKeyFor).plaintext), toHex(bytesOf(v.plaintext)), `${s.backend}: ${v.name}`)
      }
    }
  })

  it('sealing the vector inputs reproduces the vector bytes on every backend', () => {
    const placeSecretKey = sodiums[0]!.signKeypair(hex(vectors.placeSeed)).secretKey
    for (const v of vectors.valid.filter(v => !v.name.startsWith('over-padded'))) {
      for (const s of sodiums) {
        const sealed = sealEnvelope(s, {
          kind: v.kind, placeSecretKey, messageId: v.messageId, generation: v.generation,
          epochKey: epochKeyFor(v.generation)!, plaintext: bytesOf(v.plaintext), nonce: hex(v.nonce)
        })
        assert.equal(toHex(sealed), toHex(bytesOf(v.envelope)), `${s.backend}: ${v.name}`)
      }
    }
  })

  it('at the limits: MAX_PLAINTEXT_BYTES fills an envelope of exactly MAX_ENVELOPE_BYTES; MAX ids and generations open', () => {
    const byName = new Map(vectors.valid.map(v => [v.name, v]))
    const max = [...byName.values()].find(v => v.name.startsWith('65535 bytes'))!
    assert.equal(bytesOf(max.envelope).length, MAX_ENVELOPE_BYTES)
    assert.equal(bytesOf(max.plaintext).length, MAX_PLAINTEXT_BYTES)
    assert.ok(vectors.valid.some(v => v.messageId === MAX_MESSAGE_ID))
    assert.ok(vectors.valid.some(v => v.generation === MAX_GENERATION))
    assert.ok(vectors.invalid.some(v => v.limit === 'MAX_MESSAGE_ID'))
    assert.ok(vectors.invalid.some(v => v.limit === 'MAX_ENVELOPE_BYTES'))
    assert.ok(vectors.invalidEncode.some(v => v.limit === 'MAX_GENERATION'))
  })

  it('invalid vectors fail with their code at their stage, on every backend', () => {
    for (const v of vectors.invalid) {
      const bytes = bytesOf(v.envelope)
      if (v.stage === 'decode') throwsCode(() => decodeEnvelope(bytes), v.code as ErrorCode, v.limit, v.name)
      else assert.doesNotThrow(() => decodeEnvelope(bytes), v.name)
      for (const s of sodiums) throwsCode(() => openEnvelope(s, bytes, epochKeyFor), v.code as ErrorCode, v.limit, `${s.backend}: ${v.name}`)
    }
  })

  it('invalid encode vectors are refused by encodeEnvelope, envelopeSigningBytes and (header faults) envelopeAssociatedData', () => {
    for (const v of vectors.invalidEncode) {
      const f = fieldsOf(v)
      throwsCode(() => encodeEnvelope(f, new Uint8Array(64)), v.code as ErrorCode, v.limit, v.name)
      throwsCode(() => envelopeSigningBytes(f), v.code as ErrorCode, v.limit, v.name)
      if (v.code !== 'PADDING_INVALID') throwsCode(() => envelopeAssociatedData(f), v.code as ErrorCode, v.limit, v.name)
    }
    const ok = fieldsOf({ ...vectors.invalidEncode[0]!, messageId: 1 })
    throwsCode(() => encodeEnvelope(ok, new Uint8Array(63)), 'INVALID_ARGUMENT')
    throwsCode(() => encodeEnvelope({ ...ok, messageId: 1.5 }, new Uint8Array(64)), 'INVALID_ARGUMENT')
  })

  it('decoded fields are views into the input, also at a non-zero offset', () => {
    const v = vectors.valid[1]!
    const inner = bytesOf(v.envelope)
    const outer = new Uint8Array(inner.length + 7)
    outer.set(inner, 7)
    const bytes = outer.subarray(7)
    const d = decodeEnvelope(bytes)
    for (const view of [d.placeId, d.nonce, d.ciphertext, d.signature, d.signedBytes, d.associatedData]) assert.equal(view.buffer, outer.buffer)
    assert.equal(d.ciphertext.byteOffset, 7 + ENVELOPE_OFFSET.CIPHERTEXT)
    assert.equal(toHex(openEnvelope(sodiums[0]!, bytes, epochKeyFor).plaintext), toHex(bytesOf(v.plaintext)))
  })

  it('openEnvelope checks the signature before it asks for a key or decrypts', () => {
    const bytes = bytesOf(vectors.valid[1]!.envelope)
    bytes[ENVELOPE_OFFSET.CIPHERTEXT]! ^= 1
    let asked = 0
    throwsCode(() => openEnvelope(sodiums[0]!, bytes, g => { asked++; return epochKeyFor(g) }), 'ENVELOPE_BAD_SIGNATURE')
    assert.equal(asked, 0)
  })

  it('sealEnvelope: fresh nonces, the plaintext limit, key checks', () => {
    for (const s of sodiums) {
      const place = s.signKeypair()
      const input = { kind: ENVELOPE_KIND.DIRECT, placeSecretKey: place.secretKey, messageId: 1, generation: 0, epochKey: s.randomBytes(32), plaintext: new Uint8Array(3) }
      const a = sealEnvelope(s, input)
      const b = sealEnvelope(s, input)
      assert.notEqual(toHex(decodeEnvelope(a).nonce), toHex(decodeEnvelope(b).nonce))
      assert.equal(toHex(openEnvelope(s, b, () => input.epochKey).plaintext), '000000')
      throwsCode(() => sealEnvelope(s, { ...input, plaintext: new Uint8Array(MAX_PLAINTEXT_BYTES + 1) }), 'LIMIT_EXCEEDED', 'MAX_PLAINTEXT_BYTES')
      throwsCode(() => sealEnvelope(s, { ...input, epochKey: new Uint8Array(16) }), 'BAD_KEY')
      throwsCode(() => sealEnvelope(s, { ...input, placeSecretKey: new Uint8Array(32) }), 'BAD_KEY')
      throwsCode(() => openEnvelope(s, a, () => new Uint8Array(31)), 'BAD_KEY')
    }
  })

  it('property: any valid fields encode, decode to the same fields and re-encode identically', () => {
    const fields = fc.record({
      kind: fc.constantFrom(...Object.values(ENVELOPE_KIND)),
      placeId: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      messageId: fc.oneof(fc.integer({ min: 1, max: MAX_MESSAGE_ID }), fc.constantFrom(1, 2 ** 32 - 1, 2 ** 32, MAX_MESSAGE_ID)),
      generation: fc.oneof(fc.integer({ min: 0, max: MAX_GENERATION }), fc.constantFrom(0, MAX_GENERATION)),
      nonce: fc.uint8Array({ minLength: 24, maxLength: 24 }),
      bucket: fc.constantFrom(...PAD_BUCKETS.slice(0, 3)),
      fill: fc.nat(255),
      signature: fc.uint8Array({ minLength: 64, maxLength: 64 })
    })
    fc.assert(fc.property(fields, f => {
      const ciphertext = new Uint8Array(f.bucket + ENVELOPE_TAG_BYTES).fill(f.fill)
      const bytes = encodeEnvelope({ ...f, ciphertext }, f.signature)
      assert.equal(bytes.length, ENVELOPE_FIXED_BYTES + ciphertext.length)
      const d = decodeEnvelope(bytes)
      assert.deepEqual([d.kind, d.messageId, d.generation, toHex(d.placeId), toHex(d.nonce), toHex(d.ciphertext), toHex(d.signature)],
        [f.kind, f.messageId, f.generation, toHex(f.placeId), toHex(f.nonce), toHex(ciphertext), toHex(f.signature)])
      assert.equal(toHex(encodeEnvelope(d, d.signature)), toHex(bytes))
    }), { numRuns: 500 })
  })
})
