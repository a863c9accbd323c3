/**
 * Bucket padding (protocol/padding.ts) against its golden vectors and against libsodium's own
 * sodium_pad / sodium_unpad through the crypto adapter (both backends where they load).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { isSecushareError, type ErrorCode } from '../protocol/errors.js'
import { MAX_PADDED_BYTES, MAX_PLAINTEXT_BYTES, PAD_BUCKETS } from '../protocol/limits.js'
import { bucketFor, isBucketSize, padToBucket, unpadBucket } from '../protocol/padding.js'
import { loadSodium, type Sodium } from '../core/crypto/sodium.js'
import { buildPaddingVectors, bytesOf, VECTOR_FILES, vectorJson, type PaddingVectors } from './support/gen-envelope-vectors.js'

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const vectors = JSON.parse(readFileSync(VECTOR_FILES.padding, 'utf8')) as PaddingVectors

function throwsCode (f: () => unknown, code: ErrorCode, limit?: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(isSecushareError(e), `expected SecushareError ${code}, got ${String(e)}`)
    assert.equal(e.code, code, e.message)
    if (limit !== undefined) assert.equal(e.detail.limit, limit)
    return true
  })
}

/** The sodium result for unpad: the plaintext hex, or the error code. */
function sodiumUnpad (s: Sodium, buf: Uint8Array, blockSize: number): string {
  try { return toHex(s.unpad(buf, blockSize)) } catch (e) { if (isSecushareError(e)) return e.code; throw e }
}

function ourUnpad (buf: Uint8Array): string {
  try { return toHex(unpadBucket(buf)) } catch (e) { if (isSecushareError(e)) return e.code; throw e }
}

describe('padding', () => {
  const sodiums: Sodium[] = []
  before(async () => {
    sodiums.push(await loadSodium('wasm'))
    try { sodiums.push(await loadSodium('native')) } catch (e) { console.log(`      (native backend not loaded: ${(e as Error).message})`) }
  })

  it('the vector file is what the generator writes', () => {
    assert.equal(readFileSync(VECTOR_FILES.padding, 'utf8'), vectorJson(buildPaddingVectors()))
    assert.ok(vectors.valid.length >= 15 && vectors.invalidUnpad.length >= 15, 'vector counts')
  })

  it('buckets and limits agree', () => {
    assert.deepEqual(vectors.buckets, [...PAD_BUCKETS])
    assert.equal(PAD_BUCKETS[PAD_BUCKETS.length - 1], MAX_PADDED_BYTES)
    assert.equal(MAX_PLAINTEXT_BYTES, MAX_PADDED_BYTES - 1)
    assert.deepEqual([...PAD_BUCKETS].sort((a, b) => a - b), [...PAD_BUCKETS])
  })

  it('bucketFor: every boundary, and the limit', () => {
    let previous = 0
    for (const bucket of PAD_BUCKETS) {
      assert.equal(bucketFor(previous), bucket, `${previous}`)
      assert.equal(bucketFor(bucket - 1), bucket, `${bucket - 1}`)
      previous = bucket
    }
    assert.equal(bucketFor(MAX_PLAINTEXT_BYTES), MAX_PADDED_BYTES)
    throwsCode(() => bucketFor(MAX_PLAINTEXT_BYTES + 1), 'LIMIT_EXCEEDED', 'MAX_PLAINTEXT_BYTES')
    throwsCode(() => bucketFor(-1), 'INVALID_ARGUMENT')
    throwsCode(() => bucketFor(1.5), 'INVALID_ARGUMENT')
  })

  it('valid vectors: unpad to the plaintext; canonical ones pad to exactly these bytes, as sodium_pad does', () => {
    for (const v of vectors.valid) {
      const plaintext = bytesOf(v.plaintext)
      const padded = bytesOf(v.padded)
      assert.ok(isBucketSize(padded.length), v.name)
      assert.equal(toHex(unpadBucket(padded)), toHex(plaintext), v.name)
      if (v.canonical) assert.equal(toHex(padToBucket(plaintext)), toHex(padded), v.name)
      else assert.notEqual(padToBucket(plaintext).length, padded.length, v.name)
      for (const s of sodiums) {
        assert.equal(toHex(s.unpad(padded, padded.length)), toHex(plaintext), `${s.backend}: ${v.name}`)
        if (v.canonical) assert.equal(toHex(s.pad(plaintext, padded.length)), toHex(padded), `${s.backend}: ${v.name}`)
      }
    }
  })

  it('invalid vectors: refused with their code; sodium_unpad agrees where the length is a bucket', () => {
    for (const v of vectors.invalidPad) {
      throwsCode(() => bucketFor(v.plaintextLength), v.code as ErrorCode, v.limit)
      throwsCode(() => padToBucket(new Uint8Array(v.plaintextLength)), v.code as ErrorCode, v.limit)
    }
    for (const v of vectors.invalidUnpad) {
      const padded = bytesOf(v.padded)
      throwsCode(() => unpadBucket(padded), v.code as ErrorCode)
      if (isBucketSize(padded.length)) for (const s of sodiums) assert.equal(sodiumUnpad(s, padded, padded.length), 'PADDING_INVALID', v.name)
    }
  })

  it('unpadBucket returns a view into its input, padToBucket a new buffer', () => {
    const plaintext = new Uint8Array([1, 2, 3])
    const padded = padToBucket(plaintext)
    assert.notEqual(padded.buffer, plaintext.buffer)
    const inner = unpadBucket(padded)
    assert.equal(inner.buffer, padded.buffer)
    assert.equal(inner.byteOffset, 0)
    assert.equal(inner.length, 3)
  })

  it('property: padToBucket = sodium_pad to bucketFor(length), and both unpads invert it', () => {
    const length = fc.oneof(fc.nat(MAX_PLAINTEXT_BYTES), fc.constantFrom(...PAD_BUCKETS.flatMap(b => [b - 2, b - 1, b].filter(n => n <= MAX_PLAINTEXT_BYTES))))
    fc.assert(fc.property(length, fc.nat(255), (n, fill) => {
      const plaintext = new Uint8Array(n).fill(fill)
      const padded = padToBucket(plaintext)
      assert.equal(padded.length, bucketFor(n))
      assert.equal(toHex(unpadBucket(padded)), toHex(plaintext))
      for (const s of sodiums) {
        assert.equal(toHex(s.pad(plaintext, padded.length)), toHex(padded))
        assert.equal(toHex(s.unpad(padded, padded.length)), toHex(plaintext))
      }
    }), { numRuns: 300 })
  })

  it('property: on bucket-sized input, unpadBucket accepts and refuses exactly what sodium_unpad does', () => {
    const outcomes = new Set<string>()
    const tail = fc.array(fc.constantFrom(0x00, 0x00, 0x00, 0x80, 0x01, 0x81, 0xff), { maxLength: 12 })
    fc.assert(fc.property(fc.constantFrom(256, 1024, 4096), fc.nat(255), tail, (size, fill, end) => {
      const buf = new Uint8Array(size).fill(fill)
      buf.set(end, size - end.length)
      const ours = ourUnpad(buf)
      outcomes.add(ours === 'PADDING_INVALID' ? 'refused' : 'accepted')
      for (const s of sodiums) assert.equal(sodiumUnpad(s, buf, size), ours)
    }), { numRuns: 2000 })
    assert.equal(outcomes.size, 2, 'both outcomes occurred')
  })
})
