import type { Command } from 'commander'
import { ContactBook } from '../../core/contacts/book.js'
import type { DaemonStatus } from '../../core/rpc/service.js'
import type { Context } from '../context.js'
import { daemonRunning, withDaemon } from '../daemon-client.js'
import { printJson, table } from '../output.js'

export function registerStatus (program: Command, ctx: () => Context): void {
  program.command('status')
    .description('show this node: home, identity, peer id, store; with a running daemon also addresses, peers, contacts online')
    .option('--json', 'print {"home", "ego", "nick", "peerId", "egos", "schema", "protected", "addrs", "peers", "contacts", "contactsOnline", "rpc"} as JSON')
    .action(async (o: { json?: boolean }) => {
      const c = ctx()
      const s: DaemonStatus = daemonRunning(c.home)
        ? await withDaemon(c.home, async (d) => await d.status())
        : await c.withHome(async (home) => {
          const contacts = new ContactBook(home.store).count()
          return { ...home.status(), addrs: [], peers: 0, contacts, contactsOnline: 0, rpc: null }
        })
      if (o.json === true) {
        printJson(c.io, s)
      } else {
        c.io.out(table([
          ['home', s.home], ['identity', `${s.ego} (${s.nick})`], ['identities', String(s.egos)],
          ['peer id', s.peerId], ['keys', s.protected ? 'passphrase-protected' : 'not passphrase-protected'], ['schema', String(s.schema)],
          ['daemon', s.rpc ?? 'not running'], ['addresses', s.addrs.join(' ') || '-'], ['peers', String(s.peers)],
          ['contacts', `${s.contacts} (${s.contactsOnline} online)`]
        ]))
      }
    })
}
