/**
 * Partition and heal (test plan T8, short form), on in-process nodes (bench/harness.ts) on
 * 127.0.0.1: a host and members of one place are split in two sides (seeded) by blocking every
 * link between the sides at the connection gater (NetNode.block). Every node posts while split:
 * the host's side is sequenced at once, the far side's posts wait in their outbox. Then the links
 * are unblocked and redialled. Pass: within HEAL_WAIT_MS every node holds the same ordered message
 * set as the host (dense ids, same talk ids in the same order), and every post is there exactly
 * once. Short form: 6 nodes, 3 posts each; `npm run soak`: 9 nodes, 20 posts each, 3 rounds.
 */
import assert from 'node:assert/strict'
import { connectAll, createCluster, placeOf, storedMessages, until, type BenchNode, type Cluster } from '../bench/harness.js'
import { openPlace } from '../bench/places.js'
import { prng } from './support/prng.js'
import { runSeed, soak } from './support/seed.js'

const NODES = soak(6, 9)
const POSTS_PER_NODE = soak(3, 20)
const ROUNDS = soak(1, 3)
/** A bound on convergence after the heal (redial pacing included), not a measured time. */
const HEAL_WAIT_MS = 60_000

function ordered (node: BenchNode, placeId: string): string[] {
  return storedMessages(node, placeId).map((m) => `${m.id}:${m.talkId}:${m.text ?? ''}`)
}

describe('partition: a place split in two sides heals to one ordered history', function () {
  this.timeout(soak(180_000, 1_800_000))
  let cluster: Cluster
  after(async () => { await cluster?.close() })

  it(`${NODES} nodes, ${ROUNDS} partition(s), ${POSTS_PER_NODE} posts per node per side: same messages, same order, no duplicates`, async () => {
    const seed = runSeed('partition')
    const rnd = prng(seed)
    cluster = await createCluster(NODES, { heartbeatMs: 100, prefix: 'part' })
    const nodes = cluster.nodes
    const host = nodes[0]!
    const placeId = (await openPlace(cluster, nodes, 'split', 'all')).placeId
    const posted: string[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const why = `seed ${seed}, round ${round}`
      // the host's side: the host and a seeded half of the members (at least one on each side)
      const members = nodes.slice(1).sort(() => rnd() - 0.5)
      const cut = 1 + Math.floor(rnd() * (members.length - 1))
      const near = new Set([host, ...members.slice(0, cut)])
      const far = members.slice(cut)
      for (const a of near) for (const b of far) { await a.net.block(b.peerId); await b.net.block(a.peerId) }
      assert.ok(far.every((b) => [...near].every((a) => !b.net.isConnected(a.peerId))), `${why}: the sides are apart`)

      let pending = 0
      for (let i = 0; i < POSTS_PER_NODE; i++) {
        for (const n of nodes.sort(() => rnd() - 0.5)) {
          const text = `r${round} ${n.name} #${i}`
          const r = await n.places.post(placeId, text)
          assert.equal(r.pending, !near.has(n), `${why}: ${text} pending is ${String(r.pending)}`)
          if (r.pending) pending++
          posted.push(text)
        }
      }
      assert.equal(pending, far.length * POSTS_PER_NODE)

      for (const a of near) for (const b of far) { a.net.unblock(b.peerId); b.net.unblock(a.peerId) }
      nodes.sort((a, b) => a.name.localeCompare(b.name))
      assert.equal(await connectAll(nodes), 0, `${why}: every pair reconnects`)
      const converged = (): boolean => {
        const want = ordered(host, placeId)
        return want.length === placeOf(host, placeId).head && nodes.every((n) => {
          const p = placeOf(n, placeId)
          return p.contiguous === p.head && p.head === want.length && ordered(n, placeId).join('\n') === want.join('\n')
        })
      }
      const healed = await until(converged, HEAL_WAIT_MS, 50)
      const heads = nodes.map((n) => `${n.name} ${placeOf(n, placeId).contiguous}/${placeOf(n, placeId).head}`).join(', ')
      assert.ok(healed, `${why}: not converged after the heal: host head ${placeOf(host, placeId).head}; ${heads}`)
      const texts = ordered(host, placeId).map((l) => l.split(':').slice(2).join(':'))
      for (const t of posted) assert.equal(texts.filter((x) => x === t).length, 1, `${why}: "${t}" is not there exactly once`)
      const ids = ordered(host, placeId).map((l) => Number(l.split(':')[0]))
      ids.forEach((id, i) => { assert.equal(id, i + 1, `${why}: ids not dense`) })
      console.log(`      round ${round}: ${near.size} | ${far.length} nodes, ${pending} posts waited for the heal; converged at head ${ids.length}`)
    }
  })
})
