/**
 * The libp2p adapter: the one file through which libp2p, its transports and its services enter
 * secushare (peer-key.ts holds the key helpers). Everything above speaks peer ids and multiaddrs
 * as strings, FrameStreams, and SecushareErrors.
 *
 * Stack: TCP, noise, yamux, identify; optionally mDNS, kad-dht, circuit relay v2 (client, server).
 * Choices (docs/architecture.md, "Network"):
 * - mDNS announces the service `_secushare._udp.local`, so only secushare nodes are reported, and
 *   never dials: discovered peers are reported through 'peer:discovery' and the caller decides.
 * - kad-dht runs as client and server (clientMode false) under its own protocol id, apart from
 *   the IPFS DHT, with `passthroughMapper`: addresses are kept as announced, private and loopback
 *   ones included, so a LAN or loopback DHT works (the default mapper drops them and the routing
 *   table stays empty). No records are stored, so no validators or selectors are configured; the
 *   DHT serves peer routing (dial by peer id alone) and discovery.
 * - Relayed connections are "limited" in libp2p; our protocols run on them
 *   (`runOnLimitedConnection`), within the relay's limits (libp2p's defaults on a relay server).
 *   A relay client becomes reachable through a relay by listing `<relay addr>/p2p-circuit`.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { PeerId } from '@libp2p/interface'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { mdns } from '@libp2p/mdns'
import { peerIdFromString } from '@libp2p/peer-id'
import { ping, type Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p'
import { SecushareError } from '../../protocol/errors.js'
import { MAX_CONNECTIONS, MAX_INBOUND_STREAMS_PER_PROTOCOL } from '../../protocol/limits.js'
import { frameStream, type FrameStream } from './framing.js'
import { loadPeerKey } from './peer-key.js'

/** A dial (all addresses of one peer) gives up after this long. */
const DIAL_TIMEOUT_MS = 10_000
/** Peers whose addresses knownAddrs() remembers; the least recently updated is forgotten first. */
const KNOWN_ADDRS_PEERS = 1024
/** The mDNS service name: only secushare nodes answer it. */
const MDNS_SERVICE_TAG = '_secushare._udp.local'
/** Our DHT's protocol id, so it does not mix with the IPFS DHT. */
const DHT_PROTOCOL = '/secushare/kad/1.0.0'

export interface NetOptions {
  /** libp2p protobuf private key (core/net/peer-key.ts). */
  peerKey: Uint8Array
  /** Multiaddrs to listen on, e.g. ['/ip4/127.0.0.1/tcp/0']; `<relay addr>/p2p-circuit` needs relayClient. */
  listen: string[]
  /** LAN discovery; discovered peers are reported, never dialled. Multicast: tests run it only in a private netns. */
  mdns: boolean
  /** kad-dht, client and server, loopback- and LAN-friendly (see the file comment). */
  dht: boolean
  /** Circuit relay v2 transport: dial and listen through relays. */
  relayClient: boolean
  /** Serve as a circuit relay v2 for others, with libp2p's default reservation limits. */
  relayServer: boolean
  /** Open connections at most; default MAX_CONNECTIONS. */
  maxConnections?: number
}

export interface DiscoveredPeer { peerId: string, addrs: string[] }

export interface NetEvents {
  /** First connection to a peer opened (peer id). */
  'peer:connect': string
  /** Last connection to a peer closed (peer id). */
  'peer:disconnect': string
  /** A peer found by mDNS or the DHT; nothing is dialled. */
  'peer:discovery': DiscoveredPeer
  /** Identify finished on a connection: the peer's own listen addresses. */
  'peer:identify': { peerId: string, listenAddrs: string[] }
}

/** Counters of faults the node survived. */
export interface NetStats {
  /** Stream handlers that threw or rejected (each stream was aborted). */
  handlerErrors: number
  /** Event listeners (on()) that threw. */
  listenerErrors: number
}

/**
 * A libp2p node. Contract: peer ids and multiaddrs are strings; a malformed one raises
 * INVALID_ARGUMENT. Nothing a peer or a handler does crashes the node: handler exceptions are
 * caught, counted (stats) and their stream aborted; listener exceptions are caught and counted.
 */
export interface NetNode {
  readonly peerId: string
  /** Listens and starts the services; LISTEN_FAILED (with libp2p's reason) if any listen address fails. */
  start (): Promise<void>
  /** Closes every connection and listener; the node holds no timers or sockets afterwards. */
  stop (): Promise<void>
  /** Our listen multiaddrs, each ending in /p2p/<peerId> (relay addresses once reserved). */
  addrs (): string[]
  connectedPeers (): string[]
  isConnected (peerId: string): boolean
  /** The peer's addresses as the peer store last reported them (dials, identify, discovery), without /p2p/<peerId>. */
  knownAddrs (peerId: string): string[]
  /**
   * Connects (no-op if connected). The addrs are added to the peer store first; with none, known
   * addresses (or the DHT) are used. PEER_UNREACHABLE on failure, within DIAL_TIMEOUT_MS, or
   * when the signal aborts.
   */
  dial (peerId: string, addrs: string[], signal?: AbortSignal): Promise<void>
  /**
   * Serves a protocol. The stream belongs to the handler until its promise settles; then the
   * node closes it (or aborts it if the handler threw). Inbound streams of this protocol per
   * connection: at most opts.maxInboundStreams (default MAX_INBOUND_STREAMS_PER_PROTOCOL);
   * more are reset. Runs on relayed (limited) connections too. One handler per protocol.
   */
  handle (protocol: string, handler: (stream: FrameStream, remotePeer: string) => Promise<void>, opts?: { maxInboundStreams?: number }): Promise<void>
  /**
   * Dials if needed (as dial()) and opens a stream. PEER_UNREACHABLE if no connection;
   * PROTOCOL_UNSUPPORTED if the peer does not serve the protocol.
   */
  openStream (peerId: string, addrs: string[], protocol: string, signal?: AbortSignal): Promise<FrameStream>
  /** Closes every connection to the peer. */
  hangUp (peerId: string): Promise<void>
  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof NetEvents> (event: K, fn: (e: NetEvents[K]) => void): () => void
  /** Faults survived so far. */
  stats (): NetStats
}

/** Creates a node (not started). */
export async function createNetNode (opts: NetOptions): Promise<NetNode> {
  const services: ServiceFactories = { identify: identify() }
  if (opts.dht) {
    services.ping = ping()
    const dht = kadDHT({ protocol: DHT_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper })
    // kad-dht takes the ping service above from the components, which type it as unknown
    services.dht = (components) => dht(components as typeof components & { ping: Ping })
  }
  if (opts.relayServer) services.relay = circuitRelayServer()
  const p2p = await createLibp2p({
    start: false,
    privateKey: loadPeerKey(opts.peerKey),
    addresses: { listen: opts.listen },
    transports: opts.relayClient ? [tcp(), circuitRelayTransport()] : [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: opts.mdns ? [mdns({ serviceTag: MDNS_SERVICE_TAG })] : [],
    connectionManager: { maxConnections: opts.maxConnections ?? MAX_CONNECTIONS, dialTimeout: DIAL_TIMEOUT_MS },
    services
  })
  return new Libp2pNode(p2p)
}

type ServiceFactories = NonNullable<Libp2pOptions['services']>
type Listener<K extends keyof NetEvents> = (e: NetEvents[K]) => void

class Libp2pNode implements NetNode {
  readonly peerId: string
  private readonly listeners: { [K in keyof NetEvents]: Set<Listener<K>> } = {
    'peer:connect': new Set(), 'peer:disconnect': new Set(), 'peer:discovery': new Set(), 'peer:identify': new Set()
  }

  private readonly addrBook = new Map<string, string[]>()
  private readonly counters: NetStats = { handlerErrors: 0, listenerErrors: 0 }

  constructor (private readonly p2p: Libp2p) {
    this.peerId = p2p.peerId.toString()
    p2p.addEventListener('peer:connect', (evt) => { this.emit('peer:connect', evt.detail.toString()) })
    p2p.addEventListener('peer:disconnect', (evt) => { this.emit('peer:disconnect', evt.detail.toString()) })
    p2p.addEventListener('peer:discovery', (evt) => {
      this.emit('peer:discovery', { peerId: evt.detail.id.toString(), addrs: evt.detail.multiaddrs.map(String) })
    })
    p2p.addEventListener('peer:identify', (evt) => {
      this.emit('peer:identify', { peerId: evt.detail.peerId.toString(), listenAddrs: evt.detail.listenAddrs.map(String) })
    })
    p2p.addEventListener('peer:update', (evt) => {
      const id = evt.detail.peer.id.toString()
      this.addrBook.delete(id)
      this.addrBook.set(id, evt.detail.peer.addresses.map((a) => a.multiaddr.toString()))
      if (this.addrBook.size > KNOWN_ADDRS_PEERS) this.addrBook.delete(this.addrBook.keys().next().value as string)
    })
  }

  async start (): Promise<void> {
    try {
      await this.p2p.start() // libp2p stops what it started if this fails
    } catch (e) {
      throw new SecushareError('LISTEN_FAILED', `the network did not start: ${(e as Error).message}`)
    }
  }

  async stop (): Promise<void> { await this.p2p.stop() }

  addrs (): string[] {
    const suffix = `/p2p/${this.peerId}`
    return this.p2p.getMultiaddrs().map((ma) => {
      const s = ma.toString()
      return s.endsWith(suffix) ? s : s + suffix
    })
  }

  connectedPeers (): string[] { return this.p2p.getPeers().map(String) }
  isConnected (peerId: string): boolean { return this.p2p.getConnections(parsePeerId(peerId)).length > 0 }
  knownAddrs (peerId: string): string[] { return [...(this.addrBook.get(parsePeerId(peerId).toString()) ?? [])] }

  async dial (peerId: string, addrs: string[], signal?: AbortSignal): Promise<void> {
    const id = await this.remember(peerId, addrs)
    try {
      await this.p2p.dial(id, { signal })
    } catch (e) {
      throw unreachable(peerId, e)
    }
  }

  async handle (protocol: string, handler: (stream: FrameStream, remotePeer: string) => Promise<void>, opts: { maxInboundStreams?: number } = {}): Promise<void> {
    if (this.p2p.getProtocols().includes(protocol)) throw new SecushareError('INVALID_ARGUMENT', `${protocol} is already handled`)
    await this.p2p.handle(protocol, async (stream, connection) => {
      const fs = frameStream(stream, connection.remotePeer.toString())
      try {
        await handler(fs, fs.remotePeer)
      } catch (e) {
        this.counters.handlerErrors++
        fs.abort(`handler failed: ${(e as Error)?.message ?? String(e)}`)
        return
      }
      await fs.close()
    }, { maxInboundStreams: opts.maxInboundStreams ?? MAX_INBOUND_STREAMS_PER_PROTOCOL, runOnLimitedConnection: true })
  }

  async openStream (peerId: string, addrs: string[], protocol: string, signal?: AbortSignal): Promise<FrameStream> {
    const id = await this.remember(peerId, addrs)
    try {
      return frameStream(await this.p2p.dialProtocol(id, protocol, { signal, runOnLimitedConnection: true }), id.toString())
    } catch (e) {
      if ((e as Error)?.name === 'UnsupportedProtocolError') {
        throw new SecushareError('PROTOCOL_UNSUPPORTED', `${peerId} does not serve ${protocol}`, { peerId, protocol })
      }
      throw unreachable(peerId, e)
    }
  }

  async hangUp (peerId: string): Promise<void> { await this.p2p.hangUp(parsePeerId(peerId)) }

  on<K extends keyof NetEvents> (event: K, fn: Listener<K>): () => void {
    const set = this.listeners[event] as Set<Listener<K>>
    set.add(fn)
    return () => { set.delete(fn) }
  }

  stats (): NetStats { return { ...this.counters } }

  private emit<K extends keyof NetEvents> (event: K, payload: NetEvents[K]): void {
    for (const fn of [...(this.listeners[event] as Set<Listener<K>>)]) {
      try { fn(payload) } catch { this.counters.listenerErrors++ }
    }
  }

  /** Parses the peer id and adds the addresses to the peer store. */
  private async remember (peerId: string, addrs: string[]): Promise<PeerId> {
    const id = parsePeerId(peerId)
    if (id.equals(this.p2p.peerId)) throw new SecushareError('INVALID_ARGUMENT', 'cannot dial this node itself')
    const multiaddrs = addrs.map((a) => parseAddr(a, id.toString()))
    if (multiaddrs.length > 0) await this.p2p.peerStore.merge(id, { multiaddrs })
    return id
  }
}

function parsePeerId (peerId: string): PeerId {
  try {
    return peerIdFromString(peerId)
  } catch (e) {
    throw new SecushareError('INVALID_ARGUMENT', `not a peer id: ${JSON.stringify(peerId)}`, { cause: (e as Error).message })
  }
}

/** A multiaddr of the given peer: if it names a peer at its end, it must be that one. */
function parseAddr (addr: string, peerId: string): Multiaddr {
  let ma: Multiaddr
  try {
    ma = multiaddr(addr)
  } catch (e) {
    throw new SecushareError('INVALID_ARGUMENT', `not a multiaddr: ${JSON.stringify(addr)}`, { cause: (e as Error).message })
  }
  const last = ma.getComponents().at(-1)
  if (last?.name === 'p2p' && last.value !== peerId) {
    throw new SecushareError('INVALID_ARGUMENT', `the address ${addr} names another peer than ${peerId}`)
  }
  return ma
}

function unreachable (peerId: string, e: unknown): SecushareError {
  const err = e as Error
  return new SecushareError('PEER_UNREACHABLE', `cannot reach ${peerId}: ${err?.message ?? String(e)}`, { peerId, cause: err?.name })
}
