/**
 * Every protocol limit, in one place. Contract: each constant here has a golden vector (or a
 * test) exactly at the limit (accepted) and one past it (refused with LIMIT_EXCEEDED naming the
 * constant). Raising a limit is a protocol change: peers running older code will refuse.
 */

/** Padding buckets for every sealed plaintext, smallest first (bytes). */
export const PAD_BUCKETS = [256, 1024, 4096, 16384, 65536] as const
/** The largest bucket. */
export const MAX_PADDED_BYTES = 65536
/** ISO/IEC 7816-4 padding needs at least one byte, so a plaintext may be at most this long. */
export const MAX_PLAINTEXT_BYTES = MAX_PADDED_BYTES - 1

/** A whole PSYC packet (it must fit, unpadded, in the largest bucket). */
export const MAX_PACKET_BYTES = MAX_PLAINTEXT_BYTES
/** Routing modifiers in one packet. */
export const MAX_ROUTING_MODIFIERS = 16
/** Entity lines (modifiers and lone state-sync lines) in one packet. */
export const MAX_ENTITY_MODIFIERS = 64
/** Bytes in a variable name, including the leading underscore. */
export const MAX_NAME_BYTES = 64
/** Bytes in a method name. */
export const MAX_METHOD_BYTES = 64
/** A value in plain form (TAB value LF). Longer values must use the length form. */
export const MAX_PLAIN_VALUE_BYTES = 256
/** Decimal digits in any length field (content length, value length, list element length). */
export const MAX_LENGTH_DIGITS = 5
/** Elements of one _list value, or entries of one _dict value. */
export const MAX_LIST_ITEMS = 256
/** Labels of a method or variable name (`_a_b_c` has 3); also bounds inheritance steps. */
export const MAX_NAME_LABELS = 16

/** Envelope: the largest message id (ids stay exact in a JS number). */
export const MAX_MESSAGE_ID = Number.MAX_SAFE_INTEGER
/** Envelope: the largest key generation. */
export const MAX_GENERATION = 0xffff_ffff
/**
 * Envelope: the largest frame, the largest bucket plus its 16-byte AEAD tag inside 138 bytes of
 * fixed fields and signature (protocol/envelope.ts; a test checks the sum). Transports can use it
 * as their frame cap.
 */
export const MAX_ENVELOPE_BYTES = 138 + MAX_PADDED_BYTES + 16
