/**
 * The answering side of `/secushare/zone/1.0.0`: contacts only. Look-ups are answered from my
 * zones' public records (a fresh block, signed now, valid for ZONE_BLOCK_TTL_MS at most) or
 * forwarded one hop along `_via` to my contact owning the next zone. Private records never leave
 * this file: `Zone.records(..., { includePrivate: false })` is the only source of published records.
 */
import { SecushareError } from '../../protocol/errors.js'
import { MAX_NAME_DEPTH, MAX_NAMES_WIRE_BYTES } from '../../protocol/limits.js'
import { decodeNames, encodeNames, namesBytes, namesText, type NamesMessage } from '../../protocol/names-wire.js'
import type { ContactBook } from '../contacts/book.js'
import type { Sodium } from '../crypto/sodium.js'
import type { Ego } from '../identity/ego.js'
import type { FrameStream } from '../net/framing.js'
import type { NetNode } from '../net/node.js'
import { offenceOf } from '../net/offences.js'
import { queryOf, sealBlock } from './block.js'
import { fetchBlock, ZONE_HOP_TIMEOUT_MS } from './resolver.js'
import type { Zone } from './zone.js'

/** A served block is valid this long at most (records with an earlier expiry shorten it). */
export const ZONE_BLOCK_TTL_MS = 3600_000

export interface ServeDeps { sodium: Sodium, net: NetNode, contacts: ContactBook, zone: Zone, egos: ReadonlyMap<string, Ego>, now?: () => number }

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

export class ZoneServer {
  /** Requests dropped or refused, by reason. */
  readonly drops = new Map<string, number>()
  /** Look-ups answered (for tests: a resolver's cache hit never reaches here). */
  lookups = 0

  constructor (private readonly d: ServeDeps) {}

  private drop (why: string): void { this.drops.set(why, (this.drops.get(why) ?? 0) + 1) }

  /** A signed block for `label` of my ego's zone, or undefined when nothing public is there. */
  block (ego: Ego, label: string): Uint8Array | undefined {
    const now = (this.d.now ?? Date.now)()
    const records = this.d.zone.records(ego.id, label, { includePrivate: false }, now)
    if (records.length === 0) return undefined
    const expires = Math.min(now + ZONE_BLOCK_TTL_MS, ...records.filter((r) => r.expires !== 0).map((r) => r.expires))
    return sealBlock(this.d.sodium, ego, label, records, expires)
  }

  private labelFor (ego: Ego, query: Uint8Array): string | undefined {
    return this.d.zone.labels(ego.id).find((l) => this.d.sodium.equal(queryOf(this.d.sodium, ego.publicKey, l), query))
  }

  async answer (s: FrameStream): Promise<void> {
    let frame: Uint8Array
    try {
      frame = await s.read(MAX_NAMES_WIRE_BYTES, ZONE_HOP_TIMEOUT_MS, 'MAX_NAMES_WIRE_BYTES')
    } catch {
      return // an oversized or badly framed request is penalised by the node
    }
    let req: NamesMessage
    try {
      req = decodeNames(frame)
    } catch {
      this.drop('malformed')
      this.d.net.penalise(s.remotePeer, 'malformed')
      return
    }
    try {
      const from = this.d.contacts.byPeer(s.remotePeer)
      if (from === undefined) { this.drop('stranger'); this.d.net.penalise(s.remotePeer, 'unauthorized'); throw new SecushareError('NAME_NOT_FOUND', 'zones are served to contacts only') }
      const zone = hex(namesBytes(req, '_zone', 32))
      switch (req.method) {
        case '_request_zone_lookup': return await this.onLookup(s, from.self, zone, req)
        case '_request_zone_vouch': return await this.onVouch(s, from.self, zone, req)
        default: throw new SecushareError('NAMES_WIRE_INVALID', `unknown request ${req.method}`)
      }
    } catch (e) {
      const code = e instanceof SecushareError ? e.code : 'INTERNAL'
      if (code !== 'NAME_NOT_FOUND') this.drop(code)
      const offence = offenceOf(e)
      if (offence !== undefined) this.d.net.penalise(s.remotePeer, offence)
      const text = e instanceof SecushareError ? e.message : 'internal error'
      await s.write(encodeNames('_failure_names', { _code: code, _text: text })).catch(() => {})
    }
  }

  private async onLookup (s: FrameStream, contactOf: string, zone: string, req: NamesMessage): Promise<void> {
    const query = namesBytes(req, '_query', 32)
    const viaBytes = req.fields.get('_via')
    if (viaBytes !== undefined) {
      if (viaBytes.length === 0 || viaBytes.length % 32 !== 0) throw new SecushareError('NAMES_WIRE_INVALID', '_via is not a list of keys')
      if (viaBytes.length / 32 >= MAX_NAME_DEPTH) throw new SecushareError('LIMIT_EXCEEDED', 'the route is longer than a name', { limit: 'MAX_NAME_DEPTH', max: MAX_NAME_DEPTH, actual: viaBytes.length / 32 })
      const via = Array.from({ length: viaBytes.length / 32 }, (_, i) => hex(viaBytes.subarray(i * 32, i * 32 + 32)))
      let bytes: Uint8Array
      try {
        bytes = await fetchBlock(this.d.net, this.d.contacts, via[0]!, Buffer.from(zone, 'hex'), query, via.slice(1))
      } catch (e) {
        // what the next hop answered is passed back, and is no offence of the one who asked
        if (e instanceof SecushareError) throw new SecushareError(e.code, e.message, { ...e.detail, offence: 'none' })
        throw e
      }
      await s.write(encodeNames('_notice_zone_block', { _block: bytes }))
      return
    }
    const ego = this.d.egos.get(zone)
    // a contact of another of my egos gets nothing about this one (nor learns that it is here)
    if (ego === undefined || contactOf !== zone) throw new SecushareError('NAME_NOT_FOUND', 'no such name')
    this.lookups++
    const label = this.labelFor(ego, query)
    const block = label === undefined ? undefined : this.block(ego, label)
    if (block === undefined) throw new SecushareError('NAME_NOT_FOUND', 'no such name')
    await s.write(encodeNames('_notice_zone_block', { _block: block }))
  }

  private async onVouch (s: FrameStream, contactOf: string, zone: string, req: NamesMessage): Promise<void> {
    const ego = this.d.egos.get(zone)
    if (ego === undefined || contactOf !== zone) throw new SecushareError('NAME_NOT_FOUND', 'no such zone')
    const target = namesBytes(req, '_ego', 32)
    const vouchLabel = this.d.zone.labelOf(ego.id, target)
    const asked = req.fields.has('_label') ? namesText(req, '_label') : undefined
    const askedLabel = asked !== undefined && this.d.zone.labels(ego.id).includes(asked) ? asked : undefined
    await s.write(encodeNames('_notice_zone_vouch', {
      _label_vouch: vouchLabel,
      _block_vouch: vouchLabel === undefined ? undefined : this.block(ego, vouchLabel),
      _block_label: askedLabel === undefined ? undefined : this.block(ego, askedLabel)
    }))
  }
}
