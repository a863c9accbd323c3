import { writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import type { EgoInfo } from '../../core/home/home.js'
import { SecushareError } from '../../protocol/errors.js'
import type { Context } from '../context.js'
import { printJson } from '../output.js'
import { requirePassphrase } from '../passphrase.js'
import { readExport } from './init.js'

const egoLine = (e: EgoInfo): string => `${e.default ? '*' : ' '} ${e.ego}  ${e.fingerprint}  ${e.nick}\n`

export function registerId (program: Command, ctx: () => Context): void {
  const id = program.command('id').description('identities (egos) on this node: list, create, export, import')

  id.command('list')
    .description('list the identities; * marks the default one')
    .option('--json', 'print [{"ego", "nick", "fingerprint", "created", "default"}] as JSON')
    .action(async (o: { json?: boolean }) => {
      const c = ctx()
      const egos = await c.withHome(async (home) => home.listEgos())
      if (o.json === true) printJson(c.io, egos)
      else c.io.out(egos.map(egoLine).join(''))
    })

  id.command('create')
    .description('create another identity on this node')
    .requiredOption('--nick <name>', 'the name this identity shows to contacts')
    .option('--json', 'print {"ego", "nick", "fingerprint", "created", "default"} as JSON')
    .action(async (o: { nick: string, json?: boolean }) => {
      const c = ctx()
      const info = await c.withHome(async (home) => await home.createEgo(o.nick))
      if (o.json === true) printJson(c.io, info)
      else c.io.out(egoLine(info))
    })

  const exportOrigin = (file: string | undefined, confirm: boolean) =>
    ({ file, envVar: 'SECUSHARE_EXPORT_PASSPHRASE', prompt: 'Passphrase for the export file: ', confirm })

  id.command('export <file>')
    .description('write an identity, sealed under a passphrase, to FILE (a backup, or to move it to another node)')
    .option('--ego <id>', 'which identity (default: the default one)')
    .option('--export-passphrase-file <file>', 'file holding the passphrase for the export (or SECUSHARE_EXPORT_PASSPHRASE)')
    .option('--force', 'overwrite FILE if it exists')
    .option('--json', 'print {"ego", "nick", "fingerprint", "file"} as JSON')
    .action(async (file: string, o: { ego?: string, exportPassphraseFile?: string, force?: boolean, json?: boolean }) => {
      const c = ctx()
      const r = await c.withHome(async (home) => {
        const pass = await requirePassphrase(exportOrigin(o.exportPassphraseFile, true), 'exporting an identity')
        return await home.exportEgo(o.ego, pass)
      })
      try {
        writeFileSync(file, r.file, { mode: 0o600, flag: o.force === true ? 'w' : 'wx' })
      } catch (e) {
        const why = (e as NodeJS.ErrnoException).code === 'EEXIST' ? 'it exists (use --force to overwrite)' : (e as Error).message
        throw new SecushareError('FILE_ERROR', `cannot write ${file}: ${why}`)
      }
      if (o.json === true) printJson(c.io, { ego: r.info.ego, nick: r.info.nick, fingerprint: r.info.fingerprint, file })
      else c.io.out(`Exported ${r.info.ego} (${r.info.nick}) to ${file}\n`)
    })

  id.command('import <file>')
    .description('add an identity from an export file to this node')
    .option('--export-passphrase-file <file>', 'file holding the export\'s passphrase (or SECUSHARE_EXPORT_PASSPHRASE)')
    .option('--json', 'print {"ego", "nick", "fingerprint", "created", "default"} as JSON')
    .action(async (file: string, o: { exportPassphraseFile?: string, json?: boolean }) => {
      const c = ctx()
      const bytes = readExport(file)
      const info = await c.withHome(async (home) => {
        const pass = await requirePassphrase(exportOrigin(o.exportPassphraseFile, false), 'importing an identity')
        return await home.importEgo(bytes, pass)
      })
      if (o.json === true) printJson(c.io, info)
      else c.io.out(`Imported ${egoLine(info)}`)
    })
}
