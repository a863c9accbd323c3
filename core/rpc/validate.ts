/**
 * Validation at the RPC boundary. typed-rpc checks nothing at run time: whatever JSON a client sends
 * arrives as the method's argument, so every service method parses its params object here first.
 * This is the one import of valibot for the project; other modules use the `v` re-exported here.
 */
import * as v from 'valibot'
import { SecushareError } from '../../protocol/errors.js'

export { v }

/** Issues named in an INVALID_ARGUMENT message (all are counted) and in its detail. */
const MAX_ISSUES_SHOWN = 10
/** Characters of one issue's message: valibot quotes the offending input, which may be huge. */
const MAX_ISSUE_CHARS = 200

export interface ParamIssue { path: string, message: string }

function clip (s: string): string {
  return s.length <= MAX_ISSUE_CHARS ? s : s.slice(0, MAX_ISSUE_CHARS - 1) + '…'
}

/**
 * Parses `input` with `schema` and returns the output, or throws
 * `SecushareError('INVALID_ARGUMENT', '<method>: <path>: <problem>; ...', { issues })` where
 * `issues` is `[{path, message}]` (path in dot notation, '' for the params object itself). The
 * input is never echoed beyond MAX_ISSUE_CHARS per issue.
 */
export function parseParams<S extends v.GenericSchema> (method: string, schema: S, input: unknown): v.InferOutput<S> {
  const r = v.safeParse(schema, input)
  if (r.success) return r.output
  const all = r.issues as ReadonlyArray<v.BaseIssue<unknown>>
  const issues: ParamIssue[] = all.slice(0, MAX_ISSUES_SHOWN).map((i) => ({ path: clip(v.getDotPath(i) ?? ''), message: clip(i.message) }))
  const text = issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ')
  const more = all.length > issues.length ? `; and ${all.length - issues.length} more` : ''
  throw new SecushareError('INVALID_ARGUMENT', `${method}: ${text}${more}`, { issues })
}
