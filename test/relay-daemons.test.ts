import assert from 'node:assert/strict'
import { join } from 'node:path'
import { cli, runJson, feedJson } from './support/cli.js'
import { eventually, startDaemonProcess, type RunningDaemon } from './support/daemon.js'
import { tempDir } from './support/tmp.js'

describe('relays across daemons on 127.0.0.1', function () {
  this.timeout(300_000)
  const root = tempDir()
  const [A, B, C] = ['a', 'b', 'c'].map((n) => join(root, n)) as [string, string, string]
  const d: Record<string, RunningDaemon> = {}
  const run = runJson
  const online = (h: string, petname: string): boolean => (cli(['--home', h, 'contact', 'list', '--json']).json ?? []).some((c: any) => c.petname === petname && c.online)
  const feed = feedJson
  const dmFeed = (h: string, petname: string): any[] => cli(['--home', h, 'dm', 'feed', petname, '--limit', '1000', '--json']).json ?? []
  let garden = ''

  async function befriend (x: string, y: string, petnameOfX: string): Promise<void> {
    run(y, 'contact', 'add', run(x, 'invite').link, '--petname', petnameOfX)
  }

  before(async () => {
    for (const [h, nick] of [[A, 'alice'], [B, 'bob'], [C, 'carol']] as const) assert.equal(cli(['--home', h, 'init', '--nick', nick]).code, 0)
    const all = await Promise.all([A, B, C].map(async (h) => await startDaemonProcess(h)))
    for (const [i, name] of ['a', 'b', 'c'].entries()) d[name] = all[i]!
    await befriend(A, B, 'alice')
    await befriend(A, C, 'alice')
    await befriend(B, C, 'bob')
  })
  after(async () => { await Promise.all(Object.values(d).map(async (x) => await x.stop())) })

  it('B uses C as relay; while B is off, A writes to B and in a place B is in; B gets both from C alone, then no duplicates from A', async () => {
    garden = run(A, 'place', 'create', 'garden', '--history', 'all').place
    run(A, 'place', 'invite', garden, 'bob')
    assert.ok(await eventually(() => (cli(['--home', B, 'place', 'invitations', '--json']).json ?? []).some((i: any) => i.place === garden), 5000))
    run(B, 'place', 'join', garden)
    const dmPlace = run(A, 'dm', 'bob', 'hello bob').place
    assert.ok(await eventually(() => dmFeed(B, 'alice').some((m) => m.text === 'hello bob'), 5000), 'the first DM arrives live')

    const used = run(B, 'relay', 'use', 'carol')
    assert.equal(used.petname, 'carol')
    assert.ok(await eventually(() => run(A, 'relay', 'list').contacts.some((c: any) => c.petname === 'bob' && c.relays.includes('carol')), 5000), 'A learns that B uses C')
    assert.deepEqual(run(C, 'relay', 'list').serving.quotaBytes, 256 * 1024 * 1024)

    await d.b!.stop()
    assert.ok(await eventually(() => !online(A, 'bob'), 10_000), 'A sees B gone')
    const dm = run(A, 'dm', 'bob', 'while you were away')
    const post = run(A, 'post', garden, 'garden news')
    const relayedOn = (items: any[], id: number): boolean => items.some((m) => m.id === id && m.delivery?.state === 'relayed' && m.delivery.relays.includes('carol'))
    assert.ok(await eventually(() => relayedOn(dmFeed(A, 'bob'), dm.id), 10_000), 'the DM waits on C')
    assert.ok(await eventually(() => relayedOn(feed(A, garden), post.id), 10_000), 'the post waits on C')
    assert.ok(run(C, 'relay', 'list').serving.blobs >= 2)
    await d.a!.stop()

    d.b = await startDaemonProcess(B)
    assert.ok(await eventually(() => dmFeed(B, 'alice').some((m) => m.text === 'while you were away' && m.id === dm.id), 10_000), 'B has the DM from C')
    assert.ok(await eventually(() => feed(B, garden).some((m) => m.text === 'garden news' && m.id === post.id), 10_000), 'B has the post from C')
    assert.equal(dmPlace, dm.place)
    const relays = run(B, 'relay', 'list').relays
    assert.equal(relays[0].petname, 'carol')
    assert.equal(relays[0].state, 'ok')
    assert.ok(relays[0].fetched >= 2)
    assert.ok(await eventually(() => run(C, 'relay', 'list').serving.blobs === 0, 5000), 'C forgets what B acknowledged')

    // both came back on new ports: A is told where B listens now (no mDNS here)
    d.a = await startDaemonProcess(A, ['--no-mdns', '--peer', `${d.b.ready.addrs[0]!}/p2p/${d.b.ready.peerId}`])
    assert.ok(await eventually(() => online(B, 'alice'), 20_000))
    // A learns from B's replay requests that B has everything: delivered
    await eventually(() => feed(A, garden).find((m) => m.id === post.id)?.delivery?.state === 'delivered', 70_000)
    const g = feed(B, garden)
    assert.equal(g.filter((m) => m.text === 'garden news').length, 1)
    assert.equal(new Set(g.map((m) => m.id)).size, g.length)
    const dms = dmFeed(B, 'alice')
    assert.equal(dms.filter((m) => m.text === 'while you were away').length, 1)
    assert.equal(new Set(dms.map((m) => m.id)).size, dms.length)
    assert.equal(feed(A, garden).find((m) => m.id === post.id).delivery.state, 'delivered')
    for (const text of ['while you were away', 'garden news', 'hello bob']) assert.ok(!d.c!.stderr().includes(text), 'no plaintext in the relay\'s log')
  })

  it('relay drop forgets the relay, and the CLI refuses unknown petnames with clear codes', () => {
    assert.equal(run(B, 'relay', 'drop', 'carol').petname, 'carol')
    assert.deepEqual(run(B, 'relay', 'list').relays, [])
    const r = cli(['--home', B, 'relay', 'drop', 'carol', '--json'])
    assert.notEqual(r.code, 0)
    assert.equal(r.json.error.code, 'NOT_FOUND')
    const u = cli(['--home', B, 'relay', 'use', 'nobody', '--json'])
    assert.equal(u.json.error.code, 'CONTACT_NOT_FOUND')
  })
})
