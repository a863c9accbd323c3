/**
 * The libp2p adapter: the one file through which libp2p, its transports and its services enter
 * secushare (peer-key.ts holds the key helpers). Everything above speaks peer ids and multiaddrs
 * as strings, FrameStreams, and SecushareErrors.
 *
 * Stack: TCP, noise, yamux, identify, gossipsub (unless NetOptions.pubsub is false); optionally
 * mDNS, kad-dht, circuit relay v2 (client, server).
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
 * - Publish/subscribe is gossipsub (`@libp2p/gossipsub`, the libp2p-3 one), StrictNoSign (our
 *   envelopes carry their own signatures), no flood publish, and one validator per topic that runs
 *   before anything is delivered or forwarded. Peer scoring: a peer that forwards messages our
 *   validators reject, or offends on our own protocols, loses score (application-specific score,
 *   OffenceLedger.score in offences.ts) until it gets no gossip, then nothing we publish, then is
 *   ignored altogether (graylisted). Pubsub runs on direct connections only: a relayed
 *   connection's small budget is kept for our own protocols.
 * - Penalties (docs/penalties.md): frames over their limit or with a bad prefix are counted here;
 *   the protocols report what does not decode or is not allowed (penalise()). After
 *   PEER_OFFENCES_BEFORE_BAN offences a peer is hung up on and refused at the gater for PEER_BAN_MS.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { gossipsub, StrictNoSign, TopicValidatorResult, type GossipSub, type GossipsubMessage, type Message } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { peerDiscoverySymbol, type Metrics, type MultiaddrConnection, type PeerId, type Stream } from '@libp2p/interface'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { mdns } from '@libp2p/mdns'
import { peerIdFromString } from '@libp2p/peer-id'
import { ping, type Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p'
import { createHash } from 'node:crypto'
import { Socket } from 'node:net'
import { SecushareError, limitExceeded } from '../../protocol/errors.js'
import { MAX_CONNECTIONS, MAX_FRAME_BYTES, MAX_INBOUND_STREAMS_PER_PROTOCOL, MAX_PUBSUB_TOPIC_BYTES } from '../../protocol/limits.js'
import { frameStream, type FrameStream } from './framing.js'
import { OffenceLedger, type OffenceKind } from './offences.js'
import { loadPeerKey } from './peer-key.js'

/** A dial (all addresses of one peer) gives up after this long. */
const DIAL_TIMEOUT_MS = 10_000
/** Peers whose addresses knownAddrs() remembers; the least recently updated is forgotten first. */
const KNOWN_ADDRS_PEERS = 1024
/** The mDNS service name: only secushare nodes answer it. */
const MDNS_SERVICE_TAG = '_secushare._udp.local'
/** Our DHT's protocol id, so it does not mix with the IPFS DHT. */
const DHT_PROTOCOL = '/secushare/kad/1.0.0'
/** Gossipsub mesh degree per topic: target D, low and high watermarks (Dlo, Dhi). */
export const PUBSUB_MESH_TARGET = 5
export const PUBSUB_MESH_LOW = 4
export const PUBSUB_MESH_HIGH = 7

/**
 * The largest gossipsub RPC (one length-prefixed protobuf: messages plus control) read from a
 * peer. Equal to the cap gossipsub's encoder puts on what it sends (it-length-prefixed's 4 MiB),
 * so no honest RPC is refused: an answer to IWANT bundles several messages into one RPC. Each
 * message's data is held to MAX_FRAME_BYTES separately (publish() and the validators).
 */
const PUBSUB_MAX_RPC_BYTES = 4 * 1024 * 1024
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
  /**
   * Inbound connections accepted per second from one IP address; default libp2p's (5). Benchmarks
   * that run many nodes on 127.0.0.1 raise it; a node facing the network keeps the default.
   */
  inboundConnectionsPerSecond?: number
  /** Publish/subscribe (gossipsub); default true. When off, subscribe() and publish() raise PUBSUB_DISABLED. */
  pubsub?: boolean
  /**
   * Gossipsub heartbeat (mesh maintenance, gossip emission) in ms; default 1000, gossipsub's own.
   * Tests shorten it so meshes form and repair faster; peers need not agree on it.
   */
  pubsubHeartbeatMs?: number
  /**
   * Count the bytes this node writes to and reads from its TCP sockets (stats().bytesOut and
   * bytesIn); default false. For benchmarks: it installs a libp2p metrics component whose only
   * job is this count (every other metric is a no-op), so when off nothing changes.
   */
  countBytes?: boolean
}

/**
 * What a topic validator decides about a message: 'accept' delivers and forwards it; 'ignore'
 * drops it silently (a duplicate, or not for us yet); 'reject' drops it as invalid and penalises
 * the peer that forwarded it. Either way gossipsub remembers the message id for 2 minutes (its
 * seen cache), so an ignored message is not taken again from another peer within that time.
 */
export type TopicVerdict = 'accept' | 'ignore' | 'reject'

export interface PubsubMessage {
  topic: string
  data: Uint8Array
  /** The peer that forwarded it to us, not its author (messages carry no libp2p author: StrictNoSign). */
  from: string
}

/** Counts of validator verdicts on messages from peers (our own publications are not validated). */
export interface PubsubStats { accepted: number, ignored: number, rejected: number }

/** `source`: mDNS (on the LAN) or the DHT (anywhere). */
export interface DiscoveredPeer { peerId: string, addrs: string[], source: 'mdns' | 'dht' }

export interface NetEvents {
  /** First connection to a peer opened (peer id). */
  'peer:connect': string
  /** Last connection to a peer closed (peer id). */
  'peer:disconnect': string
  /** A peer found by mDNS or the DHT (never one that merely connected to us); nothing is dialled. */
  'peer:discovery': DiscoveredPeer
  /** Identify finished on a connection: the peer's own listen addresses. */
  'peer:identify': { peerId: string, listenAddrs: string[] }
}

/** Counters of faults the node survived. */
export interface NetStats {
  /** Stream handlers that threw or rejected (each stream was aborted). */
  handlerErrors: number
  /** Event listeners (on()) and pubsub message handlers (subscribe()'s onMessage) that threw. */
  listenerErrors: number
  /**
   * Bytes written to / read from TCP sockets since start, over every connection, closed ones
   * included: everything on the wire above TCP (noise, yamux, identify, gossipsub, our protocols).
   * Always 0 unless NetOptions.countBytes; relayed connections are counted on the TCP connection
   * to the relay.
   */
  bytesOut: number
  bytesIn: number
  /**
   * Of bytesOut, what this node's streams sent, by protocol (e.g. `/meshsub/1.2.0`), before noise
   * and yamux framing; the rest of bytesOut is that framing, the handshakes and stream negotiation.
   * Empty unless NetOptions.countBytes.
   */
  bytesOutByProtocol: Record<string, number>
  /** Offences of peers recorded (penalise() and bad frames), by kind, and bans imposed. */
  offences: Record<OffenceKind, number>
  bans: number
}

export type { OffenceKind }

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
  /**
   * Deny list (local policy, kept in memory): hangs up on the peer and refuses every connection
   * with it, dialled or inbound, at the connection gater, until unblock(). Tests partition a
   * network with it; it could also back a user's block list.
   */
  block (peerId: string): Promise<void>
  unblock (peerId: string): void
  /**
   * Records hostile input from the peer (docs/penalties.md): it lowers the peer's gossipsub score,
   * and after PEER_OFFENCES_BEFORE_BAN offences (decaying) the node hangs up on the peer and
   * refuses every connection with it for PEER_BAN_MS. Frames over their limit or with a bad
   * length prefix are recorded by the node itself; the protocols report the rest.
   */
  penalise (peerId: string, kind: OffenceKind): void
  /** Whether the peer is banned now (penalise()); block() is separate and not reported here. */
  banned (peerId: string): boolean
  /** Lifts the peer's ban, if any, and forgets its offences (local policy: the user trusts it again). */
  pardon (peerId: string): void
  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof NetEvents> (event: K, fn: (e: NetEvents[K]) => void): () => void
  /** Faults survived so far. */
  stats (): NetStats
  /**
   * Subscribes to a topic (at most MAX_PUBSUB_TOPIC_BYTES of UTF-8; one subscription per topic,
   * INVALID_ARGUMENT for a second) and returns the unsubscribe function, which also removes the
   * validator. Every message from a peer on the topic goes through `validate` before it reaches
   * `onMessage` and before it is forwarded to anyone; only accepted ones do either. Data over
   * MAX_FRAME_BYTES is rejected before `validate` is asked; a validator that throws or returns
   * anything else counts as 'reject'. Each copy of a message (same topic and bytes) is validated
   * and delivered once, however many peers send it. `onMessage` exceptions are caught and counted
   * (stats().listenerErrors). Validators should answer fast (well under 100 ms): gossipsub waits
   * for them. Allowed before start(): the subscription takes effect when the node starts.
   */
  subscribe (topic: string, validate: (msg: PubsubMessage) => TopicVerdict | Promise<TopicVerdict>, onMessage: (msg: PubsubMessage) => void): () => void
  /**
   * Sends `data` (at most MAX_FRAME_BYTES, else LIMIT_EXCEEDED) to our mesh peers for the topic
   * (a fanout set of D if we are not subscribed), topped up to D (PUBSUB_MESH_TARGET) from the other
   * subscribed peers when the mesh is smaller; they forward it. The mesh holds between
   * PUBSUB_MESH_LOW and PUBSUB_MESH_HIGH peers, so our upload per post is at most Dhi copies (plus answers to IWANT), however many
   * subscribe. Resolves with the number of peers it was sent to: 0 when no peer is subscribed (not
   * an error) or when the same bytes were already published or seen on this topic within 2 minutes.
   * We do not receive our own message. NET_NOT_STARTED if the node is not running.
   */
  publish (topic: string, data: Uint8Array): Promise<{ recipients: number }>
  /** Peers we know to be subscribed to the topic (from their subscription announcements). */
  topicPeers (topic: string): string[]
  /** Validator verdicts so far. */
  pubsubStats (): PubsubStats
}

/**
 * Peers the discovery mechanisms (mDNS, the DHT) found, as 'peer' events whose detail is
 * {info: libp2p's PeerInfo, source}. libp2p's own 'peer:discovery' also fires for every peer new
 * to its peer store, strangers that dialled us included, which must not count as found.
 */
type Found = EventTarget

/** Re-dispatches the 'peer' events of a discovery component on `found`, labelled with `source`. */
function tap (discovery: EventTarget, source: DiscoveredPeer['source'], found: Found): void {
  discovery.addEventListener('peer', (evt) => { found.dispatchEvent(new CustomEvent('peer', { detail: { info: (evt as CustomEvent).detail, source } })) })
}

/** Creates a node (not started). */
export async function createNetNode (opts: NetOptions): Promise<NetNode> {
  const services: ServiceFactories = { identify: identify() }
  const found: Found = new EventTarget()
  if (opts.dht) {
    services.ping = ping()
    const dht = kadDHT({ protocol: DHT_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper })
    // kad-dht takes the ping service above from the components, which type it as unknown
    services.dht = (components) => {
      const d = dht(components as typeof components & { ping: Ping })
      // kad-dht is a discovery component behind this symbol (libp2p listens there too); its type does not say so
      tap((d as unknown as { [peerDiscoverySymbol]: EventTarget })[peerDiscoverySymbol], 'dht', found)
      return d
    }
  }
  if (opts.relayServer) services.relay = circuitRelayServer()
  const ledger = new OffenceLedger()
  if (opts.pubsubHeartbeatMs !== undefined && !(Number.isInteger(opts.pubsubHeartbeatMs) && opts.pubsubHeartbeatMs > 0)) {
    throw new SecushareError('INVALID_ARGUMENT', `pubsubHeartbeatMs must be a positive integer, not ${String(opts.pubsubHeartbeatMs)}`)
  }
  if (opts.pubsub ?? true) {
    const pubsub = gossipsub({
      globalSignaturePolicy: StrictNoSign,
      msgIdFn: pubsubMessageId,
      floodPublish: false,
      // a smaller mesh than gossipsub's 6 (4..12): an origin sends each message to at most
      // PUBSUB_MESH_HIGH peers, and what a place of 50 costs its host stays under 8 × the message
      D: PUBSUB_MESH_TARGET,
      Dlo: PUBSUB_MESH_LOW,
      Dhi: PUBSUB_MESH_HIGH,
      Dout: 2,
      Dscore: 2,
      fallbackToFloodsub: false,
      emitSelf: false,
      allowPublishToZeroTopicPeers: true,
      ignoreDuplicatePublishError: true,
      runOnLimitedConnection: false,
      maxInboundDataLength: PUBSUB_MAX_RPC_BYTES,
      ...(opts.pubsubHeartbeatMs !== undefined ? { heartbeatInterval: opts.pubsubHeartbeatMs } : {}),
      scoreParams: {
        appSpecificScore: (peer) => ledger.score(peer),
        appSpecificWeight: 1,
        // off: peers behind one NAT, or all reached through one relay, share an address
        IPColocationFactorWeight: 0
      },
      // gossip -10, publish -50, graylist -80 as gossipsub's defaults; opportunistic grafting
      // when the median mesh peer has been penalised at all (scores here are 0 at best)
      scoreThresholds: { opportunisticGraftThreshold: 0 }
    })
    // gossipsub takes libp2p's internal components, which the factory type does not name
    services.pubsub = (components) => pubsub(components as Parameters<typeof pubsub>[0])
  }
  const bytes = opts.countBytes === true ? new ByteCounter() : undefined
  const connections = new ConnectionTap(bytes)
  const denied = new Set<string>()
  const deny = (peer: { toString: () => string }): boolean => denied.has(peer.toString()) || ledger.banned(peer.toString())
  const p2p = await createLibp2p({
    start: false,
    metrics: () => tapMetrics(connections),
    privateKey: loadPeerKey(opts.peerKey),
    addresses: { listen: opts.listen },
    transports: opts.relayClient ? [tcp(), circuitRelayTransport()] : [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: opts.mdns ? [(components) => { const d = mdns({ serviceTag: MDNS_SERVICE_TAG })(components); tap(d, 'mdns', found); return d }] : [],
    connectionManager: { maxConnections: opts.maxConnections ?? MAX_CONNECTIONS, dialTimeout: DIAL_TIMEOUT_MS, ...(opts.inboundConnectionsPerSecond !== undefined ? { inboundConnectionThreshold: opts.inboundConnectionsPerSecond } : {}) },
    connectionGater: { denyDialPeer: deny, denyInboundEncryptedConnection: deny, denyOutboundEncryptedConnection: deny },
    services
  })
  return new Libp2pNode(p2p, p2p.services.pubsub as GossipSub | undefined, ledger, bytes, denied, found)
}

type ServiceFactories = NonNullable<Libp2pOptions['services']>
type Listener<K extends keyof NetEvents> = (e: NetEvents[K]) => void

class Libp2pNode implements NetNode {
  readonly peerId: string
  private readonly listeners: { [K in keyof NetEvents]: Set<Listener<K>> } = {
    'peer:connect': new Set(), 'peer:disconnect': new Set(), 'peer:discovery': new Set(), 'peer:identify': new Set()
  }

  private readonly addrBook = new Map<string, string[]>()
  private readonly counters = { handlerErrors: 0, listenerErrors: 0 }
  private readonly subs = new Map<string, Subscription>()
  private readonly verdicts: PubsubStats = { accepted: 0, ignored: 0, rejected: 0 }

  constructor (private readonly p2p: Libp2p, private readonly pubsub: GossipSub | undefined, private readonly ledger: OffenceLedger, private readonly bytes: ByteCounter | undefined, private readonly denied: Set<string>, found: Found) {
    this.peerId = p2p.peerId.toString()
    pubsub?.addEventListener('gossipsub:message', (evt) => { this.deliver(evt.detail) })
    p2p.addEventListener('peer:connect', (evt) => { this.emit('peer:connect', evt.detail.toString()) })
    p2p.addEventListener('peer:disconnect', (evt) => { this.emit('peer:disconnect', evt.detail.toString()) })
    found.addEventListener('peer', (evt) => {
      const { info, source } = (evt as CustomEvent<{ info: { id: PeerId, multiaddrs: Multiaddr[] }, source: DiscoveredPeer['source'] }>).detail
      if (info.id.toString() === this.peerId) return
      this.emit('peer:discovery', { peerId: info.id.toString(), addrs: info.multiaddrs.map(String), source })
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
    for (const topic of this.subs.keys()) this.pubsub?.subscribe(topic)
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
      const remote = connection.remotePeer.toString()
      const fs = frameStream(stream, remote, () => { this.penalise(remote, 'frame') })
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
      const remote = id.toString()
      return frameStream(await this.p2p.dialProtocol(id, protocol, { signal, runOnLimitedConnection: true }), remote, () => { this.penalise(remote, 'frame') })
    } catch (e) {
      if ((e as Error)?.name === 'UnsupportedProtocolError') {
        throw new SecushareError('PROTOCOL_UNSUPPORTED', `${peerId} does not serve ${protocol}`, { peerId, protocol })
      }
      throw unreachable(peerId, e)
    }
  }

  async hangUp (peerId: string): Promise<void> { await this.p2p.hangUp(parsePeerId(peerId)) }

  async block (peerId: string): Promise<void> {
    const id = parsePeerId(peerId)
    this.denied.add(id.toString())
    await this.p2p.hangUp(id)
  }

  unblock (peerId: string): void { this.denied.delete(parsePeerId(peerId).toString()) }

  penalise (peerId: string, kind: OffenceKind): void {
    const id = parsePeerId(peerId)
    if (!this.ledger.offend(id.toString(), kind)) return
    void this.p2p.hangUp(id).catch(() => {})
  }

  banned (peerId: string): boolean { return this.ledger.banned(parsePeerId(peerId).toString()) }
  pardon (peerId: string): void { this.ledger.pardon(parsePeerId(peerId).toString()) }

  on<K extends keyof NetEvents> (event: K, fn: Listener<K>): () => void {
    const set = this.listeners[event] as Set<Listener<K>>
    set.add(fn)
    return () => { set.delete(fn) }
  }

  stats (): NetStats {
    const { bans, ...offences } = this.ledger.counts
    return { ...this.counters, ...(this.bytes?.totals() ?? { bytesOut: 0, bytesIn: 0 }), bytesOutByProtocol: this.bytes?.byProtocol() ?? {}, offences, bans }
  }

  subscribe (topic: string, validate: Subscription['validate'], onMessage: Subscription['onMessage']): () => void {
    const pubsub = this.requirePubsub()
    checkTopic(topic)
    if (typeof validate !== 'function' || typeof onMessage !== 'function') throw new SecushareError('INVALID_ARGUMENT', 'subscribe needs a validator and a message handler')
    if (this.subs.has(topic)) throw new SecushareError('INVALID_ARGUMENT', `already subscribed to ${topic}`)
    const sub: Subscription = { validate, onMessage }
    this.subs.set(topic, sub)
    pubsub.topicValidators.set(topic, async (peer, msg) => await this.validate(topic, peer.toString(), msg))
    if (this.p2p.status === 'started') pubsub.subscribe(topic)
    return () => {
      if (this.subs.get(topic) !== sub) return
      this.subs.delete(topic)
      pubsub.topicValidators.delete(topic)
      if (this.p2p.status === 'started') pubsub.unsubscribe(topic)
    }
  }

  async publish (topic: string, data: Uint8Array): Promise<{ recipients: number }> {
    const pubsub = this.requirePubsub()
    checkTopic(topic)
    if (!(data instanceof Uint8Array)) throw new SecushareError('INVALID_ARGUMENT', 'publish needs the data as bytes')
    if (data.byteLength > MAX_FRAME_BYTES) throw limitExceeded('MAX_FRAME_BYTES', MAX_FRAME_BYTES, data.byteLength)
    if (this.p2p.status !== 'started') throw new SecushareError('NET_NOT_STARTED', 'cannot publish: the network node is not running')
    try {
      // a copy: gossipsub keeps the bytes (its message cache) for later IWANT answers
      const { recipients } = await pubsub.publish(topic, data.slice())
      return { recipients: recipients.length }
    } catch (e) {
      throw new SecushareError('INTERNAL', `gossipsub did not publish: ${(e as Error)?.message ?? String(e)}`, { topic })
    }
  }

  topicPeers (topic: string): string[] {
    if (this.pubsub === undefined || this.p2p.status !== 'started') return []
    return this.pubsub.getSubscribers(topic).map(String)
  }

  pubsubStats (): PubsubStats { return { ...this.verdicts } }

  private requirePubsub (): GossipSub {
    if (this.pubsub === undefined) throw new SecushareError('PUBSUB_DISABLED', 'publish/subscribe is off on this node (NetOptions.pubsub)')
    return this.pubsub
  }

  /** The topic validator: gossipsub forwards and delivers only what this accepts. Never throws. */
  private async validate (topic: string, from: string, msg: Message): Promise<TopicValidatorResult> {
    const sub = this.subs.get(topic)
    let verdict: TopicVerdict
    if (sub === undefined) {
      verdict = 'ignore' // unsubscribed while the message was on its way
    } else if (msg.type !== 'unsigned' || msg.data.byteLength > MAX_FRAME_BYTES) {
      verdict = 'reject'
    } else {
      try {
        const v = await sub.validate({ topic, data: msg.data, from })
        verdict = v === 'accept' || v === 'ignore' ? v : 'reject'
      } catch {
        verdict = 'reject'
      }
    }
    switch (verdict) {
      case 'accept': this.verdicts.accepted++; return TopicValidatorResult.Accept
      case 'ignore': this.verdicts.ignored++; return TopicValidatorResult.Ignore
      default:
        this.verdicts.rejected++
        this.ledger.reject(from)
        return TopicValidatorResult.Reject
    }
  }

  /** A message our validator accepted (gossipsub forwards it independently). */
  private deliver ({ msg, propagationSource }: GossipsubMessage): void {
    const sub = this.subs.get(msg.topic)
    if (sub === undefined) return
    try {
      // a copy: the decoded data is a view into the whole RPC it came in (up to PUBSUB_MAX_RPC_BYTES)
      sub.onMessage({ topic: msg.topic, data: msg.data.slice(), from: propagationSource.toString() })
    } catch {
      this.counters.listenerErrors++
    }
  }

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
    // connected: libp2p reuses the connection; merging into the peer store costs more than the stream
    if (multiaddrs.length > 0 && this.p2p.getConnections(id).length === 0) await this.p2p.peerStore.merge(id, { multiaddrs })
    return id
  }
}

interface Subscription {
  validate: (msg: PubsubMessage) => TopicVerdict | Promise<TopicVerdict>
  onMessage: (msg: PubsubMessage) => void
}

/**
 * Gossipsub message ids, computed from the bytes (StrictNoSign messages have no author or
 * sequence number): SHA-256 of the topic's UTF-8 length (4 bytes, big-endian), the topic and the
 * data. The same bytes on the same topic are one message, however many peers forward them. The
 * topic is included so that a copy replayed into another topic cannot mark the original as seen.
 * Every secushare node must compute ids the same way (IHAVE/IWANT name messages by id).
 */
function pubsubMessageId (msg: Message): Uint8Array {
  const topic = Buffer.from(msg.topic, 'utf8')
  const len = Buffer.alloc(4)
  len.writeUInt32BE(topic.byteLength)
  return createHash('sha256').update(len).update(topic).update(msg.data).digest()
}

function checkTopic (topic: string): void {
  if (typeof topic !== 'string' || topic.length === 0) throw new SecushareError('INVALID_ARGUMENT', 'a topic is a non-empty string')
  const n = Buffer.byteLength(topic, 'utf8')
  if (n > MAX_PUBSUB_TOPIC_BYTES) throw limitExceeded('MAX_PUBSUB_TOPIC_BYTES', MAX_PUBSUB_TOPIC_BYTES, n)
}

/**
 * NetOptions.countBytes: the TCP sockets of every connection libp2p upgrades (it hands each raw
 * connection to the metrics component first); their byte counts are read when asked, and added
 * to the totals when a socket closes. Nothing is wrapped, so nothing about the data flow changes.
 */
class ByteCounter {
  private closed = { bytesOut: 0, bytesIn: 0 }
  private readonly live = new Set<Socket>()
  private readonly sent = new Map<string, number>()

  track (maConn: MultiaddrConnection): void {
    // @libp2p/tcp's connections keep their socket here; others (relayed) ride on a counted TCP one
    const socket = (maConn as { socket?: unknown }).socket
    if (!(socket instanceof Socket) || this.live.has(socket)) return
    this.live.add(socket)
    socket.once('close', () => {
      this.live.delete(socket)
      this.closed = { bytesOut: this.closed.bytesOut + socket.bytesWritten, bytesIn: this.closed.bytesIn + socket.bytesRead }
    })
  }

  /**
   * Counts what a negotiated stream sends under its protocol. Streams of libp2p 3 write only
   * through send(); the protocols are the ones this node registers or asks for, a bounded set.
   */
  trackStream (stream: Stream): void {
    const protocol = stream.protocol
    const send = stream.send.bind(stream)
    stream.send = (data) => {
      this.sent.set(protocol, (this.sent.get(protocol) ?? 0) + data.byteLength)
      return send(data)
    }
  }

  byProtocol (): Record<string, number> {
    return Object.fromEntries(this.sent)
  }

  totals (): { bytesOut: number, bytesIn: number } {
    let { bytesOut, bytesIn } = this.closed
    for (const s of this.live) { bytesOut += s.bytesWritten; bytesIn += s.bytesRead }
    return { bytesOut, bytesIn }
  }
}

/**
 * What the node does with every raw connection libp2p upgrades (libp2p hands each to the metrics
 * component first): it corks the TCP socket of each for the rest of the event-loop turn in which
 * something is written, so that the frames written in one turn (a Noise length and its ciphertext
 * are two writes already) leave in one system call; and, with NetOptions.countBytes, counts bytes.
 */
class ConnectionTap {
  constructor (private readonly counter?: ByteCounter) {}

  connection (maConn: MultiaddrConnection): void {
    this.counter?.track(maConn)
    // @libp2p/tcp's connections keep their socket here and write through sendData; others (relayed) ride on a TCP one
    const socket = (maConn as { socket?: unknown }).socket
    const conn = maConn as { sendData?: (data: unknown) => unknown }
    if (!(socket instanceof Socket) || typeof conn.sendData !== 'function') return
    const sendData = conn.sendData.bind(maConn)
    let corked = false
    conn.sendData = (data) => {
      if (!corked && !socket.destroyed) {
        corked = true
        socket.cork()
        process.nextTick(() => { corked = false; socket.uncork() })
      }
      return sendData(data)
    }
  }

  stream (stream: Stream): void { this.counter?.trackStream(stream) }
}

/** A libp2p metrics component that only taps connections (ConnectionTap); every metric it hands out is a no-op. */
function tapMetrics (tap: ConnectionTap): Metrics {
  const none = { update () {}, increment () {}, decrement () {}, reset () {}, observe () {}, timer: () => () => {} }
  const register = (): typeof none => none
  return {
    trackMultiaddrConnection: (maConn: MultiaddrConnection) => { tap.connection(maConn) },
    trackProtocolStream: (stream: Stream) => { tap.stream(stream) },
    registerMetric: register,
    registerMetricGroup: register,
    registerCounter: register,
    registerCounterGroup: register,
    registerHistogram: register,
    registerHistogramGroup: register,
    registerSummary: register,
    registerSummaryGroup: register,
    traceFunction: (<F>(_name: string, fn: F): F => fn) as Metrics['traceFunction'],
    createTrace: () => undefined
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
