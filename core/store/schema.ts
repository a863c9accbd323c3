/**
 * The store's schema: sub-databases and migrations.
 *
 * Sub-databases (keys → values, values msgpack):
 * - meta:  'schema' → number (schema version); 'defaultEgo' → ego id (hex)
 * - node:  'peerKey' → Uint8Array (libp2p private key, protobuf); 'keystore' → KeystoreParams
 * - egos:  ego id (hex) → EgoRecord (identity/keystore.ts)
 * - contacts: ego id (hex) of the contact → ContactRecord (contacts/book.ts)
 * - petnames: petname → ego id (hex) of the contact (unique petnames)
 * - invites:  invite id (hex) → InviteRecord (pending one-time invites; deleted when used)
 *
 * Contract: SCHEMA_VERSION only grows. A change to the layout adds sub-databases or a migration
 * MIGRATIONS[n] that turns a schema n-1 store into schema n inside the opening transaction.
 */
import type { WriteTx } from './lmdb.js'

export const SCHEMA_VERSION = 2
export const SUB_DATABASES = ['meta', 'node', 'egos', 'contacts', 'petnames', 'invites'] as const
export type SubDb = typeof SUB_DATABASES[number]
export type Migration = (tx: WriteTx) => void

/** MIGRATIONS[n] upgrades schema n-1 to n. */
export const MIGRATIONS: Readonly<Record<number, Migration>> = {
  /** 2: contacts, petnames and invites; they start empty, so there is nothing to convert. */
  2: () => {}
}
