/**
 * The store's schema: sub-databases and migrations.
 *
 * Sub-databases (keys → values, values msgpack):
 * - meta:  'schema' → number (schema version); 'defaultEgo' → ego id (hex)
 * - node:  'peerKey' → Uint8Array (libp2p private key, protobuf); 'keystore' → KeystoreParams
 * - egos:  ego id (hex) → EgoRecord (identity/keystore.ts)
 *
 * Contract: SCHEMA_VERSION only grows. A change to the layout adds sub-databases or a migration
 * MIGRATIONS[n] that turns a schema n-1 store into schema n inside the opening transaction.
 */
import type { WriteTx } from './lmdb.js'

export const SCHEMA_VERSION = 1
export const SUB_DATABASES = ['meta', 'node', 'egos'] as const
export type SubDb = typeof SUB_DATABASES[number]
export type Migration = (tx: WriteTx) => void

/** MIGRATIONS[n] upgrades schema n-1 to n. Schema 1 is the first; nothing to migrate yet. */
export const MIGRATIONS: Readonly<Record<number, Migration>> = {}
