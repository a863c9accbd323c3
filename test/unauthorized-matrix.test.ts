/**
 * Unauthorized requests (test plan T5): every role a peer can have towards a host × every kind of
 * request the host takes from peers, on in-process nodes (bench/harness.ts) on 127.0.0.1. An
 * allowed cell is answered and has its effect; a forbidden one is refused with its code before
 * anything is stored or forwarded (no row in any table, no store event, the place's head stays),
 * and counted: one offence of the peer at the host (docs/penalties.md), or for relay requests in
 * the relay's refusal counts (a relay refusing a non-contact is no offence). Repeated offences ban
 * the peer; an honest member is unaffected.
 *
 * The role nodes send raw protocol requests (their own Places are stopped, so nothing runs in
 * the background), signed with their own egos as a real node of that role would.
 */
import assert from 'node:assert/strict'
import { befriend, createCluster, until, type BenchNode, type Cluster } from '../bench/harness.js'
import { openPlace } from '../bench/places.js'
import { signLabelled } from '../core/crypto/labels.js'
import type { Sodium } from '../core/crypto/sodium.js'
import { Names } from '../core/names/names.js'
import { requestFrame } from '../core/net/request.js'
import { signPlaceMessage } from '../core/places/author.js'
import type { PlaceRecord } from '../core/places/records.js'
import { RelayServer } from '../core/relay/server.js'
import type { SubDb } from '../core/store/schema.js'
import { encodeIntroduction, introductionSignedBytes, INTRODUCTION_ID_BYTES } from '../protocol/introduction.js'
import { CONTACT_PROTOCOL } from '../protocol/contact.js'
import { LABEL } from '../protocol/labels.js'
import { MAX_FRAME_BYTES, MAX_HANDSHAKE_BYTES, MAX_NAMES_WIRE_BYTES, PEER_OFFENCES_BEFORE_BAN, PEER_REFUSALS_PER_OFFENCE, RELAY_BLOB_SIZES, RELAY_TAG_BYTES } from '../protocol/limits.js'
import { encodePlaceMessage, type PlaceMessage } from '../protocol/place-message.js'
import { entrySigningBytes } from '../protocol/place-entry.js'
import { decodeWire, encodeWire, PLACE_PROTOCOL } from '../protocol/place-wire.js'
import { decodeNames, encodeNames, INTRODUCTION_PROTOCOL, ZONE_PROTOCOL } from '../protocol/names-wire.js'
import { decodeRelay, encodeRelay, RELAY_PROTOCOL } from '../protocol/relay-wire.js'

type Role = 'stranger' | 'contact' | 'invited' | 'removed' | 'member'
type Kind = 'talk' | 'state' | 'as-host' | 'replay' | 'keys' | 'entry' | 'relay-deposit' | 'relay-fetch' | 'zone' | 'introduction' | 'enter'
const ROLES: Role[] = ['stranger', 'contact', 'invited', 'removed', 'member']
/** Kinds in the order each role sends them: `enter` last (it makes the invited one a member). */
const KINDS: Kind[] = ['talk', 'state', 'as-host', 'replay', 'keys', 'entry', 'relay-deposit', 'relay-fetch', 'zone', 'introduction', 'enter']
const CONTACTS: Role[] = ['contact', 'invited', 'removed', 'member']
/** Who may: a post only a member; state changes and posts in the host's name nobody (the host's own ego only). */
const ALLOWED: Record<Kind, Role[]> = {
  talk: ['member'],
  state: [],
  'as-host': [],
  replay: ['member'],
  keys: ['member'],
  entry: ROLES, // anyone may ask to enter; the host decides later
  'relay-deposit': ROLES, // anyone, a non-contact within the strangers' pool (a host depositing for its member)
  'relay-fetch': CONTACTS,
  zone: CONTACTS,
  introduction: CONTACTS,
  enter: ['invited', 'member']
}
/** The refusal each forbidden cell gets. */
const REFUSAL: Record<Kind, string> = {
  talk: 'NOT_A_MEMBER',
  state: 'NOT_A_MEMBER', // a member gets PLACE_REFUSED (below)
  'as-host': 'NOT_A_MEMBER',
  replay: 'NOT_A_MEMBER',
  keys: 'NOT_A_MEMBER',
  entry: '',
  'relay-deposit': '',
  'relay-fetch': 'RELAY_REFUSED',
  zone: 'NAME_NOT_FOUND', // the same answer as for a name that is not there: strangers learn nothing
  introduction: 'INTRODUCTION_INVALID',
  enter: 'NOT_A_MEMBER'
}
/** Tables a request could write at the host. */
const TABLES: SubDb[] = ['messages', 'talkseen', 'members', 'entries', 'pstate', 'epochs', 'heldstate', 'relay_blobs', 'introductions', 'contacts', 'invitations']
const EVENTS = ['place:message', 'place:entry', 'place:invitation', 'place:joined', 'introduction:received', 'contact:added', 'contact:updated', 'zone:changed']

describe('unauthorized requests: the role × message-kind matrix (T5)', function () {
  this.timeout(120_000)
  let cluster: Cluster
  let host: BenchNode
  let sodium: Sodium
  let relay: RelayServer
  let names: Names
  let placeId = ''
  const node: Partial<Record<Role, BenchNode>> = {}
  let events = 0
  const offs: Array<() => void> = []

  before(async () => {
    cluster = await createCluster(6, { heartbeatMs: 100, prefix: 't5' })
    const [h, member, removed, invited, contact, stranger] = cluster.nodes as [BenchNode, BenchNode, BenchNode, BenchNode, BenchNode, BenchNode]
    host = h
    sodium = host.home.sodium
    Object.assign(node, { member, removed, invited, contact, stranger })
    placeId = (await openPlace(cluster, [host, member, removed], 'garden', 'all')).placeId
    await host.places.post(placeId, 'something to replay')
    await host.places.remove(placeId, removed.name)
    await befriend(host, invited)
    await befriend(host, contact)
    await host.places.invite(placeId, invited.name)
    assert.ok(await until(() => invited.home.store.get('invitations', placeId) !== undefined, 10_000), 'the invitation arrived')
    // from now on the role nodes only send what the test sends
    for (const r of ROLES) node[r]!.places.stop()
    relay = new RelayServer({ store: host.home.store, net: host.net, allowed: (p) => host.contacts.book.byPeer(p) !== undefined })
    await relay.start()
    names = new Names({ sodium, store: host.home.store, net: host.net, egos: new Map([[host.ego.id, host.ego]]), defaultEgo: host.ego.id, contacts: host.contacts.book })
    await names.start()
    for (const t of EVENTS) offs.push(host.home.store.on(t, () => { events++ }))
  })
  after(async () => {
    for (const off of offs) off()
    relay?.stop()
    await cluster?.close()
  })

  const placeBytes = (): Buffer => Buffer.from(placeId, 'hex')
  const offences = (): number => Object.values(host.net.stats().offences).reduce((a, b) => a + b, 0)
  const snapshot = (): Record<string, number> & { messages: number, entries: number, relay_blobs: number, introductions: number } => Object.fromEntries([...TABLES.map((t) => [t, host.home.store.count(t)]), ['events', events], ['head', host.home.store.get<PlaceRecord>('places', placeId)!.head]]) as ReturnType<typeof snapshot>

  function post (r: BenchNode, extra: Partial<PlaceMessage> = {}, as?: BenchNode): Uint8Array {
    const m = signPlaceMessage(sodium, placeBytes(), { method: '_converse', author: r.ego.publicKey, talkId: sodium.randomBytes(16), time: Date.now(), text: `from ${r.name}`, ...extra }, r.ego.secretKey)
    return encodePlaceMessage(as === undefined ? m : { ...m, author: as.ego.publicKey })
  }

  /** Sends one request of `kind` from `r` to the host; the answer's method, or the refusal's code. */
  async function send (r: BenchNode, kind: Kind): Promise<string> {
    const place = async (method: string, fields: Record<string, Uint8Array | string | number>): Promise<string> =>
      outcome(decodeWire(await requestFrame(r.net, host.peerId, host.addrs(), PLACE_PROTOCOL, encodeWire(method, { _place: placeBytes(), ...fields }), { maxBytes: MAX_FRAME_BYTES, timeoutMs: 10_000, limit: 'MAX_FRAME_BYTES' })))
    const relayAsk = async (method: string, fields: Record<string, Uint8Array | string | number>): Promise<string> =>
      outcome(decodeRelay(await requestFrame(r.net, host.peerId, host.addrs(), RELAY_PROTOCOL, encodeRelay(method, fields), { maxBytes: MAX_FRAME_BYTES, timeoutMs: 10_000, limit: 'MAX_FRAME_BYTES' })))
    const namesAsk = async (protocol: string, method: string, fields: Record<string, Uint8Array>): Promise<string> =>
      outcome(decodeNames(await requestFrame(r.net, host.peerId, host.addrs(), protocol, encodeNames(method, fields), { maxBytes: MAX_NAMES_WIRE_BYTES, timeoutMs: 10_000, limit: 'MAX_NAMES_WIRE_BYTES' })))
    switch (kind) {
      case 'talk': return await place('_request_place_talk', { _packet: post(r) })
      case 'state': return await place('_request_place_talk', { _packet: post(r, { state: [{ op: '=', name: '_topic', value: new TextEncoder().encode('mine now') }] }) })
      case 'as-host': return await place('_request_place_talk', { _packet: post(r, {}, host) })
      case 'replay': return await place('_request_place_replay', { _from: 1 })
      case 'keys': return await place('_request_place_keys', { _generation: 1 })
      case 'enter': return await place('_request_place_enter', {})
      case 'entry': {
        const time = Date.now()
        const text = `${r.name} asks`
        const signed = entrySigningBytes({ place: placeBytes(), ego: r.ego.publicKey, peerId: r.peerId, time, text })
        return await place('_request_place_entry', { _ego: r.ego.publicKey, _time: time, _text: text, _addrs: r.addrs().join('\n'), _signature: signLabelled(sodium, LABEL.PLACE_ENTRY, signed, r.ego.secretKey) })
      }
      case 'relay-deposit': return await relayAsk('_request_relay_deposit', { _tag: sodium.randomBytes(RELAY_TAG_BYTES), _blob: sodium.randomBytes(RELAY_BLOB_SIZES[0]!), _ttl: 600 })
      case 'relay-fetch': return await relayAsk('_request_relay_fetch', { _tags: sodium.randomBytes(RELAY_TAG_BYTES) })
      case 'zone': return await namesAsk(ZONE_PROTOCOL, '_request_zone_lookup', { _zone: host.ego.publicKey, _query: sodium.randomBytes(32) })
      case 'introduction': {
        const subject = sodium.signKeypair()
        const signed = introductionSignedBytes({ id: sodium.randomBytes(INTRODUCTION_ID_BYTES), introducer: r.ego.publicKey, recipient: host.ego.publicKey, subject: subject.publicKey, time: Date.now(), nick: 'zoe', peerId: r.peerId, addrs: [] })
        return await namesAsk(INTRODUCTION_PROTOCOL, '_request_introduction', { _introduction: encodeIntroduction(signed, signLabelled(sodium, LABEL.INTRODUCTION, signed, r.ego.secretKey)) })
      }
    }
  }

  for (const role of ROLES) {
    it(`${role}: allowed kinds are answered, forbidden ones refused before storage and counted`, async () => {
      const r = node[role]!
      for (const kind of KINDS) {
        const allowed = ALLOWED[kind].includes(role)
        const before = snapshot()
        const o0 = offences()
        const lookups0 = names.server.lookups
        const refused0 = relay.stats().refused.RELAY_REFUSED
        const got = await send(r, kind)
        const cell = `${role} × ${kind}`
        if (allowed) {
          // a zone look-up for a label that is not there answers NAME_NOT_FOUND, after looking
          if (kind !== 'zone') assert.ok(!got.startsWith('!'), `${cell}: allowed, but refused with ${got}`)
          assert.equal(offences(), o0, `${cell}: no offence`)
          const after = snapshot()
          if (kind === 'talk') assert.equal(after.messages, before.messages + 1, `${cell}: sequenced`)
          if (kind === 'entry' && (role === 'stranger' || role === 'contact' || role === 'removed')) assert.equal(after.entries, before.entries + 1, `${cell}: the request waits for the host`)
          if (kind === 'relay-deposit') assert.equal(after.relay_blobs, before.relay_blobs + 1, `${cell}: kept`)
          if (kind === 'introduction') assert.equal(after.introductions, before.introductions + 1, `${cell}: kept`)
          if (kind === 'zone') assert.equal(names.server.lookups, lookups0 + 1, `${cell}: looked up`)
        } else {
          const code = role === 'member' && kind === 'state' ? 'PLACE_REFUSED' : REFUSAL[kind]
          assert.equal(got, `!${code}`, `${cell}: refused`)
          assert.deepEqual(snapshot(), before, `${cell}: nothing stored, no event`)
          if (kind === 'relay-fetch') {
            // counted by the relay, no offence: a node that was a contact may still ask
            assert.equal(relay.stats().refused.RELAY_REFUSED, (refused0 ?? 0) + 1, `${cell}: counted by the relay`)
            assert.equal(offences(), o0, `${cell}: no offence`)
          } else {
            assert.equal(offences(), o0 + 1, `${cell}: counted as an offence`)
          }
          if (kind === 'zone') assert.equal(names.server.lookups, lookups0, `${cell}: not looked up`)
          // each cell on its own: repeated offences are the next test's subject
          host.net.pardon(r.peerId)
        }
      }
    })
  }

  it('junk a handler cannot decode, and frames over its limit, count as offences on every protocol', async () => {
    const stranger = node.stranger!
    const junk = new TextEncoder().encode('this is not a request\n')
    for (const [protocol, maxBytes] of [[PLACE_PROTOCOL, MAX_FRAME_BYTES], [RELAY_PROTOCOL, MAX_FRAME_BYTES], [ZONE_PROTOCOL, MAX_NAMES_WIRE_BYTES], [INTRODUCTION_PROTOCOL, MAX_NAMES_WIRE_BYTES], [CONTACT_PROTOCOL, MAX_HANDSHAKE_BYTES]] as const) {
      // a frame over the protocol's own cap (where it is below what a FrameStream may send)
      const cases: Array<[Uint8Array, 'malformed' | 'frame']> = [[junk, 'malformed']]
      if (maxBytes < MAX_FRAME_BYTES) cases.push([new Uint8Array(maxBytes + 1), 'frame'])
      for (const [frame, kind] of cases) {
        const before = { ...host.net.stats().offences }
        const s = await stranger.net.openStream(host.peerId, host.addrs(), protocol)
        await s.write(frame)
        await s.read(MAX_FRAME_BYTES, 10_000).catch(() => {}) // an answer, or the stream's end
        s.abort('done')
        assert.ok(await until(() => host.net.stats().offences[kind] === before[kind] + 1, 5_000), `${protocol}: one ${kind} offence`)
        host.net.pardon(stranger.peerId)
      }
    }
  })

  it(`a stranger refused PEER_OFFENCES_BEFORE_BAN × PEER_REFUSALS_PER_OFFENCE times is banned; the member goes on`, async () => {
    const stranger = node.stranger!
    const member = node.member!
    const refusals = PEER_OFFENCES_BEFORE_BAN * PEER_REFUSALS_PER_OFFENCE
    const before = snapshot()
    for (let i = 1; i < refusals; i++) {
      assert.equal(await send(stranger, 'talk'), '!NOT_A_MEMBER', `refusal ${i}`)
      assert.equal(host.net.banned(stranger.peerId), false, `not banned after ${i}`)
    }
    // the refusal that bans may or may not leave before the host hangs up
    await send(stranger, 'talk').then((got) => { assert.equal(got, '!NOT_A_MEMBER') }, (e: Error & { code?: string }) => { assert.equal(e.code, 'STREAM_CLOSED') })
    assert.equal(host.net.banned(stranger.peerId), true)
    assert.deepEqual(snapshot(), before, 'nothing stored')
    assert.ok(await until(() => !host.net.isConnected(stranger.peerId), 5_000), 'hung up on')
    await assert.rejects(send(stranger, 'entry'), (e: Error & { code?: string }) => e.code === 'PEER_UNREACHABLE', 'cannot reconnect while banned')
    assert.equal(await send(member, 'talk'), '_notice_place_talk', 'the member is unaffected')
  })
})

/** The answer's method, or `!CODE` for a failure. */
function outcome (m: { method: string, fields: Map<string, Uint8Array> }): string {
  if (!m.method.startsWith('_failure')) return m.method
  return `!${new TextDecoder().decode(m.fields.get('_code') ?? new Uint8Array())}`
}
