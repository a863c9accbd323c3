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
import { MAX_INVITE_ADDRS, MAX_INVITE_FIELD_BYTES, MAX_INVITE_LINK_CHARS } from './limits.js'

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
  const parts: Buffer[] = [Buffer.from([INVITE_VERSION]), Buffer.from(inv.ego), Buffer.from(inv.secret)]
  const exp = Buffer.alloc(4)
  exp.writeUInt32BE(inv.expires)
  parts.push(exp)
  const field = (s: string): void => {
    const b = Buffer.from(s, 'utf8')
    if (b.length === 0 || b.length > MAX_INVITE_FIELD_BYTES) throw limitExceeded('MAX_INVITE_FIELD_BYTES', MAX_INVITE_FIELD_BYTES, b.length)
    parts.push(Buffer.from([b.length]), b)
  }
  field(inv.peerId)
  parts.push(Buffer.from([inv.addrs.length]))
  inv.addrs.forEach(field)
  return INVITE_PREFIX + Buffer.concat(parts).toString('base64url')
}

export function decodeInvite (link: string): Invite {
  const text = link.trim()
  if (text.length > MAX_INVITE_LINK_CHARS) throw limitExceeded('MAX_INVITE_LINK_CHARS', MAX_INVITE_LINK_CHARS, text.length)
  if (!text.startsWith(INVITE_PREFIX)) throw invalid(`it does not start with ${INVITE_PREFIX}`)
  const b64 = text.slice(INVITE_PREFIX.length)
  if (!/^[A-Za-z0-9_-]+$/.test(b64)) throw invalid('characters outside base64url')
  const buf = Buffer.from(b64, 'base64url')
  if (buf.toString('base64url') !== b64) throw invalid('non-canonical base64url')
  let at = 0
  const take = (n: number): Buffer => {
    if (at + n > buf.length) throw invalid('truncated')
    const out = buf.subarray(at, at + n)
    at += n
    return out
  }
  const version = take(1)[0]!
  if (version !== INVITE_VERSION) throw invalid(`version ${version} (this secushare reads version ${INVITE_VERSION})`)
  const ego = new Uint8Array(take(32))
  const secret = new Uint8Array(take(INVITE_SECRET_BYTES))
  const expires = take(4).readUInt32BE(0)
  const field = (): string => {
    const len = take(1)[0]!
    if (len === 0) throw invalid('an empty field')
    const s = take(len).toString('utf8')
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f\ufffd]/.test(s)) throw invalid('a field with control or invalid characters')
    return s
  }
  const peerId = field()
  const count = take(1)[0]!
  if (count > MAX_INVITE_ADDRS) throw limitExceeded('MAX_INVITE_ADDRS', MAX_INVITE_ADDRS, count)
  const addrs = Array.from({ length: count }, field)
  if (at !== buf.length) throw invalid('trailing bytes')
  return { ego, secret, expires, peerId, addrs }
}
