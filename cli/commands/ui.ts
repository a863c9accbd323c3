/**
 * Remote UIs (router mode, docs/rpc.md "Remote UIs"): `pair` asks the running daemon for a
 * one-time pairing code, `ui-tokens list|revoke` manages the tokens UIs obtained with one.
 */
import type { Command } from 'commander'
import { PAIR_TTL_DEFAULT_S, PAIR_TTL_MAX_S, PAIR_TTL_MIN_S } from '../../protocol/limits.js'
import { SecushareError } from '../../protocol/errors.js'
import type { Context } from '../context.js'
import { withDaemon } from '../daemon-client.js'
import { printJson, table } from '../output.js'
import { terminalQr } from '../qr.js'

function seconds (text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  // a usage error, checked here: the daemon answers LIMIT_EXCEEDED past PAIR_TTL_MAX_S
  if (!/^\d{1,7}$/.test(text) || Number(text) < PAIR_TTL_MIN_S || Number(text) > PAIR_TTL_MAX_S) {
    throw new SecushareError('INVALID_ARGUMENT', `--ttl takes whole seconds from ${PAIR_TTL_MIN_S} to ${PAIR_TTL_MAX_S}, not ${JSON.stringify(text)}`)
  }
  return Number(text)
}

export function registerUi (program: Command, ctx: () => Context): void {
  program.command('pair')
    .description('print a one-time pairing code (and QR) from which a UI (the Qt shell on the LAN, or the web UI in a browser) gets its own revocable token')
    .option('--ttl <seconds>', `how long the code stays valid (default ${PAIR_TTL_DEFAULT_S})`)
    .option('--name <name>', 'name of the UI token it will create (default "ui")')
    .option('--json', 'print {"code", "expires", "name", "urls", "web"} as JSON')
    .action(async (o: { ttl?: string, name?: string, json?: boolean }) => {
      const c = ctx()
      const ttlSeconds = seconds(o.ttl)
      const r = await withDaemon(c.home, async (d) => await d.pairCreate({
        ...(ttlSeconds !== undefined ? { ttlSeconds } : {}), ...(o.name !== undefined ? { name: o.name } : {})
      }))
      if (o.json === true) {
        printJson(c.io, r)
        return
      }
      c.io.out(table([['pairing code', r.code], ['valid until', new Date(r.expires).toISOString()], ['token name', r.name], ['pair at', r.urls.join(' ') || '(the daemon listens on loopback only)'], ['web UI', r.web.join(' ') || '(off: --no-web-ui)']]))
      c.io.out(await terminalQr(JSON.stringify({ secusharePair: 1, code: r.code, urls: r.urls })))
    })

  const tokens = program.command('ui-tokens').description('list or revoke the tokens of paired remote UIs')
  tokens.command('list')
    .description('list the UI tokens (never the secrets) and their open connections')
    .option('--json', 'print [{"id", "name", "created", "connections"}] as JSON')
    .action(async (o: { json?: boolean }) => {
      const c = ctx()
      const list = await withDaemon(c.home, async (d) => await d.uiTokenList())
      if (o.json === true) {
        printJson(c.io, list)
        return
      }
      if (list.length === 0) c.io.out('no UI tokens\n')
      else c.io.out(table(list.map((t) => [t.id, `${t.name}  created ${new Date(t.created).toISOString()}  ${t.connections} connected`])))
    })
  tokens.command('revoke <id>')
    .description('delete a UI token; its open connections are closed')
    .option('--json', 'print {"id", "name", "created", "closed"} as JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const c = ctx()
      const r = await withDaemon(c.home, async (d) => await d.uiTokenRevoke({ id }))
      if (o.json === true) printJson(c.io, r)
      else c.io.out(`revoked UI token ${r.id} (${r.name}); closed ${r.closed} connection(s)\n`)
    })
}
