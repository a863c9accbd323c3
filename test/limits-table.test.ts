/**
 * The limits table (protocol/limits.ts) stays the one place for limits, and stays tested:
 * - every exported constant of limits.ts is named in at least one other test file, except those
 *   in UNTESTED, a list that may only shrink (a constant listed there that a test names fails);
 * - no other module exports a MAX_* constant, and no stream limit is a bare number.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { REPO_ROOT } from './support/tmp.js'

/** Limits with no test at the limit and one past it yet (issue 10). Remove a name when it gets one. */
const UNTESTED = new Set<string>([])

function sources (dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    if (statSync(p).isDirectory()) return n === 'node_modules' || n === 'vectors' ? [] : sources(p)
    return n.endsWith('.ts') && !n.endsWith('.d.ts') ? [p] : []
  })
}

const limitsSource = readFileSync(join(REPO_ROOT, 'protocol', 'limits.ts'), 'utf8')
const limitNames = [...limitsSource.matchAll(/^export const ([A-Z][A-Z0-9_]*)/gm)].map((m) => m[1]!)

describe('limits table (protocol/limits.ts)', () => {
  it('every limit is named by a test, or listed as untested; the untested list only shrinks', () => {
    assert.ok(limitNames.length > 80, `only ${limitNames.length} limits parsed`)
    const self = join(REPO_ROOT, 'test', 'limits-table.test.ts')
    const tests = [...sources(join(REPO_ROOT, 'test')).filter((p) => p !== self).map((p) => readFileSync(p, 'utf8')),
      ...readdirSync(join(REPO_ROOT, 'protocol', 'vectors')).map((n) => readFileSync(join(REPO_ROOT, 'protocol', 'vectors', n), 'utf8'))]
    const named = (c: string): boolean => tests.some((t) => new RegExp(`\\b${c}\\b`).test(t))
    const missing = limitNames.filter((c) => !named(c) && !UNTESTED.has(c))
    assert.deepEqual(missing, [], 'limits no test names (test them at the limit and one past it)')
    const stale = [...UNTESTED].filter((c) => !limitNames.includes(c) || named(c))
    assert.deepEqual(stale, [], 'names to remove from UNTESTED: tested now, or no longer limits')
  })

  it('no other module defines a MAX_* constant or a bare-number stream limit', () => {
    const offenders: string[] = []
    for (const dir of ['core', 'protocol', 'cli', 'bin']) {
      for (const p of sources(join(REPO_ROOT, dir))) {
        if (p.endsWith(join('protocol', 'limits.ts'))) continue
        const text = readFileSync(p, 'utf8')
        for (const m of text.matchAll(/^export const (MAX_[A-Z0-9_]*)\b/gm)) offenders.push(`${relative(REPO_ROOT, p)}: ${m[1]!}`)
        for (const m of text.matchAll(/maxInboundStreams: *\d+/g)) offenders.push(`${relative(REPO_ROOT, p)}: ${m[0]}`)
      }
    }
    assert.deepEqual(offenders, [])
  })
})
