/**
 * The libpsyc conformance corpus (shared/psyc-corpus beside the repository): packets written by
 * an implementation nobody here wrote. A missing corpus fails the suite; it is never skipped.
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { isSecushareError } from '../protocol/errors.js'
import { parseDict, parseList } from '../protocol/list.js'
import { decodePacket, encodePacket, isStateSync, lastModifier, modifierText, type Modifier } from '../protocol/packet.js'
import { CORPUS_DIR } from './support/gen-packet-vectors.js'

const TEST_DIR = join(CORPUS_DIR, 'test-packets')
const BENCH_DIR = join(CORPUS_DIR, 'bench-packets')

function files (dir: string, pattern: RegExp): string[] {
  return readdirSync(dir).filter(f => pattern.test(f)).sort()
}

function read (dir: string, file: string): Uint8Array {
  return new Uint8Array(readFileSync(join(dir, file)))
}

function roundTrips (dir: string, file: string): void {
  const raw = read(dir, file)
  const p = decodePacket(raw)
  assert.equal(Buffer.from(encodePacket(p)).toString('latin1'), Buffer.from(raw).toString('latin1'), file)
}

describe('libpsyc corpus', () => {
  it('is present beside the repository', () => {
    assert.ok(existsSync(TEST_DIR) && existsSync(BENCH_DIR),
      `the PSYC corpus is missing at ${CORPUS_DIR}: clone the repository with shared/ beside it`)
  })

  it('decodes and re-encodes every valid test packet byte for byte', () => {
    const valid = files(TEST_DIR, /^[0-9].*\.psyc$/)
    assert.ok(valid.length >= 28, `only ${valid.length} valid test packets`)
    for (const f of valid) roundTrips(TEST_DIR, f)
  })

  it('refuses every err-* test packet with a SecushareError', () => {
    const invalid = files(TEST_DIR, /^err-.*\.psyc$/)
    assert.ok(invalid.length >= 3, `only ${invalid.length} invalid test packets`)
    for (const f of invalid) {
      assert.throws(() => decodePacket(read(TEST_DIR, f)), (e: unknown) => isSecushareError(e), f)
    }
  })

  it('decodes and re-encodes every bench packet byte for byte', () => {
    const bench = files(BENCH_DIR, /\.psyc$/)
    assert.ok(bench.length >= 10, `only ${bench.length} bench packets`)
    for (const f of bench) roundTrips(BENCH_DIR, f)
  })

  it('reads the corpus packets as libpsyc does', () => {
    const len = decodePacket(read(TEST_DIR, '01-length.psyc'))
    assert.equal(len.content!.withLength, true)
    assert.equal(modifierText(lastModifier(len.content!.entity, '_abc_def')!), 'foo bar\nbaz')
    assert.equal(Buffer.from(len.content!.data!).toString(), 'ohai there!\n\\o/')

    const reset = decodePacket(read(TEST_DIR, '00-state-reset.psyc')).content!
    assert.deepEqual(reset.entity[0], { op: '=', lone: true })
    assert.equal(reset.method, null)

    assert.equal(decodePacket(read(TEST_DIR, '00-empty.psyc')).content, null)
    const noContent = decodePacket(read(TEST_DIR, '00-no-content.psyc'))
    assert.equal(noContent.routing.length, 2)
    assert.equal(noContent.content, null)

    const unfriendly = decodePacket(read(BENCH_DIR, 'psyc-unfriendly.psyc')).content!
    assert.match(Buffer.from(unfriendly.data!).toString(), /\n\|\nAnd for practicing/)
  })

  it('parses the corpus lists and dicts, marking the truncated last elements', () => {
    const lists = decodePacket(read(TEST_DIR, '02-list.psyc')).content!.entity.filter((l): l is Modifier => !isStateSync(l))
    const parsed = lists.map(m => parseList(m.value))
    assert.deepEqual(parsed.map(l => l.truncated), [true, false, false, false, true, false, false, false, false, false, false])
    assert.equal(Buffer.from(parsed[0]!.items[3]!.value).toString(), 'abc')
    assert.deepEqual(parsed[2]!.items.map(i => i.type), [undefined, '_color', '_nick'])
    assert.equal(parsed[2]!.type, '_test')

    const dicts = decodePacket(read(TEST_DIR, '03-dict.psyc')).content!.entity
      .filter((l): l is Modifier => !isStateSync(l) && l.name.startsWith('_dict'))
    const members = dicts.map(m => parseDict(m.value)).slice(-3)
    for (const d of members) {
      assert.deepEqual(d.items.map(i => Buffer.from(i.key).toString()), ['psyc://example.net/~alice', 'psyc://example.org/~bob'])
      assert.equal(Buffer.from(d.items[0]!.value).toString(), '| alice| \\o/')
    }
  })
})
