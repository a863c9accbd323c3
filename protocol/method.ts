/**
 * PSYC keywords: the names of variables and methods, their labels, and inheritance.
 *
 * A keyword is 1*[A-Za-z0-9_] (ASCII). Its labels are what inheritance strips one at a time:
 * `_a_b_c` has 3 (`_a_b_c` → `_a_b` → `_a` → ``), `foo_bar` has 2 (`foo_bar` → `foo` → ``).
 * So labels = number of "_" plus one if the keyword does not start with "_". Every keyword the
 * codec accepts has at most MAX_NAME_LABELS labels, which also bounds inheritance walks.
 */
import { limitExceeded } from './errors.js'
import { MAX_NAME_LABELS } from './limits.js'

const UNDERSCORE = 0x5f

/** NAME_BYTE[b] is 1 when byte b may appear in a keyword ([A-Za-z0-9_]). */
export const NAME_BYTE: Uint8Array = (() => {
  const t = new Uint8Array(256)
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 1
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1
  t[UNDERSCORE] = 1
  return t
})()

/** True when `name` is a non-empty keyword (any length: limits are checked elsewhere). */
export function isKeyword (name: string): boolean {
  if (name.length === 0) return false
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c > 0xff || NAME_BYTE[c] !== 1) return false
  }
  return true
}

/** Number of labels of a keyword (see the file comment); 0 for "". */
export function nameLabels (name: string): number {
  let n = name.length > 0 && name.charCodeAt(0) !== UNDERSCORE ? 1 : 0
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) === UNDERSCORE) n++
  return n
}

/**
 * Scans the keyword starting at b[start], stopping at `end` or the first non-keyword byte, and
 * returns the index after it (start itself when there is none). Throws LIMIT_EXCEEDED naming
 * `limit` when the keyword is longer than `maxBytes`, or MAX_NAME_LABELS when it has too many
 * labels. The scan never reads more than maxBytes + 1 bytes.
 */
export function scanKeyword (b: Uint8Array, start: number, end: number, maxBytes: number, limit: string): number {
  const stop = Math.min(end, start + maxBytes + 1)
  let i = start
  let labels = 0
  let h = 0
  while (i < stop) {
    const c = b[i]!
    if (NAME_BYTE[c] !== 1) break
    if (c === UNDERSCORE) labels++
    h = (h * 31 + c) | 0
    i++
  }
  scannedHash = h
  if (i - start > maxBytes) throw limitExceeded(limit, maxBytes, i - start)
  if (i > start && b[start] !== UNDERSCORE) labels++
  if (labels > MAX_NAME_LABELS) throw limitExceeded('MAX_NAME_LABELS', MAX_NAME_LABELS, labels)
  return i
}

/** Recently seen keywords, by hash: the same few names recur in every packet. */
const INTERNED: Array<string | undefined> = new Array(1024).fill(undefined)
/** The hash of the keyword the last scanKeyword call read: keywordAt's guess at the slot (a wrong guess only costs a miss). */
let scannedHash = 0

/**
 * The keyword b[start..end) that the last scanKeyword call returned, as a string (keywords are
 * ASCII, so one byte is one char). Returns an interned string when the same keyword was read
 * recently, which saves building it anew.
 */
export function keywordAt (b: Uint8Array, start: number, end: number): string {
  const slot = (scannedHash ^ (scannedHash >>> 10)) & 1023
  const hit = INTERNED[slot]
  if (hit !== undefined && hit.length === end - start) {
    let same = true
    for (let i = 0; i < hit.length; i++) {
      if (hit.charCodeAt(i) !== b[start + i]) { same = false; break }
    }
    if (same) return hit
  }
  let s = ''
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!)
  INTERNED[slot] = s
  return s
}

/**
 * The inheritance chain of a method or variable name, most specific first, ending with "":
 * `_converse_reply_quick` → [`_converse_reply_quick`, `_converse_reply`, `_converse`, ``].
 * Throws LIMIT_EXCEEDED (MAX_NAME_LABELS) for names with more labels than any packet may carry.
 */
export function methodAncestors (name: string): string[] {
  const labels = nameLabels(name)
  if (labels > MAX_NAME_LABELS) throw limitExceeded('MAX_NAME_LABELS', MAX_NAME_LABELS, labels)
  const chain = [name]
  let cur = name
  while (cur !== '') {
    const cut = cur.lastIndexOf('_')
    cur = cut < 0 ? '' : cur.slice(0, cut)
    chain.push(cur)
  }
  return chain
}

/**
 * The most specific ancestor of `name` (itself included) that `known` has, or undefined when
 * none is. "" is an ancestor of every name, so a handler registered for "" catches everything.
 * Works the same for variable-name families (`_nick_place` resolves to `_nick`).
 */
export function resolveMethod (name: string, known: ReadonlySet<string> | ReadonlyMap<string, unknown>): string | undefined {
  for (const a of methodAncestors(name)) if (known.has(a)) return a
  return undefined
}
