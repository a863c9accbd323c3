/**
 * The PSYC state engine of a place: variables name → value (bytes), changed by the state operators
 * of place messages (secushare-spec §2.2), and the order in which a receiver may apply them
 * (GNUnet's state_delta, §2.3). Pure: no I/O, no crypto; applyOps returns a new map.
 *
 * Type families, by the most specific ancestor of the name (protocol/method.ts methodAncestors):
 * `_list` (PSYC list, protocol/list.ts), `_dict` (PSYC dict), `_amount` and `_count` (decimal
 * integers); every other name is a string. `_number` is deliberately not an integer family: phone
 * and house "numbers" are text. The operator table (docs/places-messages.md has the long form):
 *
 *   op | string          | integer              | list                         | dict
 *   =  | set             | set (must be integer)| set (must be a valid list)   | set (valid dict, keys unique)
 *   +  | append bytes    | add                  | append the given elements    | add or replace the given keys
 *   -  | skipped         | subtract             | remove elements equal (value)| remove the given keys
 *   @  | skipped         | skipped              | skipped                      | replace one existing key's value
 *
 * `=` with an empty value deletes, for every family; any result that is empty (no bytes, or a list
 * or dict without items) deletes the variable too. `:` never changes state. An operation that does
 * not fit (wrong family, malformed value, over a limit, overflow) is skipped and reported, never
 * thrown: the input comes from peers.
 */
import { SecushareError } from '../../protocol/errors.js'
import {
  MAX_LIST_ITEMS, MAX_MESSAGE_ID, MAX_NAME_BYTES, MAX_NAME_LABELS, MAX_STATE_HELD, MAX_STATE_VALUE_BYTES, MAX_STATE_VARS
} from '../../protocol/limits.js'
import { parseDict, parseList, type PsycDict, type PsycList } from '../../protocol/list.js'
import { isKeyword, methodAncestors, nameLabels } from '../../protocol/method.js'

export type StateFamily = 'string' | 'integer' | 'list' | 'dict'

/** The names that root a type family; a name belongs to the family of its nearest such ancestor. */
export const STATE_FAMILIES: ReadonlyMap<string, StateFamily> = new Map<string, StateFamily>([
  ['_list', 'list'], ['_dict', 'dict'], ['_amount', 'integer'], ['_count', 'integer']
])

/** An operation as a place message carries it (protocol/place-message.ts StateOp). */
export interface StateOpInput { op: string, name: string, value: Uint8Array }

export interface SkippedOp {
  /** Position of the operation in the list given to applyOps. */
  index: number
  op: string
  name: string
  reason: string
}

export interface ApplyResult { state: Map<string, Uint8Array>, skipped: SkippedOp[] }

export interface ApplyOptions {
  /**
   * Variables the place has beyond those in the map passed (for a caller that passes only the
   * variables the operations touch); counted against MAX_STATE_VARS. Default 0.
   */
  otherVars?: number
}

export type State = ReadonlyMap<string, Uint8Array>

const EMPTY = new Uint8Array(0)
const SP = 0x20
const PIPE = 0x7c
const LBRACE = 0x7b
const RBRACE = 0x7d
const utf8 = new TextEncoder()
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The family of a variable name (see the file comment). Names that are no keyword are strings. */
export function stateFamily (name: string): StateFamily {
  if (nameLabels(name) > MAX_NAME_LABELS) return 'string'
  for (const a of methodAncestors(name)) {
    const f = STATE_FAMILIES.get(a)
    if (f !== undefined) return f
  }
  return 'string'
}

// ---- rendering lists and dicts ----

export interface ListSpec { type?: string, items: ReadonlyArray<{ type?: string, value: Uint8Array }> }
export interface DictSpec { type?: string, items: ReadonlyArray<{ key: Uint8Array, type?: string, value: Uint8Array }> }

class Bytes {
  parts: Uint8Array[] = []
  length = 0
  add (b: Uint8Array): void { this.parts.push(b); this.length += b.length }
  text (s: string): void { this.add(utf8.encode(s)) }
  done (): Uint8Array {
    const out = new Uint8Array(this.length)
    let p = 0
    for (const b of this.parts) { out.set(b, p); p += b.length }
    return out
  }
}

function checkType (t: string | undefined): void {
  if (t !== undefined && (!isKeyword(t) || t.length > MAX_NAME_BYTES)) {
    throw new SecushareError('INVALID_ARGUMENT', `not a type keyword: ${JSON.stringify(t)}`)
  }
}

/** Element head and value after its opening "|" or "}": `[=type][:len | len] SP value`. */
function element (out: Bytes, type: string | undefined, value: Uint8Array, delim: number): void {
  checkType(type)
  const withLength = value.includes(delim)
  let head = type === undefined ? '' : '=' + type
  if (withLength) head += (type === undefined ? '' : ':') + String(value.length)
  out.text(head + ' ')
  out.add(value)
}

/**
 * A PSYC list value (the syntax of protocol/list.ts) in this engine's canonical form: the default
 * type if any, then `|` per element, `=type` when it has one, a length only when the value holds
 * "|", then SP and the value. parseList reads it back to the same elements.
 */
export function renderList (list: ListSpec): Uint8Array {
  checkType(list.type)
  const out = new Bytes()
  if (list.type !== undefined) out.text(list.type)
  for (const e of list.items) {
    out.add(new Uint8Array([PIPE]))
    element(out, e.type, e.value, PIPE)
  }
  return out.done()
}

/** A PSYC dict value, canonical like renderList; a key gets a length when it holds "}" or starts with a digit. */
export function renderDict (dict: DictSpec): Uint8Array {
  checkType(dict.type)
  const out = new Bytes()
  if (dict.type !== undefined) out.text(dict.type)
  for (const e of dict.items) {
    out.add(new Uint8Array([LBRACE]))
    const k = e.key
    if (k.includes(RBRACE) || (k.length > 0 && k[0]! >= 0x30 && k[0]! <= 0x39)) out.text(`${k.length} `)
    out.add(k)
    out.add(new Uint8Array([RBRACE]))
    element(out, e.type, e.value, LBRACE)
  }
  return out.done()
}

// ---- applying operations ----

type Outcome = { value: Uint8Array | undefined } | { skip: string }

const skip = (reason: string): Outcome => ({ skip: reason })
const set = (value: Uint8Array | undefined): Outcome => ({ value: value === undefined || value.length === 0 ? undefined : value })

const INTEGER = /^-?(0|[1-9][0-9]*)$/

/** A canonical decimal integer within the safe range ("-0" and leading zeros are not), else null. */
export function parseStateInteger (v: Uint8Array): number | null {
  if (v.length === 0 || v.length > 17) return null
  const s = String.fromCharCode(...v)
  if (!INTEGER.test(s) || s === '-0') return null
  const n = Number(s)
  return Number.isSafeInteger(n) ? n : null
}

function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

const keyOf = (k: Uint8Array): string => Buffer.from(k.buffer, k.byteOffset, k.length).toString('latin1')

function readList (v: Uint8Array, what: string): PsycList | string {
  try {
    const l = parseList(v)
    return l.truncated ? `${what} is a truncated list (its last element is shorter than its length)` : l
  } catch (e) {
    return `${what} is not a valid list: ${(e as Error).message}`
  }
}

function readDict (v: Uint8Array, what: string): PsycDict | string {
  let d: PsycDict
  try {
    d = parseDict(v)
  } catch (e) {
    return `${what} is not a valid dict: ${(e as Error).message}`
  }
  if (d.truncated) return `${what} is a truncated dict (its last value is shorter than its length)`
  const keys = new Set<string>()
  for (const e of d.items) {
    const k = keyOf(e.key)
    if (keys.has(k)) return `${what} has the key ${JSON.stringify(k)} twice`
    keys.add(k)
  }
  return d
}

function onString (op: string, cur: Uint8Array | undefined, v: Uint8Array): Outcome {
  switch (op) {
    case '=': return set(v)
    case '+': return set(cur === undefined ? v : concat(cur, v))
    case '-': return skip('a string cannot be diminished')
    default: return skip('a string cannot be updated ("@" is for dicts)')
  }
}

function onInteger (op: string, cur: Uint8Array | undefined, v: Uint8Array): Outcome {
  if (op === '@') return skip('an integer cannot be updated ("@" is for dicts)')
  if (op === '=' && v.length === 0) return set(undefined)
  const n = parseStateInteger(v)
  if (n === null) return skip('the value is not a canonical decimal integer in the safe range')
  if (op === '=') return set(v)
  const c = cur === undefined ? 0 : parseStateInteger(cur)
  if (c === null) return skip('the stored value is not an integer')
  const r = op === '+' ? c + n : c - n
  if (!Number.isSafeInteger(r)) return skip('the result is beyond the safe integer range')
  return set(utf8.encode(String(r)))
}

/** Type to write for an element joining a list/dict whose default type is `into`. */
function joinType (own: string | undefined, from: string | undefined, into: string | undefined): string | undefined {
  const t = own ?? from
  return t === into ? undefined : t
}

function onList (op: string, cur: Uint8Array | undefined, v: Uint8Array): Outcome {
  if (op === '@') return skip('a list cannot be updated ("@" is for dicts)')
  if (op === '=' && v.length === 0) return set(undefined)
  const given = readList(v, 'the value')
  if (typeof given === 'string') return skip(given)
  if (op === '=') return set(given.items.length === 0 ? undefined : v)
  if (cur === undefined && op === '-') return set(undefined)
  const stored = cur === undefined ? { type: given.type, items: [], truncated: false } : readList(cur, 'the stored value')
  if (typeof stored === 'string') return skip(stored)
  let items: Array<{ type?: string, value: Uint8Array }>
  if (op === '+') {
    if (stored.items.length + given.items.length > MAX_LIST_ITEMS) {
      return skip(`MAX_LIST_ITEMS: the list would have ${stored.items.length + given.items.length} > ${MAX_LIST_ITEMS} elements`)
    }
    items = stored.items.concat(given.items.map(e => ({ type: joinType(e.type, given.type, stored.type), value: e.value })))
  } else {
    items = stored.items.filter(e => !given.items.some(g => equalBytes(g.value, e.value)))
  }
  if (items.length === 0) return set(undefined)
  return set(renderList({ type: stored.type, items }))
}

function onDict (op: string, cur: Uint8Array | undefined, v: Uint8Array): Outcome {
  if (op === '=' && v.length === 0) return set(undefined)
  const given = readDict(v, 'the value')
  if (typeof given === 'string') return skip(given)
  if (op === '=') return set(given.items.length === 0 ? undefined : v)
  if (op === '@' && given.items.length !== 1) return skip(`"@" on a dict takes exactly one entry, not ${given.items.length}`)
  if (cur === undefined) {
    if (op === '-') return set(undefined)
    if (op === '@') return skip('"@" updates an existing key, and the dict does not exist')
  }
  const stored = cur === undefined ? { type: given.type, items: [], truncated: false } : readDict(cur, 'the stored value')
  if (typeof stored === 'string') return skip(stored)
  const items: Array<{ key: Uint8Array, type?: string, value: Uint8Array }> = stored.items.slice()
  const index = new Map<string, number>()
  items.forEach((e, i) => index.set(keyOf(e.key), i))
  if (op === '-') {
    const gone = new Set(given.items.map(e => keyOf(e.key)))
    const kept = items.filter(e => !gone.has(keyOf(e.key)))
    return kept.length === 0 ? set(undefined) : set(renderDict({ type: stored.type, items: kept }))
  }
  for (const e of given.items) {
    const entry = { key: e.key, type: joinType(e.type, given.type, stored.type), value: e.value }
    const at = index.get(keyOf(e.key))
    if (at !== undefined) {
      items[at] = entry
    } else if (op === '@') {
      return skip(`"@" updates an existing key, and ${JSON.stringify(keyOf(e.key))} is not in the dict`)
    } else {
      index.set(keyOf(e.key), items.length)
      items.push(entry)
    }
  }
  if (items.length > MAX_LIST_ITEMS) return skip(`MAX_LIST_ITEMS: the dict would have ${items.length} > ${MAX_LIST_ITEMS} entries`)
  return set(renderDict({ type: stored.type, items }))
}

const HANDLERS: Record<StateFamily, (op: string, cur: Uint8Array | undefined, v: Uint8Array) => Outcome> = {
  string: onString, integer: onInteger, list: onList, dict: onDict
}

function checkOp (o: unknown): string | undefined {
  if (o === null || typeof o !== 'object') return 'not an operation object'
  const { op, name, value } = o as Record<string, unknown>
  if (typeof name !== 'string' || !isKeyword(name) || name.length > MAX_NAME_BYTES || nameLabels(name) > MAX_NAME_LABELS) {
    return 'the name is not a variable name'
  }
  if (!(value instanceof Uint8Array)) return 'the value is not bytes'
  if (op === ':') return '":" is transient and never changes state'
  if (op !== '=' && op !== '+' && op !== '-' && op !== '@') return `${JSON.stringify(op)} is not a state operator`
  if (value.length > MAX_STATE_VALUE_BYTES) return `MAX_STATE_VALUE_BYTES: the value has ${value.length} > ${MAX_STATE_VALUE_BYTES} bytes`
  return undefined
}

/**
 * Applies `ops` in order to a copy of `state` and returns it with the operations that were
 * skipped (see the file comment). Pure and deterministic; never throws on malformed operations
 * (only INVALID_ARGUMENT when `ops` is not an array or `state` not a Map).
 */
export function applyOps (state: State, ops: readonly StateOpInput[], options: ApplyOptions = {}): ApplyResult {
  if (!(state instanceof Map)) throw new SecushareError('INVALID_ARGUMENT', 'applyOps: state must be a Map')
  if (!Array.isArray(ops)) throw new SecushareError('INVALID_ARGUMENT', 'applyOps: ops must be an array')
  const otherVars = options.otherVars ?? 0
  const next = new Map(state)
  const skipped: SkippedOp[] = []
  ops.forEach((o: unknown, index) => {
    const r = o as Partial<StateOpInput> | null
    const report = (reason: string): void => {
      skipped.push({ index, op: String(r?.op), name: String(r?.name), reason })
    }
    const invalid = checkOp(o)
    if (invalid !== undefined) return report(invalid)
    const { op, name, value } = o as StateOpInput
    const cur = next.get(name)
    let out: Outcome
    try {
      out = HANDLERS[stateFamily(name)](op, cur, value)
    } catch (e) {
      out = skip(`cannot apply: ${(e as Error).message}`)
    }
    if ('skip' in out) return report(out.skip)
    if (out.value === undefined) {
      next.delete(name)
      return
    }
    if (out.value.length > MAX_STATE_VALUE_BYTES) {
      return report(`MAX_STATE_VALUE_BYTES: the result would have ${out.value.length} > ${MAX_STATE_VALUE_BYTES} bytes`)
    }
    if (cur === undefined && next.size + otherVars >= MAX_STATE_VARS) {
      return report(`MAX_STATE_VARS: the place already has ${next.size + otherVars} variables`)
    }
    next.set(name, out.value === value ? value.slice() : out.value)
  })
  return { state: next, skipped }
}

// ---- comparing and showing ----

/**
 * A deterministic serialisation of a state: for each variable sorted by name (code-unit order,
 * which is byte order for keywords), `name SP length TAB value LF`. Equal states give equal bytes.
 */
export function stateDigest (state: State): Uint8Array {
  const out = new Bytes()
  for (const name of [...state.keys()].sort()) {
    const v = state.get(name)!
    out.text(`${name} ${v.length}\t`)
    out.add(v)
    out.add(new Uint8Array([0x0a]))
  }
  return out.done()
}

export type StateJsonValue = string | { base64: string }

/** The state as a plain object sorted by name: UTF-8 text where valid, else `{ base64 }`. */
export function stateToJson (state: State): Record<string, StateJsonValue> {
  const out: Record<string, StateJsonValue> = {}
  for (const name of [...state.keys()].sort()) {
    const v = state.get(name)!
    try {
      out[name] = utf8Strict.decode(v)
    } catch {
      out[name] = { base64: Buffer.from(v).toString('base64') }
    }
  }
  return out
}

// ---- ordering: GNUnet's state_delta ----

export interface StateSnapshot { state: State, lastStateful: number }

/**
 * What became of one offered message. `applied`: its operations were applied (each may still be
 * in `skipped`). Otherwise `reason` says why not:
 * - `not-stateful`: the host did not mark it stateful; any operations it carries are reported in
 *   `skipped` and never applied (only the host's order may change state);
 * - `stale`: its id is not after the last applied stateful message, or it is already held;
 * - `conflict`: the host's chain contradicts what was applied (its predecessor is older than the
 *   last applied stateful message, or another held message claims the same predecessor);
 * - `held-full`: MAX_STATE_HELD messages are already waiting; offer it again later;
 * - `invalid`: the id or predecessor id is not a valid message id.
 */
export interface StateStep {
  id: number
  applied: boolean
  skipped: SkippedOp[]
  reason?: 'not-stateful' | 'stale' | 'conflict' | 'held-full' | 'invalid'
}

interface Held { id: number, ops: readonly StateOpInput[] }

const isId = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 && n <= MAX_MESSAGE_ID

/**
 * The state of one place on a receiver, applying stateful messages in the host's order.
 *
 * The host tags every stateful message with the id of the previous stateful message (0 for the
 * first); a receiver applies a message's operations only when that predecessor is the last one
 * it applied, and holds it until then. Each offer comes out exactly once: at once (not stateful,
 * refused, or applied) or, when held, in the result of the offer or reset that applies its
 * predecessor. Non-stateful messages never wait.
 */
export class StateSequencer {
  #state: Map<string, Uint8Array>
  #last: number
  /** Held messages by the id of their predecessor. */
  readonly #held = new Map<number, Held>()
  readonly #heldIds = new Set<number>()

  constructor (initial?: StateSnapshot) {
    this.#state = new Map()
    this.#last = 0
    if (initial !== undefined) this.#install(initial)
  }

  #install (s: StateSnapshot): void {
    if (s === null || typeof s !== 'object' || !(s.state instanceof Map)) throw new SecushareError('INVALID_ARGUMENT', 'a state snapshot needs a state Map')
    if (!(s.lastStateful === 0 || isId(s.lastStateful))) throw new SecushareError('INVALID_ARGUMENT', 'lastStateful must be 0 or a message id')
    this.#state = new Map(s.state)
    this.#last = s.lastStateful
  }

  /** The current state (a map this object never changes afterwards: each step makes a new one). */
  get state (): State { return this.#state }
  /** Id of the last stateful message applied (0: none). */
  get lastStateful (): number { return this.#last }
  /** Ids of the held messages, ascending. */
  held (): number[] { return [...this.#heldIds].sort((a, b) => a - b) }
  /** Ids of stateful messages known to be missing: predecessors that held messages wait for. */
  missing (): number[] {
    return [...this.#held.keys()].filter(p => !this.#heldIds.has(p)).sort((a, b) => a - b)
  }

  /**
   * Offers message `id`: `prevStateful` is the host's tag (the previous stateful message's id, 0
   * for none), or undefined for a message the host did not mark stateful. Returns every message
   * whose fate is now settled, in the order applied (see StateStep).
   */
  offer (id: number, prevStateful: number | undefined, ops: readonly StateOpInput[] = []): StateStep[] {
    if (!isId(id)) return [{ id, applied: false, skipped: [], reason: 'invalid' }]
    if (prevStateful === undefined) {
      const skipped = (Array.isArray(ops) ? ops : []).map((o, index) => ({
        index, op: String(o?.op), name: String(o?.name), reason: 'the host did not mark this message stateful'
      }))
      return [{ id, applied: false, skipped, reason: 'not-stateful' }]
    }
    if (!(prevStateful === 0 || isId(prevStateful)) || prevStateful >= id) {
      return [{ id, applied: false, skipped: [], reason: 'invalid' }]
    }
    if (id <= this.#last || this.#heldIds.has(id)) return [{ id, applied: false, skipped: [], reason: 'stale' }]
    if (prevStateful < this.#last) return [{ id, applied: false, skipped: [], reason: 'conflict' }]
    if (prevStateful > this.#last) {
      if (this.#held.has(prevStateful)) return [{ id, applied: false, skipped: [], reason: 'conflict' }]
      if (this.#held.size >= MAX_STATE_HELD) return [{ id, applied: false, skipped: [], reason: 'held-full' }]
      this.#held.set(prevStateful, { id, ops: Array.isArray(ops) ? ops.slice() : [] })
      this.#heldIds.add(id)
      return []
    }
    return [this.#apply(id, ops), ...this.#release()]
  }

  /**
   * Installs a state snapshot (e.g. received on entering a place) as of stateful message
   * `lastStateful`; held messages that now follow it are applied, held ones it makes stale are
   * returned as `stale`.
   */
  reset (snapshot: StateSnapshot): StateStep[] {
    this.#install(snapshot)
    return this.#release()
  }

  #apply (id: number, ops: readonly StateOpInput[]): StateStep {
    const r = applyOps(this.#state, Array.isArray(ops) ? ops : [])
    this.#state = r.state
    this.#last = id
    return { id, applied: true, skipped: r.skipped }
  }

  /** Applies held successors of the last applied message, then drops held messages that can never apply. */
  #release (): StateStep[] {
    const steps: StateStep[] = []
    for (let h = this.#held.get(this.#last); h !== undefined; h = this.#held.get(this.#last)) {
      this.#held.delete(this.#last)
      this.#heldIds.delete(h.id)
      steps.push(this.#apply(h.id, h.ops))
    }
    const dead = [...this.#held].filter(([prev]) => prev < this.#last).sort((a, b) => a[1].id - b[1].id)
    for (const [prev, h] of dead) {
      this.#held.delete(prev)
      this.#heldIds.delete(h.id)
      steps.push({ id: h.id, applied: false, skipped: [], reason: h.id <= this.#last ? 'stale' : 'conflict' })
    }
    return steps
  }
}
