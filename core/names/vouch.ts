/**
 * Common contacts: for a key I meet, which of my contacts publish a PKEY record for the same key
 * (they vouch for it), and which publish, under the name it claims, a different key (a conflict).
 * Asked over `_request_zone_vouch` of my connected contacts; every block is verified like a
 * resolved one. A contact that does not answer in time counts as neither.
 */
import { ERROR_CODES, SecushareError } from '../../protocol/errors.js'
import { MAX_NAMES_WIRE_BYTES } from '../../protocol/limits.js'
import { decodeNames, encodeNames, namesBytes, namesText, throwIfNamesFailure, ZONE_PROTOCOL } from '../../protocol/names-wire.js'
import { petnameFromNick, type ContactBook, type ContactRecord } from '../contacts/book.js'
import type { Sodium } from '../crypto/sodium.js'
import type { NetNode } from '../net/node.js'
import { requestFrame } from '../net/request.js'
import { openBlock } from './block.js'
import { ZONE_HOP_TIMEOUT_MS } from './resolver.js'

export interface Vouches {
  ego: string
  /** Petnames of my contacts who publish this very key. */
  vouchers: string[]
  count: number
  /** Contacts who publish another key under the name this key claims. */
  conflicts: Array<{ petname: string, label: string, ego: string }>
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

async function ask (sodium: Sodium, net: NetNode, c: ContactRecord, target: Uint8Array, label: string | undefined): Promise<{ vouch: boolean, conflict?: string }> {
  const answer = await requestFrame(net, c.peerId, c.addrs, ZONE_PROTOCOL, encodeNames('_request_zone_vouch', { _zone: c.ego, _ego: target, _label: label }),
    { maxBytes: MAX_NAMES_WIRE_BYTES, timeoutMs: ZONE_HOP_TIMEOUT_MS, limit: 'MAX_NAMES_WIRE_BYTES' })
  const m = decodeNames(answer)
  throwIfNamesFailure(m, (code) => code in ERROR_CODES)
  if (m.method !== '_notice_zone_vouch') throw new SecushareError('NAMES_WIRE_INVALID', `unexpected answer ${m.method}`)
  const now = Date.now()
  let vouch = false
  if (m.fields.has('_block_vouch')) {
    const l = namesText(m, '_label_vouch')
    const opened = openBlock(sodium, namesBytes(m, '_block_vouch'), c.ego, l, now)
    vouch = opened.records.some((r) => r.type === 'PKEY' && sodium.equal(r.value, target))
  }
  let conflict: string | undefined
  if (label !== undefined && m.fields.has('_block_label')) {
    const pk = openBlock(sodium, namesBytes(m, '_block_label'), c.ego, label, now).records.find((r) => r.type === 'PKEY')
    if (pk !== undefined && !sodium.equal(pk.value, target)) conflict = hex(pk.value)
  }
  return { vouch, conflict }
}

/** Asks my connected contacts (but not the key's owner) about `target`, claimed to be called `nick`. */
export async function vouchesFor (sodium: Sodium, net: NetNode, contacts: ContactBook, target: Uint8Array, nick?: string): Promise<Vouches> {
  const label = nick === undefined ? undefined : petnameFromNick(nick)
  const asked = contacts.list().filter((c) => !sodium.equal(c.ego, target) && net.isConnected(c.peerId)).slice(0, 64)
  const answers = await Promise.all(asked.map(async (c) => {
    try {
      return { c, ...await ask(sodium, net, c, target, label) }
    } catch {
      return { c, vouch: false }
    }
  }))
  const vouchers = answers.filter((a) => a.vouch).map((a) => a.c.petname).sort()
  const conflicts = answers.filter((a) => a.conflict !== undefined).map((a) => ({ petname: a.c.petname, label: label!, ego: a.conflict! }))
  return { ego: hex(target), vouchers, count: vouchers.length, conflicts }
}
