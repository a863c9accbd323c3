/**
 * My zones: the records each of my egos publishes under its petnames (docs/names.md).
 *
 * Contract (store/schema.ts): zone/[ego hex, label, type] → StoredZoneRecord, one record per
 * label and type. Every contact of an ego also has a PKEY record under its petname, derived from
 * the contact book (so renaming or removing a contact changes it at once); a stored PKEY record
 * under the same label replaces it (that is how a contact's record is made private).
 */
import { SecushareError } from '../../protocol/errors.js'
import { MAX_ZONE_RECORDS } from '../../protocol/limits.js'
import { checkValue, decodePlaceValue, encodePlaceValue, RECORD_TYPES, type RecordType, type ZoneRecord } from '../../protocol/zone-record.js'
import { validatePetname, type ContactRecord } from '../contacts/book.js'
import { egoIdOf } from '../identity/ego.js'
import type { Store } from '../store/lmdb.js'

export interface StoredZoneRecord {
  v: 1
  type: RecordType
  value: Uint8Array
  /** Unix ms; 0 = none. */
  expires: number
  private: boolean
  created: number
}

export interface ZoneEntry extends ZoneRecord { label: string, source: 'set' | 'contact' }

export function isRecordType (t: string): t is RecordType {
  return Object.prototype.hasOwnProperty.call(RECORD_TYPES, t)
}

export class Zone {
  /** `myPeer()` and `myAddrs()` refresh the node of PLACE records of places this node hosts. */
  constructor (private readonly store: Store, private readonly myPeer: () => string, private readonly myAddrs: () => string[]) {}

  private contactsOf (ego: string): ContactRecord[] {
    return [...this.store.entries<ContactRecord>('contacts')].map((e) => e.value).filter((c) => c.self === ego)
  }

  private stored (ego: string, label?: string): ZoneEntry[] {
    const start = label === undefined ? [ego, ''] : [ego, label, '']
    const end = label === undefined ? [ego, '\uffff'] : [ego, label, '\uffff']
    return [...this.store.entries<StoredZoneRecord>('zone', { start, end })].map((e) => {
      const [, l] = e.key as [string, string, string]
      return { label: l, type: e.value.type, value: new Uint8Array(e.value.value), expires: e.value.expires, private: e.value.private, source: 'set' as const }
    })
  }

  /** Every record of an ego's zone (private ones too), expired ones left out, by label then type. */
  list (ego: string, now = Date.now()): ZoneEntry[] {
    const out = this.stored(ego).filter((r) => r.expires === 0 || r.expires > now)
    const pkeys = new Set(this.stored(ego).filter((r) => r.type === 'PKEY').map((r) => r.label))
    for (const c of this.contactsOf(ego)) {
      if (!pkeys.has(c.petname)) out.push({ label: c.petname, type: 'PKEY', value: new Uint8Array(c.ego), expires: 0, private: false, source: 'contact' })
    }
    return out.sort((a, b) => a.label.localeCompare(b.label) || RECORD_TYPES[a.type] - RECORD_TYPES[b.type])
  }

  /** The records under one label (private ones only when asked: never for publishing). */
  records (ego: string, label: string, opts: { includePrivate: boolean }, now = Date.now()): ZoneRecord[] {
    const out: ZoneRecord[] = this.stored(ego, label).filter((r) => (r.expires === 0 || r.expires > now) && (opts.includePrivate || !r.private))
    const hasPkey = this.stored(ego, label).some((r) => r.type === 'PKEY')
    if (!hasPkey) {
      const c = this.contactsOf(ego).find((x) => x.petname === label)
      if (c !== undefined) out.push({ type: 'PKEY', value: new Uint8Array(c.ego), expires: 0, private: false })
    }
    return out.map((r) => this.fresh(r)).sort((a, b) => RECORD_TYPES[a.type] - RECORD_TYPES[b.type]).slice(0, MAX_ZONE_RECORDS)
  }

  /** A PLACE record of a place this node hosts carries the node's current addresses. */
  private fresh (r: ZoneRecord): ZoneRecord {
    if (r.type !== 'PLACE') return { type: r.type, value: r.value, expires: r.expires, private: r.private }
    const p = decodePlaceValue(r.value)
    if (p.peerId !== this.myPeer()) return r
    return { ...r, value: encodePlaceValue({ ...p, addrs: this.myAddrs().slice(0, 8) }) }
  }

  /** Labels of an ego's zone (stored or from contacts). */
  labels (ego: string): string[] {
    return [...new Set([...this.stored(ego).map((r) => r.label), ...this.contactsOf(ego).map((c) => c.petname)])]
  }

  /** The public label under which an ego's zone delegates to `target` (a PKEY record), if any. */
  labelOf (ego: string, target: Uint8Array): string | undefined {
    const hex = egoIdOf(target)
    return this.list(ego).find((r) => r.type === 'PKEY' && !r.private && egoIdOf(r.value) === hex)?.label
  }

  async set (ego: string, label: string, rec: Omit<StoredZoneRecord, 'v' | 'created'>): Promise<ZoneEntry> {
    validatePetname(label)
    try {
      checkValue(rec.type, rec.value)
    } catch (e) {
      if (e instanceof SecushareError && e.code === 'ZONE_RECORD_INVALID') throw new SecushareError('INVALID_ARGUMENT', e.message)
      throw e
    }
    if (rec.expires !== 0 && rec.expires <= Date.now()) throw new SecushareError('INVALID_ARGUMENT', 'the expiry is in the past')
    await this.store.write((tx) => {
      tx.put('zone', [ego, label, rec.type], { v: 1, ...rec, created: Date.now() } satisfies StoredZoneRecord)
      tx.emit({ type: 'zone:changed', ego, label })
    })
    return { label, ...rec, source: 'set' }
  }

  /** Deletes stored records under a label (one type, or all). Contacts' derived PKEY records cannot be deleted, only made private. */
  async delete (ego: string, label: string, type?: RecordType): Promise<ZoneEntry[]> {
    const gone = this.stored(ego, label).filter((r) => type === undefined || r.type === type)
    if (gone.length === 0) {
      const derived = this.contactsOf(ego).some((c) => c.petname === label)
      throw new SecushareError('NOT_FOUND', derived
        ? `"${label}" is a contact's PKEY record; hide it with \`zone set ${label} PKEY ${label} --private\`, or remove the contact`
        : `no record under "${label}"${type === undefined ? '' : ` of type ${type}`}`)
    }
    await this.store.write((tx) => {
      for (const r of gone) tx.remove('zone', [ego, label, r.type])
      tx.emit({ type: 'zone:changed', ego, label })
    })
    return gone
  }
}
