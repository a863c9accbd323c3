/**
 * The byte layout shared by secushare's links (`secushare:KIND/<base64url>`): fixed-size fields,
 * big-endian integers, and short UTF-8 fields as u8 length + bytes (1..MAX_INVITE_FIELD_BYTES, no
 * control characters). A link is canonical: one base64url spelling, no trailing bytes.
 */
import { limitExceeded, SecushareError } from './errors.js'
import { MAX_INVITE_ADDRS, MAX_INVITE_FIELD_BYTES, MAX_INVITE_LINK_CHARS } from './limits.js'

export class LinkWriter {
  private readonly parts: Buffer[] = []

  bytes (b: Uint8Array): this { this.parts.push(Buffer.from(b)); return this }
  u8 (n: number): this { this.parts.push(Buffer.from([n])); return this }
  u32 (n: number): this { const b = Buffer.alloc(4); b.writeUInt32BE(n); this.parts.push(b); return this }

  field (s: string): this {
    const b = Buffer.from(s, 'utf8')
    if (b.length === 0 || b.length > MAX_INVITE_FIELD_BYTES) throw limitExceeded('MAX_INVITE_FIELD_BYTES', MAX_INVITE_FIELD_BYTES, b.length)
    return this.u8(b.length).bytes(b)
  }

  /** A list of addresses: u8 count, then each as a field. */
  addrs (list: string[]): this {
    if (list.length > MAX_INVITE_ADDRS) throw limitExceeded('MAX_INVITE_ADDRS', MAX_INVITE_ADDRS, list.length)
    this.u8(list.length)
    for (const a of list) this.field(a)
    return this
  }

  link (prefix: string): string { return prefix + Buffer.concat(this.parts).toString('base64url') }
}

export class LinkReader {
  private readonly buf: Buffer
  private at = 0

  /** `invalid` makes the error for a link that is not well formed (each kind has its code). */
  constructor (link: string, prefix: string, private readonly invalid: (why: string) => SecushareError) {
    const text = link.trim()
    if (text.length > MAX_INVITE_LINK_CHARS) throw limitExceeded('MAX_INVITE_LINK_CHARS', MAX_INVITE_LINK_CHARS, text.length)
    if (!text.startsWith(prefix)) throw invalid(`it does not start with ${prefix}`)
    const b64 = text.slice(prefix.length)
    if (!/^[A-Za-z0-9_-]+$/.test(b64)) throw invalid('characters outside base64url')
    this.buf = Buffer.from(b64, 'base64url')
    if (this.buf.toString('base64url') !== b64) throw invalid('non-canonical base64url')
  }

  take (n: number): Buffer {
    if (this.at + n > this.buf.length) throw this.invalid('truncated')
    const out = this.buf.subarray(this.at, this.at + n)
    this.at += n
    return out
  }

  bytes (n: number): Uint8Array { return new Uint8Array(this.take(n)) }
  u8 (): number { return this.take(1)[0]! }
  u32 (): number { return this.take(4).readUInt32BE(0) }

  field (): string {
    const len = this.u8()
    if (len === 0) throw this.invalid('an empty field')
    const s = this.take(len).toString('utf8')
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f\ufffd]/.test(s)) throw this.invalid('a field with control or invalid characters')
    return s
  }

  addrs (): string[] {
    const count = this.u8()
    if (count > MAX_INVITE_ADDRS) throw limitExceeded('MAX_INVITE_ADDRS', MAX_INVITE_ADDRS, count)
    return Array.from({ length: count }, () => this.field())
  }

  end (): void { if (this.at !== this.buf.length) throw this.invalid('trailing bytes') }
}
