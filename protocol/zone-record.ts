/**
 * Zone records and published blocks (docs/names.md). No crypto here: core/names/block.ts derives
 * the keys, encrypts and signs.
 *
 * A record set (the records under one label), big-endian:
 *   version u8 (= 1) | count u8 (1..MAX_ZONE_RECORDS)
 *   | each record: type u8 | flags u8 | expires u64 (unix ms, 0 = none) | value length u16 | value
 * Types: PKEY 1 (an ego key, 32 bytes: delegation), PLACE 2, NICK 3 (UTF-8, 1..64 bytes),
 * RELAY 4, PEER 5. PLACE = place key (32) | node; PEER and RELAY = node, where
 *   node = peer id (u8 length + UTF-8) | address count u8 | each: u8 length + UTF-8 multiaddr
 * and PLACE adds after the node: relay count u8 | each relay: u8 length + UTF-8 peer id.
 * Flag bit 0 is PRIVATE: such a record never leaves its node, so a published set never carries it
 * and a decoder refuses it. Other flag bits are refused too.
 *
 * A block (what a node serves for one label of its zone):
 *   version u8 (= 1) | zone key (32) | query (32) | expires u64 (unix ms) | nonce (24)
 *   | ciphertext length u16 | ciphertext (the record set, XChaCha20-Poly1305) | signature (64)
 * The signature (label secushare/zone-record/v1) covers every byte before it.
 */
import { limitExceeded, SecushareError } from './errors.js'
import { MAX_PETNAME_BYTES, MAX_ZONE_ADDRS, MAX_ZONE_BLOCK_BYTES, MAX_ZONE_RECORDS, MAX_ZONE_VALUE_BYTES } from './limits.js'

export const RECORD_TYPES = { PKEY: 1, PLACE: 2, NICK: 3, RELAY: 4, PEER: 5 } as const
export type RecordType = keyof typeof RECORD_TYPES
export const FLAG_PRIVATE = 1

export interface ZoneRecord {
  type: RecordType
  value: Uint8Array
  /** Unix milliseconds; 0 = no expiry of its own. */
  expires: number
  private: boolean
}

export interface NodeValue { peerId: string, addrs: string[] }
export interface PlaceValue extends NodeValue { place: Uint8Array, relays: string[] }

export interface Block {
  zone: Uint8Array
  query: Uint8Array
  expires: number
  nonce: Uint8Array
  ciphertext: Uint8Array
  signature: Uint8Array
  /** The bytes the signature covers. */
  signed: Uint8Array
}

const SET_VERSION = 1
const BLOCK_VERSION = 1
export const BLOCK_NONCE_BYTES = 24
/** Fixed bytes of a block around its ciphertext. */
export const BLOCK_OVERHEAD_BYTES = 1 + 32 + 32 + 8 + BLOCK_NONCE_BYTES + 2 + 64

const invalid = (why: string): SecushareError => new SecushareError('ZONE_RECORD_INVALID', `malformed zone record: ${why}`)
const typeName = (n: number): RecordType | undefined => (Object.keys(RECORD_TYPES) as RecordType[]).find((k) => RECORD_TYPES[k] === n)

class Reader {
  at = 0
  constructor (readonly buf: Buffer) {}
  take (n: number): Buffer {
    if (this.at + n > this.buf.length) throw invalid('truncated')
    const out = this.buf.subarray(this.at, this.at + n)
    this.at += n
    return out
  }

  u8 (): number { return this.take(1)[0]! }
  u16 (): number { return this.take(2).readUInt16BE(0) }
  u64 (): number {
    const n = this.take(8).readBigUInt64BE(0)
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid('a time beyond 2^53')
    return Number(n)
  }

  text (): string {
    const len = this.u8()
    if (len === 0) throw invalid('an empty field')
    const s = this.take(len).toString('utf8')
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f\ufffd]/.test(s)) throw invalid('a field with control or invalid characters')
    return s
  }

  end (): void { if (this.at !== this.buf.length) throw invalid('trailing bytes') }
}

const u64 = (n: number): Buffer => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b }
const u16 = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b }
function text (s: string): Buffer {
  const b = Buffer.from(s, 'utf8')
  if (b.length === 0 || b.length > 255) throw new SecushareError('INVALID_ARGUMENT', 'a peer id or address has 1 to 255 bytes')
  return Buffer.concat([Buffer.from([b.length]), b])
}
function list (items: string[], limit: string): Buffer {
  if (items.length > MAX_ZONE_ADDRS) throw limitExceeded(limit, MAX_ZONE_ADDRS, items.length)
  return Buffer.concat([Buffer.from([items.length]), ...items.map(text)])
}
function readList (r: Reader, limit: string): string[] {
  const n = r.u8()
  if (n > MAX_ZONE_ADDRS) throw limitExceeded(limit, MAX_ZONE_ADDRS, n)
  return Array.from({ length: n }, () => r.text())
}

export function encodeNodeValue (v: NodeValue): Uint8Array {
  return Buffer.concat([text(v.peerId), list(v.addrs, 'MAX_ZONE_ADDRS')])
}

export function encodePlaceValue (v: PlaceValue): Uint8Array {
  if (v.place.length !== 32) throw new SecushareError('INVALID_ARGUMENT', 'a place key has 32 bytes')
  return Buffer.concat([v.place, encodeNodeValue(v), list(v.relays, 'MAX_ZONE_ADDRS')])
}

export function decodeNodeValue (value: Uint8Array): NodeValue {
  const r = new Reader(Buffer.from(value))
  const out = { peerId: r.text(), addrs: readList(r, 'MAX_ZONE_ADDRS') }
  r.end()
  return out
}

export function decodePlaceValue (value: Uint8Array): PlaceValue {
  const r = new Reader(Buffer.from(value))
  const place = new Uint8Array(r.take(32))
  const out = { place, peerId: r.text(), addrs: readList(r, 'MAX_ZONE_ADDRS'), relays: readList(r, 'MAX_ZONE_ADDRS') }
  r.end()
  return out
}

/** Checks a value's form for its type (INVALID_ARGUMENT locally, ZONE_RECORD_INVALID from peers via decodeRecordSet). */
export function checkValue (type: RecordType, value: Uint8Array): void {
  if (value.length > MAX_ZONE_VALUE_BYTES) throw limitExceeded('MAX_ZONE_VALUE_BYTES', MAX_ZONE_VALUE_BYTES, value.length)
  switch (type) {
    case 'PKEY': if (value.length !== 32) throw invalid('a PKEY value has 32 bytes'); return
    case 'NICK': {
      const s = Buffer.from(value).toString('utf8')
      // eslint-disable-next-line no-control-regex
      if (value.length === 0 || value.length > MAX_PETNAME_BYTES || /[\u0000-\u001f\u007f\ufffd]/.test(s)) throw invalid(`a NICK has 1 to ${MAX_PETNAME_BYTES} bytes of text`)
      return
    }
    case 'PLACE': decodePlaceValue(value); return
    case 'PEER': case 'RELAY': decodeNodeValue(value)
  }
}

/** The published form of a record set: private records are refused (they are never published). */
export function encodeRecordSet (records: ZoneRecord[]): Uint8Array {
  if (records.length === 0) throw new SecushareError('INVALID_ARGUMENT', 'an empty record set')
  if (records.length > MAX_ZONE_RECORDS) throw limitExceeded('MAX_ZONE_RECORDS', MAX_ZONE_RECORDS, records.length)
  const parts: Buffer[] = [Buffer.from([SET_VERSION, records.length])]
  for (const rec of records) {
    if (rec.private) throw new SecushareError('INVALID_ARGUMENT', 'a private record is never published')
    checkValue(rec.type, rec.value)
    parts.push(Buffer.from([RECORD_TYPES[rec.type], 0]), u64(rec.expires), u16(rec.value.length), Buffer.from(rec.value))
  }
  return Buffer.concat(parts)
}

export function decodeRecordSet (bytes: Uint8Array): ZoneRecord[] {
  const r = new Reader(Buffer.from(bytes))
  if (r.u8() !== SET_VERSION) throw invalid('unknown record set version')
  const count = r.u8()
  if (count === 0) throw invalid('an empty record set')
  if (count > MAX_ZONE_RECORDS) throw limitExceeded('MAX_ZONE_RECORDS', MAX_ZONE_RECORDS, count)
  const out: ZoneRecord[] = []
  for (let i = 0; i < count; i++) {
    const type = typeName(r.u8())
    if (type === undefined) throw invalid('unknown record type')
    const flags = r.u8()
    if (flags !== 0) throw invalid(flags & FLAG_PRIVATE ? 'a private record was published' : 'unknown flags')
    const expires = r.u64()
    const len = r.u16()
    if (len > MAX_ZONE_VALUE_BYTES) throw limitExceeded('MAX_ZONE_VALUE_BYTES', MAX_ZONE_VALUE_BYTES, len)
    const value = new Uint8Array(r.take(len))
    try {
      checkValue(type, value)
    } catch (e) {
      throw invalid(`${type}: ${(e as Error).message}`)
    }
    out.push({ type, value, expires, private: false })
  }
  r.end()
  return out
}

/** The signed part of a block (everything but the signature). */
export function blockSignedBytes (b: Omit<Block, 'signature' | 'signed'>): Uint8Array {
  if (b.zone.length !== 32 || b.query.length !== 32 || b.nonce.length !== BLOCK_NONCE_BYTES) throw new SecushareError('INVALID_ARGUMENT', 'block key, query or nonce of the wrong length')
  const out = Buffer.concat([Buffer.from([BLOCK_VERSION]), b.zone, b.query, u64(b.expires), b.nonce, u16(b.ciphertext.length), b.ciphertext])
  if (out.length + 64 > MAX_ZONE_BLOCK_BYTES) throw limitExceeded('MAX_ZONE_BLOCK_BYTES', MAX_ZONE_BLOCK_BYTES, out.length + 64)
  return out
}

export function encodeBlock (signed: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length !== 64) throw new SecushareError('INVALID_ARGUMENT', 'a signature has 64 bytes')
  return Buffer.concat([signed, signature])
}

/** Layout only: the caller checks zone, query, expiry, then the signature, then decrypts. */
export function decodeBlock (bytes: Uint8Array): Block {
  if (bytes.length > MAX_ZONE_BLOCK_BYTES) throw limitExceeded('MAX_ZONE_BLOCK_BYTES', MAX_ZONE_BLOCK_BYTES, bytes.length)
  const r = new Reader(Buffer.from(bytes))
  if (r.u8() !== BLOCK_VERSION) throw invalid('unknown block version')
  const zone = new Uint8Array(r.take(32))
  const query = new Uint8Array(r.take(32))
  const expires = r.u64()
  const nonce = new Uint8Array(r.take(BLOCK_NONCE_BYTES))
  const ciphertext = new Uint8Array(r.take(r.u16()))
  const signedLength = r.at
  const signature = new Uint8Array(r.take(64))
  r.end()
  return { zone, query, expires, nonce, ciphertext, signature, signed: new Uint8Array(bytes.subarray(0, signedLength)) }
}
