/**
 * Feeds the EventBus from the node: store events (published after their transaction commits) and
 * network connections, turned into the UI events of event-bus.ts, and the NodeStatus recomputed
 * when something it depends on changes.
 */
import type { PlaceRecord } from '../places/records.js'
import type { StoreEvent } from '../store/lmdb.js'
import type { ServiceDeps } from './service.js'
import type { EventBus, NodeStatus } from './event-bus.js'

type Deps = Pick<ServiceDeps, 'home' | 'net' | 'contacts' | 'places'>

export function computeStatus (d: Deps): NodeStatus {
  const contacts = d.contacts.list()
  const places = d.places.list()
  const unreadByPlace: Record<string, number> = {}
  let unread = 0
  for (const p of places) {
    if (p.unread === 0) continue
    unreadByPlace[p.place] = p.unread
    unread += p.unread
  }
  return {
    peers: d.net.connectedPeers().length, contacts: contacts.length, contactsOnline: contacts.filter((c) => c.online).length,
    places: places.length, unread, unreadByPlace
  }
}

/** Starts forwarding; returns the function that stops it. */
export function wireEvents (d: Deps, bus: EventBus): () => void {
  bus.setRefresher(() => computeStatus(d))
  const store = d.home.store
  const placeId = (e: StoreEvent): string => String(e.place)
  const contactEvent = (peerId: string): Record<string, unknown> | undefined => {
    const c = d.contacts.book.byPeer(peerId)
    if (c === undefined) return undefined
    const info = d.contacts.info(c)
    return { petname: info.petname, ego: info.ego, peerId }
  }
  const stops = [
    store.on('place:message', (e) => {
      const place = placeId(e)
      bus.publish('message', { place, id: Number(e.id) })
      // one place's record, not the list: a replay answer commits up to 1000 messages at once
      const record = d.home.store.get<PlaceRecord>('places', place)
      if (record !== undefined) {
        const info = d.places.info(record)
        bus.publish('syncProgress', { place, lastId: info.lastId, unread: info.unread })
      }
      bus.refresh()
    }),
    store.on('place:invitation', (e) => { bus.publish('invitation', { place: placeId(e) }) }),
    store.on('place:entry', (e) => { bus.publish('entryRequest', { place: placeId(e), ego: String(e.ego) }) }),
    store.on('place:refused', (e) => { bus.publish('entryRefused', { place: placeId(e) }) }),
    store.on('place:joined', (e) => { bus.publish('placeJoined', { place: placeId(e) }); bus.refresh() }),
    store.on('place:created', (e) => { bus.publish('placeCreated', { place: placeId(e) }); bus.refresh() }),
    store.on('contact:added', () => { bus.refresh() }),
    store.on('contact:removed', () => { bus.refresh() }),
    d.net.on('peer:connect', (peerId) => {
      const c = contactEvent(peerId)
      if (c !== undefined) bus.publish('contactOnline', c)
      bus.refresh()
    }),
    d.net.on('peer:disconnect', (peerId) => {
      const c = contactEvent(peerId)
      if (c !== undefined) bus.publish('contactOffline', c)
      bus.refresh()
    })
  ]
  bus.refresh()
  return () => { for (const s of stops) s() }
}
