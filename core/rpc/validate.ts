/**
 * Validation at the RPC boundary. typed-rpc checks nothing at run time: whatever JSON a client sends
 * arrives as the method's argument, so every service method parses its params object here first.
 * This is the one import of valibot for the project; other modules use the `v` re-exported here.
 */
import * as v from 'valibot'
import { limitExceeded, SecushareError } from '../../protocol/errors.js'

export { v }

/** Issues named in an INVALID_ARGUMENT message (all are counted) and in its detail. */
const MAX_ISSUES_SHOWN = 10
/** Characters of one issue's message: valibot quotes the offending input, which may be huge. */
const MAX_ISSUE_CHARS = 200

export interface ParamIssue { path: string, message: string }

/**
 * A named limit of protocol/limits.ts broken by a parameter: parseParams answers LIMIT_EXCEEDED
 * naming it (as the core does for the same limit), not INVALID_ARGUMENT. Valibot carries the
 * finding from the check to parseParams in the issue message, behind this mark.
 */
const LIMIT_MARK = '\u0000limit\u0000'
interface Broken { limit: string, max: number, actual: number }
const broken = (b: Broken): string => LIMIT_MARK + JSON.stringify(b)

/** A check that `measure(input)` is at most `max`, the limit `limit`. */
function limitCheck<T> (measure: (input: T) => number): (limit: string, max: number) => v.CheckAction<T, v.ErrorMessage<v.CheckIssue<T>>> {
  return (limit, max) => v.check((x: T) => measure(x) <= max, (i) => broken({ limit, max, actual: measure(i.input) }))
}

/** A string of at most `max` UTF-8 bytes, the limit `limit`. */
export const maxBytesLimit = limitCheck((s: string) => Buffer.byteLength(s))
/** A string of at most `max` characters (UTF-16 code units), the limit `limit`. */
export const maxCharsLimit = limitCheck((s: string) => s.length)
/** A number of at most `max`, the limit `limit`. */
export const maxValueLimit = limitCheck((n: number) => n)
/** Base64 of at most `max` bytes once decoded, the limit `limit` (check v.base64 before it). */
export const maxBase64BytesLimit = limitCheck((s: string) => Math.floor(s.length * 3 / 4) - (s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0))

function clip (s: string): string {
  return s.length <= MAX_ISSUE_CHARS ? s : s.slice(0, MAX_ISSUE_CHARS - 1) + '…'
}

/**
 * Parses `input` with `schema` and returns the output, or throws. A broken named limit (the checks
 * above) throws `LIMIT_EXCEEDED` with `{limit, max, actual}`, as limitExceeded does; anything else
 * `SecushareError('INVALID_ARGUMENT', '<method>: <path>: <problem>; ...', { issues })` where
 * `issues` is `[{path, message}]` (path in dot notation, '' for the params object itself). The
 * input is never echoed beyond MAX_ISSUE_CHARS per issue.
 */
export function parseParams<S extends v.GenericSchema> (method: string, schema: S, input: unknown): v.InferOutput<S> {
  const r = v.safeParse(schema, input)
  if (r.success) return r.output
  const all = r.issues as ReadonlyArray<v.BaseIssue<unknown>>
  const limit = all.find((i) => i.message.startsWith(LIMIT_MARK))
  if (limit !== undefined) {
    const b = JSON.parse(limit.message.slice(LIMIT_MARK.length)) as Broken
    const e = limitExceeded(b.limit, b.max, b.actual)
    throw new SecushareError('LIMIT_EXCEEDED', `${method}: ${v.getDotPath(limit) ?? ''}: ${e.message}`, e.detail)
  }
  const issues: ParamIssue[] = all.slice(0, MAX_ISSUES_SHOWN).map((i) => ({ path: clip(v.getDotPath(i) ?? ''), message: clip(i.message) }))
  const text = issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ')
  const more = all.length > issues.length ? `; and ${all.length - issues.length} more` : ''
  throw new SecushareError('INVALID_ARGUMENT', `${method}: ${text}${more}`, { issues })
}
