import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { ERROR_CODES, isSecushareError, type ErrorCode } from '../protocol/errors.js'
import * as limits from '../protocol/limits.js'
import { MAX_LIST_ITEMS, MAX_NAME_LABELS, MAX_PLAIN_VALUE_BYTES, MAX_ROUTING_MODIFIERS } from '../protocol/limits.js'
import { parseDict, parseList } from '../protocol/list.js'
import { methodAncestors, nameLabels, resolveMethod } from '../protocol/method.js'
import {
  dataNeedsLength, decodePacket, encodePacket, isStateSync, lastModifier, makePacket, modifierText,
  type Modifier, type Packet
} from '../protocol/packet.js'
import { checkVectors, generate, packetToVector, VECTORS_PATH, type VectorFile } from './support/gen-packet-vectors.js'

const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'))
const str = (b: Uint8Array): string => Buffer.from(b).toString('utf8')

function throwsCode (fn: () => unknown, code: ErrorCode, limit?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isSecushareError(e), `expected a SecushareError, got ${String(e)}`)
    assert.equal(e.code, code, e.message)
    if (limit !== undefined) assert.equal(e.detail.limit, limit)
    return true
  })
}

/** Every limit constant the packet codec enforces. */
const PACKET_LIMITS = [
  'MAX_PACKET_BYTES', 'MAX_ROUTING_MODIFIERS', 'MAX_ENTITY_MODIFIERS', 'MAX_NAME_BYTES', 'MAX_METHOD_BYTES',
  'MAX_PLAIN_VALUE_BYTES', 'MAX_LENGTH_DIGITS', 'MAX_LIST_ITEMS', 'MAX_NAME_LABELS'
]

describe('packet golden vectors', () => {
  const file = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as VectorFile

  it('has the format, enough vectors, and the generator still writes exactly this file', () => {
    assert.equal(file.format, 'secushare packet vectors v1')
    assert.ok(file.valid.length >= 60, `${file.valid.length} valid vectors`)
    assert.ok(file.invalid.length >= 110, `${file.invalid.length} invalid vectors`)
    assert.deepEqual(generate(), file, 'protocol/vectors/packets.json is stale: run node dist/test/support/gen-packet-vectors.js')
  })

  it('has a vector at and one past every packet limit', () => {
    for (const limit of PACKET_LIMITS) {
      assert.ok(limit in limits, limit)
      assert.ok(file.valid.some(v => v.name.includes(limit)), `no vector at ${limit}`)
      assert.ok(file.invalid.some(v => v.code === 'LIMIT_EXCEEDED' && v.limit === limit), `no vector past ${limit}`)
    }
  })

  it('uses every packet error code', () => {
    const used = new Set(file.invalid.map(v => v.code))
    for (const code of Object.keys(ERROR_CODES).filter(c => c.startsWith('PACKET_'))) assert.ok(used.has(code), code)
  })

  it('decodes every valid vector to its expectation, zero-copy, and re-encodes it byte for byte', () => {
    for (const v of file.valid) {
      const raw = new Uint8Array(Buffer.from(v.hex, 'hex'))
      const p = decodePacket(raw)
      assert.deepEqual(packetToVector(p), v.expect, v.name)
      assert.equal(Buffer.from(encodePacket(p)).toString('hex'), v.hex, v.name)
      const views = [...p.routing, ...(p.content?.entity ?? [])].filter((l): l is Modifier => !isStateSync(l)).map(m => m.value)
      if (p.content?.data != null) views.push(p.content.data)
      for (const view of views) assert.equal(view.buffer, raw.buffer, `${v.name}: a value was copied`)
    }
  })

  it('refuses every invalid vector with its code (and limit)', () => {
    for (const v of file.invalid) {
      throwsCode(() => decodePacket(new Uint8Array(Buffer.from(v.hex, 'hex'))), v.code as ErrorCode, v.limit)
    }
    assert.deepEqual(checkVectors(file), [])
  })

  it('refuses every proper prefix of a valid vector as truncated', () => {
    for (const v of file.valid) {
      const raw = new Uint8Array(Buffer.from(v.hex, 'hex'))
      if (raw.length > 2048) continue
      for (let i = 0; i < raw.length; i++) throwsCode(() => decodePacket(raw.subarray(0, i)), 'PACKET_TRUNCATED')
    }
  })
})

describe('packet codec API', () => {
  it('makePacket picks plain, binary and content-length forms that decode back', () => {
    const p = makePacket({
      routing: [{ op: ':', name: '_source', value: 'psyc://a/~b' }],
      entity: [
        { op: '=', lone: true },
        { op: '=', name: '_nick', value: 'bob' },
        { op: ':', name: '_text', value: 'two\nlines' },
        { op: ':', name: '_long', value: 'x'.repeat(MAX_PLAIN_VALUE_BYTES + 1) },
        { op: ':', name: '_edge', value: 'x'.repeat(MAX_PLAIN_VALUE_BYTES) }
      ],
      method: '_notice_set',
      data: 'hi'
    })
    const entity = p.content!.entity
    assert.deepEqual(entity.map(l => isStateSync(l) ? 'lone' : l.binary), ['lone', false, true, true, false])
    assert.equal(p.content!.withLength, true)
    const again = decodePacket(encodePacket(p))
    assert.deepEqual(packetToVector(again), packetToVector(p))
  })

  it('makePacket adds a content length when the data or a binary value needs it, or the data is long', () => {
    for (const data of ['|', '|\nx', 'x\n|', 'a\n|\nb']) {
      assert.equal(makePacket({ method: '_m', data }).content!.withLength, true, JSON.stringify(data))
      assert.equal(dataNeedsLength(text(data)), true)
    }
    for (const data of ['x', '|x', '\n', 'a|\nb', '\n\n', 'x\n|x']) {
      const p = makePacket({ method: '_m', data })
      assert.equal(p.content!.withLength, false, JSON.stringify(data))
      assert.equal(str(decodePacket(encodePacket(p)).content!.data!), data)
    }
    assert.equal(makePacket({ method: '_m', data: 'x'.repeat(512) }).content!.withLength, false)
    assert.equal(makePacket({ method: '_m', data: 'x'.repeat(513) }).content!.withLength, true)
    assert.equal(makePacket({ method: '_m', data: '' }).content!.data, null)
    assert.equal(makePacket({ routing: [{ op: ':', name: '_a', value: 'b' }] }).content, null)
  })

  it('makePacket refuses what has no encoding', () => {
    throwsCode(() => makePacket({ routing: [{ op: ':', name: '_a', value: 'b\nc' }] }), 'PACKET_BAD_VALUE')
    throwsCode(() => makePacket({ routing: [{ op: ':', name: '_a', value: 'v'.repeat(MAX_PLAIN_VALUE_BYTES + 1) }] }), 'LIMIT_EXCEEDED', 'MAX_PLAIN_VALUE_BYTES')
    throwsCode(() => makePacket({ data: 'x' }), 'INVALID_ARGUMENT')
    throwsCode(() => makePacket({ method: '_bad-method' }), 'PACKET_BAD_METHOD')
    throwsCode(() => makePacket({ entity: [{ op: '=', name: '_list_x', value: 'not a list' }] }), 'PACKET_BAD_LIST')
  })

  it('encodePacket validates the structure', () => {
    const mod = (over: Partial<Modifier> = {}): Modifier => ({ op: ':', name: '_a', value: text('b'), binary: false, ...over })
    const content = (over: Partial<NonNullable<Packet['content']>> = {}): Packet => ({
      routing: [], content: { withLength: false, entity: [], method: '_m', data: null, ...over }
    })
    throwsCode(() => encodePacket({ routing: [mod({ name: '' })], content: null }), 'PACKET_BAD_NAME')
    throwsCode(() => encodePacket({ routing: [mod({ name: '_a b' })], content: null }), 'PACKET_BAD_NAME')
    throwsCode(() => encodePacket({ routing: [mod({ name: '_ü' })], content: null }), 'PACKET_BAD_NAME')
    throwsCode(() => encodePacket({ routing: [mod({ op: '!' as ':' })], content: null }), 'PACKET_BAD_OPERATOR')
    throwsCode(() => encodePacket({ routing: [mod({ value: text('a\nb') })], content: null }), 'PACKET_BAD_VALUE')
    throwsCode(() => encodePacket({ routing: [mod({ binary: true })], content: null }), 'PACKET_BAD_VALUE')
    throwsCode(() => encodePacket({ routing: Array.from({ length: MAX_ROUTING_MODIFIERS + 1 }, () => mod()), content: null }), 'LIMIT_EXCEEDED', 'MAX_ROUTING_MODIFIERS')
    throwsCode(() => encodePacket({ routing: [mod({ name: '_a'.repeat(MAX_NAME_LABELS + 1) })], content: null }), 'LIMIT_EXCEEDED', 'MAX_NAME_LABELS')
    throwsCode(() => encodePacket(content({ entity: [mod(), { op: '=', lone: true }] })), 'PACKET_BAD_OPERATOR')
    throwsCode(() => encodePacket(content({ entity: [{ op: ':' as '=', lone: true }] })), 'PACKET_BAD_OPERATOR')
    throwsCode(() => encodePacket(content({ data: new Uint8Array(0) })), 'PACKET_NONCANONICAL')
    throwsCode(() => encodePacket(content({ data: text('a\n|\nb') })), 'PACKET_NONCANONICAL')
    throwsCode(() => encodePacket(content({ method: null, data: text('x') })), 'INVALID_ARGUMENT')
    throwsCode(() => encodePacket(content({ method: '' })), 'PACKET_BAD_METHOD')
    throwsCode(() => encodePacket(content({ entity: [mod({ name: '_dict_x', value: text('{a') })] })), 'PACKET_BAD_DICT')
    throwsCode(() => encodePacket(content({ entity: [null as unknown as Modifier] })), 'INVALID_ARGUMENT')
    throwsCode(() => encodePacket(null as unknown as Packet), 'INVALID_ARGUMENT')
    throwsCode(() => encodePacket({ routing: [mod({ value: 'b' as unknown as Uint8Array })], content: null }), 'INVALID_ARGUMENT')
    throwsCode(() => encodePacket(content({ data: text('x'.repeat(limits.MAX_PACKET_BYTES)) })), 'LIMIT_EXCEEDED', 'MAX_PACKET_BYTES')
    assert.equal(str(encodePacket(content({ withLength: true, data: text('a\n|\nb') }))), '9\n_m\na\n|\nb\n|\n')
  })

  it('decodePacket refuses anything but bytes and accepts a Buffer', () => {
    throwsCode(() => decodePacket('|\n' as unknown as Uint8Array), 'INVALID_ARGUMENT')
    const p = decodePacket(Buffer.from(':_a\tb\n\n_m\nx\n|\n'))
    assert.equal(p.content!.method, '_m')
  })

  it('reads values as UTF-8 and finds the last modifier of a name', () => {
    const p = decodePacket(text('\n:_nick\tJürg\n:_x\t1\n:_nick\tJürg 🐢\n|\n'))
    const entity = p.content!.entity
    assert.equal(modifierText(lastModifier(entity, '_nick')!), 'Jürg 🐢')
    assert.equal(lastModifier(entity, '_none'), undefined)
    const bad: Modifier = { op: ':', name: '_bad', value: new Uint8Array([0xff]), binary: false }
    throwsCode(() => modifierText(bad), 'PACKET_BAD_VALUE')
  })
})

describe('method inheritance', () => {
  it('lists ancestors, most specific first, ending with ""', () => {
    assert.deepEqual(methodAncestors('_converse_reply_quick'), ['_converse_reply_quick', '_converse_reply', '_converse', ''])
    assert.deepEqual(methodAncestors('_'), ['_', ''])
    assert.deepEqual(methodAncestors('m'), ['m', ''])
    assert.deepEqual(methodAncestors(''), [''])
    assert.equal(nameLabels('_a_b_c'), 3)
    assert.equal(nameLabels('foo_bar'), 2)
  })

  it('resolves to the most specific known ancestor', () => {
    const known = new Set(['_message', '_message_public', '_nick'])
    assert.equal(resolveMethod('_message_public_urgent', known), '_message_public')
    assert.equal(resolveMethod('_message_private', known), '_message')
    assert.equal(resolveMethod('_nick_place', known), '_nick')
    assert.equal(resolveMethod('_notice', known), undefined)
    assert.equal(resolveMethod('_notice', new Map([['', 1]])), '')
    assert.equal(resolveMethod('_message', new Map([['_message', () => 0]])), '_message')
  })

  it('bounds inheritance by MAX_NAME_LABELS', () => {
    assert.equal(methodAncestors('_a'.repeat(MAX_NAME_LABELS)).length, MAX_NAME_LABELS + 1)
    throwsCode(() => methodAncestors('_a'.repeat(MAX_NAME_LABELS + 1)), 'LIMIT_EXCEEDED', 'MAX_NAME_LABELS')
  })
})

describe('list and dict values', () => {
  const list = (s: string): Array<[string | undefined, string]> => parseList(text(s)).items.map(i => [i.type, str(i.value)])

  it('parses typed, length-prefixed and plain elements', () => {
    assert.deepEqual(list('|=_foo|=_bar ||=_baz|'), [['_foo', ''], ['_bar', ''], [undefined, ''], ['_baz', ''], [undefined, '']])
    assert.deepEqual(list('|3 foo|=_color:4 blue|=_nick bar|8 \nfoo|bar'), [[undefined, 'foo'], ['_color', 'blue'], ['_nick', 'bar'], [undefined, '\nfoo|bar']])
    assert.deepEqual(list('| a|4 b|c|'), [[undefined, 'a'], [undefined, 'b|c|']])
    assert.equal(parseList(text('_type| a')).type, '_type')
    assert.deepEqual(parseList(text('')), { items: [], truncated: false })
    assert.deepEqual(parseList(text('_type')), { type: '_type', items: [], truncated: false })
  })

  it('reports a final element that runs past the end as truncated', () => {
    const l = parseList(text('|=_foo|4 abc'))
    assert.equal(l.truncated, true)
    assert.equal(str(l.items[1]!.value), 'abc')
    assert.equal(parseList(text('|3 abc')).truncated, false)
    assert.equal(parseDict(text('{k}5 ab')).truncated, true)
  })

  it('parses dict keys, types and values', () => {
    const d = parseDict(text('_t{4 key1}=_x:6 value1{key2} value2{k3}{k4}=_y'))
    assert.equal(d.type, '_t')
    assert.deepEqual(d.items.map(i => [str(i.key), i.type, str(i.value)]), [
      ['key1', '_x', 'value1'], ['key2', undefined, 'value2'], ['k3', undefined, ''], ['k4', '_y', '']
    ])
  })

  it('enforces MAX_LIST_ITEMS and the syntax', () => {
    assert.equal(parseList(text('|'.repeat(MAX_LIST_ITEMS))).items.length, MAX_LIST_ITEMS)
    throwsCode(() => parseList(text('|'.repeat(MAX_LIST_ITEMS + 1))), 'LIMIT_EXCEEDED', 'MAX_LIST_ITEMS')
    throwsCode(() => parseDict(text('{a}'.repeat(MAX_LIST_ITEMS + 1))), 'LIMIT_EXCEEDED', 'MAX_LIST_ITEMS')
    throwsCode(() => parseList(text('foo|bar|baz')), 'PACKET_BAD_LIST')
    throwsCode(() => parseList(text('2 foo|3 bar')), 'PACKET_BAD_LIST')
    throwsCode(() => parseDict(text('{4}x')), 'PACKET_BAD_DICT')
    throwsCode(() => parseList(text('|01 a')), 'PACKET_NONCANONICAL')
  })
})
