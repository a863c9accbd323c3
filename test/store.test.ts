import assert from 'node:assert/strict'
import { copyFileSync, readFileSync, truncateSync, writeFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { open } from 'lmdb'
import { isSecushareError } from '../protocol/errors.js'
import { MAX_WRITES_PER_COMMIT, Store } from '../core/store/lmdb.js'
import { SCHEMA_VERSION } from '../core/store/schema.js'
import { tempDir } from './support/tmp.js'

async function rejectsWith (p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => isSecushareError(e) && e.code === code)
}

describe('store (LMDB adapter)', () => {
  const dir = tempDir()
  let n = 0
  const path = (): string => join(dir, `s${n++}.lmdb`)

  it('creates a store at the current schema with mode 0600 and reopens it', async () => {
    const p = path()
    const s = await Store.create(p)
    assert.equal(s.schemaVersion, SCHEMA_VERSION)
    assert.equal(statSync(p).mode & 0o777, 0o600)
    await s.write((tx) => { tx.put('egos', 'k', { a: new Uint8Array([1, 2]) }) })
    await s.close()
    const r = await Store.open(p)
    const got = r.get<{ a: Uint8Array }>('egos', 'k')
    assert.deepEqual([...got!.a], [1, 2], 'bytes come back as bytes')
    assert.ok(got!.a instanceof Uint8Array)
    await r.close()
  })

  it('refuses to create over an existing file', async () => {
    const p = path()
    writeFileSync(p, 'x')
    await rejectsWith(Store.create(p), 'HOME_EXISTS')
    assert.equal(readFileSync(p, 'utf8'), 'x')
  })

  it('fires events only after commit, and none when the transaction throws', async () => {
    const s = await Store.create(path())
    const seen: unknown[] = []
    s.on('thing', (e) => { seen.push([e.n, s.get('egos', 'a')]) })
    await s.write((tx) => {
      tx.put('egos', 'a', 1)
      tx.emit({ type: 'thing', n: 1 })
      assert.equal(seen.length, 0, 'not before commit')
      assert.equal(tx.get('egos', 'a'), 1, 'a transaction reads its own writes')
    })
    assert.deepEqual(seen, [[1, 1]])
    await assert.rejects(s.write((tx) => {
      tx.put('egos', 'a', 2)
      tx.emit({ type: 'thing', n: 2 })
      throw new Error('abort')
    }), /abort/)
    assert.equal(s.get('egos', 'a'), 1, 'the aborted write left nothing')
    assert.deepEqual(seen, [[1, 1]], 'and fired nothing')
    await s.close()
    assert.throws(() => s.get('egos', 'a'), (e: unknown) => isSecushareError(e, 'STORE_CLOSED'))
  })

  it('commits concurrent writes together; one that throws leaves no trace and does not disturb the others', async () => {
    const p = path()
    const s = await Store.create(p)
    const seen: number[] = []
    s.on('n', (e) => { seen.push(e.n as number) })
    const writes = Array.from({ length: MAX_WRITES_PER_COMMIT + 10 }, async (_, i) => await s.write((tx) => {
      const before = tx.get<number>('meta', 'count') ?? 0
      tx.put('meta', 'count', before + 1) // reads see the earlier writes of the same batch
      tx.put('meta', `k${i}`, i)
      tx.emit({ type: 'n', n: i })
      if (i % 7 === 3) throw new Error(`abort ${i}`)
      assert.equal(tx.get('meta', `k${i}`), i)
      return i
    }))
    const results = await Promise.allSettled(writes)
    const ok = results.filter((r) => r.status === 'fulfilled').length
    assert.equal(results.filter((r) => r.status === 'rejected').length, results.length - ok)
    assert.equal(s.get('meta', 'count'), ok, 'every committed write counted once, no aborted one')
    assert.equal(s.get('meta', 'k3'), undefined)
    assert.equal(s.get('meta', 'k4'), 4)
    assert.deepEqual(seen, results.map((r, i) => (r.status === 'fulfilled' ? i : -1)).filter((i) => i >= 0), 'events in order, none of the aborted')
    const late = s.write((tx) => { tx.put('meta', 'late', 1) })
    await s.close() // commits what is queued first
    await late
    await rejectsWith(s.write(() => {}), 'STORE_CLOSED')
    const r = await Store.open(p)
    assert.equal(r.get('meta', 'late'), 1)
    assert.equal(r.get('meta', 'count'), ok)
    await r.close()
  })

  it('runs migrations in order when opening an older store', async () => {
    const p = path()
    await (await Store.create(p, { schemaVersion: 1 })).close()
    const s = await Store.open(p, {
      schemaVersion: 3,
      migrations: {
        2: (tx) => { tx.put('meta', 'steps', ['2']) },
        3: (tx) => { tx.put('meta', 'steps', [...tx.get<string[]>('meta', 'steps')!, '3']) }
      }
    })
    assert.equal(s.schemaVersion, 3)
    assert.deepEqual(s.get('meta', 'steps'), ['2', '3'])
    await s.close()
  })

  it('leaves an older store untouched when a migration is missing', async () => {
    const p = path()
    await (await Store.create(p, { schemaVersion: 1 })).close()
    await rejectsWith(Store.open(p, { schemaVersion: 2, migrations: {} }), 'INTERNAL')
    const s = await Store.open(p, { schemaVersion: 1 })
    assert.equal(s.schemaVersion, 1)
    await s.close()
  })

  it('refuses a store from a newer schema', async () => {
    const p = path()
    await (await Store.create(p, { schemaVersion: SCHEMA_VERSION + 1 })).close()
    await rejectsWith(Store.open(p), 'SCHEMA_TOO_NEW')
  })

  it('refuses garbage, empty, truncated and foreign files without crashing', async () => {
    const garbage = path()
    writeFileSync(garbage, Buffer.alloc(20000, 7))
    await rejectsWith(Store.open(garbage), 'HOME_CORRUPT')
    const empty = path()
    writeFileSync(empty, '')
    await rejectsWith(Store.open(empty), 'HOME_CORRUPT')
    const text = path()
    writeFileSync(text, 'not a database at all\n'.repeat(500))
    await rejectsWith(Store.open(text), 'HOME_CORRUPT')

    const good = path()
    const s = await Store.create(good)
    await s.write((tx) => { for (let i = 0; i < 2000; i++) tx.put('egos', `k${i}`, 'v'.repeat(100)) })
    await s.close()
    const cut = path()
    copyFileSync(good, cut)
    truncateSync(cut, statSync(good).size - 8192)
    await rejectsWith(Store.open(cut), 'HOME_CORRUPT')
    const headless = path()
    copyFileSync(good, headless)
    const bytes = readFileSync(headless)
    bytes.fill(0, 0, 4096)
    writeFileSync(headless, bytes)
    await rejectsWith(Store.open(headless), 'HOME_CORRUPT')

    const foreign = path() // a real LMDB file that some other program wrote
    const other = open({ path: foreign })
    other.putSync('hello', 'world')
    await other.close()
    await rejectsWith(Store.open(foreign), 'HOME_CORRUPT')
  })
})
