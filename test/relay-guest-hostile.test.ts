/**
 * A guest's post that reached the host through a relay (Places.receiveRelayedTalk, docs/relays.md)
 * is checked like one over `_request_place_talk`: the sealing ego must be the author, the author a
 * member, the method one a guest may post, the author signature valid. Each refusal leaves no row;
 * a post taken twice keeps its id. In-process nodes (bench/harness.ts) on 127.0.0.1.
 */
import assert from 'node:assert/strict'
import { createCluster, placeOf, type BenchNode, type Cluster } from '../bench/harness.js'
import { openPlace } from '../bench/places.js'
import { signPlaceMessage } from '../core/places/author.js'
import { isSecushareError } from '../protocol/errors.js'
import { encodePlaceMessage } from '../protocol/place-message.js'

describe('relayed guest posts: what the host refuses', function () {
  this.timeout(120_000)
  let cluster: Cluster
  after(async () => { await cluster?.close() })

  it('takes a member\'s own post once; refuses a sender that is not the author, a non-member, a host-only method and a bad signature', async () => {
    cluster = await createCluster(4, { heartbeatMs: 100, prefix: 'rg' })
    const [host, member, stranger, removed] = cluster.nodes as [BenchNode, BenchNode, BenchNode, BenchNode]
    const { placeId } = await openPlace(cluster, [host, member, removed], 'relayed', 'all')
    await host.places.remove(placeId, removed.name)
    const sodium = host.home.sodium
    const packet = (who: BenchNode, text: string, method = '_converse'): Uint8Array => encodePlaceMessage(signPlaceMessage(sodium, Buffer.from(placeId, 'hex'),
      { method, author: who.ego.publicKey, talkId: sodium.randomBytes(16), time: Date.now(), text }, who.ego.secretKey))
    const refused = async (bytes: Uint8Array, sender: string, code: string): Promise<void> => {
      const head = placeOf(host, placeId).head
      await assert.rejects(host.places.receiveRelayedTalk(placeId, bytes, sender), (e: unknown) => isSecushareError(e) && e.code === code)
      assert.equal(placeOf(host, placeId).head, head, `${code}: nothing was sequenced`)
    }

    const good = packet(member, 'through the relay')
    const id = await host.places.receiveRelayedTalk(placeId, good, member.ego.id)
    assert.equal(await host.places.receiveRelayedTalk(placeId, good, member.ego.id), id, 'taken twice: the same id')
    assert.equal(placeOf(host, placeId).head, id)

    await refused(packet(member, 'sealed by another'), stranger.ego.id, 'PLACE_REFUSED')
    await refused(packet(stranger, 'not a member'), stranger.ego.id, 'NOT_A_MEMBER')
    await refused(packet(removed, 'removed'), removed.ego.id, 'NOT_A_MEMBER')
    await refused(packet(member, 'x', '_notice_set'), member.ego.id, 'PLACE_REFUSED')
    const forged = packet(member, 'forged')
    forged[forged.length - 1]! ^= 1
    await assert.rejects(host.places.receiveRelayedTalk(placeId, forged, member.ego.id))
    assert.equal(placeOf(host, placeId).head, id, 'a forged post: nothing was sequenced')
  })
})
