import type { Command } from 'commander'
import type { EntryInfo } from '../../core/places/entries.js'
import type { FeedItem, PlaceInfo } from '../../core/places/places.js'
import { isPlaceAddress } from '../../protocol/place-address.js'
import type { Context } from '../context.js'
import { withDaemon } from '../daemon-client.js'
import { printJson } from '../output.js'

const int = (s: string): number => Number(s)
const placeLine = (p: PlaceInfo): string =>
  `${p.host ? 'H' : ' '} ${p.name.padEnd(20)} ${String(p.members).padStart(3)} members  last ${p.lastId}${p.unread > 0 ? `  (${p.unread} unread)` : ''}${p.closed ? '  closed' : ''}  ${p.place}\n`
const feedLine = (m: FeedItem): string =>
  `${String(m.id).padStart(5)} ${m.replyTo === null ? '' : `↳${m.replyTo} `}${m.authorPetname ?? m.author.slice(0, 12)}: ${m.method === '_converse' || m.method.startsWith('_converse_') ? (m.text ?? '') : `[${m.method}]${m.text === null ? '' : ' ' + m.text}`}\n`

export function registerPlaces (program: Command, ctx: () => Context): void {
  const place = program.command('place').description('places (group chats, forums, feeds): host them, join them; all need the daemon')

  place.command('create <name>')
    .description('make a place; this node is its host')
    .option('--history <policy>', 'what newcomers may read: none, recent (last 50) or all', 'recent')
    .option('--json', 'print {"place", "name", "host", "members", "lastId", "unread", ...} as JSON')
    .action(async (name: string, o: { history: string, json?: boolean }) => {
      const c = ctx()
      const r = await withDaemon(c.home, async (d) => await d.placeCreate({ name, history: o.history as 'none' }))
      if (o.json === true) printJson(c.io, r)
      else c.io.out(`Created ${r.name}: ${r.place}\n`)
    })

  const simple = (cmd: string, desc: string, run: (c: Context, args: string[]) => Promise<unknown>, human: (r: any) => string): void => {
    place.command(cmd).description(desc).option('--json', 'print the result as JSON').action(async (...a: unknown[]) => {
      const c = ctx()
      const opts = a[a.length - 2] as { json?: boolean }
      const r = await run(c, a.slice(0, -2) as string[])
      if (opts.json === true) printJson(c.io, r)
      else c.io.out(human(r))
    })
  }
  simple('invite <place> <petname>', 'invite a contact into a place you host', async (c, [p, n]) => await withDaemon(c.home, async (d) => await d.placeInvite({ place: p!, petname: n! })), (r) => `Invited ${r.petname}\n`)
  simple('remove <place> <petname>', 'eject a member; a new key generation starts that the removed member cannot read', async (c, [p, n]) => await withDaemon(c.home, async (d) => await d.placeRemove({ place: p!, petname: n! })), (r) => `Removed ${r.petname}; the place is now at key generation ${r.generation}\n`)
  simple('close <place>', 'close a place you host: nothing more can be posted', async (c, [p]) => await withDaemon(c.home, async (d) => await d.placeClose({ place: p! })), (r) => `Closed ${r.name}\n`)
  simple('invitations', 'invitations you received', async (c) => await withDaemon(c.home, async (d) => await d.placeInvitations()),
    (r: Array<{ name: string, place: string, from: string | null }>) => r.length === 0 ? 'No invitations.\n' : r.map((i) => `${i.name}  from ${i.from ?? '?'}  ${i.place}\n`).join(''))
  simple('join <place>', 'accept an invitation and enter the place; given a place address (secushare:place/…), ask its host to let you in (you join when it admits you)',
    async (c, [p]) => await withDaemon(c.home, async (d) => isPlaceAddress(p!) ? await d.placeRequest({ address: p! }) : await d.placeJoin({ place: p! })),
    (r) => r.requested === true ? `Asked the host to let you in; you join ${r.place} when it admits you\n` : `Joined ${r.name}\n`)
  simple('address <place>', 'the address of a place, for people you want to let ask for entry', async (c, [p]) => await withDaemon(c.home, async (d) => await d.placeAddress({ place: p! })), (r) => `${r.address}\n`)
  simple('requests <place>', 'entry requests waiting in a place you host', async (c, [p]) => await withDaemon(c.home, async (d) => await d.placeRequests({ place: p! })),
    (r: EntryInfo[]) => r.length === 0 ? 'No entry requests.\n' : r.map((e) => `${e.petname ?? e.ego.slice(0, 16)}  ${e.fingerprint}${e.text === '' ? '' : `  "${e.text}"`}\n`).join(''))
  simple('admit <place> <who>', 'let in someone who asked (WHO: their ego, or its first 8+ hex digits, or a contact\'s petname)', async (c, [p, w]) => await withDaemon(c.home, async (d) => await d.placeAdmit({ place: p!, who: w! })),
    (r) => r.delivered === true ? `Admitted ${r.ego.slice(0, 16)}\n` : `Admitted ${r.ego.slice(0, 16)}; their node is unreachable now, they get the invitation when they ask again\n`)
  simple('refuse <place> <who>', 'turn down an entry request', async (c, [p, w]) => await withDaemon(c.home, async (d) => await d.placeRefuse({ place: p!, who: w! })), (r) => `Refused ${r.ego.slice(0, 16)}\n`)
  simple('leave <place>', 'leave a place (you stop receiving it)', async (c, [p]) => await withDaemon(c.home, async (d) => await d.placeLeave({ place: p! })), (r) => `Left ${r.name}\n`)
  simple('list', 'the places you host (H) or are in', async (c) => await withDaemon(c.home, async (d) => await d.placeList()),
    (r: PlaceInfo[]) => r.length === 0 ? 'No places yet: `secushare place create NAME`.\n' : r.map(placeLine).join(''))
  simple('state <place>', 'the place\'s state variables (_name, _topic, ...)', async (c, [p]) => await withDaemon(c.home, async (d) => await d.placeState({ place: p! })),
    (r: Record<string, unknown>) => Object.entries(r).map(([k, v]) => `${k}  ${typeof v === 'string' ? v : JSON.stringify(v)}\n`).join(''))
  simple('set <place> <name> <value>', 'set a state variable of a place you host (e.g. _topic)', async (c, [p, n, v]) => await withDaemon(c.home, async (d) => await d.placeSet({ place: p!, name: n!, value: v! })), (r) => `Set (message ${r.id})\n`)

  program.command('post <place> <text>')
    .description('post in a place; prints the id the host assigned, or "pending" while the host is unreachable (delivered later)')
    .option('--reply <id>', 'reply to that message (threads under it)', int)
    .option('--json', 'print {"id", "pending"} as JSON (and "delivery" when pending)')
    .action(async (p: string, text: string, o: { reply?: number, json?: boolean }) => {
      const c = ctx()
      const r = await withDaemon(c.home, async (d) => await d.post({ place: p, text, replyTo: o.reply }))
      if (o.json === true) printJson(c.io, r)
      else c.io.out(r.pending ? `pending (the host is unreachable; it will be delivered${r.delivery.state === 'relayed' ? `; it waits on ${r.delivery.relays.join(', ')}` : ''})\n` : `${r.id}\n`)
    })

  program.command('feed <place>')
    .description('read a place, oldest first')
    .option('--since <id>', 'only messages after this id', int)
    .option('--limit <n>', 'at most this many (default 50: the latest, or the first after --since)', int)
    .option('--follow', 'keep printing new messages until interrupted')
    .option('--json', 'print [{"id", "author", "authorPetname", "method", "text", "replyTo", "thread", "time"}] as JSON')
    .action(async (p: string, o: { since?: number, limit?: number, follow?: boolean, json?: boolean }) => {
      const c = ctx()
      let since = o.since
      for (;;) {
        const items = await withDaemon(c.home, async (d) => await d.feed({ place: p, since, limit: o.limit }))
        if (o.json === true && o.follow !== true) printJson(c.io, items)
        else for (const m of items) c.io.out(o.json === true ? JSON.stringify(m) + '\n' : feedLine(m))
        if (o.follow !== true) return
        since = items.length > 0 ? items[items.length - 1]!.id : since ?? 0
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }
    })

  const dm = program.command('dm').description('private 1:1 conversations with a contact: `dm PETNAME TEXT` sends, `dm feed PETNAME` reads')
  dm.command('send <petname> <text>', { isDefault: true })
    .description('send TEXT to a contact (`dm PETNAME TEXT` for short); "pending" while their node is unreachable')
    .option('--json', 'print {"id", "pending", "place"} as JSON')
    .action(async (petname: string, text: string, o: { json?: boolean }) => {
      const c = ctx()
      const r = await withDaemon(c.home, async (d) => await d.dmSend({ petname, text }))
      if (o.json === true) printJson(c.io, r)
      else c.io.out(r.pending ? 'pending\n' : `${r.id}\n`)
    })
  dm.command('feed <petname>')
    .description('read your conversation with a contact (same JSON as `feed`)')
    .option('--since <id>', 'only messages after this id', int)
    .option('--limit <n>', 'at most this many', int)
    .option('--json', 'print the messages as JSON')
    .action(async (petname: string, o: { since?: number, limit?: number, json?: boolean }) => {
      const c = ctx()
      const items = await withDaemon(c.home, async (d) => await d.dmFeed({ petname, since: o.since, limit: o.limit }))
      if (o.json === true) printJson(c.io, items)
      else c.io.out(items.map(feedLine).join(''))
    })
}
