/**
 * The daemon: a home's node running — network, contacts and the RPC service — until stopped.
 * Start-up order: lock the home, open the store and keys, start the network, contacts and places, then
 * the RPC server, and only then write `token` and `rpc.json` (so a client that finds rpc.json can
 * connect). Stop reverses it; every resource started is released even when start-up fails.
 */
import { SecushareError } from '../../protocol/errors.js'
import { Contacts } from '../contacts/contacts.js'
import { Home, type PassphraseSource } from '../home/home.js'
import { Names } from '../names/names.js'
import { Places } from '../places/places.js'
import { Profiles } from '../places/profiles.js'
import { Relays } from '../relay/client.js'
import { RelayServer } from '../relay/server.js'
import type { Ego } from '../identity/ego.js'
import { createNetNode, type NetNode } from '../net/node.js'
import { newToken, RPC_SUBPROTOCOL } from '../rpc/auth.js'
import { EventBus } from '../rpc/event-bus.js'
import { wireEvents } from '../rpc/events.js'
import { WEBCHANNEL_SUBPROTOCOL } from '../rpc/webchannel.js'
import { startRpcServer, type RpcServer } from '../rpc/server.js'
import { createService, OWNER_ONLY_METHODS } from '../rpc/service.js'
import { rpcBindAddress, type DaemonConfig } from './config.js'
import { RemoteUi } from '../rpc/remote.js'
import { lockHome, removeRpcFiles, writeRpcFiles } from './files.js'

export interface Daemon {
  readonly peerId: string
  readonly rpcUrl: string
  /** The web UI (http://HOST:PORT/), or null when it is off. */
  readonly webUrl: string | null
  addrs: () => string[]
  stop: () => Promise<void>
}

export interface DaemonOptions {
  home: string
  config: DaemonConfig
  passphrase: PassphraseSource
  /** Where non-fatal problems are reported (a peer from --peer unreachable, ...). */
  warn: (line: string) => void
}

export async function startDaemon (o: DaemonOptions): Promise<Daemon> {
  const rpcAddr = rpcBindAddress(o.config)
  const cleanup: Array<() => Promise<void> | void> = [lockHome(o.home)]
  const stop = async (): Promise<void> => {
    for (const step of cleanup.splice(0).reverse()) {
      try { await step() } catch (e) { o.warn(`while stopping: ${(e as Error).message}`) }
    }
  }
  try {
    const home = await Home.open(o.home, o.passphrase)
    cleanup.push(async () => { await home.close() })
    const egos = new Map<string, Ego>()
    for (const e of home.listEgos()) egos.set(e.ego, await home.ego(e.ego))

    const net: NetNode = await createNetNode({
      peerKey: home.peerKey, listen: o.config.listen, mdns: o.config.mdns, dht: o.config.dht,
      relayClient: o.config.relayClient, relayServer: o.config.relayServer
    })
    await net.start()
    cleanup.push(async () => { await net.stop() })
    const contacts = new Contacts({ sodium: home.sodium, store: home.store, net, egos }, home.defaultEgoId)
    await contacts.start()
    cleanup.push(() => { contacts.stop() })
    const places = new Places({
      sodium: home.sodium, store: home.store, net, egos, defaultEgo: home.defaultEgoId, contacts: contacts.book,
      keyRotationMs: o.config.placeKeyRotation * 1000,
      sealSecret: async (pk, sk) => await home.sealSecret(pk, sk), openSecret: async (pk, sealed) => await home.openSecret(pk, sealed)
    })
    await places.start()
    cleanup.push(() => { places.stop() })
    let relays: Relays | undefined
    const relayServer = new RelayServer({
      store: home.store, net, quotaBytes: o.config.relayQuota, expiryS: o.config.relayExpiry,
      allowed: (peer) => contacts.book.byPeer(peer) !== undefined,
      onRelayList: async (peer, text) => await relays?.onRelayList(peer, text)
    })
    await relayServer.start()
    cleanup.push(() => { relayServer.stop() })
    relays = new Relays({
      sodium: home.sodium, store: home.store, net, egos, defaultEgo: home.defaultEgoId, contacts: contacts.book, places, server: relayServer, expiryS: o.config.relayExpiry
    })
    const relayClient = relays
    await relayClient.start()
    cleanup.push(() => { relayClient.stop() })
    const names = new Names({ sodium: home.sodium, store: home.store, net, egos, defaultEgo: home.defaultEgoId, contacts: contacts.book })
    await names.start()
    const profiles = new Profiles({ store: home.store, net, contacts: contacts.book, self: egos.get(home.defaultEgoId)!, places })
    await profiles.start()
    cleanup.push(() => { profiles.stop() })

    for (const addr of o.config.peers) {
      const peerId = /\/p2p\/([^/]+)$/.exec(addr)?.[1]
      if (peerId === undefined) throw new SecushareError('INVALID_ARGUMENT', `--peer needs a multiaddr ending in /p2p/PEER_ID: ${addr}`)
      net.dial(peerId, [addr.slice(0, -`/p2p/${peerId}`.length)]).catch((e: Error) => { o.warn(`cannot reach ${addr}: ${e.message}`) })
    }

    const token = newToken()
    let rpc: RpcServer | undefined
    const remote = new RemoteUi({ home: o.home })
    const ui = { remote, pairUrls: () => rpc?.pairUrls ?? [], webUrls: () => rpc?.webUrls ?? [], connections: () => rpc?.uiConnections() ?? new Map<string, number>() }
    const service = createService({ home, net, contacts, places, profiles, names, relays: relayClient, rpcUrl: () => rpc?.url ?? '', ui })
    const events = new EventBus()
    cleanup.push(wireEvents({ home, net, contacts, places }, events))
    rpc = await startRpcServer({
      host: rpcAddr.host, port: rpcAddr.port, token, service, events,
      allowedHosts: o.config.uiHosts, uiTokens: remote, ownerOnly: OWNER_ONLY_METHODS, webUi: o.config.webUi,
      onInternalError: (e, method) => { o.warn(`internal error in ${method}: ${(e as Error)?.stack ?? String(e)}`) }
    })
    const server = rpc
    remote.onRevoke = (id) => server.closeUiToken(id)
    cleanup.push(async () => { await server.close() })
    writeRpcFiles(o.home, token, {
      url: server.url, pid: process.pid, peerId: net.peerId, auth: ['bearer', 'subprotocol'], web: server.webUrl,
      endpoints: {
        jsonrpc: { url: server.url, subprotocol: RPC_SUBPROTOCOL, auth: ['bearer', 'subprotocol'] },
        webchannel: { url: server.webchannelUrl, subprotocol: WEBCHANNEL_SUBPROTOCOL, auth: ['bearer', 'subprotocol'] }
      }
    })
    cleanup.push(() => { removeRpcFiles(o.home) })
    return { peerId: net.peerId, rpcUrl: server.url, webUrl: server.webUrl, addrs: () => net.addrs(), stop }
  } catch (e) {
    await stop()
    throw e
  }
}
