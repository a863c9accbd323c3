/**
 * Limits on what peers (and the owner) can make a node keep, each at the limit (works) and one
 * past it (LIMIT_EXCEEDED, or the refusal documented for that path: RELAY_BUSY for a rate,
 * RELAY_BLOB_INVALID for a size that is no blob size, INVALID_ARGUMENT for the owner's own input): relay deposit rates and the peers they are
 * tracked for, relay requests per stream, expired blobs collected per batch, relay lists and blob
 * sizes, pending introductions, replay batches, invite lifetimes and profile fields. In-process,
 * on 127.0.0.1 where a network is needed; relay clocks are the test's.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { befriend, createCluster, until, type BenchNode, type Cluster } from '../bench/harness.js'
import { openPlace } from '../bench/places.js'
import { signLabelled } from '../core/crypto/labels.js'
import { loadSodium, type Sodium } from '../core/crypto/sodium.js'
import { Names } from '../core/names/names.js'
import { createNetNode, type DiscoveredPeer, type NetNode } from '../core/net/node.js'
import { generatePeerKey } from '../core/net/peer-key.js'
import { requestFrame } from '../core/net/request.js'
import { Profiles } from '../core/places/profiles.js'
import { Relays, type RelayListRecord } from '../core/relay/client.js'
import { RelayServer } from '../core/relay/server.js'
import { Store } from '../core/store/lmdb.js'
import { encodeIntroduction, introductionSignedBytes, INTRODUCTION_ID_BYTES } from '../protocol/introduction.js'
import { LABEL } from '../protocol/labels.js'
import { isSecushareError, type ErrorCode } from '../protocol/errors.js'
import {
  DEFAULT_INVITE_TTL_S, MAX_AVATAR_BYTES, MAX_FETCH_ROUNDS, MAX_NEARBY_PEERS, MAX_DESCRIPTION_BYTES, MAX_FRAME_BYTES, MAX_INVITE_TTL_S, MAX_NAMES_WIRE_BYTES, MAX_PENDING_INTRODUCTIONS,
  MAX_RELAY_REQUESTS_PER_STREAM, MAX_RELAY_TRACKED_PEERS, MAX_ZONE_CACHE_ENTRIES, MAX_RELAYS, MAX_REPLAY_BATCH, PAD_BUCKETS, RELAY_BLOB_EXTRA_BYTES, RELAY_BLOB_SIZES,
  RELAY_DEPOSIT_BURST, RELAY_DEPOSIT_COPIES, RELAY_DEPOSITS_PER_SECOND, RELAY_GC_BATCH, RELAY_TAG_BYTES
} from '../protocol/limits.js'
import { decodeNames, encodeNames, INTRODUCTION_PROTOCOL } from '../protocol/names-wire.js'
import { decodeWire, encodeWire, PLACE_PROTOCOL } from '../protocol/place-wire.js'
import { decodeRelay, decodeRelayList, encodeRelay, readDeposit, RELAY_PROTOCOL } from '../protocol/relay-wire.js'
import { tempDir } from './support/tmp.js'

async function refusedWith (p: Promise<unknown> | (() => unknown), code: ErrorCode, limit?: string): Promise<void> {
  await assert.rejects(async () => { await (typeof p === 'function' ? p() : p) }, (e: unknown) => {
    assert.ok(isSecushareError(e, code), `expected ${code}, got ${String(e)}`)
    if (limit !== undefined) assert.equal(e.detail.limit, limit)
    return true
  })
}

describe('limits: relay server (in process, the test\'s clock)', function () {
  this.timeout(60_000)
  let sodium: Sodium
  let net: NetNode
  const stores: Store[] = []
  let t = 1_000_000_000
  before(async () => {
    sodium = await loadSodium()
    // never started: the server's deposit and collect paths do not touch the network
    net = await createNetNode({ peerKey: await generatePeerKey(), listen: [], mdns: false, dht: false, relayClient: false, relayServer: false, pubsub: false })
  })
  after(async () => { await Promise.all(stores.map(async (s) => { await s.close() })) })

  async function server (): Promise<RelayServer> {
    const store = await Store.create(join(tempDir(), 'relay.lmdb'))
    stores.push(store)
    return new RelayServer({ store, net, allowed: () => true, now: () => t })
  }
  const deposit = (ttl = 3600): ReturnType<typeof decodeRelay> =>
    decodeRelay(encodeRelay('_request_relay_deposit', { _tag: sodium.randomBytes(RELAY_TAG_BYTES), _blob: sodium.randomBytes(RELAY_BLOB_SIZES[0]!), _ttl: ttl }))
  /** n deposits of `peer` at once (tokens are taken in order, before any write). Resolves with how many were kept. */
  async function deposits (s: RelayServer, peer: string, n: number): Promise<number> {
    const r = await Promise.allSettled(Array.from({ length: n }, async () => await s.deposit(peer, deposit())))
    return r.filter((x) => x.status === 'fulfilled').length
  }

  it(`refills RELAY_DEPOSITS_PER_SECOND (${RELAY_DEPOSITS_PER_SECOND}) deposits a second after a burst of RELAY_DEPOSIT_BURST`, async () => {
    const s = await server()
    assert.equal(await deposits(s, 'p', RELAY_DEPOSIT_BURST), RELAY_DEPOSIT_BURST)
    await refusedWith(s.deposit('p', deposit()), 'RELAY_BUSY')
    t += 1000
    assert.equal(await deposits(s, 'p', RELAY_DEPOSITS_PER_SECOND), RELAY_DEPOSITS_PER_SECOND, 'at the rate')
    await refusedWith(s.deposit('p', deposit()), 'RELAY_BUSY', 'RELAY_DEPOSIT_BURST')
  })

  it(`tracks the rate of MAX_RELAY_TRACKED_PEERS (${MAX_RELAY_TRACKED_PEERS}) peers; one more forgets the least recent`, async () => {
    for (const others of [MAX_RELAY_TRACKED_PEERS - 1, MAX_RELAY_TRACKED_PEERS]) {
      const s = await server()
      assert.equal(await deposits(s, 'x', RELAY_DEPOSIT_BURST), RELAY_DEPOSIT_BURST)
      await refusedWith(s.deposit('x', deposit()), 'RELAY_BUSY')
      await Promise.all(Array.from({ length: others }, async (_, i) => await s.deposit(`o${i}`, deposit())))
      if (others < MAX_RELAY_TRACKED_PEERS) await refusedWith(s.deposit('x', deposit()), 'RELAY_BUSY') // at the limit: still remembered
      else await s.deposit('x', deposit()) // one past it: x was the least recent, forgotten, so a fresh bucket
    }
  })

  it(`collects expired blobs RELAY_GC_BATCH (${RELAY_GC_BATCH}) per transaction: one more takes a second batch, all go`, async () => {
    const s = await server()
    await Promise.all(Array.from({ length: RELAY_GC_BATCH + 1 }, async (_, i) => await s.deposit(`g${i}`, deposit(1))))
    assert.equal(s.stats().blobs, RELAY_GC_BATCH + 1)
    t += 2000
    assert.equal(await s.collect(), RELAY_GC_BATCH + 1)
    assert.equal(s.stats().blobs, 0)
    assert.equal(s.stats().expired, RELAY_GC_BATCH + 1)
  })

  it(`blob sizes are a padding bucket plus RELAY_BLOB_EXTRA_BYTES (${RELAY_BLOB_EXTRA_BYTES}); one byte more is refused`, () => {
    const req = (n: number): ReturnType<typeof decodeRelay> => decodeRelay(encodeRelay('_request_relay_deposit', { _tag: new Uint8Array(RELAY_TAG_BYTES), _blob: new Uint8Array(n), _ttl: 60 }))
    for (const b of PAD_BUCKETS.slice(0, -1)) {
      assert.equal(readDeposit(req(b + RELAY_BLOB_EXTRA_BYTES)).blob.length, b + RELAY_BLOB_EXTRA_BYTES)
      assert.throws(() => readDeposit(req(b + RELAY_BLOB_EXTRA_BYTES + 1)), (e: unknown) => isSecushareError(e, 'RELAY_BLOB_INVALID'))
    }
  })

  it(`a relay list has at most MAX_RELAYS (${MAX_RELAYS}) relays`, async () => {
    const peers = await Promise.all(Array.from({ length: MAX_RELAYS + 1 }, async () => {
      const n = await createNetNode({ peerKey: await generatePeerKey(), listen: [], mdns: false, dht: false, relayClient: false, relayServer: false, pubsub: false })
      return n.peerId
    }))
    const list = (k: number): string => peers.slice(0, k).map((p) => `${p} /ip4/127.0.0.1/tcp/4001`).join('\n')
    assert.equal(decodeRelayList(list(MAX_RELAYS)).length, MAX_RELAYS)
    await refusedWith(() => decodeRelayList(list(MAX_RELAYS + 1)), 'LIMIT_EXCEEDED', 'MAX_RELAYS')
  })
})

describe('limits: requests per relay stream (127.0.0.1)', function () {
  this.timeout(120_000)
  const nets: NetNode[] = []
  let relay: RelayServer | undefined
  let store: Store | undefined
  after(async () => { relay?.stop(); await Promise.all(nets.map(async (n) => { await n.stop() })); await store?.close() })

  it(`answers MAX_RELAY_REQUESTS_PER_STREAM (${MAX_RELAY_REQUESTS_PER_STREAM}) requests on one stream, then ends it`, async () => {
    const node = async (): Promise<NetNode> => {
      const n = await createNetNode({ peerKey: await generatePeerKey(), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false, relayClient: false, relayServer: false, pubsub: false })
      nets.push(n)
      await n.start()
      return n
    }
    const [server, client] = [await node(), await node()]
    store = await Store.create(join(tempDir(), 'relay.lmdb'))
    relay = new RelayServer({ store, net: server, allowed: () => true })
    await relay.start()
    const s = await client.openStream(server.peerId, server.addrs(), RELAY_PROTOCOL)
    const fetch = encodeRelay('_request_relay_fetch', { _tags: new Uint8Array(RELAY_TAG_BYTES) })
    let answered = 0
    let end = ''
    // write and read at once: the server answers each request before it reads the next
    await Promise.all([
      (async () => { for (let i = 0; i <= MAX_RELAY_REQUESTS_PER_STREAM; i++) await s.write(fetch).catch(() => {}) })(),
      (async () => {
        for (;;) {
          try {
            const m = decodeRelay(await s.read(MAX_FRAME_BYTES, 20_000))
            assert.equal(m.method, '_notice_relay_fetch_end')
            answered++
          } catch (e) {
            end = (e as { code?: string }).code ?? String(e)
            return
          }
        }
      })()
    ])
    s.abort('done')
    assert.equal(answered, MAX_RELAY_REQUESTS_PER_STREAM, 'every request up to the limit answered, the one past it not')
    assert.equal(end, 'STREAM_CLOSED')
  })
})

describe('limits: pending introductions, replay batches, invites, profiles (in-process nodes)', function () {
  this.timeout(180_000)
  let cluster: Cluster
  let a: BenchNode
  let b: BenchNode
  let sodium: Sodium
  let names: Names
  let namesB: Names
  before(async () => {
    cluster = await createCluster(2, { heartbeatMs: 100, prefix: 'lim' })
    ;[a, b] = cluster.nodes as [BenchNode, BenchNode]
    sodium = a.home.sodium
    await befriend(a, b)
    names = new Names({ sodium, store: a.home.store, net: a.net, egos: new Map([[a.ego.id, a.ego]]), defaultEgo: a.ego.id, contacts: a.contacts.book })
    await names.start()
    namesB = new Names({ sodium, store: b.home.store, net: b.net, egos: new Map([[b.ego.id, b.ego]]), defaultEgo: b.ego.id, contacts: b.contacts.book })
    await namesB.start()
  })
  after(async () => { await cluster?.close() })

  it(`keeps MAX_PENDING_INTRODUCTIONS (${MAX_PENDING_INTRODUCTIONS}) introductions; one more is refused, and is no offence`, async () => {
    const introduce = async (): Promise<string> => {
      const signed = introductionSignedBytes({ id: sodium.randomBytes(INTRODUCTION_ID_BYTES), introducer: b.ego.publicKey, recipient: a.ego.publicKey, subject: sodium.signKeypair().publicKey, time: Date.now(), nick: 'zoe', peerId: b.peerId, addrs: [] })
      const answer = decodeNames(await requestFrame(b.net, a.peerId, a.addrs(), INTRODUCTION_PROTOCOL, encodeNames('_request_introduction', { _introduction: encodeIntroduction(signed, signLabelled(sodium, LABEL.INTRODUCTION, signed, b.ego.secretKey)) }), { maxBytes: MAX_NAMES_WIRE_BYTES, timeoutMs: 10_000, limit: 'MAX_NAMES_WIRE_BYTES' }))
      return answer.method === '_notice_introduction' ? 'ok' : new TextDecoder().decode(answer.fields.get('_code'))
    }
    for (let i = 0; i < MAX_PENDING_INTRODUCTIONS; i += 8) {
      const got = await Promise.all(Array.from({ length: Math.min(8, MAX_PENDING_INTRODUCTIONS - i) }, introduce))
      assert.deepEqual(got.filter((x) => x !== 'ok'), [], `introductions ${i}..`)
    }
    assert.equal(a.home.store.count('introductions'), MAX_PENDING_INTRODUCTIONS)
    assert.equal(await introduce(), 'LIMIT_EXCEEDED')
    assert.equal(a.home.store.count('introductions'), MAX_PENDING_INTRODUCTIONS)
    assert.equal(a.net.banned(b.peerId), false, 'a full queue is not the asking contact\'s fault')
  })

  it(`caches MAX_ZONE_CACHE_ENTRIES (${MAX_ZONE_CACHE_ENTRIES}) blocks of others' zones; one more forgets the oldest`, async () => {
    const n = MAX_ZONE_CACHE_ENTRIES + 1
    for (let i = 0; i < n; i += 64) await Promise.all(Array.from({ length: Math.min(64, n - i) }, async (_, k) => await namesB.zoneSet(`n${i + k}`, 'NICK', `nick ${i + k}`)))
    const resolve = async (i: number): Promise<boolean> => {
      const r = await names.resolve(`n${i}.${b.name}`)
      assert.equal(r.type === 'NICK' && r.nick, `nick ${i}`)
      return r.cached
    }
    names.resolver.clearCache()
    assert.equal(await resolve(0), false, 'fetched') // the oldest entry
    for (let i = 1; i < MAX_ZONE_CACHE_ENTRIES; i += 8) await Promise.all(Array.from({ length: Math.min(8, MAX_ZONE_CACHE_ENTRIES - i) }, async (_, k) => await resolve(i + k)))
    assert.equal(names.resolver.cacheSize(), MAX_ZONE_CACHE_ENTRIES)
    assert.equal(await resolve(0), true, 'at the limit: still cached')
    assert.equal(await resolve(MAX_ZONE_CACHE_ENTRIES), false)
    assert.equal(names.resolver.cacheSize(), MAX_ZONE_CACHE_ENTRIES)
    assert.equal(await resolve(0), false, 'one past it: the oldest was forgotten')
  })

  it(`a replay answer holds MAX_REPLAY_BATCH (${MAX_REPLAY_BATCH}) envelopes; the one after waits for the next request`, async () => {
    const { placeId } = await openPlace(cluster, [a, b], 'long', 'all')
    for (let i = 0; i < MAX_REPLAY_BATCH + 1; i += 50) await Promise.all(Array.from({ length: 50 }, async (_, k) => await a.places.post(placeId, `post ${i + k}`)))
    const replay = async (from: number): Promise<number> => {
      const s = await b.net.openStream(a.peerId, a.addrs(), PLACE_PROTOCOL)
      try {
        await s.write(encodeWire('_request_place_replay', { _place: Buffer.from(placeId, 'hex'), _from: from }))
        for (let n = 0; ; n++) {
          const m = decodeWire(await s.read(MAX_FRAME_BYTES, 20_000))
          if (m.method === '_notice_place_replay_end') return n
          assert.equal(m.method, '_notice_place_replay')
        }
      } finally { s.abort('done') }
    }
    assert.equal(await replay(1), MAX_REPLAY_BATCH)
    assert.ok(await replay(MAX_REPLAY_BATCH + 1) >= 1, 'the next request gets the rest')
  })

  it(`an invite lives DEFAULT_INVITE_TTL_S unless asked, at most MAX_INVITE_TTL_S (${MAX_INVITE_TTL_S})`, async () => {
    const now = Math.floor(Date.now() / 1000)
    const d = await a.contacts.invite()
    assert.ok(d.expires >= now + DEFAULT_INVITE_TTL_S && d.expires <= now + DEFAULT_INVITE_TTL_S + 5, `default: ${d.expires - now} s`)
    const m = await a.contacts.invite({ ttlSeconds: MAX_INVITE_TTL_S })
    assert.ok(m.expires >= now + MAX_INVITE_TTL_S, 'at the limit')
    // the owner's own input past a named limit: LIMIT_EXCEEDED, as for pairing codes' PAIR_TTL_MAX_S
    await refusedWith(a.contacts.invite({ ttlSeconds: MAX_INVITE_TTL_S + 1 }), 'LIMIT_EXCEEDED', 'MAX_INVITE_TTL_S')
  })

  it(`a profile description has at most MAX_DESCRIPTION_BYTES (${MAX_DESCRIPTION_BYTES}) bytes, an avatar MAX_AVATAR_BYTES (${MAX_AVATAR_BYTES})`, async () => {
    const profiles = new Profiles({ store: a.home.store, net: a.net, contacts: a.contacts.book, self: a.ego, places: a.places })
    await profiles.start()
    try {
      const text = 'é'.repeat(MAX_DESCRIPTION_BYTES / 2) // two bytes each: bytes are counted, not characters
      assert.equal((await profiles.set({ description: text })).description, text)
      // the owner's own input past a named limit (test/profiles.test.ts checks the CLI)
      await refusedWith(profiles.set({ description: text + 'x' }), 'LIMIT_EXCEEDED', 'MAX_DESCRIPTION_BYTES')
      const avatar = sodium.randomBytes(MAX_AVATAR_BYTES)
      assert.equal((await profiles.set({ avatar })).avatar, Buffer.from(avatar).toString('base64'))
      await refusedWith(profiles.set({ avatar: sodium.randomBytes(MAX_AVATAR_BYTES + 1) }), 'LIMIT_EXCEEDED', 'MAX_AVATAR_BYTES')
      assert.equal(profiles.show().avatar, Buffer.from(avatar).toString('base64'), 'the refused change changed nothing')
    } finally { profiles.stop() }
  })
})

describe('limits: copies of a deposit (in-process nodes)', function () {
  this.timeout(120_000)
  let cluster: Cluster | undefined
  const servers: RelayServer[] = []
  let relays: Relays | undefined
  after(async () => {
    relays?.stop()
    for (const s of servers) s.stop()
    await cluster?.close()
  })

  it(`deposits for an offline member on RELAY_DEPOSIT_COPIES (${RELAY_DEPOSIT_COPIES}) of the relays it lists, not one more`, async () => {
    const relayCount = RELAY_DEPOSIT_COPIES + 1
    cluster = await createCluster(2 + relayCount, { heartbeatMs: 100, prefix: 'copies' })
    const [host, member, ...relayNodes] = cluster.nodes as [BenchNode, BenchNode, ...BenchNode[]]
    for (const r of relayNodes) {
      await befriend(host, r)
      const s = new RelayServer({ store: r.home.store, net: r.net, allowed: (peer) => r.contacts.book.byPeer(peer) !== undefined })
      await s.start()
      servers.push(s)
    }
    const { placeId } = await openPlace(cluster, [host, member], 'garden', 'all')
    relays = new Relays({ sodium: host.home.sodium, store: host.home.store, net: host.net, egos: new Map([[host.ego.id, host.ego]]), defaultEgo: host.ego.id, contacts: host.contacts.book, places: host.places })
    await relays.start()
    // the member's relay list, as its _request_relay_list leaves it at the host
    await host.home.store.write((tx) => {
      tx.put('relay_lists', member.ego.id, { v: 1, relays: relayNodes.map((r) => ({ peer: r.peerId, addrs: r.addrs() })), received: Date.now() } satisfies RelayListRecord)
    })
    await member.stop()
    await until(() => !host.net.isConnected(member.peerId), 10_000)
    await host.places.post(placeId, 'while you were away')
    await relays.settled()
    const held = servers.map((s) => s.stats().blobs)
    assert.deepEqual(held, [...Array(RELAY_DEPOSIT_COPIES).fill(1), 0], 'the first RELAY_DEPOSIT_COPIES relays of the list hold a copy, the next none')
    assert.equal(relays.counts.deposited, RELAY_DEPOSIT_COPIES)
  })
})

describe('limits: fetch rounds from a relay that always has more (in-process nodes)', function () {
  this.timeout(60_000)
  let cluster: Cluster | undefined
  let relays: Relays | undefined
  after(async () => { relays?.stop(); await cluster?.close() })

  it(`a fetch asks one relay at most MAX_FETCH_ROUNDS (${MAX_FETCH_ROUNDS}) times, then gives up for this time`, async () => {
    cluster = await createCluster(2, { heartbeatMs: 100, prefix: 'rounds' })
    const [me, hostile] = cluster.nodes as [BenchNode, BenchNode]
    await befriend(me, hostile)
    // a relay that answers every fetch with one blob and "more", and takes every acknowledgement
    let fetches = 0
    await hostile.net.handle(RELAY_PROTOCOL, async (s) => {
      for (;;) {
        let m
        try { m = decodeRelay(await s.read(MAX_FRAME_BYTES, 10_000)) } catch { return }
        if (m.method === '_request_relay_fetch') {
          fetches++
          await s.write(encodeRelay('_notice_relay_blob', { _tag: m.fields.get('_tags')!.subarray(0, RELAY_TAG_BYTES), _key: new Uint8Array(8).fill(fetches & 0xff), _blob: new Uint8Array(RELAY_BLOB_SIZES[0]!) }))
          await s.write(encodeRelay('_notice_relay_fetch_end', { _more: 1 }))
        } else if (m.method === '_request_relay_ack') {
          await s.write(encodeRelay('_notice_relay_ack', { _removed: 1 }))
        } else {
          await s.write(encodeRelay('_notice_relay_list'))
        }
      }
    })
    relays = new Relays({ sodium: me.home.sodium, store: me.home.store, net: me.net, egos: new Map([[me.ego.id, me.ego]]), defaultEgo: me.ego.id, contacts: me.contacts.book, places: me.places })
    await relays.start()
    await relays.use(hostile.name)
    await relays.fetchAll()
    assert.equal(fetches, MAX_FETCH_ROUNDS, 'the round past the limit is never asked')
    assert.equal(relays.counts.unopened, MAX_FETCH_ROUNDS, 'each blob was looked at (and did not open)')
  })
})

describe('limits: strangers remembered as nearby (in-process node)', function () {
  this.timeout(60_000)
  let cluster: Cluster | undefined
  after(async () => { await cluster?.close() })

  it(`lists MAX_NEARBY_PEERS (${MAX_NEARBY_PEERS}) strangers; one more forgets the oldest`, async () => {
    cluster = await createCluster(1, { heartbeatMs: 100, prefix: 'nearby' })
    const me = cluster.nodes[0]!
    // what the node's mDNS reports for peers on the LAN (multicast itself needs a network
    // namespace: test/net-node.test.ts); peers that merely connect are never listed
    const strangers = await Promise.all(Array.from({ length: MAX_NEARBY_PEERS + 1 }, async () =>
      (await createNetNode({ peerKey: await generatePeerKey(), listen: [], mdns: false, dht: false, relayClient: false, relayServer: false, pubsub: false })).peerId))
    const emit = (me.net as unknown as { emit: (event: 'peer:discovery', p: DiscoveredPeer) => void }).emit.bind(me.net)
    const learn = async (peer: string): Promise<void> => { emit('peer:discovery', { peerId: peer, addrs: ['/ip4/127.0.0.1/tcp/1'], source: 'mdns' }) }
    for (const p of strangers.slice(0, MAX_NEARBY_PEERS)) await learn(p)
    const listed = (): string[] => me.contacts.nearby().map((n) => n.peerId)
    assert.equal(listed().length, MAX_NEARBY_PEERS)
    assert.ok(listed().includes(strangers[0]!), 'at the limit: the first is still listed')
    await learn(strangers[MAX_NEARBY_PEERS]!)
    assert.equal(listed().length, MAX_NEARBY_PEERS)
    assert.ok(!listed().includes(strangers[0]!), 'one past it: the oldest is forgotten')
    assert.ok(listed().includes(strangers[MAX_NEARBY_PEERS]!))
  })
})
