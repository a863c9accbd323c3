/**
 * The PSYC 1.0 packet codec (the text syntax libpsyc implements; grammar and decisions in
 * docs/protocol-packet.md).
 *
 * Contract:
 * - decodePacket(bytes) takes exactly one packet, nothing after its LF "|" LF, and returns a
 *   Packet whose values and data are subarrays of `bytes` (zero-copy: do not mutate the input
 *   while the packet is in use). Anything else raises SecushareError with a PACKET_* code or
 *   LIMIT_EXCEEDED (detail.limit names the constant in limits.ts); never another exception.
 * - The Packet records every choice the bytes made (content part or not, content length or not,
 *   plain or binary form of each modifier, the lone state-sync line, method and data present or
 *   not), so encodePacket(decodePacket(b)) equals b byte for byte. Bytes that would not
 *   re-encode identically (leading zeros, empty data after a method, ...) are refused with
 *   PACKET_NONCANONICAL.
 * - encodePacket(p) validates p with the same rules and limits and raises the same codes; it
 *   also refuses structures with no faithful encoding (PACKET_NONCANONICAL: empty data, or data
 *   that needs a content length in a packet without one).
 * - makePacket(spec) builds a Packet choosing the forms itself: binary form for a value with LF
 *   or longer than MAX_PLAIN_VALUE_BYTES; a content length when any entity value is binary, the
 *   data could be mistaken for the terminator, or the data is longer than 512 bytes (as libpsyc
 *   does). Its result always encodes, and decodes back to an equal Packet.
 * - Values of `_list…` / `_dict…` variables are checked against the list/dict syntax
 *   (protocol/list.ts) for every operator but "@", whose value is an update, not a list.
 */
import { limitExceeded, SecushareError, type ErrorCode } from './errors.js'
import {
  MAX_ENTITY_MODIFIERS, MAX_LENGTH_DIGITS, MAX_METHOD_BYTES, MAX_NAME_BYTES, MAX_NAME_LABELS,
  MAX_PACKET_BYTES, MAX_PLAIN_VALUE_BYTES, MAX_ROUTING_MODIFIERS
} from './limits.js'
import { isDictName, isListName, lengthValue, parseDict, parseList, scanLength } from './list.js'
import { isKeyword, keywordAt, NAME_BYTE, nameLabels, scanKeyword } from './method.js'

export type Operator = ':' | '=' | '+' | '-' | '@' | '?'

export interface Modifier {
  op: Operator
  name: string
  value: Uint8Array
  /** true: `op name SP length TAB value` (content only); false: `op name TAB value`. */
  binary: boolean
}

/** A lone "=" (state reset) or "?" (state resync request): only as the first content line. */
export interface StateSync { op: '=' | '?', lone: true }

export type EntityLine = Modifier | StateSync

export interface Content {
  /** Whether a decimal content length precedes the content (else an empty line does). */
  withLength: boolean
  entity: EntityLine[]
  method: string | null
  /** null: no data line; never empty (an empty data line cannot round-trip). Needs a method. */
  data: Uint8Array | null
}

export interface Packet {
  routing: Modifier[]
  /** null: the packet ends right after the routing modifiers with "|" LF. */
  content: Content | null
}

const TAB = 0x09
const LF = 0x0a
const SP = 0x20
const PIPE = 0x7c
const ZERO = 0x30

/** OPERATOR[b] is 1 for the operator bytes : = + - @ ? */
const OPERATOR = new Uint8Array(256)
const OPERATOR_TEXT: Array<Operator | undefined> = new Array(256).fill(undefined)
for (const c of [':', '=', '+', '-', '@', '?'] as const) {
  OPERATOR[c.charCodeAt(0)] = 1
  OPERATOR_TEXT[c.charCodeAt(0)] = c
}

function err (code: ErrorCode, message: string, offset?: number): SecushareError {
  return new SecushareError(code, offset === undefined ? message : `${message} (byte ${offset})`, offset === undefined ? {} : { offset })
}

const TERMINATOR = new Uint8Array([LF, PIPE, LF])
const bufferIndexOf = Buffer.prototype.indexOf

/** Index of the first LF "|" LF in b at or after `from`, or -1. */
function findTerminator (b: Uint8Array, from: number): number {
  const n = b.length
  if (n - from > 256) return bufferIndexOf.call(b, TERMINATOR, from) // memmem-like, but a call costs
  for (let i = from; i + 2 < n; i++) if (b[i] === LF && b[i + 1] === PIPE && b[i + 2] === LF) return i
  return -1
}

function isDigit (c: number): boolean {
  return c >= ZERO && c <= ZERO + 9
}

/** Checks a `_list…` / `_dict…` value (see protocol/list.ts); other names pass. */
function checkTypedValue (op: string, name: string, value: Uint8Array): void {
  if (op === '@') return
  if (isListName(name)) parseList(value)
  else if (isDictName(name)) parseDict(value)
}

/** Error for a line that starts with a byte that cannot start a line there. */
function badLineStart (c: number, at: number, inRouting: boolean): SecushareError {
  if (c === LF) return err('PACKET_BAD_METHOD', 'empty line where a method or modifier belongs', at)
  if (NAME_BYTE[c] === 1) return err('PACKET_BAD_END', 'a content part starts with an empty line or a length line', at)
  return err('PACKET_BAD_OPERATOR', `unknown operator 0x${c.toString(16).padStart(2, '0')}${inRouting ? ' in the routing part' : ''}`, at)
}

class Decoder {
  pos = 0
  /** Where the current part ends: the input's end, or the end of a length-delimited content. */
  end: number
  /** Inside a length-delimited content, running past `end` means the length is wrong. */
  bounded = false

  constructor (readonly b: Uint8Array) {
    this.end = b.length
  }

  short (what: string): SecushareError {
    return this.bounded
      ? err('PACKET_BAD_LENGTH', `${what} runs past the content length`, this.pos)
      : err('PACKET_TRUNCATED', `input ends inside ${what}`, this.pos)
  }

  /** Reads the modifier line at pos (pos is at its operator) and moves pos past its LF. */
  modifier (inContent: boolean): Modifier {
    const b = this.b
    const end = this.end
    const op = OPERATOR_TEXT[b[this.pos]!]!
    const ns = this.pos + 1
    const ne = scanKeyword(b, ns, end, MAX_NAME_BYTES, 'MAX_NAME_BYTES')
    this.pos = ne
    if (ne >= end) throw this.short('a modifier')
    const c = b[ne]!
    if (ne === ns) {
      throw c === LF
        ? err('PACKET_BAD_OPERATOR', `lone operator "${op}"`, ns - 1)
        : err('PACKET_BAD_NAME', 'operator without a name', ns)
    }
    const name = keywordAt(b, ns, ne)
    let value: Uint8Array
    let binary = false
    if (c === TAB) {
      const vs = ne + 1
      const stop = Math.min(end, vs + MAX_PLAIN_VALUE_BYTES + 1)
      let lf = vs
      while (lf < stop && b[lf] !== LF) lf++
      if (lf - vs > MAX_PLAIN_VALUE_BYTES) throw limitExceeded('MAX_PLAIN_VALUE_BYTES', MAX_PLAIN_VALUE_BYTES, lf - vs)
      if (lf >= end) {
        this.pos = end
        throw this.short(`the value of ${name}`)
      }
      value = b.subarray(vs, lf)
      this.pos = lf + 1
    } else if (c === SP) {
      if (!inContent) throw err('PACKET_BAD_VALUE', `binary form of ${name} in the routing part`, ne)
      const ls = ne + 1
      const le = scanLength(b, ls, end)
      this.pos = le
      if (le >= end) throw this.short(`the length of ${name}`)
      if (le === ls) throw err('PACKET_BAD_LENGTH', `SP after ${name} without a length`, ls)
      if (b[le] !== TAB) throw err('PACKET_BAD_LENGTH', `length of ${name} not followed by TAB`, le)
      const len = lengthValue(b, ls, le)
      const vs = le + 1
      if (len >= end - vs) {
        this.pos = end
        throw this.short(`the value of ${name}`)
      }
      if (b[vs + len] !== LF) throw err('PACKET_BAD_LENGTH', `value of ${name} is not ${len} bytes followed by LF`, vs + len)
      value = b.subarray(vs, vs + len)
      binary = true
      this.pos = vs + len + 1
    } else if (c === LF) {
      throw err('PACKET_BAD_VALUE', `no TAB after ${name}`, ne)
    } else {
      throw err('PACKET_BAD_NAME', `byte 0x${c.toString(16).padStart(2, '0')} in the name ${name}…`, ne)
    }
    checkTypedValue(op, name, value)
    return { op, name, value, binary }
  }

  /** Expects the final "|" LF at pos and nothing after it. */
  terminator (): void {
    const b = this.b
    const p = this.pos
    if (p + 1 >= b.length) throw err('PACKET_TRUNCATED', 'input ends before the terminator', p)
    if (b[p] !== PIPE || b[p + 1] !== LF) throw err('PACKET_BAD_END', 'expected "|" LF', p)
    if (p + 2 !== b.length) throw err('PACKET_TRAILING_BYTES', `${b.length - p - 2} bytes after the packet`, p + 2)
  }

  routing (): Modifier[] {
    const b = this.b
    const routing: Modifier[] = []
    while (this.pos < b.length && OPERATOR[b[this.pos]!] === 1) {
      if (routing.length === MAX_ROUTING_MODIFIERS) {
        throw limitExceeded('MAX_ROUTING_MODIFIERS', MAX_ROUTING_MODIFIERS, MAX_ROUTING_MODIFIERS + 1)
      }
      routing.push(this.modifier(false))
    }
    return routing
  }

  /** The content part; pos is at its first byte, after the empty line or the length line. */
  content (withLength: boolean): Content {
    const b = this.b
    const start = this.pos
    const entity: EntityLine[] = []
    while (this.pos < this.end && OPERATOR[b[this.pos]!] === 1) {
      if (entity.length === MAX_ENTITY_MODIFIERS) {
        throw limitExceeded('MAX_ENTITY_MODIFIERS', MAX_ENTITY_MODIFIERS, MAX_ENTITY_MODIFIERS + 1)
      }
      const c = b[this.pos]!
      if ((c === 0x3d || c === 0x3f) && this.pos + 1 < this.end && b[this.pos + 1] === LF) {
        if (this.pos !== start) throw err('PACKET_BAD_OPERATOR', 'a lone state-sync line may only open the content', this.pos)
        entity.push({ op: c === 0x3d ? '=' : '?', lone: true })
        this.pos += 2
      } else {
        entity.push(this.modifier(true))
      }
    }
    if (this.bounded && this.pos === this.end) return { withLength, entity, method: null, data: null }
    if (this.pos >= this.end) throw this.short('the content')
    const c = b[this.pos]!
    if (c === PIPE && !this.bounded) {
      this.terminator()
      return { withLength, entity, method: null, data: null }
    }
    if (c === PIPE) throw err('PACKET_BAD_LENGTH', '"|" inside the content length', this.pos)
    if (NAME_BYTE[c] !== 1) throw badLineStart(c, this.pos, false)
    const ms = this.pos
    const me = scanKeyword(b, ms, this.end, MAX_METHOD_BYTES, 'MAX_METHOD_BYTES')
    this.pos = me
    if (me >= this.end) throw this.short('the method')
    if (b[me] !== LF) throw err('PACKET_BAD_METHOD', 'method not followed by LF', me)
    const method = keywordAt(b, ms, me)
    this.pos = me + 1
    return { withLength, entity, method, data: this.bounded ? this.lengthData() : this.scannedData() }
  }

  /** Data of a length-delimited content: everything up to the LF that ends the content. */
  lengthData (): Uint8Array | null {
    const b = this.b
    const p = this.pos
    const end = this.end
    if (p === end) return null
    if (b[end - 1] !== LF) throw err('PACKET_BAD_LENGTH', 'content does not end with LF', end - 1)
    if (end - 1 === p) throw err('PACKET_NONCANONICAL', 'empty data line', p)
    return b.subarray(p, end - 1)
  }

  /** Data of a content without length: up to the first LF "|" LF (libpsyc's rule). */
  scannedData (): Uint8Array | null {
    const b = this.b
    const p = this.pos
    const n = b.length
    if (p + 1 < n && b[p] === PIPE && b[p + 1] === LF) {
      this.terminator()
      return null
    }
    const i = findTerminator(b, p)
    if (i < 0) {
      this.pos = n
      throw err('PACKET_TRUNCATED', 'input ends before the terminator', n)
    }
    if (i === p) throw err('PACKET_NONCANONICAL', 'empty data line', p)
    this.pos = i + 1
    this.terminator()
    return b.subarray(p, i)
  }
}

/**
 * A packet's size limit: MAX_PACKET_BYTES for a packet that is sealed (it must fit a padding
 * bucket); protocols that frame packets themselves and carry whole envelopes in them (the place
 * protocol) pass their frame limit.
 */
export interface PacketLimit { name: string, max: number }
const PACKET_LIMIT: PacketLimit = { name: 'MAX_PACKET_BYTES', max: MAX_PACKET_BYTES }

export function decodePacket (bytes: Uint8Array, limit: PacketLimit = PACKET_LIMIT): Packet {
  if (!(bytes instanceof Uint8Array)) throw new SecushareError('INVALID_ARGUMENT', 'decodePacket takes a Uint8Array')
  if (bytes.length > limit.max) throw limitExceeded(limit.name, limit.max, bytes.length)
  const d = new Decoder(bytes)
  const routing = d.routing()
  if (d.pos >= bytes.length) throw err('PACKET_TRUNCATED', 'input ends in the routing part', d.pos)
  const c = bytes[d.pos]!
  if (c === PIPE) {
    d.terminator()
    return { routing, content: null }
  }
  if (c === LF) {
    d.pos++
    return { routing, content: d.content(false) }
  }
  if (!isDigit(c)) throw badLineStart(c, d.pos, true)
  const ls = d.pos
  const le = scanLength(bytes, ls, bytes.length)
  d.pos = le
  if (le >= bytes.length) throw err('PACKET_TRUNCATED', 'input ends in the content length', le)
  if (bytes[le] !== LF) throw err('PACKET_BAD_LENGTH', 'content length not followed by LF', le)
  const cs = le + 1
  const ce = cs + lengthValue(bytes, ls, le)
  if (ce + 2 > bytes.length) throw err('PACKET_TRUNCATED', `input ends before the content length of ${ce - cs}`, bytes.length)
  if (bytes[ce] !== PIPE || bytes[ce + 1] !== LF) throw err('PACKET_BAD_LENGTH', `no "|" LF after ${ce - cs} bytes of content`, ce)
  if (ce + 2 !== bytes.length) throw err('PACKET_TRAILING_BYTES', `${bytes.length - ce - 2} bytes after the packet`, ce + 2)
  d.pos = cs
  d.end = ce
  d.bounded = true
  return { routing, content: d.content(true) }
}

// ---- encoding ----

function digits (n: number): number {
  let d = 1
  while (n >= 10) { n = Math.floor(n / 10); d++ }
  return d
}

/** Byte length of a length field, checked against MAX_LENGTH_DIGITS. */
function lengthBytes (n: number): number {
  const d = digits(n)
  if (d > MAX_LENGTH_DIGITS) throw limitExceeded('MAX_LENGTH_DIGITS', MAX_LENGTH_DIGITS, d)
  return d
}

function checkName (name: unknown, max: number, limit: string, code: ErrorCode): asserts name is string {
  if (typeof name !== 'string' || !isKeyword(name)) throw err(code, `not a keyword: ${JSON.stringify(name)}`)
  if (name.length > max) throw limitExceeded(limit, max, name.length)
  const labels = nameLabels(name)
  if (labels > MAX_NAME_LABELS) throw limitExceeded('MAX_NAME_LABELS', MAX_NAME_LABELS, labels)
}

/** Validates one modifier and returns the bytes of its line. */
function modifierBytes (m: Modifier, inContent: boolean): number {
  if (m === null || typeof m !== 'object') throw err('INVALID_ARGUMENT', 'a modifier must be an object')
  if (typeof m.op !== 'string' || m.op.length !== 1 || OPERATOR[m.op.charCodeAt(0)] !== 1) {
    throw err('PACKET_BAD_OPERATOR', `unknown operator ${JSON.stringify(m.op)}`)
  }
  checkName(m.name, MAX_NAME_BYTES, 'MAX_NAME_BYTES', 'PACKET_BAD_NAME')
  if (!(m.value instanceof Uint8Array)) throw err('INVALID_ARGUMENT', `the value of ${m.name} must be a Uint8Array`)
  const v = m.value
  let size: number
  if (m.binary === true) {
    if (!inContent) throw err('PACKET_BAD_VALUE', `binary form of ${m.name} in the routing part`)
    size = 1 + m.name.length + 1 + lengthBytes(v.length) + 1 + v.length + 1
  } else if (m.binary === false) {
    if (v.includes(LF)) throw err('PACKET_BAD_VALUE', `LF in the plain value of ${m.name}`)
    if (v.length > MAX_PLAIN_VALUE_BYTES) throw limitExceeded('MAX_PLAIN_VALUE_BYTES', MAX_PLAIN_VALUE_BYTES, v.length)
    size = 1 + m.name.length + 1 + v.length + 1
  } else {
    throw err('INVALID_ARGUMENT', `binary of ${m.name} must be a boolean`)
  }
  checkTypedValue(m.op, m.name, v)
  return size
}

/**
 * True when data written without a content length would not decode back as itself: the decoder
 * ends data at the first LF "|" LF, and reads "|" LF right after the method as "no data".
 */
export function dataNeedsLength (d: Uint8Array): boolean {
  const n = d.length
  if (n === 0) return false
  if (d[0] === PIPE && (n === 1 || d[1] === LF)) return true
  if (n >= 2 && d[n - 2] === LF && d[n - 1] === PIPE) return true
  return findTerminator(d, 0) >= 0
}

/** Validates a content part and returns the byte length of what follows its length/empty line. */
function contentBytes (c: Content): number {
  if (c === null || typeof c !== 'object' || !Array.isArray(c.entity)) throw err('INVALID_ARGUMENT', 'malformed content')
  if (typeof c.withLength !== 'boolean') throw err('INVALID_ARGUMENT', 'content.withLength must be a boolean')
  if (c.entity.length > MAX_ENTITY_MODIFIERS) throw limitExceeded('MAX_ENTITY_MODIFIERS', MAX_ENTITY_MODIFIERS, c.entity.length)
  let size = 0
  for (let i = 0; i < c.entity.length; i++) {
    const line = c.entity[i]
    if (line === null || typeof line !== 'object') throw err('INVALID_ARGUMENT', 'an entity line must be an object')
    if (isStateSync(line)) {
      if (line.op !== '=' && line.op !== '?') throw err('PACKET_BAD_OPERATOR', `lone operator ${JSON.stringify(line.op)}`)
      if (i !== 0) throw err('PACKET_BAD_OPERATOR', 'a lone state-sync line may only open the content')
      size += 2
    } else {
      size += modifierBytes(line, true)
    }
  }
  if (c.method !== null) {
    checkName(c.method, MAX_METHOD_BYTES, 'MAX_METHOD_BYTES', 'PACKET_BAD_METHOD')
    size += c.method.length + 1
  }
  if (c.data !== null) {
    if (!(c.data instanceof Uint8Array)) throw err('INVALID_ARGUMENT', 'data must be a Uint8Array or null')
    if (c.method === null) throw err('INVALID_ARGUMENT', 'data without a method')
    if (c.data.length === 0) throw err('PACKET_NONCANONICAL', 'empty data has no encoding: use null')
    if (!c.withLength && dataNeedsLength(c.data)) throw err('PACKET_NONCANONICAL', 'this data needs a content length')
    size += c.data.length + 1
  }
  return size
}

class Writer {
  pos = 0
  constructor (readonly out: Uint8Array) {}
  byte (c: number): void { this.out[this.pos++] = c }
  ascii (s: string): void { for (let i = 0; i < s.length; i++) this.out[this.pos++] = s.charCodeAt(i) }
  bytes (v: Uint8Array): void { this.out.set(v, this.pos); this.pos += v.length }
  modifier (m: Modifier): void {
    this.ascii(m.op)
    this.ascii(m.name)
    if (m.binary) {
      this.byte(SP)
      this.ascii(String(m.value.length))
    }
    this.byte(TAB)
    this.bytes(m.value)
    this.byte(LF)
  }
}

export function encodePacket (p: Packet, limit: PacketLimit = PACKET_LIMIT): Uint8Array {
  if (p === null || typeof p !== 'object' || !Array.isArray(p.routing)) throw err('INVALID_ARGUMENT', 'malformed packet')
  if (p.routing.length > MAX_ROUTING_MODIFIERS) {
    throw limitExceeded('MAX_ROUTING_MODIFIERS', MAX_ROUTING_MODIFIERS, p.routing.length)
  }
  let size = 2
  for (const m of p.routing) size += modifierBytes(m, false)
  const c = p.content
  let contentLength = 0
  if (c !== null) {
    contentLength = contentBytes(c)
    size += (c.withLength ? lengthBytes(contentLength) : 0) + 1 + contentLength
  }
  if (size > limit.max) throw limitExceeded(limit.name, limit.max, size)

  const w = new Writer(new Uint8Array(size))
  for (const m of p.routing) w.modifier(m)
  if (c !== null) {
    if (c.withLength) w.ascii(String(contentLength))
    w.byte(LF)
    for (const line of c.entity) {
      if (isStateSync(line)) {
        w.ascii(line.op)
        w.byte(LF)
      } else {
        w.modifier(line)
      }
    }
    if (c.method !== null) {
      w.ascii(c.method)
      w.byte(LF)
      if (c.data !== null) {
        w.bytes(c.data)
        w.byte(LF)
      }
    }
  }
  w.byte(PIPE)
  w.byte(LF)
  return w.out
}

// ---- building and reading ----

export interface ModifierSpec { op: Operator, name: string, value: Uint8Array | string }

export interface PacketSpec {
  routing?: readonly ModifierSpec[]
  /** Entity modifiers; a StateSync may come first. */
  entity?: ReadonlyArray<ModifierSpec | StateSync>
  method?: string
  /** Empty data is the same as none. Needs a method. */
  data?: Uint8Array | string
}

/** Data longer than this gets a content length (libpsyc's PSYC_CONTENT_SIZE_THRESHOLD): no scan for the terminator. */
const LENGTH_THRESHOLD_BYTES = 512

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { fatal: true })

function toBytes (v: Uint8Array | string): Uint8Array {
  return typeof v === 'string' ? utf8Encoder.encode(v) : v
}

/**
 * Builds a valid Packet from a logical message, picking plain or binary forms and whether the
 * content carries a length (see the file comment). The content part exists when there are
 * entity lines or a method. Throws what encodePacket would throw for an impossible message
 * (e.g. a routing value with LF: routing values are plain only).
 */
/** Builds and checks a packet (it must encode within `limit`). */
export function makePacket (spec: PacketSpec, limit: PacketLimit = PACKET_LIMIT): Packet {
  const p = packetOf(spec)
  encodePacket(p, limit)
  return p
}

/** Builds and encodes a packet in one pass (what a writer sends). */
export function encodeSpec (spec: PacketSpec, limit: PacketLimit = PACKET_LIMIT): Uint8Array {
  return encodePacket(packetOf(spec), limit)
}

function packetOf (spec: PacketSpec): Packet {
  const routing = (spec.routing ?? []).map((m): Modifier => ({ op: m.op, name: m.name, value: toBytes(m.value), binary: false }))
  const entity = (spec.entity ?? []).map((m): EntityLine => {
    if (isStateSync(m)) return { op: m.op, lone: true }
    const value = toBytes(m.value)
    return { op: m.op, name: m.name, value, binary: value.length > MAX_PLAIN_VALUE_BYTES || value.includes(LF) }
  })
  if (spec.data !== undefined && spec.method === undefined) throw err('INVALID_ARGUMENT', 'data without a method')
  const raw = spec.data === undefined ? null : toBytes(spec.data)
  const data = raw === null || raw.length === 0 ? null : raw
  const hasContent = entity.length > 0 || spec.method !== undefined
  const withLength = entity.some(l => !isStateSync(l) && l.binary) ||
    (data !== null && (data.length > LENGTH_THRESHOLD_BYTES || dataNeedsLength(data)))
  const p: Packet = {
    routing,
    content: hasContent ? { withLength, entity, method: spec.method ?? null, data } : null
  }
  return p
}

export function isStateSync (line: EntityLine | ModifierSpec): line is StateSync {
  return (line as StateSync).lone === true
}

/** The last modifier named `name` (later modifiers override earlier ones), or undefined. */
export function lastModifier (lines: readonly EntityLine[], name: string): Modifier | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!
    if (!isStateSync(l) && l.name === name) return l
  }
  return undefined
}

/** A value as text; invalid UTF-8 is PACKET_BAD_VALUE (never silently replaced). */
export function modifierText (m: Modifier): string {
  try {
    return utf8Decoder.decode(m.value)
  } catch {
    throw err('PACKET_BAD_VALUE', `the value of ${m.name} is not valid UTF-8`)
  }
}
