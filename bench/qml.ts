/**
 * The Qt shell with a big place open: time from process start to the first frame showing a place
 * of 10,000 posts (the place view with the first page of its feed in its model), offscreen, and the
 * shell's RSS at that frame. Reference, measured in the same run against the same daemon: a place
 * with no posts.
 *
 * A home is filled with both places (stored-places.ts), a daemon is started on it (127.0.0.1, no
 * mDNS), and `secushare-qt --home H --open-place ID --report-first-frame` is launched with
 * QT_QPA_PLATFORM=offscreen; it prints one JSON line at that frame and quits. The figure is the
 * wall time from spawning the shell to that line (so it includes exec and loading Qt); the RSS is
 * what the shell read from /proc/self/status at the frame. Without Qt (or a build of the shell)
 * both figures are null with the reason.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'
import { Home, initHome } from '../core/home/home.js'
import type { PlaceRecord } from '../core/places/records.js'
import type { BenchResult } from './report.js'
import { storePlaces } from './stored-places.js'

const ROOT = join(import.meta.dirname, '..', '..')
const BIN = join(ROOT, 'bin', 'secushare.js')
const SHELL = join(ROOT, 'build', 'qt-shell', 'secushare-qt')
const TIMEOUT_MS = 120_000

/** The first stdout line of `p` that starts with `{`, parsed; rejects on exit or after timeoutMs. */
async function firstJsonLine (p: ChildProcess, what: string, timeoutMs = TIMEOUT_MS): Promise<Record<string, unknown>> {
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${timeoutMs / 1000} s`)), timeoutMs)
    createInterface({ input: p.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return
      clearTimeout(timer)
      try { resolve(JSON.parse(line) as Record<string, unknown>) } catch (e) { reject(e) }
    })
    p.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`${what} exited (${code ?? signal}) before its line`)) })
  })
}

async function stop (p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return
  const exited = new Promise((resolve) => p.once('exit', resolve))
  p.kill('SIGTERM')
  const t = setTimeout(() => p.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(t)
}

/** Builds the shell if it is not built yet; returns why it cannot be run, or undefined. */
async function shellUnavailable (): Promise<string | undefined> {
  if (existsSync(SHELL)) return undefined
  if (spawnSync('cmake', ['--version'], { stdio: 'ignore' }).status !== 0) return 'CMake is not installed, so the Qt shell cannot be built (see scripts/qt-packages.txt)'
  try {
    const qt = await import(pathToFileURL(join(ROOT, 'scripts', 'qt.mjs')).href) as { buildQt: () => void }
    qt.buildQt()
  } catch (e) {
    return `the Qt shell could not be built (Qt 6.4+ missing?): ${(e as Error).message.split('\n')[0]}`
  }
  return existsSync(SHELL) ? undefined : `no ${SHELL} after building`
}

/** One launch of the shell with `place` open: ms from spawn to its report, and its RSS then. */
async function launch (home: string, place: string): Promise<{ ms: number, rss: number, posts: number }> {
  const start = performance.now()
  const p = spawn(SHELL, ['--home', home, '--open-place', place, '--report-first-frame'], {
    env: { ...process.env, QT_QPA_PLATFORM: 'offscreen' },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  try {
    const line = await firstJsonLine(p, 'secushare-qt')
    const ms = performance.now() - start
    if (line.place !== place) throw new Error(`secushare-qt reported ${JSON.stringify(line)}`)
    return { ms, rss: Number(line.rssMb), posts: Number(line.posts) }
  } finally {
    await stop(p)
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!

/** Stores `posts` posts in one new place of `home`; returns its id. */
async function storePlace (home: string, posts: number): Promise<string> {
  const h = await Home.open(home)
  try {
    const before = new Set([...h.store.entries<PlaceRecord>('places')].map((e) => e.value.id))
    await storePlaces(h, 1, posts)
    const added = [...h.store.entries<PlaceRecord>('places')].map((e) => e.value.id).filter((id) => !before.has(id))
    if (added.length !== 1) throw new Error(`expected one new place, found ${added.length}`)
    return added[0]!
  } finally {
    await h.close()
  }
}

export async function benchQml (opts: { quick?: boolean } = {}): Promise<BenchResult[]> {
  const unavailable = await shellUnavailable()
  if (unavailable !== undefined) {
    return [
      { key: 'qml_first_frame_ms_10k', value: null, unit: 'ms', reason: unavailable },
      { key: 'qml_rss_mb_10k', value: null, unit: 'MiB', reason: unavailable }
    ]
  }
  const runs = opts.quick === true ? 1 : 3
  const root = mkdtempSync(join(tmpdir(), 'secushare-bench-qml-'))
  let daemon: ChildProcess | undefined
  try {
    const home = join(root, 'node')
    await initHome(home, { nick: 'bench' })
    const empty = await storePlace(home, 0)
    const big = await storePlace(home, 10_000)

    daemon = spawn(process.execPath, [BIN, '--home', home, 'daemon', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--rpc', '127.0.0.1:0', '--json'],
      { stdio: ['ignore', 'pipe', 'inherit'] })
    const ready = await firstJsonLine(daemon, 'the daemon')
    if (ready.ready !== true) throw new Error(`the daemon did not start: ${JSON.stringify(ready)}`)

    const series = async (place: string): Promise<{ ms: number, rss: number, posts: number }> => {
      const r = []
      for (let i = 0; i < runs; i++) r.push(await launch(home, place))
      return { ms: median(r.map((x) => x.ms)), rss: median(r.map((x) => x.rss)), posts: r[0]!.posts }
    }
    const ref = await series(empty)
    const full = await series(big)
    if (full.posts <= 0) throw new Error(`the place of 10,000 posts was shown with ${full.posts} posts in the view`)
    return [
      { key: 'qml_first_frame_ms_10k', value: full.ms, unit: `ms (offscreen, process start to the first frame of a place of 10,000 posts, ${full.posts} in the view)`, reference: ref.ms, referenceUnit: 'ms (a place with no posts)' },
      { key: 'qml_rss_mb_10k', value: full.rss, unit: 'MiB (the shell, at that frame)', reference: ref.rss, referenceUnit: 'MiB (a place with no posts)' }
    ]
  } finally {
    if (daemon !== undefined) await stop(daemon)
    rmSync(root, { recursive: true, force: true })
  }
}
