import assert from 'node:assert/strict'
import { join } from 'node:path'
import { sealEnvelope } from '../core/crypto/envelope-seal.js'
import { loadSodium, type Sodium } from '../core/crypto/sodium.js'
import { signPlaceMessage } from '../core/places/author.js'
import { sequence } from '../core/places/host.js'
import { check, MAX_ID_AHEAD, precheck, store as storeAccepted, WRAPPER_METHOD } from '../core/places/receive.js'
import type { MemberRecord, PlaceRecord } from '../core/places/records.js'
import { Store } from '../core/store/lmdb.js'
import { ENVELOPE_KIND } from '../protocol/envelope.js'
import { isSecushareError } from '../protocol/errors.js'
import { MAX_ENVELOPE_BYTES, MAX_FRAME_BYTES, MAX_PACKET_BYTES, MAX_POST_TEXT_BYTES } from '../protocol/limits.js'
import { encodePlaceMessage, type PlaceMessage } from '../protocol/place-message.js'
import { decodeWire, encodeWire, wireBytes } from '../protocol/place-wire.js'
import { tempDir } from './support/tmp.js'

/** Every rule by which a place message from a peer is dropped, one test each (in-process, no network). */
describe('places: hostile input is dropped, never stored or forwarded', () => {
  const dir = tempDir()
  let sodium: Sodium
  let db: Store
  const place: { publicKey: Uint8Array, secretKey: Uint8Array } = { publicKey: new Uint8Array(), secretKey: new Uint8Array() }
  const host = { publicKey: new Uint8Array(), secretKey: new Uint8Array() }
  const bob = { publicKey: new Uint8Array(), secretKey: new Uint8Array() }
  const carol = { publicKey: new Uint8Array(), secretKey: new Uint8Array() }
  const epoch = new Uint8Array(32).fill(5)
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
  let record: PlaceRecord

  type Keys = { publicKey: Uint8Array, secretKey: Uint8Array }
  const message = (author: Keys, text: string, signer: Keys = author): PlaceMessage =>
    signPlaceMessage(sodium, place.publicKey, { method: '_converse', author: author.publicKey, talkId: sodium.randomBytes(16), time: 1, text }, signer.secretKey)
  const envelope = (m: PlaceMessage | Uint8Array, id: number, opts: { generation?: number, placeSecret?: Uint8Array, key?: Uint8Array } = {}): Uint8Array =>
    sealEnvelope(sodium, {
      kind: ENVELOPE_KIND.PLACE_MESSAGE, placeSecretKey: opts.placeSecret ?? place.secretKey, messageId: id, generation: opts.generation ?? 1, epochKey: opts.key ?? epoch,
      plaintext: encodeWire(WRAPPER_METHOD, { _state_prev: 0, _packet: m instanceof Uint8Array ? m : encodePlaceMessage(m) })
    })

  before(async () => {
    sodium = await loadSodium()
    Object.assign(place, sodium.signKeypair())
    Object.assign(host, sodium.signKeypair())
    Object.assign(bob, sodium.signKeypair())
    Object.assign(carol, sodium.signKeypair())
    db = await Store.create(join(dir, 'store.lmdb'))
    record = {
      v: 1, id: hex(place.publicKey), name: 'garden', role: 'host', self: hex(host.publicKey), hostEgo: hex(host.publicKey), hostPeer: 'me', history: 'all',
      generation: 1, head: 0, contiguous: 0, lastStateful: 0, sinceId: 1, readUpTo: 0, closed: false, left: false, created: 0
    }
    await db.write((tx) => {
      tx.put('places', record.id, record)
      tx.put('epochs', [record.id, 1], epoch)
      tx.put('members', [record.id, hex(bob.publicKey)], { v: 1, ego: hex(bob.publicKey), peerId: 'bob', status: 'member', sinceId: 1, joined: 0 } satisfies MemberRecord)
    })
  })
  after(async () => { await db.close() })

  const verdict = (bytes: Uint8Array): string => {
    const r = check(sodium, db, db.get<PlaceRecord>('places', record.id)!, bytes)
    return typeof r === 'string' ? r : 'accepted'
  }

  it('accepts a well-formed message (the baseline the rules below break)', () => {
    assert.equal(verdict(envelope(message(bob, 'hi'), 1)), 'accepted')
  })

  it('drops an envelope not signed by the host (place) key', () => {
    const other = sodium.signKeypair()
    const forged = envelope(message(bob, 'hi'), 1, { placeSecret: other.secretKey })
    // same layout, but claims our place id: splice our place id in, keeping the foreign signature
    const bytes = Buffer.from(forged)
    bytes.set(place.publicKey, 2)
    assert.equal(verdict(bytes), 'bad-host-signature')
    assert.equal(verdict(forged), 'wrong-place')
  })

  it('drops a message whose author signature does not verify', () => {
    const m = message(bob, 'hi')
    m.signature = new Uint8Array(m.signature)
    m.signature[0]! ^= 1
    assert.equal(verdict(envelope(m, 1)), 'bad-author-signature')
  })

  it('drops a member forging another author (signed with the wrong ego key)', () => {
    assert.throws(() => message(carol, 'I am carol', bob), (e: unknown) => isSecushareError(e, 'BAD_KEY'))
    const m = message(carol, 'I am carol')
    const forged = { ...m, signature: sodium.sign(new Uint8Array(64), bob.secretKey) }
    assert.equal(verdict(envelope(forged, 1)), 'bad-author-signature')
  })

  it('drops a generation whose key this node does not have', () => {
    assert.equal(verdict(envelope(message(bob, 'hi'), 1, { generation: 2, key: new Uint8Array(32).fill(9) })), 'no-key')
  })

  it('drops a duplicate or replayed id, and an envelope of another place', async () => {
    const first = check(sodium, db, db.get<PlaceRecord>('places', record.id)!, envelope(message(bob, 'one'), 1))
    assert.ok(typeof first !== 'string')
    await db.write((tx) => { storeAccepted(tx, tx.get<PlaceRecord>('places', record.id)!, first) })
    assert.equal(verdict(envelope(message(bob, 'other text, same id'), 1)), 'duplicate')
    const elsewhere = sodium.signKeypair()
    assert.equal(verdict(envelope(message(bob, 'hi'), 2, { placeSecret: elsewhere.secretKey })), 'wrong-place')
  })

  it(`drops an id more than MAX_ID_AHEAD (${MAX_ID_AHEAD}) beyond the head; accepts one at it`, () => {
    const head = db.get<PlaceRecord>('places', record.id)!.head
    assert.equal(verdict(envelope(message(bob, 'far'), head + MAX_ID_AHEAD)), 'accepted')
    assert.equal(verdict(envelope(message(bob, 'too far'), head + MAX_ID_AHEAD + 1)), 'too-far-ahead')
  })

  it('drops oversized and malformed frames before any crypto', () => {
    assert.equal(precheck(sodium, db, record, new Uint8Array(MAX_ENVELOPE_BYTES + 1)), 'malformed')
    assert.equal(precheck(sodium, db, record, new Uint8Array(10)), 'malformed')
    assert.equal(verdict(envelope(new TextEncoder().encode('not a place message'), 2)), 'malformed')
  })

  it('the host refuses posts from non-members and from removed members', async () => {
    const stranger = sodium.signKeypair()
    await assert.rejects(sequence(sodium, db, place.secretKey, record.id, message(stranger, 'let me in')), (e: unknown) => isSecushareError(e, 'NOT_A_MEMBER'))
    const ok = await sequence(sodium, db, place.secretKey, record.id, message(bob, 'member post'))
    assert.ok(ok.id > 0)
    await db.write((tx) => { tx.remove('members', [record.id, hex(bob.publicKey)]) })
    await assert.rejects(sequence(sodium, db, place.secretKey, record.id, message(bob, 'after removal')), (e: unknown) => isSecushareError(e, 'NOT_A_MEMBER'))
  })

  it('the host refuses a forged author and state changes from guests; a retried post is sequenced once', async () => {
    await db.write((tx) => { tx.put('members', [record.id, hex(bob.publicKey)], { v: 1, ego: hex(bob.publicKey), peerId: 'bob', status: 'member', sinceId: 1, joined: 0 } satisfies MemberRecord) })
    const m = message(bob, 'hi')
    const forged = { ...m, text: 'changed after signing' }
    await assert.rejects(sequence(sodium, db, place.secretKey, record.id, forged), (e: unknown) => isSecushareError(e, 'PLACE_REFUSED'))
    const stateful = signPlaceMessage(sodium, place.publicKey, { method: '_notice_set', author: bob.publicKey, talkId: sodium.randomBytes(16), time: 1, state: [{ op: '=', name: '_topic', value: new TextEncoder().encode('mine') }] }, bob.secretKey)
    await assert.rejects(sequence(sodium, db, place.secretKey, record.id, stateful), (e: unknown) => isSecushareError(e, 'PLACE_REFUSED'))
    const a = await sequence(sodium, db, place.secretKey, record.id, m)
    const b = await sequence(sodium, db, place.secretKey, record.id, m)
    assert.equal(b.id, a.id)
    assert.equal(b.duplicate, true)
  })

  it('an envelope of the largest padding bucket fits a place-protocol frame (replay); one byte over MAX_FRAME_BYTES does not', () => {
    const big = envelope(message(bob, 'x'.repeat(MAX_POST_TEXT_BYTES)), 1)
    assert.ok(big.length > MAX_PACKET_BYTES, `a ${big.length}-byte envelope`)
    const frame = encodeWire('_notice_place_replay', { _envelope: big })
    assert.deepEqual(wireBytes(decodeWire(frame), '_envelope'), big)
    const overhead = encodeWire('_notice_place_replay', { _envelope: new Uint8Array(60_000) }).length - 60_000
    const atLimit = encodeWire('_notice_place_replay', { _envelope: new Uint8Array(MAX_FRAME_BYTES - overhead) })
    assert.equal(atLimit.length, MAX_FRAME_BYTES)
    assert.equal(decodeWire(atLimit).method, '_notice_place_replay')
    assert.throws(() => encodeWire('_notice_place_replay', { _envelope: new Uint8Array(MAX_FRAME_BYTES - overhead + 1) }), (e: unknown) => isSecushareError(e, 'LIMIT_EXCEEDED'))
    const over = new Uint8Array(MAX_FRAME_BYTES + 1)
    over.set(atLimit)
    assert.throws(() => decodeWire(over), (e: unknown) => isSecushareError(e, 'LIMIT_EXCEEDED'))
  })
})
