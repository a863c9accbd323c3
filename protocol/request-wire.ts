/**
 * The codec shared by secushare's request protocols (places, names, relays): each request and
 * answer is one PSYC packet whose method names it and whose fields are `:` modifiers, at most the
 * protocol's frame limit. A protocol makes its codec with its own limit, its own code for
 * malformed input and its own failure method (`_failure_…` :_code :_text).
 */
import { limitExceeded, SecushareError, type ErrorCode } from './errors.js'
import { decodePacket, encodePacket, encodeSpec, modifierText, type Packet, type PacketLimit } from './packet.js'

export type WireValue = Uint8Array | string | number

export interface WireMessage { method: string, fields: Map<string, Uint8Array> }

export interface WireDialect {
  /** The largest packet (its name is what LIMIT_EXCEEDED reports). */
  limit: PacketLimit
  /** The code of malformed input, and the words that start its message. */
  invalid: ErrorCode
  what: string
  /** The method of a refusal, and the code it becomes when its own code is unknown here. */
  failure: string
  unknownRefusal: ErrorCode
}

export class WireCodec {
  constructor (private readonly d: WireDialect) {}

  bad (why: string): SecushareError { return new SecushareError(this.d.invalid, `malformed ${this.d.what}: ${why}`) }

  /** Fields given as undefined are left out. */
  encode (method: string, fields: Record<string, WireValue | undefined> = {}): Uint8Array {
    const entity = Object.entries(fields).filter((e): e is [string, WireValue] => e[1] !== undefined)
      .map(([name, value]) => ({ op: ':' as const, name, value: typeof value === 'number' ? String(value) : value }))
    return encodeSpec({ entity, method }, this.d.limit)
  }

  decode (bytes: Uint8Array): WireMessage {
    if (bytes.length > this.d.limit.max) throw limitExceeded(this.d.limit.name, this.d.limit.max, bytes.length)
    let p: Packet
    try {
      p = decodePacket(bytes, this.d.limit)
    } catch (e) {
      throw this.bad((e as Error).message)
    }
    const method = p.content?.method
    if (method === undefined || method === null) throw this.bad('no method')
    // requests carry fields only: a body or routing lines would be ignored, so they are refused
    if (p.routing.length > 0 || p.content?.data !== null) throw this.bad('routing lines or a body after the method')
    const fields = new Map<string, Uint8Array>()
    for (const line of p.content?.entity ?? []) {
      if ('lone' in line || line.op !== ':') throw this.bad('unexpected entity line')
      // one byte form per request: a field given twice would be read as either value
      if (fields.has(line.name)) throw this.bad(`${line.name} given twice`)
      fields.set(line.name, line.value)
    }
    // one byte form per request (the packet codec also takes a content length or the length form
    // of a value where the encoder would not write one): what decodes must re-encode identically
    const again = this.encode(method, Object.fromEntries(fields))
    if (Buffer.compare(Buffer.from(again), Buffer.from(bytes)) !== 0) throw this.bad('not in the canonical form')
    return { method, fields }
  }

  bytes (m: WireMessage, name: string, length?: number): Uint8Array {
    const v = m.fields.get(name)
    if (v === undefined) throw this.bad(`${m.method} lacks ${name}`)
    if (length !== undefined && v.length !== length) throw this.bad(`${name} has ${v.length} bytes, not ${length}`)
    return new Uint8Array(v)
  }

  text (m: WireMessage, name: string): string {
    const v = this.bytes(m, name)
    try {
      return modifierText({ op: ':', name, value: v, binary: false })
    } catch {
      throw this.bad(`${name} is not UTF-8`)
    }
  }

  number (m: WireMessage, name: string): number {
    const t = this.text(m, name)
    if (!/^(0|[1-9][0-9]{0,15})$/.test(t) || !Number.isSafeInteger(Number(t))) throw this.bad(`${name} is not a canonical number`)
    return Number(t)
  }

  /** Throws the refusal carried by a failure answer as a SecushareError with its code. */
  throwIfFailure (m: WireMessage, known: (code: string) => boolean): void {
    if (m.method !== this.d.failure) return
    const code = m.fields.has('_code') ? this.text(m, '_code') : 'INTERNAL'
    const text = m.fields.has('_text') ? this.text(m, '_text') : 'refused'
    throw new SecushareError(known(code) ? code as ErrorCode : this.d.unknownRefusal, text.slice(0, 300), { remoteCode: code })
  }
}
