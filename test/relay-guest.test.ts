/**
 * Guest talk to an offline host through the host's relays (docs/relays.md), across real daemons on
 * 127.0.0.1: H hosts a place and uses R as relay; G is a member of the place, neither H's contact
 * nor R's (it deposits within R's pool for non-contacts), and learns H's relays when it joins. While H is off, G's post is left on R; H, started later with R
 * as its only peer, sequences it as G's post; when G is back, nothing is posted twice.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { cli, feedJson, runJson } from './support/cli.js'
import { eventually, startDaemonProcess, type RunningDaemon } from './support/daemon.js'
import { tempDir } from './support/tmp.js'

describe('relays carry a guest\'s post to an offline host (daemons on 127.0.0.1)', function () {
  this.timeout(300_000)
  const root = tempDir()
  const [H, G, R] = ['h', 'g', 'r'].map((n) => join(root, n)) as [string, string, string]
  const d: Record<string, RunningDaemon> = {}
  const run = runJson
  const feed = feedJson
  // a daemon's addresses end in /p2p/PEER already
  const peerOf = (x: RunningDaemon): string => x.ready.addrs[0]!
  const TEXT = 'posted while the host was away'

  before(async () => {
    for (const [h, nick] of [[H, 'hal'], [G, 'gus'], [R, 'ray']] as const) assert.equal(cli(['--home', h, 'init', '--nick', nick]).code, 0)
    const all = await Promise.all([H, G, R].map(async (h) => await startDaemonProcess(h, ['--no-mdns'])))
    for (const [i, name] of ['h', 'g', 'r'].entries()) d[name] = all[i]!
    // H and R are contacts (R is H's relay); G knows neither
    run(R, 'contact', 'add', run(H, 'invite').link, '--petname', 'hal')
    assert.ok(await eventually(() => run(H, 'contact', 'list').some((c: any) => c.petname === 'ray'), 10_000))
  })
  after(async () => { await Promise.all(Object.values(d).map(async (x) => await x.stop())) })

  it('G posts while H is off: the post waits on H\'s relay R (delivery relayed); H started with R alone has it as G\'s post; no duplicate when G is back', async () => {
    run(H, 'relay', 'use', 'ray')
    const egoG = run(G, 'status').ego
    const egoH = run(H, 'status').ego
    const square = run(H, 'place', 'create', 'square', '--history', 'all').place
    assert.equal(run(G, 'place', 'join', run(H, 'place', 'address', square).address).requested, true)
    assert.ok(await eventually(() => run(H, 'place', 'requests', square).length === 1, 10_000))
    run(H, 'place', 'admit', square, egoG)
    assert.ok(await eventually(() => run(G, 'place', 'list').some((p: any) => p.place === square), 10_000), 'G joins once admitted')
    assert.ok(!run(H, 'contact', 'list').some((c: any) => c.ego === egoG), 'G is no contact of H')
    // joining, G told H its relays (none) and H answered with its own
    const peerR = run(R, 'status').peerId
    assert.ok(await eventually(() => run(G, 'relay', 'list').members.some((m: any) => m.ego === egoH && m.relays.includes(peerR)), 10_000), 'G learns that its host uses R')
    assert.equal(run(G, 'contact', 'list').length, 0, 'G has no contacts')

    const live = run(G, 'post', square, 'said while the host was there')
    assert.equal(live.pending, false)
    const peersBefore = run(G, 'status').peers
    // H comes back where it listened (as a host usually does): G finds it at the address it knows
    const hostAddr = d.h!.ready.addrs[0]!.replace(/\/p2p\/.*$/, '')
    await d.h!.stop()
    assert.ok(await eventually(() => run(G, 'status').peers < peersBefore, 10_000), 'G sees H gone')
    const r = run(G, 'post', square, TEXT)
    assert.equal(r.pending, true)
    assert.deepEqual(r.delivery, { state: 'relayed', relays: [peerR] }, 'the post waits on R (no petname: not G\'s contact)')
    assert.equal(run(R, 'relay', 'list').serving.blobs, 1)
    await d.g!.stop()

    // R holds it sealed: H can have it only from R (G is off, and H knows no other peer)
    d.h = await startDaemonProcess(H, ['--no-mdns', '--listen', hostAddr, '--peer', peerOf(d.r!)])
    assert.ok(await eventually(() => feed(H, square).some((m) => m.text === TEXT), 10_000), 'H has G\'s post from R')
    const got = feed(H, square).filter((m) => m.text === TEXT)
    assert.equal(got.length, 1)
    assert.equal(got[0].author, egoG, 'sequenced as G\'s post')
    assert.equal(got[0].method, '_converse')
    assert.ok(await eventually(() => run(R, 'relay', 'list').serving.blobs === 0, 10_000), 'H acknowledged it: R forgets it')
    assert.ok(!d.r!.stderr().includes(TEXT), 'no plaintext in the relay\'s log')

    // G comes back: its pending post goes to H again, which answers with the id it gave it
    d.g = await startDaemonProcess(G, ['--no-mdns'])
    assert.ok(await eventually(() => feed(G, square).some((m) => m.text === TEXT && m.id === got[0].id), 20_000), 'G has its post back, with H\'s id')
    assert.equal(feed(G, square).find((m) => m.text === TEXT).delivery.state, 'delivered')
    await new Promise((resolve) => setTimeout(resolve, 3000)) // past a retry of G's pending posts
    for (const h of [H, G]) {
      const f = feed(h, square)
      assert.equal(f.filter((m) => m.text === TEXT).length, 1, 'no duplicate')
      assert.equal(new Set(f.map((m) => m.id)).size, f.length)
    }
  })
})
