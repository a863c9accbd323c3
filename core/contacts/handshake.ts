/**
 * Both halves of the contact handshake (protocol/contact.ts): the inviter's stream handler and
 * the joiner's `joinByInvite`. The inviter stores the new contact and spends the invite in one
 * transaction and answers only after it is durable.
 */
import {
  CONTACT_PROTOCOL, decodeContactAnswer, decodeContactRequest, encodeContactAnswer, encodeContactRequest,
  handshakeTranscript, INVITE_ID_BYTES, type ContactRefusal
} from '../../protocol/contact.js'
import { ERROR_CODES, SecushareError, type ErrorCode } from '../../protocol/errors.js'
import type { Invite } from '../../protocol/invite.js'
import { LABEL } from '../../protocol/labels.js'
import { MAX_HANDSHAKE_BYTES } from '../../protocol/limits.js'
import { signLabelled, verifyLabelled } from '../crypto/labels.js'
import type { Sodium } from '../crypto/sodium.js'
import { egoIdOf, validateNick, type Ego } from '../identity/ego.js'
import type { FrameStream } from '../net/framing.js'
import type { NetNode } from '../net/node.js'
import { offenceOf } from '../net/offences.js'
import type { Store } from '../store/lmdb.js'
import { ContactBook, petnameFromNick, type ContactRecord, type InviteRecord } from './book.js'

/** How long either side waits for the other's handshake message. */
export const HANDSHAKE_TIMEOUT_MS = 10_000

export function inviteIdOf (sodium: Sodium, secret: Uint8Array): Uint8Array {
  return sodium.hash(secret, INVITE_ID_BYTES)
}

const macOf = (sodium: Sodium, secret: Uint8Array, transcript: Uint8Array): Uint8Array => sodium.hash(transcript, 32, secret)

export interface HandshakeDeps {
  sodium: Sodium
  store: Store
  net: NetNode
  /** My egos with their secret keys, by ego id. */
  egos: ReadonlyMap<string, Ego>
  now?: () => number
}

/** Answers one joiner on an inbound contact stream. Returns the stored contact, or undefined if refused. */
export async function answerJoiner (deps: HandshakeDeps, stream: FrameStream): Promise<ContactRecord | undefined> {
  const { sodium, store } = deps
  const now = (deps.now ?? Date.now)()
  const req = decodeContactRequest(await stream.read(MAX_HANDSHAKE_BYTES, HANDSHAKE_TIMEOUT_MS, 'MAX_HANDSHAKE_BYTES'))
  const refuse = async (code: ErrorCode, text: string): Promise<undefined> => {
    // a guessed or reused invite, a bad signature: penalised (docs/penalties.md); an expired one is not
    const offence = offenceOf({ code }) ?? (code === 'HANDSHAKE_FAILED' ? 'forged' : undefined)
    if (offence !== undefined) deps.net.penalise(stream.remotePeer, offence)
    await stream.write(encodeContactAnswer({ accepted: false, refusal: { code, text } }))
    await stream.close()
    return undefined
  }
  const id = Buffer.from(req.inviteId).toString('hex')
  const invite = store.get<InviteRecord>('invites', id)
  if (invite === undefined) return await refuse('INVITE_REFUSED', 'unknown or already used invite')
  const self = deps.egos.get(invite.self)
  if (self === undefined) return await refuse('INVITE_REFUSED', 'unknown or already used invite')
  const transcript = handshakeTranscript('request', {
    inviterPeer: deps.net.peerId, joinerPeer: stream.remotePeer, inviteId: req.inviteId, inviterEgo: self.publicKey, joinerEgo: req.ego, nick: req.nick
  })
  if (!sodium.equal(macOf(sodium, invite.secret, transcript), req.mac)) return await refuse('INVITE_REFUSED', 'unknown or already used invite')
  if (invite.expires < now) return await refuse('INVITE_EXPIRED', 'the invite has expired')
  if (!verifyLabelled(sodium, LABEL.HANDSHAKE, req.signature, transcript, req.ego)) return await refuse('HANDSHAKE_FAILED', 'bad signature')
  let nick: string
  try {
    nick = validateNick(req.nick)
  } catch {
    return await refuse('HANDSHAKE_FAILED', 'unacceptable nick')
  }
  if (deps.egos.has(egoIdOf(req.ego))) return await refuse('INVITE_REFUSED', 'that is one of this node\'s own identities')

  const contact = await store.write((tx) => {
    if (tx.get('invites', id) === undefined) return undefined // spent meanwhile by a concurrent joiner
    tx.remove('invites', id)
    return ContactBook.put(tx, {
      v: 1, ego: req.ego, self: invite.self, petname: ContactBook.freePetname(tx, petnameFromNick(nick)), nick,
      peerId: stream.remotePeer, addrs: deps.net.knownAddrs(stream.remotePeer), added: now, lastSeen: now
    })
  })
  if (contact === undefined) return await refuse('INVITE_REFUSED', 'unknown or already used invite')

  const accept = handshakeTranscript('accept', {
    inviterPeer: deps.net.peerId, joinerPeer: stream.remotePeer, inviteId: req.inviteId, inviterEgo: self.publicKey, joinerEgo: req.ego, nick: self.nick
  })
  await stream.write(encodeContactAnswer({
    accepted: true,
    accept: { ego: self.publicKey, nick: self.nick, mac: macOf(sodium, invite.secret, accept), signature: signLabelled(sodium, LABEL.HANDSHAKE, accept, self.secretKey) }
  }))
  await stream.close()
  return contact
}

/** The joiner's half: dials the inviter, proves the secret, stores the inviter as `petname`. */
export async function joinByInvite (deps: HandshakeDeps, self: Ego, invite: Invite, petname: string): Promise<ContactRecord> {
  const { sodium, store } = deps
  const inviteId = inviteIdOf(sodium, invite.secret)
  const stream = await deps.net.openStream(invite.peerId, invite.addrs, CONTACT_PROTOCOL)
  try {
    const request = handshakeTranscript('request', {
      inviterPeer: invite.peerId, joinerPeer: deps.net.peerId, inviteId, inviterEgo: invite.ego, joinerEgo: self.publicKey, nick: self.nick
    })
    await stream.write(encodeContactRequest({
      inviteId, ego: self.publicKey, nick: self.nick, mac: macOf(sodium, invite.secret, request), signature: signLabelled(sodium, LABEL.HANDSHAKE, request, self.secretKey)
    }))
    const answer = decodeContactAnswer(await stream.read(MAX_HANDSHAKE_BYTES, HANDSHAKE_TIMEOUT_MS, 'MAX_HANDSHAKE_BYTES'))
    if (!answer.accepted) throw refusalError(answer.refusal)
    const { ego, nick, mac, signature } = answer.accept
    const accept = handshakeTranscript('accept', {
      inviterPeer: invite.peerId, joinerPeer: deps.net.peerId, inviteId, inviterEgo: invite.ego, joinerEgo: self.publicKey, nick
    })
    if (!sodium.equal(ego, invite.ego) || !sodium.equal(macOf(sodium, invite.secret, accept), mac) ||
        !verifyLabelled(sodium, LABEL.HANDSHAKE, signature, accept, ego)) {
      throw new SecushareError('HANDSHAKE_FAILED', 'the inviter\'s answer does not prove the invite (wrong node or tampered link)')
    }
    const now = (deps.now ?? Date.now)()
    return await store.write((tx) => ContactBook.put(tx, {
      v: 1, ego, self: self.id, petname, nick: validateNick(nick), peerId: invite.peerId, addrs: invite.addrs, added: now, lastSeen: now
    }))
  } finally {
    stream.abort('handshake done')
  }
}

function refusalError (r: ContactRefusal): SecushareError {
  const known: ErrorCode[] = ['INVITE_REFUSED', 'INVITE_EXPIRED', 'HANDSHAKE_FAILED']
  const code = (known as string[]).includes(r.code) && r.code in ERROR_CODES ? r.code as ErrorCode : 'INVITE_REFUSED'
  return new SecushareError(code, `the inviter refused: ${r.text.slice(0, 200)}`)
}
