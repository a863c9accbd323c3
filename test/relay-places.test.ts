/**
 * Relays and places across real daemons on 127.0.0.1 (docs/relays.md): a member who is not the
 * host's contact announces its relays to the host, the host deposits what it sequences while the
 * member is off, and the member catches up from the relay alone; blobs past the relay's expiry
 * (`--relay-expiry`) are not delivered.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createNetNode } from '../core/net/node.js'
import { generatePeerKey } from '../core/net/peer-key.js'
import { MAX_FRAME_BYTES } from '../protocol/limits.js'
import { decodeRelay, encodeRelay, encodeRelayList, relayText, RELAY_PROTOCOL } from '../protocol/relay-wire.js'
import { cli, runJson, feedJson } from './support/cli.js'
import { eventually, startDaemonProcess, type RunningDaemon } from './support/daemon.js'
import { tempDir } from './support/tmp.js'

const POSTS = 20
const EXPIRY_S = 2

describe('relays serve place members who are not the host\'s contacts (daemons on 127.0.0.1)', function () {
  this.timeout(300_000)
  const root = tempDir()
  const [A, B, C] = ['a', 'b', 'c'].map((n) => join(root, n)) as [string, string, string]
  const d: Record<string, RunningDaemon> = {}
  const run = runJson
  const feed = feedJson
  const peerOf = (x: RunningDaemon): string => `${x.ready.addrs[0]!}/p2p/${x.ready.peerId}`
  let square = ''
  let egoB = ''
  const posted: Array<{ id: number, text: string }> = []

  before(async () => {
    for (const [h, nick] of [[A, 'alice'], [B, 'bob'], [C, 'carol']] as const) assert.equal(cli(['--home', h, 'init', '--nick', nick]).code, 0)
    const all = await Promise.all([A, B, C].map(async (h) => await startDaemonProcess(h, ['--no-mdns'])))
    for (const [i, name] of ['a', 'b', 'c'].entries()) d[name] = all[i]!
    // A and C, B and C are contacts; A and B are not
    run(C, 'contact', 'add', run(A, 'invite').link, '--petname', 'alice')
    run(C, 'contact', 'add', run(B, 'invite').link, '--petname', 'bob')
    // each side names the other by its nick
    assert.ok(await eventually(() => run(A, 'contact', 'list').some((c: any) => c.petname === 'carol') && run(B, 'contact', 'list').some((c: any) => c.petname === 'carol'), 10_000))
    egoB = run(B, 'status').ego
  })
  after(async () => { await Promise.all(Object.values(d).map(async (x) => await x.stop())) })

  it('a relay list from a peer that is neither a contact nor a member of a place the node hosts is refused with RELAY_REFUSED', async () => {
    const stranger = await createNetNode({ peerKey: await generatePeerKey(), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false, relayClient: false, relayServer: false, pubsub: false })
    await stranger.start()
    try {
      const s = await stranger.openStream(d.a!.ready.peerId, d.a!.ready.addrs, RELAY_PROTOCOL)
      try {
        await s.write(encodeRelay('_request_relay_list', { _relays: encodeRelayList([{ peer: stranger.peerId, addrs: ['/ip4/127.0.0.1/tcp/1'] }]) }))
        const m = decodeRelay(await s.read(MAX_FRAME_BYTES, 10_000))
        assert.equal(m.method, '_failure_relay')
        assert.equal(relayText(m, '_code'), 'RELAY_REFUSED')
      } finally { s.abort('done') }
    } finally { await stranger.stop() }
    assert.deepEqual(run(A, 'relay', 'list').members, [], 'nothing kept')
  })

  it(`a member who is not the host's contact announces its relay to the host; ${POSTS} posts reach it from the relay alone, in order, once`, async () => {
    // B picks its relay before it joins: the host hears of it when B enters
    run(B, 'relay', 'use', 'carol')
    square = run(A, 'place', 'create', 'square', '--history', 'all').place
    assert.equal(run(B, 'place', 'join', run(A, 'place', 'address', square).address).requested, true)
    assert.ok(await eventually(() => run(A, 'place', 'requests', square).length === 1, 10_000))
    run(A, 'place', 'admit', square, egoB)
    assert.ok(await eventually(() => run(B, 'place', 'list').some((p: any) => p.place === square), 10_000), 'B joins once admitted')
    assert.ok(!run(A, 'contact', 'list').some((c: any) => c.ego === egoB), 'B is no contact of A')

    assert.ok(await eventually(() => run(A, 'relay', 'list').members.some((m: any) => m.ego === egoB && m.relays.includes('carol')), 10_000), 'A learns as host that its member B uses C')

    const peersBefore = run(A, 'status').peers
    await d.b!.stop()
    assert.ok(await eventually(() => run(A, 'status').peers < peersBefore, 10_000), 'A sees B gone')
    for (let i = 0; i < POSTS; i++) {
      const text = `square news ${i}`
      posted.push({ id: run(A, 'post', square, text).id, text })
    }
    assert.ok(await eventually(() => {
      const f = feed(A, square)
      return posted.every((p) => f.some((m) => m.id === p.id && m.delivery?.state === 'relayed' && m.delivery.relays.includes('carol')))
    }, 30_000), `all ${POSTS} wait on C`)
    assert.ok(run(C, 'relay', 'list').serving.blobs >= POSTS)
    await d.a!.stop()

    // C is no member of the square: B can have the posts only from C's relay store
    assert.ok(!run(C, 'place', 'list').some((p: any) => p.place === square))
    d.b = await startDaemonProcess(B, ['--no-mdns', '--peer', peerOf(d.c!)])
    assert.ok(await eventually(() => posted.every((p) => feed(B, square).some((m) => m.id === p.id)), 20_000), `B has all ${POSTS} from C`)
    const got = feed(B, square).filter((m) => String(m.text ?? '').startsWith('square news')).sort((x, y) => x.id - y.id)
    assert.deepEqual(got.map((m) => [m.id, m.text]), posted.map((p) => [p.id, p.text]), 'the host\'s ids and texts, each once')
    const ids = feed(B, square).map((m) => m.id)
    assert.equal(new Set(ids).size, ids.length, 'no duplicates')
    assert.deepEqual(ids.slice().sort((x, y) => x - y), [...ids].sort((x, y) => x - y))
    const [relay] = run(B, 'relay', 'list').relays
    assert.equal(relay.state, 'ok')
    assert.ok(relay.fetched >= POSTS)
    assert.ok(await eventually(() => run(C, 'relay', 'list').serving.blobs === 0, 10_000), 'C forgets what B acknowledged')
    for (const p of posted) assert.ok(!d.c!.stderr().includes(p.text), 'no plaintext in the relay\'s log')
  })

  it(`a blob held past the relay's --relay-expiry (${EXPIRY_S} s) is not delivered; one deposited later is`, async () => {
    await d.b!.stop()
    await d.c!.stop()
    d.c = await startDaemonProcess(C, ['--no-mdns', '--relay-expiry', String(EXPIRY_S)])
    d.a = await startDaemonProcess(A, ['--no-mdns', '--peer', peerOf(d.c)])
    const carolOnline = async (): Promise<boolean> => await eventually(() => run(A, 'contact', 'list').some((c: any) => c.petname === 'carol' && c.online), 20_000)
    assert.ok(await carolOnline())
    const waitsOnC = (id: number): boolean => feed(A, square).some((m) => m.id === id && m.delivery?.state === 'relayed' && m.delivery.relays.includes('carol'))
    const stale = run(A, 'post', square, 'this one expires on the relay')
    assert.ok(await eventually(() => waitsOnC(stale.id), 10_000), 'deposited on C')
    // C keeps it EXPIRY_S seconds from the deposit (expiry is stored with the blob): wait past that
    await sleep((EXPIRY_S + 1) * 1000)
    // C again with the default expiry: the stored blob keeps its expiry, a new deposit gets 14 days
    await d.c.stop()
    d.c = await startDaemonProcess(C, ['--no-mdns', '--peer', peerOf(d.a)])
    assert.ok(await carolOnline())
    const fresh = run(A, 'post', square, 'this one is fresh')
    assert.ok(await eventually(() => waitsOnC(fresh.id), 10_000), 'deposited on C')
    assert.equal(run(C, 'relay', 'list').serving.blobs, 2, 'C holds both (the expired one until its garbage collection)')
    await d.a.stop()

    d.b = await startDaemonProcess(B, ['--no-mdns', '--peer', peerOf(d.c)])
    assert.ok(await eventually(() => feed(B, square).some((m) => m.id === fresh.id && m.text === 'this one is fresh'), 20_000), 'the fresh one comes from C')
    assert.ok(await eventually(() => run(C, 'relay', 'list').serving.blobs <= 1, 10_000), 'B acknowledged what it got')
    assert.ok(!feed(B, square).some((m) => m.id === stale.id || m.text === 'this one expires on the relay'), 'the expired one is not delivered')
  })
})
