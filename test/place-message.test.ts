/**
 * Place messages (protocol/place-message.ts) and author signatures (core/places/author.ts):
 * canonical bytes, every refusal, limits, signatures under tampering, and properties.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { isSecushareError, type ErrorCode } from '../protocol/errors.js'
import {
  MAX_ENTITY_MODIFIERS, MAX_MESSAGE_ID, MAX_METHOD_BYTES, MAX_NAME_BYTES, MAX_PLAINTEXT_BYTES, MAX_POST_TEXT_BYTES, MAX_STATE_OPS,
  MAX_STATE_VALUE_BYTES
} from '../protocol/limits.js'
import { decodePacket, encodePacket, makePacket, type ModifierSpec, type PacketSpec, type StateSync } from '../protocol/packet.js'
import {
  AUTHOR_KEY_BYTES, AUTHOR_SIGNATURE_BYTES, authorSigningBytes, decodePlaceMessage, encodePlaceMessage, isReservedPlaceName,
  PLACE_ID_BYTES, PLACE_METHOD, PLACE_RESERVED_NAMES, PLACE_VAR, STATE_OPERATORS, TALK_ID_BYTES, type PlaceMessage, type StateOp,
  type UnsignedPlaceMessage
} from '../protocol/place-message.js'
import { signPlaceMessage, verifyPlaceMessage } from '../core/places/author.js'
import { loadSodium, type Sodium } from '../core/crypto/sodium.js'
import { renderDict, renderList } from '../core/places/state.js'

const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'))
const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1')
const fill = (n: number, byte: number): Uint8Array => new Uint8Array(n).fill(byte)

function throwsCode (f: () => unknown, code: ErrorCode, match?: RegExp | string, limit?: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(isSecushareError(e), `expected SecushareError ${code}, got ${String(e)}`)
    assert.equal(e.code, code, e.message)
    if (match !== undefined) {
      if (typeof match === 'string') assert.ok(e.message.includes(match), `"${e.message}" lacks "${match}"`)
      else assert.match(e.message, match)
    }
    if (limit !== undefined) assert.equal(e.detail.limit, limit)
    return true
  })
}

/** Printable fixed fields, so the canonical bytes can be written out by hand. */
const AUTHOR = fill(32, 0x61)
const TALK = fill(16, 0x62)
const SIG = fill(64, 0x63)
const TIME = 1700000000000

function base (extra: Partial<PlaceMessage> = {}): PlaceMessage {
  return { method: '_converse', author: AUTHOR, talkId: TALK, time: TIME, signature: SIG, ...extra }
}

const H_AUTHOR: ModifierSpec = { op: ':', name: '_nym_author', value: AUTHOR }
const H_TALK: ModifierSpec = { op: ':', name: '_id_talk', value: TALK }
const H_TIME: ModifierSpec = { op: ':', name: '_time', value: String(TIME) }
const H_SIG: ModifierSpec = { op: ':', name: '_sig_author', value: SIG }

/** A packet from entity lines in makePacket's forms, so that only the intended fault is present. */
function craft (entity: Array<ModifierSpec | StateSync>, rest: Omit<PacketSpec, 'entity'> = { method: '_converse' }): Uint8Array {
  return encodePacket(makePacket({ ...rest, entity }))
}

describe('place message format', () => {
  it('exports the reserved names, operators, sizes and methods', () => {
    assert.deepEqual([...PLACE_RESERVED_NAMES], ['_nym_author', '_id_talk', '_time', '_id_reply', '_id_thread', '_sig_author'])
    assert.deepEqual(Object.values(PLACE_VAR), PLACE_RESERVED_NAMES)
    for (const n of PLACE_RESERVED_NAMES) assert.ok(isReservedPlaceName(n), n)
    for (const n of ['_time_sent', '_nym', '_id', '_sig_author_x', '_reaction', '']) assert.ok(!isReservedPlaceName(n), n)
    assert.deepEqual([...STATE_OPERATORS], ['=', '+', '-', '@'])
    assert.deepEqual([PLACE_ID_BYTES, AUTHOR_KEY_BYTES, TALK_ID_BYTES, AUTHOR_SIGNATURE_BYTES], [32, 32, 16, 64])
    assert.equal(PLACE_METHOD.CONVERSE, '_converse')
    assert.equal(PLACE_METHOD.REACTION, '_converse_reaction')
  })

  it('writes the canonical bytes: header fields, state ops, vars, signature last, then method and text', () => {
    const m = base({
      replyTo: 7,
      thread: 3,
      text: 'hi',
      state: [{ op: '=', name: '_topic', value: text('cats') }, { op: '+', name: '_list_tags', value: text('| x') }],
      vars: [{ name: '_reaction', value: text(':)') }]
    })
    const expected =
      '\n' +
      `:_nym_author\t${'a'.repeat(32)}\n:_id_talk\t${'b'.repeat(16)}\n:_time\t1700000000000\n:_id_reply\t7\n:_id_thread\t3\n` +
      '=_topic\tcats\n+_list_tags\t| x\n:_reaction\t:)\n' +
      `:_sig_author\t${'c'.repeat(64)}\n_converse\nhi\n|\n`
    const bytes = encodePlaceMessage(m)
    assert.equal(latin1(bytes), expected)
    assert.deepEqual(decodePlaceMessage(bytes), m)
    // the signed bytes: place id, then the same packet without the _sig_author line
    const placeId = fill(32, 0x70)
    const signing = authorSigningBytes(placeId, m)
    assert.equal(latin1(signing), 'p'.repeat(32) + expected.replace(`:_sig_author\t${'c'.repeat(64)}\n`, ''))
  })

  it('a minimal message has no optional lines and no data', () => {
    const m = base()
    const bytes = encodePlaceMessage(m)
    assert.equal(latin1(bytes), `\n:_nym_author\t${'a'.repeat(32)}\n:_id_talk\t${'b'.repeat(16)}\n:_time\t1700000000000\n:_sig_author\t${'c'.repeat(64)}\n_converse\n|\n`)
    const d = decodePlaceMessage(bytes)
    assert.deepEqual(d, m)
    assert.ok(!('text' in d) && !('state' in d) && !('vars' in d) && !('replyTo' in d) && !('thread' in d))
  })

  it('binary fields holding LF take the length form, and the content gets a length; the signed bytes decide their own length', () => {
    const m = base({ author: fill(32, 0x0a), talkId: fill(16, 0x0a), text: 'x\n|\ny' })
    const bytes = encodePlaceMessage(m)
    const p = decodePacket(bytes)
    assert.equal(p.content?.withLength, true)
    assert.deepEqual(decodePlaceMessage(bytes), m)
    // a signature with LF makes the full packet binary, while the signed packet (without it) is not
    const m2 = base({ signature: fill(64, 0x0a) })
    assert.equal(decodePacket(encodePlaceMessage(m2)).content?.withLength, true)
    assert.equal(decodePacket(authorSigningBytes(fill(32, 1), m2).subarray(32)).content?.withLength, false)
    assert.deepEqual(decodePlaceMessage(encodePlaceMessage(m2)), m2)
  })

  it('keeps text exactly: terminator look-alikes, long text, a leading BOM, all of Unicode', () => {
    for (const t of ['|', '|\n', '\n|', 'a\n|\nb', 'x'.repeat(600), '\uFEFFbom', 'emoji 🦊 and ünïcödé', '\r\n\t\0']) {
      const m = base({ text: t })
      assert.equal(decodePlaceMessage(encodePlaceMessage(m)).text, t, JSON.stringify(t.slice(0, 20)))
    }
  })

  it('empty text is the same as no text', () => {
    assert.deepEqual(encodePlaceMessage(base({ text: '' })), encodePlaceMessage(base()))
    assert.deepEqual(authorSigningBytes(fill(32, 0), base({ text: '' })), authorSigningBytes(fill(32, 0), base()))
  })

  it('keeps state operations and vars in order, with any bytes as values', () => {
    const state: StateOp[] = [
      { op: '+', name: '_list_x', value: text('| a') },
      { op: '=', name: '_name', value: new Uint8Array(0) },
      { op: '-', name: '_list_x', value: text('| a') },
      { op: '@', name: '_dict_d', value: text('{k} v') },
      { op: '=', name: '_bin', value: new Uint8Array([0, 10, 124, 10, 255]) }
    ]
    const vars = [{ name: '_z', value: text('1') }, { name: '_a', value: fill(300, 0x0a) }, { name: '_m', value: new Uint8Array(0) }]
    const m = base({ state, vars })
    assert.deepEqual(decodePlaceMessage(encodePlaceMessage(m)), m)
  })

  it('decoded values are copies, not views of the input', () => {
    const bytes = encodePlaceMessage(base({ state: [{ op: '=', name: '_x', value: text('v') }] }))
    const d = decodePlaceMessage(bytes)
    bytes.fill(0)
    assert.deepEqual(d.author, AUTHOR)
    assert.deepEqual(d.state?.[0]?.value, text('v'))
  })
})

describe('place message decoding refuses', () => {
  const bad = (bytes: Uint8Array, match?: RegExp | string): void => throwsCode(() => decodePlaceMessage(bytes), 'PLACE_MESSAGE_INVALID', match)

  it('bytes that are not a PSYC packet, naming the codec error in detail.cause', () => {
    for (const b of [new Uint8Array(0), text('garbage'), text('\n_converse\n'), concat(encodePlaceMessage(base()), text('x'))]) {
      assert.throws(() => decodePlaceMessage(b), (e: unknown) => {
        assert.ok(isSecushareError(e, 'PLACE_MESSAGE_INVALID'))
        assert.match(e.message, /not a valid PSYC packet/)
        assert.match(String(e.detail.cause), /^PACKET_/)
        return true
      })
    }
    throwsCode(() => decodePlaceMessage('x' as unknown as Uint8Array), 'INVALID_ARGUMENT')
  })

  it('routing modifiers, a missing content part or method', () => {
    bad(craft([H_AUTHOR, H_TALK, H_TIME, H_SIG], { routing: [{ op: ':', name: '_context', value: 'x' }], method: '_converse' }), 'routing')
    bad(text('|\n'), 'no method')
    bad(craft([H_AUTHOR, H_TALK, H_TIME, H_SIG], {}), 'no method')
  })

  it('lone state-sync lines and the "?" operator', () => {
    bad(craft([{ op: '=', lone: true }, H_AUTHOR, H_TALK, H_TIME, H_SIG]), 'lone "="')
    bad(craft([{ op: '?', lone: true }, H_AUTHOR, H_TALK, H_TIME, H_SIG]), 'lone "?"')
    bad(craft([H_AUTHOR, H_TALK, H_TIME, { op: '?', name: '_x', value: '' }, H_SIG]), '"?"')
  })

  it('each missing required field', () => {
    bad(craft([H_TALK, H_TIME, H_SIG]), 'missing :_nym_author')
    bad(craft([H_AUTHOR, H_TIME, H_SIG]), 'missing :_id_talk')
    bad(craft([H_AUTHOR, H_TALK, H_SIG]), 'missing :_time')
    bad(craft([H_AUTHOR, H_TALK, H_TIME]), 'missing :_sig_author')
    bad(craft([]), 'missing :_nym_author')
  })

  it('wrong lengths of author, talk id and signature', () => {
    for (const n of [0, 31, 33]) bad(craft([{ ...H_AUTHOR, value: fill(n, 0x61) }, H_TALK, H_TIME, H_SIG]), `:_nym_author must be 32 bytes, not ${n}`)
    for (const n of [0, 15, 17]) bad(craft([H_AUTHOR, { ...H_TALK, value: fill(n, 0x62) }, H_TIME, H_SIG]), `:_id_talk must be 16 bytes, not ${n}`)
    for (const n of [0, 63, 65]) bad(craft([H_AUTHOR, H_TALK, H_TIME, { ...H_SIG, value: fill(n, 0x63) }]), `:_sig_author must be 64 bytes, not ${n}`)
  })

  it('non-canonical numbers in _time, _id_reply and _id_thread', () => {
    for (const v of ['', '01', '00', '+1', '-1', '1.0', ' 1', '1 ', '1e3', '0x10', '١']) {
      bad(craft([H_AUTHOR, H_TALK, { ...H_TIME, value: v }, H_SIG]), ':_time is not a canonical decimal')
      bad(craft([H_AUTHOR, H_TALK, H_TIME, { op: ':', name: '_id_reply', value: v }, H_SIG]), ':_id_reply is not a canonical decimal')
      bad(craft([H_AUTHOR, H_TALK, H_TIME, { op: ':', name: '_id_thread', value: v }, H_SIG]), ':_id_thread is not a canonical decimal')
    }
    bad(craft([H_AUTHOR, H_TALK, { ...H_TIME, value: '9007199254740992' }, H_SIG]), 'safe integer')
    bad(craft([H_AUTHOR, H_TALK, { ...H_TIME, value: '1'.repeat(40) }, H_SIG]), 'safe integer')
    bad(craft([H_AUTHOR, H_TALK, H_TIME, { op: ':', name: '_id_reply', value: '0' }, H_SIG]), 'at least 1')
    bad(craft([H_AUTHOR, H_TALK, H_TIME, { op: ':', name: '_id_thread', value: '0' }, H_SIG]), 'at least 1')
  })

  it('message ids past MAX_MESSAGE_ID (LIMIT_EXCEEDED), and accepts MAX_MESSAGE_ID and time 0', () => {
    for (const name of ['_id_reply', '_id_thread']) {
      for (const v of ['9007199254740992', '99999999999999999999']) {
        throwsCode(() => decodePlaceMessage(craft([H_AUTHOR, H_TALK, H_TIME, { op: ':', name, value: v }, H_SIG])), 'LIMIT_EXCEEDED', undefined, 'MAX_MESSAGE_ID')
      }
    }
    const d = decodePlaceMessage(craft([H_AUTHOR, H_TALK, { ...H_TIME, value: '0' }, { op: ':', name: '_id_reply', value: String(MAX_MESSAGE_ID) },
      { op: ':', name: '_id_thread', value: String(MAX_MESSAGE_ID) }, H_SIG]))
    assert.deepEqual([d.time, d.replyTo, d.thread], [0, MAX_MESSAGE_ID, MAX_MESSAGE_ID])
  })

  it('reserved names with another operator, twice, out of order, or as state and vars', () => {
    bad(craft([H_AUTHOR, H_TALK, { ...H_TIME, op: '=' }, H_SIG]), '_time must be a ":" modifier')
    bad(craft([H_AUTHOR, H_TALK, H_TIME, { op: '+', name: '_id_reply', value: '1' }, H_SIG]), '_id_reply must be a ":" modifier')
    bad(craft([H_AUTHOR, H_AUTHOR, H_TALK, H_TIME, H_SIG]), ':_nym_author appears twice')
    bad(craft([H_AUTHOR, H_TALK, H_TIME, { op: ':', name: '_id_reply', value: '1' }, { op: ':', name: '_id_reply', value: '1' }, H_SIG]), 'appears twice')
    bad(craft([H_AUTHOR, H_TALK, H_TIME, H_SIG, H_SIG]), 'appears twice')
    bad(craft([H_TALK, H_AUTHOR, H_TIME, H_SIG]), ':_nym_author is out of place')
    bad(craft([H_AUTHOR, H_TIME, H_TALK, H_SIG]), ':_id_talk is out of place')
    bad(craft([H_AUTHOR, H_TALK, H_TIME, { op: ':', name: '_id_thread', value: '1' }, { op: ':', name: '_id_reply', value: '1' }, H_SIG]), ':_id_reply is out of place')
    bad(craft([H_AUTHOR, H_TALK, H_TIME, { op: '=', name: '_x', value: '1' }, { op: ':', name: '_id_reply', value: '1' }, H_SIG]), ':_id_reply is out of place')
    bad(craft([H_AUTHOR, H_TALK, H_TIME, H_SIG, { op: ':', name: '_x', value: '1' }]), ':_sig_author is out of place')
    bad(craft([H_SIG, H_AUTHOR, H_TALK, H_TIME]), ':_nym_author is out of place')
  })

  it('a state operation after a var, and a var twice', () => {
    bad(craft([H_AUTHOR, H_TALK, H_TIME, { op: ':', name: '_x', value: '1' }, { op: '=', name: '_y', value: '1' }, H_SIG]), 'state operations come first')
    bad(craft([H_AUTHOR, H_TALK, H_TIME, { op: ':', name: '_x', value: '1' }, { op: ':', name: '_x', value: '1' }, H_SIG]), 'var _x appears twice')
    // the same state variable twice is fine: operations apply in order
    const d = decodePlaceMessage(craft([H_AUTHOR, H_TALK, H_TIME, { op: '+', name: '_count', value: '1' }, { op: '+', name: '_count', value: '1' }, H_SIG]))
    assert.equal(d.state?.length, 2)
  })

  it('text that is not UTF-8', () => {
    for (const data of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x61, 0xf8, 0x88, 0x80, 0x80, 0x80]]) {
      bad(craft([H_AUTHOR, H_TALK, H_TIME, H_SIG], { method: '_converse', data: new Uint8Array(data) }), 'not valid UTF-8')
    }
  })

  it('bytes in a form the encoder would not write (plain/binary form, content length)', () => {
    const canonical = encodePlaceMessage(base({ text: 'hi', vars: [{ name: '_v', value: text('w') }] }))
    const variants: Array<(q: ReturnType<typeof decodePacket>) => void> = [
      q => { q.content!.withLength = true }, // a length nobody needs
      q => { (q.content!.entity[0] as { binary: boolean }).binary = true }, // author in binary form
      q => { (q.content!.entity[2] as { binary: boolean }).binary = true }, // time in binary form
      q => { (q.content!.entity[3] as { binary: boolean }).binary = true } // a var in binary form
    ]
    for (const change of variants) {
      const q = decodePacket(canonical.slice())
      change(q)
      const b = encodePacket(q)
      assert.notDeepEqual(b, canonical)
      bad(b, 'not in canonical form')
    }
    // and the other way round: a binary-only value written plain cannot exist (LF), but a missing length can
    const m = base({ author: fill(32, 0x0a) })
    const q = decodePacket(encodePlaceMessage(m))
    assert.equal(q.content!.withLength, true)
    q.content!.withLength = false
    bad(encodePacket(q), 'not in canonical form')
  })

  it('never throws anything but a SecushareError on mutated input', () => {
    const seeds = [
      encodePlaceMessage(base({ text: 'hello', replyTo: 1, state: [{ op: '+', name: '_list_x', value: text('| a|3 b|c') }], vars: [{ name: '_v', value: fill(20, 0x0a) }] })),
      encodePlaceMessage(base({ author: fill(32, 0x0a), text: 'x'.repeat(700) }))
    ]
    let rng = 12345
    const next = (n: number): number => { rng = (rng * 1103515245 + 12345) % 2147483648; return rng % n }
    for (const seed of seeds) {
      for (let i = 0; i < 3000; i++) {
        const b = seed.slice()
        const k = 1 + next(3)
        for (let j = 0; j < k; j++) b[next(b.length)] = [0x0a, 0x7c, 0x3a, 0x3d, 0x20, 0x09, 0x30, next(256)][next(8)]!
        try {
          decodePlaceMessage(b)
        } catch (e) {
          assert.ok(isSecushareError(e), String(e))
        }
      }
    }
  })
})

describe('place message encoding refuses', () => {
  const bad = (m: unknown, match?: string): void => throwsCode(() => encodePlaceMessage(m as PlaceMessage), 'PLACE_MESSAGE_INVALID', match)
  const arg = (m: unknown): void => throwsCode(() => encodePlaceMessage(m as PlaceMessage), 'INVALID_ARGUMENT')

  it('fields of the wrong length or value', () => {
    bad(base({ author: fill(31, 1) }), 'author must be 32 bytes')
    bad(base({ talkId: fill(17, 1) }), 'talkId must be 16 bytes')
    bad(base({ signature: fill(63, 1) }), 'signature must be 64 bytes')
    for (const time of [-1, 1.5, NaN, Infinity, 2 ** 53]) bad(base({ time }), 'time')
    for (const id of [0, -1, 1.5, NaN]) {
      bad(base({ replyTo: id }), 'replyTo')
      bad(base({ thread: id }), 'thread')
    }
    throwsCode(() => encodePlaceMessage(base({ replyTo: MAX_MESSAGE_ID + 1 })), 'LIMIT_EXCEEDED', undefined, 'MAX_MESSAGE_ID')
    throwsCode(() => encodePlaceMessage(base({ thread: 2 ** 60 })), 'LIMIT_EXCEEDED', undefined, 'MAX_MESSAGE_ID')
    bad(base({ text: 'a\uD800b' }), 'lone surrogate')
    bad(base({ text: '\uDC00' }), 'lone surrogate')
  })

  it('a method or names that are not keywords, and malformed list or dict values (the packet rules)', () => {
    for (const method of ['', 'no space', '_ü', 'x'.repeat(MAX_METHOD_BYTES + 1)]) {
      assert.throws(() => encodePlaceMessage(base({ method })), (e: unknown) => isSecushareError(e) && ['PLACE_MESSAGE_INVALID', 'LIMIT_EXCEEDED'].includes(e.code))
    }
    bad(base({ method: 'a b' }), 'not a valid PSYC packet')
    bad(base({ state: [{ op: '=', name: 'bad name', value: text('x') }] }), 'not a valid PSYC packet')
    bad(base({ vars: [{ name: '', value: text('x') }] }), 'not a valid PSYC packet')
    bad(base({ state: [{ op: '=', name: '_list_x', value: text('no list') }] }), 'not a valid PSYC packet')
    bad(base({ vars: [{ name: '_dict_x', value: text('no dict') }] }), 'not a valid PSYC packet')
    assert.doesNotThrow(() => encodePlaceMessage(base({ state: [{ op: '@', name: '_list_x', value: text('#1 any update') }] })))
  })

  it('reserved names as vars or state, a var twice, operators that are not state operators', () => {
    for (const name of PLACE_RESERVED_NAMES) {
      bad(base({ vars: [{ name, value: text('1') }] }), `${name} is reserved`)
      bad(base({ state: [{ op: '=', name, value: text('1') }] }), `${name} is reserved`)
      throwsCode(() => authorSigningBytes(fill(32, 0), base({ vars: [{ name, value: text('1') }] })), 'PLACE_MESSAGE_INVALID', 'reserved')
    }
    bad(base({ vars: [{ name: '_a', value: text('1') }, { name: '_a', value: text('2') }] }), 'appears twice')
    for (const op of [':', '?', '!', '', '==']) bad(base({ state: [{ op: op as '=', name: '_a', value: text('1') }] }), 'not one of')
  })

  it('arguments of the wrong JavaScript type (INVALID_ARGUMENT)', () => {
    arg(null)
    arg(base({ method: 5 as unknown as string }))
    arg(base({ author: Array(32).fill(0) as unknown as Uint8Array }))
    arg(base({ signature: 'x' as unknown as Uint8Array }))
    arg(base({ text: 5 as unknown as string }))
    arg(base({ state: {} as unknown as StateOp[] }))
    arg(base({ state: [{ op: '=', name: '_a', value: 'x' as unknown as Uint8Array }] }))
    arg(base({ vars: [null as unknown as { name: string, value: Uint8Array }] }))
    throwsCode(() => authorSigningBytes(fill(31, 0), base()), 'INVALID_ARGUMENT')
    throwsCode(() => authorSigningBytes('x' as unknown as Uint8Array, base()), 'INVALID_ARGUMENT')
  })
})

describe('place message limits', () => {
  it('MAX_POST_TEXT_BYTES: at the limit accepted, one byte more refused by encoder and decoder', () => {
    const at = 'é'.repeat(MAX_POST_TEXT_BYTES / 2)
    assert.equal(text(at).length, MAX_POST_TEXT_BYTES)
    assert.equal(decodePlaceMessage(encodePlaceMessage(base({ text: at }))).text, at)
    throwsCode(() => encodePlaceMessage(base({ text: at + 'x' })), 'LIMIT_EXCEEDED', undefined, 'MAX_POST_TEXT_BYTES')
    throwsCode(() => authorSigningBytes(fill(32, 0), base({ text: at + 'x' })), 'LIMIT_EXCEEDED', undefined, 'MAX_POST_TEXT_BYTES')
    throwsCode(() => decodePlaceMessage(craft([H_AUTHOR, H_TALK, H_TIME, H_SIG], { method: '_converse', data: at + 'x' })),
      'LIMIT_EXCEEDED', undefined, 'MAX_POST_TEXT_BYTES')
  })

  it('MAX_STATE_OPS: at the limit accepted, one more refused by encoder and decoder', () => {
    const ops = (n: number): StateOp[] => Array.from({ length: n }, (_, i) => ({ op: '+', name: `_count_${i}`, value: text('1') }))
    const m = base({ state: ops(MAX_STATE_OPS) })
    assert.deepEqual(decodePlaceMessage(encodePlaceMessage(m)), m)
    throwsCode(() => encodePlaceMessage(base({ state: ops(MAX_STATE_OPS + 1) })), 'LIMIT_EXCEEDED', undefined, 'MAX_STATE_OPS')
    const lines: ModifierSpec[] = ops(MAX_STATE_OPS + 1).map(o => ({ ...o }))
    throwsCode(() => decodePlaceMessage(craft([H_AUTHOR, H_TALK, H_TIME, ...lines, H_SIG])), 'LIMIT_EXCEEDED', undefined, 'MAX_STATE_OPS')
  })

  it('MAX_STATE_VALUE_BYTES: at the limit accepted, one byte more refused by encoder and decoder', () => {
    const m = base({ state: [{ op: '=', name: '_blob', value: fill(MAX_STATE_VALUE_BYTES, 0x0a) }] })
    assert.deepEqual(decodePlaceMessage(encodePlaceMessage(m)), m)
    throwsCode(() => encodePlaceMessage(base({ state: [{ op: '=', name: '_blob', value: fill(MAX_STATE_VALUE_BYTES + 1, 1) }] })),
      'LIMIT_EXCEEDED', undefined, 'MAX_STATE_VALUE_BYTES')
    throwsCode(() => decodePlaceMessage(craft([H_AUTHOR, H_TALK, H_TIME, { op: '=', name: '_blob', value: fill(MAX_STATE_VALUE_BYTES + 1, 1) }, H_SIG])),
      'LIMIT_EXCEEDED', undefined, 'MAX_STATE_VALUE_BYTES')
    // vars are bounded only by the packet
    const big = base({ vars: [{ name: '_v', value: fill(MAX_STATE_VALUE_BYTES * 4, 1) }] })
    assert.deepEqual(decodePlaceMessage(encodePlaceMessage(big)), big)
  })

  it('text, header and state operations all at their limits fit one plaintext with room to spare', () => {
    const name = (i: number): string => `_${String(i).padStart(2, '0')}`.padEnd(MAX_NAME_BYTES, 'n')
    const m = base({
      method: '_' + 'm'.repeat(MAX_METHOD_BYTES - 1),
      author: fill(32, 0x0a),
      talkId: fill(16, 0x0a),
      signature: fill(64, 0x0a),
      time: Number.MAX_SAFE_INTEGER,
      replyTo: MAX_MESSAGE_ID,
      thread: MAX_MESSAGE_ID,
      text: 'y'.repeat(MAX_POST_TEXT_BYTES),
      state: Array.from({ length: MAX_STATE_OPS }, (_, i) => ({ op: '=' as const, name: name(i), value: fill(MAX_STATE_VALUE_BYTES, 0x0a) }))
    })
    const bytes = encodePlaceMessage(m)
    assert.ok(bytes.length < MAX_PLAINTEXT_BYTES - 14 * 1024, `${bytes.length} bytes`)
    assert.deepEqual(decodePlaceMessage(bytes), m)
    // entity lines: 6 header lines + MAX_STATE_OPS still leave room for vars within MAX_ENTITY_MODIFIERS
    assert.ok(6 + MAX_STATE_OPS < MAX_ENTITY_MODIFIERS)
  })
})

describe('author signatures', () => {
  const sodiums: Sodium[] = []
  before(async () => {
    sodiums.push(await loadSodium('wasm'))
    try { sodiums.push(await loadSodium('native')) } catch (e) { console.log(`      (native backend not loaded: ${(e as Error).message})`) }
  })

  const placeId = fill(32, 0x50)
  const other = fill(32, 0x51)

  function unsigned (sodium: Sodium, extra: Partial<UnsignedPlaceMessage> = {}): { m: UnsignedPlaceMessage, sk: Uint8Array } {
    const kp = sodium.signKeypair(fill(32, 9))
    return {
      m: {
        method: '_converse',
        author: kp.publicKey,
        talkId: fill(16, 0x0a),
        time: TIME,
        replyTo: 10,
        thread: 4,
        text: 'hello place',
        state: [{ op: '+', name: '_list_x', value: text('| a') }, { op: '=', name: '_topic', value: text('t') }],
        vars: [{ name: '_reaction', value: text('+') }, { name: '_v', value: text('w') }],
        ...extra
      },
      sk: kp.secretKey
    }
  }

  it('signs and verifies; the signature is over the label, the place id and the packet without the signature', () => {
    for (const sodium of sodiums) {
      const { m, sk } = unsigned(sodium)
      const s = signPlaceMessage(sodium, placeId, m, sk)
      assert.equal(s.signature.length, 64)
      assert.ok(verifyPlaceMessage(sodium, placeId, s))
      const expected = sodium.sign(concat(text('secushare/author/v1\0'), authorSigningBytes(placeId, m)), sk)
      assert.deepEqual(s.signature, expected)
      // a message already carrying a signature is signed afresh, its old signature ignored
      assert.deepEqual(signPlaceMessage(sodium, placeId, { ...s, signature: fill(64, 1) } as UnsignedPlaceMessage, sk), s)
    }
  })

  it('a message re-encoded after decoding still verifies, with the same signing bytes', () => {
    for (const sodium of sodiums) {
      const extras: Array<Partial<UnsignedPlaceMessage>> = [{}, { text: 'x\n|\n'.repeat(200) }, { talkId: fill(16, 0x7c) }, { state: undefined, vars: undefined, text: undefined }]
      for (const extra of extras) {
        const { m, sk } = unsigned(sodium, extra)
        const s = signPlaceMessage(sodium, placeId, m, sk)
        const d = decodePlaceMessage(encodePlaceMessage(s))
        assert.deepEqual(authorSigningBytes(placeId, d), authorSigningBytes(placeId, s))
        assert.ok(verifyPlaceMessage(sodium, placeId, d))
        assert.deepEqual(encodePlaceMessage(d), encodePlaceMessage(s))
      }
    }
  })

  it('fails under another place id, another author, or with the wrong label', () => {
    for (const sodium of sodiums) {
      const { m, sk } = unsigned(sodium)
      const s = signPlaceMessage(sodium, placeId, m, sk)
      assert.ok(!verifyPlaceMessage(sodium, other, s))
      const mallory = sodium.signKeypair(fill(32, 10))
      assert.ok(!verifyPlaceMessage(sodium, placeId, { ...s, author: mallory.publicKey }))
      const envelopeLabelled = sodium.sign(concat(text('secushare/envelope/v1\0'), authorSigningBytes(placeId, m)), sk)
      assert.ok(!verifyPlaceMessage(sodium, placeId, { ...s, signature: envelopeLabelled }))
      const unlabelled = sodium.sign(authorSigningBytes(placeId, m), sk)
      assert.ok(!verifyPlaceMessage(sodium, placeId, { ...s, signature: unlabelled }))
    }
  })

  it('fails when any field changes', () => {
    for (const sodium of sodiums) {
      const { m, sk } = unsigned(sodium)
      const s = signPlaceMessage(sodium, placeId, m, sk)
      const flip = (b: Uint8Array, i: number): Uint8Array => { const c = b.slice(); c[i]! ^= 1; return c }
      const changes: Array<[string, Partial<PlaceMessage>]> = [
        ['method', { method: '_converse_reply' }],
        ['time+1', { time: TIME + 1 }],
        ['replyTo', { replyTo: 11 }],
        ['no replyTo', { replyTo: undefined }],
        ['thread', { thread: 5 }],
        ['no thread', { thread: undefined }],
        ['text', { text: 'hello placE' }],
        ['no text', { text: undefined }],
        ['text+', { text: 'hello place ' }],
        ['state op', { state: [{ op: '=', name: '_list_x', value: text('| a') }, m.state![1]!] }],
        ['state name', { state: [{ op: '+', name: '_list_y', value: text('| a') }, m.state![1]!] }],
        ['state value', { state: [{ op: '+', name: '_list_x', value: text('| b') }, m.state![1]!] }],
        ['state order', { state: [m.state![1]!, m.state![0]!] }],
        ['state removed', { state: [m.state![0]!] }],
        ['no state', { state: undefined }],
        ['state added', { state: [...m.state!, { op: '=', name: '_z', value: text('1') }] }],
        ['var value', { vars: [{ name: '_reaction', value: text('-') }, m.vars![1]!] }],
        ['var name', { vars: [{ name: '_reactionx', value: text('+') }, m.vars![1]!] }],
        ['var order', { vars: [m.vars![1]!, m.vars![0]!] }],
        ['var removed', { vars: [m.vars![1]!] }],
        ['var added', { vars: [...m.vars!, { name: '_new', value: new Uint8Array(0) }] }],
        ['var to state', { vars: [m.vars![1]!], state: [...m.state!, { op: '=', name: '_reaction', value: text('+') }] }]
      ]
      for (let i = 0; i < 32; i++) changes.push([`author byte ${i}`, { author: flip(s.author, i) }])
      for (let i = 0; i < 16; i++) changes.push([`talk byte ${i}`, { talkId: flip(s.talkId, i) }])
      for (let i = 0; i < 64; i++) changes.push([`signature byte ${i}`, { signature: flip(s.signature, i) }])
      for (const [what, change] of changes) {
        const t: PlaceMessage = { ...s, ...change }
        for (const k of Object.keys(change) as Array<keyof PlaceMessage>) if (change[k] === undefined) delete t[k]
        assert.ok(!verifyPlaceMessage(sodium, placeId, t), what)
      }
    }
  })

  it('fails (never verifies, never throws) for every single-byte change of the encoded message', () => {
    for (const sodium of sodiums) {
      for (const extra of [{}, { talkId: fill(16, 0x0a), text: 'x'.repeat(600) }]) {
        const { m, sk } = unsigned(sodium, extra)
        const bytes = encodePlaceMessage(signPlaceMessage(sodium, placeId, m, sk))
        let decoded = 0
        for (let i = 0; i < bytes.length; i++) {
          for (const mask of [0x01, 0x20, 0x80]) {
            const b = bytes.slice()
            b[i]! ^= mask
            let d: PlaceMessage
            try {
              d = decodePlaceMessage(b)
            } catch (e) {
              assert.ok(isSecushareError(e), String(e))
              continue
            }
            decoded++
            assert.ok(!verifyPlaceMessage(sodium, placeId, d), `byte ${i} ^ ${mask} verified`)
          }
        }
        assert.ok(decoded > bytes.length, `only ${decoded} mutants decoded`)
      }
    }
  })

  it('refuses to sign with a key that is not the author\'s; verify returns false for malformed messages', () => {
    for (const sodium of sodiums) {
      const { m } = unsigned(sodium)
      const mallory = sodium.signKeypair(fill(32, 10))
      throwsCode(() => signPlaceMessage(sodium, placeId, m, mallory.secretKey), 'BAD_KEY')
      throwsCode(() => signPlaceMessage(sodium, fill(31, 0), m, mallory.secretKey), 'INVALID_ARGUMENT')
      const s = signPlaceMessage(sodium, placeId, m, unsigned(sodium).sk)
      assert.equal(verifyPlaceMessage(sodium, fill(31, 0), s), false)
      assert.equal(verifyPlaceMessage(sodium, placeId, { ...s, author: fill(31, 0) }), false)
      assert.equal(verifyPlaceMessage(sodium, placeId, { ...s, signature: fill(63, 0) }), false)
      assert.equal(verifyPlaceMessage(sodium, placeId, { ...s, signature: 'x' as unknown as Uint8Array }), false)
      assert.equal(verifyPlaceMessage(sodium, placeId, { ...s, vars: [{ name: '_sig_author', value: text('x') }] }), false)
      assert.equal(verifyPlaceMessage(sodium, placeId, { ...s, author: fill(32, 0) }), false) // not a valid point
    }
  })
})

// ---- properties ----

const keywordArb = fc.stringMatching(/^_[a-z]{1,6}(_[a-z0-9]{1,6}){0,3}$/)
const plainName = keywordArb.filter(n => !isReservedPlaceName(n) && !/^_(list|dict)(_|$)/.test(n))
const bytesArb = (max: number): fc.Arbitrary<Uint8Array> => fc.oneof(
  fc.uint8Array({ maxLength: max }),
  fc.uint8Array({ maxLength: 8 }).map(b => concat(b, text('\n|\n'), b)),
  fc.constantFrom(new Uint8Array(0), fill(300, 0x0a))
)
const listValue = fc.record({
  type: fc.option(keywordArb, { nil: undefined }),
  items: fc.array(fc.record({ type: fc.option(keywordArb, { nil: undefined }), value: fc.uint8Array({ maxLength: 12 }) }), { maxLength: 5 })
}).map(l => renderList(l))
const dictValue = fc.array(fc.record({ key: fc.uint8Array({ maxLength: 6 }), value: fc.uint8Array({ maxLength: 12 }) }), { maxLength: 5 })
  .map(items => renderDict({ items }))
const stateOpArb: fc.Arbitrary<StateOp> = fc.oneof(
  fc.record({ op: fc.constantFrom(...STATE_OPERATORS), name: plainName, value: bytesArb(40) }),
  fc.record({ op: fc.constantFrom('=', '+', '-'), name: keywordArb.map(n => '_list' + n), value: listValue }),
  fc.record({ op: fc.constantFrom('=', '+', '-', '@'), name: keywordArb.map(n => '_dict' + n), value: dictValue })
) as fc.Arbitrary<StateOp>
const textArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom('', '|', '\n|\n', '|\nx', 'x\n|', '\uFEFF', 'x'.repeat(700)),
  fc.string({ unit: 'grapheme', minLength: 500, maxLength: 700 })
)
const fixedBytes = (n: number): fc.Arbitrary<Uint8Array> => fc.oneof(fc.uint8Array({ minLength: n, maxLength: n }), fc.constant(fill(n, 0x0a)))

const unsignedArb: fc.Arbitrary<UnsignedPlaceMessage> = fc.record({
  method: fc.oneof(fc.constantFrom(...Object.values(PLACE_METHOD)), keywordArb),
  author: fixedBytes(32),
  talkId: fixedBytes(16),
  time: fc.oneof(fc.maxSafeNat(), fc.constantFrom(0, Number.MAX_SAFE_INTEGER)),
  replyTo: fc.option(fc.integer({ min: 1, max: MAX_MESSAGE_ID }), { nil: undefined }),
  thread: fc.option(fc.integer({ min: 1, max: MAX_MESSAGE_ID }), { nil: undefined }),
  text: fc.option(textArb, { nil: undefined }),
  state: fc.option(fc.array(stateOpArb, { maxLength: MAX_STATE_OPS }), { nil: undefined }),
  vars: fc.option(fc.uniqueArray(fc.record({ name: plainName, value: bytesArb(40) }), { selector: v => v.name, maxLength: 8 }), { nil: undefined })
}).map(m => {
  const out: Record<string, unknown> = { ...m }
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k]
  return out as unknown as UnsignedPlaceMessage
})

/** What decoding gives back: empty text, state and vars are absent. */
function normal (m: PlaceMessage): PlaceMessage {
  const out: PlaceMessage = { ...m }
  // fast-check records have a null prototype; decoded ones are plain objects
  if (out.state !== undefined) out.state = out.state.map(o => ({ ...o }))
  if (out.vars !== undefined) out.vars = out.vars.map(v => ({ ...v }))
  if (out.text === '') delete out.text
  if (out.state?.length === 0) delete out.state
  if (out.vars?.length === 0) delete out.vars
  return out
}

describe('place message properties', () => {
  let sodium: Sodium
  before(async () => { sodium = await loadSodium() })

  it('random messages round-trip: decode(encode(m)) = m and encode(decode(b)) = b', () => {
    fc.assert(fc.property(unsignedArb, fixedBytes(64), (u, signature) => {
      const m = normal({ ...u, signature })
      const bytes = encodePlaceMessage(m)
      const d = decodePlaceMessage(bytes)
      assert.deepStrictEqual(d, m)
      assert.deepStrictEqual(encodePlaceMessage(d), bytes)
      assert.deepStrictEqual(authorSigningBytes(fill(32, 3), d), authorSigningBytes(fill(32, 3), m))
    }), { numRuns: 400 })
  })

  it('random signed messages verify after a round trip, and not in another place', () => {
    const kp = sodium.signKeypair(fill(32, 42))
    fc.assert(fc.property(unsignedArb, fixedBytes(32), (u, place) => {
      const s = signPlaceMessage(sodium, place, { ...u, author: kp.publicKey }, kp.secretKey)
      const d = decodePlaceMessage(encodePlaceMessage(s))
      assert.ok(verifyPlaceMessage(sodium, place, d))
      const elsewhere = place.slice()
      elsewhere[0]! ^= 0xff
      assert.ok(!verifyPlaceMessage(sodium, elsewhere, d))
    }), { numRuns: 150 })
  })

  it('decoding random bytes and random packets raises only SecushareErrors', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), b => {
      try { decodePlaceMessage(b) } catch (e) { assert.ok(isSecushareError(e), String(e)) }
    }), { numRuns: 500 })
    const lineArb = fc.record({
      op: fc.constantFrom(':', '=', '+', '-', '@'),
      name: fc.oneof(fc.constantFrom(...PLACE_RESERVED_NAMES), plainName),
      value: fc.oneof(bytesArb(70), fc.constantFrom(String(TIME), '0', '01', '9007199254740992'))
    }) as fc.Arbitrary<ModifierSpec>
    fc.assert(fc.property(fc.array(lineArb, { maxLength: 12 }), fc.option(fc.string({ maxLength: 20 }), { nil: undefined }), (entity, data) => {
      let b: Uint8Array
      try { b = craft(entity, data === undefined ? { method: '_converse' } : { method: '_converse', data }) } catch { return }
      try {
        const m = decodePlaceMessage(b)
        assert.deepStrictEqual(encodePlaceMessage(m), b)
      } catch (e) { assert.ok(isSecushareError(e), String(e)) }
    }), { numRuns: 1000 })
  })
})

function concat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}
