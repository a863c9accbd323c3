/**
 * Live events for UIs, independent of any transport: the daemon publishes (events.ts wires the
 * store and the network in), and each RPC adapter (JSON-RPC notifications after `subscribe`,
 * QWebChannel signals and property updates) forwards to its clients.
 *
 *   message        {place, id}                    a message was stored in a place (post, DM, state)
 *   contactOnline  {petname, ego, peerId}         a contact's node connected
 *   contactOffline {petname, ego, peerId}         ... and disconnected
 *   invitation     {place}                        an invitation to a place arrived (placeInvitations())
 *   placeJoined    {place}                        this node joined a place
 *   placeCreated   {place}                        this node created a place
 *   syncProgress   {place, lastId, unread}        a place's newest id moved (posts, catch-up, replay)
 *
 * Besides events there is one status record (NodeStatus): its fields are QWebChannel properties
 * with notify signals and, over JSON-RPC, the `statusChanged` notification.
 */
export const EVENT_NAMES = ['message', 'contactOnline', 'contactOffline', 'invitation', 'placeJoined', 'placeCreated', 'syncProgress', 'entryRequest', 'entryRefused'] as const
export type EventName = typeof EVENT_NAMES[number]
/** What a JSON-RPC client may `subscribe` to: the events, and `statusChanged` (NodeStatus fields that changed). */
export const SUBSCRIBABLE = [...EVENT_NAMES, 'statusChanged'] as const

export interface NodeStatus {
  /** libp2p connections */
  peers: number
  contacts: number
  contactsOnline: number
  places: number
  /** Sum of the places' unread counts. */
  unread: number
  /** place id → unread messages (places with none are left out). */
  unreadByPlace: Record<string, number>
}
export const STATUS_FIELDS = ['peers', 'contacts', 'contactsOnline', 'places', 'unread', 'unreadByPlace'] as const satisfies ReadonlyArray<keyof NodeStatus>

export type EventListener = (name: EventName, params: Record<string, unknown>) => void
export type StatusListener = (changed: Partial<NodeStatus>) => void

function same (a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

export class EventBus {
  private readonly listeners = new Set<EventListener>()
  private readonly statusListeners = new Set<StatusListener>()
  private current: NodeStatus = { peers: 0, contacts: 0, contactsOnline: 0, places: 0, unread: 0, unreadByPlace: {} }
  private refresher: (() => NodeStatus) | undefined
  private refreshScheduled = false

  /** Sets how refresh() computes the status (events.ts). */
  setRefresher (fn: () => NodeStatus): void {
    this.refresher = fn
  }

  /**
   * Recomputes the status soon (once per turn of the event loop however often it is asked), for
   * changes no event announces (a feed read lowers `unread`). The RPC server asks after each call.
   */
  refresh (): void {
    if (this.refreshScheduled || this.refresher === undefined) return
    this.refreshScheduled = true
    setImmediate(() => {
      this.refreshScheduled = false
      try { if (this.refresher !== undefined) this.setStatus(this.refresher()) } catch { /* a closing store: keep the last status */ }
    })
  }

  /** Delivers an event to every listener now; a throwing listener does not stop the others. */
  publish (name: EventName, params: Record<string, unknown>): void {
    for (const fn of [...this.listeners]) {
      try { fn(name, params) } catch { /* a listener's bug must not reach the publisher */ }
    }
  }

  on (fn: EventListener): () => void {
    this.listeners.add(fn)
    return () => { this.listeners.delete(fn) }
  }

  get status (): NodeStatus {
    return this.current
  }

  /** Replaces the status; status listeners get only the fields whose value changed (if any). */
  setStatus (next: NodeStatus): void {
    const changed: Partial<NodeStatus> = {}
    for (const k of STATUS_FIELDS) if (!same(this.current[k], next[k])) (changed as Record<string, unknown>)[k] = next[k]
    this.current = next
    if (Object.keys(changed).length === 0) return
    for (const fn of [...this.statusListeners]) {
      try { fn(changed) } catch { /* as in publish */ }
    }
  }

  onStatus (fn: StatusListener): () => void {
    this.statusListeners.add(fn)
    return () => { this.statusListeners.delete(fn) }
  }
}
