/**
 * Writes protocol/vectors/packets.json, the golden vectors of the PSYC packet codec.
 * Run after a build: `node dist/test/support/gen-packet-vectors.js` (deterministic output).
 *
 * Valid vectors are written here as expected structures and turned into bytes by `render`
 * below, a renderer of its own that shares no code with protocol/packet.ts; corpus packets are
 * read from shared/psyc-corpus and must come out of `render` byte for byte. Every invalid
 * vector names its error code by hand. Before writing, the generator checks the codec agrees
 * with every vector, so a disagreement is a failure to look into, never a silent snapshot.
 *
 * Importing this module (the tests do, for the vector format) does not write anything.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isSecushareError } from '../../protocol/errors.js'
import {
  MAX_ENTITY_MODIFIERS, MAX_LENGTH_DIGITS, MAX_LIST_ITEMS, MAX_METHOD_BYTES, MAX_NAME_BYTES, MAX_NAME_LABELS,
  MAX_PACKET_BYTES, MAX_PLAIN_VALUE_BYTES, MAX_ROUTING_MODIFIERS
} from '../../protocol/limits.js'
import { decodePacket, encodePacket, isStateSync, type Packet } from '../../protocol/packet.js'

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const VECTORS_PATH = join(REPO_ROOT, 'protocol', 'vectors', 'packets.json')
export const CORPUS_DIR = join(REPO_ROOT, '..', 'shared', 'psyc-corpus')

export interface VModifier { op: string, name: string, valueHex: string, binary: boolean }
export interface VLone { op: '=' | '?', lone: true }
export interface VContent { withLength: boolean, entity: Array<VModifier | VLone>, method: string | null, dataHex: string | null }
export interface VPacket { routing: VModifier[], content: VContent | null }
export interface ValidVector { name: string, hex: string, expect: VPacket }
export interface InvalidVector { name: string, hex: string, code: string, limit?: string }
export interface VectorFile { format: 'secushare packet vectors v1', valid: ValidVector[], invalid: InvalidVector[] }

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const bytes = (s: string | Uint8Array): Uint8Array => typeof s === 'string' ? new Uint8Array(Buffer.from(s, 'utf8')) : s

/** A decoded packet in the vector format (values as hex). */
export function packetToVector (p: Packet): VPacket {
  const mod = (m: { op: string, name: string, value: Uint8Array, binary: boolean }): VModifier =>
    ({ op: m.op, name: m.name, valueHex: hex(m.value), binary: m.binary })
  return {
    routing: p.routing.map(mod),
    content: p.content === null
      ? null
      : {
          withLength: p.content.withLength,
          entity: p.content.entity.map(l => isStateSync(l) ? { op: l.op, lone: true as const } : mod(l)),
          method: p.content.method,
          dataHex: p.content.data === null ? null : hex(p.content.data)
        }
  }
}

// ---- the independent renderer ----

function renderModifier (m: VModifier): Buffer {
  const v = Buffer.from(m.valueHex, 'hex')
  return Buffer.concat([Buffer.from(m.op + m.name + (m.binary ? ` ${v.length}` : '') + '\t', 'latin1'), v, Buffer.from('\n')])
}

/** PSYC text of an expected structure, written the long way from the grammar. */
export function render (p: VPacket): Uint8Array {
  const parts = p.routing.map(renderModifier)
  if (p.content !== null) {
    const c = p.content
    const body: Buffer[] = c.entity.map(l => 'lone' in l ? Buffer.from(l.op + '\n') : renderModifier(l))
    if (c.method !== null) {
      body.push(Buffer.from(c.method + '\n', 'latin1'))
      if (c.dataHex !== null) body.push(Buffer.from(c.dataHex, 'hex'), Buffer.from('\n'))
    }
    const content = Buffer.concat(body)
    parts.push(Buffer.from(c.withLength ? `${content.length}\n` : '\n'), content)
  }
  parts.push(Buffer.from('|\n'))
  return new Uint8Array(Buffer.concat(parts))
}

// ---- building blocks for expectations ----

function m (op: string, name: string, value: string | Uint8Array, binary = false): VModifier {
  return { op, name, valueHex: hex(bytes(value)), binary }
}
const b = (op: string, name: string, value: string | Uint8Array): VModifier => m(op, name, value, true)
const lone = (op: '=' | '?'): VLone => ({ op, lone: true })

function pkt (routing: VModifier[], content?: { len?: boolean, entity?: Array<VModifier | VLone>, method?: string, data?: string | Uint8Array }): VPacket {
  if (content === undefined) return { routing, content: null }
  return {
    routing,
    content: {
      withLength: content.len ?? false,
      entity: content.entity ?? [],
      method: content.method ?? null,
      dataHex: content.data === undefined ? null : hex(bytes(content.data))
    }
  }
}

const repeat = (s: string, n: number): string => s.repeat(n)
/** Deterministic bytes of every value 0..255 (so they include LF, "|", NUL, TAB). */
const pattern = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff)
const SRC = m(':', '_source', 'psyc://alice.example/~alice')
const TGT = m(':', '_target', 'psyc://bob.example/~bob')

function validVectors (): Array<{ name: string, expect: VPacket }> {
  const v: Array<{ name: string, expect: VPacket }> = []
  const add = (name: string, expect: VPacket): void => { v.push({ name, expect }) }

  // shapes of the packet
  add('no content, no routing', pkt([]))
  add('routing only', pkt([SRC, TGT]))
  add('empty content', pkt([], {}))
  add('empty content with length 0', pkt([], { len: true }))
  add('routing and empty content', pkt([SRC], {}))
  add('method only', pkt([], { method: '_notice' }))
  add('method only with length', pkt([SRC, TGT], { len: true, method: '_notice_foo' }))
  add('method and data', pkt([SRC, TGT], { method: '_message_private', data: 'see you at eight' }))
  add('method and data with length', pkt([SRC, TGT], { len: true, method: '_message_private', data: 'see you at eight' }))
  add('entity only', pkt([SRC], { entity: [m(':', '_nick', 'alice')] }))
  add('entity only with length', pkt([SRC], { len: true, entity: [m(':', '_nick', 'alice')] }))
  add('binary entity, no method, with length', pkt([], { len: true, entity: [b(':', '_blob', 'ab\ncd')] }))
  add('method "_"', pkt([], { method: '_' }))
  add('method of digits and capitals', pkt([], { method: '_Notice9_X', data: 'x' }))
  add('name without underscore', pkt([m(':', 'c', 'psyc://x/'), m(':', 'Tag9', 'x')], { entity: [m('=', 'da', '4')], method: 'np' }))

  // operators
  for (const op of [':', '=', '+', '-', '@', '?']) {
    add(`operator ${op} in routing and entity`, pkt([m(op, '_context', 'psyc://c.example/@place')], { entity: [m(op, '_amount', '7')], method: '_notice_set' }))
  }

  // state sync
  add('state reset with assignments', pkt([SRC], { entity: [lone('='), m('=', '_nick', 'alice'), m('=', '_topic', 'psyc')] }))
  add('state resync request alone', pkt([SRC], { entity: [lone('?')] }))
  add('state resync request with method and data', pkt([SRC], { entity: [lone('?')], method: '_request_state', data: 'please' }))
  add('state reset with length and binary', pkt([], { len: true, entity: [lone('='), b('=', '_photo', pattern(40))], method: '_notice_state' }))

  // plain values
  add('empty plain values', pkt([m(':', '_tag', '')], { entity: [m('=', '_nick', '')], method: '_m' }))
  add('plain value with TAB, SP, "|", CR, NUL', pkt([m(':', '_tag', 'a\tb |\r\0c')], { entity: [m(':', '_x', '|'), m(':', '_y', ' 5\t')] }))
  add('plain value that looks like a length', pkt([], { entity: [m(':', '_x', '12\t'), m(':', '_y', '{}')] }))
  add('UTF-8 values and data', pkt([m(':', '_source', 'psyc://zürich.example/~jürg')], { entity: [m(':', '_nick', 'Jürg 🐢'), b(':', '_text', '日本語\n✓')], method: '_message', data: 'Grüße 🌍\nnoch eine Zeile' }))

  // binary values
  add('binary value of length 0', pkt([], { entity: [b(':', '_empty', '')], method: '_m' }))
  add('binary value with NUL bytes', pkt([], { len: true, entity: [b(':', '_bin', '\0\0\x01\0')], method: '_m' }))
  add('binary value with LF', pkt([], { entity: [b(':', '_bin', 'a\nb\n')], method: '_m' }))
  add('binary value with the terminator', pkt([], { len: true, entity: [b(':', '_bin', '\n|\n')], method: '_m', data: 'x' }))
  add('binary value of all bytes', pkt([], { len: true, entity: [b(':', '_bin', pattern(256))], method: '_m' }))
  add('binary form of a short value', pkt([], { entity: [b(':', '_nick', 'bob')] }))
  add('binary value without content length', pkt([], { entity: [b(':', '_bin', '\n|\n')], method: '_m' }))

  // data
  add('data with the terminator, with length', pkt([], { len: true, method: '_m', data: 'a\n|\nb' }))
  add('data "|" with length', pkt([], { len: true, method: '_m', data: '|' }))
  add('data starting with "|" LF, with length', pkt([], { len: true, method: '_m', data: '|\nrest' }))
  add('data ending with LF "|", with length', pkt([], { len: true, method: '_m', data: 'rest\n|' }))
  add('data starting with "|" without length', pkt([], { method: '_m', data: '|foo' }))
  add('data of one LF', pkt([], { method: '_m', data: '\n' }))
  add('data with CRLF and NUL', pkt([], { method: '_m', data: 'a\r\n\0b\r\n' }))
  add('data with "|" LF inside a line', pkt([], { method: '_m', data: 'a|\nb' }))
  add('data of all bytes with length', pkt([SRC], { len: true, method: '_data', data: pattern(600) }))

  // lists and dicts
  add('empty list', pkt([m('=', '_list_members', '')]))
  add('list named _list', pkt([m('=', '_list', '| a| b')]))
  add('list with default type only', pkt([m('=', '_list_x', '_uniform')]))
  add('list of empty elements', pkt([m('=', '_list_x', '|||')]))
  add('typed list elements with lengths', pkt([], { entity: [m('=', '_list_x', '|=_int:2 23|=_t|=_u x|4 a|b|')] }))
  add('binary list with LF in an element', pkt([], { len: true, entity: [b('=', '_list_x', '|5 a\n|\nb|1 \n')] }))
  add('list with a truncated last element', pkt([], { entity: [m('=', '_list_x', '|2 ab|9 abc')] }))
  add('list update operator takes any value', pkt([], { entity: [m('@', '_list_x', '#1 =_t x'), m('@', '_dict_y', 'anything')] }))
  add('not a list: _listfoo', pkt([m('=', '_listfoo', 'foo|bar|baz')]))
  add('empty dict', pkt([], { entity: [m('=', '_dict_x', '')] }))
  add('dict with typed entries', pkt([], { entity: [m('=', '_dict_x', '_t{a} 1{3 b}c}=_u:2 de{f}=_v{g} h')] }))
  add('dict with a truncated last value', pkt([], { entity: [m('=', '_dict_x', '{k}5 ab')] }))
  add('dict key of any bytes', pkt([], { len: true, entity: [b('=', '_dict', '{4 {|}\n} v')] }))

  // limits, exactly at the limit
  add('MAX_ROUTING_MODIFIERS routing modifiers', pkt(Array.from({ length: MAX_ROUTING_MODIFIERS }, (_, i) => m(':', `_r${i}`, `${i}`))))
  add('MAX_ENTITY_MODIFIERS entity modifiers', pkt([], { entity: Array.from({ length: MAX_ENTITY_MODIFIERS }, (_, i) => m(':', `_e${i}`, `${i}`)) }))
  add('MAX_ENTITY_MODIFIERS entity lines with a lone line', pkt([], { entity: [lone('='), ...Array.from({ length: MAX_ENTITY_MODIFIERS - 1 }, (_, i) => m('=', `_e${i}`, `${i}`))] }))
  add('routing name of MAX_NAME_BYTES', pkt([m(':', '_' + repeat('n', MAX_NAME_BYTES - 1), 'x')]))
  add('entity name of MAX_NAME_BYTES', pkt([], { entity: [b(':', '_' + repeat('n', MAX_NAME_BYTES - 1), 'x')] }))
  add('method of MAX_METHOD_BYTES', pkt([], { method: '_' + repeat('m', MAX_METHOD_BYTES - 1) }))
  add('name of MAX_NAME_LABELS labels', pkt([m(':', repeat('_a', MAX_NAME_LABELS), 'x')]))
  add('method of MAX_NAME_LABELS labels', pkt([], { method: repeat('_m', MAX_NAME_LABELS) }))
  add('routing value of MAX_PLAIN_VALUE_BYTES', pkt([m(':', '_v', repeat('v', MAX_PLAIN_VALUE_BYTES))]))
  add('entity value of MAX_PLAIN_VALUE_BYTES', pkt([], { entity: [m(':', '_v', repeat('v', MAX_PLAIN_VALUE_BYTES))] }))
  add('list of MAX_LIST_ITEMS items', pkt([m('=', '_list_x', repeat('|', MAX_LIST_ITEMS))]))
  add('dict of MAX_LIST_ITEMS entries', pkt([], { len: true, entity: [b('=', '_dict_x', repeat('{k}', MAX_LIST_ITEMS))] }))
  add('list type of MAX_NAME_BYTES', pkt([m('=', '_list_x', '_' + repeat('t', MAX_NAME_BYTES - 1) + '| x')]))
  add('MAX_PACKET_BYTES with MAX_LENGTH_DIGITS lengths', maxPacket(0))
  return v
}

/**
 * A packet of MAX_PACKET_BYTES + extra bytes whose content length, binary value length and list
 * element length all have MAX_LENGTH_DIGITS digits.
 */
function maxPacket (extra: number): VPacket {
  // content = "=_list_big" SP V TAB value LF "_m" LF, where value = "|" X SP and X bytes
  const method = '_m'
  const name = '_list_big'
  const total = MAX_PACKET_BYTES + extra
  const digits = MAX_LENGTH_DIGITS
  const contentLength = total - (digits + 1) - 2
  const valueLength = contentLength - (1 + name.length + 1 + digits + 1) - 1 - (method.length + 1)
  const elementLength = valueLength - (1 + digits + 1)
  const value = Buffer.concat([Buffer.from(`|${elementLength} `), Buffer.from(pattern(elementLength))])
  const p = pkt([], { len: true, entity: [b('=', name, new Uint8Array(value))], method })
  if (render(p).length !== total || [contentLength, valueLength, elementLength].some(n => String(n).length !== digits)) {
    throw new Error('maxPacket arithmetic is off')
  }
  return p
}

function invalidVectors (): InvalidVector[] {
  const v: InvalidVector[] = []
  const add = (name: string, text: string | Uint8Array, code: string, limit?: string): void => {
    const x: InvalidVector = { name, hex: hex(bytes(text)), code }
    if (limit !== undefined) x.limit = limit
    v.push(x)
  }
  const limit = (name: string, text: string | Uint8Array, constant: string): void => add(name, text, 'LIMIT_EXCEEDED', constant)

  // PACKET_TRUNCATED
  const T = 'PACKET_TRUNCATED'
  add('empty input', '', T)
  add('lone "|"', '|', T)
  add('operator only', ':', T)
  add('name only', ':_a', T)
  add('name and TAB', ':_a\t', T)
  add('value without LF', ':_a\tb', T)
  add('routing line then nothing', ':_a\tb\n', T)
  add('empty line then nothing', '\n', T)
  add('method without LF', '\n_m', T)
  add('method then nothing', '\n_m\n', T)
  add('data without terminator', '\n_m\ndata', T)
  add('data and LF "|"', '\n_m\ndata\n|', T)
  add('data and LF', '\n_m\ndata\n', T)
  add('content length without LF', '16', T)
  add('content shorter than its length', '16\n_notice_foo_bar\n', T)
  add('binary value cut', '\n:_a 5\tab', T)
  add('binary value without LF', '\n:_a 2\tab', T)
  add('binary length cut', '\n:_a 12', T)
  add('lone line then nothing', '\n=', T)
  add('terminator without LF after entity', '\n:_a\tb\n|', T)

  // PACKET_BAD_OPERATOR
  const O = 'PACKET_BAD_OPERATOR'
  add('lone ":" in content', '\n:\n|\n', O)
  add('lone "+" in content', '\n+\n_m\n|\n', O)
  add('lone "=" in routing', '=\n|\n', O)
  add('lone "?" in routing', ':_a\tb\n?\n\n|\n', O)
  add('lone "=" after a modifier', '\n:_a\tb\n=\n|\n', O)
  add('two lone lines', '\n=\n?\n|\n', O)
  add('unknown operator "!" in routing', '!_a\tb\n|\n', O)
  add('unknown operator "!" in content', '\n!_a\tb\n|\n', O)
  add('unknown operator "*" in content', '\n:_a\tb\n*_c\td\n|\n', O)
  add('line starting with TAB', '\n\t_a\n|\n', O)
  add('line starting with SP in routing', ' _a\tb\n|\n', O)

  // PACKET_BAD_NAME
  const N = 'PACKET_BAD_NAME'
  add('operator without a name', ':\tb\n|\n', N)
  add('operator then SP', '\n: 3\tabc\n|\n', N)
  add('"-" in a name', ':_fo-o\tbar\n|\n', N)
  add('non-ASCII name', Buffer.from(':_f\xf6o\tbar\n|\n', 'latin1'), N)
  add('"." in an entity name', '\n=_a.b\tc\n_m\n|\n', N)
  add('CR after a name', ':_a\r\tb\n|\n', N)

  // PACKET_BAD_VALUE
  const V = 'PACKET_BAD_VALUE'
  add('routing modifier without TAB', ':_a\n|\n', V)
  add('entity modifier without TAB', '\n:_a\n_m\n|\n', V)
  add('binary form in routing', ':_a 3\tabc\n|\n', V)

  // PACKET_BAD_LENGTH
  const L = 'PACKET_BAD_LENGTH'
  add('content length followed by SP', '16 \n_notice_foo_bar\n|\n', L)
  add('content length too short', '10\n_notice_foo_bar\n|\n', L)
  add('content length one too long (libpsyc takes it)', '17\n_notice_foo_bar\n|\n', T)
  add('content length ending inside data', '4\n_m\nx\n|\n', L)
  add('SP without a value length', '\n:_a \tx\n|\n', L)
  add('value length followed by SP', '\n:_a 1 x\n|\n', L)
  add('value shorter than its length', '\n:_a 3\tab\n_m\n|\n', L)
  add('value longer than its length', '\n:_a 1\tab\n_m\n|\n', L)
  add('entity value past the content length', '6\n:_a\tbcdef\n|\n', L)
  add('binary value past the content length', '8\n:_a 6\tabcdef\n|\n', L)
  add('method past the content length', '2\n_m\n|\n', L)
  add('"|" line inside the content length', '5\n|\n_m\n|\n', L)
  add('content not ending with LF', '5\n_m\nab|\n', L)

  // PACKET_BAD_METHOD
  const M = 'PACKET_BAD_METHOD'
  add('method followed by SP', '\n_foo bar\n|\n', M)
  add('method followed by TAB', '\n_foo\tbar\n|\n', M)
  add('method with "-"', '\n_foo-bar\n|\n', M)
  add('method with non-ASCII', Buffer.from('\n_f\xfc\n|\n', 'latin1'), M)
  add('empty line in content', '\n:_a\tb\n\n|\n', M)
  add('empty line opening content', '\n\n|\n', M)
  add('empty line in length content', '1\n\n|\n', M)

  // PACKET_BAD_END
  const E = 'PACKET_BAD_END'
  add('"|" then a byte', '|x', E)
  add('"|" CR LF', '|\r\n', E)
  add('method without the empty line', '_m\n|\n', E)
  add('routing then a method', ':_a\tb\n_m\n|\n', E)
  add('terminator "|" then a byte after entity', '\n:_a\tb\n|x\n', E)

  // PACKET_TRAILING_BYTES
  const R = 'PACKET_TRAILING_BYTES'
  add('LF after the packet', '|\n\n', R)
  add('two packets', '|\n|\n', R)
  add('two full packets', '\n_m\nx\n|\n\n_m\ny\n|\n', R)
  add('content length ending at an inner terminator', '5\n_m\na\n|\nb\n|\n', R)
  add('data starting with "|" LF without length', '\n_m\n|\nfoo\n|\n', R)
  add('data "|" without length', '\n_m\n|\n|\n', R)
  add('data ending with LF "|" without length', '\n_m\nfoo\n|\n|\n', R)
  add('data with the terminator without length', '\n_m\na\n|\nb\n|\n', R)

  // PACKET_NONCANONICAL
  const C = 'PACKET_NONCANONICAL'
  add('content length with a leading zero', '016\n_notice_foo_bar\n|\n', C)
  add('content length "00"', '00\n|\n', C)
  add('value length with a leading zero', '\n:_a 03\tabc\n|\n', C)
  add('empty data line without length', '\n_m\n\n|\n', C)
  add('empty data line with length', '4\n_m\n\n|\n', C)
  add('list length with a leading zero', '=_list_x\t|03 abc\n|\n', C)
  add('dict key length with a leading zero', '=_dict_x\t{01 a}b\n|\n', C)

  // PACKET_BAD_LIST
  const BL = 'PACKET_BAD_LIST'
  add('list elements without "|"', '=_list_foo\tfoo|bar|baz\n|\n', BL)
  add('list starting with SP', '=_list_x\t |a\n|\n', BL)
  add('list element with a bad head', '=_list_x\t|x\n|\n', BL)
  add('list "=" without a type', '=_list_x\t|=|\n|\n', BL)
  add('list ":" without a length', '=_list_x\t|=_t:|\n|\n', BL)
  add('list length without SP', '=_list_x\t|3|abc\n|\n', BL)
  add('list length at the end', '=_list_x\t|3\n|\n', BL)
  add('list element longer than its length', '=_list_x\t|3 abcd|\n|\n', BL)
  add('list type followed by a bad byte', '=_list_x\t|=_t;x\n|\n', BL)
  add('bad list named _list', '=_list\tx y\n|\n', BL)
  add('binary list with a bad element', '\n=_list_bar 9\t2 foo|bar\n|\n', BL)

  // PACKET_BAD_DICT
  const BD = 'PACKET_BAD_DICT'
  add('dict key without "}"', '=_dict_x\t{a\n|\n', BD)
  add('dict value with a bad head', '=_dict_x\tx{a}b\n|\n', BD)
  add('dict key of digits', '=_dict_x\t{4}v\n|\n', BD)
  add('dict key longer than the value', '=_dict_x\t{4 abc}\n|\n', BD)
  add('dict key longer than its length', '=_dict_x\t{3 abcd}v\n|\n', BD)
  add('dict "=" without a type', '=_dict_x\t{a}=\n|\n', BD)
  add('dict length without SP', '=_dict_x\t{a}3\n|\n', BD)
  add('dict starting with "|"', '=_dict_x\t|a\n|\n', BD)
  add('dict value longer than its length', '=_dict_x\t{a}1 bc{d}\n|\n', BD)

  // LIMIT_EXCEEDED, one past each limit
  limit('MAX_PACKET_BYTES + 1', render(maxPacket(1)), 'MAX_PACKET_BYTES')
  limit('MAX_ROUTING_MODIFIERS + 1', render(pkt(Array.from({ length: MAX_ROUTING_MODIFIERS + 1 }, (_, i) => m(':', `_r${i}`, `${i}`)))), 'MAX_ROUTING_MODIFIERS')
  limit('MAX_ENTITY_MODIFIERS + 1', render(pkt([], { entity: Array.from({ length: MAX_ENTITY_MODIFIERS + 1 }, (_, i) => m(':', `_e${i}`, `${i}`)) })), 'MAX_ENTITY_MODIFIERS')
  limit('MAX_ENTITY_MODIFIERS + 1 with a lone line', render(pkt([], { entity: [lone('?'), ...Array.from({ length: MAX_ENTITY_MODIFIERS }, (_, i) => m(':', `_e${i}`, `${i}`))] })), 'MAX_ENTITY_MODIFIERS')
  limit('routing name of MAX_NAME_BYTES + 1', `:_${repeat('n', MAX_NAME_BYTES)}\tx\n|\n`, 'MAX_NAME_BYTES')
  limit('entity name of MAX_NAME_BYTES + 1', `\n:_${repeat('n', MAX_NAME_BYTES)} 1\tx\n|\n`, 'MAX_NAME_BYTES')
  limit('method of MAX_METHOD_BYTES + 1', `\n_${repeat('m', MAX_METHOD_BYTES)}\n|\n`, 'MAX_METHOD_BYTES')
  limit('name of MAX_NAME_LABELS + 1 labels', `:${repeat('_a', MAX_NAME_LABELS + 1)}\tx\n|\n`, 'MAX_NAME_LABELS')
  limit('method of MAX_NAME_LABELS + 1 labels', `\n${repeat('_m', MAX_NAME_LABELS + 1)}\n|\n`, 'MAX_NAME_LABELS')
  limit('routing value of MAX_PLAIN_VALUE_BYTES + 1', `:_v\t${repeat('v', MAX_PLAIN_VALUE_BYTES + 1)}\n|\n`, 'MAX_PLAIN_VALUE_BYTES')
  limit('entity value of MAX_PLAIN_VALUE_BYTES + 1', `\n:_v\t${repeat('v', MAX_PLAIN_VALUE_BYTES + 1)}\n|\n`, 'MAX_PLAIN_VALUE_BYTES')
  limit('content length of MAX_LENGTH_DIGITS + 1 digits', '100000\n_m\n|\n', 'MAX_LENGTH_DIGITS')
  limit('value length of MAX_LENGTH_DIGITS + 1 digits', '\n:_a 100000\tx\n|\n', 'MAX_LENGTH_DIGITS')
  limit('list length of MAX_LENGTH_DIGITS + 1 digits', '=_list_x\t|100000 x\n|\n', 'MAX_LENGTH_DIGITS')
  limit('dict key length of MAX_LENGTH_DIGITS + 1 digits', '=_dict_x\t{100000 x}\n|\n', 'MAX_LENGTH_DIGITS')
  limit('list of MAX_LIST_ITEMS + 1 items', render(pkt([], { len: true, entity: [b('=', '_list_x', repeat('|', MAX_LIST_ITEMS + 1))] })), 'MAX_LIST_ITEMS')
  limit('dict of MAX_LIST_ITEMS + 1 entries', render(pkt([], { len: true, entity: [b('=', '_dict_x', repeat('{k}', MAX_LIST_ITEMS + 1))] })), 'MAX_LIST_ITEMS')
  limit('list type of MAX_NAME_BYTES + 1', `=_list_x\t_${repeat('t', MAX_NAME_BYTES)}|x\n|\n`, 'MAX_NAME_BYTES')
  limit('list element type of MAX_NAME_LABELS + 1 labels', `=_list_x\t|=${repeat('_t', MAX_NAME_LABELS + 1)} x\n|\n`, 'MAX_NAME_LABELS')

  // every proper prefix of a packet with routing, length, binary value and data
  const whole = render(pkt([SRC], { len: true, entity: [lone('='), b('=', '_bin', 'a\n|\nb'), m(':', '_x', 'y')], method: '_m', data: 'd\n|\ne' }))
  for (let i = 0; i < whole.length; i += 4) add(`prefix of ${i} bytes`, whole.subarray(0, i), T)
  return v
}

function corpusVectors (): ValidVector[] {
  const out: ValidVector[] = []
  for (const dir of ['test-packets', 'bench-packets']) {
    for (const file of readdirSync(join(CORPUS_DIR, dir)).filter(f => /^[0-9a-z].*\.psyc$/.test(f) && !f.startsWith('err-')).sort()) {
      const raw = new Uint8Array(readFileSync(join(CORPUS_DIR, dir, file)))
      const expect = packetToVector(decodePacket(raw))
      if (hex(render(expect)) !== hex(raw)) throw new Error(`corpus ${file}: the renderer does not reproduce it`)
      out.push({ name: `corpus ${dir}/${file}`, hex: hex(raw), expect })
    }
  }
  return out
}

function corpusErrors (): InvalidVector[] {
  const codes: Record<string, string> = {
    'err-00-oper-alone.psyc': 'PACKET_BAD_OPERATOR',
    'err-01-length.psyc': 'PACKET_BAD_LENGTH',
    'err-02-list.psyc': 'PACKET_BAD_LIST'
  }
  return Object.entries(codes).map(([file, code]) => ({
    name: `corpus test-packets/${file}`,
    hex: hex(readFileSync(join(CORPUS_DIR, 'test-packets', file))),
    code
  }))
}

/** Checks the codec against every vector; returns the problems found. */
export function checkVectors (file: VectorFile): string[] {
  const problems: string[] = []
  for (const v of file.valid) {
    const raw = new Uint8Array(Buffer.from(v.hex, 'hex'))
    try {
      const p = decodePacket(raw)
      if (JSON.stringify(packetToVector(p)) !== JSON.stringify(v.expect)) problems.push(`${v.name}: decodes to something else`)
      else if (hex(encodePacket(p)) !== v.hex) problems.push(`${v.name}: re-encodes differently`)
    } catch (e) {
      problems.push(`${v.name}: ${String(e)}`)
    }
  }
  for (const v of file.invalid) {
    try {
      decodePacket(new Uint8Array(Buffer.from(v.hex, 'hex')))
      problems.push(`${v.name}: decodes`)
    } catch (e) {
      if (!isSecushareError(e)) problems.push(`${v.name}: threw ${String(e)}`)
      else if (e.code !== v.code || e.detail.limit !== v.limit) {
        problems.push(`${v.name}: ${e.code}${e.detail.limit === undefined ? '' : ` ${String(e.detail.limit)}`} (${e.message}), expected ${v.code}${v.limit === undefined ? '' : ` ${v.limit}`}`)
      }
    }
  }
  return problems
}

export function generate (): VectorFile {
  const made = validVectors().map(({ name, expect }) => ({ name, hex: hex(render(expect)), expect }))
  const valid = [...corpusVectors(), ...made]
  const invalid = [...corpusErrors(), ...invalidVectors()]
  const names = new Set<string>()
  for (const v of [...valid, ...invalid]) {
    if (names.has(v.name)) throw new Error(`duplicate vector name ${v.name}`)
    names.add(v.name)
  }
  return { format: 'secushare packet vectors v1', valid, invalid }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = generate()
  const problems = checkVectors(file)
  if (problems.length > 0) {
    console.error(problems.join('\n'))
    process.exit(1)
  }
  writeFileSync(VECTORS_PATH, JSON.stringify(file, null, 1) + '\n')
  console.log(`wrote ${VECTORS_PATH}: ${file.valid.length} valid, ${file.invalid.length} invalid`)
}
