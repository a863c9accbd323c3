import assert from 'node:assert/strict'
import { join } from 'node:path'
import { openEnvelope } from '../core/crypto/envelope-seal.js'
import { loadSodium } from '../core/crypto/sodium.js'
import type { MessageRecord } from '../core/places/records.js'
import { readRpcFiles } from '../core/daemon/files.js'
import { connectRpc } from '../core/rpc/client.js'
import type { Service } from '../core/rpc/service.js'
import { Store } from '../core/store/lmdb.js'
import { cli, runJson, feedJson } from './support/cli.js'
import { eventually, startDaemonProcess, type RunningDaemon } from './support/daemon.js'
import { tempDir } from './support/tmp.js'

describe('places across daemons on 127.0.0.1', function () {
  this.timeout(300_000)
  const root = tempDir()
  const home = (n: string): string => join(root, n)
  const [A, B, C, D] = ['a', 'b', 'c', 'd'].map(home) as [string, string, string, string]
  const d: Record<string, RunningDaemon> = {}
  const run = runJson
  const online = (h: string, petname: string): boolean => (cli(['--home', h, 'contact', 'list', '--json']).json ?? []).some((c: any) => c.petname === petname && c.online)
  const feed = feedJson
  let garden = ''

  async function befriend (host: string, guest: string, petnameOfHost: string): Promise<void> {
    const link = run(host, 'invite').link
    run(guest, 'contact', 'add', link, '--petname', petnameOfHost)
  }

  before(async () => {
    for (const [h, nick] of [[A, 'alice'], [B, 'bob'], [C, 'carol'], [D, 'dave']] as const) assert.equal(cli(['--home', h, 'init', '--nick', nick]).code, 0)
    const all = await Promise.all([A, B, C, D].map(async (h) => await startDaemonProcess(h)))
    for (const [i, name] of ['a', 'b', 'c', 'd'].entries()) d[name] = all[i]!
    await befriend(A, B, 'alice')
    await befriend(A, C, 'alice')
    await befriend(A, D, 'alice')
  })
  after(async () => { await Promise.all(Object.values(d).map(async (x) => await x.stop())) })

  it('A hosts, invites B and C; B posts; A and C see it with B as author; C replies in the thread; A sets the topic', async () => {
    garden = run(A, 'place', 'create', 'garden', '--history', 'all').place
    assert.match(garden, /^[0-9a-f]{64}$/)
    run(A, 'place', 'set', garden, '_topic', 'roses')
    run(A, 'place', 'invite', garden, 'bob')
    run(A, 'place', 'invite', garden, 'carol')
    for (const h of [B, C]) {
      assert.ok(await eventually(() => (cli(['--home', h, 'place', 'invitations', '--json']).json ?? []).some((i: any) => i.place === garden), 5000))
      run(h, 'place', 'join', garden)
    }
    const posted = run(B, 'post', garden, 'hello from bob')
    assert.equal(posted.pending, false)
    const bobEgo = run(B, 'status').ego
    for (const h of [A, C]) {
      assert.ok(await eventually(() => feed(h, garden).some((m) => m.id === posted.id && m.text === 'hello from bob' && m.author === bobEgo), 2000), `seen on ${h}`)
    }
    assert.equal(feed(A, garden).find((m) => m.id === posted.id).authorPetname, 'bob')
    const reply = run(C, 'post', garden, 'hi bob', '--reply', String(posted.id))
    assert.ok(await eventually(() => feed(B, garden).some((m) => m.id === reply.id && m.replyTo === posted.id && m.thread === posted.id), 2000))
    for (const h of [B, C]) assert.equal(run(h, 'place', 'state', garden)._topic, 'roses')
    const list = run(B, 'place', 'list')
    assert.equal(list.find((p: any) => p.place === garden).host, false)
  })

  it('C misses 100 posts while stopped and has all of them, in order, without duplicates, after restarting', async () => {
    await d.c!.stop()
    const [ra, rb] = await Promise.all([A, B].map(async (h) => { const { info, token } = readRpcFiles(h); return await connectRpc<Service>(info.url, token) }))
    try {
      for (let i = 0; i < 50; i++) {
        assert.equal((await ra!.call.post({ place: garden, text: `a${i}` })).pending, false)
        assert.equal((await rb!.call.post({ place: garden, text: `b${i}` })).pending, false)
      }
    } finally {
      await ra!.close()
      await rb!.close()
    }
    d.c = await startDaemonProcess(C)
    const head = run(A, 'place', 'list').find((p: any) => p.place === garden).lastId
    assert.ok(await eventually(() => feed(C, garden).length === head, 20_000), 'caught up')
    const ids = feed(C, garden).map((m) => m.id)
    assert.deepEqual(ids, Array.from({ length: head }, (_, i) => i + 1), 'dense, in order, no duplicates')
    assert.deepEqual(feed(C, garden).map((m) => m.text), feed(A, garden).map((m) => m.text))
  })

  it('a newcomer gets the full history with --history all, nothing before its admission with none', async () => {
    run(A, 'place', 'invite', garden, 'dave')
    assert.ok(await eventually(() => (cli(['--home', D, 'place', 'invitations', '--json']).json ?? []).length > 0, 5000))
    run(D, 'place', 'join', garden)
    const head = run(A, 'place', 'list').find((p: any) => p.place === garden).lastId
    assert.ok(await eventually(() => feed(D, garden).length >= head, 20_000))
    assert.equal(feed(D, garden)[0].id, 1)

    const quiet = run(A, 'place', 'create', 'quiet', '--history', 'none').place
    for (let i = 0; i < 3; i++) run(A, 'post', quiet, `before ${i}`)
    run(A, 'place', 'invite', quiet, 'dave')
    assert.ok(await eventually(() => (cli(['--home', D, 'place', 'invitations', '--json']).json ?? []).some((i: any) => i.place === quiet), 5000))
    run(D, 'place', 'join', quiet)
    const after = run(A, 'post', quiet, 'after').id
    assert.ok(await eventually(() => feed(D, quiet).some((m) => m.id === after), 5000))
    assert.ok(feed(D, quiet).every((m) => !String(m.text).startsWith('before')), 'nothing from before the admission')
  })

  it('a post made while the host is down is delivered when it is back: no loss, no duplicate', async () => {
    await d.a!.stop()
    const r = run(B, 'post', garden, 'while alice sleeps')
    assert.equal(r.pending, true)
    d.a = await startDaemonProcess(A)
    assert.ok(await eventually(() => feed(A, garden).filter((m) => m.text === 'while alice sleeps').length === 1, 20_000), 'delivered')
    await new Promise((resolve) => setTimeout(resolve, 3000)) // a retry round passes
    assert.equal(feed(A, garden).filter((m) => m.text === 'while alice sleeps').length, 1, 'exactly once')
    assert.ok(await eventually(() => feed(C, garden).some((m) => m.text === 'while alice sleeps'), 10_000))
  })

  it('A removes B: B sees nothing new, and no key B holds opens the new generation', async () => {
    const removed = run(A, 'place', 'remove', garden, 'bob')
    assert.ok(removed.generation >= 2)
    const secret = run(A, 'post', garden, 'after bob left').id
    assert.ok(await eventually(() => feed(C, garden).some((m) => m.id === secret), 10_000), 'C still reads')
    await new Promise((resolve) => setTimeout(resolve, 1500))
    assert.ok(!feed(B, garden).some((m) => m.id >= secret), 'B sees nothing new')
    await d.b!.stop()
    const sodium = await loadSodium()
    const storeB = await Store.open(join(B, 'store.lmdb'))
    const storeA = await Store.open(join(A, 'store.lmdb'))
    try {
      const keysOfB = [...storeB.entries<Uint8Array>('epochs')].map((e) => e.value)
      assert.ok(keysOfB.length > 0)
      assert.equal(storeA.get('members', [garden, run(B, 'status').ego]), undefined, 'the host no longer counts B as a member (no keys, talk or replay for B)')
      const env = storeA.get<MessageRecord>('messages', [garden, secret])!
      assert.ok(env.generation >= 2)
      for (const key of keysOfB) {
        assert.throws(() => openEnvelope(sodium, env.envelope, () => key), /DECRYPT|decrypt|authentication/i)
      }
    } finally {
      await storeB.close()
      await storeA.close()
    }
    d.b = await startDaemonProcess(B)
  })

  it('while the host is offline, a returning member catches up from another member', async () => {
    await d.c!.stop()
    const missed = run(A, 'post', garden, 'only on A and D').id
    const dGot = await eventually(() => feed(D, garden).some((m) => m.id === missed), 10_000)
    if (!dGot) {
      const sd = await Store.open(join(D, 'store.lmdb'))
      const info = { place: sd.get('places', garden), epochs: [...sd.entries('epochs')].map((e) => e.key), dFeedTail: feed(D, garden).slice(-3), aList: run(A, 'place', 'list') }
      await sd.close()
      assert.fail('D did not get the post live: ' + JSON.stringify(info))
    }
    const aAddr = d.a!.ready.addrs[0]!.replace(/\/p2p\/.*$/, '')
    await d.a!.stop()
    d.c = await startDaemonProcess(C)
    const got = await eventually(() => feed(C, garden).some((m) => m.id === missed), 20_000)
    if (!got) {
      const sc = await Store.open(join(C, 'store.lmdb'))
      const members = [...sc.entries('members')].map((e) => e.value)
      await sc.close()
      assert.fail(JSON.stringify({ members, dready: d.d!.ready, status: cli(['--home', C, 'status', '--json']).json }))
    }
    d.a = await startDaemonProcess(A, ['--no-mdns', '--listen', aAddr]) // back at its old address, where C looks for it
    assert.ok(await eventually(() => online(A, 'carol'), 15_000))
  })

  it('1:1 conversations', async () => {
    const sent = run(A, 'dm', 'carol', 'psst')
    assert.equal(sent.pending, false)
    assert.ok(await eventually(() => (cli(['--home', C, 'dm', 'feed', 'alice', '--json']).json ?? []).some((m: any) => m.text === 'psst'), 10_000),
      'C reads the message')
    const back = run(C, 'dm', 'alice', 'yes?')
    assert.equal(back.place, sent.place)
    assert.ok(await eventually(() => (cli(['--home', A, 'dm', 'feed', 'carol', '--json']).json ?? []).some((m: any) => m.text === 'yes?' && m.authorPetname === 'carol'), 10_000))
  })
})
