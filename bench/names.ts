/**
 * Name resolution latency over live in-process nodes: a chain n0 – n1 – n2 – n3 – n4 of contacts
 * (each node's zone holds its contacts' PKEY records under their petnames), n0 resolving names of
 * 1, 2 and 4 labels (`n1`, `n2.n1`, `n4.n3.n2.n1`), cold (cache cleared before each) and cached.
 * Reference, measured in the same run: a raw stream round trip between two of the nodes (open a
 * stream, one frame there and back) times the number of remote zones the name crosses.
 */
import { MAX_FRAME_BYTES } from '../protocol/limits.js'
import { Names } from '../core/names/names.js'
import type { Ego } from '../core/identity/ego.js'
import { befriend, createCluster, type BenchNode } from './harness.js'
import type { BenchResult } from './report.js'

const ECHO = '/secushare/bench-echo/1.0.0'
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!

async function timed (fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now()
  await fn()
  return performance.now() - t
}

export async function benchNames (opts: { quick?: boolean } = {}): Promise<BenchResult[]> {
  const reps = opts.quick === true ? 15 : 60
  const cluster = await createCluster(5, { heartbeatMs: 1000, prefix: 'n' })
  try {
    const nodes = cluster.nodes
    for (let i = 0; i + 1 < nodes.length; i++) await befriend(nodes[i]!, nodes[i + 1]!)
    const names = new Map<BenchNode, Names>()
    for (const node of nodes) {
      const egos = new Map<string, Ego>([[node.ego.id, node.ego]])
      const n = new Names({ sodium: node.home.sodium, store: node.home.store, net: node.net, egos, defaultEgo: node.ego.id, contacts: node.contacts.book })
      await n.start()
      names.set(node, n)
    }
    await nodes[1]!.net.handle(ECHO, async (s) => { await s.write(await s.read(MAX_FRAME_BYTES, 10_000)); await s.close() })
    const a = nodes[0]!
    const resolver = names.get(a)!
    const rtt = async (): Promise<number> => await timed(async () => {
      const s = await a.net.openStream(nodes[1]!.peerId, nodes[1]!.addrs(), ECHO)
      try { await s.write(new Uint8Array(64)); await s.read(MAX_FRAME_BYTES, 10_000) } finally { s.abort('done') }
    })
    for (let i = 0; i < 5; i++) await rtt() // warm-up: connections, protocol negotiation
    const trips: number[] = []
    for (let i = 0; i < reps; i++) trips.push(await rtt())
    const raw = median(trips)
    const results: BenchResult[] = []
    for (const [labels, name, remote] of [[1, 'n1', 0], [2, 'n2.n1', 1], [4, 'n4.n3.n2.n1', 3]] as const) {
      const want = nodes[labels]!.ego.id
      const check = async (): Promise<void> => {
        const r = await resolver.resolve(name)
        if (r.type !== 'PKEY' || r.ego !== want) throw new Error(`${name} resolved to ${JSON.stringify(r)}`)
      }
      await check() // warm-up
      const cold: number[] = []
      for (let i = 0; i < reps; i++) { resolver.resolver.clearCache(); cold.push(await timed(check)) }
      const cached: number[] = []
      for (let i = 0; i < reps; i++) cached.push(await timed(check))
      results.push(
        { key: `resolve_ms_${labels}_labels_cold`, value: median(cold), unit: `ms (${remote} remote zones)`, reference: remote * raw, referenceUnit: `ms (${remote} × raw stream round trip)` },
        { key: `resolve_ms_${labels}_labels_cached`, value: median(cached), unit: 'ms', reference: median(cold), referenceUnit: 'ms (cold)' }
      )
    }
    results.push({ key: 'raw_stream_round_trip_ms', value: raw, unit: 'ms (open a stream, one frame there and back)' })
    return results
  } finally {
    await cluster.close()
  }
}
