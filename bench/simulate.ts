/**
 * A simulation of many lightweight nodes, to check the shape of docs/scale.md's extrapolation
 * beyond what one machine can run as real nodes: with gossipsub's mesh (degree D, between Dlo and
 * Dhi; net/node.ts's PUBSUB_MESH_*), what the origin and every other node send per message stays
 * flat as the place grows, and the number of hops grows like log_D(N).
 *
 * The model: every node has mesh links to D random others, then links over Dhi are pruned at
 * random (gossipsub's GRAFT/PRUNE converge to such a graph). A message goes from the origin to its
 * mesh; each node forwards it, once, to every mesh peer but the one it came from, and drops later
 * copies (gossipsub's seen-cache). Gossip (IHAVE ids to DLAZY peers per heartbeat, which in a
 * converged mesh brings no IWANT) is counted in bytes per message separately. Deterministic for a
 * seed: the same seed gives the same graph.
 */
import { PUBSUB_MESH_HIGH, PUBSUB_MESH_LOW, PUBSUB_MESH_TARGET } from '../core/net/node.js'
import { prng } from '../test/support/prng.js'
import type { BenchResult } from './report.js'

/** Gossipsub's defaults for lazy gossip: peers per heartbeat, heartbeats a message id is gossiped. */
const DLAZY = 6
const GOSSIP_HEARTBEATS = 3
/** Bytes of one message id in an IHAVE (gossipsub: our ids are 20 bytes) with its protobuf framing. */
const IHAVE_ID_BYTES = 22

export interface SimResult {
  n: number
  /** Copies the origin sends per message. */
  originSends: number
  /** Copies an average / the busiest node sends per message. */
  meanSends: number
  maxSends: number
  /** Copies an average node receives (the first plus duplicates). */
  meanReceived: number
  /** Hops to the farthest and to the average node. */
  maxHops: number
  meanHops: number
  /** Every node got the message. */
  reachedAll: boolean
}

export function meshGraph (n: number, seed: number, d = PUBSUB_MESH_TARGET, dlo = PUBSUB_MESH_LOW, dhi = PUBSUB_MESH_HIGH): Array<Set<number>> {
  const rand = prng(seed)
  const mesh = Array.from({ length: n }, () => new Set<number>())
  const link = (a: number, b: number): void => { if (a !== b) { mesh[a]!.add(b); mesh[b]!.add(a) } }
  for (let i = 0; i < n; i++) {
    let tries = 0
    while (mesh[i]!.size < d && tries++ < 10 * d) link(i, Math.floor(rand() * n))
  }
  for (let i = 0; i < n; i++) {
    while (mesh[i]!.size > dhi) {
      const peers = [...mesh[i]!].filter((p) => mesh[p]!.size > dlo)
      if (peers.length === 0) break
      const p = peers[Math.floor(rand() * peers.length)]!
      mesh[i]!.delete(p)
      mesh[p]!.delete(i)
    }
  }
  return mesh
}

export function simulate (n: number, seed: number): SimResult {
  const mesh = meshGraph(n, seed)
  const sends = new Array<number>(n).fill(0)
  const received = new Array<number>(n).fill(0)
  const hops = new Array<number>(n).fill(-1)
  hops[0] = 0
  let frontier: Array<[node: number, from: number]> = [[0, -1]]
  while (frontier.length > 0) {
    const next: Array<[number, number]> = []
    for (const [node, from] of frontier) {
      for (const p of mesh[node]!) {
        if (p === from) continue
        sends[node]!++
        received[p]!++
        if (hops[p] === -1) { hops[p] = hops[node]! + 1; next.push([p, node]) }
      }
    }
    frontier = next
  }
  const others = sends.slice(1)
  const reached = hops.filter((h) => h >= 0)
  return {
    n, originSends: sends[0]!, meanSends: others.reduce((a, b) => a + b, 0) / others.length, maxSends: Math.max(...others),
    meanReceived: received.slice(1).reduce((a, b) => a + b, 0) / (n - 1),
    maxHops: Math.max(...reached), meanHops: reached.reduce((a, b) => a + b, 0) / reached.length, reachedAll: reached.length === n
  }
}

/** Gossip bytes a node sends per message: ids to DLAZY peers for GOSSIP_HEARTBEATS heartbeats. */
export const GOSSIP_BYTES_PER_MESSAGE = DLAZY * GOSSIP_HEARTBEATS * IHAVE_ID_BYTES

export async function benchSimulation (opts: { quick?: boolean } = {}): Promise<BenchResult[]> {
  const sizes = opts.quick === true ? [200, 1000, 5000] : [200, 1000, 10_000, 100_000]
  const seeds = opts.quick === true ? 3 : 5
  const rows: SimResult[] = []
  for (const n of sizes) {
    const runs = Array.from({ length: seeds }, (_, s) => simulate(n, 1000 + s))
    const mean = (f: (r: SimResult) => number): number => runs.reduce((a, r) => a + f(r), 0) / runs.length
    if (!runs.every((r) => r.reachedAll)) throw new Error(`simulation: a message did not reach every node at N=${n}`)
    rows.push({ n, originSends: mean((r) => r.originSends), meanSends: mean((r) => r.meanSends), maxSends: mean((r) => r.maxSends), meanReceived: mean((r) => r.meanReceived), maxHops: mean((r) => r.maxHops), meanHops: mean((r) => r.meanHops), reachedAll: true })
    process.stderr.write(`  simulation: N=${n}: origin sends ${rows.at(-1)!.originSends.toFixed(1)}, a node ${rows.at(-1)!.meanSends.toFixed(2)} (busiest ${rows.at(-1)!.maxSends.toFixed(1)}), receives ${rows.at(-1)!.meanReceived.toFixed(2)}, hops ${rows.at(-1)!.meanHops.toFixed(1)} (max ${rows.at(-1)!.maxHops.toFixed(1)})\n`)
  }
  const first = rows[0]!
  const last = rows.at(-1)!
  return [
    ...rows.flatMap((r) => [
      { key: `sim_origin_copies_n${r.n}`, value: r.originSends, unit: `copies per message (mean of ${seeds} graphs)`, reference: r.n - 1, referenceUnit: '(star: N−1)' },
      { key: `sim_node_copies_n${r.n}`, value: r.meanSends, unit: 'copies sent per message by an average member', reference: r.meanReceived, referenceUnit: 'copies received' },
      { key: `sim_hops_n${r.n}`, value: r.meanHops, unit: 'hops to an average member', reference: r.maxHops, referenceUnit: 'hops to the farthest' }
    ]),
    { key: 'sim_gossip_bytes_per_message', value: GOSSIP_BYTES_PER_MESSAGE, unit: 'B of IHAVE ids a node sends per message (any N)', reference: 1178, referenceUnit: 'B (a chat line\'s envelope)' },
    { key: 'sim_origin_flatness', value: last.originSends / first.originSends, unit: `× (origin copies at N=${last.n} ÷ at N=${first.n}; flat = 1)` },
    { key: 'sim_node_flatness', value: last.meanSends / first.meanSends, unit: `× (member copies at N=${last.n} ÷ at N=${first.n}; flat = 1)` }
  ]
}
