/**
 * Envelope v1: what travels between nodes and what relays store. Big-endian, fixed layout:
 *
 *   offset  bytes  field
 *        0      1  version            1
 *        1      1  kind               ENVELOPE_KIND
 *        2     32  place id           the place's Ed25519 public key
 *       34      8  message id         1..MAX_MESSAGE_ID, dense per place
 *       42      4  generation         epoch key generation, 0..MAX_GENERATION
 *       46     24  nonce              XChaCha20-Poly1305 nonce, random per envelope
 *       70      4  ciphertext length  L, where L - 16 is one of PAD_BUCKETS
 *       74      L  ciphertext         AEAD(padded plaintext), associated data = bytes [0, 70)
 *   74 + L     64  signature          place key, label secushare/envelope/v1, over bytes [0, 74 + L)
 *
 * The associated data (version..nonce) binds the ciphertext to its kind, place, id and generation
 * even for a reader that holds the epoch key; the signature covers everything, length included.
 * Pure codec: no crypto here (core/crypto/envelope-seal.ts seals and opens). Decoded byte fields
 * are views into the input, never copies.
 *
 * Decoding judges cheap things first, each with its own code:
 *   empty                                      ENVELOPE_MALFORMED
 *   version is not 1                           ENVELOPE_BAD_VERSION (checked before any length,
 *                                              which belongs to the v1 layout)
 *   kind missing                               ENVELOPE_MALFORMED
 *   kind unknown                               ENVELOPE_BAD_KIND
 *   longer than MAX_ENVELOPE_BYTES             LIMIT_EXCEEDED (MAX_ENVELOPE_BYTES)
 *   shorter than MIN_ENVELOPE_BYTES            ENVELOPE_MALFORMED
 *   ciphertext length field != bytes present   ENVELOPE_MALFORMED
 *   ciphertext length - 16 not a bucket size   PADDING_INVALID
 *   message id 0                               ENVELOPE_MALFORMED
 *   message id > MAX_MESSAGE_ID                LIMIT_EXCEEDED (MAX_MESSAGE_ID)
 * (A u32 generation cannot exceed MAX_GENERATION; encoding checks it.)
 */
import { SecushareError, limitExceeded } from './errors.js'
import { MAX_ENVELOPE_BYTES, MAX_GENERATION, MAX_MESSAGE_ID, PAD_BUCKETS } from './limits.js'
import { isBucketSize } from './padding.js'

export const ENVELOPE_VERSION = 1

/**
 * What an envelope carries. These are first cuts: later work (places, talk, 1:1, state sync)
 * refines what each kind means; numbers are never reused.
 */
export const ENVELOPE_KIND = {
  /** A message the host publishes to a place. */
  PLACE_MESSAGE: 1,
  /** A guest's message to the host, for the host to validate and publish. */
  GUEST_TALK: 2,
  /** A private 1:1 message. */
  DIRECT: 3,
  /** A snapshot of a place's state, for members that join or catch up. */
  STATE_SNAPSHOT: 4
} as const

export type EnvelopeKind = (typeof ENVELOPE_KIND)[keyof typeof ENVELOPE_KIND]

const KINDS: readonly number[] = Object.values(ENVELOPE_KIND)

export function isEnvelopeKind (k: unknown): k is EnvelopeKind {
  return KINDS.includes(k as number)
}

export const PLACE_ID_BYTES = 32
export const ENVELOPE_NONCE_BYTES = 24
export const ENVELOPE_TAG_BYTES = 16
export const ENVELOPE_SIGNATURE_BYTES = 64

/** Byte offsets of the fields (see the layout above). */
export const ENVELOPE_OFFSET = {
  VERSION: 0,
  KIND: 1,
  PLACE_ID: 2,
  MESSAGE_ID: 34,
  GENERATION: 42,
  NONCE: 46,
  CIPHERTEXT_LENGTH: 70,
  CIPHERTEXT: 74
} as const

/** The associated data: version..nonce. */
export const ENVELOPE_HEADER_BYTES = ENVELOPE_OFFSET.CIPHERTEXT_LENGTH
/** Everything but the ciphertext. */
export const ENVELOPE_FIXED_BYTES = ENVELOPE_OFFSET.CIPHERTEXT + ENVELOPE_SIGNATURE_BYTES
/** The shortest envelope: the smallest bucket. */
export const MIN_ENVELOPE_BYTES = ENVELOPE_FIXED_BYTES + PAD_BUCKETS[0] + ENVELOPE_TAG_BYTES

export interface EnvelopeHeader {
  kind: EnvelopeKind
  placeId: Uint8Array
  messageId: number
  generation: number
  nonce: Uint8Array
}

export interface EnvelopeFields extends EnvelopeHeader {
  ciphertext: Uint8Array
}

export interface DecodedEnvelope extends EnvelopeFields {
  version: typeof ENVELOPE_VERSION
  signature: Uint8Array
  /** The bytes the signature covers: [0, 74 + L). */
  signedBytes: Uint8Array
  /** The AEAD associated data: [0, 70). */
  associatedData: Uint8Array
}

const TWO_32 = 2 ** 32

function invalid (message: string, detail: Record<string, unknown> = {}): SecushareError {
  return new SecushareError('INVALID_ARGUMENT', message, detail)
}

function malformed (message: string, detail: Record<string, unknown> = {}): SecushareError {
  return new SecushareError('ENVELOPE_MALFORMED', message, detail)
}

function badKind (kind: unknown): SecushareError {
  return new SecushareError('ENVELOPE_BAD_KIND', `unknown envelope kind ${String(kind)}`, { kind })
}

function badCiphertextLength (length: number): SecushareError {
  return new SecushareError('PADDING_INVALID',
    `ciphertext length ${length} is not a bucket size plus the ${ENVELOPE_TAG_BYTES}-byte tag`, { length })
}

function checkBytes (x: unknown, length: number, what: string): Uint8Array {
  if (!(x instanceof Uint8Array) || x.length !== length) throw invalid(`${what} must be ${length} bytes`)
  return x
}

function checkHeader (h: EnvelopeHeader): void {
  if (!isEnvelopeKind(h.kind)) throw badKind(h.kind)
  checkBytes(h.placeId, PLACE_ID_BYTES, 'place id')
  if (!Number.isInteger(h.messageId) || h.messageId < 1) throw invalid('message id must be an integer >= 1', { messageId: h.messageId })
  if (h.messageId > MAX_MESSAGE_ID) throw limitExceeded('MAX_MESSAGE_ID', MAX_MESSAGE_ID, h.messageId)
  if (!Number.isInteger(h.generation) || h.generation < 0) throw invalid('generation must be an integer >= 0', { generation: h.generation })
  if (h.generation > MAX_GENERATION) throw limitExceeded('MAX_GENERATION', MAX_GENERATION, h.generation)
  checkBytes(h.nonce, ENVELOPE_NONCE_BYTES, 'nonce')
}

function writeHeader (out: Uint8Array, view: DataView, h: EnvelopeHeader): void {
  out[ENVELOPE_OFFSET.VERSION] = ENVELOPE_VERSION
  out[ENVELOPE_OFFSET.KIND] = h.kind
  out.set(h.placeId, ENVELOPE_OFFSET.PLACE_ID)
  view.setUint32(ENVELOPE_OFFSET.MESSAGE_ID, Math.floor(h.messageId / TWO_32))
  view.setUint32(ENVELOPE_OFFSET.MESSAGE_ID + 4, h.messageId % TWO_32)
  view.setUint32(ENVELOPE_OFFSET.GENERATION, h.generation)
  out.set(h.nonce, ENVELOPE_OFFSET.NONCE)
}

/** Header and ciphertext written into a new buffer, with or without room for the signature. */
function writeSigned (fields: EnvelopeFields, withSignature: boolean): { out: Uint8Array, signedLength: number } {
  checkHeader(fields)
  const ct = fields.ciphertext
  if (!(ct instanceof Uint8Array)) throw invalid('ciphertext must be a Uint8Array')
  if (!isBucketSize(ct.length - ENVELOPE_TAG_BYTES)) throw badCiphertextLength(ct.length)
  const signedLength = ENVELOPE_OFFSET.CIPHERTEXT + ct.length
  const out = new Uint8Array(signedLength + (withSignature ? ENVELOPE_SIGNATURE_BYTES : 0))
  const view = new DataView(out.buffer)
  writeHeader(out, view, fields)
  view.setUint32(ENVELOPE_OFFSET.CIPHERTEXT_LENGTH, ct.length)
  out.set(ct, ENVELOPE_OFFSET.CIPHERTEXT)
  return { out, signedLength }
}

/** The AEAD associated data for a header: bytes [0, 70) of its envelope. */
export function envelopeAssociatedData (header: EnvelopeHeader): Uint8Array {
  checkHeader(header)
  const out = new Uint8Array(ENVELOPE_HEADER_BYTES)
  writeHeader(out, new DataView(out.buffer), header)
  return out
}

/** What the place key signs: every byte of the envelope before the signature. */
export function envelopeSigningBytes (fields: EnvelopeFields): Uint8Array {
  return writeSigned(fields, false).out
}

export function encodeEnvelope (fields: EnvelopeFields, signature: Uint8Array): Uint8Array {
  checkBytes(signature, ENVELOPE_SIGNATURE_BYTES, 'signature')
  const { out, signedLength } = writeSigned(fields, true)
  out.set(signature, signedLength)
  return out
}

/** Parse and check the layout (not the signature: that needs crypto). See the table above. */
export function decodeEnvelope (bytes: Uint8Array): DecodedEnvelope {
  if (bytes.length === 0) throw malformed('empty envelope')
  const version = bytes[ENVELOPE_OFFSET.VERSION]
  if (version !== ENVELOPE_VERSION) {
    throw new SecushareError('ENVELOPE_BAD_VERSION', `envelope version ${String(version)} is not ${ENVELOPE_VERSION}`, { version })
  }
  const kind = bytes[ENVELOPE_OFFSET.KIND]
  if (kind === undefined) throw malformed('envelope ends before its kind', { length: bytes.length })
  if (!isEnvelopeKind(kind)) throw badKind(kind)
  if (bytes.length > MAX_ENVELOPE_BYTES) throw limitExceeded('MAX_ENVELOPE_BYTES', MAX_ENVELOPE_BYTES, bytes.length)
  if (bytes.length < MIN_ENVELOPE_BYTES) {
    throw malformed(`envelope is ${bytes.length} bytes, shorter than ${MIN_ENVELOPE_BYTES}`, { length: bytes.length })
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const ctLength = view.getUint32(ENVELOPE_OFFSET.CIPHERTEXT_LENGTH)
  if (ctLength !== bytes.length - ENVELOPE_FIXED_BYTES) {
    throw malformed(`ciphertext length field says ${ctLength}, the envelope holds ${bytes.length - ENVELOPE_FIXED_BYTES}`,
      { declared: ctLength, actual: bytes.length - ENVELOPE_FIXED_BYTES })
  }
  if (!isBucketSize(ctLength - ENVELOPE_TAG_BYTES)) throw badCiphertextLength(ctLength)
  // Exact up to 2^53; anything larger rounds to >= 2^53, still > MAX_MESSAGE_ID.
  const messageId = view.getUint32(ENVELOPE_OFFSET.MESSAGE_ID) * TWO_32 + view.getUint32(ENVELOPE_OFFSET.MESSAGE_ID + 4)
  if (messageId === 0) throw malformed('message id 0 (ids start at 1)')
  if (messageId > MAX_MESSAGE_ID) throw limitExceeded('MAX_MESSAGE_ID', MAX_MESSAGE_ID, messageId)
  const signedLength = ENVELOPE_OFFSET.CIPHERTEXT + ctLength
  return {
    version: ENVELOPE_VERSION,
    kind,
    placeId: bytes.subarray(ENVELOPE_OFFSET.PLACE_ID, ENVELOPE_OFFSET.MESSAGE_ID),
    messageId,
    generation: view.getUint32(ENVELOPE_OFFSET.GENERATION),
    nonce: bytes.subarray(ENVELOPE_OFFSET.NONCE, ENVELOPE_OFFSET.CIPHERTEXT_LENGTH),
    ciphertext: bytes.subarray(ENVELOPE_OFFSET.CIPHERTEXT, signedLength),
    signature: bytes.subarray(signedLength),
    signedBytes: bytes.subarray(0, signedLength),
    associatedData: bytes.subarray(0, ENVELOPE_HEADER_BYTES)
  }
}
