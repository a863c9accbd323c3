/**
 * Fuzzes the packet codec with over a million frames. Invariants for every frame: decoding
 * either raises a SecushareError with a known code (LIMIT_EXCEEDED naming a constant in
 * limits.ts) or returns a packet that re-encodes to the same bytes. Structured packets from
 * fast-check must also survive encode → decode → encode unchanged, and every proper prefix of
 * their encoding must be refused as truncated.
 *
 * The mutation loop is deterministic given its seed: set PACKET_FUZZ_SEED to replay a failure
 * (the seed is printed with every run and in every failure).
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { ERROR_CODES, SecushareError } from '../protocol/errors.js'
import * as limits from '../protocol/limits.js'
import { isDictName, isListName, parseDict, parseList, type DictEntry, type ListElement } from '../protocol/list.js'
import { nameLabels } from '../protocol/method.js'
import {
  dataNeedsLength, decodePacket, encodePacket, type EntityLine, type Modifier, type Operator, type Packet
} from '../protocol/packet.js'
import { CORPUS_DIR, packetToVector, VECTORS_PATH, type VectorFile } from './support/gen-packet-vectors.js'
import { prng } from './support/prng.js'

const RANDOM_FRAMES = 250_000
const MUTATION_FRAMES = 800_000
const STRUCTURED_RUNS = 40_000

/** Throws unless decoding `bytes` is a clean refusal or a byte-exact round trip. */
function checkFrame (bytes: Uint8Array): 'decoded' | 'refused' {
  let p: Packet
  try {
    p = decodePacket(bytes)
  } catch (e) {
    if (!(e instanceof SecushareError)) throw new Error(`not a SecushareError: ${String(e)}`)
    if (!(e.code in ERROR_CODES)) throw new Error(`unknown code ${e.code}`)
    if (e.code === 'LIMIT_EXCEEDED' && !(String(e.detail.limit) in limits)) throw new Error(`unknown limit ${String(e.detail.limit)}`)
    return 'refused'
  }
  const again = encodePacket(p)
  if (Buffer.compare(again, bytes) !== 0) throw new Error('decoded, but re-encodes differently')
  return 'decoded'
}

function hexOf (b: Uint8Array): string {
  return Buffer.from(b).toString('hex')
}

/** Bytes that matter to the grammar, so random frames get past the first byte. */
const ALPHABET = Buffer.from(':=+-@?_|\n\t 0123456789{}abcXYZ_list_dict')

function seeds (): Uint8Array[] {
  const file = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as VectorFile
  const out = [...file.valid, ...file.invalid].map(v => new Uint8Array(Buffer.from(v.hex, 'hex')))
  for (const dir of ['test-packets', 'bench-packets']) {
    for (const f of readdirSync(join(CORPUS_DIR, dir)).filter(f => f.endsWith('.psyc'))) {
      out.push(new Uint8Array(readFileSync(join(CORPUS_DIR, dir, f))))
    }
  }
  return out.filter(b => b.length <= 2048)
}

function mutate (src: Uint8Array, pool: Uint8Array[], rnd: () => number): Uint8Array {
  let b = src
  const steps = 1 + Math.floor(rnd() * 3)
  for (let s = 0; s < steps; s++) {
    const at = Math.floor(rnd() * (b.length + 1))
    switch (Math.floor(rnd() * 7)) {
      case 0: { // bit flip
        if (b.length === 0) break
        b = b.slice()
        const i = Math.min(at, b.length - 1)
        b[i] = b[i]! ^ (1 << Math.floor(rnd() * 8))
        break
      }
      case 1: { // set a grammar byte
        if (b.length === 0) break
        b = b.slice()
        b[Math.min(at, b.length - 1)] = ALPHABET[Math.floor(rnd() * ALPHABET.length)]!
        break
      }
      case 2: { // insert a byte
        const c = rnd() < 0.5 ? ALPHABET[Math.floor(rnd() * ALPHABET.length)]! : Math.floor(rnd() * 256)
        b = Buffer.concat([b.subarray(0, at), Uint8Array.of(c), b.subarray(at)])
        break
      }
      case 3: // delete a run
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + Math.floor(rnd() * 4))])
        break
      case 4: // truncate
        b = b.subarray(0, at)
        break
      case 5: { // splice in a piece of another packet
        const o = pool[Math.floor(rnd() * pool.length)]!
        const from = Math.floor(rnd() * (o.length + 1))
        const piece = o.subarray(from, from + Math.floor(rnd() * 32))
        b = Buffer.concat([b.subarray(0, at), piece, b.subarray(at + Math.floor(rnd() * 8))])
        break
      }
      default: { // change a digit (lengths are where codecs break)
        const digits: number[] = []
        for (let i = 0; i < b.length; i++) if (b[i]! >= 0x30 && b[i]! <= 0x39) digits.push(i)
        if (digits.length === 0) break
        b = b.slice()
        b[digits[Math.floor(rnd() * digits.length)]!] = 0x30 + Math.floor(rnd() * 10)
      }
    }
  }
  return new Uint8Array(b)
}

// ---- structured packets ----

const op = fc.constantFrom<Operator>(':', '=', '+', '-', '@', '?')
const keyword = fc.array(fc.constantFrom(...'_abcmXZ09'), { minLength: 1, maxLength: 24 }).map(a => a.join(''))
const longKeyword = fc.integer({ min: 1, max: 63 }).map(n => '_' + 'k'.repeat(n))
const name = fc.oneof({ weight: 9, arbitrary: keyword }, { weight: 1, arbitrary: longKeyword })
  .filter(n => !isListName(n) && !isDictName(n) && nameLabels(n) <= limits.MAX_NAME_LABELS)
/** Byte strings rich in LF, "|" and the terminator. */
const tricky = fc.array(fc.oneof(
  fc.constantFrom('\n', '|', '\n|\n', '|\n', '\n|', '\t', ' ', '{', '}', '\0', 'é', '🐢'),
  fc.string({ maxLength: 6 })
), { maxLength: 12 }).map(parts => new Uint8Array(Buffer.from(parts.join(''))))
const anyBytes = fc.oneof(tricky, fc.uint8Array({ maxLength: 64 }))
const plainValue = fc.oneof(
  anyBytes.map(v => v.map(c => c === 0x0a ? 0x20 : c)),
  fc.integer({ min: 250, max: limits.MAX_PLAIN_VALUE_BYTES }).map(n => new Uint8Array(n).fill(0x76))
)

/** A list or dict rendered by this test, with the elements it must parse back to. */
interface Typed { name: string, value: Uint8Array, elems: Array<{ type?: string, key?: string, value: string }> }
const elemValue = fc.string({ maxLength: 8 })
const typedValue: fc.Arbitrary<Typed> = fc.oneof(
  fc.array(fc.record({ type: fc.option(keyword, { nil: undefined }), value: elemValue, sized: fc.boolean() }), { maxLength: 6 })
    .map(elems => {
      const text = elems.map(e => {
        const v = Buffer.from(e.value)
        const sized = e.sized || e.value.includes('|')
        const head = e.type === undefined ? (sized ? `${v.length}` : '') : `=${e.type}${sized ? `:${v.length}` : ''}`
        return `|${head} ${e.value}`
      }).join('')
      return { name: '_list_f', value: new Uint8Array(Buffer.from(text)), elems: elems.map(e => e.type === undefined ? { value: e.value } : { type: e.type, value: e.value }) }
    }),
  fc.array(fc.record({ key: fc.string({ maxLength: 6 }), type: fc.option(keyword, { nil: undefined }), value: elemValue }), { maxLength: 6 })
    .map(elems => {
      const text = elems.map(e => {
        const k = Buffer.from(e.key)
        const v = Buffer.from(e.value)
        const head = e.type === undefined ? `${v.length}` : `=${e.type}:${v.length}`
        return `{${k.length} ${e.key}}${head} ${e.value}`
      }).join('')
      return {
        name: '_dict_f',
        value: new Uint8Array(Buffer.from(text)),
        elems: elems.map(e => e.type === undefined ? { key: e.key, value: e.value } : { key: e.key, type: e.type, value: e.value })
      }
    })
)

const routingModifier: fc.Arbitrary<Modifier> = fc.record({ op, name, value: plainValue, binary: fc.constant(false) })
const entityModifier: fc.Arbitrary<Modifier> = fc.oneof(
  routingModifier,
  fc.record({ op, name, value: anyBytes, binary: fc.constant(true) }),
  fc.record({ op, typed: typedValue, binary: fc.boolean() })
    .map(({ op, typed, binary }) => ({ op, name: typed.name, value: typed.value, binary: binary || typed.value.includes(0x0a) || typed.value.length > limits.MAX_PLAIN_VALUE_BYTES }))
)

const structuredPacket: fc.Arbitrary<Packet> = fc.record({
  routing: fc.array(routingModifier, { maxLength: limits.MAX_ROUTING_MODIFIERS }),
  content: fc.option(fc.record({
    withLength: fc.boolean(),
    sync: fc.option(fc.constantFrom<'=' | '?'>('=', '?'), { nil: undefined }),
    mods: fc.array(entityModifier, { maxLength: 8 }),
    method: fc.option(name, { nil: null }),
    data: fc.option(anyBytes, { nil: null })
  }), { nil: null })
}).map(({ routing, content }): Packet => {
  if (content === null) return { routing, content: null }
  const entity: EntityLine[] = content.sync === undefined ? content.mods : [{ op: content.sync, lone: true }, ...content.mods]
  const data = content.method === null || content.data === null || content.data.length === 0 ? null : content.data
  const withLength = content.withLength || (data !== null && dataNeedsLength(data))
  return { routing, content: { withLength, entity, method: content.method, data } }
})

describe('packet fuzz', function () {
  this.timeout(300_000)
  let frames = 0

  after(() => { console.log(`      packet fuzz: ${frames} frames in total`) })

  it('survives random frames and mutations of valid packets', () => {
    const seed = Number(process.env.PACKET_FUZZ_SEED ?? (Date.now() >>> 0))
    const rnd = prng(seed)
    const pool = seeds()
    assert.ok(pool.length > 200, `only ${pool.length} seed packets`)
    const started = performance.now()
    const counts = { decoded: 0, refused: 0 }
    let frame: Uint8Array = new Uint8Array(0)
    try {
      for (let i = 0; i < RANDOM_FRAMES; i++) {
        const n = Math.floor(rnd() * 48)
        frame = new Uint8Array(n)
        const grammar = rnd() < 0.8
        for (let j = 0; j < n; j++) frame[j] = grammar ? ALPHABET[Math.floor(rnd() * ALPHABET.length)]! : Math.floor(rnd() * 256)
        counts[checkFrame(frame)]++
      }
      for (let i = 0; i < MUTATION_FRAMES; i++) {
        frame = mutate(pool[Math.floor(rnd() * pool.length)]!, pool, rnd)
        counts[checkFrame(frame)]++
      }
    } catch (e) {
      assert.fail(`seed ${seed}: ${(e as Error).message} for frame ${hexOf(frame)}`)
    }
    const ms = performance.now() - started
    frames += RANDOM_FRAMES + MUTATION_FRAMES
    console.log(`      seed ${seed}: ${RANDOM_FRAMES + MUTATION_FRAMES} random and mutated frames in ${ms.toFixed(0)} ms` +
      ` (${counts.decoded} decoded, ${counts.refused} refused)`)
    assert.ok(counts.decoded > 10_000, 'the mutations should still leave many valid packets')
  })

  it('round-trips structured packets and refuses their prefixes as truncated', () => {
    const started = performance.now()
    let decodes = 0
    fc.assert(fc.property(structuredPacket, fc.nat(), (p, cut) => {
      const bytes = encodePacket(p)
      const back = decodePacket(bytes)
      assert.deepEqual(packetToVector(back), packetToVector(p))
      assert.equal(Buffer.compare(encodePacket(back), bytes), 0)
      const prefix = bytes.subarray(0, cut % bytes.length)
      assert.throws(() => decodePacket(prefix), (e: unknown) => e instanceof SecushareError && e.code === 'PACKET_TRUNCATED')
      decodes += 2
    }), { numRuns: STRUCTURED_RUNS })
    frames += decodes
    console.log(`      ${STRUCTURED_RUNS} structured packets (${decodes} frames) in ${(performance.now() - started).toFixed(0)} ms`)
  })

  it('parses generated lists and dicts back to their elements', () => {
    fc.assert(fc.property(typedValue, t => {
      const parsed = t.name === '_list_f' ? parseList(t.value) : parseDict(t.value)
      assert.equal(parsed.truncated, false)
      const items: Array<ListElement | DictEntry> = parsed.items
      const got = items.map(i => {
        const e: { type?: string, key?: string, value: string } = { value: Buffer.from(i.value).toString() }
        if ('key' in i) e.key = Buffer.from(i.key).toString()
        if (i.type !== undefined) e.type = i.type
        return e
      })
      assert.deepEqual(got, t.elems)
      frames++
    }), { numRuns: 5_000 })
  })
})
