/**
 * The place message: the plaintext inside a place envelope (and inside guest talk), an authored
 * and signed PSYC packet. Pure: no I/O and no crypto (signing is core/places/author.ts). The
 * format, the signed bytes and every rule are in docs/places-messages.md.
 *
 * Canonical form (the only bytes decodePlaceMessage accepts; encodePlaceMessage writes them):
 *
 *   (no routing part)
 *   [content length] LF                   chosen by makePacket (protocol/packet.ts)
 *   :_nym_author  <32 bytes>              the author's ego public key
 *   :_id_talk     <16 bytes>              chosen by the author; (author, talk id) names a post across retries
 *   :_time        <decimal>               the author's clock, ms
 *   [:_id_reply   <decimal>]              message id replied to
 *   [:_id_thread  <decimal>]              first message id of the thread
 *   *( ("=" / "+" / "-" / "@") name value )   state operations, in order, at most MAX_STATE_OPS
 *   *( ":" name value )                   other variables, in order, each name at most once
 *   :_sig_author  <64 bytes>              Ed25519, label secushare/author/v1, over authorSigningBytes
 *   method LF [ text LF ] "|" LF
 *
 * Every value takes the form makePacket picks (plain, or binary when it holds LF or is longer than
 * MAX_PLAIN_VALUE_BYTES), and the content has a length exactly when makePacket gives it one. The
 * decoder re-encodes what it read and refuses any difference, so a message has exactly one
 * encoding and decode → encode is the identity on accepted bytes.
 *
 * Errors: PLACE_MESSAGE_INVALID (detail.cause holds the packet codec's code when the bytes are not
 * a PSYC packet at all), LIMIT_EXCEEDED naming the limit (detail.limit), INVALID_ARGUMENT for
 * arguments of the wrong JavaScript type. Never anything else.
 */
import { isSecushareError, limitExceeded, SecushareError } from './errors.js'
import { MAX_MESSAGE_ID, MAX_POST_TEXT_BYTES, MAX_STATE_OPS, MAX_STATE_VALUE_BYTES } from './limits.js'
import { decodePacket, encodePacket, isStateSync, makePacket, type Modifier, type ModifierSpec, type Packet } from './packet.js'

/** The operators that change state (`:` never does; `?` is not allowed in a place message). */
export type StateOperator = '=' | '+' | '-' | '@'
export const STATE_OPERATORS: readonly StateOperator[] = ['=', '+', '-', '@']

export interface StateOp { op: StateOperator, name: string, value: Uint8Array }
export interface PlaceVar { name: string, value: Uint8Array }

export interface PlaceMessage {
  /** A keyword, e.g. '_converse' (see PLACE_METHOD). */
  method: string
  /** The author's 32-byte ego public key (`:_nym_author`). */
  author: Uint8Array
  /** 16 random bytes chosen by the author (`:_id_talk`): (author, talkId) names a post across retries. */
  talkId: Uint8Array
  /** The author's clock in ms since 1970 (`:_time`), a safe integer ≥ 0. */
  time: number
  /** `:_id_reply`: the id of the message replied to, 1 … MAX_MESSAGE_ID. */
  replyTo?: number
  /** `:_id_thread`: the id of the first message of the thread, 1 … MAX_MESSAGE_ID. */
  thread?: number
  /** The data (body), UTF-8, at most MAX_POST_TEXT_BYTES. Empty text is the same as none. */
  text?: string
  /** State operations, in order (entity modifiers with = + - @). */
  state?: StateOp[]
  /** Other `:` variables the app sets (e.g. `_reaction`), in order; a name at most once. */
  vars?: PlaceVar[]
  /** 64-byte Ed25519 signature by `author` (`:_sig_author`), see authorSigningBytes. */
  signature: Uint8Array
}

export type UnsignedPlaceMessage = Omit<PlaceMessage, 'signature'>

/** The variables a place message uses itself. Apps may not use these names (vars or state). */
export const PLACE_VAR = {
  AUTHOR: '_nym_author',
  TALK_ID: '_id_talk',
  TIME: '_time',
  REPLY: '_id_reply',
  THREAD: '_id_thread',
  SIGNATURE: '_sig_author'
} as const

export const PLACE_RESERVED_NAMES: readonly string[] = Object.values(PLACE_VAR)

/** True for a name only the place message format itself may use (exact names; `_time_x` is free). */
export function isReservedPlaceName (name: string): boolean {
  return PLACE_RESERVED_NAMES.includes(name)
}

/** Methods the places layer uses. Any other keyword is a valid method too (inheritance applies). */
export const PLACE_METHOD = {
  CONVERSE: '_converse',
  REACTION: '_converse_reaction',
  ENTER: '_notice_place_enter',
  LEAVE: '_notice_place_leave',
  CLOSING: '_notice_place_closing',
  SET: '_notice_set',
  KEY: '_notice_place_key'
} as const

export const PLACE_ID_BYTES = 32
export const AUTHOR_KEY_BYTES = 32
export const TALK_ID_BYTES = 16
export const AUTHOR_SIGNATURE_BYTES = 64

const utf8Encoder = new TextEncoder()
/** fatal: invalid UTF-8 is refused; ignoreBOM: a leading U+FEFF stays in the text (round trip). */
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
/** With the u flag this matches only lone surrogates, which UTF-8 cannot carry. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

function bad (message: string, detail: Record<string, unknown> = {}): SecushareError {
  return new SecushareError('PLACE_MESSAGE_INVALID', `place message: ${message}`, detail)
}

/** Runs a packet codec call; its PACKET_* refusals become PLACE_MESSAGE_INVALID (the code in detail.cause). */
function viaPacket<T> (f: () => T): T {
  try {
    return f()
  } catch (e) {
    if (isSecushareError(e) && e.code.startsWith('PACKET_')) {
      throw bad(`not a valid PSYC packet: ${e.message}`, { ...e.detail, cause: e.code })
    }
    throw e
  }
}

function checkBytes (v: unknown, what: string, length: number): asserts v is Uint8Array {
  if (!(v instanceof Uint8Array)) throw new SecushareError('INVALID_ARGUMENT', `place message: ${what} must be a Uint8Array`)
  if (v.length !== length) throw bad(`${what} must be ${length} bytes, not ${v.length}`)
}

function checkId (v: unknown, what: string): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(`${what} must be an integer message id`)
  if (v < 1) throw bad(`${what} must be at least 1 (message ids start at 1)`)
  if (v > MAX_MESSAGE_ID) throw limitExceeded('MAX_MESSAGE_ID', MAX_MESSAGE_ID, v)
}

function checkTime (v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad('time must be a safe integer ≥ 0 (ms)')
}

function textBytes (text: unknown): Uint8Array | undefined {
  if (text === undefined) return undefined
  if (typeof text !== 'string') throw new SecushareError('INVALID_ARGUMENT', 'place message: text must be a string')
  if (LONE_SURROGATE.test(text)) throw bad('text has a lone surrogate, which UTF-8 cannot carry')
  const b = utf8Encoder.encode(text)
  if (b.length > MAX_POST_TEXT_BYTES) throw limitExceeded('MAX_POST_TEXT_BYTES', MAX_POST_TEXT_BYTES, b.length)
  return b.length === 0 ? undefined : b
}

function checkStateOps (ops: unknown): asserts ops is StateOp[] | undefined {
  if (ops === undefined) return
  if (!Array.isArray(ops)) throw new SecushareError('INVALID_ARGUMENT', 'place message: state must be an array')
  if (ops.length > MAX_STATE_OPS) throw limitExceeded('MAX_STATE_OPS', MAX_STATE_OPS, ops.length)
  for (const o of ops as unknown[]) {
    if (o === null || typeof o !== 'object') throw new SecushareError('INVALID_ARGUMENT', 'place message: a state operation must be an object')
    const { op, name, value } = o as Record<string, unknown>
    if (typeof op !== 'string' || !(STATE_OPERATORS as readonly string[]).includes(op)) {
      throw bad(`state operator ${JSON.stringify(op)} is not one of = + - @`)
    }
    if (typeof name !== 'string') throw new SecushareError('INVALID_ARGUMENT', 'place message: a state name must be a string')
    if (isReservedPlaceName(name)) throw bad(`${name} is reserved for the place message itself`)
    if (!(value instanceof Uint8Array)) throw new SecushareError('INVALID_ARGUMENT', `place message: the value of ${name} must be a Uint8Array`)
    if (value.length > MAX_STATE_VALUE_BYTES) throw limitExceeded('MAX_STATE_VALUE_BYTES', MAX_STATE_VALUE_BYTES, value.length)
  }
}

function checkVars (vars: unknown): asserts vars is PlaceVar[] | undefined {
  if (vars === undefined) return
  if (!Array.isArray(vars)) throw new SecushareError('INVALID_ARGUMENT', 'place message: vars must be an array')
  const seen = new Set<string>()
  for (const v of vars as unknown[]) {
    if (v === null || typeof v !== 'object') throw new SecushareError('INVALID_ARGUMENT', 'place message: a var must be an object')
    const { name, value } = v as Record<string, unknown>
    if (typeof name !== 'string') throw new SecushareError('INVALID_ARGUMENT', 'place message: a var name must be a string')
    if (isReservedPlaceName(name)) throw bad(`${name} is reserved for the place message itself`)
    if (seen.has(name)) throw bad(`var ${name} appears twice`)
    seen.add(name)
    if (!(value instanceof Uint8Array)) throw new SecushareError('INVALID_ARGUMENT', `place message: the value of ${name} must be a Uint8Array`)
  }
}

/** Validates the unsigned fields and builds the packet; with a signature, `:_sig_author` is the last entity line. */
function buildPacket (m: UnsignedPlaceMessage, signature?: Uint8Array): Packet {
  if (m === null || typeof m !== 'object') throw new SecushareError('INVALID_ARGUMENT', 'place message: not an object')
  if (typeof m.method !== 'string') throw new SecushareError('INVALID_ARGUMENT', 'place message: method must be a string')
  checkBytes(m.author, 'author', AUTHOR_KEY_BYTES)
  checkBytes(m.talkId, 'talkId', TALK_ID_BYTES)
  checkTime(m.time)
  if (m.replyTo !== undefined) checkId(m.replyTo, 'replyTo')
  if (m.thread !== undefined) checkId(m.thread, 'thread')
  const text = textBytes(m.text)
  checkStateOps(m.state)
  checkVars(m.vars)
  const entity: ModifierSpec[] = [
    { op: ':', name: PLACE_VAR.AUTHOR, value: m.author },
    { op: ':', name: PLACE_VAR.TALK_ID, value: m.talkId },
    { op: ':', name: PLACE_VAR.TIME, value: String(m.time) }
  ]
  if (m.replyTo !== undefined) entity.push({ op: ':', name: PLACE_VAR.REPLY, value: String(m.replyTo) })
  if (m.thread !== undefined) entity.push({ op: ':', name: PLACE_VAR.THREAD, value: String(m.thread) })
  for (const o of m.state ?? []) entity.push({ op: o.op, name: o.name, value: o.value })
  for (const v of m.vars ?? []) entity.push({ op: ':', name: v.name, value: v.value })
  if (signature !== undefined) entity.push({ op: ':', name: PLACE_VAR.SIGNATURE, value: signature })
  return viaPacket(() => makePacket(text === undefined ? { entity, method: m.method } : { entity, method: m.method, data: text }))
}

/**
 * The bytes an author signs (under LABEL.AUTHOR, core/places/author.ts): the 32-byte place id,
 * then encodePacket(makePacket(...)) of the same entity lines, method and text as the message but
 * without the `:_sig_author` line. makePacket chooses the forms and the content length of this
 * packet on its own, so they can differ from the full message's (a signature holding LF gives the
 * full message a content length, not this packet); verifiers rebuild these bytes from the decoded
 * fields, never slice them out of the received bytes. Binding the place id stops a post from
 * being moved to another place. A `signature` field in `m`, if any, is ignored.
 */
export function authorSigningBytes (placeId: Uint8Array, m: UnsignedPlaceMessage): Uint8Array {
  if (!(placeId instanceof Uint8Array) || placeId.length !== PLACE_ID_BYTES) {
    throw new SecushareError('INVALID_ARGUMENT', `place message: the place id must be ${PLACE_ID_BYTES} bytes`)
  }
  const packet = viaPacket(() => encodePacket(buildPacket(m)))
  const out = new Uint8Array(PLACE_ID_BYTES + packet.length)
  out.set(placeId)
  out.set(packet, PLACE_ID_BYTES)
  return out
}

export function encodePlaceMessage (m: PlaceMessage): Uint8Array {
  if (m === null || typeof m !== 'object') throw new SecushareError('INVALID_ARGUMENT', 'place message: not an object')
  checkBytes(m.signature, 'signature', AUTHOR_SIGNATURE_BYTES)
  return viaPacket(() => encodePacket(buildPacket(m, m.signature)))
}

function fixed (l: Modifier, length: number): Uint8Array {
  if (l.value.length !== length) throw bad(`:${l.name} must be ${length} bytes, not ${l.value.length}`)
  return l.value.slice()
}

/** The digits of a canonical decimal value (no sign, no leading zero); more than 16 digits give null. */
function decimal (l: Modifier): string | null {
  const v = l.value
  let ok = v.length > 0 && !(v[0] === 0x30 && v.length > 1)
  for (let k = 0; ok && k < v.length; k++) ok = v[k]! >= 0x30 && v[k]! <= 0x39
  if (!ok) throw bad(`:${l.name} is not a canonical decimal number (digits only, no sign, no leading zero)`)
  return v.length > 16 ? null : String.fromCharCode(...v)
}

function idValue (l: Modifier): number {
  const s = decimal(l)
  const n = s === null ? Infinity : Number(s)
  if (n === 0) throw bad(`:${l.name} must be at least 1 (message ids start at 1)`)
  if (n > MAX_MESSAGE_ID) throw limitExceeded('MAX_MESSAGE_ID', MAX_MESSAGE_ID, n)
  return n
}

function timeValue (l: Modifier): number {
  const s = decimal(l)
  const n = s === null ? Infinity : Number(s)
  if (!Number.isSafeInteger(n)) throw bad(`:${l.name} is beyond the safe integer range`)
  return n
}

const HEADER_ORDER = `:${PLACE_VAR.AUTHOR}, :${PLACE_VAR.TALK_ID}, :${PLACE_VAR.TIME}, [:${PLACE_VAR.REPLY}], [:${PLACE_VAR.THREAD}], state operations, other variables, :${PLACE_VAR.SIGNATURE}`

export function decodePlaceMessage (bytes: Uint8Array): PlaceMessage {
  if (!(bytes instanceof Uint8Array)) throw new SecushareError('INVALID_ARGUMENT', 'decodePlaceMessage takes a Uint8Array')
  const p = viaPacket(() => decodePacket(bytes))
  if (p.routing.length > 0) throw bad('has routing modifiers (a place message has none)')
  const c = p.content
  if (c === null || c.method === null) throw bad('has no method')

  // Every line alone first: the errors then say what is wrong, not only that the order is.
  const lines: Modifier[] = []
  const reserved = new Set<string>()
  for (const l of c.entity) {
    if (isStateSync(l)) throw bad(`a lone "${l.op}" line is not allowed (state snapshots travel separately)`)
    if (l.op === '?') throw bad(`the query operator "?" is not allowed (${l.name})`)
    if (isReservedPlaceName(l.name)) {
      if (l.op !== ':') throw bad(`${l.name} must be a ":" modifier, not "${l.op}"`)
      if (reserved.has(l.name)) throw bad(`:${l.name} appears twice`)
      reserved.add(l.name)
    }
    lines.push(l)
  }

  let i = 0
  const take = (name: string): Modifier | undefined => {
    const l = lines[i]
    if (l === undefined || l.name !== name) return undefined
    i++
    return l
  }
  const required = (name: string): Modifier => {
    const l = take(name)
    if (l !== undefined) return l
    throw reserved.has(name) ? bad(`:${name} is out of place (the order is ${HEADER_ORDER})`) : bad(`missing :${name}`)
  }

  const author = fixed(required(PLACE_VAR.AUTHOR), AUTHOR_KEY_BYTES)
  const talkId = fixed(required(PLACE_VAR.TALK_ID), TALK_ID_BYTES)
  const time = timeValue(required(PLACE_VAR.TIME))
  const reply = take(PLACE_VAR.REPLY)
  const thread = take(PLACE_VAR.THREAD)
  const m: PlaceMessage = { method: c.method, author, talkId, time, signature: new Uint8Array(0) }
  if (reply !== undefined) m.replyTo = idValue(reply)
  if (thread !== undefined) m.thread = idValue(thread)

  const state: StateOp[] = []
  const vars: PlaceVar[] = []
  const varNames = new Set<string>()
  let signature: Uint8Array | undefined
  for (; i < lines.length; i++) {
    const l = lines[i]!
    if (l.name === PLACE_VAR.SIGNATURE && i === lines.length - 1) {
      signature = fixed(l, AUTHOR_SIGNATURE_BYTES)
    } else if (isReservedPlaceName(l.name)) {
      throw bad(`:${l.name} is out of place (the order is ${HEADER_ORDER})`)
    } else if (l.op === ':') {
      if (varNames.has(l.name)) throw bad(`var ${l.name} appears twice`)
      varNames.add(l.name)
      vars.push({ name: l.name, value: l.value.slice() })
    } else {
      if (vars.length > 0) throw bad(`state operation ${l.op}${l.name} after a ":" variable (state operations come first)`)
      if (state.length === MAX_STATE_OPS) throw limitExceeded('MAX_STATE_OPS', MAX_STATE_OPS, MAX_STATE_OPS + 1)
      if (l.value.length > MAX_STATE_VALUE_BYTES) throw limitExceeded('MAX_STATE_VALUE_BYTES', MAX_STATE_VALUE_BYTES, l.value.length)
      state.push({ op: l.op as StateOperator, name: l.name, value: l.value.slice() })
    }
  }
  if (signature === undefined) throw bad(`missing :${PLACE_VAR.SIGNATURE} (it must be the last modifier)`)
  m.signature = signature
  if (state.length > 0) m.state = state
  if (vars.length > 0) m.vars = vars

  if (c.data !== null) {
    if (c.data.length > MAX_POST_TEXT_BYTES) throw limitExceeded('MAX_POST_TEXT_BYTES', MAX_POST_TEXT_BYTES, c.data.length)
    try {
      m.text = utf8Decoder.decode(c.data)
    } catch {
      throw bad('the text is not valid UTF-8')
    }
  }

  const again = encodePlaceMessage(m)
  if (again.length !== bytes.length || !again.every((b, k) => b === bytes[k])) {
    let k = 0
    while (k < again.length && k < bytes.length && again[k] === bytes[k]) k++
    throw bad(`not in canonical form (a value's plain/binary form or the content length differs from what makePacket writes), first difference at byte ${k}`, { offset: k })
  }
  return m
}
