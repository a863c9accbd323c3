/**
 * Churn (test plan T9), on in-process nodes (bench/harness.ts) on 127.0.0.1: 10 nodes in 2 places
 * (hosted by two of them, which stay up: a place cannot sequence without its host), 2 posts per
 * second per place by random online members, for 2 minutes; every 20 s, 20% of the nodes leave
 * and those that left 20 s earlier return (stopped and started again on the same store and port,
 * as a daemon with a fixed --listen port; kill -9 is test/crash.test.ts's business).
 *
 * Pass: at least 99.9% of (post, member) deliveries to members online for the 10 s after the post
 * happen within those 10 s; every delivery to a member that was away happens within 60 s of its
 * return; at the end every node holds every post of both places exactly once, in the host's order;
 * no node ever has more than MAX_CONNECTIONS connections. Every failure names the seed.
 * `npm run soak`: 20 nodes for 10 minutes.
 */
import assert from 'node:assert/strict'
import { createCluster, placeOf, sleep, storedMessages, until, type BenchNode, type Cluster } from '../bench/harness.js'
import { openPlace } from '../bench/places.js'
import { MAX_CONNECTIONS } from '../protocol/limits.js'
import { prng } from './support/prng.js'
import { runSeed, soak } from './support/seed.js'

const NODES = soak(10, 20)
const RUN_MS = soak(120_000, 600_000)
const ROUND_MS = 20_000
const LEAVING_SHARE = 0.2
const POST_EVERY_MS = 500
const ONLINE_WINDOW_MS = 10_000
const RETURN_WINDOW_MS = 60_000
const ONLINE_GOAL = 0.999


describe('churn: members leave and return while places are busy', function () {
  this.timeout(RUN_MS + 240_000)
  let cluster: Cluster
  after(async () => { await cluster?.close() })

  it(`${NODES} nodes, ${RUN_MS / 1000} s, ${LEAVING_SHARE * 100}% leaving and returning every ${ROUND_MS / 1000} s`, async () => {
    const seed = runSeed('churn')
    const rnd = prng(seed)
    const why = `seed ${seed}`
    cluster = await createCluster(NODES, { heartbeatMs: 1000, prefix: 'ch', keepPorts: true })
    const nodes = cluster.nodes
    const hosts = nodes.slice(0, 2)
    const places: string[] = []
    for (const host of hosts) places.push((await openPlace(cluster, [host, ...nodes.filter((n) => n !== host)], `busy-${host.name}`, 'all')).placeId)

    // when each node stored each message: node → "place:id" → ms
    const arrivals = nodes.map(() => new Map<string, number>())
    const offs = nodes.map((n, i) => n.home.store.on('place:message', (e) => {
      const k = `${String(e.place)}:${Number(e.id)}`
      if (!arrivals[i]!.has(k)) arrivals[i]!.set(k, Date.now())
    }))
    const away = nodes.map(() => [] as Array<{ from: number, to: number }>)
    const posts: Array<{ place: string, text: string, at: number }> = []
    let maxConnections = 0
    let postErrors = 0

    const start = Date.now()
    let posting = true
    const poster = (async () => {
      let k = 0
      while (posting) {
        const tick = Date.now()
        for (const place of places) {
          const online = nodes.filter((n) => n.running)
          const n = online[Math.floor(rnd() * online.length)]!
          const text = `${n.name} #${k++}`
          const at = Date.now()
          // not awaited in turn: a guest waits for the host's answer, the clock does not
          void n.places.post(place, text).then(() => { posts.push({ place, text, at }) }, () => { postErrors++ })
        }
        maxConnections = Math.max(maxConnections, ...nodes.filter((n) => n.running).map((n) => n.net.connectedPeers().length))
        await sleep(Math.max(0, POST_EVERY_MS - (Date.now() - tick)))
      }
    })()

    let leftLastRound: BenchNode[] = []
    while (Date.now() - start < RUN_MS - ROUND_MS / 2) {
      await sleep(ROUND_MS - ((Date.now() - start) % ROUND_MS))
      const candidates = nodes.filter((n) => !hosts.includes(n) && n.running)
      const leaving = candidates.sort(() => rnd() - 0.5).slice(0, Math.round(NODES * LEAVING_SHARE))
      for (const n of leaving) { away[nodes.indexOf(n)]!.push({ from: Date.now(), to: Infinity }); await n.stop() }
      for (const n of leftLastRound) { await n.start(); away[nodes.indexOf(n)]!.at(-1)!.to = Date.now() }
      leftLastRound = leaving
    }
    for (const n of leftLastRound) { await n.start(); away[nodes.indexOf(n)]!.at(-1)!.to = Date.now() }
    posting = false
    await poster
    const ended = Date.now()

    const idOf = new Map<string, string>() // "place:text" → "place:id", from the hosts
    for (const [i, place] of places.entries()) for (const m of storedMessages(hosts[i]!, place)) idOf.set(`${place}:${m.text ?? ''}`, `${place}:${m.id}`)
    const allThere = (): boolean => posts.every((p) => idOf.has(`${p.place}:${p.text}`)) && nodes.every((n) => places.every((place, i) => {
      const r = placeOf(n, place)
      return r.contiguous === r.head && r.head === placeOf(hosts[i]!, place).head
    }))
    const converged = await until(() => {
      for (const [i, place] of places.entries()) for (const m of storedMessages(hosts[i]!, place)) idOf.set(`${place}:${m.text ?? ''}`, `${place}:${m.id}`)
      return allThere()
    }, RETURN_WINDOW_MS, 200)
    // a message is readable once committed, and its event fires after the flush that follows: a
    // write queued now resolves after the events of every commit before it (core/store/lmdb.ts)
    await Promise.all(nodes.map(async (n) => { await n.home.store.write(() => {}) }))
    for (const off of offs) off()
    assert.ok(converged, `${why}: not every node holds every post ${RETURN_WINDOW_MS / 1000} s after the churn ended`)

    let online = 0
    let onlineLate = 0
    const late: string[] = []
    for (const p of posts) {
      const key = idOf.get(`${p.place}:${p.text}`)!
      for (const [i, n] of nodes.entries()) {
        const got = arrivals[i]!.get(key) ?? Infinity
        const gap = away[i]!.find((a) => a.from < p.at + ONLINE_WINDOW_MS && a.to > p.at)
        if (gap === undefined) {
          online++
          if (got > p.at + ONLINE_WINDOW_MS) { onlineLate++; if (late.length < 5) late.push(`${p.text} → ${n.name} after ${got - p.at} ms`) }
        } else if (got > p.at + ONLINE_WINDOW_MS && got > Math.max(gap.to, p.at) + RETURN_WINDOW_MS) {
          assert.fail(`${why}: ${p.text} reached ${n.name} ${got - gap.to} ms after its return (away ${gap.from - start}..${gap.to - start} ms)`)
        }
      }
    }
    for (const [i, place] of places.entries()) {
      const want = storedMessages(hosts[i]!, place).map((m) => `${m.id}:${m.talkId}`).join('\n')
      for (const n of nodes) assert.equal(storedMessages(n, place).map((m) => `${m.id}:${m.talkId}`).join('\n'), want, `${why}: ${n.name} differs from the host in ${place.slice(0, 8)}`)
      const texts = storedMessages(hosts[i]!, place).map((m) => m.text)
      for (const p of posts.filter((x) => x.place === place)) assert.equal(texts.filter((t) => t === p.text).length, 1, `${why}: ${p.text} not once`)
    }
    const share = 1 - onlineLate / online
    console.log(`      ${why}: ${posts.length} posts in ${((ended - start) / 1000).toFixed(0)} s (${postErrors} refused while their author left), ` +
      `${away.flat().length} departures; ${online - onlineLate}/${online} deliveries to online members within ${ONLINE_WINDOW_MS / 1000} s (${(share * 100).toFixed(2)}%); max ${maxConnections} connections`)
    assert.ok(share >= ONLINE_GOAL, `${why}: only ${(share * 100).toFixed(2)}% within ${ONLINE_WINDOW_MS / 1000} s; late: ${late.join('; ')}`)
    assert.ok(maxConnections <= MAX_CONNECTIONS)
    assert.ok(posts.length >= (RUN_MS / POST_EVERY_MS) * places.length * 0.8, `${why}: too few posts went out (${posts.length})`)
  })
})
