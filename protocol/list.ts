/**
 * The value syntax of `_list` and `_dict` variables (libpsyc parse.c), read zero-copy, and the
 * decimal length fields shared with packet.ts.
 *
 * A variable is a list when its name is `_list` or starts with `_list_`, a dict likewise with
 * `_dict`. Accepted grammar (ABNF; `length` = 1*5DIGIT without leading zeros, `type` = keyword):
 *
 *   list       = [ type ] *list-elem                     ; the optional type is the default type
 *   list-elem  = "|" [ elem-head ] [ SP elem-value ]
 *   dict       = [ type ] *dict-item
 *   dict-item  = "{" ( length SP <length bytes> / *(any byte but "}") ) "}" [ elem-head ] [ SP elem-value ]
 *   elem-head  = "=" type [ ":" length ] / length
 *   elem-value = <length bytes>  when the head has a length, followed by the next "|" / "{" or the end
 *              / *(any byte but "|")  in a list, *(any byte but "{") in a dict, otherwise
 *
 * Differences from libpsyc, all stricter: a length must be followed by SP (libpsyc also takes
 * "|4|", an element claiming 4 bytes but holding none); ":" must be followed by a length; a
 * length-prefixed dict key must be followed by "}" (libpsyc skips that byte unchecked).
 *
 * Like libpsyc, the last element may declare a length that runs past the end of the value
 * (`|4 abc`): it is returned with the bytes there are and `truncated: true`, so that a layer
 * which applies the value can refuse it. Errors: PACKET_BAD_LIST / PACKET_BAD_DICT,
 * PACKET_NONCANONICAL (leading zero in a length), LIMIT_EXCEEDED (MAX_LIST_ITEMS,
 * MAX_LENGTH_DIGITS, MAX_NAME_BYTES, MAX_NAME_LABELS).
 */
import { limitExceeded, SecushareError } from './errors.js'
import { MAX_LENGTH_DIGITS, MAX_LIST_ITEMS, MAX_NAME_BYTES } from './limits.js'
import { keywordAt, scanKeyword } from './method.js'

export interface ListElement { type?: string, value: Uint8Array }
export interface PsycList { type?: string, items: ListElement[], truncated: boolean }
export interface DictEntry { key: Uint8Array, type?: string, value: Uint8Array }
export interface PsycDict { type?: string, items: DictEntry[], truncated: boolean }

const SP = 0x20
const ZERO = 0x30
const COLON = 0x3a
const EQUALS = 0x3d
const PIPE = 0x7c
const LBRACE = 0x7b
const RBRACE = 0x7d

export function isListName (name: string): boolean {
  return name === '_list' || name.startsWith('_list_')
}

export function isDictName (name: string): boolean {
  return name === '_dict' || name.startsWith('_dict_')
}

/**
 * Scans the decimal length starting at b[start] and returns the index after its digits (start
 * itself when there is no digit). Throws LIMIT_EXCEEDED (MAX_LENGTH_DIGITS) past 5 digits,
 * reading at most one digit more, and PACKET_NONCANONICAL for a leading zero ("0" alone is fine).
 */
export function scanLength (b: Uint8Array, start: number, end: number): number {
  const stop = Math.min(end, start + MAX_LENGTH_DIGITS + 1)
  let i = start
  while (i < stop && b[i]! >= ZERO && b[i]! <= ZERO + 9) i++
  if (i - start > MAX_LENGTH_DIGITS) throw limitExceeded('MAX_LENGTH_DIGITS', MAX_LENGTH_DIGITS, i - start)
  if (i - start > 1 && b[start] === ZERO) {
    throw new SecushareError('PACKET_NONCANONICAL', `length with a leading zero at byte ${start}`, { offset: start })
  }
  return i
}

/** The value of the digits b[start..end) that scanLength found. */
export function lengthValue (b: Uint8Array, start: number, end: number): number {
  let n = 0
  for (let i = start; i < end; i++) n = n * 10 + b[i]! - ZERO
  return n
}

/** Reads one list element or dict value after its opening "|" or "}"; one per parse call. */
class ElementReader {
  type: string | undefined = undefined
  value: Uint8Array
  truncated = false

  constructor (private readonly v: Uint8Array, private readonly dict: boolean) {
    this.value = v.subarray(0, 0)
  }

  fail (message: string, at: number): SecushareError {
    const what = this.dict ? 'dict' : 'list'
    return new SecushareError(this.dict ? 'PACKET_BAD_DICT' : 'PACKET_BAD_LIST', `${what}: ${message} at byte ${at}`, { offset: at })
  }

  /** The optional default type at the start of the value; returns where the items start. */
  defaultType (open: number): number {
    const v = this.v
    if (v.length === 0 || v[0] === open) return 0
    const e = scanKeyword(v, 0, v.length, MAX_NAME_BYTES, 'MAX_NAME_BYTES')
    if (e === 0) throw this.fail(`expected a type or "${String.fromCharCode(open)}"`, 0)
    this.type = keywordAt(v, 0, e)
    return e
  }

  /** Reads head and value starting at `pos`; returns the index of the next delimiter or the end. */
  element (pos: number): number {
    const v = this.v
    const n = v.length
    const delim = this.dict ? LBRACE : PIPE
    this.type = undefined
    let len = -1
    if (pos < n && v[pos] === EQUALS) {
      const e = scanKeyword(v, pos + 1, n, MAX_NAME_BYTES, 'MAX_NAME_BYTES')
      if (e === pos + 1) throw this.fail('"=" without a type', pos)
      this.type = keywordAt(v, pos + 1, e)
      pos = e
      if (pos < n && v[pos] === COLON) {
        const le = scanLength(v, pos + 1, n)
        if (le === pos + 1) throw this.fail('":" without a length', pos)
        len = lengthValue(v, pos + 1, le)
        pos = le
      }
    } else {
      const le = scanLength(v, pos, n)
      if (le > pos) {
        len = lengthValue(v, pos, le)
        pos = le
      }
    }
    if (pos < n && v[pos] === SP) {
      pos++
      if (len < 0) {
        const e = v.indexOf(delim, pos)
        const stop = e < 0 ? n : e
        this.value = v.subarray(pos, stop)
        return stop
      }
      if (len > n - pos) {
        this.value = v.subarray(pos, n)
        this.truncated = true
        return n
      }
      this.value = v.subarray(pos, pos + len)
      pos += len
      if (pos < n && v[pos] !== delim) throw this.fail(`element longer than its length ${len}`, pos)
      return pos
    }
    if (len >= 0) throw this.fail('a length must be followed by SP', pos)
    if (pos < n && v[pos] !== delim) throw this.fail('unexpected byte in element head', pos)
    this.value = v.subarray(pos, pos)
    return pos
  }
}

export function parseList (value: Uint8Array): PsycList {
  const r = new ElementReader(value, false)
  let pos = r.defaultType(PIPE)
  const list: PsycList = r.type === undefined ? { items: [], truncated: false } : { type: r.type, items: [], truncated: false }
  const n = value.length
  while (pos < n) {
    if (value[pos] !== PIPE) throw r.fail('expected "|"', pos)
    if (list.items.length === MAX_LIST_ITEMS) throw limitExceeded('MAX_LIST_ITEMS', MAX_LIST_ITEMS, MAX_LIST_ITEMS + 1)
    pos = r.element(pos + 1)
    list.items.push(r.type === undefined ? { value: r.value } : { type: r.type, value: r.value })
  }
  list.truncated = r.truncated
  return list
}

export function parseDict (value: Uint8Array): PsycDict {
  const r = new ElementReader(value, true)
  let pos = r.defaultType(LBRACE)
  const dict: PsycDict = r.type === undefined ? { items: [], truncated: false } : { type: r.type, items: [], truncated: false }
  const n = value.length
  while (pos < n) {
    if (value[pos] !== LBRACE) throw r.fail('expected "{"', pos)
    if (dict.items.length === MAX_LIST_ITEMS) throw limitExceeded('MAX_LIST_ITEMS', MAX_LIST_ITEMS, MAX_LIST_ITEMS + 1)
    pos++
    let key: Uint8Array
    const le = scanLength(value, pos, n)
    if (le > pos) {
      if (le >= n || value[le] !== SP) throw r.fail('a key length must be followed by SP', le)
      const ks = le + 1
      const ke = ks + lengthValue(value, pos, le)
      if (ke >= n || value[ke] !== RBRACE) throw r.fail('expected "}" after a key of that length', Math.min(ke, n))
      key = value.subarray(ks, ke)
      pos = ke + 1
    } else {
      const ke = value.indexOf(RBRACE, pos)
      if (ke < 0) throw r.fail('key without "}"', pos)
      key = value.subarray(pos, ke)
      pos = ke + 1
    }
    pos = r.element(pos)
    dict.items.push(r.type === undefined ? { key, value: r.value } : { key, type: r.type, value: r.value })
  }
  dict.truncated = r.truncated
  return dict
}
