/**
 * Introductions: "A introduces S to R", signed by A's ego (label secushare/introduction/v1).
 * A sends one to each of the two people it introduces, with the same id. Big-endian:
 *   version u8 (= 1) | id (16) | introducer ego (32) | recipient ego (32) | subject ego (32)
 *   | time u64 (unix ms) | subject nick (u8 length + UTF-8) | subject peer id (u8 length + UTF-8)
 *   | address count u8 (≤ MAX_INVITE_ADDRS) | each: u8 length + UTF-8 multiaddr | signature (64)
 * The signature covers every byte before it.
 */
import { limitExceeded, SecushareError } from './errors.js'
import { MAX_INTRODUCTION_BYTES, MAX_INVITE_ADDRS } from './limits.js'

export const INTRODUCTION_ID_BYTES = 16
const VERSION = 1

export interface Introduction {
  id: Uint8Array
  introducer: Uint8Array
  recipient: Uint8Array
  subject: Uint8Array
  time: number
  nick: string
  peerId: string
  addrs: string[]
}

const invalid = (why: string): SecushareError => new SecushareError('INTRODUCTION_INVALID', `malformed introduction: ${why}`)

function field (s: string): Buffer {
  const b = Buffer.from(s, 'utf8')
  if (b.length === 0 || b.length > 255) throw new SecushareError('INVALID_ARGUMENT', 'an introduction field has 1 to 255 bytes')
  return Buffer.concat([Buffer.from([b.length]), b])
}

/** The bytes the introducer signs. */
export function introductionSignedBytes (i: Introduction): Uint8Array {
  if (i.id.length !== INTRODUCTION_ID_BYTES || i.introducer.length !== 32 || i.recipient.length !== 32 || i.subject.length !== 32) {
    throw new SecushareError('INVALID_ARGUMENT', 'introduction id or key of the wrong length')
  }
  if (i.addrs.length > MAX_INVITE_ADDRS) throw limitExceeded('MAX_INVITE_ADDRS', MAX_INVITE_ADDRS, i.addrs.length)
  const time = Buffer.alloc(8)
  time.writeBigUInt64BE(BigInt(i.time))
  return Buffer.concat([Buffer.from([VERSION]), i.id, i.introducer, i.recipient, i.subject, time, field(i.nick), field(i.peerId), Buffer.from([i.addrs.length]), ...i.addrs.map(field)])
}

export function encodeIntroduction (signed: Uint8Array, signature: Uint8Array): Uint8Array {
  const out = Buffer.concat([signed, signature])
  if (out.length > MAX_INTRODUCTION_BYTES) throw limitExceeded('MAX_INTRODUCTION_BYTES', MAX_INTRODUCTION_BYTES, out.length)
  return out
}

export function decodeIntroduction (bytes: Uint8Array): { intro: Introduction, signed: Uint8Array, signature: Uint8Array } {
  if (bytes.length > MAX_INTRODUCTION_BYTES) throw limitExceeded('MAX_INTRODUCTION_BYTES', MAX_INTRODUCTION_BYTES, bytes.length)
  const buf = Buffer.from(bytes)
  let at = 0
  const take = (n: number): Buffer => {
    if (at + n > buf.length) throw invalid('truncated')
    const out = buf.subarray(at, at + n)
    at += n
    return out
  }
  const text = (): string => {
    const len = take(1)[0]!
    if (len === 0) throw invalid('an empty field')
    const s = take(len).toString('utf8')
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f\ufffd]/.test(s)) throw invalid('a field with control or invalid characters')
    return s
  }
  if (take(1)[0] !== VERSION) throw invalid('unknown version')
  const id = new Uint8Array(take(INTRODUCTION_ID_BYTES))
  const introducer = new Uint8Array(take(32))
  const recipient = new Uint8Array(take(32))
  const subject = new Uint8Array(take(32))
  const t = take(8).readBigUInt64BE(0)
  if (t > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid('a time beyond 2^53')
  const nick = text()
  const peerId = text()
  const count = take(1)[0]!
  if (count > MAX_INVITE_ADDRS) throw limitExceeded('MAX_INVITE_ADDRS', MAX_INVITE_ADDRS, count)
  const addrs = Array.from({ length: count }, text)
  const signedLength = at
  const signature = new Uint8Array(take(64))
  if (at !== buf.length) throw invalid('trailing bytes')
  return { intro: { id, introducer, recipient, subject, time: Number(t), nick, peerId, addrs }, signed: new Uint8Array(buf.subarray(0, signedLength)), signature }
}

/** What each side of an introduced contact handshake signs (label secushare/handshake/v1). */
export function introducedTranscript (role: 'request' | 'accept', f: { requesterPeer: string, responderPeer: string, id: Uint8Array, requesterEgo: Uint8Array, responderEgo: Uint8Array, nick: string }): Uint8Array {
  const z = Buffer.from([0])
  return Buffer.concat([
    Buffer.from(`secushare/introduced/${role}/v1`), z, Buffer.from(f.requesterPeer), z, Buffer.from(f.responderPeer), z,
    f.id, f.requesterEgo, f.responderEgo, Buffer.from(f.nick, 'utf8')
  ])
}
