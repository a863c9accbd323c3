import assert from 'node:assert/strict'
import { join } from 'node:path'
import { openEnvelope } from '../core/crypto/envelope-seal.js'
import { loadSodium } from '../core/crypto/sodium.js'
import type { MessageRecord, PlaceRecord, RequestRecord } from '../core/places/records.js'
import { Store } from '../core/store/lmdb.js'
import { cli, runJson, feedJson } from './support/cli.js'
import { eventually, startDaemonProcess, type RunningDaemon } from './support/daemon.js'
import { tempDir } from './support/tmp.js'

/** Strangers asking a host for entry by a place's address; key generations on a timer and on admission. */
describe('places: entry requests and key generations, across daemons on 127.0.0.1', function () {
  this.timeout(300_000)
  const root = tempDir()
  const [A, E, F] = ['a', 'e', 'f'].map((n) => join(root, n)) as [string, string, string]
  const d: RunningDaemon[] = []
  const run = runJson
  const feed = feedJson
  const inPlace = (h: string, place: string): any => (cli(['--home', h, 'place', 'list', '--json']).json ?? []).find((p: any) => p.place === place)
  /** Reads a running daemon's store (LMDB allows readers in other processes). */
  async function peek<T> (h: string, fn: (s: Store) => T): Promise<T> {
    const s = await Store.open(join(h, 'store.lmdb'))
    try { return fn(s) } finally { await s.close() }
  }
  let orchard = ''
  let egoE = ''

  before(async () => {
    for (const [h, nick] of [[A, 'alice'], [E, 'erin'], [F, 'frank']] as const) assert.equal(cli(['--home', h, 'init', '--nick', nick]).code, 0)
    d.push(await startDaemonProcess(A, ['--place-key-rotation', '2']), await startDaemonProcess(E), await startDaemonProcess(F))
    egoE = run(E, 'status').ego
  })
  after(async () => { await Promise.all(d.map(async (x) => await x.stop())) })

  it('a stranger with the address asks, the host admits, the stranger joins and reads the history', async () => {
    orchard = run(A, 'place', 'create', 'orchard', '--history', 'all').place
    const before = run(A, 'post', orchard, 'before anyone came').id
    const { address } = run(A, 'place', 'address', orchard)
    assert.match(address, /^secushare:place\//)
    const asked = run(E, 'place', 'join', address)
    assert.deepEqual(asked, { place: orchard, requested: true, status: 'requested' })
    assert.ok(await eventually(() => run(A, 'place', 'requests', orchard).length === 1, 5000))
    const [req] = run(A, 'place', 'requests', orchard)
    assert.equal(req.ego, egoE)
    assert.equal(req.petname, null, 'not a contact')
    assert.equal(inPlace(E, orchard), undefined, 'nothing to read before admission')
    const admitted = run(A, 'place', 'admit', orchard, egoE.slice(0, 12))
    assert.deepEqual(admitted, { place: orchard, ego: egoE, delivered: true })
    assert.ok(await eventually(() => inPlace(E, orchard) !== undefined, 10_000), 'E joins on its own once admitted')
    assert.ok(await eventually(() => feed(E, orchard).some((m) => m.id === before), 10_000), 'and has the history')
    assert.deepEqual(run(A, 'place', 'requests', orchard), [])
    const hi = run(E, 'post', orchard, 'hello, I asked to come in')
    assert.equal(hi.pending, false)
    assert.ok(await eventually(() => feed(A, orchard).some((m) => m.id === hi.id && m.author === egoE), 5000))
  })

  it('refused requests, bad addresses and unknown requesters get clear errors', async () => {
    const { address } = run(A, 'place', 'address', orchard)
    run(F, 'place', 'join', address)
    assert.ok(await eventually(() => run(A, 'place', 'requests', orchard).length === 1, 5000))
    const egoF = run(F, 'status').ego
    assert.deepEqual(run(A, 'place', 'refuse', orchard, egoF), { place: orchard, ego: egoF })
    assert.ok(await eventually(async () => await peek(F, (s) => s.get<RequestRecord>('requests', orchard)?.status) === 'refused', 5000), 'F is told')
    assert.equal(inPlace(F, orchard), undefined)
    const bad = cli(['--home', F, 'place', 'join', address.slice(0, -3) + '!!!', '--json'])
    assert.equal(bad.code, 2, 'a usage error')
    assert.equal(bad.json.error.code, 'INVALID_ARGUMENT')
    const unknown = cli(['--home', A, 'place', 'admit', orchard, 'deadbeefdeadbeef', '--json'])
    assert.equal(unknown.json.error.code, 'NOT_FOUND')
    const notHost = cli(['--home', E, 'place', 'requests', orchard, '--json'])
    assert.equal(notHost.json.error.code, 'NOT_HOST')
    const again = cli(['--home', E, 'place', 'join', address, '--json'])
    assert.equal(again.json.error.code, 'INVALID_ARGUMENT', 'already in it')
  })

  it('the host gives a place a new key generation on a timer; members follow and forget keys they no longer need', async () => {
    const gen = run(A, 'place', 'list').find((p: any) => p.place === orchard).generation
    assert.ok(await eventually(() => inPlace(E, orchard)?.generation >= gen + 1, 15_000), 'E follows the rotation')
    const later = run(A, 'post', orchard, 'under a newer key').id
    assert.ok(await eventually(() => feed(E, orchard).some((m) => m.id === later), 10_000))
    const held = async (): Promise<number[]> => await peek(E, (s) => [...s.entries('epochs', { start: [orchard, 0], end: [orchard, Number.MAX_SAFE_INTEGER] })].map((e) => Number((e.key as [string, number])[1])))
    assert.ok(await eventually(async () => !(await held()).includes(1), 10_000), `E forgot generation 1 once it stored all of it (holds ${JSON.stringify(await held())})`)
    assert.ok(feed(E, orchard).length >= 3, 'what E stored stays readable')
    const hostKeys = await peek(A, (s) => [...s.entries('epochs', { start: [orchard, 0], end: [orchard, Number.MAX_SAFE_INTEGER] })].length)
    assert.ok(hostKeys >= 2, 'the host keeps its keys for newcomers and returning members')
  })

  it('in a place with history "none", a newcomer gets a new generation and no key to what came before', async () => {
    const quiet = run(A, 'place', 'create', 'quiet', '--history', 'none').place
    const { address } = run(A, 'place', 'address', quiet)
    run(E, 'place', 'join', address)
    assert.ok(await eventually(() => run(A, 'place', 'requests', quiet).length === 1, 5000))
    run(A, 'place', 'admit', quiet, egoE)
    assert.ok(await eventually(() => inPlace(E, quiet) !== undefined, 10_000))
    const secret = run(A, 'post', quiet, 'said before frank came').id
    assert.ok(await eventually(() => feed(E, quiet).some((m) => m.id === secret), 10_000))
    run(F, 'place', 'join', address)
    assert.ok(await eventually(() => run(A, 'place', 'requests', quiet).length === 1, 5000))
    run(A, 'place', 'admit', quiet, run(F, 'status').ego)
    assert.ok(await eventually(() => inPlace(F, quiet) !== undefined, 10_000))
    assert.ok(!feed(F, quiet).some((m) => m.id <= secret), 'F reads nothing from before')
    const sodium = await loadSodium()
    const env = await peek(A, (s) => s.get<MessageRecord>('messages', [quiet, secret])!)
    const keysOfF = await peek(F, (s) => [...s.entries<Uint8Array>('epochs', { start: [quiet, 0], end: [quiet, Number.MAX_SAFE_INTEGER] })].map((e) => e.value))
    assert.ok(keysOfF.length > 0)
    for (const key of keysOfF) assert.throws(() => openEnvelope(sodium, env.envelope, () => key))
    const sinceF = await peek(F, (s) => s.get<PlaceRecord>('places', quiet)!.sinceId)
    assert.ok(sinceF > secret)
  })
})
