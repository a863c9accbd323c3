import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import type { Profile } from '../../core/places/profiles.js'
import { SecushareError } from '../../protocol/errors.js'
import type { Context } from '../context.js'
import { withDaemon } from '../daemon-client.js'
import { printJson } from '../output.js'

const human = (p: Profile): string =>
  `${p.petname === 'me' ? 'You' : p.petname}: ${p.nick ?? '(no nick yet)'}\n` +
  (p.description === null ? '' : `  ${p.description}\n`) +
  (p.avatar === null ? '' : `  avatar: ${Buffer.from(p.avatar, 'base64').length} bytes\n`) +
  (p.place === null ? '  (their profile has not reached this node yet)\n' : '')

export function registerProfile (program: Command, ctx: () => Context): void {
  const profile = program.command('profile').description('profiles: what your contacts see of you, and what they show; all need the daemon')
  profile.command('show [petname]', { isDefault: true })
    .description('your profile, or the profile of a contact (kept current through their home place)')
    .option('--json', 'print {"ego", "petname", "nick", "description", "avatar", "place"} as JSON (avatar: base64)')
    .action(async (petname: string | undefined, o: { json?: boolean }) => {
      const c = ctx()
      const r = await withDaemon(c.home, async (d) => await d.profileShow(petname === undefined ? {} : { petname }))
      if (o.json === true) printJson(c.io, r)
      else c.io.out(human(r))
    })
  profile.command('set')
    .description('change what your contacts see of you')
    .option('--nick <name>', 'the name you show')
    .option('--description <text>', 'a few words about you ("" removes it)')
    .option('--avatar <file>', 'a small image file (at most 2048 bytes, e.g. 64×64 WebP)')
    .option('--no-avatar', 'remove your avatar')
    .option('--json', 'print the profile as JSON')
    .action(async (o: { nick?: string, description?: string, avatar?: string | false, json?: boolean }, cmd: Command) => {
      const c = ctx()
      let avatar: string | null | undefined
      if (o.avatar === false) avatar = null
      else if (typeof o.avatar === 'string') {
        try { avatar = readFileSync(o.avatar).toString('base64') } catch (e) { throw new SecushareError('INVALID_ARGUMENT', `cannot read ${o.avatar}: ${(e as Error).message}`) }
      }
      if (cmd.getOptionValueSource('avatar') === 'default') avatar = undefined
      const r = await withDaemon(c.home, async (d) => await d.profileSet({ nick: o.nick, description: o.description, avatar }))
      if (o.json === true) printJson(c.io, r)
      else c.io.out(human(r))
    })
}
