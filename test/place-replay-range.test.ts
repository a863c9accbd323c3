/**
 * `_request_place_replay :_from :_to` (protocol/place-wire.ts) answers exactly the envelopes
 * from..to (0: up to the head), so a member that got later messages by gossip asks for its gap
 * alone (Places.catchUpOnce). Two in-process nodes on 127.0.0.1.
 */
import assert from 'node:assert/strict'
import { createCluster, type Cluster } from '../bench/harness.js'
import { openPlace } from '../bench/places.js'
import type { PlaceRecord } from '../core/places/records.js'
import { MAX_FRAME_BYTES } from '../protocol/limits.js'
import { decodeWire, encodeWire, PLACE_PROTOCOL } from '../protocol/place-wire.js'

describe('place replay of a range', function () {
  this.timeout(120_000)
  let cluster: Cluster
  after(async () => { await cluster?.close() })

  it('answers from..to, and from..head for to = 0', async () => {
    cluster = await createCluster(2, { heartbeatMs: 100, prefix: 'rr' })
    const [host, member] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0]]
    const { placeId } = await openPlace(cluster, [host, member], 'range', 'all')
    for (let i = 0; i < 8; i++) await host.places.post(placeId, `post ${i}`)
    const head = host.home.store.get<PlaceRecord>('places', placeId)!.head
    const ask = async (from: number, to: number): Promise<number> => {
      const s = await member.net.openStream(host.peerId, host.addrs(), PLACE_PROTOCOL)
      try {
        await s.write(encodeWire('_request_place_replay', { _place: Buffer.from(placeId, 'hex'), _from: from, _to: to }))
        let n = 0
        for (;;) {
          const m = decodeWire(await s.read(MAX_FRAME_BYTES, 10_000, 'MAX_FRAME_BYTES'))
          if (m.method === '_notice_place_replay_end') return n
          assert.equal(m.method, '_notice_place_replay')
          n++
        }
      } finally {
        s.abort('done')
      }
    }
    assert.equal(await ask(3, 5), 3)
    assert.equal(await ask(4, 4), 1)
    assert.equal(await ask(3, 0), head - 2)
    assert.equal(await ask(head, head + 10), 1)
    assert.equal(await ask(5, 4), 0, 'an empty range')
  })
})
