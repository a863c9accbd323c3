import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { MemberRecord, PlaceRecord } from '../core/places/records.js'
import { Store } from '../core/store/lmdb.js'
import { cli, runJson } from './support/cli.js'
import { eventually, startDaemonProcess, type RunningDaemon } from './support/daemon.js'
import { tempDir } from './support/tmp.js'

/** Home places: every node's profile, with contacts admitted automatically and kept current. */
describe('profiles (home places) across daemons on 127.0.0.1', function () {
  this.timeout(300_000)
  const root = tempDir()
  const [A, B] = ['a', 'b'].map((n) => join(root, n)) as [string, string]
  const d: RunningDaemon[] = []
  const run = runJson

  before(async () => {
    for (const [h, nick] of [[A, 'alice'], [B, 'bob']] as const) assert.equal(cli(['--home', h, 'init', '--nick', nick]).code, 0)
    d.push(await startDaemonProcess(A), await startDaemonProcess(B))
  })
  after(async () => { await Promise.all(d.map(async (x) => await x.stop())) })

  it('every node has a profile with its nick; it is not listed among places', () => {
    const mine = run(A, 'profile')
    assert.equal(mine.nick, 'alice')
    assert.equal(mine.petname, 'me')
    assert.match(mine.place, /^[0-9a-f]{64}$/)
    assert.deepEqual(run(A, 'place', 'list'), [])
  })

  it('a new contact enters my home place by itself and sees my profile change live', async () => {
    run(B, 'contact', 'add', run(A, 'invite').link, '--petname', 'alice')
    assert.ok(await eventually(() => run(B, 'profile', 'show', 'alice').nick === 'alice', 10_000), 'B has A\'s profile')
    assert.ok(await eventually(() => run(A, 'profile', 'show', 'bob').nick === 'bob', 10_000), 'and A has B\'s')
    const avatar = randomBytes(1500)
    const file = join(root, 'avatar.webp')
    writeFileSync(file, avatar)
    const set = run(A, 'profile', 'set', '--description', 'grows roses', '--avatar', file, '--nick', 'Alice L.')
    assert.equal(set.description, 'grows roses')
    assert.ok(await eventually(() => {
      const p = run(B, 'profile', 'show', 'alice')
      return p.nick === 'Alice L.' && p.description === 'grows roses' && p.avatar === avatar.toString('base64')
    }, 5000), 'B sees the change without asking')
    run(A, 'profile', 'set', '--no-avatar', '--description', '')
    assert.ok(await eventually(() => { const p = run(B, 'profile', 'show', 'alice'); return p.avatar === null && p.description === null }, 5000))
    assert.deepEqual(run(B, 'place', 'list'), [], 'A\'s home is not among B\'s places')
  })

  it('refuses an avatar over the limit and an empty change', () => {
    const file = join(root, 'big.png')
    writeFileSync(file, randomBytes(2049))
    const big = cli(['--home', A, 'profile', 'set', '--avatar', file, '--json'])
    assert.equal(big.json.error.code, 'LIMIT_EXCEEDED')
    assert.match(big.json.error.message, /MAX_AVATAR_BYTES exceeded: 2049 > 2048/)
    assert.equal(big.code, 1)
    writeFileSync(file, randomBytes(2048))
    assert.equal(run(A, 'profile', 'set', '--avatar', file).avatar.length > 0, true, 'at the limit it works')
    const none = cli(['--home', A, 'profile', 'set', '--json'])
    assert.equal(none.json.error.code, 'INVALID_ARGUMENT')
  })

  it('removing a contact removes it from my home place, with a new key generation', async () => {
    const home = run(A, 'profile').place
    const egoB = run(B, 'status').ego
    run(A, 'contact', 'remove', 'bob')
    const peek = async (): Promise<{ member: boolean, generation: number }> => {
      const s = await Store.open(join(A, 'store.lmdb'))
      try { return { member: s.get<MemberRecord>('members', [home, egoB]) !== undefined, generation: s.get<PlaceRecord>('places', home)!.generation } } finally { await s.close() }
    }
    assert.ok(await eventually(async () => { const p = await peek(); return !p.member && p.generation >= 2 }, 10_000), JSON.stringify(await peek()))
  })
})
