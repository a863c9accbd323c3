/**
 * Memory under load (test plan T13): a real `secushare daemon` process (the subject) is a member
 * of a busy place hosted by in-process nodes (bench/harness.ts) and holds connections from many
 * other peers, all on 127.0.0.1. Posts are offered at a fixed rate by the host (two other members
 * are in the place, so the subject also forwards); the subject receives, verifies and stores each
 * one. The host publishes on gossipsub, as in a place too large for direct delivery
 * (docs/places.md): the heavier path for the subject, with gossipsub's caches sized by the rate. Its memory is read from /proc every second. The host writes the posts itself: a member's
 * post would cost the load generator its signed talk to the host, and the subject the same work.
 *
 * What is measured: the subject's private memory (RssAnon + RssShmem: heaps, buffers, code
 * allocations). The file-backed part of its RSS (LMDB's memory map, i.e. the page cache of its
 * store, which the kernel reclaims at will and which grows with the data stored) is printed beside
 * it, not held to the ceiling.
 *
 * Leaks: the subject runs with the inspector on loopback (test/support/inspector.ts), through which
 * the test forces a full garbage collection and reads the live heap at minute 2 and at the end.
 *
 * Pass: private memory at most RSS_CEILING_MIB throughout; in the long form (`npm run soak`:
 * 100 peers, 500 posts/s offered, 10 minutes) also no growth beyond GROWTH_LIMIT from minute 2 to
 * the end, of the live heap (no leak) and of private memory (means over minute 2 and over the last
 * minute: it moves by tens of MiB from second to second, and the forced collection that ends
 * minute 2 shrinks it for a while); and the subject holds every post at the end. Short form in `npm test`: 20
 * peers, 100 posts/s, 30 s, ceiling only. The rate actually reached is printed (posts that would
 * exceed MAX_INFLIGHT waiting for the host's store are skipped and counted).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { createCluster, sleep, type Cluster } from '../bench/harness.js'
import { openPlace } from '../bench/places.js'
import { ContactBook } from '../core/contacts/book.js'
import { Home, initHome } from '../core/home/home.js'
import { createNetNode, type NetNode } from '../core/net/node.js'
import { generatePeerKey } from '../core/net/peer-key.js'
import type { PlaceRecord } from '../core/places/records.js'
import { readRpcFiles } from '../core/daemon/files.js'
import { connectRpc, type RpcClient } from '../core/rpc/client.js'
import type { Service } from '../core/rpc/service.js'
import { eventually, startDaemonProcess, type RunningDaemon } from './support/daemon.js'
import { connectInspector, inspectorUrl, type Inspector } from './support/inspector.js'
import { soak } from './support/seed.js'
import { tempDir } from './support/tmp.js'

const PEERS = soak(20, 100)
const RATE_PER_S = soak(100, 500)
const RUN_MS = soak(30_000, 600_000)
const RSS_CEILING_MIB = 300
const GROWTH_LIMIT = 0.10
const GROWTH_FROM_MS = 120_000
/**
 * Load before the measured RUN_MS (long form): gossipsub keeps every message id for two minutes
 * (its seen cache and its score's delivery records, two Maps whose tables are sized by the message
 * rate), so the caches are full, and their tables grown, before minute 2 is read.
 */
const WARMUP_MS = soak(0, 60_000)
/** Posts waiting for the host's answer at most; above it the tick offers fewer (counted). */
const MAX_INFLIGHT = 200

function memory (pid: number): { privateMib: number, fileMib: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN)
  return { privateMib: (kb('RssAnon') + kb('RssShmem')) / 1024, fileMib: kb('RssFile') / 1024 }
}

const mib = (bytes: number): string => (bytes / 1048576).toFixed(1)

async function freePort (): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as { port: number }).port
  await new Promise((resolve) => s.close(resolve))
  return port
}

describe('memory of a daemon under load', function () {
  this.timeout(WARMUP_MS + RUN_MS + 300_000)
  let cluster: Cluster
  let subject: RunningDaemon | undefined
  let rpc: RpcClient<Service> | undefined
  let inspector: Inspector | undefined
  const peers: NetNode[] = []
  after(async () => {
    await Promise.all(peers.map(async (p) => { await p.stop().catch(() => {}) }))
    await rpc?.close()
    inspector?.close()
    await subject?.stop()
    await cluster?.close()
  })

  it(`${PEERS} peers connected, ${RATE_PER_S} posts/s offered for ${RUN_MS / 1000} s: private memory ≤ ${RSS_CEILING_MIB} MiB`, async () => {
    cluster = await createCluster(3, { heartbeatMs: 1000, prefix: 'mem', directDelivery: 0 })
    const [host, ...members] = cluster.nodes as [typeof cluster.nodes[0], ...typeof cluster.nodes]
    const dir = join(tempDir(), 'subject')
    await initHome(dir, { nick: 'subject' })
    const port = await freePort()
    // the subject and the host as a finished contact handshake leaves them
    const h = await Home.open(dir)
    const ego = await h.ego()
    const subjectPeer = h.peerId
    const now = Date.now()
    await h.store.write((tx) => {
      ContactBook.put(tx, { v: 1, ego: host.ego.publicKey, self: h.defaultEgoId, petname: 'host', nick: host.name, peerId: host.peerId, addrs: host.addrs(), added: now, lastSeen: null })
    })
    await h.close()
    await host.home.store.write((tx) => {
      ContactBook.put(tx, { v: 1, ego: ego.publicKey, self: host.ego.id, petname: 'subject', nick: 'subject', peerId: subjectPeer, addrs: [`/ip4/127.0.0.1/tcp/${port}`], added: now, lastSeen: null })
    })
    // with the malloc and V8 settings packaging/secushare.service and `npm start` run the daemon with
    subject = await startDaemonProcess(dir, ['--no-mdns', '--listen', `/ip4/127.0.0.1/tcp/${port}`], { NODE_OPTIONS: '--inspect=127.0.0.1:0', MALLOC_ARENA_MAX: '2' }, 'daemon', ['--heap-growing-percent=50'])
    const pid = subject.proc.pid!
    const url = inspectorUrl(subject.stderr())
    assert.ok(url !== undefined, `no inspector address: ${subject.stderr()}`)
    inspector = await connectInspector(url)

    const { placeId } = await openPlace(cluster, [host, ...members], 'load', 'none')
    await host.places.invite(placeId, 'subject')
    // the RPC client, not the CLI: a CLI run would block this process, which runs the host
    const files = readRpcFiles(dir)
    rpc = await connectRpc<Service>(files.info.url, files.token)
    assert.ok(await eventually(async () => (await rpc!.call.placeInvitations()).some((i) => i.place === placeId), 20_000), 'the subject is invited')
    await rpc.call.placeJoin({ place: placeId })

    // other peers holding connections to the subject (5 new inbound connections per second per address)
    for (let i = 0; i < PEERS; i++) {
      const p = await createNetNode({ peerKey: await generatePeerKey(), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false, relayClient: false, relayServer: false })
      await p.start()
      peers.push(p)
    }
    const subjectAddr = [`/ip4/127.0.0.1/tcp/${port}`]
    assert.ok(await eventually(async () => {
      await Promise.all(peers.filter((p) => !p.isConnected(subjectPeer)).slice(0, 5).map(async (p) => { await p.dial(subjectPeer, subjectAddr).catch(() => {}) }))
      return peers.every((p) => p.isConnected(subjectPeer))
    }, 120_000), 'every peer connects to the subject')

    const samples: Array<{ t: number, privateMib: number, fileMib: number }> = []
    let offered = 0
    let sent = 0
    let skipped = 0
    let inflight = 0
    const start = Date.now()
    let k = 0
    let heapAtBase: number | undefined
    let usageAtBase: NodeJS.MemoryUsage | undefined
    while (Date.now() - start < WARMUP_MS + RUN_MS) {
      if (heapAtBase === undefined && RUN_MS > GROWTH_FROM_MS && Date.now() - start >= WARMUP_MS + GROWTH_FROM_MS) {
        heapAtBase = await inspector.liveHeap()
        usageAtBase = await inspector.usage()
      }
      const tick = Date.now()
      for (let i = 0; i < RATE_PER_S / 10; i++) {
        offered++
        if (inflight >= MAX_INFLIGHT) { skipped++; continue }
        inflight++
        void host.places.post(placeId, `load #${k++}`).then(() => { sent++ }, () => {}).finally(() => { inflight-- })
      }
      if (samples.length === 0 || tick - samples.at(-1)!.t >= 1000) samples.push({ t: tick - start, ...memory(pid) })
      await sleep(Math.max(0, 100 - (Date.now() - tick)))
    }
    while (inflight > 0) await sleep(50)
    const elapsed = (Date.now() - start) / 1000
    const head = host.home.store.get<PlaceRecord>('places', placeId)!.head
    const caughtUp = await eventually(async () => (await rpc!.call.placeList()).some((p) => p.place === placeId && p.lastId >= head), 120_000)
    samples.push({ t: Date.now() - start, ...memory(pid) })
    const heapAtEnd = await inspector.liveHeap()
    const usageAtEnd = await inspector.usage()
    const parts = (u: NodeJS.MemoryUsage): string => `rss ${mib(u.rss)}, V8 heap ${mib(u.heapTotal)} (used ${mib(u.heapUsed)}), external ${mib(u.external)} MiB`

    const max = Math.max(...samples.map((s) => s.privateMib))
    const maxAt = samples.find((x) => x.privateMib === max)!.t
    // means over a minute: private memory moves by tens of MiB from second to second (GC, allocator)
    const meanOver = (from: number, to: number): number => {
      const xs = samples.filter((x) => x.t >= from && x.t < to).map((x) => x.privateMib)
      return xs.reduce((a, b) => a + b, 0) / xs.length
    }
    // minute 2 ends with the forced collection that reads the live heap, which shrinks the heap for a while
    const minute2 = meanOver(WARMUP_MS + GROWTH_FROM_MS - 60_000, WARMUP_MS + GROWTH_FROM_MS)
    const lastMinute = meanOver(WARMUP_MS + RUN_MS - 60_000, WARMUP_MS + RUN_MS)
    const last = samples.at(-1)!
    console.log(`      ${PEERS} peers; ${sent} posts in ${elapsed.toFixed(0)} s (${(sent / elapsed).toFixed(0)}/s; ${skipped} of ${offered} offered skipped while ${MAX_INFLIGHT} waited); ` +
      `subject private memory max ${max.toFixed(0)} MiB (at ${(maxAt / 1000).toFixed(0)} s), end ${last.privateMib.toFixed(0)} MiB${RUN_MS > GROWTH_FROM_MS ? `, mean over minute 2 ${minute2.toFixed(0)} MiB, over the last minute ${lastMinute.toFixed(0)} MiB` : ''}; file-backed (LMDB map) at the end ${last.fileMib.toFixed(0)} MiB; ` +
      `live heap ${heapAtBase !== undefined ? `at minute 2 ${mib(heapAtBase)} MiB, ` : ''}at the end ${mib(heapAtEnd)} MiB`)
    const byMinute = samples.filter((x, i) => i === 0 || Math.floor(x.t / 60_000) > Math.floor(samples[i - 1]!.t / 60_000))
    console.log(`      subject private memory at the start of each minute: ${byMinute.map((x) => x.privateMib.toFixed(0)).join(', ')} MiB`)
    console.log(`      subject's process.memoryUsage(): ${usageAtBase !== undefined ? `at minute 2 ${parts(usageAtBase)}; ` : ''}at the end ${parts(usageAtEnd)}`)
    assert.ok(caughtUp, `the subject holds every post (head ${head})`)
    assert.ok(max <= RSS_CEILING_MIB, `private memory reached ${max.toFixed(0)} MiB (> ${RSS_CEILING_MIB})`)
    if (heapAtBase !== undefined) {
      assert.ok(heapAtEnd <= heapAtBase * (1 + GROWTH_LIMIT), `the live heap grew from ${mib(heapAtBase)} MiB at minute 2 to ${mib(heapAtEnd)} MiB (> ${GROWTH_LIMIT * 100}%)`)
      assert.ok(lastMinute <= minute2 * (1 + GROWTH_LIMIT), `private memory grew from ${minute2.toFixed(0)} MiB (mean over minute 2) to ${lastMinute.toFixed(0)} MiB (mean over the last minute) (> ${GROWTH_LIMIT * 100}%)`)
    }
  })
})
