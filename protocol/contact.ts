/**
 * The contact handshake, protocol `/secushare/contact/1.0.0`: one request and one answer, each a
 * PSYC packet in one frame (at most MAX_HANDSHAKE_BYTES), on a Noise-encrypted libp2p stream
 * whose peer ids are authenticated by the transport.
 *
 *   joiner → inviter  _request_contact_invite  :_id_invite (16) :_ego (32) :_nick :_mac (32) :_signature (64)
 *   inviter → joiner  _notice_contact_accept   :_ego (32) :_nick :_mac (32) :_signature (64)
 *                  or _failure_contact_invite  :_code (an error code) :_text
 *
 * `_mac` is BLAKE2b-256 keyed with the invite secret over the transcript; `_signature` is the
 * sender's ego signature (label secushare/handshake/v1) over the same transcript. The transcript
 * (below) binds both peer ids, both egos, the invite and the sender's nick, so neither half can
 * be replayed to another peer, invite or person. The inviter reveals its nick and signature only
 * after checking the joiner's MAC: a stranger without the secret learns nothing.
 */
import { SecushareError } from './errors.js'
import { MAX_HANDSHAKE_BYTES } from './limits.js'
import { decodePacket, encodePacket, lastModifier, makePacket, modifierText, type Packet } from './packet.js'

export const CONTACT_PROTOCOL = '/secushare/contact/1.0.0'
export const INVITE_ID_BYTES = 16

export interface ContactRequest { inviteId: Uint8Array, ego: Uint8Array, nick: string, mac: Uint8Array, signature: Uint8Array }
export interface ContactAccept { ego: Uint8Array, nick: string, mac: Uint8Array, signature: Uint8Array }
export interface ContactRefusal { code: string, text: string }
export type ContactAnswer = { accepted: true, accept: ContactAccept } | { accepted: false, refusal: ContactRefusal }

const METHOD_REQUEST = '_request_contact_invite'
const METHOD_ACCEPT = '_notice_contact_accept'
const METHOD_REFUSE = '_failure_contact_invite'

const bad = (why: string): SecushareError => new SecushareError('HANDSHAKE_FAILED', `malformed contact handshake: ${why}`)

/** What both sides MAC and sign: `role` is 'request' or 'accept'. */
export function handshakeTranscript (role: 'request' | 'accept', f: {
  inviterPeer: string, joinerPeer: string, inviteId: Uint8Array, inviterEgo: Uint8Array, joinerEgo: Uint8Array, nick: string
}): Uint8Array {
  const z = Buffer.from([0])
  return Buffer.concat([
    Buffer.from(`secushare/contact/${role}/v1`), z, Buffer.from(f.inviterPeer), z, Buffer.from(f.joinerPeer), z,
    f.inviteId, f.inviterEgo, f.joinerEgo, Buffer.from(f.nick, 'utf8')
  ])
}

export function encodeContactRequest (r: ContactRequest): Uint8Array {
  return encodePacket(makePacket({
    entity: [
      { op: ':', name: '_id_invite', value: r.inviteId }, { op: ':', name: '_ego', value: r.ego },
      { op: ':', name: '_nick', value: r.nick }, { op: ':', name: '_mac', value: r.mac }, { op: ':', name: '_signature', value: r.signature }
    ],
    method: METHOD_REQUEST
  }))
}

export function encodeContactAnswer (a: ContactAnswer): Uint8Array {
  if (a.accepted) {
    const { ego, nick, mac, signature } = a.accept
    return encodePacket(makePacket({
      entity: [{ op: ':', name: '_ego', value: ego }, { op: ':', name: '_nick', value: nick }, { op: ':', name: '_mac', value: mac }, { op: ':', name: '_signature', value: signature }],
      method: METHOD_ACCEPT
    }))
  }
  return encodePacket(makePacket({
    entity: [{ op: ':', name: '_code', value: a.refusal.code }, { op: ':', name: '_text', value: a.refusal.text }],
    method: METHOD_REFUSE
  }))
}

function parse (bytes: Uint8Array): Packet {
  if (bytes.length > MAX_HANDSHAKE_BYTES) throw bad(`${bytes.length} bytes`)
  try {
    return decodePacket(bytes)
  } catch (e) {
    throw bad((e as Error).message)
  }
}

function field (p: Packet, name: string, bytes?: number): Uint8Array {
  const m = lastModifier(p.content?.entity ?? [], name)
  if (m === undefined) throw bad(`no ${name}`)
  if (bytes !== undefined && m.value.length !== bytes) throw bad(`${name} has ${m.value.length} bytes, not ${bytes}`)
  return new Uint8Array(m.value)
}

function text (p: Packet, name: string): string {
  const m = lastModifier(p.content?.entity ?? [], name)
  if (m === undefined) throw bad(`no ${name}`)
  try {
    return modifierText(m)
  } catch {
    throw bad(`${name} is not UTF-8`)
  }
}

export function decodeContactRequest (bytes: Uint8Array): ContactRequest {
  const p = parse(bytes)
  if (p.content?.method !== METHOD_REQUEST) throw bad(`unexpected method ${p.content?.method ?? '(none)'}`)
  return { inviteId: field(p, '_id_invite', INVITE_ID_BYTES), ego: field(p, '_ego', 32), nick: text(p, '_nick'), mac: field(p, '_mac', 32), signature: field(p, '_signature', 64) }
}

export function decodeContactAnswer (bytes: Uint8Array): ContactAnswer {
  const p = parse(bytes)
  switch (p.content?.method) {
    case METHOD_ACCEPT:
      return { accepted: true, accept: { ego: field(p, '_ego', 32), nick: text(p, '_nick'), mac: field(p, '_mac', 32), signature: field(p, '_signature', 64) } }
    case METHOD_REFUSE:
      return { accepted: false, refusal: { code: text(p, '_code'), text: text(p, '_text') } }
    default:
      throw bad(`unexpected method ${p.content?.method ?? '(none)'}`)
  }
}
