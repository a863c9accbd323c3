import type { Command } from 'commander'
import type { RelayInfo } from '../../core/relay/client.js'
import type { Context } from '../context.js'
import { withDaemon } from '../daemon-client.js'
import { printJson } from '../output.js'

const when = (t: number | null): string => t === null ? 'never' : new Date(t).toISOString()
const line = (r: RelayInfo): string => `${r.petname}  ${r.state}  ${r.storedBytes} bytes waiting at last contact  last contact ${when(r.lastContact)}\n`

export function registerRelay (program: Command, ctx: () => Context): void {
  const relay = program.command('relay').description('relays: contacts\' nodes that keep what arrives for you while your node is off; all need the daemon')
  relay.command('use <petname>')
    .description('keep messages for me on this contact\'s node while mine is off (my contacts are told)')
    .option('--json', 'print {"petname", "ego", "peerId", "state", "lastContact", "storedBytes", "fetched"} as JSON')
    .action(async (petname: string, o: { json?: boolean }) => {
      const c = ctx()
      const r = await withDaemon(c.home, async (d) => await d.relayUse({ petname }))
      if (o.json === true) printJson(c.io, r)
      else c.io.out(`using ${r.petname} as a relay\n`)
    })
  relay.command('list')
    .description('the relays I use (state, bytes waiting at last contact, last contact) and what I keep for others')
    .option('--json', 'print {"relays": [{"petname", "ego", "peerId", "state", "lastContact", "storedBytes", "fetched"}], "serving": {"blobs", "bytes", "quotaBytes", "depositors", "refused", "expired"}, "contacts": [{"petname", "relays", "received"}], "members": [{"ego", "relays", "received"}]}')
    .action(async (o: { json?: boolean }) => {
      const c = ctx()
      const r = await withDaemon(c.home, async (d) => await d.relayList())
      if (o.json === true) { printJson(c.io, r); return }
      if (r.relays.length === 0) c.io.out('no relays (add one with `secushare relay use PETNAME`)\n')
      for (const x of r.relays) c.io.out(line(x))
      if (r.serving !== null) c.io.out(`keeping ${r.serving.blobs} blobs, ${r.serving.bytes} of ${r.serving.quotaBytes} bytes, for others\n`)
    })
  relay.command('drop <petname>')
    .description('stop using this contact\'s node as a relay (my contacts are told)')
    .option('--json', 'print the relay as it was, as JSON')
    .action(async (petname: string, o: { json?: boolean }) => {
      const c = ctx()
      const r = await withDaemon(c.home, async (d) => await d.relayDrop({ petname }))
      if (o.json === true) printJson(c.io, r)
      else c.io.out(`no longer using ${r.petname} as a relay\n`)
    })
}
