import assert from 'node:assert/strict'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createNetNode } from '../core/net/node.js'
import { generatePeerKey } from '../core/net/peer-key.js'
import { connectRpc } from '../core/rpc/client.js'
import { CONTACT_PROTOCOL, decodeContactAnswer, encodeContactRequest } from '../protocol/contact.js'
import { isSecushareError } from '../protocol/errors.js'
import { decodeInvite, encodeInvite } from '../protocol/invite.js'
import { cli } from './support/cli.js'
import { eventually, startDaemonProcess, type RunningDaemon } from './support/daemon.js'
import { tempDir } from './support/tmp.js'

describe('daemon and contacts (two and three nodes on 127.0.0.1)', function () {
  this.timeout(120_000)
  const root = tempDir()
  const A = join(root, 'a')
  const B = join(root, 'b')
  const C = join(root, 'c')
  let a: RunningDaemon
  let b: RunningDaemon
  let c: RunningDaemon
  const contacts = (home: string): any[] => cli(['--home', home, 'contact', 'list', '--json']).json
  const online = (home: string, petname: string): boolean => contacts(home)?.find((x) => x.petname === petname)?.online === true

  before(async () => {
    for (const [home, nick] of [[A, 'alice'], [B, 'bob'], [C, 'carol']] as const) {
      assert.equal(cli(['--home', home, 'init', '--nick', nick]).code, 0)
    }
    ;[a, b, c] = await Promise.all([startDaemonProcess(A), startDaemonProcess(B), startDaemonProcess(C)])
  })
  after(async () => { await Promise.all([a, b, c].map(async (d) => await d?.stop())) })

  it('commands that need a daemon say so when none runs', () => {
    const r = cli(['--home', join(root, 'x'), 'init'])
    assert.equal(r.code, 0)
    const i = cli(['--home', join(root, 'x'), 'invite', '--json'])
    assert.equal(i.code, 1)
    assert.equal(i.json.error.code, 'DAEMON_NOT_RUNNING')
    assert.match(i.stderr, /secushare --home .* daemon/)
    const s = cli(['--home', join(root, 'x'), 'status', '--json'])
    assert.equal(s.code, 0)
    assert.equal(s.json.rpc, null)
    assert.deepEqual(s.json.addrs, [])
  })

  it('writes rpc.json and a 0600 token, and refuses a second daemon on the same home', async () => {
    const info = JSON.parse(readFileSync(join(A, 'rpc.json'), 'utf8'))
    assert.equal(info.url, a.ready.rpc)
    assert.match(info.url, /^ws:\/\/127\.0\.0\.1:\d+\/rpc$/)
    assert.equal(info.pid, a.proc.pid)
    assert.equal(info.peerId, a.ready.peerId)
    assert.match(readFileSync(join(A, 'token'), 'utf8'), /^[0-9a-f]{64}\n$/)
    assert.equal(statSync(join(A, 'token')).mode & 0o777, 0o600)
    await assert.rejects(startDaemonProcess(A), /DAEMON_RUNNING/)
  })

  it('RPC without the token or with a wrong one is refused', async () => {
    await assert.rejects(connectRpc(a.ready.rpc, 'f'.repeat(64)), (e: unknown) => isSecushareError(e, 'RPC_UNAUTHORIZED'))
    await assert.rejects(connectRpc(a.ready.rpc, ''), (e: unknown) => isSecushareError(e, 'RPC_UNAUTHORIZED'))
  })

  it('invite on A, contact add on B: both list each other online within 5 s', async () => {
    const inv = cli(['--home', A, 'invite', '--json'])
    assert.equal(inv.code, 0, inv.stderr)
    assert.match(inv.json.link, /^secushare:invite\//)
    const added = cli(['--home', B, 'contact', 'add', inv.json.link, '--petname', 'alice', '--json'])
    assert.equal(added.code, 0, added.stderr)
    assert.equal(added.json.petname, 'alice')
    assert.equal(added.json.nick, 'alice')
    assert.equal(added.json.ego, cli(['--home', A, 'status', '--json']).json.ego)
    assert.ok(await eventually(() => online(B, 'alice') && online(A, 'bob'), 5000), 'both online within 5 s')
    const fromA = contacts(A)
    assert.equal(fromA.length, 1)
    assert.equal(fromA[0].petname, 'bob', 'the inviter names the contact by its nick')
    assert.match(fromA[0].fingerprint, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/)
    const s = cli(['--home', A, 'status', '--json']).json
    assert.equal(s.rpc, a.ready.rpc)
    assert.ok(s.addrs.length > 0 && s.addrs.every((x: string) => x.startsWith('/ip4/127.0.0.1/tcp/')))
    assert.ok(s.peers >= 1)
    assert.equal(s.contacts, 1)
    assert.equal(s.contactsOnline, 1)
  })

  it('a used invite, a wrong secret, an expired invite and a garbage link are refused; nothing is stored', async () => {
    const inv = cli(['--home', A, 'invite', '--json']).json.link
    assert.equal(cli(['--home', B, 'contact', 'add', inv, '--petname', 'again', '--json']).json.error.code, 'CONTACT_EXISTS')

    const used = cli(['--home', A, 'invite', '--json']).json.link
    assert.equal(cli(['--home', C, 'contact', 'add', used, '--petname', 'alice', '--json']).code, 0)
    const replay = cli(['--home', C, 'contact', 'remove', 'alice'])
    assert.equal(replay.code, 0)
    const again = cli(['--home', C, 'contact', 'add', used, '--petname', 'alice', '--json'])
    assert.equal(again.code, 1)
    assert.equal(again.json.error.code, 'INVITE_REFUSED', 'a used invite is refused')

    const fresh = decodeInvite(cli(['--home', A, 'invite', '--json']).json.link)
    const wrongSecret = encodeInvite({ ...fresh, secret: new Uint8Array(16).fill(7) })
    assert.equal(cli(['--home', C, 'contact', 'add', wrongSecret, '--petname', 'alice', '--json']).json.error.code, 'INVITE_REFUSED')

    const short = decodeInvite(cli(['--home', A, 'invite', '--ttl', '1', '--json']).json.link)
    assert.ok(await eventually(() => Date.now() > short.expires * 1000 + 50, 3000))
    assert.equal(cli(['--home', C, 'contact', 'add', encodeInvite(short), '--petname', 'alice', '--json']).json.error.code, 'INVITE_EXPIRED')
    const stretched = encodeInvite({ ...short, expires: short.expires + 3600 }) // the inviter's own record decides
    assert.equal(cli(['--home', C, 'contact', 'add', stretched, '--petname', 'alice', '--json']).json.error.code, 'INVITE_EXPIRED')

    for (const junk of ['hello', 'secushare:invite/', 'secushare:invite/AAAA', 'secushare:invite/' + 'A'.repeat(5000)]) {
      const r = cli(['--home', C, 'contact', 'add', junk, '--petname', 'alice', '--json'])
      assert.equal(r.code, 1)
      assert.ok(['INVITE_INVALID', 'LIMIT_EXCEEDED', 'INVALID_ARGUMENT'].includes(r.json.error.code), r.stdout)
    }
    assert.deepEqual(contacts(C), [])
    assert.deepEqual(contacts(A).map((x) => x.petname), ['bob', 'carol'], 'A stored nobody from the refused attempts')
  })

  it('after restarting B, A and B reconnect by themselves', async () => {
    assert.equal(await b.stop(), 0, 'clean exit on SIGTERM')
    assert.ok(!existsSync(join(B, 'rpc.json')), 'rpc.json removed on stop')
    assert.ok(await eventually(() => !online(A, 'bob'), 10_000))
    b = await startDaemonProcess(B)
    assert.ok(await eventually(() => online(B, 'alice') && online(A, 'bob'), 15_000), 'reconnected')
  })

  it('a peer speaking junk on the contact protocol gets nothing, is banned after repeated junk, and the daemon keeps serving', async () => {
    const stranger = await createNetNode({ peerKey: await generatePeerKey(), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false, relayClient: false, relayServer: false })
    await stranger.start()
    try {
      const addrs = a.ready.addrs.map((x) => x.replace(/\/p2p\/[^/]+$/, ''))
      // a guessed invite first (a refusal weighs a third), then three bad frames: the last one bans
      const junk = [encodeContactRequest({ inviteId: new Uint8Array(16), ego: new Uint8Array(32).fill(9), nick: 'eve', mac: new Uint8Array(32), signature: new Uint8Array(64) }),
        Buffer.from('hello'), new Uint8Array(0), new Uint8Array(5000).fill(0x41)]
      for (const frame of junk) {
        const s = await stranger.openStream(a.ready.peerId, addrs, CONTACT_PROTOCOL)
        await s.write(frame).catch(() => {})
        const answer = await s.read(4096, 5000).then((b) => decodeContactAnswer(b), () => undefined)
        if (answer !== undefined) {
          assert.equal(answer.accepted, false, 'never accepted')
          if (!answer.accepted) assert.equal(answer.refusal.code, 'INVITE_REFUSED')
        }
        s.abort('done')
      }
      // PEER_OFFENCES_BEFORE_BAN offences: hung up on, and refused while banned (docs/penalties.md)
      assert.ok(await eventually(() => !stranger.isConnected(a.ready.peerId), 5000), 'hung up on')
      await assert.rejects(stranger.openStream(a.ready.peerId, addrs, CONTACT_PROTOCOL), (e: unknown) => isSecushareError(e, 'PEER_UNREACHABLE'))
    } finally {
      await stranger.stop()
    }
    assert.equal(cli(['--home', A, 'status', '--json']).json.contacts, 2, 'still serving, nobody added')
    assert.ok(await eventually(() => online(A, 'bob'), 5000))
  })

  it('rename and remove', () => {
    const r = cli(['--home', A, 'contact', 'rename', 'bob', 'bobby', '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.petname, 'bobby')
    assert.equal(cli(['--home', A, 'contact', 'rename', 'nobody', 'x', '--json']).json.error.code, 'CONTACT_NOT_FOUND')
    assert.equal(cli(['--home', A, 'contact', 'rename', 'bobby', 'with.dot', '--json']).code, 2)
    assert.equal(cli(['--home', C, 'contact', 'remove', 'nobody', '--json']).json.error.code, 'CONTACT_NOT_FOUND')
  })

  it('`start` creates the node when the home has none; --peer dials at start; `invite` shows a QR code', async () => {
    const E = join(root, 'e')
    const e = await startDaemonProcess(E, ['--no-mdns', '--nick', 'erin', '--peer', a.ready.addrs[0]!], {}, 'start')
    try {
      assert.match(e.stderr(), /Created a secushare node/)
      assert.equal(cli(['--home', E, 'status', '--json']).json.nick, 'erin')
      assert.ok(await eventually(() => cli(['--home', E, 'status', '--json']).json.peers >= 1, 10_000), 'dialled the --peer')
      const human = cli(['--home', E, 'invite'])
      assert.equal(human.code, 0, human.stderr)
      assert.match(human.stdout, /^secushare:invite\/[A-Za-z0-9_-]+$/m)
      assert.match(human.stdout, /[▀▄█]/, 'a QR code drawn with block characters')
    } finally {
      assert.equal(await e.stop(), 0, e.stderr())
    }
    const again = await startDaemonProcess(E, ['--no-mdns'], {}, 'start')
    assert.doesNotMatch(again.stderr(), /Created/)
    assert.equal(await again.stop(), 0, again.stderr())
  })

  it('reads HOME/config.json, and refuses an invalid one clearly', async () => {
    const D = join(root, 'd')
    assert.equal(cli(['--home', D, 'init']).code, 0)
    writeFileSync(join(D, 'config.json'), JSON.stringify({ mdns: false, listen: ['/ip4/127.0.0.1/tcp/0'], relayServer: true }))
    const d = await startDaemonProcess(D, [])
    assert.equal(await d.stop(), 0)
    writeFileSync(join(D, 'config.json'), JSON.stringify({ mdsn: false }))
    const bad = cli(['--home', D, 'daemon', '--json'])
    assert.equal(bad.code, 1)
    assert.equal(bad.json.error.code, 'CONFIG_INVALID')
    assert.match(bad.stderr, /config\.json/)
  })
})
