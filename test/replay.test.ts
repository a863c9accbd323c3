/**
 * Replays (test plan T4), on in-process nodes (bench/harness.ts) on 127.0.0.1: a member's stored
 * envelopes of one place are fed back (a) to the member, (b) to the member after a restart on the
 * same store, (c) into another place of the same host, (d) to the host that sequenced them, and
 * (e) published again on the place's gossip topic by the member. Pass: no new row, no
 * `place:message` event, the same head, and the reason counted (duplicate or wrong-place).
 */
import assert from 'node:assert/strict'
import { createCluster, placeOf, sleep, storedMessages, until, type Cluster, type BenchNode } from '../bench/harness.js'
import { openPlace } from '../bench/places.js'
import { topicFor } from '../core/places/keys.js'

const POSTS = 20

function envelopes (node: BenchNode, placeId: string): Uint8Array[] {
  return storedMessages(node, placeId).map((m) => m.envelope)
}
const rows = (node: BenchNode, placeId: string): number => envelopes(node, placeId).length

describe('replay: stored envelopes fed back in are no-ops', function () {
  this.timeout(120_000)
  let cluster: Cluster
  let host: BenchNode
  let member: BenchNode
  let p = ''
  let q = ''
  let events = 0
  const offs: Array<() => void> = []

  before(async () => {
    cluster = await createCluster(2, { heartbeatMs: 100, prefix: 'replay' })
    ;[host, member] = cluster.nodes as [BenchNode, BenchNode]
    p = (await openPlace(cluster, [host, member], 'p', 'all')).placeId
    q = (await openPlace(cluster, [host, member], 'q', 'all')).placeId
    for (let i = 0; i < POSTS; i++) await host.places.post(p, `post ${i}`)
    const head = placeOf(host, p).head
    assert.ok(await until(() => placeOf(member, p).contiguous === head, 20_000), 'the member has every post')
    for (const n of [host, member]) offs.push(n.home.store.on('place:message', () => { events++ }))
  })
  after(async () => { for (const off of offs) off(); await cluster?.close() })

  it('(a) on the same node, (b) after a restart, (c) into another place, (d) at the host, (e) over gossip', async () => {
    const stored = envelopes(member, p)
    assert.equal(stored.length, placeOf(host, p).head)
    const before = { p: rows(member, p), q: rows(member, q), hostP: rows(host, p), headP: placeOf(member, p).head, headQ: placeOf(member, q).head }
    const duplicates = (): number => member.places.drops.counts.duplicate ?? 0

    const d0 = duplicates()
    assert.equal(await member.places.receiveMany(p, stored), 0, '(a) replayed to the member')
    assert.ok(duplicates() - d0 >= stored.length, '(a) every one counted as a duplicate (late gossip may add more)')

    await member.stop()
    await member.start()
    assert.equal(await member.places.receiveMany(p, stored), 0, '(b) replayed after a restart')
    for (const e of stored) assert.equal(await member.places.receive(p, e), false, '(b) one at a time')

    const wrong0 = member.places.drops.counts['wrong-place'] ?? 0
    assert.equal(await member.places.receiveMany(q, stored), 0, '(c) replayed into another place')
    assert.ok((member.places.drops.counts['wrong-place'] ?? 0) - wrong0 >= stored.length, '(c) every one counted as wrong-place')

    assert.equal(await host.places.receiveMany(p, stored), 0, '(d) replayed to the host')

    // (e) the member re-publishes every stored envelope on the place's topic: gossipsub's seen
    // cache (message ids are content hashes) or the host's validator drops them
    const topic = topicFor(member.home.sodium, member.home.store.get<Uint8Array>('epochs', [p, placeOf(member, p).generation])!)
    await until(() => member.net.topicPeers(topic).length > 0, 10_000)
    for (const e of stored) await member.net.publish(topic, e).catch(() => {})
    await sleep(10 * cluster.heartbeatMs)

    assert.deepEqual({ p: rows(member, p), q: rows(member, q), hostP: rows(host, p), headP: placeOf(member, p).head, headQ: placeOf(member, q).head }, before, 'no new rows, heads unchanged')
    assert.equal(events, 0, 'no place:message event for a replay')
  })
})
