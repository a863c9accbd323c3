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
 * - places:      place id (hex) → PlaceRecord (places/records.ts)
 * - epochs:      [place, generation] → epoch key (32 bytes)
 * - members:     [place, ego hex] → MemberRecord
 * - messages:    [place, message id] → MessageRecord (the envelope and what it said)
 * - pstate:      [place, variable name] → value (the place's PSYC state)
 * - heldstate:   [place, id of the previous stateful message] → id of a stateful message waiting for it
 * - talkseen:    [place, author hex, talk id hex] → message id (a retried post is sequenced once)
 * - pending:     [place, talk id hex] → PendingPost (my posts the host has not acknowledged yet)
 * - invitations: place id (hex) → InvitationRecord (invitations I received)
 * - entries:     [place, ego hex] → EntryRecord (host: requests to enter a place I host)
 * - requests:    place id (hex) → RequestRecord (my requests to enter others' places)
 * - zone:          [ego hex, label, record type] → StoredZoneRecord (names/zone.ts; my zones' own records)
 * - introductions: introduction id (hex) → IntroductionRecord (names/introductions.ts; received, pending)
 * - relay_blobs:   [tag hex, key hex] → {blob, expires} (relay/server.ts; what I keep for others: nothing else)
 * - relay_expiry:  [expires, tag hex, key hex] → [length, masked depositor slot, check] (the same blobs by expiry, for garbage collection and the per-depositor share; core/relay/server.ts)
 * - relay_use:     contact ego hex → RelayUseRecord (relay/client.ts; the relays I use)
 * - relay_lists:   contact ego hex → RelayListRecord (the relays my contacts use, as they told me)
 * - relay_state:   'fetchedSlot' → number (the last time slot fetched from my relays)
 * - delivery:      [place, message id] → DeliveryRecord (my posts: who got them live, where they wait)
 * - delivery_marks: [place, member ego hex] → message id (host: the member has everything up to it)
 *
 * Contract: SCHEMA_VERSION only grows. A change to the layout adds sub-databases or a migration
 * MIGRATIONS[n] that turns a schema n-1 store into schema n inside the opening transaction.
 */
import type { WriteTx } from './lmdb.js'

export const SCHEMA_VERSION = 6
export const SUB_DATABASES = [
  'meta', 'node', 'egos', 'contacts', 'petnames', 'invites',
  'places', 'epochs', 'members', 'messages', 'pstate', 'heldstate', 'talkseen', 'pending', 'invitations',
  'entries', 'requests', 'zone', 'introductions',
  'relay_blobs', 'relay_expiry', 'relay_use', 'relay_lists', 'relay_state', 'delivery', 'delivery_marks'
] as const
export type SubDb = typeof SUB_DATABASES[number]
export type Migration = (tx: WriteTx) => void

/** MIGRATIONS[n] upgrades schema n-1 to n. */
export const MIGRATIONS: Readonly<Record<number, Migration>> = {
  /** 2: contacts, petnames and invites; they start empty, so there is nothing to convert. */
  2: () => {},
  /** 3: places and everything about them; new sub-databases, nothing to convert. */
  3: () => {},
  /** 4: zones and introductions; new sub-databases, nothing to convert (contacts' PKEY records are derived from the contact book). */
  4: () => {},
  /** 5: entry requests (both sides); new sub-databases, nothing to convert. */
  5: () => {},
  /** 6: relays (both sides) and delivery states; new sub-databases, nothing to convert. */
  6: () => {}
}
