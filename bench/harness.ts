/**
 * In-process secushare nodes for the network benchmarks: each is a home (store, keys, one ego)
 * with the daemon's own run-time parts (core/daemon/daemon.ts: network, contacts, places) on
 * 127.0.0.1, but without the RPC server, with a short gossipsub heartbeat and with the byte
 * counter on (NetOptions.countBytes). Nodes can be stopped and started again on the same store.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ContactBook } from '../core/contacts/book.js'
import { Contacts } from '../core/contacts/contacts.js'
import { Home, initHome } from '../core/home/home.js'
import type { Ego } from '../core/identity/ego.js'
import { createNetNode, type NetNode } from '../core/net/node.js'
import { Places } from '../core/places/places.js'
import type { MessageRecord, PlaceRecord } from '../core/places/records.js'

export interface BenchNode {
  readonly name: string
  readonly home: Home
  readonly ego: Ego
  readonly peerId: string
  /** The running parts; replaced by start(). */
  net: NetNode
  contacts: Contacts
  places: Places
  running: boolean
  /** Listen addresses without the /p2p/ suffix (what a contact record keeps). */
  addrs: () => string[]
  start: () => Promise<void>
  stop: () => Promise<void>
}

export interface Cluster {
  nodes: BenchNode[]
  /** The gossipsub heartbeat every node of the cluster runs. */
  heartbeatMs: number
  /** Stops every node, closes every store, removes the temporary directory. */
  close: () => Promise<void>
}

/** A node's record of a place (it must have one). */
export const placeOf = (node: BenchNode, placeId: string): PlaceRecord => node.home.store.get<PlaceRecord>('places', placeId)!

/** The messages a node stored of a place, in id order. */
export function storedMessages (node: BenchNode, placeId: string): MessageRecord[] {
  return [...node.home.store.entries<MessageRecord>('messages', { start: [placeId, 0], end: [placeId, Number.MAX_SAFE_INTEGER] })].map((e) => e.value)
}

export const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** Polls `check` every `everyMs` until it is true (returns true) or `ms` pass (returns false). */
export async function until (check: () => boolean, ms: number, everyMs = 10): Promise<boolean> {
  const deadline = performance.now() + ms
  for (;;) {
    if (check()) return true
    if (performance.now() > deadline) return false
    await sleep(everyMs)
  }
}

/**
 * Creates and starts `n` nodes in one temporary directory. `keepPorts`: a node started again
 * listens on the port it had (as a daemon with a fixed `--listen` port does), so the addresses
 * others keep for it stay right. `directDelivery`: PlacesDeps.directDelivery of every node
 * (default: the daemon's).
 */
export async function createCluster (n: number, opts: { heartbeatMs: number, prefix?: string, keepPorts?: boolean, directDelivery?: number }): Promise<Cluster> {
  const root = mkdtempSync(join(tmpdir(), 'secushare-bench-places-'))
  const nodes: BenchNode[] = []
  const close = async (): Promise<void> => {
    await Promise.all(nodes.map(async (node) => {
      await node.stop().catch(() => {})
      await node.home.close().catch(() => {})
    }))
    rmSync(root, { recursive: true, force: true })
  }
  try {
    for (let i = 0; i < n; i++) {
      const name = `${opts.prefix ?? 'n'}${i}`
      const dir = join(root, name)
      await initHome(dir, { nick: name })
      nodes.push(await openNode(name, dir, opts.heartbeatMs, opts.keepPorts === true, opts.directDelivery))
    }
    // a fixed start order keeps libp2p's per-host inbound limit out of the way: nothing dials yet
    for (const node of nodes) await node.start()
    return { nodes, heartbeatMs: opts.heartbeatMs, close }
  } catch (e) {
    await close()
    throw e
  }
}

async function openNode (name: string, dir: string, heartbeatMs: number, keepPort: boolean, directDelivery?: number): Promise<BenchNode> {
  let port = 0
  const home = await Home.open(dir)
  const ego = await home.ego()
  const egos = new Map<string, Ego>([[ego.id, ego]])
  const node: BenchNode = {
    name, home, ego, peerId: home.peerId,
    net: undefined as unknown as NetNode, contacts: undefined as unknown as Contacts, places: undefined as unknown as Places,
    running: false,
    addrs: () => node.net.addrs().map((a) => a.replace(/\/p2p\/[^/]+$/, '')),
    start: async () => {
      if (node.running) return
      // as startDaemon does, minus the RPC server; plus the benchmark's heartbeat and byte counter
      const net = await createNetNode({
        peerKey: home.peerKey, listen: [`/ip4/127.0.0.1/tcp/${port}`], mdns: false, dht: false, relayClient: false, relayServer: false,
        pubsubHeartbeatMs: heartbeatMs, countBytes: true, inboundConnectionsPerSecond: INBOUND_PER_SECOND
      })
      await net.start()
      if (keepPort) port = Number(/\/tcp\/(\d+)/.exec(net.addrs()[0] ?? '')?.[1] ?? 0)
      const contacts = new Contacts({ sodium: home.sodium, store: home.store, net, egos }, home.defaultEgoId)
      await contacts.start()
      const places = new Places({
        sodium: home.sodium, store: home.store, net, egos, defaultEgo: home.defaultEgoId, contacts: contacts.book,
        sealSecret: async (pk, sk) => await home.sealSecret(pk, sk), openSecret: async (pk, sealed) => await home.openSecret(pk, sealed), directDelivery
      })
      await places.start()
      Object.assign(node, { net, contacts, places, running: true })
    },
    stop: async () => {
      if (!node.running) return
      node.running = false
      node.places.stop()
      node.contacts.stop()
      await node.net.stop()
    }
  }
  return node
}

/**
 * Makes `a` and `b` each other's contact, as a finished contact handshake leaves them (the
 * handshake itself is benchmarked nowhere here). Both must be running (their addresses are kept).
 */
export async function befriend (a: BenchNode, b: BenchNode): Promise<void> {
  const now = Date.now()
  for (const [self, other] of [[a, b], [b, a]] as const) {
    await self.home.store.write((tx) => {
      ContactBook.put(tx, {
        v: 1, ego: other.ego.publicKey, self: self.ego.id, petname: other.name, nick: other.name,
        peerId: other.peerId, addrs: other.addrs(), added: now, lastSeen: null
      })
    })
  }
}

/**
 * Inbound connections a bench node takes per second from one address: every peer here is
 * 127.0.0.1, and libp2p's default (5) would make setting up a place of 50 take half a minute.
 */
const INBOUND_PER_SECOND = 200
const DIALS_PER_ROUND = 50

/**
 * Connects every pair of `nodes` that is not connected yet, in rounds of at most DIALS_PER_ROUND
 * per target (below INBOUND_PER_SECOND), at least a second apart; failures are retried in the next
 * round. Returns the pairs still unconnected after `maxRounds`.
 */
export async function connectAll (nodes: BenchNode[], maxRounds = 60): Promise<number> {
  const n = nodes.length
  // orient each pair so every node receives about half of its connections
  const pairs: Array<[BenchNode, BenchNode]> = []
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) pairs.push((j - i) <= n / 2 ? [nodes[i]!, nodes[j]!] : [nodes[j]!, nodes[i]!])
  }
  let missing = pairs
  for (let round = 0; round < maxRounds; round++) {
    missing = missing.filter(([a, b]) => !a.net.isConnected(b.peerId))
    if (missing.length === 0) return 0
    const started = performance.now()
    const perTarget = new Map<string, number>()
    const attempts: Array<Promise<void>> = []
    for (const [a, b] of missing) {
      const k = perTarget.get(b.peerId) ?? 0
      if (k >= DIALS_PER_ROUND) continue
      perTarget.set(b.peerId, k + 1)
      attempts.push(a.net.dial(b.peerId, b.addrs()).catch(() => {}))
    }
    await Promise.all(attempts)
    await sleep(Math.max(0, 1100 - (performance.now() - started)))
  }
  return missing.filter(([a, b]) => !a.net.isConnected(b.peerId)).length
}
