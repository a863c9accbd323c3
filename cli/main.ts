/**
 * The `secushare` command line. Commands and their `--json` fields and exit codes are a contract
 * (README "Command line"); extend, never rename.
 */
import { Command, CommanderError } from 'commander'
import { registerContacts } from './commands/contacts.js'
import { registerDaemon } from './commands/daemon.js'
import { registerId } from './commands/id.js'
import { registerInit } from './commands/init.js'
import { registerNames } from './commands/names.js'
import { registerPlaces } from './commands/places.js'
import { registerProfile } from './commands/profile.js'
import { registerRelay } from './commands/relay.js'
import { registerStatus } from './commands/status.js'
import { registerUi } from './commands/ui.js'
import { Context, type GlobalOptions } from './context.js'
import { EXIT_OK, EXIT_USAGE, printError, processIo, type Io } from './output.js'

export function buildProgram (io: Io): { program: Command, json: () => boolean } {
  const program = new Command('secushare')
  let ctx: Context | undefined
  let json = false
  const context = (): Context => {
    ctx ??= new Context(io, program.opts<GlobalOptions>())
    return ctx
  }
  program
    .description('secushare: private social networking with no servers to trust')
    .version('0.1.0')
    .option('--home <dir>', 'the node\'s home directory (env SECUSHARE_HOME; default $XDG_DATA_HOME/secushare)')
    .option('--passphrase-file <file>', 'file whose first line is the passphrase of the node\'s keys (or env SECUSHARE_PASSPHRASE)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .hook('preAction', (_root, action) => { json = action.opts().json === true })
  registerInit(program, context)
  registerStatus(program, context)
  registerId(program, context)
  registerDaemon(program, context)
  registerContacts(program, context)
  registerPlaces(program, context)
  registerProfile(program, context)
  registerNames(program, context)
  registerRelay(program, context)
  registerUi(program, context)
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)]
  for (const cmd of all(program)) cmd.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err })
  return { program, json: () => json }
}

/** Runs one command line; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function main (argv: string[], io: Io = processIo): Promise<number> {
  const { program, json } = buildProgram(io)
  if (argv.length === 0) {
    program.outputHelp()
    return EXIT_USAGE
  }
  try {
    await program.parseAsync(argv, { from: 'user' })
    return EXIT_OK
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT_OK
      return EXIT_USAGE
    }
    return printError(io, e, json())
  }
}
