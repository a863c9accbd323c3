/**
 * Places over the network, with in-process nodes on 127.0.0.1 (bench/harness.ts), each figure
 * beside a reference measured in the same run (bench/README.md describes the methods):
 *
 * - fan-out: bytes the host uploads per post (transport level: NetOptions.countBytes) ÷ the
 *   envelope size, N members all online; reference: a star, N−1 copies.
 * - delivery: from the host's post() to each member's store holding it (p50, p99); reference: raw
 *   gossipsub over the same nodes and connections (same-sized bytes, no checks, no store).
 * - pipeline: a guest's posts (signed talk to the host) until every member stored them, vs the same
 *   signatures, sealing, opening and verifications in a tight loop.
 * - catch-up: a member restarted after missing K posts replays them, vs the crypto of receiving the
 *   same envelopes in a tight loop.
 *
 * Members enter through the real invitation and admission over the network, and really
 * subscribe, receive, verify and store; only the contact handshake is skipped (contact records are
 * written as it leaves them) and no RPC server runs. All nodes share one process, so every figure
 * that involves many nodes is bounded by this one event loop doing all of their work.
 */
import { randomBytes } from 'node:crypto'
import { openEnvelope, sealEnvelope } from '../core/crypto/envelope-seal.js'
import type { Sodium } from '../core/crypto/sodium.js'
import { signPlaceMessage, verifyPlaceMessage } from '../core/places/author.js'
import { topicFor } from '../core/places/keys.js'
import { WRAPPER_METHOD } from '../core/places/receive.js'
import type { HistoryPolicy, MessageRecord } from '../core/places/records.js'
import { ENVELOPE_KIND } from '../protocol/envelope.js'
import { decodePlaceMessage, encodePlaceMessage } from '../protocol/place-message.js'
import { decodeWire, encodeWire, wireBytes } from '../protocol/place-wire.js'
import { befriend, connectAll, createCluster, placeOf, sleep, until, type BenchNode, type Cluster } from './harness.js'
import type { BenchResult } from './report.js'

/**
 * Gossipsub heartbeat of the fan-out and delivery nodes: the daemon's (gossipsub's default). A
 * shorter one makes meshes settle sooner, but here, where one event loop delivers for all N nodes,
 * IHAVE gossip then reaches members before the mesh copy does and their IWANTs are answered by the
 * host: at N=50, 100 ms doubled the host's upload (≈17 × envelope instead of ≈8.6).
 */
export const FANOUT_HEARTBEAT_MS = 1000
/** The small pipeline and catch-up cluster (everyone in everyone's mesh: no gossip): fast meshes. */
export const SMALL_HEARTBEAT_MS = 100
/** A chat line of 158 characters: its envelope is padded into the 1 KiB bucket. */
const TEXT = 'The garden committee meets on Thursday at seven; bring the seed lists, the rota for watering, and ideas for the spring fair. Tea and cake as usual, all welcome!'

const log = (line: string): void => { process.stderr.write(`  places: ${line}\n`) }
const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)} s`
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
function percentile (xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!
}


interface PlaceSetup { placeId: string, topic: string, host: BenchNode, members: BenchNode[] }

/**
 * nodes[0] hosts a new place and invites every other node, which enters. All nodes are connected
 * to each other first, paced (see connectAll): the host would dial each member to invite it, and
 * each member every other one on every admission notice (Places.meetMembers), all at once. Returns once every node knows every other one as subscribed, every member
 * holds everything, and a few heartbeats passed for the gossipsub meshes to settle.
 */
export async function openPlace (cluster: Cluster, nodes: BenchNode[], name: string, history: HistoryPolicy = 'none', subscribersWaitMs = 10_000): Promise<PlaceSetup> {
  const [host, ...members] = nodes as [BenchNode, ...BenchNode[]]
  for (const m of members) if (host.home.store.get('contacts', m.ego.id) === undefined) await befriend(host, m)
  const unconnected = await connectAll(nodes)
  if (unconnected > 0) log(`${name}: ${unconnected} pairs of nodes stayed unconnected`)
  const placeId = (await host.places.create(name, history)).place
  const topic = topicFor(host.home.sodium, host.home.store.get<Uint8Array>('epochs', [placeId, 1])!)
  for (let i = 0; i < members.length; i += 10) {
    const batch = members.slice(i, i + 10)
    await Promise.all(batch.map(async (m) => { await host.places.invite(placeId, m.name) }))
    await Promise.all(batch.map(async (m) => { await m.places.join(placeId) }))
  }
  const everyone = [host, ...members]
  const unaware = (): number => everyone.filter((x) => x.net.topicPeers(topic).length < everyone.length - 1).length
  if (!await until(() => unaware() === 0, subscribersWaitMs, 50)) log(`${name}: ${unaware()} of ${everyone.length} nodes know fewer than ${everyone.length - 1} subscribers after ${subscribersWaitMs / 1000} s`)
  const head = placeOf(host, placeId).head
  if (!await until(() => members.every((m) => placeOf(m, placeId).contiguous >= head), 30_000, 50)) throw new Error(`${name}: members did not catch up after entering`)
  await sleep(3 * cluster.heartbeatMs)
  return { placeId, topic, host, members }
}

/** Records when each of `nodes` stored each message of a place (store event 'place:message'). */
class Arrivals {
  private readonly times = new Map<number, number[]>()
  private readonly waiters = new Map<number, () => void>()
  private readonly offs: Array<() => void> = []

  constructor (private readonly nodes: BenchNode[], placeId: string) {
    for (const n of nodes) {
      this.offs.push(n.home.store.on('place:message', (e) => {
        if (e.place !== placeId) return
        const id = e.id as number
        const t = this.times.get(id) ?? []
        t.push(performance.now())
        this.times.set(id, t)
        if (t.length === this.nodes.length) this.waiters.get(id)?.()
      }))
    }
  }

  /** The times every node stored message `id` (waits for the last one). */
  async all (id: number, ms: number): Promise<number[]> {
    if ((this.times.get(id)?.length ?? 0) < this.nodes.length) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        new Promise<void>((resolve) => { this.waiters.set(id, resolve) }),
        new Promise<void>((_resolve, reject) => {
          timer = setTimeout(() => { reject(new Error(`message ${id} reached ${this.times.get(id)?.length ?? 0} of ${this.nodes.length} members within ${ms} ms`)) }, ms)
        })
      ]).finally(() => { clearTimeout(timer); this.waiters.delete(id) })
    }
    return this.times.get(id)!
  }

  close (): void { for (const off of this.offs.splice(0)) off() }
}

interface FanoutResult { n: number, ratio: number, envelope: number, latencies: number[], raw?: { latencies: number[], ratio: number } }

/**
 * Host + N−1 members: the host posts `posts` times, each after the previous one reached every
 * member's store (plus 20 ms); the host's upload is counted from before the first post until
 * 4 heartbeats after the last (gossip advertises a message for 3).
 */
async function fanout (n: number, posts: number, withRaw: boolean, subscribersWaitMs: number): Promise<FanoutResult> {
  const t0 = performance.now()
  const cluster = await createCluster(n, { heartbeatMs: FANOUT_HEARTBEAT_MS })
  try {
    // meshes need only some subscribers known; at N = 50 not every node learns all 49 in 10 s here
    const s = await openPlace(cluster, cluster.nodes, `fanout ${n}`, 'none', subscribersWaitMs)
    log(`N=${n}: nodes up, place entered, meshes settled in ${seconds(t0)}`)
    const arrivals = new Arrivals(s.members, s.placeId)
    const latencies: number[] = []
    let envelopeBytes = 0
    const before = s.host.net.stats().bytesOut
    try {
      for (let i = 0; i < posts; i++) {
        const start = performance.now()
        const { id } = await s.host.places.post(s.placeId, TEXT)
        for (const t of await arrivals.all(id!, 30_000)) latencies.push(t - start)
        envelopeBytes += s.host.home.store.get<MessageRecord>('messages', [s.placeId, id!])!.envelope.byteLength
        await sleep(20)
      }
      await sleep(4 * FANOUT_HEARTBEAT_MS)
    } finally {
      arrivals.close()
    }
    const ratio = (s.host.net.stats().bytesOut - before) / envelopeBytes
    const envelope = envelopeBytes / posts
    const raw = withRaw ? await rawGossip(s, posts, Math.round(envelope)) : undefined
    log(`N=${n}: envelope ${Math.round(envelope)} B, host upload ${ratio.toFixed(2)} × envelope per post` +
      (raw === undefined ? '' : `; raw gossipsub of the same size: ${raw.ratio.toFixed(2)} ×`) + `; ${seconds(t0)} in all`)
    return { n, ratio, envelope, latencies, raw }
  } finally {
    await cluster.close()
  }
}

/** The delivery reference: the host publishes same-sized random bytes on a plain topic all nodes joined. */
async function rawGossip (s: PlaceSetup, posts: number, size: number): Promise<{ latencies: number[], ratio: number }> {
  const topic = `bench/raw/${randomBytes(8).toString('hex')}`
  const got = new Map<string, number[]>()
  const unsubs = [s.host, ...s.members].map((node) => node.net.subscribe(topic, () => 'accept', (msg) => {
    const k = Buffer.from(msg.data.subarray(0, 8)).toString('hex')
    got.set(k, [...(got.get(k) ?? []), performance.now()])
  }))
  try {
    await until(() => [s.host, ...s.members].every((x) => x.net.topicPeers(topic).length >= s.members.length), 20_000, 20)
    await sleep(3 * FANOUT_HEARTBEAT_MS)
    const latencies: number[] = []
    const before = s.host.net.stats().bytesOut
    for (let i = 0; i < posts; i++) {
      const data = randomBytes(size)
      const k = data.subarray(0, 8).toString('hex')
      const start = performance.now()
      await s.host.net.publish(topic, data)
      if (!await until(() => (got.get(k)?.length ?? 0) >= s.members.length, 30_000, 1)) throw new Error('raw gossip did not reach every member')
      for (const t of got.get(k)!) latencies.push(t - start)
      await sleep(20)
    }
    await sleep(4 * FANOUT_HEARTBEAT_MS)
    return { latencies, ratio: (s.host.net.stats().bytesOut - before) / (posts * size) }
  } finally {
    for (const u of unsubs) u()
  }
}

/** What a member does to an envelope apart from store lookups: host signature, decryption, unpadding, decoding, author signature. */
function receiveCrypto (sodium: Sodium, envelope: Uint8Array, epochKey: Uint8Array): void {
  const opened = openEnvelope(sodium, envelope, () => epochKey)
  const m = decodePlaceMessage(wireBytes(decodeWire(opened.plaintext), '_packet'))
  if (!verifyPlaceMessage(sodium, opened.placeId, m)) throw new Error('member verify')
}

/**
 * The crypto of one post as the pipeline does it, with `members` receivers, in a loop for
 * `windowMs`: author signature, the host's check of it, wrapping, sealing (pad, AEAD, place
 * signature), then per member receiveCrypto. Posts per second.
 */
function cryptoBoundPosts (sodium: Sodium, members: number, windowMs: number): number {
  const place = sodium.signKeypair()
  const author = sodium.signKeypair()
  const epochKey = sodium.randomBytes(32)
  let n = 0
  const start = performance.now()
  do {
    for (let k = 0; k < 10; k++, n++) {
      const m = signPlaceMessage(sodium, place.publicKey, { method: '_converse', author: author.publicKey, talkId: sodium.randomBytes(16), time: Date.now(), text: TEXT }, author.secretKey)
      if (!verifyPlaceMessage(sodium, place.publicKey, m)) throw new Error('host verify')
      const plaintext = encodeWire(WRAPPER_METHOD, { _state_prev: 0, _packet: encodePlaceMessage(m) })
      const envelope = sealEnvelope(sodium, { kind: ENVELOPE_KIND.PLACE_MESSAGE, placeSecretKey: place.secretKey, messageId: n + 1, generation: 1, epochKey, plaintext })
      for (let r = 0; r < members; r++) receiveCrypto(sodium, envelope, epochKey)
    }
  } while (performance.now() - start < windowMs)
  return n / ((performance.now() - start) / 1000)
}

/** Posts a guest keeps in flight in the pipeline (its RPC clients could). */
const PIPELINE_WINDOW = 8

interface PipelineResult { postsPerS: number, cryptoPerS: number, members: number }

/**
 * Host + 3 members: one member posts `posts` times with PIPELINE_WINDOW posts in flight, until
 * every node stored all of them; median of `runs` after a warm-up.
 */
async function pipeline (cluster: Cluster, posts: number, runs: number, cryptoMs: number): Promise<PipelineResult> {
  const s = await openPlace(cluster, cluster.nodes, 'pipeline')
  const poster = s.members[0]!
  const everyone = [s.host, ...s.members]
  const burst = async (count: number): Promise<number> => {
    const start = performance.now()
    let issued = 0
    let pending = 0
    let last = 0
    await Promise.all(Array.from({ length: PIPELINE_WINDOW }, async () => {
      while (issued < count) {
        issued++
        const r = await poster.places.post(s.placeId, TEXT)
        if (r.pending) pending++
        else last = Math.max(last, r.id)
      }
    }))
    // a pending post is delivered by the guest's retry (Places.flushPending) and counts when it is
    const target = (): number => Math.max(last, pending > 0 ? placeOf(s.host, s.placeId).head : 0)
    const done = (): boolean => everyone.every((x) => placeOf(x, s.placeId).contiguous >= target()) && poster.places.pendingCount(s.placeId) === 0
    if (!await until(done, 60_000, 2)) throw new Error('the pipeline did not deliver every post to every member')
    const ms = performance.now() - start
    log(`pipeline: ${count} posts in ${Math.round(ms)} ms${pending > 0 ? ` (${pending} came back pending, i.e. were retried)` : ''}`)
    return ms
  }
  await burst(Math.min(50, posts)) // warm-up
  const timed: number[] = []
  for (let i = 0; i < runs; i++) timed.push(await burst(posts))
  const cryptos: number[] = []
  for (let i = 0; i < 3; i++) cryptos.push(cryptoBoundPosts(s.host.home.sodium, s.members.length, cryptoMs))
  return { postsPerS: posts / (median(timed) / 1000), cryptoPerS: median(cryptos), members: s.members.length }
}

interface CatchupResult { postsPerS: number, cryptoPerS: number, missed: number }

/**
 * The host and one member in a second place: the member's node stops, the host posts `k`, the
 * member's node starts again on the same store and replays (Places.start and the reconnection
 * both run Places.catchUp); timed from the restart to its store holding the host's head.
 */
async function catchup (cluster: Cluster, k: number): Promise<CatchupResult> {
  const host = cluster.nodes[0]!
  const late = cluster.nodes.at(-1)!
  const s = await openPlace(cluster, [host, late], 'catch-up')
  await late.stop()
  const t0 = performance.now()
  for (let i = 0; i < k; i++) await host.places.post(s.placeId, `${i} ${TEXT}`)
  log(`catch-up: the host sequenced ${k} posts in ${seconds(t0)} while the member was away`)
  const head = placeOf(host, s.placeId).head
  const missed = head - placeOf(late, s.placeId).contiguous
  const up0 = host.net.stats().bytesOut
  const start = performance.now()
  await late.start()
  if (!await until(() => placeOf(late, s.placeId).contiguous >= head, 900_000, 5)) throw new Error('the member did not catch up')
  const elapsed = (performance.now() - start) / 1000
  const envelopes = [...host.home.store.entries<MessageRecord>('messages', { start: [s.placeId, head - missed + 1], end: [s.placeId, head + 1] })].map((e) => e.value.envelope)
  const replayed = (host.net.stats().bytesOut - up0) / envelopes.reduce((a, e) => a + e.byteLength, 0)
  log(`catch-up: ${missed} envelopes in ${elapsed.toFixed(1)} s; the host uploaded ${replayed.toFixed(2)} × their size; the member dropped ${JSON.stringify(late.places.drops.counts)}`)

  // the crypto bound: the same envelopes (at most 2,000 of them), opened and verified in a loop; median of 3 passes
  const sample = envelopes.slice(-2000)
  const key = host.home.store.get<Uint8Array>('epochs', [s.placeId, 1])!
  const rates: number[] = []
  for (let pass = 0; pass < 3; pass++) {
    const t = performance.now()
    for (const env of sample) receiveCrypto(host.home.sodium, env, key)
    rates.push(sample.length / ((performance.now() - t) / 1000))
  }
  return { postsPerS: missed / elapsed, cryptoPerS: median(rates), missed }
}

export async function benchPlaces (opts: { quick?: boolean, only?: string } = {}): Promise<BenchResult[]> {
  const quick = opts.quick === true
  const started = performance.now()
  const results: BenchResult[] = []
  // each part reports what it measured; one that fails is logged and left out of the table
  const part = async (name: string, fn: () => Promise<void>): Promise<void> => {
    if (opts.only !== undefined && !'places'.includes(opts.only) && !name.includes(opts.only)) return
    try { await fn() } catch (e) { log(`${name} failed, left out: ${(e as Error)?.stack ?? String(e)}`) }
  }

  // N = 100 is left out: one process on 2 cores cannot deliver to 99 members before gossip
  // heartbeats do, so the host's upload is mostly IWANT answers (bench/README.md)
  const latencyN = quick ? 10 : 50
  // the host's mesh (4 to 12 peers) is drawn anew with each place: the full run takes 3 and the median
  const reps = quick ? 1 : 3
  for (const n of [10, 50]) {
    await part(`fan-out N=${n}`, async () => {
      const runs: FanoutResult[] = []
      for (let i = 0; i < reps; i++) runs.push(await fanout(n, n === latencyN ? 40 : 20, n === latencyN, quick ? 3000 : 10_000))
      const ratio = median(runs.map((r) => r.ratio))
      if (reps > 1) log(`N=${n}: host upload ${runs.map((r) => r.ratio.toFixed(2)).join(', ')} × envelope; median ${ratio.toFixed(2)}`)
      const envelope = runs[0]!.envelope
      results.push({ key: `fanout_origin_ratio_n${n}`, value: ratio, unit: `× envelope (${Math.round(envelope)} B${reps > 1 ? `, median of ${reps}` : ''})`, reference: n - 1, referenceUnit: '× (star: N−1)' })
      if (n !== latencyN) return
      const latencies = runs.flatMap((r) => r.latencies)
      const raw = runs.flatMap((r) => r.raw!.latencies)
      for (const [key, p] of [['delivery_p50_ms', 0.5], ['delivery_p99_ms', 0.99]] as const) {
        results.push({ key, value: percentile(latencies, p), unit: `ms (N=${n})`, reference: percentile(raw, p), referenceUnit: 'ms (raw gossipsub)' })
      }
    })
  }

  if (opts.only === undefined || 'places fan-out'.includes(opts.only)) results.push({ key: 'fanout_origin_ratio_n100', value: null, unit: '× envelope', reference: 99, referenceUnit: '× (star: N−1)', reason: 'needs nodes in separate processes: in one process on 2 cores most of the host\'s upload at N = 100 is IWANT answers to members that had not processed the mesh copy yet (bench/README.md)' })

  const cluster = await createCluster(4, { heartbeatMs: SMALL_HEARTBEAT_MS, prefix: 'p' })
  try {
    await part('pipeline', async () => {
      const p = await pipeline(cluster, quick ? 150 : 1000, 3, quick ? 300 : 1000)
      results.push({ key: 'pipeline_posts_per_s', value: p.postsPerS, unit: `posts/s (N=${p.members + 1})`, reference: p.cryptoPerS, referenceUnit: 'posts/s (crypto bound)' })
      results.push({ key: 'crypto_bound_posts_per_s', value: p.cryptoPerS, unit: `posts/s (${p.members} receivers)` })
      results.push({ key: 'pipeline_efficiency', value: p.postsPerS / p.cryptoPerS, unit: '× crypto bound', reference: 0.5, referenceUnit: '(goal, at least)' })
      // the same place delivered on gossipsub, as a place too large for direct delivery is
      const gossip = await createCluster(4, { heartbeatMs: SMALL_HEARTBEAT_MS, prefix: 'pg', directDelivery: 0 })
      try {
        const g = await pipeline(gossip, quick ? 150 : 1000, 3, quick ? 300 : 1000)
        results.push({ key: 'pipeline_gossip_posts_per_s', value: g.postsPerS, unit: `posts/s (N=${g.members + 1}, gossipsub)`, reference: p.postsPerS, referenceUnit: 'posts/s (direct)' })
        results.push({ key: 'pipeline_direct_vs_gossip', value: p.postsPerS / g.postsPerS, unit: '× (direct ÷ gossipsub)' })
      } finally {
        await gossip.close()
      }
    })
    await part('catch-up', async () => {
      const c = await catchup(cluster, quick ? 2000 : 10_000)
      results.push({ key: 'catchup_posts_per_s', value: c.postsPerS, unit: `posts/s (K=${c.missed})`, reference: c.cryptoPerS, referenceUnit: 'posts/s (crypto bound)' })
      results.push({ key: 'catchup_efficiency', value: c.postsPerS / c.cryptoPerS, unit: '× crypto bound' })
    })
  } finally {
    await cluster.close()
  }
  log(`done in ${seconds(started)}`)
  return results
}
