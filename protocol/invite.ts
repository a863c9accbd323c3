/**
 * Invite links: `secushare:invite/<base64url>` (also shown as a QR code).
 *
 * Payload, big-endian:
 *   version u8 (= 1) | inviter ego public key (32) | secret (16) | expires u32 (unix seconds)
 *   | peer id: u8 length + UTF-8 | address count u8 | each address: u8 length + UTF-8 multiaddr
 * The secret is one-time and never travels again: the joiner proves it with a MAC in the contact
 * handshake (protocol/contact.ts). The link names the inviter's node (peer id, addresses) and
 * ego, so only hand it to the person you mean.
 */
import { limitExceeded, SecushareError } from './errors.js'
import { MAX_INVITE_ADDRS } from './limits.js'
import { LinkReader, LinkWriter } from './link.js'

export const INVITE_PREFIX = 'secushare:invite/'
export const INVITE_VERSION = 1
export const INVITE_SECRET_BYTES = 16

export interface Invite {
  ego: Uint8Array
  secret: Uint8Array
  /** Unix seconds. */
  expires: number
  peerId: string
  addrs: string[]
}

const invalid = (why: string): SecushareError => new SecushareError('INVITE_INVALID', `not a valid invite link: ${why}`)

export function encodeInvite (inv: Invite): string {
  if (inv.ego.length !== 32 || inv.secret.length !== INVITE_SECRET_BYTES) throw new SecushareError('INVALID_ARGUMENT', 'invite key or secret of the wrong length')
  if (inv.addrs.length > MAX_INVITE_ADDRS) throw limitExceeded('MAX_INVITE_ADDRS', MAX_INVITE_ADDRS, inv.addrs.length)
  return new LinkWriter().u8(INVITE_VERSION).bytes(inv.ego).bytes(inv.secret).u32(inv.expires).field(inv.peerId).addrs(inv.addrs).link(INVITE_PREFIX)
}

export function decodeInvite (link: string): Invite {
  const r = new LinkReader(link, INVITE_PREFIX, invalid)
  const version = r.u8()
  if (version !== INVITE_VERSION) throw invalid(`version ${version} (this secushare reads version ${INVITE_VERSION})`)
  const ego = r.bytes(32)
  const secret = r.bytes(INVITE_SECRET_BYTES)
  const expires = r.u32()
  const peerId = r.field()
  const addrs = r.addrs()
  r.end()
  return { ego, secret, expires, peerId, addrs }
}
