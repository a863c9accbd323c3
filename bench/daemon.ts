/**
 * Daemon costs: cold start (process spawn to the readiness line, i.e. RPC-ready) and idle RSS,
 * for a new node, for one with 1,000 stored contacts, and for one that also hosts 1,000 places
 * holding 100,000 posts (quick: 100 places, 10,000 posts). Reference, measured in the same run: a
 * bare `node` process doing nothing (start to first output, and its RSS).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { ContactBook } from '../core/contacts/book.js'
import { Home, initHome } from '../core/home/home.js'
import { generatePeerKey, peerIdOf } from '../core/net/peer-key.js'
import type { BenchResult } from './report.js'
import { storePlaces } from './stored-places.js'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'secushare.js')

function rssMb (pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? NaN : Number(m[1]) / 1024
}

/** Spawns `args`, waits for the first stdout line; returns ms to it and the RSS after `idleMs`. */
async function measure (args: string[], idleMs: number): Promise<{ ms: number, rss: number }> {
  const start = performance.now()
  const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: p.stdout! }).on('line', (line) => {
        if (line.startsWith('{') && !line.startsWith('{"ready":true')) reject(new Error(`not ready: ${line}`))
        resolve()
      })
      p.once('exit', (code) => reject(new Error(`exited ${code} before its first line`)))
    })
    const ms = performance.now() - start
    await new Promise((r) => setTimeout(r, idleMs))
    return { ms, rss: rssMb(p.pid!) }
  } finally {
    p.kill('SIGTERM')
    await new Promise((r) => p.once('exit', r))
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!

export async function benchDaemon (opts: { quick?: boolean } = {}): Promise<BenchResult[]> {
  const runs = opts.quick === true ? 1 : 3
  const idleMs = opts.quick === true ? 500 : 3000
  const root = mkdtempSync(join(tmpdir(), 'secushare-bench-'))
  try {
    const home = join(root, 'node')
    await initHome(home, { nick: 'bench' })
    const daemonArgs = [BIN, '--home', home, 'daemon', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--rpc', '127.0.0.1:0', '--json']
    const bare = ['-e', 'console.log(1); setInterval(() => {}, 1000)']
    const series = async (args: string[]): Promise<{ ms: number, rss: number }> => {
      const r = []
      for (let i = 0; i < runs; i++) r.push(await measure(args, idleMs))
      return { ms: median(r.map((x) => x.ms)), rss: median(r.map((x) => x.rss)) }
    }
    const ref = await series(bare)
    const empty = await series(daemonArgs)

    const h = await Home.open(home)
    const sodium = h.sodium
    const peers = await Promise.all(Array.from({ length: 1000 }, async () => peerIdOf(await generatePeerKey())))
    await h.store.write((tx) => {
      for (let i = 0; i < 1000; i++) {
        ContactBook.put(tx, {
          v: 1, ego: sodium.signKeypair().publicKey, self: h.defaultEgoId, petname: `friend${i}`, nick: `Friend ${i}`,
          peerId: peers[i]!, addrs: ['/ip4/127.0.0.1/tcp/9'], added: Date.now(), lastSeen: null
        })
      }
    })
    await h.close()
    const full = await series(daemonArgs)

    // then 100,000 posts in 1,000 places (quick: 10,000 in 100), all hosted here
    const [nPlaces, perPlace] = opts.quick === true ? [100, 100] : [1000, 100]
    const h2 = await Home.open(home)
    await storePlaces(h2, nPlaces, perPlace)
    await h2.close()
    const stored = await series(daemonArgs)
    const tag = opts.quick === true ? '10k' : '100k'
    return [
      { key: 'cold_start_ms_100k', value: stored.ms, unit: `ms (${tag} posts in ${nPlaces} places, and the 1k contacts)`, reference: full.ms, referenceUnit: 'ms (1k contacts, no posts)' },
      { key: 'rss_mb_100k', value: stored.rss, unit: `MiB (${tag} posts in ${nPlaces} places)`, reference: full.rss, referenceUnit: 'MiB (no posts)' },
      { key: 'cold_start_ms', value: empty.ms, unit: 'ms', reference: ref.ms, referenceUnit: 'ms (bare node)' },
      { key: 'idle_rss_mb', value: empty.rss, unit: 'MiB', reference: ref.rss, referenceUnit: 'MiB (bare node)' },
      { key: 'cold_start_ms_1k_contacts', value: full.ms, unit: 'ms', reference: empty.ms, referenceUnit: 'ms (no contacts)' },
      { key: 'idle_rss_mb_1k_contacts', value: full.rss, unit: 'MiB', reference: empty.rss, referenceUnit: 'MiB (no contacts)' }
    ]
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}
