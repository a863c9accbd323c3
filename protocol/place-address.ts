/**
 * Place addresses: `secushare:place/<base64url>`, what someone who is not invited needs to ask a
 * host for entry (`place join ADDRESS`; also what a name's PLACE record resolves to).
 *
 * Payload (protocol/link.ts layout):
 *   version u8 (= 1) | place id: the place's public key (32) | host ego public key (32)
 *   | host peer id: field | address count u8 | each address: field (multiaddr)
 * Knowing an address lets one ask; only the host's admission lets one read.
 */
import { SecushareError } from './errors.js'
import { LinkReader, LinkWriter } from './link.js'

export const PLACE_ADDRESS_PREFIX = 'secushare:place/'
export const PLACE_ADDRESS_VERSION = 1

export interface PlaceAddress { place: Uint8Array, hostEgo: Uint8Array, hostPeer: string, addrs: string[] }

const invalid = (why: string): SecushareError => new SecushareError('INVALID_ARGUMENT', `not a valid place address: ${why}`)

export function isPlaceAddress (text: string): boolean { return text.trim().startsWith(PLACE_ADDRESS_PREFIX) }

export function encodePlaceAddress (a: PlaceAddress): string {
  if (a.place.length !== 32 || a.hostEgo.length !== 32) throw new SecushareError('INVALID_ARGUMENT', 'place or host key of the wrong length')
  return new LinkWriter().u8(PLACE_ADDRESS_VERSION).bytes(a.place).bytes(a.hostEgo).field(a.hostPeer).addrs(a.addrs).link(PLACE_ADDRESS_PREFIX)
}

export function decodePlaceAddress (text: string): PlaceAddress {
  const r = new LinkReader(text, PLACE_ADDRESS_PREFIX, invalid)
  const version = r.u8()
  if (version !== PLACE_ADDRESS_VERSION) throw invalid(`version ${version} (this secushare reads version ${PLACE_ADDRESS_VERSION})`)
  const place = r.bytes(32)
  const hostEgo = r.bytes(32)
  const hostPeer = r.field()
  const addrs = r.addrs()
  r.end()
  return { place, hostEgo, hostPeer, addrs }
}
