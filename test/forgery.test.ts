/**
 * Forgery (test plan T3): for each signed kind, a valid signed object is mutated, one bit or one
 * byte at a time (every single-bit flip first, then seeded random byte substitutions and bit
 * flips), FORGERY_MUTANTS times. Pass: 0 mutants accepted, every refusal a SecushareError with
 * one of the kind's codes. Plus key confusion: a valid signature checked under another label, for
 * another place, or against an all-zero key is refused. Replay a failure with SECUSHARE_SEED.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { signLabelled, verifyLabelled } from '../core/crypto/labels.js'
import { openEnvelope, sealEnvelope } from '../core/crypto/envelope-seal.js'
import { loadSodium, type Sodium } from '../core/crypto/sodium.js'
import { createEgo } from '../core/identity/ego.js'
import { sealBlock, openBlock } from '../core/names/block.js'
import type { NetNode } from '../core/net/node.js'
import { signPlaceMessage, verifyPlaceMessage } from '../core/places/author.js'
import { Entries, type EntriesContext } from '../core/places/entries.js'
import type { PlaceRecord } from '../core/places/records.js'
import { Store } from '../core/store/lmdb.js'
import { ENVELOPE_KIND } from '../protocol/envelope.js'
import { isSecushareError, SecushareError, type ErrorCode } from '../protocol/errors.js'
import { decodeIntroduction, encodeIntroduction, introductionSignedBytes } from '../protocol/introduction.js'
import { LABEL } from '../protocol/labels.js'
import { decodePlaceMessage, encodePlaceMessage } from '../protocol/place-message.js'
import { decodeWire, encodeWire, wireBytes } from '../protocol/place-wire.js'
import { entrySigningBytes } from '../protocol/place-entry.js'
import { prng } from './support/prng.js'
import { runSeed, soak } from './support/seed.js'
import { tempDir } from './support/tmp.js'

const FORGERY_MUTANTS = soak(10_000, 200_000)
const PEER = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'

/** Yields `count` distinct-from-the-original mutants of `bytes`: every bit flip, then random ones. */
function * mutants (bytes: Uint8Array, count: number, rnd: () => number): Generator<Uint8Array> {
  let made = 0
  for (let bit = 0; bit < bytes.length * 8 && made < count; bit++, made++) {
    const m = new Uint8Array(bytes)
    m[bit >> 3]! ^= 1 << (bit & 7)
    yield m
  }
  while (made < count) {
    const m = new Uint8Array(bytes)
    const at = Math.floor(rnd() * m.length)
    if (rnd() < 0.5) m[at]! ^= 1 << Math.floor(rnd() * 8)
    else m[at] = (m[at]! + 1 + Math.floor(rnd() * 255)) & 0xff
    made++
    yield m
  }
}

/** Runs every mutant through `accepts`; asserts none is accepted and every refusal is typed. */
async function attack (kind: string, seed: number, original: Uint8Array, codes: ErrorCode[], accepts: (m: Uint8Array) => boolean | Promise<boolean>): Promise<void> {
  assert.ok(await accepts(original), `${kind}: the original must be accepted (else the test proves nothing)`)
  const rnd = prng(seed)
  const tally = new Map<string, number>()
  for (const m of mutants(original, FORGERY_MUTANTS, rnd)) {
    let ok: boolean
    try {
      ok = await accepts(m)
      if (!ok) tally.set('refused', (tally.get('refused') ?? 0) + 1)
    } catch (e) {
      if (!isSecushareError(e) || !codes.includes(e.code)) assert.fail(`seed ${seed}: ${kind} mutant ${Buffer.from(m).toString('hex')} raised ${String(e)}`)
      ok = false
      tally.set(e.code, (tally.get(e.code) ?? 0) + 1)
    }
    assert.equal(ok, false, `seed ${seed}: ${kind} mutant accepted: ${Buffer.from(m).toString('hex')}`)
  }
  console.log(`      ${kind}: ${FORGERY_MUTANTS} mutants of ${original.length} bytes refused (${[...tally].map(([k, n]) => `${k} ${n}`).join(', ')})`)
}

describe('forgery: single-bit and single-byte mutants of every signed kind', function () {
  this.timeout(soak(120_000, 3_600_000))
  let sodium: Sodium
  let seed = 0
  before(async () => { sodium = await loadSodium(); seed = runSeed('forgery') })

  it(`envelopes (host signature): ${FORGERY_MUTANTS} mutants refused`, async () => {
    const place = sodium.signKeypair()
    const epochKey = sodium.randomBytes(32)
    const env = sealEnvelope(sodium, { kind: ENVELOPE_KIND.PLACE_MESSAGE, placeSecretKey: place.secretKey, messageId: 7, generation: 3, epochKey, plaintext: new TextEncoder().encode('hello') })
    await attack('envelope', seed, env, ['ENVELOPE_MALFORMED', 'ENVELOPE_BAD_VERSION', 'ENVELOPE_BAD_KIND', 'ENVELOPE_BAD_SIGNATURE', 'PADDING_INVALID', 'DECRYPT_FAILED', 'NOT_FOUND', 'LIMIT_EXCEEDED'],
      (m) => { openEnvelope(sodium, m, (g) => g === 3 ? epochKey : undefined); return true })
  })

  it(`place messages (author signature): ${FORGERY_MUTANTS} mutants refused; no other place, label or key`, async () => {
    const author = createEgo(sodium, 'author')
    const placeId = sodium.randomBytes(32)
    const msg = signPlaceMessage(sodium, placeId, { method: '_converse', author: author.publicKey, talkId: sodium.randomBytes(16), time: 1_700_000_000_000, replyTo: 3, thread: 2, text: 'a signed post' }, author.secretKey)
    const bytes = encodePlaceMessage(msg)
    await attack('place message', seed + 1, bytes, ['PLACE_MESSAGE_INVALID', 'LIMIT_EXCEEDED', 'INVALID_ARGUMENT'],
      (m) => verifyPlaceMessage(sodium, placeId, decodePlaceMessage(m)))
    assert.equal(verifyPlaceMessage(sodium, sodium.randomBytes(32), msg), false, 'replayed into another place')
    assert.equal(verifyPlaceMessage(sodium, placeId, { ...msg, author: new Uint8Array(32) }), false, 'all-zero key')
    const { signature: _s, ...unsigned } = msg
    const entrySig = signLabelled(sodium, LABEL.PLACE_ENTRY, encodePlaceMessage({ ...unsigned, signature: new Uint8Array(64) }), author.secretKey)
    assert.equal(verifyPlaceMessage(sodium, placeId, { ...msg, signature: entrySig }), false, 'signature under another label')
  })

  it(`entry requests (requester signature, through the host's handler): ${FORGERY_MUTANTS} mutants refused`, async () => {
    const store = await Store.create(join(tempDir(), 'host.lmdb'))
    const host = createEgo(sodium, 'host')
    const requester = createEgo(sodium, 'requester')
    const placeId = Buffer.from(sodium.randomBytes(32)).toString('hex')
    const place: PlaceRecord = {
      v: 1, id: placeId, name: 'p', role: 'host', self: host.id, hostEgo: host.id, hostPeer: PEER, history: 'all', generation: 1, head: 0,
      contiguous: 0, lastStateful: 0, sinceId: 1, readUpTo: 0, closed: false, left: false, created: 0
    }
    await store.write((tx) => { tx.put('places', placeId, place) })
    const unused = (): never => { throw new Error('not used by onRequest') }
    const ctx: EntriesContext = {
      sodium, db: store, net: {} as NetNode, contacts: {} as EntriesContext['contacts'], find: unused, self: unused, hostAddrs: unused, ask: unused,
      hosted: (id) => {
        const p = store.get<PlaceRecord>('places', id)
        if (p === undefined) throw new SecushareError('PLACE_NOT_FOUND', 'no such place here')
        return p
      },
      invite: async () => { unused() }
    }
    const entries = new Entries(ctx)
    const time = Date.now()
    const fields = { _place: Buffer.from(placeId, 'hex'), _ego: requester.publicKey, _time: time, _text: 'let me in', _addrs: '' }
    const signature = signLabelled(sodium, LABEL.PLACE_ENTRY, entrySigningBytes({ place: fields._place, ego: requester.publicKey, peerId: PEER, time, text: fields._text }), requester.secretKey)
    const frame = encodeWire('_request_place_entry', { ...fields, _signature: signature })
    const stored = (): number => store.count('entries')
    await attack('entry request', seed + 2, frame, ['PLACE_WIRE_INVALID', 'PLACE_REFUSED', 'PLACE_NOT_FOUND', 'LIMIT_EXCEEDED', 'PACKET_TRUNCATED', 'PACKET_BAD_OPERATOR', 'PACKET_BAD_NAME', 'PACKET_BAD_VALUE', 'PACKET_BAD_LENGTH', 'PACKET_BAD_METHOD', 'PACKET_BAD_END', 'PACKET_TRAILING_BYTES', 'PACKET_NONCANONICAL'],
      async (m) => {
        const req = decodeWire(m)
        if (req.method !== '_request_place_entry') return false
        const before = stored()
        await entries.onRequest(PEER, Buffer.from(wireBytes(req, '_place', 32)).toString('hex'), req)
        const accepted = stored() > before
        if (accepted) await store.write((tx) => { tx.remove('entries', [placeId, requester.id]) })
        return accepted
      })
    await store.close()
  })

  it(`zone record blocks (zone signature): ${FORGERY_MUTANTS} mutants refused`, async () => {
    const zone = sodium.signKeypair()
    const now = Date.now()
    const block = sealBlock(sodium, zone, 'garden', [{ type: 'NICK', value: new TextEncoder().encode('treasure'), expires: 0, private: false }], now + 3600_000)
    await attack('zone block', seed + 3, block, ['ZONE_RECORD_INVALID', 'ZONE_RECORD_EXPIRED', 'ZONE_WRONG_KEY', 'LIMIT_EXCEEDED'],
      (m) => { openBlock(sodium, m, zone.publicKey, 'garden', now); return true })
  })

  it(`introductions (introducer signature): ${FORGERY_MUTANTS} mutants refused`, async () => {
    const introducer = createEgo(sodium, 'a')
    const signed = introductionSignedBytes({
      id: sodium.randomBytes(16), introducer: introducer.publicKey, recipient: sodium.randomBytes(32), subject: sodium.randomBytes(32),
      time: Date.now(), nick: 'carol', peerId: PEER, addrs: ['/ip4/127.0.0.1/tcp/4001']
    })
    const bytes = encodeIntroduction(signed, signLabelled(sodium, LABEL.INTRODUCTION, signed, introducer.secretKey))
    await attack('introduction', seed + 4, bytes, ['INTRODUCTION_INVALID', 'LIMIT_EXCEEDED'],
      (m) => { const d = decodeIntroduction(m); return verifyLabelled(sodium, LABEL.INTRODUCTION, d.signature, d.signed, d.intro.introducer) })
    const d = decodeIntroduction(bytes)
    assert.equal(verifyLabelled(sodium, LABEL.ZONE_RECORD, d.signature, d.signed, d.intro.introducer), false, 'signature under another label')
  })
})
