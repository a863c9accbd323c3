/**
 * The place state engine (core/places/state.ts): the operator table per type family, limits,
 * list/dict rendering, digests, the state_delta sequencer, and properties.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { isSecushareError } from '../protocol/errors.js'
import { MAX_LIST_ITEMS, MAX_STATE_HELD, MAX_STATE_VALUE_BYTES, MAX_STATE_VARS } from '../protocol/limits.js'
import { parseDict, parseList } from '../protocol/list.js'
import {
  applyOps, parseStateInteger, renderDict, renderList, STATE_FAMILIES, stateDigest, stateFamily, StateSequencer, stateToJson,
  type StateOpInput, type StateStep
} from '../core/places/state.js'

const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'))
const str = (b: Uint8Array | undefined): string | undefined => b === undefined ? undefined : Buffer.from(b).toString('latin1')
const op = (o: string, name: string, value: string | Uint8Array): StateOpInput => ({ op: o, name, value: typeof value === 'string' ? text(value) : value })
const stateOf = (o: Record<string, string>): Map<string, Uint8Array> => new Map(Object.entries(o).map(([k, v]) => [k, text(v)]))

/** Applies ops to a state given as text and returns the resulting state as text, plus the skipped reasons. */
function run (initial: Record<string, string>, ops: StateOpInput[]): { state: Record<string, string>, skipped: string[] } {
  const r = applyOps(stateOf(initial), ops)
  const state: Record<string, string> = {}
  for (const [k, v] of [...r.state].sort(([a], [b]) => a < b ? -1 : 1)) state[k] = str(v)!
  return { state, skipped: r.skipped.map(s => `${s.index}:${s.op}${s.name}: ${s.reason}`) }
}

/** One operation on one variable: [initial value or undefined, op, value] → new value, or 'skip: <reason part>'. */
function table (name: string, rows: Array<[string | undefined, string, string, string | undefined]>): void {
  for (const [initial, o, value, expect] of rows) {
    const r = run(initial === undefined ? {} : { [name]: initial }, [op(o, name, value)])
    const what = `${JSON.stringify(initial)} ${o}${name} ${JSON.stringify(value)}`
    if (expect !== undefined && expect.startsWith('skip:')) {
      assert.equal(r.skipped.length, 1, `${what}: expected a skip`)
      assert.ok(r.skipped[0]!.includes(expect.slice(5).trim()), `${what}: ${r.skipped[0]}`)
      assert.equal(r.state[name], initial, `${what}: a skipped op changed the state`)
    } else {
      assert.deepEqual(r.skipped, [], what)
      assert.equal(r.state[name], expect, what)
    }
  }
}

describe('state type families', () => {
  it('come from the nearest family ancestor of the name', () => {
    assert.deepEqual([...STATE_FAMILIES.keys()], ['_list', '_dict', '_amount', '_count'])
    const cases: Array<[string, string]> = [
      ['_list', 'list'], ['_list_members', 'list'], ['_list_a_b_c', 'list'], ['_listx', 'string'], ['_lists', 'string'],
      ['_dict', 'dict'], ['_dict_owners', 'dict'], ['_dictionary', 'string'],
      ['_amount', 'integer'], ['_amount_fragments', 'integer'], ['_count', 'integer'], ['_count_likes', 'integer'], ['_counter', 'string'],
      ['_number', 'string'], ['_number_phone', 'string'], ['_nick', 'string'], ['_nick_place', 'string'], ['_x_list', 'string'],
      ['list', 'string'], ['', 'string'], ['_a_b_c_d_e_f_g_h_i_j_k_l_m_n_o_p_q', 'string']
    ]
    for (const [name, family] of cases) assert.equal(stateFamily(name), family, name)
  })

  it('integers are canonical decimals in the safe range', () => {
    for (const [s, n] of [['0', 0], ['42', 42], ['-7', -7], ['9007199254740991', 9007199254740991], ['-9007199254740991', -9007199254740991]] as const) {
      assert.equal(parseStateInteger(text(s)), n, s)
    }
    for (const s of ['', '-0', '00', '01', '+1', '1.0', ' 1', '1 ', '9007199254740992', '-9007199254740992', '1e3', '-', 'x']) {
      assert.equal(parseStateInteger(text(s)), null, s)
    }
  })
})

describe('state operators', () => {
  it('strings: = sets, empty = deletes, + appends, - and @ are skipped', () => {
    table('_topic', [
      [undefined, '=', 'cats', 'cats'],
      ['dogs', '=', 'cats', 'cats'],
      ['dogs', '=', '', undefined],
      [undefined, '=', '', undefined],
      [undefined, '+', 'cats', 'cats'],
      ['cats', '+', ' and dogs', 'cats and dogs'],
      ['cats', '+', '', 'cats'],
      [undefined, '+', '', undefined],
      ['cats', '-', 'ts', 'skip: cannot be diminished'],
      ['cats', '@', 'x', 'skip: cannot be updated'],
      [undefined, '-', 'x', 'skip: cannot be diminished']
    ])
  })

  it('strings keep any bytes', () => {
    const v = new Uint8Array([0, 10, 124, 123, 255])
    const r = applyOps(new Map(), [op('=', '_bin', v), op('+', '_bin', v)])
    assert.deepEqual(r.state.get('_bin'), new Uint8Array([...v, ...v]))
  })

  it('integers (_amount, _count): = sets an integer, + adds, - subtracts, @ is skipped, overflow is skipped', () => {
    table('_count_likes', [
      [undefined, '=', '42', '42'],
      ['1', '=', '-5', '-5'],
      ['1', '=', '', undefined],
      ['1', '=', '05', 'skip: not a canonical decimal integer'],
      ['1', '=', 'many', 'skip: not a canonical decimal integer'],
      ['1', '=', '-0', 'skip: not a canonical decimal integer'],
      [undefined, '+', '5', '5'],
      ['40', '+', '2', '42'],
      ['40', '+', '-50', '-10'],
      ['40', '-', '2', '38'],
      [undefined, '-', '3', '-3'],
      ['3', '-', '3', '0'],
      ['3', '+', '+1', 'skip: not a canonical decimal integer'],
      ['3', '+', '', 'skip: not a canonical decimal integer'],
      ['x', '+', '1', 'skip: the stored value is not an integer'],
      ['9007199254740991', '+', '1', 'skip: beyond the safe integer range'],
      ['-9007199254740991', '-', '1', 'skip: beyond the safe integer range'],
      ['9007199254740991', '-', '-1', 'skip: beyond the safe integer range'],
      ['3', '@', '1', 'skip: cannot be updated']
    ])
    table('_amount', [['7', '+', '3', '10']])
  })

  it('lists: = sets a valid list, + appends elements, - removes equal values, @ is skipped', () => {
    table('_list_tags', [
      [undefined, '=', '| a| b', '| a| b'],
      ['| x', '=', '| a|3 b|c', '| a|3 b|c'],
      ['| x', '=', '', undefined],
      ['| x', '=', '_type', undefined],
      ['| x', '=', 'no list', 'skip: not a valid list'],
      ['| x', '=', '|4 abc', 'skip: truncated list'],
      [undefined, '+', '| a| b', '| a| b'],
      ['| a', '+', '| b| c', '| a| b| c'],
      ['| a', '+', '| a', '| a| a'],
      ['| a', '+', '|3 x|y', '| a|3 x|y'],
      ['| a', '+', '', '| a'],
      ['| a', '+', 'no list', 'skip: not a valid list'],
      ['| a', '+', '_justatype', '| a'],
      ['| a', '+', '| b|9 c', 'skip: truncated list'],
      ['|9 a', '+', '| b', 'skip: the stored value is a truncated list'],
      ['bro ken', '+', '| b', 'skip: the stored value is not a valid list'],
      ['| a| b| a| c', '-', '| a', '| b| c'],
      ['| a| b', '-', '| b| a', undefined],
      ['| a| b', '-', '| z', '| a| b'],
      [undefined, '-', '| z', undefined],
      ['|=_x a| b', '-', '| a', '| b'],
      ['| a', '@', '| b', 'skip: a list cannot be updated']
    ])
  })

  it('lists keep element types: typed elements, the default type, elements joining a list of another default type', () => {
    table('_list_t', [
      ['_nick| alice', '+', '| bob', '_nick| alice| bob'],
      ['_nick| alice', '+', '_uniform| psyc', '_nick| alice|=_uniform psyc'],
      ['_nick| alice', '+', '|=_nick carol', '_nick| alice| carol'],
      [undefined, '+', '_nick| alice|=_x b', '_nick| alice|=_x b'],
      ['| a', '+', '|=_t:3 x|y', '| a|=_t:3 x|y']
    ])
    const r = applyOps(stateOf({ _list_t: '_nick| alice' }), [op('+', '_list_t', '_uniform| psyc')])
    const l = parseList(r.state.get('_list_t')!)
    assert.deepEqual(l.items.map(i => [i.type ?? l.type, str(i.value)]), [['_nick', 'alice'], ['_uniform', 'psyc']])
  })

  it('dicts: = sets a valid dict with unique keys, + adds or replaces, - removes keys, @ replaces one existing key', () => {
    table('_dict_owners', [
      [undefined, '=', '{a} 1{b} 2', '{a} 1{b} 2'],
      ['{x} 1', '=', '', undefined],
      ['{x} 1', '=', 'no dict', 'skip: not a valid dict'],
      ['{x} 1', '=', '{a} 1{a} 2', 'skip: has the key "a" twice'],
      ['{x} 1', '=', '{a}4 abc', 'skip: truncated dict'],
      [undefined, '+', '{a} 1', '{a} 1'],
      ['{a} 1{b} 2', '+', '{b} 3{c} 4', '{a} 1{b} 3{c} 4'],
      ['{a} 1', '+', '{b}3 x{y', '{a} 1{b}3 x{y'],
      ['{a} 1', '+', '{b} x{y', 'skip: key without'],
      ['{a} 1', '+', '{a} 1{a} 2', 'skip: has the key "a" twice'],
      ['{a} 1{a} 2', '+', '{b} 1', 'skip: the stored value has the key "a" twice'],
      ['{a} 1{b} 2{c} 3', '-', '{b}{c} ignored', '{a} 1'],
      ['{a} 1', '-', '{a}', undefined],
      ['{a} 1', '-', '{z}', '{a} 1'],
      [undefined, '-', '{z}', undefined],
      ['{a} 1{b} 2', '@', '{b} 9', '{a} 1{b} 9'],
      ['{a} 1{b} 2', '@', '{b}=_x 9', '{a} 1{b}=_x 9'],
      ['{a} 1', '@', '{z} 9', 'skip: "z" is not in the dict'],
      ['{a} 1', '@', '{a} 1{b} 2', 'skip: exactly one entry, not 2'],
      ['{a} 1', '@', '', 'skip: exactly one entry, not 0'],
      [undefined, '@', '{a} 1', 'skip: the dict does not exist'],
      ['{a} 1', '@', 'ju nk', 'skip: not a valid dict']
    ])
  })

  it('dict keys with "}" or a leading digit get a length, and read back', () => {
    const keys = ['}', 'a}b', '1', '123', '0', 'x1', '', ' sp', '{']
    const r = applyOps(new Map(), keys.map(k => op('+', '_dict_k', renderDict({ items: [{ key: text(k), value: text('v' + k) }] }))))
    assert.deepEqual(r.skipped, [])
    const d = parseDict(r.state.get('_dict_k')!)
    assert.deepEqual(d.items.map(e => [str(e.key), str(e.value)]), keys.map(k => [k, 'v' + k]))
    assert.equal(str(r.state.get('_dict_k')), '{1 }} v}{3 a}b} va}b{1 1} v1{3 123} v123{1 0} v0{x1} vx1{} v{ sp} v sp{{}2 v{')
  })

  it('":" and unknown operators, malformed names and values are skipped and reported, never thrown', () => {
    const r = run({ _a: 'x' }, [
      op(':', '_a', 'y'),
      op('?', '_a', ''),
      op('!', '_a', 'y'),
      { op: '=', name: 'bad name', value: text('y') },
      { op: '=', name: '_' + 'x'.repeat(64), value: text('y') },
      { op: '=', name: '_a', value: 'y' as unknown as Uint8Array },
      null as unknown as StateOpInput,
      { op: '=', name: 5 as unknown as string, value: text('y') },
      op('=', '_b', 'ok')
    ])
    assert.deepEqual(r.state, { _a: 'x', _b: 'ok' })
    assert.equal(r.skipped.length, 8)
    assert.match(r.skipped[0]!, /^0::_a: ":" is transient/)
    assert.match(r.skipped[1]!, /not a state operator/)
    assert.match(r.skipped[3]!, /not a variable name/)
    assert.match(r.skipped[5]!, /not bytes/)
    assert.match(r.skipped[6]!, /not an operation/)
    assert.throws(() => applyOps(new Map(), 'x' as unknown as StateOpInput[]), (e: unknown) => isSecushareError(e, 'INVALID_ARGUMENT'))
    assert.throws(() => applyOps({} as Map<string, Uint8Array>, []), (e: unknown) => isSecushareError(e, 'INVALID_ARGUMENT'))
  })

  it('applies in order, and is pure: the input map and op values are never changed or shared', () => {
    assert.deepEqual(run({}, [op('=', '_a', 'x'), op('+', '_a', 'y')]).state, { _a: 'xy' })
    assert.deepEqual(run({}, [op('+', '_a', 'y'), op('=', '_a', 'x')]).state, { _a: 'x' })
    assert.deepEqual(run({}, [op('+', '_count', '1'), op('+', '_count', '1'), op('-', '_count', '5')]).state, { _count: '-3' })
    const input = stateOf({ _a: 'x', _b: 'y' })
    const v = text('new')
    const r = applyOps(input, [op('=', '_a', v), op('=', '_b', ''), op('=', '_c', v)])
    assert.deepEqual([...input].map(([k, x]) => [k, str(x)]), [['_a', 'x'], ['_b', 'y']])
    v.fill(0x21)
    assert.equal(str(r.state.get('_a')), 'new')
    assert.equal(str(r.state.get('_c')), 'new')
    assert.ok(!r.state.has('_b'))
  })
})

describe('state limits', () => {
  it('MAX_STATE_VALUE_BYTES: an op value at the limit applies, one byte more is skipped', () => {
    const at = new Uint8Array(MAX_STATE_VALUE_BYTES).fill(0x61)
    const over = new Uint8Array(MAX_STATE_VALUE_BYTES + 1).fill(0x61)
    let r = applyOps(new Map(), [op('=', '_a', at), op('=', '_b', over)])
    assert.equal(r.state.get('_a')?.length, MAX_STATE_VALUE_BYTES)
    assert.ok(!r.state.has('_b'))
    assert.deepEqual(r.skipped.map(s => s.index), [1])
    assert.match(r.skipped[0]!.reason, /^MAX_STATE_VALUE_BYTES/)
    // a result at the limit applies, one byte more is skipped
    r = applyOps(new Map([['_a', at.subarray(1)]]), [op('+', '_a', 'x'), op('+', '_a', 'y')])
    assert.equal(r.state.get('_a')?.length, MAX_STATE_VALUE_BYTES)
    assert.deepEqual(r.skipped.map(s => [s.index, s.reason.split(':')[0]]), [[1, 'MAX_STATE_VALUE_BYTES']])
    // a list that would grow past the limit
    const list = renderList({ items: [{ value: at.subarray(0, MAX_STATE_VALUE_BYTES - 10) }] })
    r = applyOps(new Map(), [op('=', '_list_x', list), op('+', '_list_x', '| 123456789')])
    assert.match(r.skipped[0]?.reason ?? '', /^MAX_STATE_VALUE_BYTES/)
  })

  it('MAX_STATE_VARS: the last variable can be created, one more is skipped; existing ones still change', () => {
    const full = (n: number): Map<string, Uint8Array> => new Map(Array.from({ length: n }, (_, i) => [`_v${i}`, text('1')]))
    let r = applyOps(full(MAX_STATE_VARS - 1), [op('=', '_new', 'x'), op('=', '_newer', 'y'), op('+', '_v0', '2'), op('=', '_v1', '')])
    assert.equal(r.state.size, MAX_STATE_VARS - 1)
    assert.deepEqual(r.skipped.map(s => [s.index, s.reason.split(':')[0]]), [[1, 'MAX_STATE_VARS']])
    assert.equal(str(r.state.get('_v0')), '12')
    r = applyOps(full(MAX_STATE_VARS), [op('=', '_v1', ''), op('=', '_new', 'x')])
    assert.deepEqual(r.skipped, [])
    assert.equal(r.state.size, MAX_STATE_VARS)
    // a partial map plus otherVars counts the same
    r = applyOps(new Map(), [op('=', '_new', 'x')], { otherVars: MAX_STATE_VARS })
    assert.equal(r.skipped.length, 1)
    r = applyOps(new Map(), [op('=', '_new', 'x')], { otherVars: MAX_STATE_VARS - 1 })
    assert.equal(r.skipped.length, 0)
  })

  it('MAX_LIST_ITEMS: a list or dict growing past it is skipped', () => {
    const items = (n: number, p: string): Array<{ key: Uint8Array, value: Uint8Array }> =>
      Array.from({ length: n }, (_, i) => ({ key: text(p + i), value: new Uint8Array(0) }))
    let r = applyOps(new Map(), [
      op('=', '_list_x', renderList({ items: items(MAX_LIST_ITEMS - 1, '') })),
      op('+', '_list_x', '|'),
      op('+', '_list_x', '|')
    ])
    assert.equal(parseList(r.state.get('_list_x')!).items.length, MAX_LIST_ITEMS)
    assert.deepEqual(r.skipped.map(s => [s.index, s.reason.split(':')[0]]), [[2, 'MAX_LIST_ITEMS']])
    r = applyOps(new Map(), [
      op('=', '_dict_x', renderDict({ items: items(MAX_LIST_ITEMS - 1, 'k') })),
      op('+', '_dict_x', '{a}'),
      op('+', '_dict_x', '{a} replaced'),
      op('+', '_dict_x', '{b}')
    ])
    assert.equal(parseDict(r.state.get('_dict_x')!).items.length, MAX_LIST_ITEMS)
    assert.deepEqual(r.skipped.map(s => [s.index, s.reason.split(':')[0]]), [[3, 'MAX_LIST_ITEMS']])
  })
})

describe('state rendering, digest and JSON', () => {
  const keyword = fc.stringMatching(/^_[a-z]{1,5}(_[a-z0-9]{1,4}){0,2}$/)
  const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 20 }), fc.constantFrom(text('|'), text('{}'), text('12 x'), text('=_a')))

  it('renderList and renderDict write what parseList and parseDict read back', () => {
    fc.assert(fc.property(fc.option(keyword, { nil: undefined }), fc.array(fc.record({ type: fc.option(keyword, { nil: undefined }), value: anyBytes }), { maxLength: 6 }), (type, items) => {
      const l = parseList(renderList({ type, items }))
      assert.equal(l.type, type)
      assert.equal(l.truncated, false)
      assert.deepEqual(l.items.map(i => [i.type, str(i.value)]), items.map(i => [i.type, str(i.value)]))
    }), { numRuns: 500 })
    fc.assert(fc.property(fc.option(keyword, { nil: undefined }), fc.array(fc.record({ key: anyBytes, type: fc.option(keyword, { nil: undefined }), value: anyBytes }), { maxLength: 6 }), (type, items) => {
      const d = parseDict(renderDict({ type, items }))
      assert.equal(d.type, type)
      assert.deepEqual(d.items.map(i => [str(i.key), i.type, str(i.value)]), items.map(i => [str(i.key), i.type, str(i.value)]))
    }), { numRuns: 500 })
    assert.throws(() => renderList({ type: 'no type', items: [] }), (e: unknown) => isSecushareError(e, 'INVALID_ARGUMENT'))
  })

  it('stateDigest is sorted by name and independent of insertion order', () => {
    const a = new Map([['_b', text('2')], ['_a', text('1\n')]])
    const b = new Map([['_a', text('1\n')], ['_b', text('2')]])
    assert.equal(str(stateDigest(a)), '_a 2\t1\n\n_b 1\t2\n')
    assert.deepEqual(stateDigest(a), stateDigest(b))
    assert.notDeepEqual(stateDigest(a), stateDigest(new Map([['_a', text('1')], ['_b', text('2')]])))
    assert.equal(stateDigest(new Map()).length, 0)
  })

  it('stateToJson gives text where it is UTF-8 and base64 otherwise, sorted by name', () => {
    const j = stateToJson(new Map([['_z', text('zed ü')], ['_bin', new Uint8Array([0xff, 0])], ['_e', new Uint8Array(0)], ['_bom', text('\uFEFFx')]]))
    assert.deepEqual(Object.keys(j), ['_bin', '_bom', '_e', '_z'])
    assert.deepEqual(j, { _bin: { base64: '/wA=' }, _bom: '\uFEFFx', _e: '', _z: 'zed ü' })
    assert.doesNotThrow(() => JSON.stringify(j))
  })
})

describe('state properties', () => {
  const names = fc.constantFrom('_topic', '_name', '_count', '_count_likes', '_amount_x', '_list', '_list_tags', '_dict', '_dict_owners', '_number')
  const smallList = fc.array(fc.record({ type: fc.option(fc.constantFrom('_a', '_b'), { nil: undefined }), value: fc.constantFrom(...['a', 'b', 'c', '|', ''].map(text)) }), { maxLength: 3 })
    .chain(items => fc.option(fc.constantFrom('_a', '_b'), { nil: undefined }).map(type => renderList({ type, items })))
  const smallDict = fc.array(fc.record({ key: fc.constantFrom(...['k', 'l', '1', '}'].map(text)), value: fc.constantFrom(...['x', 'y', '{'].map(text)) }), { maxLength: 3 })
    .map(items => renderDict({ items }))
  const valueArb = fc.oneof(
    fc.uint8Array({ maxLength: 12 }),
    fc.integer({ min: -1000, max: 1000 }).map(n => text(String(n))),
    fc.constantFrom(...['9007199254740991', '-9007199254740991', '', '01', '-0', '|4 abc', '{a}'].map(text)),
    smallList,
    smallDict
  )
  const opArb: fc.Arbitrary<StateOpInput> = fc.record({ op: fc.constantFrom('=', '+', '-', '@', ':', '?'), name: names, value: valueArb })
  const opsArb = fc.array(opArb, { maxLength: 30 })

  it('random operation sequences never throw, are deterministic, and keep every invariant', () => {
    fc.assert(fc.property(opsArb, ops => {
      const a = applyOps(new Map(), ops)
      const b = applyOps(new Map(), ops)
      assert.deepEqual(stateDigest(a.state), stateDigest(b.state))
      assert.deepEqual(a.skipped, b.skipped)
      for (const [name, v] of a.state) {
        assert.ok(v.length > 0 && v.length <= MAX_STATE_VALUE_BYTES, name)
        const family = stateFamily(name)
        if (family === 'integer') assert.notEqual(parseStateInteger(v), null, name)
        if (family === 'list') assert.equal(parseList(v).truncated, false, name)
        if (family === 'dict') assert.equal(parseDict(v).truncated, false, name)
      }
      for (const s of a.skipped) assert.ok(s.index >= 0 && s.index < ops.length && s.reason.length > 0)
    }), { numRuns: 1000 })
  })

  it('applying in two steps equals applying at once', () => {
    fc.assert(fc.property(opsArb, opsArb, (x, y) => {
      const once = applyOps(new Map(), [...x, ...y])
      const twice = applyOps(applyOps(new Map(), x).state, y)
      assert.deepEqual(stateDigest(twice.state), stateDigest(once.state))
    }), { numRuns: 500 })
  })
})

// ---- the sequencer ----

const ids = (steps: StateStep[]): string[] => steps.map(s => `${s.id}${s.applied ? '' : ':' + (s.reason ?? '?')}`)

describe('StateSequencer', () => {
  it('applies stateful messages in order and passes non-stateful ones straight through', () => {
    const q = new StateSequencer()
    assert.deepEqual(ids(q.offer(1, 0, [op('=', '_a', '1')])), ['1'])
    assert.deepEqual(ids(q.offer(2, undefined)), ['2:not-stateful'])
    assert.deepEqual(ids(q.offer(3, 1, [op('+', '_a', '2')])), ['3'])
    assert.equal(q.lastStateful, 3)
    assert.equal(str(q.state.get('_a')), '12')
    assert.deepEqual(q.held(), [])
    assert.deepEqual(q.missing(), [])
  })

  it('holds a stateful message until its predecessor arrives, then releases the chain in order', () => {
    const q = new StateSequencer()
    // chain: 2 (prev 0) → 5 (prev 2) → 6 (prev 5) → 9 (prev 6); 3, 4, 7, 8 are not stateful
    assert.deepEqual(ids(q.offer(6, 5, [op('+', '_a', 'c')])), [])
    assert.deepEqual(ids(q.offer(9, 6, [op('+', '_a', 'd')])), [])
    assert.deepEqual(ids(q.offer(7, undefined)), ['7:not-stateful'])
    assert.deepEqual(q.held(), [6, 9])
    assert.deepEqual(q.missing(), [5])
    assert.deepEqual(ids(q.offer(5, 2, [op('+', '_a', 'b')])), [])
    assert.deepEqual(q.missing(), [2])
    assert.equal(q.state.size, 0)
    const steps = q.offer(2, 0, [op('=', '_a', 'a')])
    assert.deepEqual(ids(steps), ['2', '5', '6', '9'])
    assert.equal(str(q.state.get('_a')), 'abcd')
    assert.equal(q.lastStateful, 9)
    assert.deepEqual(q.held(), [])
  })

  it('reports skipped operations per message; a message with state ops that the host did not mark changes nothing', () => {
    const q = new StateSequencer()
    const [s1] = q.offer(1, 0, [op('=', '_a', 'x'), op('-', '_a', 'x')])
    assert.equal(s1?.applied, true)
    assert.deepEqual(s1?.skipped.map(s => s.index), [1])
    const [s2] = q.offer(2, undefined, [op('=', '_a', 'y')])
    assert.equal(s2?.reason, 'not-stateful')
    assert.deepEqual(s2?.skipped.map(s => s.reason), ['the host did not mark this message stateful'])
    assert.equal(str(q.state.get('_a')), 'x')
    // a stateful message without operations is still a link in the chain
    assert.deepEqual(ids(q.offer(4, 3)), [])
    assert.deepEqual(ids(q.offer(3, 1, [])), ['3', '4'])
  })

  it('refuses stale, duplicate, conflicting and invalid offers without changing anything', () => {
    const q = new StateSequencer()
    q.offer(1, 0, [op('=', '_a', '1')])
    q.offer(4, 3, [op('=', '_a', '4')])
    const digest = stateDigest(q.state)
    assert.deepEqual(ids(q.offer(1, 0, [op('=', '_a', 'again')])), ['1:stale'])
    assert.deepEqual(ids(q.offer(4, 3, [])), ['4:stale'])
    assert.deepEqual(ids(q.offer(5, 3, [])), ['5:conflict']) // 4 already claims 3 as its predecessor
    assert.deepEqual(ids(q.offer(2, 0, [])), ['2:conflict']) // 1 was applied after 0
    for (const [id, prev] of [[0, 0], [-1, 0], [1.5, 0], [Number.MAX_SAFE_INTEGER + 1, 0], [NaN, 0], [7, 7], [7, 8], [7, -1], [7, 2.5]]) {
      assert.deepEqual(ids(q.offer(id!, prev, [])), [`${id}:invalid`], `${id} ${prev}`)
    }
    assert.deepEqual(stateDigest(q.state), digest)
    assert.equal(q.lastStateful, 1)
    assert.deepEqual(q.held(), [4])
  })

  it('drops held messages that the applied chain contradicts', () => {
    const q = new StateSequencer()
    q.offer(8, 6, [op('=', '_x', 'never')]) // claims 6 was stateful
    q.offer(5, 3, [op('=', '_x', 'b')])
    // the real chain: 3 (prev 0) → 5 (prev 3) → 7 (prev 5); 8's predecessor 6 never comes
    assert.deepEqual(ids(q.offer(3, 0, [op('=', '_x', 'a')])), ['3', '5'])
    assert.deepEqual(ids(q.offer(7, 5, [op('+', '_x', 'c')])), ['7', '8:conflict'])
    assert.equal(str(q.state.get('_x')), 'bc')
    assert.deepEqual(q.held(), [])
  })

  it('starts from a snapshot, and reset installs one, releasing what follows it and dropping what it covers', () => {
    const q = new StateSequencer({ state: stateOf({ _a: 'snap' }), lastStateful: 10 })
    assert.equal(q.lastStateful, 10)
    assert.deepEqual(ids(q.offer(10, 9, [])), ['10:stale'])
    assert.deepEqual(ids(q.offer(12, 10, [op('+', '_a', '!')])), ['12'])
    const r = new StateSequencer()
    r.offer(21, 20, [op('+', '_a', '+21')])
    r.offer(25, 21, [op('+', '_a', '+25')])
    r.offer(15, 14, [op('=', '_a', 'old')])
    assert.deepEqual(r.missing(), [14, 20])
    const steps = r.reset({ state: stateOf({ _a: 's20' }), lastStateful: 20 })
    assert.deepEqual(ids(steps), ['21', '25', '15:stale'])
    assert.equal(str(r.state.get('_a')), 's20+21+25')
    assert.deepEqual(r.held(), [])
    assert.throws(() => new StateSequencer({ state: new Map(), lastStateful: -1 }), (e: unknown) => isSecushareError(e, 'INVALID_ARGUMENT'))
    assert.throws(() => r.reset({ state: {} as Map<string, Uint8Array>, lastStateful: 1 }), (e: unknown) => isSecushareError(e, 'INVALID_ARGUMENT'))
  })

  it('the state it exposes is never changed afterwards', () => {
    const q = new StateSequencer()
    q.offer(1, 0, [op('=', '_a', '1')])
    const before = q.state
    q.offer(2, 1, [op('=', '_a', '2')])
    assert.equal(str(before.get('_a')), '1')
    assert.equal(str(q.state.get('_a')), '2')
  })

  it('MAX_STATE_HELD: holds that many messages, hands the next back as held-full, then releases them all', () => {
    const q = new StateSequencer()
    // messages 2 … MAX_STATE_HELD + 1 each follow the one before; 1 is missing
    for (let id = 2; id <= MAX_STATE_HELD + 1; id++) assert.deepEqual(q.offer(id, id - 1, [op('+', '_count', '1')]), [])
    assert.equal(q.held().length, MAX_STATE_HELD)
    assert.deepEqual(ids(q.offer(MAX_STATE_HELD + 2, MAX_STATE_HELD + 1, [op('+', '_count', '1')])), [`${MAX_STATE_HELD + 2}:held-full`])
    const steps = q.offer(1, 0, [op('+', '_count', '1')])
    assert.equal(steps.length, MAX_STATE_HELD + 1)
    assert.ok(steps.every((s, i) => s.applied && s.id === i + 1))
    assert.equal(str(q.state.get('_count')), String(MAX_STATE_HELD + 1))
    // the refused one can be offered again now
    assert.deepEqual(ids(q.offer(MAX_STATE_HELD + 2, MAX_STATE_HELD + 1, [op('+', '_count', '1')])), [String(MAX_STATE_HELD + 2)])
  })

  it('any delivery order of a chain gives the in-order state, each message coming out exactly once', () => {
    const chainArb = fc.array(fc.record({ stateful: fc.boolean(), ops: fc.array(fc.record({
      op: fc.constantFrom('=', '+', '-'), name: fc.constantFrom('_a', '_count', '_list_l'), value: fc.constantFrom(...['1', '| x', '| y', 'z', ''].map(text))
    }), { maxLength: 3 }) }), { minLength: 1, maxLength: 25 })
    fc.assert(fc.property(chainArb.chain(chain => fc.tuple(fc.constant(chain), fc.shuffledSubarray(chain.map((_, i) => i), { minLength: chain.length, maxLength: chain.length }))), ([chain, order]) => {
      let prev = 0
      const msgs = chain.map((c, i) => {
        const m = { id: i + 1, prev: c.stateful ? prev : undefined, ops: c.stateful ? c.ops : [] }
        if (c.stateful) prev = i + 1
        return m
      })
      const inOrder = applyOps(new Map(), msgs.flatMap(m => m.prev === undefined ? [] : m.ops))
      const q = new StateSequencer()
      const out: StateStep[] = []
      for (const i of order) out.push(...q.offer(msgs[i]!.id, msgs[i]!.prev, msgs[i]!.ops))
      assert.deepEqual(out.map(s => s.id).sort((a, b) => a - b), msgs.map(m => m.id))
      assert.ok(out.every(s => s.applied === (msgs[s.id - 1]!.prev !== undefined)))
      const appliedOrder = out.filter(s => s.applied).map(s => s.id)
      assert.deepEqual(appliedOrder, [...appliedOrder].sort((a, b) => a - b))
      assert.deepEqual(stateDigest(q.state), stateDigest(inOrder.state))
      assert.equal(q.lastStateful, prev)
      assert.deepEqual(q.held(), [])
    }), { numRuns: 500 })
  })
})
