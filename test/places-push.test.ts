/**
 * Direct delivery (core/places/push.ts, docs/places.md "Direct delivery"): in a place of up to
 * DIRECT_DELIVERY_MEMBERS members besides the host, the host pushes each message to every member
 * itself and nothing goes over gossipsub; past it, gossipsub carries it. The member's side takes
 * pushes from the place's host only, checked like any envelope. The host's queue per member is
 * bounded (MAX_PUSH_QUEUE_BYTES). In-process nodes on 127.0.0.1 (bench/harness.ts), and a fake
 * network for the queue.
 */
import assert from 'node:assert/strict'
import { befriend, createCluster, placeOf, storedMessages, until, type BenchNode, type Cluster } from '../bench/harness.js'
import { openPlace } from '../bench/places.js'
import type { FrameStream } from '../core/net/framing.js'
import { sealEnvelope } from '../core/crypto/envelope-seal.js'
import { signPlaceMessage } from '../core/places/author.js'
import { DIRECT_DELIVERY_MEMBERS, MAX_PUSH_QUEUE_BYTES, Pusher } from '../core/places/push.js'
import { WRAPPER_METHOD } from '../core/places/receive.js'
import type { PlaceRecord } from '../core/places/records.js'
import { ENVELOPE_KIND } from '../protocol/envelope.js'
import { MAX_FRAME_BYTES } from '../protocol/limits.js'
import { encodePlaceMessage } from '../protocol/place-message.js'
import { encodeWire, PLACE_PROTOCOL } from '../protocol/place-wire.js'

const gossiped = (nodes: BenchNode[]): number => nodes.reduce((s, n) => { const p = n.net.pubsubStats(); return s + p.accepted + p.ignored + p.rejected }, 0)

describe('places: direct delivery in small places', function () {
  this.timeout(120_000)
  let cluster: Cluster
  after(async () => { await cluster?.close() })

  it('at the limit the host pushes each message to every member once and nothing is gossiped; one member more and gossipsub carries it', async () => {
    // the limit lowered to 2 members besides the host, to test it at 2 and at 3 in a small cluster
    cluster = await createCluster(4, { heartbeatMs: 100, prefix: 'push', directDelivery: 2 })
    const [host, bob, carol, dave] = cluster.nodes as [BenchNode, BenchNode, BenchNode, BenchNode]
    const { placeId, topic } = await openPlace(cluster, [host, bob, carol], 'garden', 'all')
    const members = [bob, carol]
    const g0 = gossiped(cluster.nodes)
    const sent0 = host.places.pusher.stats.sent
    assert.equal((await host.places.post(placeId, 'from the host')).pending, false)
    const r = await bob.places.post(placeId, 'from bob')
    assert.equal(r.pending, false)
    const head = placeOf(host, placeId).head
    assert.ok(await until(() => members.every((m) => placeOf(m, placeId).contiguous === head), 10_000), 'both members hold both posts')
    assert.deepEqual(storedMessages(carol, placeId).slice(-2).map((m) => m.text), ['from the host', 'from bob'])
    assert.equal(host.places.pusher.stats.sent - sent0, 4, 'two posts, two members: four pushes')
    assert.equal(gossiped(cluster.nodes), g0, 'no node validated a gossip message')
    // benign drops only: pushes that came before a member stored its admission ('unknown-place',
    // replayed after), or after the replay that followed it brought the same message ('duplicate')
    for (const m of members) {
      const { 'unknown-place': early = 0, duplicate = 0 } = m.places.drops.counts
      assert.deepEqual([m.places.pushes.refused, m.places.drops.total - early - duplicate], [0, 0], `${m.name}: ${JSON.stringify(m.places.drops.counts)}`)
    }

    // a third member: past the limit
    await befriend(host, dave)
    await host.places.invite(placeId, dave.name)
    await dave.places.join(placeId)
    assert.ok(await until(() => placeOf(dave, placeId).contiguous === placeOf(host, placeId).head, 10_000), 'dave caught up')
    assert.ok(await until(() => host.net.topicPeers(topic).includes(dave.peerId), 10_000), 'the host knows dave on the topic')
    await new Promise((resolve) => setTimeout(resolve, 5 * cluster.heartbeatMs)) // meshes settle
    const sent1 = host.places.pusher.stats.sent
    const g1 = gossiped(cluster.nodes)
    await host.places.post(placeId, 'to four')
    const head2 = placeOf(host, placeId).head
    assert.ok(await until(() => [bob, carol, dave].every((m) => placeOf(m, placeId).contiguous === head2), 10_000), 'all three members hold it')
    assert.equal(host.places.pusher.stats.sent, sent1, 'nothing pushed')
    assert.ok(gossiped(cluster.nodes) > g1, 'it went over gossipsub')
  })
})

describe('places: a push is taken from the place\'s host only', function () {
  this.timeout(120_000)
  let cluster: Cluster
  after(async () => { await cluster?.close() })

  it('a member pushing, a host pushing a forged envelope, and junk after a push are dropped, counted and penalised; nothing is stored', async () => {
    cluster = await createCluster(3, { heartbeatMs: 100, prefix: 'pushx' })
    const [host, bob, carol] = cluster.nodes as [BenchNode, BenchNode, BenchNode]
    const { placeId } = await openPlace(cluster, [host, bob, carol], 'garden', 'all')
    // the daemon's own limit (DIRECT_DELIVERY_MEMBERS): two members are pushed to
    const sent0 = host.places.pusher.stats.sent
    await host.places.post(placeId, 'hello')
    const head = placeOf(host, placeId).head
    assert.ok(await until(() => placeOf(carol, placeId).contiguous === head, 10_000))
    assert.ok(DIRECT_DELIVERY_MEMBERS >= 2 && host.places.pusher.stats.sent === sent0 + 2, 'pushed to both members')
    const real = storedMessages(host, placeId).at(-1)!.envelope
    const push = (envelope: Uint8Array): Uint8Array => encodeWire('_notice_place_push', { _place: Buffer.from(placeId, 'hex'), _envelope: envelope })
    const offences = (): number => Object.values(carol.net.stats().offences).reduce((a, b) => a + b, 0)
    const send = async (from: BenchNode, frames: Uint8Array[]): Promise<void> => {
      const s: FrameStream = await from.net.openStream(carol.peerId, carol.addrs(), PLACE_PROTOCOL)
      for (const f of frames) await s.write(f)
      await s.close()
    }
    const stored = (): number => storedMessages(carol, placeId).length

    // bob is a member, not the host: even a genuine envelope is refused
    const n0 = stored()
    const o0 = offences()
    await send(bob, [push(real)])
    assert.ok(await until(() => carol.places.pushes.refused === 1, 5_000), 'refused')
    assert.equal(carol.places.drops.counts['not-from-host'], 1)
    assert.equal(offences(), o0 + 1, 'penalised')
    assert.equal(carol.net.stats().offences.unauthorized, 1)
    carol.net.pardon(bob.peerId)

    // the host, the next message with its host signature broken: a forgery; a message carol holds: a duplicate, no offence
    const p = host.home.store.get<PlaceRecord>('places', placeId)!
    const placeSecretKey = await host.home.openSecret(Buffer.from(placeId, 'hex'), p.secret!)
    const packet = signPlaceMessage(host.home.sodium, Buffer.from(placeId, 'hex'), { method: '_converse', author: host.ego.publicKey, talkId: host.home.sodium.randomBytes(16), time: Date.now(), text: 'forged' }, host.ego.secretKey)
    const forged = sealEnvelope(host.home.sodium, {
      kind: ENVELOPE_KIND.PLACE_MESSAGE, placeSecretKey, messageId: head + 1, generation: p.generation, epochKey: host.home.store.get<Uint8Array>('epochs', [placeId, p.generation])!,
      plaintext: encodeWire(WRAPPER_METHOD, { _state_prev: p.lastStateful, _packet: encodePlaceMessage(packet) })
    })
    forged[forged.length - 1]! ^= 1
    const next = new Uint8Array(real)
    const o1 = offences()
    await send(host, [push(forged), push(next)])
    assert.ok(await until(() => (carol.places.drops.counts.duplicate ?? 0) >= 1, 5_000), 'the genuine copy is a duplicate')
    assert.ok(await until(() => carol.places.drops.counts['bad-host-signature'] === 1, 5_000), `forged dropped: ${JSON.stringify(carol.places.drops.counts)}`)
    assert.equal(offences(), o1 + 1, 'one offence, for the forgery')
    carol.net.pardon(host.peerId)

    // a frame that is not a push after a push ends the stream as an offence
    const o2 = offences()
    await send(host, [push(next), encodeWire('_request_place_replay', { _place: Buffer.from(placeId, 'hex'), _from: 1 })])
    assert.ok(await until(() => offences() === o2 + 1, 5_000), 'penalised as malformed')
    assert.equal(carol.net.stats().offences.malformed, 1)
    assert.equal(stored(), n0, 'nothing new stored')
    carol.net.pardon(host.peerId)

    // and the real thing still works
    await host.places.post(placeId, 'still here')
    assert.ok(await until(() => placeOf(carol, placeId).contiguous === head + 1, 10_000), 'the next push arrives')
  })
})

/** A network of one peer whose streams write when `open` is resolved; records what was written. */
function fakeNet (): { net: ConstructorParameters<typeof Pusher>[0], written: Uint8Array[], release: () => void, connected: { value: boolean }, breakNext: { value: boolean }, opened: { value: number } } {
  const written: Uint8Array[] = []
  let gate: (() => void) | undefined
  let gated = new Promise<void>((resolve) => { gate = resolve })
  const connected = { value: true }
  const breakNext = { value: false }
  const opened = { value: 0 }
  const stream = (): FrameStream => { const s: FrameStream = {
    remotePeer: 'member',
    read: async () => await Promise.reject(new Error('unused')),
    write: async (frame: Uint8Array) => { await s.writeMany([frame]) },
    writeMany: async (frames: Uint8Array[]) => {
      await gated
      if (breakNext.value) { breakNext.value = false; throw new Error('reset') }
      written.push(...frames)
    },
    close: async () => {},
    abort: () => {}
  }; return s }
  const net = {
    isConnected: () => connected.value,
    openStream: async () => { opened.value++; return stream() }
  }
  return { net, written, release: () => { gate?.(); gated = Promise.resolve() }, connected, breakNext, opened }
}

describe('places: the host\'s push queue (MAX_PUSH_QUEUE_BYTES per member)', () => {
  const frame = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill)

  it('holds MAX_PUSH_QUEUE_BYTES for a member that does not read; one byte more is dropped and counted; the rest leave in order', async () => {
    const f = fakeNet()
    const p = new Pusher(f.net, 60_000)
    const size = MAX_FRAME_BYTES / 2
    const fit = Math.floor(MAX_PUSH_QUEUE_BYTES / size)
    let fill = 0
    for (let i = 0; i < fit; i++) assert.equal(p.send('member', frame(size, ++fill % 256)), true, `frame ${i} fits`)
    const rest = MAX_PUSH_QUEUE_BYTES - fit * size
    if (rest > 0) assert.equal(p.send('member', frame(rest, ++fill % 256)), true, 'the queue filled to the byte')
    assert.equal(p.queued('member'), MAX_PUSH_QUEUE_BYTES)
    assert.equal(p.send('member', frame(1, 0)), false, 'one byte over')
    assert.equal(p.stats.dropped, 1)
    f.release()
    assert.ok(await until(() => p.queued('member') === 0, 5_000))
    assert.equal(f.written.length, fill)
    f.written.forEach((w, i) => { assert.equal(w[0], (i + 1) % 256, `frame ${i} in order`) })
    assert.equal(p.send('member', frame(1, 0)), true, 'room again')
    p.stop()
  })

  it('a broken stream is replaced once; a member not connected gets nothing queued', async () => {
    const f = fakeNet()
    f.release()
    const p = new Pusher(f.net, 60_000)
    assert.equal(p.send('member', frame(10, 1)), true)
    assert.ok(await until(() => p.stats.sent === 1, 5_000))
    f.breakNext.value = true
    assert.equal(p.send('member', frame(10, 2)), true)
    assert.ok(await until(() => p.stats.sent === 2, 5_000), 'sent on a fresh stream')
    assert.equal(f.opened.value, 2)
    assert.deepEqual(f.written.map((w) => w[0]), [1, 2])
    f.connected.value = false
    assert.equal(p.send('member', frame(10, 3)), false)
    assert.equal(p.stats.dropped, 1)
    p.stop()
  })
})
