/**
 * Sealing and opening envelopes (layout: protocol/envelope.ts).
 * Seal: pad into a bucket -> XChaCha20-Poly1305 under the generation's epoch key, associated
 * data = header -> place key signs (label secushare/envelope/v1).
 * Open: decode (layout) -> signature against the place id FIRST, so nothing unsigned reaches the
 * cipher -> epoch key for the generation -> decrypt -> unpad.
 */
import { SecushareError } from '../../protocol/errors.js'
import { LABEL } from '../../protocol/labels.js'
import { padToBucket, unpadBucket } from '../../protocol/padding.js'
import {
  decodeEnvelope, encodeEnvelope, envelopeAssociatedData, envelopeSigningBytes,
  type DecodedEnvelope, type EnvelopeKind
} from '../../protocol/envelope.js'
import { signLabelled, verifyLabelled } from './labels.js'
import { NONCE_BYTES, type Sodium } from './sodium.js'

export interface SealEnvelopeInput {
  kind: EnvelopeKind
  /** The place's Ed25519 secret key; its public half becomes the place id. */
  placeSecretKey: Uint8Array
  messageId: number
  generation: number
  epochKey: Uint8Array
  plaintext: Uint8Array
  /** Only for golden vectors: a fixed nonce. Omit it everywhere else (a fresh random one is used). */
  nonce?: Uint8Array
}

export interface OpenedEnvelope extends DecodedEnvelope {
  /** A view into the decrypted buffer. */
  plaintext: Uint8Array
}

export function sealEnvelope (sodium: Sodium, input: SealEnvelopeInput): Uint8Array {
  const header = {
    kind: input.kind,
    placeId: sodium.publicKeyFromSecret(input.placeSecretKey),
    messageId: input.messageId,
    generation: input.generation,
    nonce: input.nonce ?? sodium.randomBytes(NONCE_BYTES)
  }
  const padded = padToBucket(input.plaintext)
  const ciphertext = sodium.aeadEncrypt(padded, envelopeAssociatedData(header), header.nonce, input.epochKey)
  sodium.wipe(padded)
  const fields = { ...header, ciphertext }
  const signature = signLabelled(sodium, LABEL.ENVELOPE, envelopeSigningBytes(fields), input.placeSecretKey)
  return encodeEnvelope(fields, signature)
}

/**
 * `epochKeyFor` returns the epoch key of a generation, or undefined when this node has none
 * (NOT_FOUND, with the generation in the detail). Errors, in the order checked: the decode
 * errors of protocol/envelope.ts, ENVELOPE_BAD_SIGNATURE, NOT_FOUND, DECRYPT_FAILED,
 * PADDING_INVALID.
 */
export function openEnvelope (
  sodium: Sodium, bytes: Uint8Array, epochKeyFor: (generation: number) => Uint8Array | undefined
): OpenedEnvelope {
  const env = decodeEnvelope(bytes)
  if (!verifyLabelled(sodium, LABEL.ENVELOPE, env.signature, env.signedBytes, env.placeId)) {
    throw new SecushareError('ENVELOPE_BAD_SIGNATURE', 'the envelope signature does not verify against its place id',
      { messageId: env.messageId })
  }
  const key = epochKeyFor(env.generation)
  if (key === undefined) {
    throw new SecushareError('NOT_FOUND', `no epoch key for generation ${env.generation}`, { generation: env.generation })
  }
  const padded = sodium.aeadDecrypt(env.ciphertext, env.associatedData, env.nonce, key)
  return { ...env, plaintext: unpadBucket(padded) }
}
