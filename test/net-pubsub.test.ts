/**
 * Publish/subscribe through the libp2p adapter (gossipsub) on 127.0.0.1: delivery exactly once
 * over several paths, validators that accept, ignore, reject or throw, scoring of a peer that
 * forwards invalid messages, unsubscribe, limits and errors, and (printed, not asserted) what the
 * origin uploads per post in a 10-node mesh. No wall-clock assertions: every wait is bounded and
 * fails by timing out.
 */
import assert from 'node:assert/strict'
import { Socket } from 'node:net'
import { createNetNode, type NetNode, type NetOptions, type PubsubMessage, type TopicVerdict } from '../core/net/node.js'
import { generatePeerKey } from '../core/net/peer-key.js'
import { isSecushareError, type ErrorCode } from '../protocol/errors.js'
import { MAX_FRAME_BYTES, MAX_PUBSUB_TOPIC_BYTES } from '../protocol/limits.js'

/** Short heartbeats so meshes form and scores refresh quickly (NetOptions.pubsubHeartbeatMs). */
const HEARTBEAT_MS = 100

const nodes: NetNode[] = []
async function node (o: Partial<NetOptions> = {}, start = true): Promise<NetNode> {
  const n = await createNetNode({ peerKey: await generatePeerKey(), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false, relayClient: false, relayServer: false, pubsubHeartbeatMs: HEARTBEAT_MS, ...o })
  nodes.push(n)
  if (start) await n.start()
  return n
}
after(async () => { await Promise.all(nodes.map(async (n) => { await n.stop() })) })

/** Dials; retried because libp2p refuses more than 5 inbound connections per second from one host. */
async function connect (a: NetNode, b: NetNode): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await a.dial(b.peerId, b.addrs())
      return
    } catch (e) {
      if (attempt === 5 || !isSecushareError(e, 'PEER_UNREACHABLE')) throw e
      await sleep(300)
    }
  }
}

async function sleep (ms: number): Promise<void> { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** Polls until `pred` holds; fails after `ms`. */
async function until (what: string, pred: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

/** Waits until both ends of every link know the other is subscribed to the topic. */
async function meshed (topic: string, links: Array<[NetNode, NetNode]>): Promise<void> {
  await until(`subscriptions on ${topic}`, () => links.every(([x, y]) => x.topicPeers(topic).includes(y.peerId) && y.topicPeers(topic).includes(x.peerId)))
}

interface Sink {
  /** Messages delivered to onMessage. */
  got: PubsubMessage[]
  /** Messages the validator was asked about. */
  asked: PubsubMessage[]
  off: () => void
}

function listen (n: NetNode, topic: string, verdict: (m: PubsubMessage) => TopicVerdict | Promise<TopicVerdict> = () => 'accept'): Sink {
  const sink: Sink = { got: [], asked: [], off: () => {} }
  sink.off = n.subscribe(topic, (m) => { sink.asked.push(m); return verdict(m) }, (m) => { sink.got.push(m) })
  return sink
}

function text (m: PubsubMessage): string { return Buffer.from(m.data).toString() }
function msg (s: string): Uint8Array { return new Uint8Array(Buffer.from(s)) }

async function rejectsWith (p: Promise<unknown> | (() => unknown), code: ErrorCode, detail: Record<string, unknown> = {}): Promise<void> {
  const check = (e: unknown): boolean => {
    assert.ok(isSecushareError(e, code), `expected ${code}, got ${String(e)}`)
    for (const [k, v] of Object.entries(detail)) assert.deepEqual(e.detail[k], v, k)
    return true
  }
  if (typeof p === 'function') assert.throws(p, check)
  else await assert.rejects(p, check)
}

let topics = 0
function topic (): string { return `/secushare-test/topic/${++topics}` }

describe('net pubsub (loopback)', () => {
  it('delivers every post exactly once to every subscriber, over links that give several paths, up to MAX_FRAME_BYTES', async () => {
    const [a, b, c, d, e] = await Promise.all([node(), node(), node(), node(), node()]) as [NetNode, NetNode, NetNode, NetNode, NetNode]
    const links: Array<[NetNode, NetNode]> = [[a, b], [b, c], [c, d], [d, e], [a, c], [b, d], [c, e], [a, e]]
    for (const [x, y] of links) await connect(x, y)
    const t = topic()
    const sinks = new Map([a, b, c, d, e].map((n) => [n, listen(n, t)]))
    await meshed(t, links)

    const big = new Uint8Array(MAX_FRAME_BYTES).fill(7)
    const posts = [msg('one'), msg('two'), big, msg('three')]
    for (const p of posts) {
      const { recipients } = await a.publish(t, p)
      assert.ok(recipients >= 1 && recipients <= 3, `recipients ${recipients}`) // a has 3 neighbours
    }
    for (const n of [b, c, d, e]) await until('all four posts', () => (sinks.get(n) as Sink).got.length >= 4)
    // a later post from the far side: every earlier copy still on its way has arrived by now
    await e.publish(t, msg('marker'))
    for (const n of [a, b, c, d]) await until('the marker', () => (sinks.get(n) as Sink).got.some((m) => text(m) === 'marker'))

    assert.equal((sinks.get(a) as Sink).got.length, 1, 'a does not receive its own posts')
    for (const n of [b, c, d, e]) {
      const s = sinks.get(n) as Sink
      assert.equal(s.got.length, n === e ? 4 : 5, 'each post once, no duplicates')
      assert.equal(s.asked.length, s.got.length, 'each post validated once')
      assert.deepEqual(n.pubsubStats(), { accepted: s.got.length, ignored: 0, rejected: 0 })
      assert.deepEqual(s.got.filter((m) => text(m) !== 'marker').map((m) => m.data.byteLength).sort((x, y) => x - y), [3, 3, 5, MAX_FRAME_BYTES])
      assert.deepEqual(s.got.find((m) => m.data.byteLength === MAX_FRAME_BYTES)?.data, big)
      for (const m of s.got) {
        assert.equal(m.topic, t)
        assert.ok(n.connectedPeers().includes(m.from), 'from is the neighbour that forwarded it')
      }
    }
    // a post published again is a duplicate: not sent
    assert.deepEqual(await a.publish(t, msg('one')), { recipients: 0 })
  })

  it('a rejected message reaches neither onMessage nor the next node of a line, and is counted', async () => {
    const [a, b, c] = await Promise.all([node(), node(), node()]) as [NetNode, NetNode, NetNode]
    await connect(a, b)
    await connect(b, c)
    const t = topic()
    listen(a, t)
    const sb = listen(b, t, (m) => text(m).startsWith('bad') ? 'reject' : 'accept')
    const sc = listen(c, t)
    await meshed(t, [[a, b], [b, c]])

    assert.deepEqual(await a.publish(t, msg('bad one')), { recipients: 1 })
    await a.publish(t, msg('good one')) // after the bad one, on the same streams
    await until('c to get the good one', () => sc.got.length >= 1)
    assert.deepEqual(sb.got.map(text), ['good one'])
    assert.deepEqual(sb.asked.map(text), ['bad one', 'good one'])
    assert.deepEqual(b.pubsubStats(), { accepted: 1, ignored: 0, rejected: 1 })
    assert.deepEqual(sc.asked.map(text), ['good one'], 'c never sees the rejected message')
    assert.deepEqual(sc.got.map(text), ['good one'])
    assert.equal(sc.got[0]?.from, b.peerId)
    assert.deepEqual(c.pubsubStats(), { accepted: 1, ignored: 0, rejected: 0 })
  })

  it('scores a peer that forwards invalid messages down until its messages are ignored (graylist)', async () => {
    // triangle a–b, a–d, d–b; b rejects "bad" messages, d ignores them (no penalty, no forwarding)
    const [a, b, d] = await Promise.all([node(), node(), node()]) as [NetNode, NetNode, NetNode]
    await connect(a, b)
    await connect(a, d)
    await connect(d, b)
    const t = topic()
    listen(a, t)
    const sb = listen(b, t, (m) => text(m).startsWith('bad') ? 'reject' : 'accept')
    const sd = listen(d, t, (m) => text(m).startsWith('bad') ? 'ignore' : 'accept')
    await meshed(t, [[a, b], [a, d], [d, b]])

    // 10 rejected messages: a's score at b is about -100, below the graylist threshold (-80)
    for (let i = 0; i < 10; i++) await a.publish(t, msg(`bad ${i}`))
    await until('b to reject all 10', () => b.pubsubStats().rejected === 10)
    await until('d to ignore all 10', () => d.pubsubStats().ignored === 10)
    assert.equal(sd.got.length, 0)
    // gossipsub caches scores for one heartbeat, and takes up to 128 messages within 1 s from a
    // peer whose score was >= 0 when last computed (ACCEPT_FROM_WHITELIST_*) before it looks again
    await sleep(1000 + 3 * HEARTBEAT_MS)

    await a.publish(t, msg('good after'))
    await until('b to get the good one', () => sb.got.length === 1)
    assert.equal(sb.got[0]?.from, d.peerId, 'b no longer takes anything from a directly, only through d')
    assert.equal(text(sb.got[0] as PubsubMessage), 'good after')
    assert.ok(sb.asked.filter((m) => m.from === a.peerId).every((m) => text(m).startsWith('bad')))
    assert.deepEqual(b.pubsubStats(), { accepted: 1, ignored: 0, rejected: 10 })
  })

  it('counts a validator that throws or answers nonsense as reject, and keeps working', async () => {
    const [a, b] = await Promise.all([node(), node()]) as [NetNode, NetNode]
    await connect(a, b)
    const t = topic()
    listen(a, t)
    const sb = listen(b, t, async (m) => {
      if (text(m) === 'throw') throw new Error('validator bug')
      if (text(m) === 'nonsense') return 'maybe' as TopicVerdict
      if (text(m) === 'throw-async') return await Promise.reject(new Error('async validator bug'))
      return 'accept'
    })
    await meshed(t, [[a, b]])
    for (const s of ['throw', 'nonsense', 'throw-async', 'fine']) await a.publish(t, msg(s))
    await until('the fine one', () => sb.got.length === 1)
    assert.deepEqual(sb.got.map(text), ['fine'])
    assert.deepEqual(b.pubsubStats(), { accepted: 1, ignored: 0, rejected: 3 })
  })

  it('survives an onMessage that throws (counted as a listener error)', async () => {
    const [a, b] = await Promise.all([node(), node()]) as [NetNode, NetNode]
    await connect(a, b)
    const t = topic()
    listen(a, t)
    const got: string[] = []
    b.subscribe(t, () => 'accept', (m) => { got.push(text(m)); if (got.length === 1) throw new Error('handler bug') })
    await meshed(t, [[a, b]])
    await a.publish(t, msg('first'))
    await a.publish(t, msg('second'))
    await until('both', () => got.length === 2)
    assert.equal(b.stats().listenerErrors, 1)
  })

  it('unsubscribe stops delivery and removes the validator; others see the subscription go', async () => {
    const [a, b, c] = await Promise.all([node(), node(), node()]) as [NetNode, NetNode, NetNode]
    await connect(a, b)
    await connect(a, c)
    const t = topic()
    listen(a, t)
    const sb = listen(b, t)
    const sc = listen(c, t)
    await meshed(t, [[a, b], [a, c]])
    await a.publish(t, msg('before'))
    await until('both to get it', () => sb.got.length === 1 && sc.got.length === 1)

    sc.off()
    sc.off() // twice is harmless
    await until('a to see c leave', () => !a.topicPeers(t).includes(c.peerId))
    await a.publish(t, msg('after'))
    await until('b to get it', () => sb.got.length === 2)
    await a.publish(t, msg('after 2'))
    await until('b to get the next', () => sb.got.length === 3)
    assert.deepEqual(sc.got.map(text), ['before'])
    assert.deepEqual(sc.asked.map(text), ['before'])
    assert.deepEqual(c.pubsubStats(), { accepted: 1, ignored: 0, rejected: 0 })

    await rejectsWith(() => b.subscribe(t, () => 'accept', () => {}), 'INVALID_ARGUMENT') // one subscription per topic
    c.subscribe(t, () => 'accept', () => {})() // after unsubscribing, subscribing again is allowed
  })

  it('refuses data over MAX_FRAME_BYTES and topics over MAX_PUBSUB_TOPIC_BYTES; publishes to no one without error', async () => {
    const a = await node()
    const t = topic()
    await rejectsWith(a.publish(t, new Uint8Array(MAX_FRAME_BYTES + 1)), 'LIMIT_EXCEEDED', { limit: 'MAX_FRAME_BYTES', max: MAX_FRAME_BYTES, actual: MAX_FRAME_BYTES + 1 })
    assert.deepEqual(await a.publish(t, new Uint8Array(MAX_FRAME_BYTES)), { recipients: 0 }, 'no peers at all')

    const atLimit = 'é'.repeat(MAX_PUBSUB_TOPIC_BYTES / 2) // 2 bytes each
    const off = a.subscribe(atLimit, () => 'accept', () => {})
    assert.deepEqual(await a.publish(atLimit, msg('x')), { recipients: 0 }, 'subscribed, no one else')
    off()
    await rejectsWith(() => a.subscribe(atLimit + 'x', () => 'accept', () => {}), 'LIMIT_EXCEEDED', { limit: 'MAX_PUBSUB_TOPIC_BYTES', actual: MAX_PUBSUB_TOPIC_BYTES + 1 })
    await rejectsWith(a.publish(atLimit + 'x', msg('x')), 'LIMIT_EXCEEDED', { limit: 'MAX_PUBSUB_TOPIC_BYTES' })
    await rejectsWith(() => a.subscribe('', () => 'accept', () => {}), 'INVALID_ARGUMENT')
    await rejectsWith(a.publish('', msg('x')), 'INVALID_ARGUMENT')
    await rejectsWith(a.publish(t, 'text' as unknown as Uint8Array), 'INVALID_ARGUMENT')

    // connected, but the peer is not subscribed
    const b = await node()
    await connect(a, b)
    await until('the gossipsub streams', () => a.isConnected(b.peerId))
    assert.deepEqual(await a.publish(t, msg('anyone?')), { recipients: 0 })
  })

  it('subscribes before start (effective on start); NET_NOT_STARTED before start and after stop; PUBSUB_DISABLED when off', async () => {
    const a = await node()
    const late = await node({}, false)
    const t = topic()
    listen(a, t)
    const sl = listen(late, t)
    assert.deepEqual(late.topicPeers(t), [])
    await rejectsWith(late.publish(t, msg('x')), 'NET_NOT_STARTED')
    await late.start()
    await connect(late, a)
    await meshed(t, [[a, late]])
    await a.publish(t, msg('hello'))
    await until('late to get it', () => sl.got.length === 1)

    const stopped = await node()
    await stopped.stop()
    await rejectsWith(stopped.publish(t, msg('x')), 'NET_NOT_STARTED')
    assert.deepEqual(stopped.topicPeers(t), [])

    const off = await node({ pubsub: false })
    await rejectsWith(() => off.subscribe(t, () => 'accept', () => {}), 'PUBSUB_DISABLED')
    await rejectsWith(off.publish(t, msg('x')), 'PUBSUB_DISABLED')
    assert.deepEqual(off.topicPeers(t), [])
    assert.deepEqual(off.pubsubStats(), { accepted: 0, ignored: 0, rejected: 0 })
    // a node without pubsub still connects to one with it
    await connect(off, a)
    assert.ok(off.isConnected(a.peerId))
  })

  it('measures what the origin uploads per post in a 10-node mesh (printed, not asserted)', async () => {
    const origin = await node()
    const others = await Promise.all(Array.from({ length: 9 }, async () => await node()))
    // the origin never dials, so every socket it writes to has its listen port as the local port
    const originPort = Number(/\/tcp\/(\d+)\//.exec(origin.addrs()[0] as string)?.[1])
    const links: Array<[NetNode, NetNode]> = []
    for (const [i, n] of others.entries()) {
      links.push([n, origin])
      for (const m of others.slice(i + 1)) links.push([n, m])
    }
    for (const [x, y] of links) await connect(x, y)
    const t = topic()
    listen(origin, t)
    const sinks = others.map((n) => listen(n, t))
    await meshed(t, links)
    await sleep(5 * HEARTBEAT_MS) // let the meshes settle

    let sent = 0
    const write = Socket.prototype.write
    Socket.prototype.write = function (this: Socket, chunk: unknown, ...rest: unknown[]) {
      if (this.localPort === originPort) sent += (chunk as { byteLength?: number, length: number }).byteLength ?? (chunk as { length: number }).length
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest)
    } as typeof Socket.prototype.write
    try {
      for (const size of [1024, 16384, MAX_FRAME_BYTES]) {
        const data = new Uint8Array(size).fill(size & 0xff)
        const expected = sinks.map((s) => s.got.length + 1)
        sent = 0
        const { recipients } = await origin.publish(t, data)
        await until('all 9 to get it', () => sinks.every((s, i) => s.got.length === expected[i]))
        console.log(`      origin upload for one ${size}-byte post to 10 nodes: ${sent} bytes ≈ ${(sent / size).toFixed(1)} copies (sent to ${recipients} peers; gossipsub mesh D=6, Dlo=4, Dhi=12)`)
      }
    } finally {
      Socket.prototype.write = write
    }
  })
})
