/**
 * Run only inside a private network namespace (test/support/netns.ts): two nodes with mDNS on,
 * listening on 127.0.0.1. Prints one JSON line: each node's peer id, the peer ids each one
 * discovered within DISCOVERY_WAIT_MS, and whether either dialled the other (it must not).
 */
import '../../core/polyfill.js'
import { networkInterfaces } from 'node:os'
import { createNetNode, type NetNode } from '../../core/net/node.js'
import { generatePeerKey } from '../../core/net/peer-key.js'

const DISCOVERY_WAIT_MS = 10_000

const interfaces = Object.keys(networkInterfaces())
if (interfaces.some((name) => name !== 'lo')) {
  console.error(`refusing to send mDNS multicast: not in a private namespace (interfaces: ${interfaces.join(', ')})`)
  process.exit(2)
}

async function mdnsNode (): Promise<{ node: NetNode, saw: Set<string> }> {
  const node = await createNetNode({ peerKey: await generatePeerKey(), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: true, dht: false, relayClient: false, relayServer: false })
  const saw = new Set<string>()
  node.on('peer:discovery', (p) => { if (p.addrs.length > 0 && p.source === 'mdns') saw.add(p.peerId) })
  return { node, saw }
}

const a = await mdnsNode()
const b = await mdnsNode()
await Promise.all([a.node.start(), b.node.start()])
const deadline = Date.now() + DISCOVERY_WAIT_MS
while (Date.now() < deadline && !(a.saw.has(b.node.peerId) && b.saw.has(a.node.peerId))) {
  await new Promise((resolve) => setTimeout(resolve, 50))
}
const connected = a.node.isConnected(b.node.peerId)
await Promise.all([a.node.stop(), b.node.stop()])
console.log(JSON.stringify({ a: a.node.peerId, b: b.node.peerId, aSaw: [...a.saw], bSaw: [...b.saw], connected }))
