/**
 * The relay's store path: deposits (decode, rate and quota checks, one durable write each, the
 * receipt key) and fetches plus acknowledgements of 100,000 blobs (quick: 10,000) of the smallest
 * blob size, against the same number of plain writes of blobs that size through the same store
 * (group commit, the same number in flight): the LMDB batched write rate measured in this run.
 * Also the memory the relay's process gains holding them. The server runs in this process, without
 * the network: what is measured is the relay's own work (the network is measured by the places
 * benchmarks).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RELAY_BLOB_SIZES, RELAY_TAG_BYTES } from '../protocol/limits.js'
import { decodeRelay, encodeRelay } from '../protocol/relay-wire.js'
import { RelayServer } from '../core/relay/server.js'
import { Store } from '../core/store/lmdb.js'
import type { BenchResult } from './report.js'

const IN_FLIGHT = 64
/** Depositors the blobs are spread over, so that no one's share of the quota is the limit. */
const DEPOSITORS = 64

/**
 * RSS after a full collection when the run allows one (`npm run bench` passes --expose-gc), and
 * its anonymous part where /proc tells it (Linux): RSS also counts the pages of the LMDB file the
 * process has touched, which the kernel can drop and read again; the anonymous part is the
 * process's own memory.
 */
const rssMb = (): { rss: number, anon: number | undefined } => {
  (globalThis as { gc?: () => void }).gc?.()
  let anon: number | undefined
  try {
    const m = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))
    if (m !== null) anon = Number(m[1]) / 1024
  } catch { /* not Linux */ }
  return { rss: process.memoryUsage().rss / 2 ** 20, anon }
}

async function inFlight (count: number, one: (i: number) => Promise<unknown>): Promise<number> {
  const start = performance.now()
  let next = 0
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < count) await one(next++)
  }))
  return count / ((performance.now() - start) / 1000)
}

export async function benchRelay (opts: { quick?: boolean } = {}): Promise<BenchResult[]> {
  const count = opts.quick === true ? 10_000 : 100_000
  const size = RELAY_BLOB_SIZES[0]!
  const root = mkdtempSync(join(tmpdir(), 'secushare-bench-relay-'))
  try {
    // the reference: plain writes of the same blobs through a store of its own
    const plain = await Store.create(join(root, 'plain.lmdb'))
    const blob = new Uint8Array(size).fill(7)
    const writesPerS = await inFlight(count, async (i) => { await plain.write((tx) => { tx.put('relay_blobs', [String(i).padStart(32, '0'), 'k'], { blob, expires: 0 }) }) })
    await plain.close()

    const store = await Store.create(join(root, 'relay.lmdb'))
    let clock = Date.now()
    // the rate limit is per depositor and per second: the clock moves on as the deposits go
    const server = new RelayServer({ store, net: undefined as never, allowed: () => true, quotaBytes: 4 * count * size, expiryS: 3600, now: () => (clock += 10) })
    const tags = Array.from({ length: count }, (_, i) => { const t = new Uint8Array(RELAY_TAG_BYTES); new DataView(t.buffer).setUint32(0, i); return t })
    const rss0 = rssMb()
    const keys: Uint8Array[] = new Array(count) // what a depositor keeps: counted in the growth, 16 B each
    const depositsPerS = await inFlight(count, async (i) => { keys[i] = (await server.deposit(`peer${i % DEPOSITORS}`, decodeRelay(encodeRelay('_request_relay_deposit', { _tag: tags[i]!, _blob: blob, _ttl: 3600 })))).key })
    const rss1 = rssMb()
    if (server.stats().blobs !== count) throw new Error(`the relay holds ${server.stats().blobs} blobs, not ${count}`)

    // fetch in batches of what one answer carries, acknowledge each batch
    const fetchStart = performance.now()
    let fetched = 0
    for (let i = 0; i < count; i += 256) {
      const got = server.fetch(tags.slice(i, i + 256))
      fetched += got.blobs.length
      await server.ack(got.blobs.map((b) => Buffer.concat([b.tag, b.key])))
    }
    const fetchPerS = fetched / ((performance.now() - fetchStart) / 1000)
    if (fetched !== count || server.stats().blobs !== 0) throw new Error(`fetched ${fetched} of ${count}; ${server.stats().blobs} left`)
    server.stop()
    await store.close()
    const n = opts.quick === true ? '10k' : '100k'
    return [
      { key: 'relay_deposits_per_s', value: depositsPerS, unit: `blobs/s (${size} B, ${IN_FLIGHT} in flight)`, reference: writesPerS, referenceUnit: 'plain batched LMDB writes/s' },
      { key: 'relay_deposit_vs_lmdb', value: depositsPerS / writesPerS, unit: '× LMDB batched write rate' },
      { key: 'relay_fetch_ack_per_s', value: fetchPerS, unit: 'blobs/s fetched and acknowledged (256 per answer)', reference: writesPerS, referenceUnit: 'plain batched LMDB writes/s' },
      { key: 'relay_fetch_vs_lmdb', value: fetchPerS / writesPerS, unit: '× LMDB batched write rate' },
      { key: `relay_rss_mb_${n}`, value: rss1.rss - rss0.rss, unit: `MiB the process grew holding ${count.toLocaleString('en-US')} blobs`, reference: count * size / 2 ** 20, referenceUnit: 'MiB of blobs (on disk, mapped)' },
      ...(rss0.anon !== undefined && rss1.anon !== undefined
        ? [{ key: `relay_rss_anon_mb_${n}`, value: rss1.anon - rss0.anon, unit: `MiB of anonymous memory (not the mapped LMDB file) the process grew holding ${count.toLocaleString('en-US')} blobs` }]
        : [])
    ]
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}
