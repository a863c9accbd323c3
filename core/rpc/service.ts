/**
 * The one service the daemon exposes over JSON-RPC 2.0 and QWebChannel (server.ts, webchannel.ts). Method names are a
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
 *   placeCreate({name, history?})              PlaceInfo ({place, name, host, members, lastId, unread, ...})
 *   placeInvite({place, petname})              {place, petname}
 *   placeRemove({place, petname})              {place, petname, generation}
 *   placeClose({place})                        PlaceInfo
 *   placeInvitations()                         [{place, name, hostEgo, from, history, dm, received}]
 *   placeJoin({place})  placeLeave({place})    PlaceInfo; placeJoin with a dotted name that is no
 *                                              invitation (garden.carol.bob) resolves it and asks the
 *                                              host for entry: {place, requested: true, status}
 *   placeAddress({place})                      {place, address}: `secushare:place/…` for entry requests
 *   placeRequest({address, text?})             {place, requested: true, status}: ask the host to let me in
 *   placeRequests({place})                     [{place, ego, fingerprint, petname, text, received}] (host)
 *   placeAdmit({place, who})                   {place, ego, delivered}: `who` is an ego (hex prefix) or petname
 *   placeRefuse({place, who})                  {place, ego}
 *   placeList()                                PlaceInfo[]
 *   placeState({place})                        {name: value}
 *   placeSet({place, name, value})             {id}
 *   post({place, text, replyTo?})              {id, pending, delivery?} (delivery when pending: relayed on the host's relays, or local)
 *   feed({place, since?, limit?, markRead?})   FeedItem[] ({id, author, authorPetname, method, text, replyTo, thread, time});
 *                                              reading marks the page read (lowers unread) unless markRead is false
 *                                              (e.g. a desktop notification peeking at a new message)
 *   react({place, id, reaction})               {id, pending, delivery?}: posts a `_converse_reaction` to message `id` (replyTo = id,
 *                                              text = reaction, 1..MAX_REACTION_BYTES bytes, no line breaks); feeds list it
 *                                              like any message, and UIs count it under the post instead of showing it
 *   dmSend({petname, text})                    {id, pending, delivery?, place}
 *   dmFeed({petname, since?, limit?, markRead?}) FeedItem[]
 *   profileShow({petname?})                    Profile ({ego, petname, nick, description, avatar (base64), place}); mine without petname
 *   profileSet({nick?, description?, avatar?}) Profile: avatar is base64 (null removes it)
 *   subscribe({events?})                       {events}: from now on this JSON-RPC connection gets
 *                                              a notification {method: EVENT, params} per event
 *                                              (event-bus.ts; default all, [] stops them), and
 *                                              `eventsLost {count}` if it fell MAX_RPC_EVENT_QUEUE behind.
 *                                              JSON-RPC only: QWebChannel clients connect to signals.
 *   resolve({name})                            {type: 'PKEY', ego, zone, cached} | {type: 'PLACE', place, hostPeer, addrs, relays, zone, cached} | NICK / PEER / RELAY
 *   zoneList()                                 [{label, type, value, private, expires, source}]
 *   zoneSet({label, type, value, private?, expiresInSeconds?, peer?, addrs?})   the record as in zoneList
 *   zoneDelete({label, type?})                 the deleted records
 *   contactIntroduce({petname1, petname2})     {id, delivered}
 *   contactIntroductions({vouches?})           [{id, from, introducer, ego, fingerprint, nick, peerId, received, accepted, peerAccepted, vouches?}]
 *   contactIntroductionAccept({id, petname?})  {status: 'contact', petname, ego} | {status: 'waiting', ego}
 *   contactIntroductionIgnore({id})            {id}
 *   contactVouches({ego, nick?})               {ego, vouchers, count, conflicts: [{petname, label, ego}]}
 *   relayUse({petname})                        RelayInfo ({petname, ego, peerId, state, lastContact, storedBytes, fetched})
 *   relayList()                                {relays: RelayInfo[], serving: {blobs, bytes, quotaBytes, depositors, refused, expired},
 *                                              contacts: [{petname, relays, received}] (the relays my contacts told me they use)}
 *   relayDrop({petname})                       RelayInfo (the relay as it was)
 *   relayFetch()                               {added}: fetch from my relays now
 * Owner only (OWNER_ONLY_METHODS: refused to clients holding a UI token; docs/rpc.md "Remote UIs"):
 *   pairCreate({ttlSeconds?, name?})           {code, expires, name, urls, web}: a one-time pairing code for a remote UI;
 *                                              `web`: where the daemon's web UI takes it ([] when off)
 *   uiTokenList()                              [{id, name, created, connections}]
 *   uiTokenRevoke({id})                        {id, name, created, closed}: the token is deleted, its connections closed
 * feed and dmFeed items of my own posts carry `delivery`: {state: 'local'} | {state: 'relayed', relays} | {state: 'delivered'}.
 * A `place` parameter is a place id (64 hex digits) or a place's name when no other place has it.
 * The `petname` of placeInvite, placeRemove, dmSend, dmFeed and profileShow may also be a name
 * (`dave.bob`) that resolves to one of my contacts' keys; else CONTACT_NOT_FOUND.
 */
import type { ContactInfo, Contacts, NearbyPeer } from '../contacts/contacts.js'
import type { FeedItem, PlaceInfo, Places, PostResult } from '../places/places.js'
import type { EntryInfo, RequestResult } from '../places/entries.js'
import { MAX_AVATAR_BYTES, MAX_DESCRIPTION_BYTES, MAX_NICK_BYTES, type Profile, type Profiles } from '../places/profiles.js'
import { MAX_ENTRY_TEXT_BYTES, MAX_INVITE_LINK_CHARS, MAX_INVITE_TTL_S, MAX_NAME_DEPTH, MAX_PETNAME_BYTES, MAX_POST_TEXT_BYTES, MAX_REACTION_BYTES } from '../../protocol/limits.js'
import type { Home, HomeStatus } from '../home/home.js'
import type { IntroductionInfo, Names, ZoneEntryInfo } from '../names/names.js'
import type { AcceptResult } from '../names/introductions.js'
import type { Resolved } from '../names/resolver.js'
import type { Vouches } from '../names/vouch.js'
import type { NetNode } from '../net/node.js'
import type { RelayInfo, Relays } from '../relay/client.js'
import type { RelayServerStats } from '../relay/server.js'
import { SUBSCRIBABLE } from './event-bus.js'
import { PLACE_METHOD } from '../../protocol/place-message.js'
import { isSecushareError, SecushareError } from '../../protocol/errors.js'
import { maxBase64BytesLimit, maxBytesLimit, maxCharsLimit, maxValueLimit, parseParams, v } from './validate.js'
import type { RemoteUi } from './remote.js'
import { MAX_UI_TOKEN_NAME_BYTES, PAIR_TTL_MAX_S, PAIR_TTL_MIN_S } from '../../protocol/limits.js'

/** Methods a client holding a UI token may not call (it must not mint or revoke tokens). */
export const OWNER_ONLY_METHODS = ['pairCreate', 'uiTokenList', 'uiTokenRevoke'] as const

/** Remote UIs (remote.ts) and what the RPC server knows of them. */
export interface RemoteUiDeps { remote: RemoteUi, pairUrls: () => string[], webUrls: () => string[], connections: () => Map<string, number> }

export interface DaemonStatus extends HomeStatus {
  addrs: string[]
  peers: number
  contacts: number
  contactsOnline: number
  rpc: string | null
}

const Petname = v.pipe(v.string(), v.minLength(1), maxBytesLimit('MAX_PETNAME_BYTES', MAX_PETNAME_BYTES))
/**
 * Where a contact is expected: its petname, or a name (`dave.bob`: "dave" in the zone of the one I
 * call "bob") that resolves to the key of one of my contacts. Petnames have no dots.
 */
const ContactName = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_NAME_DEPTH * 65))
const NoParams = v.optional(v.strictObject({}))

export interface ServiceDeps { home: Home, net: NetNode, contacts: Contacts, places: Places, profiles: Profiles, names: Names, relays: Relays, rpcUrl: () => string, ui?: RemoteUiDeps }

const PlaceRef = v.pipe(v.string(), v.minLength(1), v.maxLength(128))
/** Someone who asked to enter: their ego (64 hex digits, or a unique prefix of 8 or more) or a contact's petname. */
const Who = v.pipe(v.string(), v.minLength(1), v.maxLength(64))
const History = v.picklist(['none', 'recent', 'all'])
const MessageId = v.pipe(v.number(), v.integer(), v.minValue(1))
const Text = v.pipe(v.string(), v.minLength(1), maxBytesLimit('MAX_POST_TEXT_BYTES', MAX_POST_TEXT_BYTES))
const Reaction = v.pipe(v.string(), v.minLength(1), maxBytesLimit('MAX_REACTION_BYTES', MAX_REACTION_BYTES), v.regex(/^[^\r\n]*$/, 'a reaction is one line'))
const Name = v.pipe(v.string(), v.minLength(1), v.maxLength(8 * 65))
const RecordTypeP = v.picklist(['PKEY', 'PLACE', 'NICK', 'RELAY', 'PEER'])
const Hex64 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'an ego id is 64 lowercase hex digits'))
const IntroId = v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/, 'an introduction id is 32 lowercase hex digits'))
const FeedParams = { since: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))), limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000))), markRead: v.optional(v.boolean()) }

export function createService (d: ServiceDeps) {
  /** The petname of the contact `ref` names (see ContactName). */
  const contactPetname = async (ref: string): Promise<string> => {
    if (!ref.includes('.')) return ref
    const r = await d.names.resolve(ref)
    if (r.type !== 'PKEY') throw new SecushareError('NAME_NOT_FOUND', `${ref} names a ${r.type} record, not a person`)
    const c = d.contacts.book.byEgo(r.ego)
    if (c === undefined) {
      throw new SecushareError('CONTACT_NOT_FOUND', `${ref} is the key ${r.ego.slice(0, 16)}…, not one of your contacts: ask ${ref.slice(ref.lastIndexOf('.') + 1)} to introduce you (contact introduce)`, { ego: r.ego })
    }
    return c.petname
  }
  return {
    async status (params?: Record<string, never>): Promise<DaemonStatus> {
      parseParams('status', NoParams, params)
      const list = d.contacts.list()
      return {
        ...d.home.status(), addrs: d.net.addrs(), peers: d.net.connectedPeers().length,
        contacts: list.length, contactsOnline: list.filter((c) => c.online).length, rpc: d.rpcUrl()
      }
    },
    async relayUse (params: { petname: string }): Promise<RelayInfo> {
      const p = parseParams('relayUse', v.strictObject({ petname: Petname }), params)
      return await d.relays.use(p.petname)
    },
    async relayList (params?: Record<string, never>): Promise<{ relays: RelayInfo[], serving: RelayServerStats | null, contacts: Array<{ petname: string, relays: string[], received: number }> }> {
      parseParams('relayList', NoParams, params)
      return d.relays.list()
    },
    async relayDrop (params: { petname: string }): Promise<RelayInfo> {
      const p = parseParams('relayDrop', v.strictObject({ petname: Petname }), params)
      return await d.relays.drop(p.petname)
    },
    async relayFetch (params?: Record<string, never>): Promise<{ added: number }> {
      parseParams('relayFetch', NoParams, params)
      return { added: await d.relays.fetchAll() }
    },
    async inviteCreate (params?: { ttlSeconds?: number }): Promise<{ link: string, expires: number, ego: string, peerId: string, addrs: string[] }> {
      const p = parseParams('inviteCreate', v.optional(v.strictObject({ ttlSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), maxValueLimit('MAX_INVITE_TTL_S', MAX_INVITE_TTL_S))) }), {}), params)
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
    },
    async placeCreate (params: { name: string, history?: 'none' | 'recent' | 'all' }): Promise<PlaceInfo> {
      const p = parseParams('placeCreate', v.strictObject({ name: v.pipe(v.string(), v.minLength(1), v.maxLength(128)), history: v.optional(History) }), params)
      return await d.places.create(p.name, p.history ?? 'recent')
    },
    async placeInvite (params: { place: string, petname: string }): Promise<{ place: string, petname: string }> {
      const p = parseParams('placeInvite', v.strictObject({ place: PlaceRef, petname: ContactName }), params)
      return await d.places.invite(p.place, await contactPetname(p.petname))
    },
    async placeRemove (params: { place: string, petname: string }): Promise<{ place: string, petname: string, generation: number }> {
      const p = parseParams('placeRemove', v.strictObject({ place: PlaceRef, petname: ContactName }), params)
      return await d.places.remove(p.place, await contactPetname(p.petname))
    },
    async placeClose (params: { place: string }): Promise<PlaceInfo> {
      const p = parseParams('placeClose', v.strictObject({ place: PlaceRef }), params)
      return await d.places.close(p.place)
    },
    async placeInvitations (params?: Record<string, never>) {
      parseParams('placeInvitations', NoParams, params)
      return d.places.invitations().map(({ v: _v, hostAddrs: _a, ...rest }) => rest)
    },
    async placeJoin (params: { place: string }): Promise<PlaceInfo | RequestResult> {
      const p = parseParams('placeJoin', v.strictObject({ place: PlaceRef }), params)
      try {
        return await d.places.join(p.place)
      } catch (e) {
        // not an invitation: a dotted name (garden.carol.bob) resolves to a place to ask entry to
        if (!isSecushareError(e, 'PLACE_NOT_FOUND') || !p.place.includes('.')) throw e
        const a = await d.names.resolvePlace(p.place)
        return await d.places.entries.requestTo({ place: Buffer.from(a.place, 'hex'), hostEgo: Buffer.from(a.hostEgo, 'hex'), hostPeer: a.hostPeer, addrs: a.addrs })
      }
    },
    async placeAddress (params: { place: string }): Promise<{ place: string, address: string }> {
      const p = parseParams('placeAddress', v.strictObject({ place: PlaceRef }), params)
      return d.places.entries.address(p.place)
    },
    async placeRequest (params: { address: string, text?: string }): Promise<RequestResult> {
      const p = parseParams('placeRequest', v.strictObject({ address: v.pipe(v.string(), maxCharsLimit('MAX_INVITE_LINK_CHARS', MAX_INVITE_LINK_CHARS)), text: v.optional(v.pipe(v.string(), maxBytesLimit('MAX_ENTRY_TEXT_BYTES', MAX_ENTRY_TEXT_BYTES))) }), params)
      return await d.places.entries.request(p.address, p.text)
    },
    async placeRequests (params: { place: string }): Promise<EntryInfo[]> {
      const p = parseParams('placeRequests', v.strictObject({ place: PlaceRef }), params)
      return d.places.entries.list(p.place)
    },
    async placeAdmit (params: { place: string, who: string }): Promise<{ place: string, ego: string, delivered: boolean }> {
      const p = parseParams('placeAdmit', v.strictObject({ place: PlaceRef, who: Who }), params)
      return await d.places.entries.admit(p.place, p.who)
    },
    async placeRefuse (params: { place: string, who: string }): Promise<{ place: string, ego: string }> {
      const p = parseParams('placeRefuse', v.strictObject({ place: PlaceRef, who: Who }), params)
      return await d.places.entries.refuse(p.place, p.who)
    },
    async placeLeave (params: { place: string }): Promise<PlaceInfo> {
      const p = parseParams('placeLeave', v.strictObject({ place: PlaceRef }), params)
      return await d.places.leave(p.place)
    },
    async placeList (params?: Record<string, never>): Promise<PlaceInfo[]> {
      parseParams('placeList', NoParams, params)
      return d.places.list()
    },
    async placeState (params: { place: string }): Promise<Record<string, unknown>> {
      const p = parseParams('placeState', v.strictObject({ place: PlaceRef }), params)
      return d.places.state(p.place) as Record<string, never>
    },
    async placeSet (params: { place: string, name: string, value: string }): Promise<{ id: number }> {
      const p = parseParams('placeSet', v.strictObject({ place: PlaceRef, name: v.pipe(v.string(), v.regex(/^_[A-Za-z0-9_]{1,63}$/, 'a state name is _word or _word_word...')), value: v.pipe(v.string(), v.maxLength(16 * 1024)) }), params)
      return await d.places.setState(p.place, p.name, p.value)
    },
    async post (params: { place: string, text: string, replyTo?: number }): Promise<PostResult> {
      const p = parseParams('post', v.strictObject({ place: PlaceRef, text: Text, replyTo: v.optional(MessageId) }), params)
      return await d.places.post(p.place, p.text, { replyTo: p.replyTo })
    },
    async react (params: { place: string, id: number, reaction: string }): Promise<PostResult> {
      const p = parseParams('react', v.strictObject({ place: PlaceRef, id: MessageId, reaction: Reaction }), params)
      return await d.places.post(p.place, p.reaction, { replyTo: p.id, method: PLACE_METHOD.REACTION })
    },
    async feed (params: { place: string, since?: number, limit?: number, markRead?: boolean }): Promise<FeedItem[]> {
      const p = parseParams('feed', v.strictObject({ place: PlaceRef, ...FeedParams }), params)
      return await d.places.feed(p.place, p)
    },
    async dmSend (params: { petname: string, text: string }): Promise<PostResult & { place: string }> {
      const p = parseParams('dmSend', v.strictObject({ petname: ContactName, text: Text }), params)
      return await d.places.dm(await contactPetname(p.petname), p.text)
    },
    async profileShow (params?: { petname?: string }): Promise<Profile> {
      const p = parseParams('profileShow', v.optional(v.strictObject({ petname: v.optional(ContactName) }), {}), params)
      return d.profiles.show(p.petname === undefined ? undefined : await contactPetname(p.petname))
    },
    async profileSet (params: { nick?: string, description?: string, avatar?: string | null }): Promise<Profile> {
      const p = parseParams('profileSet', v.strictObject({
        nick: v.optional(v.pipe(v.string(), v.minLength(1), maxBytesLimit('MAX_NICK_BYTES', MAX_NICK_BYTES))),
        description: v.optional(v.pipe(v.string(), maxBytesLimit('MAX_DESCRIPTION_BYTES', MAX_DESCRIPTION_BYTES))),
        avatar: v.optional(v.nullable(v.pipe(v.string(), v.base64('avatar is base64'), maxBase64BytesLimit('MAX_AVATAR_BYTES', MAX_AVATAR_BYTES))))
      }), params)
      return await d.profiles.set({ nick: p.nick, description: p.description, avatar: p.avatar === undefined ? undefined : p.avatar === null ? null : Buffer.from(p.avatar, 'base64') })
    },
    async subscribe (params?: { events?: string[] }): Promise<{ events: string[] }> {
      const p = parseParams('subscribe', v.optional(v.strictObject({ events: v.optional(v.pipe(v.array(v.picklist(SUBSCRIBABLE)), v.maxLength(SUBSCRIBABLE.length))) }), {}), params)
      return { events: [...new Set(p.events ?? SUBSCRIBABLE)] }
    },
    async dmFeed (params: { petname: string, since?: number, limit?: number, markRead?: boolean }): Promise<FeedItem[]> {
      const p = parseParams('dmFeed', v.strictObject({ petname: ContactName, ...FeedParams }), params)
      return await d.places.dmFeed(await contactPetname(p.petname), p)
    },
    async resolve (params: { name: string }): Promise<Resolved> {
      const p = parseParams('resolve', v.strictObject({ name: Name }), params)
      return await d.names.resolve(p.name)
    },
    async zoneList (params?: Record<string, never>): Promise<ZoneEntryInfo[]> {
      parseParams('zoneList', NoParams, params)
      return d.names.zoneList()
    },
    async zoneSet (params: { label: string, type: 'PKEY' | 'PLACE' | 'NICK' | 'RELAY' | 'PEER', value: string, private?: boolean, expiresInSeconds?: number, peer?: string, addrs?: string[] }): Promise<ZoneEntryInfo> {
      const p = parseParams('zoneSet', v.strictObject({
        label: Petname, type: RecordTypeP, value: v.pipe(v.string(), v.minLength(1), v.maxLength(256)), private: v.optional(v.boolean()),
        expiresInSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10 * 365 * 24 * 3600))),
        peer: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(255))), addrs: v.optional(v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(255))), v.maxLength(8)))
      }), params)
      return await d.names.zoneSet(p.label, p.type, p.value, p)
    },
    async zoneDelete (params: { label: string, type?: 'PKEY' | 'PLACE' | 'NICK' | 'RELAY' | 'PEER' }): Promise<ZoneEntryInfo[]> {
      const p = parseParams('zoneDelete', v.strictObject({ label: Petname, type: v.optional(RecordTypeP) }), params)
      return await d.names.zoneDelete(p.label, p.type)
    },
    async contactIntroduce (params: { petname1: string, petname2: string }): Promise<{ id: string, delivered: string[] }> {
      const p = parseParams('contactIntroduce', v.strictObject({ petname1: Petname, petname2: Petname }), params)
      return await d.names.introduce(p.petname1, p.petname2)
    },
    async contactIntroductions (params?: { vouches?: boolean }): Promise<IntroductionInfo[]> {
      const p = parseParams('contactIntroductions', v.optional(v.strictObject({ vouches: v.optional(v.boolean()) }), {}), params)
      return await d.names.introductionList(p)
    },
    async contactIntroductionAccept (params: { id: string, petname?: string }): Promise<AcceptResult> {
      const p = parseParams('contactIntroductionAccept', v.strictObject({ id: IntroId, petname: v.optional(Petname) }), params)
      return await d.names.introductionAccept(p.id, p.petname)
    },
    async contactIntroductionIgnore (params: { id: string }): Promise<{ id: string }> {
      const p = parseParams('contactIntroductionIgnore', v.strictObject({ id: IntroId }), params)
      return await d.names.introductionIgnore(p.id)
    },
    async contactVouches (params: { ego: string, nick?: string }): Promise<Vouches> {
      const p = parseParams('contactVouches', v.strictObject({ ego: Hex64, nick: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(64))) }), params)
      return await d.names.vouches(p.ego, p.nick)
    },

    async pairCreate (params?: { ttlSeconds?: number, name?: string }): Promise<{ code: string, expires: number, name: string, urls: string[], web: string[] }> {
      const p = parseParams('pairCreate', v.optional(v.strictObject({
        ttlSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(PAIR_TTL_MIN_S), maxValueLimit('PAIR_TTL_MAX_S', PAIR_TTL_MAX_S))),
        name: v.optional(v.pipe(v.string(), v.minLength(1), maxBytesLimit('MAX_UI_TOKEN_NAME_BYTES', MAX_UI_TOKEN_NAME_BYTES)))
      })), params)
      const ui = remoteUi(d)
      return { ...ui.remote.createCode(p?.ttlSeconds, p?.name), urls: ui.pairUrls(), web: ui.webUrls() }
    },

    async uiTokenList (params?: Record<string, never>): Promise<Array<{ id: string, name: string, created: number, connections: number }>> {
      parseParams('uiTokenList', NoParams, params)
      const ui = remoteUi(d)
      const open = ui.connections()
      return ui.remote.list().map((t) => ({ ...t, connections: open.get(t.id) ?? 0 }))
    },

    async uiTokenRevoke (params: { id: string }): Promise<{ id: string, name: string, created: number, closed: number }> {
      const p = parseParams('uiTokenRevoke', v.strictObject({ id: v.pipe(v.string(), v.regex(/^[0-9a-f]{16}$/, 'a UI token id is 16 lowercase hex digits')) }), params)
      return remoteUi(d).remote.revoke(p.id)
    }
  }
}

function remoteUi (d: ServiceDeps): RemoteUiDeps {
  if (d.ui === undefined) throw new SecushareError('NOT_FOUND', 'this daemon has no remote UI support')
  return d.ui
}

export type Service = ReturnType<typeof createService>
