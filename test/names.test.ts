import assert from 'node:assert/strict'
import { join } from 'node:path'
import { cli, runJson } from './support/cli.js'
import { eventually, startDaemonProcess, type RunningDaemon } from './support/daemon.js'
import { tempDir } from './support/tmp.js'

describe('names across daemons on 127.0.0.1', function () {
  this.timeout(300_000)
  const root = tempDir()
  const [A, B, C, D] = ['a', 'b', 'c', 'd'].map((n) => join(root, n)) as [string, string, string, string]
  const d: RunningDaemon[] = []
  const run = runJson
  const fails = (h: string, ...args: string[]): string => {
    const r = cli(['--home', h, ...args, '--json'])
    assert.equal(r.code, 1, `${args.join(' ')} should fail: ${r.stdout}`)
    return r.json.error.code
  }
  const ego: Record<string, string> = {}
  /** `joiner` calls `inviter` by `petname`. */
  const befriend = (inviter: string, joiner: string, petname: string): void => {
    run(joiner, 'contact', 'add', run(inviter, 'invite').link, '--petname', petname)
  }
  let garden = ''

  before(async () => {
    for (const [h, nick] of [[A, 'alice'], [B, 'bob'], [C, 'carol'], [D, 'dave']] as const) {
      assert.equal(cli(['--home', h, 'init', '--nick', nick]).code, 0)
      ego[nick] = run(h, 'status').ego
    }
    d.push(...await Promise.all([A, B, C, D].map(async (h) => await startDaemonProcess(h))))
    befriend(B, A, 'bob') // A calls B "bob", B calls A "alice"
    befriend(C, B, 'carol') // B calls C "carol"
    befriend(D, A, 'dave')
    garden = run(C, 'place', 'create', 'garden').place
    run(C, 'zone', 'set', 'garden', 'PLACE', 'garden')
  })
  after(async () => { await Promise.all(d.map(async (x) => await x.stop())) })

  it('every contact has a PKEY record under its petname; zone set, list and delete', () => {
    const zone = run(B, 'zone', 'list')
    assert.deepEqual(zone.map((r: any) => [r.label, r.type, r.value, r.source]).sort(), [['alice', 'PKEY', ego.alice, 'contact'], ['carol', 'PKEY', ego.carol, 'contact']])
    run(B, 'zone', 'set', 'me', 'NICK', 'Bob B.')
    assert.equal(run(B, 'resolve', 'me').nick, 'Bob B.')
    assert.equal(run(B, 'zone', 'delete', 'me').length, 1)
    assert.equal(fails(B, 'resolve', 'me'), 'NAME_NOT_FOUND')
    assert.equal(fails(B, 'zone', 'delete', 'carol'), 'NOT_FOUND', 'a contact\'s record is made private, not deleted')
  })

  it('A resolves carol.bob to C\'s ego through B\'s zone, then from its cache', () => {
    const r = run(A, 'resolve', 'carol.bob')
    assert.deepEqual({ type: r.type, ego: r.ego, cached: r.cached }, { type: 'PKEY', ego: ego.carol, cached: false })
    assert.equal(run(A, 'resolve', 'carol.bob').cached, true)
    assert.equal(run(A, 'resolve', 'bob').ego, ego.bob)
  })

  it('A resolves garden.carol.bob to the place C published (asked through B, C is not A\'s contact)', () => {
    const r = run(A, 'resolve', 'garden.carol.bob')
    assert.equal(r.type, 'PLACE')
    assert.equal(r.place, garden)
    assert.equal(r.hostPeer, d[2]!.ready.peerId)
    assert.equal(r.zone, ego.carol)
    assert.ok(r.addrs.length > 0 && r.addrs.every((a: string) => a.startsWith('/ip4/127.0.0.1/')))
  })

  it('A joins garden.carol.bob: the name becomes an entry request; once C admits A, A reads the place', async () => {
    const first = run(C, 'post', garden, 'welcome to the garden').id
    assert.deepEqual(run(A, 'place', 'join', 'garden.carol.bob'), { place: garden, requested: true, status: 'requested' })
    assert.ok(await eventually(() => run(C, 'place', 'requests', garden).some((e: any) => e.ego === ego.alice), 10_000), 'C sees the request')
    assert.equal(run(C, 'place', 'admit', garden, ego.alice!).delivered, true)
    const read = (): any[] => cli(['--home', A, 'feed', garden, '--json']).json ?? []
    assert.ok(await eventually(() => read().some((m) => m.id === first), 15_000), 'A reads what C posted')
  })

  it('private records never leave the node: the contact\'s resolver does not see them', () => {
    run(B, 'zone', 'set', 'secret', 'NICK', 'hidden', '--private')
    run(B, 'zone', 'set', 'carol2', 'PKEY', 'carol', '--private')
    assert.equal(run(B, 'resolve', 'secret').nick, 'hidden', 'the owner uses it')
    assert.equal(fails(A, 'resolve', 'secret.bob'), 'NAME_NOT_FOUND')
    assert.equal(fails(A, 'resolve', 'carol2.bob'), 'NAME_NOT_FOUND')
    assert.equal(fails(A, 'resolve', 'nobody.bob'), 'NAME_NOT_FOUND')
  })

  it('a delegation loop and a name deeper than 8 labels are refused with their codes', () => {
    assert.equal(fails(A, 'resolve', 'x.alice.bob'), 'NAME_LOOP')
    assert.equal(fails(A, 'resolve', 'a.b.c.d.e.f.g.h.bob'), 'LIMIT_EXCEEDED')
    assert.equal(fails(A, 'resolve', 'unknown'), 'NAME_NOT_FOUND')
    const empty = cli(['--home', A, 'resolve', 'a..bob', '--json'])
    assert.equal(empty.code, 2, 'a malformed name is a usage error')
    assert.equal(empty.json.error.code, 'INVALID_ARGUMENT')
  })

  it('common contacts: A sees that bob vouches for C\'s key, and a conflict for a key claiming to be "carol"', () => {
    const v = run(A, 'contact', 'vouches', ego.carol!)
    assert.deepEqual(v.vouchers, ['bob'])
    assert.equal(v.count, 1)
    const other = run(A, 'contact', 'vouches', ego.dave!, '--nick', 'carol')
    assert.equal(other.count, 0)
    assert.deepEqual(other.conflicts, [{ petname: 'bob', label: 'carol', ego: ego.carol }])
  })

  it('A introduces bob and dave: both accept and become contacts without an invite link', async () => {
    const intro = run(A, 'contact', 'introduce', 'bob', 'dave')
    assert.deepEqual(intro.delivered.sort(), ['bob', 'dave'])
    const seenB = run(B, 'contact', 'introductions', '--vouches')
    assert.equal(seenB.length, 1)
    assert.deepEqual({ from: seenB[0].from, ego: seenB[0].ego, nick: seenB[0].nick }, { from: 'alice', ego: ego.dave, nick: 'dave' })
    assert.deepEqual(seenB[0].vouches.vouchers, ['alice'], 'alice publishes dave\'s key to bob')
    assert.equal(run(B, 'contact', 'accept', seenB[0].id, '--petname', 'dave').status, 'waiting')
    const seenD = run(D, 'contact', 'introductions')
    assert.equal(seenD[0].ego, ego.bob)
    assert.equal(seenD[0].peerAccepted, true)
    const done = run(D, 'contact', 'accept', seenD[0].id)
    assert.deepEqual({ status: done.status, ego: done.ego }, { status: 'contact', ego: ego.bob })
    assert.ok(run(B, 'contact', 'list').some((c: any) => c.ego === ego.dave && c.petname === 'dave'))
    assert.ok(run(D, 'contact', 'list').some((c: any) => c.ego === ego.bob && c.petname === 'bob'))
    assert.deepEqual(run(B, 'contact', 'introductions'), [])
    assert.deepEqual(run(D, 'contact', 'introductions'), [])
    assert.ok(await eventually(() => run(B, 'contact', 'list').some((c: any) => c.ego === ego.dave && c.online), 5000))
    assert.equal(run(A, 'resolve', 'dave.bob').ego, ego.dave, 'and bob publishes dave at once')
  })

  it('a name that resolves to a contact\'s key works where a contact is expected; any other name is refused clearly', () => {
    const sent = run(A, 'dm', 'dave.bob', 'hello by name')
    assert.equal(sent.pending, false)
    assert.ok(run(A, 'dm', 'feed', 'dave').some((m: any) => m.id === sent.id && m.text === 'hello by name'), 'the same conversation as with "dave"')
    assert.equal(run(A, 'profile', 'show', 'dave.bob').ego, ego.dave)
    assert.equal(fails(A, 'dm', 'carol.bob', 'hi'), 'CONTACT_NOT_FOUND', 'carol is not A\'s contact')
    assert.equal(fails(A, 'dm', 'garden.carol.bob', 'hi'), 'NAME_NOT_FOUND', 'a place is not a person')
  })

  it('an introduction can be ignored', () => {
    befriend(C, A, 'carol')
    run(A, 'contact', 'introduce', 'carol', 'dave')
    const seen = run(C, 'contact', 'introductions')
    assert.equal(seen.length, 1)
    assert.deepEqual(run(C, 'contact', 'ignore', seen[0].id), { id: seen[0].id })
    assert.deepEqual(run(C, 'contact', 'introductions'), [])
    assert.equal(fails(C, 'contact', 'accept', seen[0].id), 'INTRODUCTION_NOT_FOUND')
  })
})
