/**
 * Run inside a private network namespace (unshare -n, only `lo`, up): two daemons with mDNS on
 * and no --peer. Prints one JSON line: whether each saw the other as `nearby`, and whether, as
 * contacts restarted on new ports (so their stored addresses are stale), they found each other
 * again through mDNS alone.
 */
import '../../core/polyfill.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cli } from './cli.js'
import { eventually, startDaemonProcess } from './daemon.js'

const root = mkdtempSync(join(tmpdir(), 'secushare-mdns-'))
const A = join(root, 'a')
const B = join(root, 'b')
const result: Record<string, unknown> = {}
try {
  cli(['--home', A, 'init', '--nick', 'alice'])
  cli(['--home', B, 'init', '--nick', 'bob'])
  let [a, b] = await Promise.all([startDaemonProcess(A, []), startDaemonProcess(B, [])])
  const nearby = (home: string, peer: string): boolean => (cli(['--home', home, 'nearby', '--json']).json ?? []).some((p: any) => p.peerId === peer)
  result.nearby = await eventually(() => nearby(A, b.ready.peerId) && nearby(B, a.ready.peerId), 15_000)
  const link = cli(['--home', A, 'invite', '--json']).json.link
  result.added = cli(['--home', B, 'contact', 'add', link, '--petname', 'alice']).code === 0
  result.nearbyAfterAdd = nearby(A, b.ready.peerId)
  await Promise.all([a.stop(), b.stop()])
  ;[a, b] = await Promise.all([startDaemonProcess(A, []), startDaemonProcess(B, [])])
  const online = (home: string, who: string): boolean => (cli(['--home', home, 'contact', 'list', '--json']).json ?? []).some((c: any) => c.petname === who && c.online)
  result.reconnected = await eventually(() => online(A, 'bob') && online(B, 'alice'), 20_000)
  await Promise.all([a.stop(), b.stop()])
} catch (e) {
  result.error = (e as Error).message
} finally {
  rmSync(root, { recursive: true, force: true })
}
console.log(JSON.stringify(result))
process.exit(0)
