/**
 * Signature labels. Every signature in secushare is made over `utf8(label) || 0x00 || message`
 * (core/crypto/labels.ts), so a signature made for one kind of structure never verifies as
 * another. Labels are ASCII without NUL, so the prefix is unambiguous. A label never changes
 * meaning: a new layout gets a new version (`.../v2`), and both may be accepted for a while.
 * docs/protocol-envelope.md says what each one covers.
 */
export const LABEL = {
  /** The place (host) key over an envelope: every byte before the signature. */
  ENVELOPE: 'secushare/envelope/v1',
  /** An author's ego key over the inner PSYC packet, carried inside the ciphertext. */
  AUTHOR: 'secushare/author/v1',
  /** The inviter's ego key over an invite (link or QR code). */
  INVITE: 'secushare/invite/v1',
  /** An ego key over its half of a contact handshake, binding the ego to a peer and session. */
  HANDSHAKE: 'secushare/handshake/v1',
  /** A stranger's ego key over its request to enter a place (protocol/place-entry.ts). */
  PLACE_ENTRY: 'secushare/place-entry/v1',
  /** A zone owner's ego key over one name record. */
  ZONE_RECORD: 'secushare/zone-record/v1',
  /** The introducer's ego key over "A, meet B". */
  INTRODUCTION: 'secushare/introduction/v1',
  /** A relay's or recipient's key over a custody or delivery receipt. */
  RECEIPT: 'secushare/receipt/v1'
} as const

export type SignatureLabel = (typeof LABEL)[keyof typeof LABEL]

export const SIGNATURE_LABELS: readonly SignatureLabel[] = Object.values(LABEL)

export function isSignatureLabel (x: unknown): x is SignatureLabel {
  return (SIGNATURE_LABELS as readonly unknown[]).includes(x)
}
