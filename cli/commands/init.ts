import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { initHome } from '../../core/home/home.js'
import { SecushareError } from '../../protocol/errors.js'
import type { Context } from '../context.js'
import { printJson, table } from '../output.js'
import { requirePassphrase } from '../passphrase.js'

export function registerInit (program: Command, ctx: () => Context): void {
  program.command('init')
    .description('create a node in the home: a first identity (ego), a network key, the store')
    .option('--nick <name>', 'the name you show to contacts (default: your login name)')
    .option('--protect', 'protect the keys with a passphrase (asked for, unless --passphrase-file or SECUSHARE_PASSPHRASE gives it)')
    .option('--import <file>', 'make an identity export (from `id export`) this node\'s first identity')
    .option('--export-passphrase-file <file>', 'with --import: file holding the export\'s passphrase (or SECUSHARE_EXPORT_PASSPHRASE)')
    .option('--json', 'print {"ego", "nick", "peerId"} as JSON')
    .action(async (o: { nick?: string, protect?: boolean, import?: string, exportPassphraseFile?: string, json?: boolean }) => {
      const c = ctx()
      const given = c.globals.passphraseFile !== undefined || (process.env.SECUSHARE_PASSPHRASE ?? '') !== ''
      let passphrase: string | undefined
      if (given || o.protect === true) {
        passphrase = await c.keystorePassphrase('New passphrase for this node\'s keys: ', true)
        if (passphrase === undefined) throw new SecushareError('PASSPHRASE_REQUIRED', '--protect needs a passphrase: give --passphrase-file, set SECUSHARE_PASSPHRASE, or run in a terminal')
      }
      let imported: { file: Uint8Array, passphrase: string } | undefined
      if (o.import !== undefined) {
        imported = {
          file: readExport(o.import),
          passphrase: await requirePassphrase({ file: o.exportPassphraseFile, envVar: 'SECUSHARE_EXPORT_PASSPHRASE', prompt: 'Passphrase of the export file: ' }, 'importing an identity')
        }
      }
      const r = await initHome(c.home, { nick: o.nick, passphrase, imported })
      if (o.json === true) {
        printJson(c.io, r)
      } else {
        c.io.out(`Created a secushare node in ${c.home}\n` + table([['identity', r.ego], ['nick', r.nick], ['peer id', r.peerId], ['keys', passphrase === undefined ? 'not passphrase-protected (file mode 0600)' : 'passphrase-protected']]))
      }
    })
}

export function readExport (file: string): Uint8Array {
  try {
    return readFileSync(file)
  } catch (e) {
    throw new SecushareError('FILE_ERROR', `cannot read ${file}: ${(e as Error).message}`)
  }
}
