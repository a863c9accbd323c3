/**
 * The one service the daemon exposes (JSON-RPC 2.0 now; QWebChannel later). Method names are a
 * contract for the CLI, UIs and scripts: extend, never rename. Every method takes one params
 * object (or none), validated here at the boundary, and returns JSON.
 *
 *   status()                                   node, network and RPC state
 *   inviteCreate({ttlSeconds?})                {link, expires, ego, peerId, addrs}
 *   contactAdd({link, petname})                ContactInfo
 *   contactList()                              ContactInfo[]
 *   contactRename({petname, newPetname})       ContactInfo
 *   contactRemove({petname})                   ContactInfo
 *   nearbyList()                               [{peerId, addrs, lastSeen}]
 */
import type { ContactInfo, Contacts, NearbyPeer } from '../contacts/contacts.js'
import type { Home, HomeStatus } from '../home/home.js'
import type { NetNode } from '../net/node.js'
import { parseParams, v } from './validate.js'

export interface DaemonStatus extends HomeStatus {
  addrs: string[]
  peers: number
  contacts: number
  contactsOnline: number
  rpc: string | null
}

const Petname = v.pipe(v.string(), v.minLength(1), v.maxLength(64))
const NoParams = v.optional(v.strictObject({}))

export interface ServiceDeps { home: Home, net: NetNode, contacts: Contacts, rpcUrl: () => string }

export function createService (d: ServiceDeps) {
  return {
    async status (params?: Record<string, never>): Promise<DaemonStatus> {
      parseParams('status', NoParams, params)
      const list = d.contacts.list()
      return {
        ...d.home.status(), addrs: d.net.addrs(), peers: d.net.connectedPeers().length,
        contacts: list.length, contactsOnline: list.filter((c) => c.online).length, rpc: d.rpcUrl()
      }
    },
    async inviteCreate (params?: { ttlSeconds?: number }): Promise<{ link: string, expires: number, ego: string, peerId: string, addrs: string[] }> {
      const p = parseParams('inviteCreate', v.optional(v.strictObject({ ttlSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))) }), {}), params)
      return await d.contacts.invite({ ttlSeconds: p.ttlSeconds })
    },
    async contactAdd (params: { link: string, petname: string }): Promise<ContactInfo> {
      const p = parseParams('contactAdd', v.strictObject({ link: v.pipe(v.string(), v.maxLength(8192)), petname: Petname }), params)
      return await d.contacts.add(p.link, p.petname)
    },
    async contactList (params?: Record<string, never>): Promise<ContactInfo[]> {
      parseParams('contactList', NoParams, params)
      return d.contacts.list()
    },
    async contactRename (params: { petname: string, newPetname: string }): Promise<ContactInfo> {
      const p = parseParams('contactRename', v.strictObject({ petname: Petname, newPetname: Petname }), params)
      return await d.contacts.rename(p.petname, p.newPetname)
    },
    async contactRemove (params: { petname: string }): Promise<ContactInfo> {
      const p = parseParams('contactRemove', v.strictObject({ petname: Petname }), params)
      return await d.contacts.remove(p.petname)
    },
    async nearbyList (params?: Record<string, never>): Promise<NearbyPeer[]> {
      parseParams('nearbyList', NoParams, params)
      return d.contacts.nearby()
    }
  }
}

export type Service = ReturnType<typeof createService>
