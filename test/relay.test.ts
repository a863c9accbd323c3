import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadSodium, type Sodium } from '../core/crypto/sodium.js'
import { createNetNode, type NetNode } from '../core/net/node.js'
import { generatePeerKey } from '../core/net/peer-key.js'
import { RelayServer, type StoredBlob } from '../core/relay/server.js'
import { BLOB_GUEST_TALK, BLOB_PLACE_ENVELOPE, blobSizeFor, boxKey, openBlob, pairSecret, sealBlob, slotOf, tagFor } from '../core/relay/tags.js'
import { Store } from '../core/store/lmdb.js'
import { isSecushareError } from '../protocol/errors.js'
import {
  MAX_FRAME_BYTES, MAX_RELAY_ACK_KEYS, MAX_RELAY_BLOB_BYTES, MAX_RELAY_EXPIRY_S, MAX_RELAY_FETCH_BLOBS, MAX_RELAY_FETCH_TAGS, RELAY_BLOB_SIZES, RELAY_DEPOSIT_BURST,
  MAX_RELAY_STRANGERS, RELAY_DEPOSITOR_SHARE_DIVISOR, RELAY_KEY_BYTES, RELAY_SLOT_MS, RELAY_STRANGER_SHARE_DIVISOR, RELAY_STRANGERS_SHARE_DIVISOR, RELAY_TAG_BYTES
} from '../protocol/limits.js'
import { concat, decodeRelay, encodeRelay, readAckKeys, readFetchTags, relayBytes, RELAY_PROTOCOL } from '../protocol/relay-wire.js'
import { tempDir } from './support/tmp.js'

/** Kind, place id, nonce, AEAD tag and the padding marker come on top of a payload. */
const MAX_PAYLOAD = MAX_RELAY_BLOB_BYTES - 1 - 32 - 24 - 16 - 1
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const contains = (hay: Buffer, needle: Uint8Array): boolean => hay.indexOf(Buffer.from(needle)) >= 0

/** The index of a canary found anywhere in `hay`, or -1: one pass, canaries looked up by their first 4 bytes. */
function findCanary (hay: Buffer, canaries: Buffer[]): number {
  const byPrefix = new Map<number, number[]>()
  canaries.forEach((c, i) => { const k = c.readUInt32BE(0); byPrefix.set(k, [...(byPrefix.get(k) ?? []), i]) })
  for (let at = 0; at + 32 <= hay.length; at++) {
    const hits = byPrefix.get(hay.readUInt32BE(at))
    if (hits === undefined) continue
    for (const i of hits) if (hay.compare(canaries[i]!, 0, 32, at, at + 32) === 0) return i
  }
  return -1
}

describe('relays: tags and blobs', () => {
  let sodium: Sodium
  before(async () => { sodium = await loadSodium() })

  it('both egos derive the same pair secret; a third ego cannot; tags of one pair differ from slot to slot', () => {
    const [a, b, e] = [sodium.signKeypair(), sodium.signKeypair(), sodium.signKeypair()]
    const ab = pairSecret(sodium, a.secretKey, a.publicKey, b.publicKey)
    assert.deepEqual(pairSecret(sodium, b.secretKey, b.publicKey, a.publicKey), ab)
    const eb = pairSecret(sodium, e.secretKey, e.publicKey, b.publicKey)
    assert.notDeepEqual(eb, ab)
    const slot = slotOf(Date.now())
    const t1 = tagFor(sodium, ab, b.publicKey, slot)
    const t2 = tagFor(sodium, ab, b.publicKey, slot + 1)
    assert.equal(t1.length, RELAY_TAG_BYTES)
    assert.notDeepEqual(t1, t2)
    // without the pair secret: another secret gives unrelated tags for the same recipient and slots
    assert.notDeepEqual(tagFor(sodium, eb, b.publicKey, slot), t1)
    assert.notDeepEqual(tagFor(sodium, eb, b.publicKey, slot + 1), t2)
    // the direction matters: what A leaves for B is not under the tag B leaves for A
    assert.notDeepEqual(tagFor(sodium, ab, a.publicKey, slot), t1)
    // nothing public goes in: the tag is not a plain hash of what a relay could know
    assert.notDeepEqual(sodium.hash(concat([b.publicKey, new Uint8Array(8)]), RELAY_TAG_BYTES), t1)
    assert.equal(slotOf(slot * RELAY_SLOT_MS + RELAY_SLOT_MS - 1), slot)
  })

  it('blobs have one of the blob sizes and open only with the pair key and their tag', () => {
    const [a, b] = [sodium.signKeypair(), sodium.signKeypair()]
    const pair = pairSecret(sodium, a.secretKey, a.publicKey, b.publicKey)
    const key = boxKey(sodium, pair, b.publicKey)
    const tag = tagFor(sodium, pair, b.publicKey, 7)
    const place = sodium.randomBytes(32)
    for (const n of [0, 1, 300, 1000, 4096 + 154, 16384 + 154, MAX_PAYLOAD]) {
      const payload = sodium.randomBytes(n)
      const blob = sealBlob(sodium, key, tag, place, payload)
      assert.ok(RELAY_BLOB_SIZES.includes(blob.length), `${n} → ${blob.length}`)
      assert.equal(blob.length, blobSizeFor(n))
      const opened = openBlob(sodium, key, tag, blob)
      assert.equal(opened.kind, BLOB_PLACE_ENVELOPE)
      assert.deepEqual(opened.placeId, place)
      assert.deepEqual(opened.envelope, payload)
      // a guest's post for its host: the same sizes, told apart by its kind
      const talk = openBlob(sodium, key, tag, sealBlob(sodium, key, tag, place, payload, BLOB_GUEST_TALK))
      assert.deepEqual([talk.kind, talk.envelope], [BLOB_GUEST_TALK, payload])
      assert.throws(() => openBlob(sodium, key, tag, sealBlob(sodium, key, tag, place, payload, 3 as never)), (e) => isSecushareError(e, 'RELAY_BLOB_INVALID'))
      assert.throws(() => openBlob(sodium, key, tagFor(sodium, pair, b.publicKey, 8), blob), (e) => isSecushareError(e, 'DECRYPT_FAILED'))
      assert.throws(() => openBlob(sodium, boxKey(sodium, pair, a.publicKey), tag, blob), (e) => isSecushareError(e, 'DECRYPT_FAILED'))
    }
    // the largest payload fills the largest blob, one byte more fits none; a deposit of the largest blob is one frame
    assert.equal(blobSizeFor(MAX_PAYLOAD), MAX_RELAY_BLOB_BYTES)
    assert.throws(() => blobSizeFor(MAX_PAYLOAD + 1), (e) => isSecushareError(e, 'LIMIT_EXCEEDED'))
    assert.ok(encodeRelay('_request_relay_deposit', { _tag: tag, _blob: new Uint8Array(MAX_RELAY_BLOB_BYTES), _ttl: MAX_RELAY_EXPIRY_S }).length <= MAX_FRAME_BYTES)
  })
})

describe('relays: the relay server refuses bad input with clear codes', () => {
  const dir = tempDir()
  let store: Store
  let server: RelayServer
  let clock = 1_000_000
  const QUOTA = 8 * MAX_RELAY_BLOB_BYTES
  const deposit = (tag: Uint8Array, size: number, ttl = 3600): ReturnType<typeof decodeRelay> =>
    decodeRelay(encodeRelay('_request_relay_deposit', { _tag: tag, _blob: new Uint8Array(size).fill(7), _ttl: ttl }))
  const refusedWith = async (p: Promise<unknown>, code: string): Promise<void> => {
    await assert.rejects(p, (e) => isSecushareError(e) && e.code === code, code)
  }

  before(async () => {
    store = await Store.create(join(dir, 'store.lmdb'))
    // the server's network is not used by these calls; the wire is exercised in the canary test
    server = new RelayServer({ store, net: undefined as never, allowed: (p) => p !== 'stranger', quotaBytes: QUOTA, expiryS: 3600, now: () => clock })
  })
  after(async () => { server.stop(); await store.close() })

  it('sizes other than the blob sizes, and over MAX_RELAY_BLOB_BYTES, are refused', async () => {
    const tag = new Uint8Array(RELAY_TAG_BYTES).fill(1)
    await refusedWith(server.deposit('x', deposit(tag, 513)), 'RELAY_BLOB_INVALID')
    await refusedWith(server.deposit('x', deposit(tag, MAX_RELAY_BLOB_BYTES + 1)), 'LIMIT_EXCEEDED')
    await refusedWith(server.deposit('x', deposit(new Uint8Array(RELAY_TAG_BYTES + 1), 512)), 'RELAY_WIRE_INVALID')
    const ok = await server.deposit('x', deposit(tag, MAX_RELAY_BLOB_BYTES))
    assert.equal(ok.key.length, RELAY_KEY_BYTES)
    assert.equal(ok.expires, clock + 3600_000)
    assert.equal(server.stats().bytes, MAX_RELAY_BLOB_BYTES)
    assert.equal((await server.ack([concat([tag, ok.key])])), 1)
    assert.equal(server.stats().bytes, 0)
  })

  it('a depositor\'s share is quota / RELAY_DEPOSITOR_SHARE_DIVISOR: at the limit accepted, one more refused; others unaffected; the total quota holds', async () => {
    const share = QUOTA / RELAY_DEPOSITOR_SHARE_DIVISOR
    assert.equal(share % MAX_RELAY_BLOB_BYTES, 0)
    const per = share / MAX_RELAY_BLOB_BYTES
    const tag = (n: number): Uint8Array => new Uint8Array(RELAY_TAG_BYTES).fill(n)
    for (let i = 0; i < per; i++) await server.deposit('x', deposit(tag(2), MAX_RELAY_BLOB_BYTES))
    await assert.rejects(server.deposit('x', deposit(tag(2), 512)), (e) => isSecushareError(e, 'RELAY_QUOTA_EXCEEDED') && e.detail.scope === 'depositor')
    for (const peer of ['y', 'z', 'w']) for (let i = 0; i < per; i++) await server.deposit(peer, deposit(tag(3), MAX_RELAY_BLOB_BYTES))
    assert.equal(server.stats().bytes, QUOTA) // exactly at the total
    await assert.rejects(server.deposit('v', deposit(tag(4), 512)), (e) => isSecushareError(e, 'RELAY_QUOTA_EXCEEDED') && e.detail.scope === 'total')
    // expiry frees the space: nothing under an expired tag is fetched, and collection removes it in batches
    clock += 3600_000
    assert.deepEqual(server.fetch([tag(2), tag(3)]).blobs, [])
    assert.equal(await server.collect(), 4 * per)
    assert.equal(server.stats().bytes, 0)
    assert.equal(store.count('relay_blobs'), 0)
    assert.equal(store.count('relay_expiry'), 0)
    await refusedWith(server.ack([concat([tag(2), new Uint8Array(RELAY_KEY_BYTES)])]), 'RELAY_NOT_FOUND')
  })

  describe('depositors that are not contacts', () => {
    // a quota whose strangers' share is 64 of the smallest blobs, and whose pool holds 16 such shares
    const BIG = RELAY_STRANGER_SHARE_DIVISOR * 64 * 512
    let dirS: string
    let storeS: Store
    let s: RelayServer
    const tagS = new Uint8Array(RELAY_TAG_BYTES).fill(40)
    beforeEach(async () => {
      dirS = tempDir()
      storeS = await Store.create(join(dirS, 'store.lmdb'))
      s = new RelayServer({ store: storeS, net: undefined as never, allowed: (p) => p === 'friend', quotaBytes: BIG, expiryS: 3600, now: () => clock })
    })
    afterEach(async () => { s.stop(); await storeS.close() })

    it(`each holds at most quota / RELAY_STRANGER_SHARE_DIVISOR (${RELAY_STRANGER_SHARE_DIVISOR}): at the limit accepted, one more refused; a contact keeps its larger share`, async () => {
      const share = BIG / RELAY_STRANGER_SHARE_DIVISOR
      for (let i = 0; i < share / 512; i++) await s.deposit('stranger', deposit(tagS, 512))
      await assert.rejects(s.deposit('stranger', deposit(tagS, 512)), (e) => isSecushareError(e, 'RELAY_QUOTA_EXCEEDED') && e.detail.scope === 'depositor' && e.detail.quota === share)
      for (let i = 0; i <= share / 512; i++) await s.deposit('friend', deposit(tagS, 512))
    })

    it(`together at most quota / RELAY_STRANGERS_SHARE_DIVISOR (${RELAY_STRANGERS_SHARE_DIVISOR}): at the limit accepted, one more refused; contacts unaffected`, async () => {
      const pool = BIG / RELAY_STRANGERS_SHARE_DIVISOR
      const share = BIG / RELAY_STRANGER_SHARE_DIVISOR
      for (let n = 0; n < pool / share; n++) for (let i = 0; i < share / 512; i++) await s.deposit(`stranger${n}`, deposit(tagS, 512))
      assert.equal(s.stats().bytes, pool)
      await assert.rejects(s.deposit('one more', deposit(tagS, 512)), (e) => isSecushareError(e, 'RELAY_QUOTA_EXCEEDED') && e.detail.scope === 'strangers')
      await s.deposit('friend', deposit(tagS, 512))
      // a stranger's blob acknowledged gives its bytes back to the pool
      const held = s.fetch([tagS]).blobs[0]!
      await s.ack([concat([held.tag, held.key])])
      await s.deposit('one more', deposit(tagS, 512))
    })

    it('after a restart their earlier blobs still fill the pool, and free it when acknowledged or expired', async () => {
      const pool = BIG / RELAY_STRANGERS_SHARE_DIVISOR
      const share = BIG / RELAY_STRANGER_SHARE_DIVISOR
      const strangers: Uint8Array[] = []
      for (let n = 0; n < pool / share; n++) for (let i = 0; i < share / 512; i++) strangers.push((await s.deposit(`stranger${n}`, deposit(tagS, 512))).key)
      const friends = (await s.deposit('friend', deposit(tagS, 512))).key
      s.stop()
      s = new RelayServer({ store: storeS, net: { handle: async () => {} } as never, allowed: (p) => p === 'friend', quotaBytes: BIG, expiryS: 3600, now: () => clock })
      await s.start()
      await assert.rejects(s.deposit('newcomer', deposit(tagS, 512)), (e) => isSecushareError(e, 'RELAY_QUOTA_EXCEEDED') && e.detail.scope === 'strangers')
      await s.deposit('friend', deposit(tagS, 512))
      // acknowledging an earlier contact's blob frees nothing in the pool; an earlier stranger's does
      assert.equal(await s.ack([concat([tagS, friends])]), 1)
      await assert.rejects(s.deposit('newcomer', deposit(tagS, 512)), (e) => isSecushareError(e, 'RELAY_QUOTA_EXCEEDED') && e.detail.scope === 'strangers')
      assert.equal(await s.ack([concat([tagS, strangers[0]!])]), 1)
      await s.deposit('newcomer', deposit(tagS, 512))
      // expiry frees the rest
      clock += 3600_000
      await s.collect()
      assert.equal(s.stats().bytes, 0)
      for (let i = 0; i < share / 512; i++) await s.deposit('newcomer', deposit(tagS, 512))
    })

    it(`at most MAX_RELAY_STRANGERS (${MAX_RELAY_STRANGERS}) of them hold blobs at once`, async () => {
      s.stop()
      // a pool large enough that the number of strangers, not their bytes, is what refuses
      s = new RelayServer({ store: storeS, net: undefined as never, allowed: (p) => p === 'friend', quotaBytes: 4 * BIG, expiryS: 3600, now: () => clock })
      for (let n = 0; n < MAX_RELAY_STRANGERS; n++) await s.deposit(`stranger${n}`, deposit(tagS, 512))
      await assert.rejects(s.deposit('one more', deposit(tagS, 512)), (e) => isSecushareError(e, 'RELAY_QUOTA_EXCEEDED') && e.detail.limit === 'MAX_RELAY_STRANGERS')
      await s.deposit('stranger0', deposit(tagS, 512)) // one that holds some already may add
      await s.deposit('friend', deposit(tagS, 512))
    })
  })

  it('a flood from one peer: RELAY_DEPOSIT_BURST deposits accepted, one more refused with RELAY_BUSY; another peer still deposits', async () => {
    const tag = new Uint8Array(RELAY_TAG_BYTES).fill(9)
    const keys: Uint8Array[] = []
    for (let i = 0; i < RELAY_DEPOSIT_BURST; i++) {
      const r = await server.deposit('flood', deposit(tag, 512))
      keys.push(r.key)
      if (keys.length === 64) { await server.ack(keys.splice(0).map((k) => concat([tag, k]))) } // stay within the share
    }
    await refusedWith(server.deposit('flood', deposit(tag, 512)), 'RELAY_BUSY')
    await server.deposit('calm', deposit(tag, 512))
    clock += 1000 // tokens come back with time
    await server.deposit('flood', deposit(tag, 512))
    const all = server.fetch([tag])
    await server.ack(all.blobs.map((b) => concat([b.tag, b.key])))
  })

  it('fetch answers at most MAX_RELAY_FETCH_BLOBS (and says there is more); tag and key lists are bounded at the limit', async () => {
    const tag = new Uint8Array(RELAY_TAG_BYTES).fill(11)
    clock += 10_000
    for (let i = 0; i < MAX_RELAY_FETCH_BLOBS + 1; i++) await server.deposit(`p${i % 4}`, deposit(tag, 512))
    const first = server.fetch([tag, tag])
    assert.equal(first.blobs.length, MAX_RELAY_FETCH_BLOBS)
    assert.equal(first.more, true)
    await server.ack(first.blobs.map((b) => concat([b.tag, b.key])))
    const rest = server.fetch([tag])
    assert.equal(rest.blobs.length, 1)
    assert.equal(rest.more, false)
    const tags = (n: number): ReturnType<typeof decodeRelay> => decodeRelay(encodeRelay('_request_relay_fetch', { _tags: new Uint8Array(n * RELAY_TAG_BYTES) }))
    assert.equal(readFetchTags(tags(MAX_RELAY_FETCH_TAGS)).length, MAX_RELAY_FETCH_TAGS)
    assert.throws(() => readFetchTags(tags(MAX_RELAY_FETCH_TAGS + 1)), (e) => isSecushareError(e, 'LIMIT_EXCEEDED') && e.detail.limit === 'MAX_RELAY_FETCH_TAGS')
    const acks = (n: number): ReturnType<typeof decodeRelay> => decodeRelay(encodeRelay('_request_relay_ack', { _keys: new Uint8Array(n * (RELAY_TAG_BYTES + RELAY_KEY_BYTES)) }))
    assert.equal(readAckKeys(acks(MAX_RELAY_ACK_KEYS)).length, MAX_RELAY_ACK_KEYS)
    assert.throws(() => readAckKeys(acks(MAX_RELAY_ACK_KEYS + 1)), (e) => isSecushareError(e, 'LIMIT_EXCEEDED') && e.detail.limit === 'MAX_RELAY_ACK_KEYS')
    assert.throws(() => readFetchTags(decodeRelay(encodeRelay('_request_relay_fetch', { _tags: new Uint8Array(RELAY_TAG_BYTES + 1) }))), (e) => isSecushareError(e, 'RELAY_WIRE_INVALID'))
  })
})

describe('relays: the relay\'s memory does not grow with the blobs it holds', () => {
  const dir = tempDir()
  let store: Store
  let clock = 5_000_000
  const deposit = (tag: Uint8Array): ReturnType<typeof decodeRelay> =>
    decodeRelay(encodeRelay('_request_relay_deposit', { _tag: tag, _blob: new Uint8Array(512).fill(3), _ttl: 3600 }))
  const tagOf = (i: number): Uint8Array => { const t = new Uint8Array(RELAY_TAG_BYTES); new DataView(t.buffer).setUint32(0, i); return t }
  // start() only registers a handler with the network: none is needed here
  const newServer = (): RelayServer => new RelayServer({ store, net: { handle: async () => {} } as never, allowed: () => true, quotaBytes: 64 * 2 ** 20, expiryS: 3600, now: () => (clock += 10) })

  before(async () => { store = await Store.create(join(dir, 'store.lmdb')) })
  after(async () => { await store.close() })

  it('after 10 and after 2,000 deposits of one depositor the in-memory structures are the same size; acks and expiry give its share back', async () => {
    const server = newServer()
    const keys: Uint8Array[] = []
    for (let i = 0; i < 10; i++) keys.push((await server.deposit('one', deposit(tagOf(i)))).key)
    const at10 = server.memoryStats()
    assert.deepEqual(at10, { depositors: 1, slots: 1, freeSlots: 0, ratePeers: 1 })
    for (let i = 10; i < 2000; i++) keys.push((await server.deposit('one', deposit(tagOf(i)))).key)
    assert.deepEqual(server.memoryStats(), at10, 'one entry per depositor, none per blob')
    assert.equal(server.stats().blobs, 2000)
    // a second depositor takes a second slot; when its bytes are gone the slot is free again
    const other = await server.deposit('two', deposit(tagOf(9999)))
    assert.deepEqual(server.memoryStats(), { depositors: 2, slots: 2, freeSlots: 0, ratePeers: 2 })
    assert.equal(await server.ack([concat([tagOf(9999), other.key])]), 1)
    assert.deepEqual(server.memoryStats(), { depositors: 1, slots: 2, freeSlots: 1, ratePeers: 2 })
    // on disk, the marks of one depositor's blobs are unrelated: no two of them are equal
    const marks = new Set([...store.entries<[number, number, number]>('relay_expiry')].map((e) => `${e.value[1]}:${e.value[2]}`))
    assert.equal(marks.size, 2000)
    // acks of half give exactly those bytes back to 'one' (the share is counted per depositor)
    assert.equal(await server.ack(keys.slice(0, 1000).map((k, i) => concat([tagOf(i), k]))), 1000)
    assert.equal(server.stats().bytes, 1000 * 512)
    assert.equal(server.stats().depositors, 1)
    // expiry gives back the rest; then nothing is left in memory for 'one'
    clock += 3600_000
    assert.equal(await server.collect(), 1000)
    assert.deepEqual(server.memoryStats(), { depositors: 0, slots: 2, freeSlots: 2, ratePeers: 2 })
    server.stop()
  })

  it('after a restart older blobs count against the total only; acknowledging them touches no depositor\'s share', async () => {
    const first = newServer()
    const old = await first.deposit('one', deposit(tagOf(1)))
    first.stop()
    const second = newServer()
    await second.start()
    assert.equal(second.stats().blobs, 1)
    assert.equal(second.stats().depositors, 0)
    const fresh = await second.deposit('one', deposit(tagOf(2)))
    assert.equal(second.stats().bytes, 2 * 512)
    assert.equal(await second.ack([concat([tagOf(1), old.key])]), 1)
    assert.deepEqual(second.memoryStats().depositors, 1, 'the old blob was not taken from one\'s current share')
    assert.equal(await second.ack([concat([tagOf(2), fresh.key])]), 1)
    assert.equal(second.memoryStats().depositors, 0)
    second.stop()
  })
})

describe('relays: canary — 10,000 messages through a relay over libp2p leave no plaintext behind', function () {
  this.timeout(300_000)
  const dir = tempDir()
  let sodium: Sodium
  let relayStore: Store
  let relayNet: NetNode
  let sender: NetNode
  let server: RelayServer
  let clock = Date.now()

  before(async () => {
    sodium = await loadSodium()
    const node = async (): Promise<NetNode> => {
      const n = await createNetNode({ peerKey: await generatePeerKey(), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false, relayClient: false, relayServer: false, pubsub: false })
      await n.start()
      return n
    }
    relayNet = await node()
    sender = await node()
    relayStore = await Store.create(join(dir, 'relay', 'store.lmdb'))
    // a virtual clock that moves 50 ms per look, so the deposit rate limit refills as in 8 real minutes
    server = new RelayServer({ store: relayStore, net: relayNet, allowed: (p) => p === sender.peerId, now: () => { clock += 50; return clock } })
    await server.start()
  })
  after(async () => {
    server.stop()
    await sender.stop()
    await relayNet.stop()
    await relayStore.close()
  })

  it('deposits, fetches and acknowledges 10,000 canary messages; the canary is in no relay file or outbound frame; blob sizes are blob sizes; no ego key or place id is stored', async () => {
    const N = 10_000
    const STREAMS = 8
    const alice = sodium.signKeypair()
    const bob = sodium.signKeypair()
    const place = sodium.randomBytes(32)
    const pair = pairSecret(sodium, alice.secretKey, alice.publicKey, bob.publicKey)
    const key = boxKey(sodium, pair, bob.publicKey)
    const canaries: Buffer[] = []
    const outbound: Uint8Array[] = []
    const slots = [100, 101, 102, 103]
    const tags = slots.map((s) => tagFor(sodium, pair, bob.publicKey, s))
    const addrs = relayNet.addrs()
    // deposit: STREAMS streams, each carrying its share of the requests one after another
    await Promise.all(Array.from({ length: STREAMS }, async (_, w) => {
      const s = await sender.openStream(relayNet.peerId, addrs, RELAY_PROTOCOL)
      try {
        for (let i = w; i < N; i += STREAMS) {
          const canary = Buffer.from(sodium.randomBytes(32))
          canaries[i] = canary
          const text = Buffer.concat([Buffer.from(`message ${i} `), canary, Buffer.from(' '.repeat(i % 2000))])
          const tag = tags[i % tags.length]!
          await s.write(encodeRelay('_request_relay_deposit', { _tag: tag, _blob: sealBlob(sodium, key, tag, place, text), _ttl: 86400 }))
          const frame = await s.read(MAX_FRAME_BYTES, 10_000)
          outbound.push(frame)
          assert.equal(decodeRelay(frame).method, '_notice_relay_deposit')
        }
      } finally { s.abort('done') }
    }))
    assert.equal(server.stats().blobs, N)
    for (const e of relayStore.entries<StoredBlob>('relay_blobs')) assert.ok(RELAY_BLOB_SIZES.includes(e.value.blob.length), `stored ${e.value.blob.length}`)

    // the relay's files while it holds everything
    const scan = (): Buffer[] => readdirSync(join(dir, 'relay')).map((f) => readFileSync(join(dir, 'relay', f)))
    const secrets: Array<[string, Uint8Array]> = [['alice', alice.publicKey], ['bob', bob.publicKey], ['place', place], ['pair', pair], ['box key', key]]
    const checkFiles = (): void => {
      for (const file of scan()) {
        assert.equal(findCanary(file, canaries), -1, 'a canary in a relay file')
        for (const [what, b] of secrets) {
          assert.ok(!contains(file, b), `${what} in a relay file`)
          assert.ok(!contains(file, Buffer.from(hex(b))), `${what} (hex) in a relay file`)
        }
      }
    }
    checkFiles()

    // fetch and acknowledge everything
    const s = await sender.openStream(relayNet.peerId, addrs, RELAY_PROTOCOL)
    const seen = new Set<string>()
    try {
      for (let round = 0; round < N; round++) {
        await s.write(encodeRelay('_request_relay_fetch', { _tags: concat(tags) }))
        const got: Array<{ tag: Uint8Array, key: Uint8Array }> = []
        for (;;) {
          const frame = await s.read(MAX_FRAME_BYTES, 10_000)
          outbound.push(frame)
          const m = decodeRelay(frame)
          if (m.method === '_notice_relay_fetch_end') break
          const tag = relayBytes(m, '_tag')
          const blob = relayBytes(m, '_blob')
          const opened = openBlob(sodium, key, tag, blob)
          const i = Number(/^message (\d+) /.exec(Buffer.from(opened.envelope).toString('latin1'))![1])
          assert.ok(contains(Buffer.from(opened.envelope), canaries[i]!))
          seen.add(String(i))
          got.push({ tag, key: relayBytes(m, '_key') })
        }
        if (got.length === 0) break
        await s.write(encodeRelay('_request_relay_ack', { _keys: concat(got.flatMap((g) => [g.tag, g.key])) }))
        const ack = await s.read(MAX_FRAME_BYTES, 10_000)
        outbound.push(ack)
        assert.equal(decodeRelay(ack).method, '_notice_relay_ack')
      }
    } finally { s.abort('done') }
    assert.equal(seen.size, N)
    assert.equal(server.stats().blobs, 0)
    assert.equal(relayStore.count('relay_blobs'), 0)

    assert.equal(findCanary(Buffer.concat(outbound), canaries), -1, 'a canary in an outbound frame')
    // the search finds a canary where there is one
    assert.equal(findCanary(Buffer.concat([Buffer.from('xyz'), canaries[1234]!]), canaries), 1234)
    checkFiles()
  })
})
