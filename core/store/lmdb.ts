/**
 * The one adapter through which LMDB (lmdb-js) enters secushare.
 *
 * Contract:
 * - A store is one LMDB file with named sub-databases (SUB_DATABASES); values are msgpack.
 * - `meta/schema` holds the schema version. Opening an older store runs the migrations in one
 *   transaction; a newer one is refused (SCHEMA_TOO_NEW); a file without it is HOME_CORRUPT.
 * - Every logical change is one `write()` transaction. Events queued with `tx.emit()` fire only
 *   after the transaction has committed and been flushed to disk, so a listener (or a peer told by
 *   one) never sees something that a crash could still take back.
 * - The file is checked before LMDB maps it (lmdb-header.ts): LMDB crashes on garbage.
 */
import { EventEmitter } from 'node:events'
import { chmodSync, existsSync } from 'node:fs'
import { open, type Database, type RootDatabase } from 'lmdb'
import { SecushareError } from '../../protocol/errors.js'
import { MAX_WRITES_PER_COMMIT } from '../../protocol/limits.js'
import { checkLmdbFile } from './lmdb-header.js'
import { MIGRATIONS, SCHEMA_VERSION, SUB_DATABASES, type Migration, type SubDb } from './schema.js'

export type Key = string | number | Array<string | number>

export interface StoreEvent { type: string, [field: string]: unknown }

/** What a write transaction may do; reads inside it see its own writes. */
export interface WriteTx {
  get: <T>(db: SubDb, key: Key) => T | undefined
  put: (db: SubDb, key: Key, value: unknown) => void
  remove: (db: SubDb, key: Key) => void
  emit: (event: StoreEvent) => void
}

/** Writes committed together at most (group commit; protocol/limits.ts). */
export { MAX_WRITES_PER_COMMIT }

interface QueuedWrite { fn: (tx: WriteTx) => unknown, resolve: (v: unknown) => void, reject: (e: unknown) => void }

export interface OpenOptions {
  /** For tests of the migration machinery; production uses schema.ts. */
  schemaVersion?: number
  migrations?: Readonly<Record<number, Migration>>
}

export class Store {
  private readonly events = new EventEmitter()
  private readonly dbs: Record<SubDb, Database>
  private closed = false

  private constructor (readonly path: string, private readonly root: RootDatabase) {
    this.dbs = Object.fromEntries(SUB_DATABASES.map((name) => [name, root.openDB({ name })])) as Record<SubDb, Database>
  }

  static exists (path: string): boolean {
    return existsSync(path)
  }

  /** Creates a new, empty store at the current schema. Refuses to touch an existing file. */
  static async create (path: string, opts: OpenOptions = {}): Promise<Store> {
    if (existsSync(path)) throw new SecushareError('HOME_EXISTS', `a store already exists at ${path}`)
    const store = new Store(path, openRoot(path))
    chmodSync(path, 0o600)
    await store.write((tx) => { tx.put('meta', 'schema', opts.schemaVersion ?? SCHEMA_VERSION) })
    return store
  }

  /** Opens an existing store, migrating it to the current schema if it is older. */
  static async open (path: string, opts: OpenOptions = {}): Promise<Store> {
    if (!existsSync(path)) throw new SecushareError('HOME_NOT_INITIALISED', `no store at ${path}`)
    checkLmdbFile(path)
    const store = new Store(path, openRoot(path))
    try {
      await store.migrate(opts.schemaVersion ?? SCHEMA_VERSION, opts.migrations ?? MIGRATIONS)
    } catch (e) {
      await store.close()
      throw e
    }
    return store
  }

  private async migrate (target: number, migrations: Readonly<Record<number, Migration>>): Promise<void> {
    const version = this.get<unknown>('meta', 'schema')
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
      throw new SecushareError('HOME_CORRUPT', `${this.path} is an LMDB file but not a secushare store (no schema version)`)
    }
    if (version > target) {
      throw new SecushareError('SCHEMA_TOO_NEW', `${this.path} has schema ${version}; this secushare understands up to ${target}. Upgrade secushare.`, { version, supported: target })
    }
    if (version === target) return
    await this.write((tx) => {
      for (let v = version + 1; v <= target; v++) {
        const step = migrations[v]
        if (step === undefined) throw new SecushareError('INTERNAL', `no migration to schema ${v}`)
        step(tx)
      }
      tx.put('meta', 'schema', target)
      tx.emit({ type: 'store:migrated', from: version, to: target })
    })
  }

  get schemaVersion (): number {
    return this.get<number>('meta', 'schema') ?? 0
  }

  get<T> (db: SubDb, key: Key): T | undefined {
    this.assertOpen()
    return this.dbs[db].get(key) as T | undefined
  }

  /** Entries of a sub-database in key order, optionally within [start, end). */
  * entries<T> (db: SubDb, range: { start?: Key, end?: Key, limit?: number } = {}): Generator<{ key: Key, value: T }> {
    this.assertOpen()
    for (const { key, value } of this.dbs[db].getRange(range)) yield { key: key as Key, value: value as T }
  }

  count (db: SubDb): number {
    this.assertOpen()
    return this.dbs[db].getCount()
  }

  /**
   * Runs `fn` as one transaction. If it throws, nothing it wrote is written and none of its events
   * fire. Resolves after the commit is durable; then the queued events are emitted in order.
   *
   * Group commit: the writes requested in the same turn of the event loop run one after another in
   * one LMDB transaction with one sync to disk, each on an overlay that is applied only when its
   * `fn` returns, so a throwing `fn` leaves no trace and does not disturb the others. The batch is
   * an asynchronous LMDB transaction: its callback runs here, the commit and the sync to disk on
   * lmdb-js's write thread, so the event loop never waits for the disk, and a node taking in many
   * messages at once pays the sync once per batch instead of once per message.
   */
  async write<T> (fn: (tx: WriteTx) => T): Promise<T> {
    this.assertOpen()
    if (this.closing) throw new SecushareError('STORE_CLOSED', `the store at ${this.path} is closing`)
    return await new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject })
      if (this.queue.length === 1 && !this.committing) setImmediate(() => { void this.commitQueued() })
    })
  }

  private readonly queue: QueuedWrite[] = []
  private committing = false
  private closing = false

  private async commitQueued (): Promise<void> {
    const batch = this.queue.splice(0, MAX_WRITES_PER_COMMIT)
    if (batch.length === 0) return
    this.committing = true
    const done: Array<{ w: QueuedWrite, ok: boolean, value: unknown, events: StoreEvent[] }> = []
    try {
      if (this.closed) throw new SecushareError('STORE_CLOSED', `the store at ${this.path} is closed`)
      await this.root.transaction(() => {
        for (const w of batch) {
          const overlay = new Map<string, { db: SubDb, key: Key, value: unknown }>()
          const events: StoreEvent[] = []
          const id = (db: SubDb, key: Key): string => db + '\0' + JSON.stringify(key)
          const tx: WriteTx = {
            get: <V>(db: SubDb, key: Key) => {
              const o = overlay.get(id(db, key))
              return (o !== undefined ? o.value : this.dbs[db].get(key)) as V | undefined
            },
            put: (db, key, value) => { overlay.set(id(db, key), { db, key, value }) },
            remove: (db, key) => { overlay.set(id(db, key), { db, key, value: undefined }) },
            emit: (event) => { events.push(event) }
          }
          try {
            const value = w.fn(tx)
            for (const o of overlay.values()) {
              if (o.value === undefined) this.dbs[o.db].removeSync(o.key)
              else this.dbs[o.db].putSync(o.key, o.value)
            }
            done.push({ w, ok: true, value, events })
          } catch (e) {
            done.push({ w, ok: false, value: e, events: [] })
          }
        }
      })
      await this.root.flushed
    } catch (e) {
      // the commit itself failed: nothing of the batch is written
      for (const w of batch) w.reject(e)
      return
    } finally {
      this.committing = false
      if (this.queue.length > 0) setImmediate(() => { void this.commitQueued() })
    }
    for (const { w, ok, value, events } of done) {
      if (!ok) { w.reject(value); continue }
      for (const event of events) this.events.emit(event.type, event)
      w.resolve(value)
    }
  }

  on (type: string, listener: (event: StoreEvent) => void): () => void {
    this.events.on(type, listener)
    return () => { this.events.off(type, listener) }
  }

  /** Commits what is queued, then closes; writes requested after this are refused. */
  async close (): Promise<void> {
    if (this.closed || this.closing) return
    this.closing = true
    while (this.queue.length > 0 || this.committing) await new Promise((resolve) => setImmediate(resolve))
    this.closed = true
    await this.root.close()
  }

  private assertOpen (): void {
    if (this.closed) throw new SecushareError('STORE_CLOSED', `the store at ${this.path} is closed`)
  }
}

function openRoot (path: string): RootDatabase {
  try {
    return open({ path, encoding: 'msgpack', maxDbs: 32, mapSize: 2 ** 30 })
  } catch (e) {
    throw new SecushareError('HOME_CORRUPT', `cannot open the store at ${path}: ${(e as Error).message}`)
  }
}
