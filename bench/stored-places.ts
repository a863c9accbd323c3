/**
 * Fills a home's store with places this node hosts and their messages, written the way the host
 * stores them (signed by the author, wrapped, sealed into envelopes), in large transactions, for
 * the start-up and memory figures with much stored.
 */
import { ENVELOPE_KIND } from '../protocol/envelope.js'
import { encodePlaceMessage } from '../protocol/place-message.js'
import { encodeWire } from '../protocol/place-wire.js'
import { sealEnvelope } from '../core/crypto/envelope-seal.js'
import type { Home } from '../core/home/home.js'
import { signPlaceMessage } from '../core/places/author.js'
import { WRAPPER_METHOD } from '../core/places/receive.js'
import type { MessageRecord, PlaceRecord } from '../core/places/records.js'

const TEXT = 'A line of chat as people write it, long enough to be typical of a group conversation.'
const BATCH = 5000

export async function storePlaces (h: Home, places: number, postsPerPlace: number): Promise<void> {
  const sodium = h.sodium
  const self = await h.ego()
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
  let batch: Array<{ place?: PlaceRecord, epoch?: [string, Uint8Array], message?: MessageRecord }> = []
  const flush = async (): Promise<void> => {
    const items = batch
    batch = []
    await h.store.write((tx) => {
      for (const it of items) {
        if (it.place !== undefined) tx.put('places', it.place.id, it.place)
        if (it.epoch !== undefined) tx.put('epochs', [it.epoch[0], 1], it.epoch[1])
        if (it.message !== undefined) tx.put('messages', [placeOf(it.message), it.message.id], it.message)
      }
    })
  }
  const owner = new Map<MessageRecord, string>()
  const placeOf = (m: MessageRecord): string => owner.get(m)!
  for (let p = 0; p < places; p++) {
    const kp = sodium.signKeypair()
    const id = hex(kp.publicKey)
    const epochKey = sodium.randomBytes(32)
    const now = Date.now()
    batch.push({
      place: {
        v: 1, id, name: `place ${p}`, role: 'host', self: self.id, hostEgo: self.id, hostPeer: '', history: 'recent', generation: 1,
        head: postsPerPlace, contiguous: postsPerPlace, lastStateful: 0, sinceId: 1, readUpTo: postsPerPlace, closed: false, left: false,
        created: now, secret: await h.sealSecret(kp.publicKey, kp.secretKey)
      },
      epoch: [id, epochKey]
    })
    for (let i = 1; i <= postsPerPlace; i++) {
      const m = signPlaceMessage(sodium, kp.publicKey, { method: '_converse', author: self.publicKey, talkId: sodium.randomBytes(16), time: now, text: `${i} ${TEXT}` }, self.secretKey)
      const plaintext = encodeWire(WRAPPER_METHOD, { _state_prev: 0, _packet: encodePlaceMessage(m) })
      const envelope = sealEnvelope(sodium, { kind: ENVELOPE_KIND.PLACE_MESSAGE, placeSecretKey: kp.secretKey, messageId: i, generation: 1, epochKey, plaintext })
      const record: MessageRecord = {
        v: 1, id: i, generation: 1, envelope, author: self.id, method: m.method, text: m.text ?? null, replyTo: null, thread: null, time: now,
        talkId: hex(m.talkId), prevStateful: null, stateOps: []
      }
      owner.set(record, id)
      batch.push({ message: record })
      if (batch.length >= BATCH) await flush()
    }
  }
  await flush()
}
