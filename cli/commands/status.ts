import type { Command } from 'commander'
import type { Context } from '../context.js'
import { printJson, table } from '../output.js'

export function registerStatus (program: Command, ctx: () => Context): void {
  program.command('status')
    .description('show this node: home, identity, peer id, store')
    .option('--json', 'print {"home", "ego", "nick", "peerId", "egos", "schema", "protected"} as JSON')
    .action(async (o: { json?: boolean }) => {
      const c = ctx()
      const s = await c.withHome(async (home) => home.status())
      if (o.json === true) {
        printJson(c.io, s)
      } else {
        c.io.out(table([
          ['home', s.home], ['identity', `${s.ego} (${s.nick})`], ['identities', String(s.egos)],
          ['peer id', s.peerId], ['keys', s.protected ? 'passphrase-protected' : 'not passphrase-protected'], ['schema', String(s.schema)]
        ]))
      }
    })
}
