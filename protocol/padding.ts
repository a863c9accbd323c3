/**
 * Bucket padding for every sealed plaintext (DESIGN §4): ISO/IEC 7816-4 as libsodium's
 * sodium_pad does it — the plaintext, one 0x80 byte, then zeros up to the bucket size. The bytes
 * are identical to `sodium_pad(plaintext, bucket)`, and `unpadBucket` accepts exactly what
 * `sodium_unpad(padded, padded.length)` accepts when the length is a bucket size (the tests
 * check both against the crypto adapter). Pure: no crypto, no I/O.
 *
 * A sender pads into the smallest bucket that fits; a reader also accepts a plaintext padded
 * into a larger bucket (it reveals less, and sodium_unpad accepts it too).
 * Unpadding is not constant-time: it runs only on plaintext that AEAD has already authenticated.
 */
import { SecushareError, limitExceeded } from './errors.js'
import { MAX_PLAINTEXT_BYTES, PAD_BUCKETS } from './limits.js'

const PAD_MARKER = 0x80

export function isBucketSize (n: number): boolean {
  return (PAD_BUCKETS as readonly number[]).includes(n)
}

/** The smallest bucket with room for the plaintext and at least one padding byte. */
export function bucketFor (plaintextLength: number): number {
  if (!Number.isSafeInteger(plaintextLength) || plaintextLength < 0) {
    throw new SecushareError('INVALID_ARGUMENT', 'plaintext length must be a non-negative integer', { plaintextLength })
  }
  if (plaintextLength > MAX_PLAINTEXT_BYTES) throw limitExceeded('MAX_PLAINTEXT_BYTES', MAX_PLAINTEXT_BYTES, plaintextLength)
  // MAX_PLAINTEXT_BYTES is one less than the largest bucket, so some bucket always fits.
  return PAD_BUCKETS.find(bucket => bucket > plaintextLength)!
}

/** A new buffer: plaintext || 0x80 || zeros, of length bucketFor(plaintext.length). */
export function padToBucket (plaintext: Uint8Array): Uint8Array {
  const padded = new Uint8Array(bucketFor(plaintext.length))
  padded.set(plaintext)
  padded[plaintext.length] = PAD_MARKER
  return padded
}

/** The plaintext, as a view into `padded`. PADDING_INVALID unless the length is a bucket size
 * and the last non-zero byte is the 0x80 marker. */
export function unpadBucket (padded: Uint8Array): Uint8Array {
  if (!isBucketSize(padded.length)) {
    throw new SecushareError('PADDING_INVALID', `padded length ${padded.length} is not a bucket size`, { length: padded.length })
  }
  let i = padded.length - 1
  while (i >= 0 && padded[i] === 0) i--
  if (i < 0 || padded[i] !== PAD_MARKER) {
    throw new SecushareError('PADDING_INVALID', 'the padding has no 0x80 marker before its zeros', { length: padded.length })
  }
  return padded.subarray(0, i)
}
