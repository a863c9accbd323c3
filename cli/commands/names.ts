import type { Command } from 'commander'
import type { IntroductionInfo, ZoneEntryInfo } from '../../core/names/names.js'
import type { Resolved } from '../../core/names/resolver.js'
import type { Context } from '../context.js'
import { withDaemon } from '../daemon-client.js'
import { printJson } from '../output.js'

const TYPES = ['PKEY', 'PLACE', 'NICK', 'RELAY', 'PEER'] as const
type T = typeof TYPES[number]
const upper = (s: string): T => s.toUpperCase() as T

const resolvedLine = (r: Resolved): string => {
  switch (r.type) {
    case 'PKEY': return `PKEY ${r.ego}\n`
    case 'PLACE': return `PLACE ${r.place}  host ${r.hostPeer}${r.addrs.length > 0 ? '  ' + r.addrs.join(' ') : ''}\n`
    case 'NICK': return `NICK ${r.nick}\n`
    default: return `${r.type} ${r.peerId}${r.addrs.length > 0 ? '  ' + r.addrs.join(' ') : ''}\n`
  }
}
const zoneLine = (e: ZoneEntryInfo): string =>
  `${e.label.padEnd(16)} ${e.type.padEnd(5)} ${typeof e.value === 'string' ? e.value : JSON.stringify(e.value)}${e.private ? '  private' : ''}${e.expires === null ? '' : `  until ${new Date(e.expires).toISOString()}`}${e.source === 'contact' ? '  (contact)' : ''}\n`
const introLine = (i: IntroductionInfo): string =>
  `${i.id}  ${i.nick} (${i.fingerprint}) introduced by ${i.from ?? i.introducer.slice(0, 12)}${i.accepted ? '  accepted, waiting for them' : i.peerAccepted ? '  they accepted' : ''}` +
  (i.vouches === undefined ? '' : `  ${i.vouches.count} of your contacts vouch${i.vouches.conflicts.length > 0 ? `; CONFLICT: ${i.vouches.conflicts.map((c) => `${c.petname} calls another key "${c.label}"`).join(', ')}` : ''}`) + '\n'

export function registerNames (program: Command, ctx: () => Context): void {
  program.command('resolve <name>')
    .description('resolve a name such as carol.bob (read right to left: "carol" in the zone of the one you call "bob"); needs the daemon')
    .option('--json', 'print {"type": "PKEY", "ego", "zone", "cached"} or {"type": "PLACE", "place", "hostPeer", "addrs", "relays", "zone", "cached"} as JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      const c = ctx()
      const r = await withDaemon(c.home, async (d) => await d.resolve({ name }))
      if (o.json === true) printJson(c.io, r)
      else c.io.out(resolvedLine(r))
    })

  const zone = program.command('zone').description('your zone: the names you publish to your contacts (records signed by your identity); all need the daemon')
  zone.command('list')
    .description('every record of your zone, your contacts\' PKEY records included')
    .option('--json', 'print [{"label", "type", "value", "private", "expires", "source"}] as JSON')
    .action(async (o: { json?: boolean }) => {
      const c = ctx()
      const list = await withDaemon(c.home, async (d) => await d.zoneList())
      if (o.json === true) printJson(c.io, list)
      else c.io.out(list.length === 0 ? 'Your zone is empty.\n' : list.map(zoneLine).join(''))
    })
  zone.command('set <label> <type> <value>')
    .description('set the record of TYPE under LABEL: PKEY (a contact\'s petname or an ego id), PLACE (a place id or name), NICK (text), PEER or RELAY (a peer id)')
    .option('--private', 'never publish this record (it only works for you)')
    .option('--expires <seconds>', 'the record expires after this many seconds', (s) => Number(s))
    .option('--peer <peerId>', 'PLACE: the host\'s peer id (for a place this node does not know)')
    .option('--addr <multiaddr>', 'PLACE, PEER, RELAY: an address (repeatable)', (a: string, all: string[] = []) => [...all, a])
    .option('--json', 'print the record as JSON')
    .action(async (label: string, type: string, value: string, o: { private?: boolean, expires?: number, peer?: string, addr?: string[], json?: boolean }) => {
      const c = ctx()
      const r = await withDaemon(c.home, async (d) => await d.zoneSet({ label, type: upper(type), value, private: o.private, expiresInSeconds: o.expires, peer: o.peer, addrs: o.addr }))
      if (o.json === true) printJson(c.io, r)
      else c.io.out(zoneLine(r))
    })
  zone.command('delete <label> [type]')
    .description('delete the records you set under LABEL (or only the one of TYPE)')
    .option('--json', 'print the deleted records as JSON')
    .action(async (label: string, type: string | undefined, o: { json?: boolean }) => {
      const c = ctx()
      const r = await withDaemon(c.home, async (d) => await d.zoneDelete({ label, type: type === undefined ? undefined : upper(type) }))
      if (o.json === true) printJson(c.io, r)
      else c.io.out(r.map(zoneLine).join(''))
    })

  const contact = program.commands.find((x) => x.name() === 'contact')!
  contact.command('introduce <petname1> <petname2>')
    .description('introduce two of your contacts to each other (each gets a signed introduction); needs the daemon')
    .option('--json', 'print {"id", "delivered"} as JSON')
    .action(async (petname1: string, petname2: string, o: { json?: boolean }) => {
      const c = ctx()
      const r = await withDaemon(c.home, async (d) => await d.contactIntroduce({ petname1, petname2 }))
      if (o.json === true) printJson(c.io, r)
      else c.io.out(`Introduced ${petname1} and ${petname2} (delivered to ${r.delivered.join(', ')})\n`)
    })
  contact.command('introductions')
    .description('people your contacts introduced to you; accept or ignore each; needs the daemon')
    .option('--vouches', 'also ask your online contacts which of them vouch for each key (and flag conflicts)')
    .option('--json', 'print [{"id", "from", "introducer", "ego", "fingerprint", "nick", "peerId", "received", "accepted", "peerAccepted", "vouches"?}] as JSON')
    .action(async (o: { vouches?: boolean, json?: boolean }) => {
      const c = ctx()
      const list = await withDaemon(c.home, async (d) => await d.contactIntroductions({ vouches: o.vouches }))
      if (o.json === true) printJson(c.io, list)
      else c.io.out(list.length === 0 ? 'No introductions.\n' : list.map(introLine).join(''))
    })
  contact.command('accept <id>')
    .description('accept an introduction: you become contacts once both accepted (a handshake between your nodes, no invite link)')
    .option('--petname <name>', 'what you will call this person (default: from their nick)')
    .option('--json', 'print {"status": "contact", "petname", "ego"} or {"status": "waiting", "ego"} as JSON')
    .action(async (id: string, o: { petname?: string, json?: boolean }) => {
      const c = ctx()
      const r = await withDaemon(c.home, async (d) => await d.contactIntroductionAccept({ id, petname: o.petname }))
      if (o.json === true) printJson(c.io, r)
      else c.io.out(r.status === 'contact' ? `Added ${r.petname}\n` : 'Accepted; you become contacts when they accept too.\n')
    })
  contact.command('ignore <id>')
    .description('drop an introduction')
    .option('--json', 'print {"id"} as JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const c = ctx()
      const r = await withDaemon(c.home, async (d) => await d.contactIntroductionIgnore({ id }))
      if (o.json === true) printJson(c.io, r)
      else c.io.out(`Ignored ${r.id}\n`)
    })
  contact.command('vouches <ego>')
    .description('how many of your online contacts publish this key (common contacts); with --nick, who publishes another key under that name')
    .option('--nick <nick>', 'the name the key claims')
    .option('--json', 'print {"ego", "vouchers", "count", "conflicts"} as JSON')
    .action(async (ego: string, o: { nick?: string, json?: boolean }) => {
      const c = ctx()
      const r = await withDaemon(c.home, async (d) => await d.contactVouches({ ego, nick: o.nick }))
      if (o.json === true) printJson(c.io, r)
      else c.io.out(`${r.count} of your contacts vouch for it${r.count > 0 ? ': ' + r.vouchers.join(', ') : ''}\n${r.conflicts.map((x) => `CONFLICT: ${x.petname} calls ${x.ego} "${x.label}"\n`).join('')}`)
    })
}
