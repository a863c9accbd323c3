/**
 * The one error type of secushare, with stable string codes.
 *
 * Contract: codes never change meaning and are never renamed; new codes may be added. The RPC
 * layer maps each code to a JSON-RPC error the UI can show, and the CLI prints `code: message`.
 * Peer input that fails to decode always raises a SecushareError, never anything else.
 */
export const ERROR_CODES = {
  // generic
  INVALID_ARGUMENT: 'a parameter is missing or malformed',
  LIMIT_EXCEEDED: 'a named limit (protocol/limits.ts) was exceeded',
  NOT_FOUND: 'the thing asked for does not exist',
  INTERNAL: 'a bug: something that should not happen did',
  FILE_ERROR: 'a file named by the user could not be read or written',
  // PSYC packet codec (protocol/packet.ts)
  PACKET_TRUNCATED: 'the input ends before the packet terminator',
  PACKET_BAD_OPERATOR: 'a modifier line has an unknown or lone operator',
  PACKET_BAD_NAME: 'a variable or method name is empty or has characters outside [A-Za-z0-9_]',
  PACKET_BAD_VALUE: 'a modifier value is malformed (missing TAB, LF inside a plain value, ...)',
  PACKET_BAD_LENGTH: 'a length field is malformed or does not match the bytes that follow',
  PACKET_BAD_METHOD: 'the method line is malformed',
  PACKET_BAD_END: 'the packet does not end with LF "|" LF where it must',
  PACKET_TRAILING_BYTES: 'bytes follow the packet terminator',
  PACKET_NONCANONICAL: 'the bytes decode but would not re-encode identically',
  PACKET_BAD_LIST: 'a _list value does not follow the PSYC list syntax',
  PACKET_BAD_DICT: 'a _dict value does not follow the PSYC dict syntax',
  // envelopes and padding (protocol/envelope.ts, protocol/padding.ts)
  ENVELOPE_BAD_VERSION: 'the envelope version is not one this node speaks',
  ENVELOPE_BAD_KIND: 'the envelope kind is unknown',
  ENVELOPE_MALFORMED: 'the envelope bytes do not have the v1 layout',
  ENVELOPE_BAD_SIGNATURE: 'the envelope signature does not verify',
  PADDING_INVALID: 'padded bytes are not a bucket size or the padding is malformed',
  DECRYPT_FAILED: 'authenticated decryption failed (wrong key or tampered ciphertext)',
  // crypto and identity
  CRYPTO_UNAVAILABLE: 'no libsodium backend could be loaded',
  BAD_KEY: 'a key has the wrong length or form',
  WRONG_PASSPHRASE: 'the passphrase does not open the keys',
  PASSPHRASE_REQUIRED: 'the keys are protected and no passphrase was given',
  EXPORT_CORRUPT: 'the identity export file is truncated, damaged or not an export file',
  EGO_NOT_FOUND: 'no identity (ego) with that key on this node',
  EGO_EXISTS: 'that identity (ego) is already on this node',
  // invites and contacts
  INVITE_INVALID: 'the text is not a secushare invite link, or it is damaged',
  INVITE_EXPIRED: 'the invite has expired',
  INVITE_REFUSED: 'the inviter refused the invite: unknown, already used, or a wrong secret',
  CONTACT_EXISTS: 'that person is already a contact',
  CONTACT_NOT_FOUND: 'no contact with that petname',
  PETNAME_TAKEN: 'another contact already has that petname',
  HANDSHAKE_FAILED: 'the peer did not complete the contact handshake correctly',
  // daemon
  DAEMON_NOT_RUNNING: 'no daemon is running for this home',
  DAEMON_RUNNING: 'a daemon is already running for this home',
  CONFIG_INVALID: 'the config file in the home is not valid',
  // network (core/net)
  LISTEN_FAILED: 'the node could not listen on a configured address (in use, not on this machine, relay unreachable)',
  PEER_UNREACHABLE: 'no connection to the peer could be made (no address worked, or the dial timed out)',
  PROTOCOL_UNSUPPORTED: 'the peer does not speak the requested protocol',
  STREAM_TIMEOUT: 'the peer sent no whole frame in time',
  STREAM_CLOSED: 'the stream ended, was reset or was aborted before the frame was complete',
  FRAME_BAD_LENGTH: 'a frame length prefix is not a minimal unsigned varint of at most MAX_FRAME_PREFIX_BYTES bytes',
  NET_NOT_STARTED: 'the network node is not running (start() not called yet, or stop() was)',
  PUBSUB_DISABLED: 'publish/subscribe is switched off on this node (NetOptions.pubsub false)',
  // RPC between the daemon and its CLI/UIs (core/rpc)
  DAEMON_UNREACHABLE: 'the daemon RPC endpoint does not answer, or the connection to it closed',
  RPC_UNAUTHORIZED: 'the RPC server refused the token (missing or wrong)',
  RPC_REFUSED: 'the RPC server refused the connection (browser Origin, unexpected Host, too many failed logins or connections)',
  RPC_TIMEOUT: 'the daemon did not answer an RPC request in time',
  RPC_LISTEN_FAILED: 'the RPC server could not listen on its address (in use, not local, or not permitted)',
  RPC_REMOTE_NOT_ALLOWED: 'the RPC address is not a loopback address and remote UIs were not allowed (--allow-remote-ui)',
  PAIR_CODE_INVALID: 'the pairing code is unknown, already used, expired or voided',
  UI_TOKEN_NOT_FOUND: 'no UI token with that id',
  // places
  PLACE_WIRE_INVALID: 'a place request or answer from a peer is malformed',
  PLACE_NOT_FOUND: 'no place with that id (or name) on this node',
  PLACE_REFUSED: 'the host refused the request',
  PLACE_CLOSED: 'the place is closed',
  NOT_A_MEMBER: 'not a member of that place',
  NOT_HOST: 'only the place\'s host can do that',
  HOST_UNREACHABLE: 'the place\'s host cannot be reached right now',
  // place messages (protocol/place-message.ts)
  PLACE_MESSAGE_INVALID: 'the bytes are not a well-formed, canonical place message (authored PSYC packet)',
  // names, zones, introductions (core/names)
  NAME_NOT_FOUND: 'the name has no record of the kind needed (no such label, or not published to you)',
  NAME_LOOP: 'the name leads through the same zone twice',
  ZONE_RECORD_INVALID: 'a zone record block is malformed, tampered with, or its signature does not verify',
  ZONE_RECORD_EXPIRED: 'a zone record block or record has expired',
  ZONE_WRONG_KEY: 'a zone record block is signed by another key than the zone asked for',
  ZONE_UNREACHABLE: 'no node that serves this zone can be reached (not a contact, offline, or no route)',
  NAMES_WIRE_INVALID: 'a zone or introduction request or answer from a peer is malformed',
  INTRODUCTION_INVALID: 'an introduction is malformed or its signature does not verify',
  INTRODUCTION_NOT_FOUND: 'no pending introduction with that id',
  INTRODUCTION_PENDING: 'the other person has not accepted the introduction yet',
  // relays (core/relay, docs/relays.md)
  RELAY_WIRE_INVALID: 'a relay request or answer from a peer is malformed',
  RELAY_REFUSED: 'the node keeps blobs only for its contacts, or does not relay at all',
  RELAY_QUOTA_EXCEEDED: 'the relay is full: its total quota, or this depositor\'s share of it, would be exceeded',
  RELAY_BLOB_INVALID: 'a relay blob is not one of the blob sizes (RELAY_BLOB_SIZES), or it does not open',
  RELAY_BUSY: 'too many deposits from this peer in a short time; try again later',
  RELAY_NOT_FOUND: 'the relay holds no blob under that tag and key (never deposited, fetched and acknowledged, or expired)',
  // home directory and store
  HOME_EXISTS: 'the home is already initialised',
  HOME_NOT_INITIALISED: 'the home has no secushare node yet (run `secushare init`)',
  HOME_CORRUPT: 'a file in the home is damaged or is not a secushare store',
  SCHEMA_TOO_NEW: 'the store was written by a newer secushare',
  STORE_CLOSED: 'the store was used after it was closed',
} as const

export type ErrorCode = keyof typeof ERROR_CODES

export class SecushareError extends Error {
  override readonly name = 'SecushareError'
  constructor (
    readonly code: ErrorCode,
    message: string,
    readonly detail: Readonly<Record<string, unknown>> = {}
  ) {
    super(message)
  }

  toJSON (): { code: ErrorCode, message: string, detail: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, detail: this.detail }
  }
}

export function isSecushareError (e: unknown, code?: ErrorCode): e is SecushareError {
  return e instanceof SecushareError && (code === undefined || e.code === code)
}

/** Raise LIMIT_EXCEEDED naming the limit constant, so tests and peers can tell which one. */
export function limitExceeded (limit: string, max: number, actual: number): SecushareError {
  return new SecushareError('LIMIT_EXCEEDED', `${limit} exceeded: ${actual} > ${max}`, { limit, max, actual })
}
