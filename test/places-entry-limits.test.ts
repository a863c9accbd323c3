import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { ContactBook } from '../core/contacts/book.js'
import { signLabelled } from '../core/crypto/labels.js'
import { loadSodium, type Sodium } from '../core/crypto/sodium.js'
import type { NetNode } from '../core/net/node.js'
import { Entries } from '../core/places/entries.js'
import type { PlaceRecord } from '../core/places/records.js'
import { Store } from '../core/store/lmdb.js'
import { isSecushareError, SecushareError } from '../protocol/errors.js'
import { LABEL } from '../protocol/labels.js'
import { MAX_ENTRY_CLOCK_SKEW_MS, MAX_ENTRY_TEXT_BYTES, MAX_INVITE_ADDRS, MAX_PENDING_ENTRIES } from '../protocol/limits.js'
import { decodePlaceAddress, encodePlaceAddress } from '../protocol/place-address.js'
import { entrySigningBytes } from '../protocol/place-entry.js'
import { decodeWire, encodeWire } from '../protocol/place-wire.js'
import { tempDir } from './support/tmp.js'

/** The host's checks on entry requests, in-process: every rule and limit at and just over it. */
describe('places: entry requests are checked and bounded', () => {
  const dir = tempDir()
  let sodium: Sodium
  let db: Store
  let entries: Entries
  const placeKey = new Uint8Array(32).fill(7)
  const placeId = Buffer.from(placeKey).toString('hex')
  const invited: string[] = []

  before(async () => {
    sodium = await loadSodium()
    db = await Store.create(join(dir, 'store.lmdb'))
    const host = sodium.signKeypair()
    const record: PlaceRecord = {
      v: 1, id: placeId, name: 'garden', role: 'host', self: 'h', hostEgo: Buffer.from(host.publicKey).toString('hex'), hostPeer: 'me', history: 'all',
      generation: 1, head: 0, contiguous: 0, lastStateful: 0, sinceId: 1, readUpTo: 0, closed: false, left: false, created: 0
    }
    await db.write((tx) => { tx.put('places', placeId, record) })
    const find = (ref: string): PlaceRecord => {
      const p = db.get<PlaceRecord>('places', ref)
      if (p === undefined) throw new SecushareError('PLACE_NOT_FOUND', ref)
      return p
    }
    entries = new Entries({
      sodium, db, find, hosted: find, hostAddrs: () => [],
      // only the host side runs here: no network, no contacts, no own ego needed
      net: {} as unknown as NetNode,
      contacts: { byEgo: () => undefined, list: () => [] } as unknown as ContactBook,
      self: () => { throw new Error('not used') },
      invite: async (_p, to) => { invited.push(Buffer.from(to.ego).toString('hex')) },
      ask: async () => { throw new Error('not used') }
    })
  })
  after(async () => { await db.close() })

  const request = (opts: { peer?: string, text?: string, time?: number, signer?: { publicKey: Uint8Array, secretKey: Uint8Array }, ego?: Uint8Array, place?: Uint8Array } = {}) => {
    const signer = opts.signer ?? sodium.signKeypair()
    const ego = opts.ego ?? signer.publicKey
    const time = opts.time ?? Date.now()
    const text = opts.text ?? ''
    const peer = opts.peer ?? 'peer-1'
    const sig = signLabelled(sodium, LABEL.PLACE_ENTRY, entrySigningBytes({ place: opts.place ?? placeKey, ego, peerId: peer, time, text }), signer.secretKey)
    return { peer, ego, msg: decodeWire(encodeWire('_request_place_entry', { _place: placeKey, _ego: ego, _time: time, _text: text, _addrs: '/ip4/127.0.0.1/tcp/1', _signature: sig })) }
  }
  const refusedWith = async (p: Promise<unknown>, code: string): Promise<void> => {
    await assert.rejects(p, (e: unknown) => isSecushareError(e) && e.code === code)
  }
  const waiting = (): number => [...db.entries('entries')].length

  it('takes a well-signed request and lists it', async () => {
    const r = request({ text: 'x'.repeat(MAX_ENTRY_TEXT_BYTES) })
    await entries.onRequest(r.peer, placeId, r.msg)
    assert.equal(entries.list(placeId)[0]!.text.length, MAX_ENTRY_TEXT_BYTES)
  })

  it('refuses a note over MAX_ENTRY_TEXT_BYTES, a bad signature, another node\'s or place\'s request, and an old one', async () => {
    const n = waiting()
    const long = request()
    long.msg.fields.set('_text', new Uint8Array(MAX_ENTRY_TEXT_BYTES + 1).fill(0x61))
    await refusedWith(entries.onRequest(long.peer, placeId, long.msg), 'LIMIT_EXCEEDED')
    const forged = request({ signer: sodium.signKeypair(), ego: sodium.signKeypair().publicKey })
    await refusedWith(entries.onRequest(forged.peer, placeId, forged.msg), 'PLACE_REFUSED')
    const moved = request({ peer: 'peer-1' })
    await refusedWith(entries.onRequest('peer-2', placeId, moved.msg), 'PLACE_REFUSED')
    const elsewhere = request({ place: new Uint8Array(32).fill(8) })
    await refusedWith(entries.onRequest(elsewhere.peer, placeId, elsewhere.msg), 'PLACE_REFUSED')
    const edge = request({ time: Date.now() - MAX_ENTRY_CLOCK_SKEW_MS + 5_000 })
    await entries.onRequest(edge.peer, placeId, edge.msg)
    const old = request({ time: Date.now() - MAX_ENTRY_CLOCK_SKEW_MS - 5_000 })
    await refusedWith(entries.onRequest(old.peer, placeId, old.msg), 'PLACE_REFUSED')
    assert.equal(waiting(), n + 1, 'only the request within the clock skew was kept')
  })

  it('keeps at most MAX_PENDING_ENTRIES per place; a requester asking again replaces its request', async () => {
    const signer = sodium.signKeypair()
    while (waiting() < MAX_PENDING_ENTRIES - 1) { const r = request(); await entries.onRequest(r.peer, placeId, r.msg) }
    const last = request({ signer })
    await entries.onRequest(last.peer, placeId, last.msg)
    assert.equal(waiting(), MAX_PENDING_ENTRIES)
    const over = request()
    await refusedWith(entries.onRequest(over.peer, placeId, over.msg), 'LIMIT_EXCEEDED')
    const again = request({ signer, text: 'me again' })
    await entries.onRequest(again.peer, placeId, again.msg)
    assert.equal(waiting(), MAX_PENDING_ENTRIES)
  })

  it('a member asking again is invited again instead of queued', async () => {
    const signer = sodium.signKeypair()
    const ego = Buffer.from(signer.publicKey).toString('hex')
    await db.write((tx) => { tx.put('members', [placeId, ego], { v: 1, ego, peerId: 'old', status: 'invited', sinceId: 0, joined: 0 }) })
    const r = request({ signer })
    await entries.onRequest(r.peer, placeId, r.msg)
    assert.deepEqual(invited, [ego])
  })

  it('place addresses round-trip and refuse malformed or oversized ones', () => {
    const a = { place: placeKey, hostEgo: new Uint8Array(32).fill(1), hostPeer: '12D3KooWtest', addrs: Array.from({ length: MAX_INVITE_ADDRS }, (_, i) => `/ip4/127.0.0.1/tcp/${i + 1}`) }
    const text = encodePlaceAddress(a)
    assert.deepEqual(decodePlaceAddress(text), a)
    assert.throws(() => encodePlaceAddress({ ...a, addrs: [...a.addrs, '/ip4/127.0.0.1/tcp/99'] }), (e: unknown) => isSecushareError(e, 'LIMIT_EXCEEDED'))
    for (const bad of [text.slice(0, -4), text + 'AA', 'secushare:invite/' + text.slice(16), text.replace('/', '/!')]) {
      assert.throws(() => decodePlaceAddress(bad), (e: unknown) => isSecushareError(e), bad)
    }
  })
})
