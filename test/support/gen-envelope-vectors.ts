/**
 * Writes the golden vectors protocol/vectors/envelopes.json and padding.json.
 * Run after changing the envelope or padding format (never otherwise):
 *   node node_modules/typescript/bin/tsc -p tsconfig.json && node dist/test/support/gen-envelope-vectors.js
 * Everything is fixed (seeds, keys, nonces; Ed25519 is deterministic), so a rerun writes the same
 * bytes, and test/envelope.test.ts checks that the committed files equal a fresh build.
 * Expected error codes are written down by intent here, never computed by running the decoder.
 *
 * Byte strings in the JSON are "byte specs": a hex string, or {"repeat": hex, "length": n} (the
 * hex bytes repeated and cut to n bytes), or an array of specs (concatenated).
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { REPO_ROOT } from './tmp.js'
import { LABEL } from '../../protocol/labels.js'
import { MAX_ENVELOPE_BYTES, MAX_GENERATION, MAX_MESSAGE_ID, MAX_PLAINTEXT_BYTES, PAD_BUCKETS } from '../../protocol/limits.js'
import {
  ENVELOPE_KIND, ENVELOPE_OFFSET, encodeEnvelope, envelopeAssociatedData, envelopeSigningBytes,
  type EnvelopeFields, type EnvelopeKind
} from '../../protocol/envelope.js'
import { sealEnvelope } from '../../core/crypto/envelope-seal.js'
import { signLabelled } from '../../core/crypto/labels.js'
import { loadSodium, type Sodium } from '../../core/crypto/sodium.js'

export type ByteSpec = string | { repeat: string, length: number } | ByteSpec[]

export function bytesOf (spec: ByteSpec): Uint8Array {
  if (typeof spec === 'string') return new Uint8Array(Buffer.from(spec, 'hex'))
  if (Array.isArray(spec)) return new Uint8Array(Buffer.concat(spec.map(bytesOf)))
  const unit = Buffer.from(spec.repeat, 'hex')
  const out = new Uint8Array(spec.length)
  for (let i = 0; i < out.length; i++) out[i] = unit[i % unit.length]!
  return out
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

/** Bytes 00 01 .. ff 00 01 ..: `length` of them, as a byte spec. */
const counting = (length: number): ByteSpec => ({ repeat: hex(Uint8Array.from({ length: 256 }, (_, i) => i)), length })
const zeros = (length: number): ByteSpec => ({ repeat: '00', length })

export interface EnvelopeVectors {
  about: string
  placeSeed: string
  placePublicKey: string
  /** Epoch keys by generation; an envelope of any other generation has no key (NOT_FOUND). */
  epochKeys: Record<string, string>
  valid: Array<{
    name: string, kind: EnvelopeKind, messageId: number, generation: number, nonce: string,
    plaintext: ByteSpec, envelope: ByteSpec
  }>
  /** decode: decodeEnvelope refuses; open: decodes, openEnvelope refuses. */
  invalid: Array<{ name: string, stage: 'decode' | 'open', envelope: ByteSpec, code: string, limit?: string }>
  /** encodeEnvelope refuses these fields (ciphertext given by length: zeros). */
  invalidEncode: Array<{
    name: string, kind: number, placeId: string, messageId: number, generation: number, nonce: string,
    ciphertextLength: number, code: string, limit?: string
  }>
}

export interface PaddingVectors {
  about: string
  buckets: number[]
  /** unpadBucket(padded) = plaintext; when canonical, padToBucket(plaintext) = padded too. */
  valid: Array<{ name: string, plaintext: ByteSpec, padded: ByteSpec, canonical: boolean }>
  invalidPad: Array<{ name: string, plaintextLength: number, code: string, limit?: string }>
  invalidUnpad: Array<{ name: string, padded: ByteSpec, code: string }>
}

/** Deterministic test keys: BLAKE2b of a name. */
function fixed (sodium: Sodium, name: string, length: number): Uint8Array {
  return sodium.hash(utf8(`secushare vector ${name}`), length)
}

export function buildEnvelopeVectors (sodium: Sodium): EnvelopeVectors {
  const place = sodium.signKeypair(fixed(sodium, 'place seed', 32))
  const other = sodium.signKeypair(fixed(sodium, 'other place seed', 32))
  const epochKeys = new Map<number, Uint8Array>([0, 1, MAX_GENERATION].map(g => [g, fixed(sodium, `epoch key ${g}`, 32)]))
  const epochKey = (g: number): Uint8Array => epochKeys.get(g)!
  const nonceFor = (name: string): Uint8Array => fixed(sodium, `nonce ${name}`, 24)

  const valid: EnvelopeVectors['valid'] = []
  const sealed = new Map<string, Uint8Array>()
  function addValid (name: string, plaintext: ByteSpec, o: { kind?: EnvelopeKind, messageId?: number, generation?: number } = {}): void {
    const kind = o.kind ?? ENVELOPE_KIND.PLACE_MESSAGE
    const messageId = o.messageId ?? 1
    const generation = o.generation ?? 0
    const nonce = nonceFor(name)
    const envelope = sealEnvelope(sodium, {
      kind, placeSecretKey: place.secretKey, messageId, generation, epochKey: epochKey(generation), plaintext: bytesOf(plaintext), nonce
    })
    sealed.set(name, envelope)
    valid.push({ name, kind, messageId, generation, nonce: hex(nonce), plaintext, envelope: hex(envelope) })
  }

  addValid('empty plaintext', '')
  addValid('one byte', '2a')
  addValid('a PSYC packet', hex(utf8(':_nick\tbob\n_message_public\nhello place\n|\n')), { messageId: 42 })
  addValid('255 bytes: the most that fits the 256 bucket', counting(255))
  addValid('256 bytes: into the 1024 bucket', counting(256))
  addValid('1023 bytes: the most that fits the 1024 bucket', counting(1023))
  addValid('1024 bytes: into the 4096 bucket', counting(1024))
  addValid('4095 bytes: the most that fits the 4096 bucket', counting(4095))
  addValid('4096 bytes: into the 16384 bucket', counting(4096))
  addValid('16383 bytes: the most that fits the 16384 bucket', counting(16383))
  addValid('16384 bytes: into the 65536 bucket', counting(16384))
  addValid('65535 bytes: MAX_PLAINTEXT_BYTES, an envelope of MAX_ENVELOPE_BYTES', counting(MAX_PLAINTEXT_BYTES))
  addValid('plaintext that ends like padding', '6869800000', { messageId: 3 })
  addValid('255 zero bytes', zeros(255), { messageId: 4 })
  addValid('kind GUEST_TALK', hex(utf8('talk')), { kind: ENVELOPE_KIND.GUEST_TALK, messageId: 5 })
  addValid('kind DIRECT', hex(utf8('direct')), { kind: ENVELOPE_KIND.DIRECT, messageId: 6 })
  addValid('kind STATE_SNAPSHOT', hex(utf8('state')), { kind: ENVELOPE_KIND.STATE_SNAPSHOT, messageId: 7 })
  addValid('message id MAX_MESSAGE_ID', '01', { messageId: MAX_MESSAGE_ID })
  addValid('message id 2^32 (high word)', '02', { messageId: 2 ** 32 })
  addValid('generation 1', '03', { generation: 1, messageId: 8 })
  addValid('generation MAX_GENERATION', '04', { generation: MAX_GENERATION, messageId: 9 })

  /** Sign arbitrary fields with a given key and label; encrypt a given padded buffer. */
  function build (o: {
    name: string, padded: Uint8Array, kind?: number, messageId?: number, generation?: number, key?: Uint8Array,
    signer?: Uint8Array, placeId?: Uint8Array, sign?: (signed: Uint8Array) => Uint8Array
  }): Uint8Array {
    const fields: EnvelopeFields = {
      kind: (o.kind ?? ENVELOPE_KIND.PLACE_MESSAGE) as EnvelopeKind,
      placeId: o.placeId ?? place.publicKey,
      messageId: o.messageId ?? 10,
      generation: o.generation ?? 0,
      nonce: nonceFor(o.name),
      ciphertext: new Uint8Array(0)
    }
    fields.ciphertext = sodium.aeadEncrypt(o.padded, envelopeAssociatedData(fields), fields.nonce, o.key ?? epochKey(fields.generation))
    const signed = envelopeSigningBytes(fields)
    const sig = o.sign?.(signed) ?? signLabelled(sodium, LABEL.ENVELOPE, signed, o.signer ?? place.secretKey)
    return encodeEnvelope(fields, sig)
  }
  // Over-padding is valid: a 10-byte plaintext in the 1024 bucket.
  {
    const name = 'over-padded: 10 bytes in the 1024 bucket'
    const envelope = build({ name, padded: sodium.pad(bytesOf(counting(10)), 1024), messageId: 11 })
    valid.push({ name, kind: ENVELOPE_KIND.PLACE_MESSAGE, messageId: 11, generation: 0, nonce: hex(nonceFor(name)), plaintext: counting(10), envelope: hex(envelope) })
  }

  const base = sealed.get('one byte')!
  const mid = sealed.get('256 bytes: into the 1024 bucket')!
  const edit = (src: Uint8Array, f: (b: Uint8Array, v: DataView) => void): string => {
    const b = src.slice()
    f(b, new DataView(b.buffer))
    return hex(b)
  }
  const ctLen = ENVELOPE_OFFSET.CIPHERTEXT_LENGTH
  const invalid: EnvelopeVectors['invalid'] = []
  const bad = (name: string, envelope: ByteSpec, code: string, limit?: string): void => {
    invalid.push({ name, stage: 'decode', envelope, code, ...(limit === undefined ? {} : { limit }) })
  }
  bad('empty', '', 'ENVELOPE_MALFORMED')
  bad('one byte, version 0', '00', 'ENVELOPE_BAD_VERSION')
  bad('version 2', edit(base, b => { b[0] = 2 }), 'ENVELOPE_BAD_VERSION')
  bad('version 255', edit(base, b => { b[0] = 255 }), 'ENVELOPE_BAD_VERSION')
  bad('version only', '01', 'ENVELOPE_MALFORMED')
  bad('kind 0', edit(base, b => { b[1] = 0 }), 'ENVELOPE_BAD_KIND')
  bad('kind 5', edit(base, b => { b[1] = 5 }), 'ENVELOPE_BAD_KIND')
  bad('kind 255', edit(base, b => { b[1] = 255 }), 'ENVELOPE_BAD_KIND')
  bad('MAX_ENVELOPE_BYTES + 1', ['0101', zeros(MAX_ENVELOPE_BYTES + 1 - 2)], 'LIMIT_EXCEEDED', 'MAX_ENVELOPE_BYTES')
  for (const at of [2, 34, 70, 74, 200, 409]) bad(`truncated to ${at} bytes`, hex(base.subarray(0, at)), 'ENVELOPE_MALFORMED')
  bad('1024-bucket envelope missing its last byte', hex(mid.subarray(0, mid.length - 1)), 'ENVELOPE_MALFORMED')
  bad('1024-bucket envelope missing its signature', hex(mid.subarray(0, mid.length - 64)), 'ENVELOPE_MALFORMED')
  bad('one byte appended', [hex(base), '00'], 'ENVELOPE_MALFORMED')
  bad('ciphertext length field + 1', edit(base, (_, v) => { v.setUint32(ctLen, v.getUint32(ctLen) + 1) }), 'ENVELOPE_MALFORMED')
  bad('ciphertext length field - 1', edit(base, (_, v) => { v.setUint32(ctLen, v.getUint32(ctLen) - 1) }), 'ENVELOPE_MALFORMED')
  bad('ciphertext length field 0xffffffff', edit(base, (_, v) => { v.setUint32(ctLen, 0xffff_ffff) }), 'ENVELOPE_MALFORMED')
  bad('ciphertext length field 0', edit(base, (_, v) => { v.setUint32(ctLen, 0) }), 'ENVELOPE_MALFORMED')
  const withCiphertextLength = (n: number): ByteSpec => [
    hex(base.subarray(0, ctLen)), n.toString(16).padStart(8, '0'), zeros(n + 64)
  ]
  bad('ciphertext 273 bytes (256 bucket + tag + 1), consistent', withCiphertextLength(273), 'PADDING_INVALID')
  bad('ciphertext 1039 bytes (1024 bucket + tag - 1), consistent', withCiphertextLength(1039), 'PADDING_INVALID')
  bad('ciphertext 1024 bytes: a bucket without its tag', withCiphertextLength(1024), 'PADDING_INVALID')
  bad('message id 0', edit(base, (_, v) => { v.setBigUint64(ENVELOPE_OFFSET.MESSAGE_ID, 0n) }), 'ENVELOPE_MALFORMED')
  bad('message id MAX_MESSAGE_ID + 1', edit(base, (_, v) => { v.setBigUint64(ENVELOPE_OFFSET.MESSAGE_ID, BigInt(MAX_MESSAGE_ID) + 1n) }),
    'LIMIT_EXCEEDED', 'MAX_MESSAGE_ID')
  bad('message id 2^64 - 1', edit(base, (_, v) => { v.setBigUint64(ENVELOPE_OFFSET.MESSAGE_ID, 2n ** 64n - 1n) }),
    'LIMIT_EXCEEDED', 'MAX_MESSAGE_ID')

  const badOpen = (name: string, envelope: ByteSpec, code: string): void => { invalid.push({ name, stage: 'open', envelope, code }) }
  const sigAt = base.length - 64
  const padded1 = bytesOf(['2a80', zeros(254)])
  badOpen('signature bit flipped', edit(base, b => { b[sigAt + 5]! ^= 0x10 }), 'ENVELOPE_BAD_SIGNATURE')
  badOpen('signature all zeros', edit(base, b => { b.fill(0, sigAt) }), 'ENVELOPE_BAD_SIGNATURE')
  badOpen('ciphertext bit flipped', edit(base, b => { b[ENVELOPE_OFFSET.CIPHERTEXT + 3]! ^= 1 }), 'ENVELOPE_BAD_SIGNATURE')
  badOpen('message id changed', edit(base, b => { b[ENVELOPE_OFFSET.MESSAGE_ID + 7]! ^= 2 }), 'ENVELOPE_BAD_SIGNATURE')
  badOpen('generation changed', edit(base, b => { b[ENVELOPE_OFFSET.GENERATION + 3] = 1 }), 'ENVELOPE_BAD_SIGNATURE')
  badOpen('kind changed', edit(base, b => { b[ENVELOPE_OFFSET.KIND] = ENVELOPE_KIND.DIRECT }), 'ENVELOPE_BAD_SIGNATURE')
  badOpen('nonce changed', edit(base, b => { b[ENVELOPE_OFFSET.NONCE]! ^= 0x80 }), 'ENVELOPE_BAD_SIGNATURE')
  badOpen('place id replaced by another key', edit(base, b => { b.set(other.publicKey, ENVELOPE_OFFSET.PLACE_ID) }), 'ENVELOPE_BAD_SIGNATURE')
  badOpen('place id not a curve point', edit(base, b => { b.fill(0, 2, 34); b[2] = 2 }), 'ENVELOPE_BAD_SIGNATURE')
  badOpen('signed by another key', hex(build({ name: 'other signer', padded: padded1, signer: other.secretKey })), 'ENVELOPE_BAD_SIGNATURE')
  badOpen('signed under the author label', hex(build({
    name: 'author label', padded: padded1, sign: m => signLabelled(sodium, LABEL.AUTHOR, m, place.secretKey)
  })), 'ENVELOPE_BAD_SIGNATURE')
  badOpen('signed without a label', hex(build({ name: 'no label', padded: padded1, sign: m => sodium.sign(m, place.secretKey) })),
    'ENVELOPE_BAD_SIGNATURE')
  badOpen('signature of another envelope', [hex(base.subarray(0, sigAt)), hex(sealed.get('kind DIRECT')!.subarray(sigAt))],
    'ENVELOPE_BAD_SIGNATURE')
  // Signed correctly, so the cipher or the padding must catch them.
  const resign = (m: Uint8Array): Uint8Array => signLabelled(sodium, LABEL.ENVELOPE, m, place.secretKey)
  const resigned = (f: (b: Uint8Array) => void): string => {
    const b = base.slice()
    f(b)
    b.set(resign(b.subarray(0, sigAt)), sigAt)
    return hex(b)
  }
  badOpen('ciphertext bit flipped, re-signed', resigned(b => { b[ENVELOPE_OFFSET.CIPHERTEXT + 100]! ^= 4 }), 'DECRYPT_FAILED')
  badOpen('tag bit flipped, re-signed', resigned(b => { b[sigAt - 1]! ^= 1 }), 'DECRYPT_FAILED')
  badOpen('message id changed, re-signed (associated data)', resigned(b => { b[ENVELOPE_OFFSET.MESSAGE_ID + 7] = 99 }), 'DECRYPT_FAILED')
  badOpen('kind changed, re-signed (associated data)', resigned(b => { b[ENVELOPE_OFFSET.KIND] = ENVELOPE_KIND.GUEST_TALK }), 'DECRYPT_FAILED')
  badOpen('nonce changed, re-signed', resigned(b => { b[ENVELOPE_OFFSET.NONCE + 23]! ^= 1 }), 'DECRYPT_FAILED')
  badOpen('generation 1 but sealed under generation 0, re-signed', resigned(b => { b[ENVELOPE_OFFSET.GENERATION + 3] = 1 }), 'DECRYPT_FAILED')
  badOpen('encrypted under a key that is not the epoch key', hex(build({ name: 'wrong key', padded: padded1, key: fixed(sodium, 'not an epoch key', 32) })),
    'DECRYPT_FAILED')
  badOpen('generation 2: no epoch key', hex(build({ name: 'no key', padded: padded1, generation: 2, key: fixed(sodium, 'epoch key 2', 32) })),
    'NOT_FOUND')
  badOpen('bucket of zeros: no padding marker', hex(build({ name: 'no marker', padded: bytesOf(zeros(256)) })), 'PADDING_INVALID')
  badOpen('padding marker followed by junk', hex(build({ name: 'junk', padded: bytesOf(['2a80', zeros(253), '01']) })), 'PADDING_INVALID')
  badOpen('padding marker 0x81', hex(build({ name: 'marker 81', padded: bytesOf(['2a81', zeros(254)]) })), 'PADDING_INVALID')

  const field = { kind: 1, placeId: hex(place.publicKey), messageId: 1, generation: 0, nonce: hex(nonceFor('encode')), ciphertextLength: 272 }
  const invalidEncode: EnvelopeVectors['invalidEncode'] = [
    { name: 'message id 0', ...field, messageId: 0, code: 'INVALID_ARGUMENT' },
    { name: 'message id MAX_MESSAGE_ID + 1', ...field, messageId: MAX_MESSAGE_ID + 1, code: 'LIMIT_EXCEEDED', limit: 'MAX_MESSAGE_ID' },
    { name: 'generation MAX_GENERATION + 1', ...field, generation: MAX_GENERATION + 1, code: 'LIMIT_EXCEEDED', limit: 'MAX_GENERATION' },
    { name: 'generation -1', ...field, generation: -1, code: 'INVALID_ARGUMENT' },
    { name: 'kind 5', ...field, kind: 5, code: 'ENVELOPE_BAD_KIND' },
    { name: 'ciphertext 271 bytes', ...field, ciphertextLength: 271, code: 'PADDING_INVALID' },
    { name: 'ciphertext 256 bytes (no room for the tag)', ...field, ciphertextLength: 256, code: 'PADDING_INVALID' },
    { name: 'place id 31 bytes', ...field, placeId: hex(place.publicKey.subarray(1)), code: 'INVALID_ARGUMENT' },
    { name: 'nonce 23 bytes', ...field, nonce: field.nonce.slice(2), code: 'INVALID_ARGUMENT' }
  ]

  return {
    about: 'Golden envelope v1 vectors (protocol/envelope.ts, docs/protocol-envelope.md). Written by test/support/gen-envelope-vectors.ts. ' +
      'Valid envelopes open with the epoch key of their generation to the plaintext; invalid ones fail with the code given, at the stage given.',
    placeSeed: hex(fixed(sodium, 'place seed', 32)),
    placePublicKey: hex(place.publicKey),
    epochKeys: Object.fromEntries([...epochKeys].map(([g, k]) => [String(g), hex(k)])),
    valid,
    invalid,
    invalidEncode
  }
}

export function buildPaddingVectors (): PaddingVectors {
  const valid: PaddingVectors['valid'] = []
  const canonical = (name: string, plaintextLength: number, bucket: number): void => {
    valid.push({ name, plaintext: counting(plaintextLength), padded: [counting(plaintextLength), '80', zeros(bucket - plaintextLength - 1)], canonical: true })
  }
  canonical('empty', 0, 256)
  canonical('one byte', 1, 256)
  canonical('100 bytes', 100, 256)
  for (const [i, bucket] of PAD_BUCKETS.entries()) {
    canonical(`${bucket - 1} bytes: the most that fits bucket ${bucket}`, bucket - 1, bucket)
    const next = PAD_BUCKETS[i + 1]
    if (next !== undefined) canonical(`${bucket} bytes: into bucket ${next}`, bucket, next)
  }
  valid.push({ name: 'plaintext ending in 80 00', plaintext: '41800000', padded: ['4180000080', zeros(251)], canonical: true })
  valid.push({ name: 'over-padded: 10 bytes in bucket 1024', plaintext: counting(10), padded: [counting(10), '80', zeros(1013)], canonical: false })
  valid.push({ name: 'over-padded: empty in bucket 65536', plaintext: '', padded: ['80', zeros(65535)], canonical: false })

  const invalidUnpad: PaddingVectors['invalidUnpad'] = []
  const bad = (name: string, padded: ByteSpec): void => { invalidUnpad.push({ name, padded, code: 'PADDING_INVALID' }) }
  bad('empty', '')
  for (const n of [1, 100, 255, 257, 1023, 1025, 65535, 65537]) bad(`length ${n} is not a bucket`, [counting(Math.min(n - 1, 10)), '80', zeros(n - 1 - Math.min(n - 1, 10))])
  bad('256 zero bytes: no marker', zeros(256))
  bad('65536 zero bytes: no marker', zeros(65536))
  bad('last non-zero byte is 0x01', [counting(10), '01', zeros(245)])
  bad('marker 0x81', [counting(10), '81', zeros(245)])
  bad('junk after the marker', [counting(10), '80', zeros(244), '01'])
  bad('1024 bytes of 0xff', { repeat: 'ff', length: 1024 })

  return {
    about: 'Golden bucket padding vectors (protocol/padding.ts): ISO/IEC 7816-4 as sodium_pad does it, into PAD_BUCKETS. ' +
      'Written by test/support/gen-envelope-vectors.ts.',
    buckets: [...PAD_BUCKETS],
    valid,
    invalidPad: [
      { name: 'MAX_PLAINTEXT_BYTES + 1', plaintextLength: MAX_PLAINTEXT_BYTES + 1, code: 'LIMIT_EXCEEDED', limit: 'MAX_PLAINTEXT_BYTES' },
      { name: 'far over the limit', plaintextLength: 1 << 20, code: 'LIMIT_EXCEEDED', limit: 'MAX_PLAINTEXT_BYTES' }
    ],
    invalidUnpad
  }
}

export const VECTOR_FILES = {
  envelopes: join(REPO_ROOT, 'protocol', 'vectors', 'envelopes.json'),
  padding: join(REPO_ROOT, 'protocol', 'vectors', 'padding.json')
}

/** The JSON text of a vector file: stable, one entry per line or so, trailing newline. */
export function vectorJson (v: unknown): string {
  return JSON.stringify(v, null, 1) + '\n'
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sodium = await loadSodium()
  writeFileSync(VECTOR_FILES.envelopes, vectorJson(buildEnvelopeVectors(sodium)))
  writeFileSync(VECTOR_FILES.padding, vectorJson(buildPaddingVectors()))
  console.log(`wrote ${VECTOR_FILES.envelopes} and ${VECTOR_FILES.padding}`)
}
