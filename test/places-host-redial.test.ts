/**
 * A guest whose host is not its contact dials the host again after losing it (Places.redialHosts:
 * no one else would), then catches up and delivers what it posted meanwhile. In-process nodes
 * (bench/harness.ts) on 127.0.0.1; the host comes back on the same port, as a daemon with a fixed
 * --listen port does.
 */
import assert from 'node:assert/strict'
import { createCluster, placeOf, storedMessages, until, type BenchNode, type Cluster } from '../bench/harness.js'
import { openPlace } from '../bench/places.js'

describe('a guest redials a host that is not its contact', function () {
  this.timeout(120_000)
  let cluster: Cluster
  after(async () => { await cluster?.close() })

  it('reconnects after the host restarts, catches up, and delivers its pending post', async () => {
    cluster = await createCluster(2, { heartbeatMs: 100, prefix: 'hr', keepPorts: true })
    const [host, guest] = cluster.nodes as [BenchNode, BenchNode]
    const { placeId } = await openPlace(cluster, [host, guest], 'redial', 'all')
    // no longer contacts: neither side's contact redialler will bring the other back
    await host.contacts.book.remove(guest.name)
    await guest.contacts.book.remove(host.name)

    await host.stop()
    assert.ok(await until(() => !guest.net.isConnected(host.peerId), 10_000, 50))
    const r = await guest.places.post(placeId, 'written while the host was away')
    assert.equal(r.pending, true)
    await host.start()
    const missed = await host.places.post(placeId, 'posted by the host before the guest came back')
    assert.ok(await until(() => guest.net.isConnected(host.peerId), 30_000, 50), 'the guest dialled the host again')
    assert.ok(await until(() => storedMessages(guest, placeId).some((m) => m.text === 'written while the host was away') &&
      placeOf(guest, placeId).contiguous >= (missed.id ?? Infinity), 30_000, 50), 'caught up, and the pending post went through')
    assert.equal(guest.places.pendingCount(placeId), 0)
  })
})
