/**
 * Two limits that need real time or many peers, at the limit and one past it (127.0.0.1):
 * - MAX_CONNECTIONS: a node takes that many peers' connections; the next peer's is refused until
 *   one of them leaves;
 * - RPC_REQUEST_TIMEOUT_MS: the RPC client waits that long for an answer (one a little sooner
 *   arrives; one a little later is RPC_TIMEOUT), run side by side so the test waits it once.
 */
import assert from 'node:assert/strict'
import { createNetNode, type NetNode } from '../core/net/node.js'
import { generatePeerKey } from '../core/net/peer-key.js'
import { newToken } from '../core/rpc/auth.js'
import { connectRpc } from '../core/rpc/client.js'
import { startRpcServer } from '../core/rpc/server.js'
import { isSecushareError } from '../protocol/errors.js'
import { MAX_CONNECTIONS, RPC_REQUEST_TIMEOUT_MS } from '../protocol/limits.js'

/** Polls `check` every 100 ms for up to 10 s. */
async function settles (check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (check()) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return check()
}

/** How far inside and outside the timeout the two answers come: well above event-loop jitter. */
const MARGIN_MS = 2_000

describe('limits of connections and of waiting', function () {
  this.timeout(RPC_REQUEST_TIMEOUT_MS + 120_000)
  const nodes: NetNode[] = []
  after(async () => { await Promise.all(nodes.map(async (n) => { await n.stop().catch(() => {}) })) })

  it(`MAX_CONNECTIONS (${MAX_CONNECTIONS}) peers connect; one more is refused until one leaves`, async () => {
    const base = { mdns: false, dht: false, relayClient: false, relayServer: false, pubsub: false }
    // every peer here is 127.0.0.1: the per-address inbound rate limit is lifted for the subject
    const subject = await createNetNode({ ...base, listen: ['/ip4/127.0.0.1/tcp/0'], peerKey: await generatePeerKey(), inboundConnectionsPerSecond: 100_000 })
    nodes.push(subject)
    await subject.start()
    const addr = [subject.addrs()[0]!.replace(/\/p2p\/[^/]+$/, '')]
    const peers: NetNode[] = []
    for (let i = 0; i <= MAX_CONNECTIONS; i++) {
      const p = await createNetNode({ ...base, listen: [], peerKey: await generatePeerKey() })
      nodes.push(p)
      peers.push(p)
      await p.start()
    }
    for (const p of peers.slice(0, MAX_CONNECTIONS)) await p.dial(subject.peerId, addr)
    // the subject registers the last connection a moment after the dialler does
    assert.ok(await settles(() => subject.connectedPeers().length === MAX_CONNECTIONS), `${subject.connectedPeers().length} connections`)
    const extra = peers[MAX_CONNECTIONS]!
    await assert.rejects(extra.dial(subject.peerId, addr), (e: unknown) => isSecushareError(e) && e.code === 'PEER_UNREACHABLE')
    assert.equal(subject.connectedPeers().length, MAX_CONNECTIONS)
    await peers[0]!.stop()
    assert.ok(await settles(() => subject.connectedPeers().length < MAX_CONNECTIONS))
    await extra.dial(subject.peerId, addr)
    assert.ok(await settles(() => subject.connectedPeers().includes(extra.peerId)), 'a place freed is taken')
  })

  it(`RPC_REQUEST_TIMEOUT_MS (${RPC_REQUEST_TIMEOUT_MS} ms): an answer inside it arrives, one after it is RPC_TIMEOUT`, async () => {
    const token = newToken()
    const service = { async after (p: { ms: number }) { await new Promise((resolve) => setTimeout(resolve, p.ms)); return p.ms } }
    const server = await startRpcServer({ host: '127.0.0.1', port: 0, token, service })
    const client = await connectRpc<typeof service>(server.url, token)
    try {
      const [inside, outside] = await Promise.allSettled([
        client.call.after({ ms: RPC_REQUEST_TIMEOUT_MS - MARGIN_MS }),
        client.call.after({ ms: RPC_REQUEST_TIMEOUT_MS + MARGIN_MS })
      ])
      assert.deepEqual(inside, { status: 'fulfilled', value: RPC_REQUEST_TIMEOUT_MS - MARGIN_MS })
      assert.equal(outside.status, 'rejected')
      assert.ok(isSecushareError((outside as PromiseRejectedResult).reason) && (outside as PromiseRejectedResult).reason.code === 'RPC_TIMEOUT')
    } finally {
      await client.close()
      await server.close()
    }
  })
})
