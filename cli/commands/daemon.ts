import { join } from 'node:path'
import type { Command } from 'commander'
import { loadConfig, parseSize, type ConfigOverrides } from '../../core/daemon/config.js'
import { startDaemon } from '../../core/daemon/daemon.js'
import { initHome, STORE_FILE } from '../../core/home/home.js'
import { Store } from '../../core/store/lmdb.js'
import { SecushareError } from '../../protocol/errors.js'
import type { Context } from '../context.js'

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

interface DaemonFlags { listen?: string[], peer?: string[], rpc?: string, rpcListen?: string, allowRemoteUi?: boolean, uiHost?: string[], webUi: boolean, mdns: boolean, dht?: boolean, relayClient?: boolean, relayServer?: boolean, placeKeyRotation?: string, relayQuota?: string, relayExpiry?: string, json?: boolean, nick?: string }

function daemonOptions (cmd: Command): Command {
  return cmd
    .option('--listen <multiaddr>', 'listen on this libp2p address (repeatable; default /ip4/0.0.0.0/tcp/0)', collect)
    .option('--peer <multiaddr>', 'dial this peer at start, e.g. /ip4/192.0.2.7/tcp/4001/p2p/12D3… (repeatable)', collect)
    .option('--rpc <host:port>', 'JSON-RPC address (default 127.0.0.1:0, a free port)')
    .option('--rpc-listen <host:port>', 'router mode: serve the RPC endpoints for UIs on the LAN here, e.g. 0.0.0.0:8420 (instead of --rpc; needs --allow-remote-ui)')
    .option('--allow-remote-ui', 'allow an RPC address other than loopback (remote UIs pair with `secushare pair`)')
    .option('--ui-host <name>', 'also accept this Host name from remote UIs, e.g. router.lan (repeatable)', collect)
    .option('--no-web-ui', 'do not serve the web UI at http://RPC-ADDRESS/')
    .option('--no-mdns', 'do not discover or announce on the LAN (mDNS)')
    .option('--dht', 'join the Kademlia DHT (to be found beyond the LAN)')
    .option('--relay-client', 'reach and be reached through circuit relays')
    .option('--relay-server', 'act as a circuit relay for others')
    .option('--place-key-rotation <seconds>', 'give the places this node hosts a new key this often (default 604800: 7 days)')
    .option('--relay-quota <size>', 'bytes kept for contacts as their relay: 268435456, 256M, 1G; 0 relays for nobody (default 256M)')
    .option('--relay-expiry <seconds>', 'keep a relayed message at most this long (default 1209600: 14 days)')
    .option('--json', 'print the readiness line as JSON: {"ready", "peerId", "rpc", "addrs", "web"}')
}

/** Runs the daemon until SIGINT/SIGTERM: flags win over HOME/config.json, which wins over defaults. */
async function runDaemon (c: Context, o: DaemonFlags, cmd: Command): Promise<void> {
  // Signal handlers first: a SIGTERM that arrives while starting (or right after the readiness
  // line) must stop the daemon cleanly, not kill it with the default action.
  const stopRequested = new Promise<void>((resolve) => {
    const done = (): void => { process.off('SIGINT', done); process.off('SIGTERM', done); resolve() }
    process.on('SIGINT', done)
    process.on('SIGTERM', done)
  })
  const given = (key: string): boolean => cmd.getOptionValueSource(key) === 'cli'
  const flags: ConfigOverrides = {
    listen: o.listen, peers: o.peer, rpc: o.rpc, rpcListen: o.rpcListen, allowRemoteUi: o.allowRemoteUi, uiHosts: o.uiHost,
    webUi: given('webUi') ? o.webUi : undefined, mdns: given('mdns') ? o.mdns : undefined, dht: o.dht, relayClient: o.relayClient, relayServer: o.relayServer,
    placeKeyRotation: o.placeKeyRotation === undefined ? undefined : Number(o.placeKeyRotation),
    relayQuota: o.relayQuota === undefined ? undefined : parseSize(o.relayQuota),
    relayExpiry: o.relayExpiry === undefined ? undefined : Number(o.relayExpiry)
  }
  if (o.rpc !== undefined && o.rpcListen !== undefined) throw new SecushareError('INVALID_ARGUMENT', 'give --rpc or --rpc-listen, not both')
  const daemon = await startDaemon({
    home: c.home,
    config: loadConfig(c.home, flags),
    passphrase: async () => await c.keystorePassphrase(),
    warn: (line) => { c.io.err(`secushare daemon: ${line}\n`) }
  })
  const ready = { ready: true, peerId: daemon.peerId, rpc: daemon.rpcUrl, addrs: daemon.addrs(), web: daemon.webUrl }
  c.io.out(o.json === true
    ? JSON.stringify(ready) + '\n'
    : `secushare daemon ready: peer ${ready.peerId} rpc ${ready.rpc} listening ${ready.addrs.join(' ')}${ready.web !== null ? ` web ${ready.web}` : ''}\n`)
  await stopRequested
  await daemon.stop()
  c.io.err('secushare daemon stopped\n')
}

export function registerDaemon (program: Command, ctx: () => Context): void {
  daemonOptions(program.command('daemon'))
    .description('run this node in the foreground until SIGINT/SIGTERM (settings: flags, then HOME/config.json, then defaults)')
    .action(async (o: DaemonFlags, cmd: Command) => { await runDaemon(ctx(), o, cmd) })

  daemonOptions(program.command('start'))
    .description('what `npm start` runs: create the node if the home has none (as `init`), then run the daemon')
    .option('--nick <name>', 'when creating the node: the name you show to contacts (default: your login name)')
    .action(async (o: DaemonFlags, cmd: Command) => {
      const c = ctx()
      if (!Store.exists(join(c.home, STORE_FILE))) {
        const r = await initHome(c.home, { nick: o.nick })
        c.io.err(`Created a secushare node in ${c.home}: identity ${r.ego} (${r.nick}), peer ${r.peerId}\n`)
      }
      await runDaemon(c, o, cmd)
    })
}
