import type { Command } from 'commander'
import type { ContactInfo } from '../../core/contacts/contacts.js'
import { ContactBook } from '../../core/contacts/book.js'
import { egoIdOf } from '../../core/identity/ego.js'
import { fingerprint } from '../../core/identity/fingerprint.js'
import type { Context } from '../context.js'
import { daemonRunning, withDaemon } from '../daemon-client.js'
import { printJson } from '../output.js'
import { terminalQr } from '../qr.js'

const contactLine = (c: ContactInfo): string =>
  `${c.online ? '●' : '○'} ${c.petname.padEnd(16)} ${c.fingerprint}  ${c.nick}${c.online ? '' : c.lastSeen === null ? '' : `  (last seen ${new Date(c.lastSeen).toISOString()})`}\n`

export function registerContacts (program: Command, ctx: () => Context): void {
  program.command('invite')
    .description('make a one-time invite link (and QR code) for someone to become your contact; needs the daemon')
    .option('--ttl <seconds>', 'how long the invite is valid (default 7 days)', (s) => Number(s))
    .option('--json', 'print {"link", "expires", "ego", "peerId", "addrs"} as JSON')
    .action(async (o: { ttl?: number, json?: boolean }) => {
      const c = ctx()
      const inv = await withDaemon(c.home, async (d) => await d.inviteCreate({ ttlSeconds: o.ttl }))
      if (o.json === true) {
        printJson(c.io, inv)
        return
      }
      c.io.out(`${inv.link}\n\n${await terminalQr(inv.link)}\nValid once, until ${new Date(inv.expires * 1000).toISOString()}.\n` +
        'Give it only to the person you mean: they run `secushare contact add LINK --petname NAME`.\n')
    })

  const contact = program.command('contact').description('your contacts: add, list, rename, remove; introductions and common contacts')

  contact.command('add <link>')
    .description('accept an invite link: becomes a contact on both sides; needs the daemon')
    .requiredOption('--petname <name>', 'what you call this person (unique among your contacts; no dots or spaces)')
    .option('--json', 'print {"petname", "ego", "fingerprint", "nick", "online", "peerId", "lastSeen"} as JSON')
    .action(async (link: string, o: { petname: string, json?: boolean }) => {
      const c = ctx()
      const added = await withDaemon(c.home, async (d) => await d.contactAdd({ link, petname: o.petname }))
      if (o.json === true) printJson(c.io, added)
      else c.io.out(`Added ${added.petname} (${added.nick}), fingerprint ${added.fingerprint}\n`)
    })

  contact.command('list')
    .description('list your contacts (● online); works without a daemon, then everyone shows offline')
    .option('--json', 'print [{"petname", "ego", "fingerprint", "nick", "online", "peerId", "lastSeen"}] as JSON')
    .action(async (o: { json?: boolean }) => {
      const c = ctx()
      const list = daemonRunning(c.home)
        ? await withDaemon(c.home, async (d) => await d.contactList())
        : await c.withHome(async (home) => new ContactBook(home.store).list().map((r): ContactInfo => ({
          petname: r.petname, ego: egoIdOf(r.ego), fingerprint: fingerprint(home.sodium, r.ego), nick: r.nick, online: false, peerId: r.peerId, lastSeen: r.lastSeen
        })).sort((a, b) => a.petname.localeCompare(b.petname)))
      if (o.json === true) printJson(c.io, list)
      else c.io.out(list.length === 0 ? 'No contacts yet: make an invite with `secushare invite`.\n' : list.map(contactLine).join(''))
    })

  contact.command('rename <petname> <newPetname>')
    .description('give a contact another petname; needs the daemon')
    .option('--json', 'print the contact as JSON')
    .action(async (petname: string, newPetname: string, o: { json?: boolean }) => {
      const c = ctx()
      const r = await withDaemon(c.home, async (d) => await d.contactRename({ petname, newPetname }))
      if (o.json === true) printJson(c.io, r)
      else c.io.out(`${petname} is now ${r.petname}\n`)
    })

  contact.command('remove <petname>')
    .description('forget a contact; needs the daemon')
    .option('--json', 'print the removed contact as JSON')
    .action(async (petname: string, o: { json?: boolean }) => {
      const c = ctx()
      const r = await withDaemon(c.home, async (d) => await d.contactRemove({ petname }))
      if (o.json === true) printJson(c.io, r)
      else c.io.out(`Removed ${r.petname}\n`)
    })

  program.command('nearby')
    .description('secushare nodes found on the LAN that are not your contacts (never trusted automatically); needs the daemon')
    .option('--json', 'print [{"peerId", "addrs", "lastSeen"}] as JSON')
    .action(async (o: { json?: boolean }) => {
      const c = ctx()
      const list = await withDaemon(c.home, async (d) => await d.nearbyList())
      if (o.json === true) printJson(c.io, list)
      else c.io.out(list.length === 0 ? 'Nobody new nearby.\n' : list.map((p) => `${p.peerId}  ${p.addrs.join(' ')}\n`).join(''))
    })
}
