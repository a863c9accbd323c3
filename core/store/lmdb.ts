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
   * Runs `fn` as one transaction. If it throws, nothing is written and no event fires.
   * Resolves after the commit is durable; then the queued events are emitted in order.
   */
  async write<T> (fn: (tx: WriteTx) => T): Promise<T> {
    this.assertOpen()
    const queued: StoreEvent[] = []
    const tx: WriteTx = {
      get: <V>(db: SubDb, key: Key) => this.dbs[db].get(key) as V | undefined,
      put: (db, key, value) => { this.dbs[db].putSync(key, value) },
      remove: (db, key) => { this.dbs[db].removeSync(key) },
      emit: (event) => { queued.push(event) }
    }
    const result = this.root.transactionSync(() => fn(tx))
    await this.root.flushed
    for (const event of queued) this.events.emit(event.type, event)
    return result
  }

  on (type: string, listener: (event: StoreEvent) => void): () => void {
    this.events.on(type, listener)
    return () => { this.events.off(type, listener) }
  }

  async close (): Promise<void> {
    if (this.closed) return
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
