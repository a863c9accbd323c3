/**
 * Delivery state of my own posts (`feed --json` field `delivery`): who got a message live, on
 * which relays it waits for whom (custody receipts, written by core/relay/client.ts), and up to
 * which id each member confirmed having everything (its replay requests, `delivery_marks`).
 *
 *   local      nobody else is known to have it
 *   relayed    some member that has not confirmed it can fetch it from `relays` (petnames)
 *   delivered  every other member got it live or confirmed it; for a guest's post: the host
 *              sequenced it (the host is who a guest delivers to)
 */
import type { Store, WriteTx } from '../store/lmdb.js'
import type { MemberRecord, PlaceRecord } from './records.js'

export interface DeliveryRecord { v: 1, live: string[], relayed: Array<{ ego: string, relays: string[] }> }
export type Delivery = { state: 'local' } | { state: 'relayed', relays: string[] } | { state: 'delivered' }

export function deliveryOf (db: Store, p: PlaceRecord, id: number, members: MemberRecord[], relayName: (peer: string) => string): Delivery {
  if (p.role !== 'host') return { state: 'delivered' }
  const others = members.filter((m) => m.status === 'member' && m.ego !== p.self)
  if (others.length === 0) return { state: 'local' }
  const rec = db.get<DeliveryRecord>('delivery', [p.id, id])
  const waiting = others.filter((m) => !(rec?.live.includes(m.ego) ?? false) && (db.get<number>('delivery_marks', [p.id, m.ego]) ?? 0) < id)
  if (waiting.length === 0) return { state: 'delivered' }
  const relays = new Set<string>()
  for (const m of waiting) for (const r of rec?.relayed.filter((x) => x.ego === m.ego) ?? []) for (const peer of r.relays) relays.add(relayName(peer))
  return relays.size > 0 ? { state: 'relayed', relays: [...relays].sort() } : { state: 'local' }
}

/** Adds to the delivery record of one message (inside a write). */
export function noteDelivery (tx: WriteTx, placeId: string, id: number, add: { live?: string[], relayed?: { ego: string, relays: string[] } }): void {
  const cur = tx.get<DeliveryRecord>('delivery', [placeId, id]) ?? { v: 1, live: [], relayed: [] }
  const live = [...new Set([...cur.live, ...(add.live ?? [])])]
  const relayed = add.relayed === undefined || add.relayed.relays.length === 0 ? cur.relayed : [...cur.relayed, add.relayed]
  tx.put('delivery', [placeId, id], { v: 1, live, relayed } satisfies DeliveryRecord)
}

/** Host: a member asked for replay from `from`, so it holds everything before it. */
export function noteMark (tx: WriteTx, placeId: string, ego: string, upTo: number): void {
  if (upTo > (tx.get<number>('delivery_marks', [placeId, ego]) ?? 0)) tx.put('delivery_marks', [placeId, ego], upTo)
}
