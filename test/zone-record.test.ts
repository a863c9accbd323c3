import assert from 'node:assert/strict'
import { loadSodium, type Sodium } from '../core/crypto/sodium.js'
import { openBlock, sealBlock } from '../core/names/block.js'
import { nameLabels } from '../core/names/resolver.js'
import { isSecushareError } from '../protocol/errors.js'
import { decodeIntroduction, encodeIntroduction, introductionSignedBytes } from '../protocol/introduction.js'
import { MAX_INTRODUCTION_BYTES, MAX_NAME_DEPTH, MAX_NAMES_WIRE_BYTES, MAX_ZONE_ADDRS, MAX_ZONE_BLOCK_BYTES, MAX_ZONE_RECORDS, MAX_ZONE_VALUE_BYTES } from '../protocol/limits.js'
import { decodeNames } from '../protocol/names-wire.js'
import {
  BLOCK_OVERHEAD_BYTES, decodeBlock, decodePlaceValue, decodeRecordSet, encodePlaceValue, encodeRecordSet, type ZoneRecord
} from '../protocol/zone-record.js'

const limit = (name: string) => (e: unknown): boolean => isSecushareError(e, 'LIMIT_EXCEEDED') && e.detail.limit === name
const nick = (s: string): ZoneRecord => ({ type: 'NICK', value: new TextEncoder().encode(s), expires: 0, private: false })

/** A record set with one PEER record whose value is exactly `n` bytes (a long address). */
function peerValue (n: number): Uint8Array {
  const head = Buffer.concat([Buffer.from([4]), Buffer.from('peer'), Buffer.from([2])])
  const first = 255
  const second = n - head.length - 2 - first
  return Buffer.concat([head, Buffer.from([first]), Buffer.alloc(first, 0x61), Buffer.from([second]), Buffer.alloc(second, 0x62)])
}

describe('zone records, blocks and introductions: encoding and limits', () => {
  let sodium: Sodium
  before(async () => { sodium = await loadSodium() })

  it('a record set round-trips; private records and unknown flags are refused', () => {
    const place = new Uint8Array(encodePlaceValue({ place: new Uint8Array(32).fill(7), peerId: 'P', addrs: ['/ip4/127.0.0.1/tcp/1'], relays: ['R'] }))
    const set: ZoneRecord[] = [{ type: 'PKEY', value: new Uint8Array(32).fill(1), expires: 5, private: false }, { type: 'PLACE', value: place, expires: 0, private: false }]
    assert.deepEqual(decodeRecordSet(encodeRecordSet(set)), set)
    assert.deepEqual(decodePlaceValue(place).relays, ['R'])
    assert.throws(() => encodeRecordSet([{ ...nick('x'), private: true }]), (e: unknown) => isSecushareError(e, 'INVALID_ARGUMENT'))
    const bytes = Buffer.from(encodeRecordSet([nick('x')]))
    bytes[3] = 1 // the flags byte: PRIVATE
    assert.throws(() => decodeRecordSet(bytes), (e: unknown) => isSecushareError(e, 'ZONE_RECORD_INVALID'))
    assert.throws(() => decodeRecordSet(Buffer.concat([encodeRecordSet([nick('x')]), Buffer.from([0])])), (e: unknown) => isSecushareError(e, 'ZONE_RECORD_INVALID'))
  })

  it(`MAX_ZONE_RECORDS (${MAX_ZONE_RECORDS}) at the limit and one past it`, () => {
    const at = encodeRecordSet(Array.from({ length: MAX_ZONE_RECORDS }, () => nick('x')))
    assert.equal(decodeRecordSet(at).length, MAX_ZONE_RECORDS)
    assert.throws(() => encodeRecordSet(Array.from({ length: MAX_ZONE_RECORDS + 1 }, () => nick('x'))), limit('MAX_ZONE_RECORDS'))
    const past = Buffer.concat([Buffer.from([1, MAX_ZONE_RECORDS + 1]), at.subarray(2), at.subarray(2, 2 + (at.length - 2) / MAX_ZONE_RECORDS)])
    assert.throws(() => decodeRecordSet(past), limit('MAX_ZONE_RECORDS'))
  })

  it(`MAX_ZONE_VALUE_BYTES (${MAX_ZONE_VALUE_BYTES}) at the limit and one past it`, () => {
    const at: ZoneRecord = { type: 'PEER', value: peerValue(MAX_ZONE_VALUE_BYTES), expires: 0, private: false }
    assert.equal(decodeRecordSet(encodeRecordSet([at]))[0]!.value.length, MAX_ZONE_VALUE_BYTES)
    assert.throws(() => encodeRecordSet([{ ...at, value: peerValue(MAX_ZONE_VALUE_BYTES + 1) }]), limit('MAX_ZONE_VALUE_BYTES'))
    const bytes = Buffer.from(encodeRecordSet([at]))
    bytes.writeUInt16BE(MAX_ZONE_VALUE_BYTES + 1, 12)
    assert.throws(() => decodeRecordSet(Buffer.concat([bytes, Buffer.from([0])])), limit('MAX_ZONE_VALUE_BYTES'))
  })

  it(`MAX_ZONE_ADDRS (${MAX_ZONE_ADDRS}) at the limit and one past it`, () => {
    const v = { place: new Uint8Array(32), peerId: 'P', relays: [] as string[] }
    const addrs = (n: number): string[] => Array.from({ length: n }, (_, i) => `/ip4/127.0.0.1/tcp/${i + 1}`)
    assert.equal(decodePlaceValue(encodePlaceValue({ ...v, addrs: addrs(MAX_ZONE_ADDRS) })).addrs.length, MAX_ZONE_ADDRS)
    assert.throws(() => encodePlaceValue({ ...v, addrs: addrs(MAX_ZONE_ADDRS + 1) }), limit('MAX_ZONE_ADDRS'))
    const bytes = Buffer.from(encodePlaceValue({ ...v, addrs: addrs(MAX_ZONE_ADDRS) }))
    bytes[32 + 2] = MAX_ZONE_ADDRS + 1 // the address count after the 32-byte key and the 1-byte peer id "P"
    assert.throws(() => decodePlaceValue(bytes), limit('MAX_ZONE_ADDRS'))
  })

  it(`MAX_ZONE_BLOCK_BYTES (${MAX_ZONE_BLOCK_BYTES}): a block of exactly the limit decodes, one byte more is refused`, () => {
    const zone = sodium.signKeypair()
    const block = Buffer.from(sealBlock(sodium, zone, 'x', [nick('x')], Date.now() + 1000))
    const ctLen = MAX_ZONE_BLOCK_BYTES - BLOCK_OVERHEAD_BYTES
    const head = block.subarray(0, 1 + 32 + 32 + 8 + 24)
    const at = Buffer.concat([head, Buffer.from([ctLen >> 8, ctLen & 0xff]), Buffer.alloc(ctLen), Buffer.alloc(64)])
    assert.equal(at.length, MAX_ZONE_BLOCK_BYTES)
    assert.equal(decodeBlock(at).ciphertext.length, ctLen)
    assert.throws(() => decodeBlock(Buffer.concat([at, Buffer.from([0])])), limit('MAX_ZONE_BLOCK_BYTES'))
  })

  it('a sealed block opens only for its zone and label, unexpired and untouched', () => {
    const zone = sodium.signKeypair()
    const now = Date.now()
    const block = sealBlock(sodium, zone, 'carol', [nick('C')], now + 1000)
    assert.deepEqual(openBlock(sodium, block, zone.publicKey, 'carol', now).records, [nick('C')])
    const code = (f: () => unknown): string => { try { f(); return 'ok' } catch (e) { return (e as { code: string }).code } }
    assert.equal(code(() => openBlock(sodium, block, zone.publicKey, 'dave', now)), 'ZONE_RECORD_INVALID')
    assert.equal(code(() => openBlock(sodium, block, sodium.signKeypair().publicKey, 'carol', now)), 'ZONE_WRONG_KEY')
    assert.equal(code(() => openBlock(sodium, block, zone.publicKey, 'carol', now + 1000)), 'ZONE_RECORD_EXPIRED')
    const t = Buffer.from(block)
    t[t.length - 70] = t[t.length - 70]! ^ 1
    assert.equal(code(() => openBlock(sodium, t, zone.publicKey, 'carol', now)), 'ZONE_RECORD_INVALID')
    const expiring = sealBlock(sodium, zone, 'carol', [{ ...nick('C'), expires: now - 1 }], now + 1000)
    assert.equal(code(() => openBlock(sodium, expiring, zone.publicKey, 'carol', now)), 'ZONE_RECORD_EXPIRED')
  })

  it(`MAX_NAME_DEPTH (${MAX_NAME_DEPTH}) labels at the limit and one past it`, () => {
    assert.equal(nameLabels(Array.from({ length: MAX_NAME_DEPTH }, () => 'a').join('.')).length, MAX_NAME_DEPTH)
    assert.throws(() => nameLabels(Array.from({ length: MAX_NAME_DEPTH + 1 }, () => 'a').join('.')), limit('MAX_NAME_DEPTH'))
  })

  it(`MAX_INTRODUCTION_BYTES (${MAX_INTRODUCTION_BYTES}) and MAX_NAMES_WIRE_BYTES (${MAX_NAMES_WIRE_BYTES}): one past is refused before parsing`, () => {
    const intro = { id: new Uint8Array(16), introducer: new Uint8Array(32), recipient: new Uint8Array(32), subject: new Uint8Array(32), time: 1, nick: 'dave', peerId: 'P', addrs: ['/ip4/127.0.0.1/tcp/1'] }
    const enc = encodeIntroduction(introductionSignedBytes(intro), new Uint8Array(64))
    assert.deepEqual(decodeIntroduction(enc).intro, intro)
    assert.throws(() => decodeIntroduction(new Uint8Array(MAX_INTRODUCTION_BYTES + 1)), limit('MAX_INTRODUCTION_BYTES'))
    assert.throws(() => decodeIntroduction(new Uint8Array(MAX_INTRODUCTION_BYTES)), (e: unknown) => isSecushareError(e, 'INTRODUCTION_INVALID'))
    assert.throws(() => decodeNames(new Uint8Array(MAX_NAMES_WIRE_BYTES + 1)), limit('MAX_NAMES_WIRE_BYTES'))
    assert.throws(() => decodeNames(new Uint8Array(MAX_NAMES_WIRE_BYTES)), (e: unknown) => isSecushareError(e, 'NAMES_WIRE_INVALID'))
  })
})
