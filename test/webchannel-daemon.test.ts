import assert from 'node:assert/strict'
import { join } from 'node:path'
import { readRpcFiles } from '../core/daemon/files.js'
import { connectRpc, type RpcClient } from '../core/rpc/client.js'
import type { Service } from '../core/rpc/service.js'
import { connectWebChannel, type WebChannelClient } from '../core/rpc/webchannel-client.js'
import { MessageType, WEBCHANNEL_SUBPROTOCOL } from '../core/rpc/webchannel.js'
import { MAX_REACTION_BYTES, MAX_RPC_MESSAGE_BYTES } from '../protocol/limits.js'
import { isSecushareError } from '../protocol/errors.js'
import { WebSocket } from 'ws'
import { cli } from './support/cli.js'
import { eventually, startDaemonProcess, type RunningDaemon } from './support/daemon.js'
import { tempDir } from './support/tmp.js'

describe('a daemon driven through the npm qwebchannel client over ws (127.0.0.1)', function () {
  this.timeout(300_000)
  const root = tempDir()
  const A = join(root, 'a')
  const B = join(root, 'b')
  const d: Record<string, RunningDaemon> = {}
  let ui: WebChannelClient
  let bob: RpcClient<Service>
  const bobEvents: Array<[string, any]> = []

  before(async () => {
    for (const [h, nick] of [[A, 'alice'], [B, 'bob']] as const) assert.equal(cli(['--home', h, 'init', '--nick', nick]).code, 0)
    d.a = await startDaemonProcess(A)
    d.b = await startDaemonProcess(B)
    const link = cli(['--home', A, 'invite', '--json']).json.link
    assert.equal(cli(['--home', B, 'contact', 'add', link, '--petname', 'alice', '--json']).code, 0)
    const a = readRpcFiles(A)
    assert.equal(a.info.endpoints?.webchannel.subprotocol, WEBCHANNEL_SUBPROTOCOL)
    ui = await connectWebChannel(a.info.endpoints!.webchannel.url, a.token, 'subprotocol')
    const b = readRpcFiles(B)
    bob = await connectRpc<Service>(b.info.url, b.token, { onNotification: (m, p) => { bobEvents.push([m, p]) } })
  })
  after(async () => {
    await ui?.close()
    await bob?.close()
    await Promise.all(Object.values(d).map(async (x) => await x.stop()))
  })

  it('calls methods, and gets signals and property updates for a post made by another node', async () => {
    const svc = ui.objects.secushare
    const node = ui.objects.node
    const signals: Array<[string, any]> = []
    for (const name of ['message', 'syncProgress', 'placeCreated', 'contactOffline']) svc[name].connect((p: unknown) => { signals.push([name, p]) })
    const unreadSeen: number[] = []
    node.unreadChanged.connect((n: number) => { unreadSeen.push(n) })

    const status = await svc.status()
    assert.equal(status.contacts, 1)
    assert.ok(await eventually(() => node.contacts === 1 && node.peers >= 1, 10_000), 'status properties follow the node')
    const garden = await svc.placeCreate({ name: 'garden' })
    assert.match(garden.place, /^[0-9a-f]{64}$/)
    assert.ok(await eventually(() => signals.some(([n, p]) => n === 'placeCreated' && p.place === garden.place), 5000))
    assert.ok(await eventually(() => node.places === 1, 5000), 'the places property follows (home places are not counted)')
    const contacts = await svc.contactList()
    await svc.placeInvite({ place: garden.place, petname: contacts[0].petname })

    await bob.call.subscribe({ events: ['invitation', 'message'] })
    assert.ok(await eventually(async () => (await bob.call.placeInvitations()).some((i) => i.place === garden.place), 10_000))
    await bob.call.placeJoin({ place: garden.place })
    const posted = await bob.call.post({ place: garden.place, text: 'hello from bob' })
    assert.equal(posted.pending, false)

    assert.ok(await eventually(() => signals.some(([n, p]) => n === 'message' && p.place === garden.place && p.id === posted.id), 10_000), 'message signal')
    // the signal after `message` in the same event: its frame may still be on its way
    assert.ok(await eventually(() => signals.some(([n, p]) => n === 'syncProgress' && p.place === garden.place && p.lastId >= (posted.id ?? Infinity)), 5000), 'syncProgress signal')
    assert.ok(await eventually(() => unreadSeen.length > 0 && node.unreadByPlace[garden.place] >= 1, 5000), 'unread property update')
    const feed = await svc.feed({ place: garden.place })
    assert.ok(feed.some((m: any) => m.id === posted.id && m.text === 'hello from bob'))
    assert.ok(await eventually(() => node.unread === 0, 5000), 'reading the feed lowers unread')
    // bob's notification travels on his own socket, unordered with alice's signals above
    assert.ok(await eventually(() => bobEvents.some(([m, p]) => m === 'message' && p.place === garden.place && p.id === posted.id), 5000), 'bob got his own post as a JSON-RPC notification')
  })

  it('wrong argument types and unknown methods are refused; the connection and the daemon go on', async () => {
    const svc = ui.objects.secushare
    await assert.rejects(svc.post({ place: 5, text: 'x' }))
    await assert.rejects(svc.feed({ place: 'no-such-place' }))
    await assert.rejects(svc.post({ place: 'a' }, { extra: 1 }))
    const a = readRpcFiles(A)
    const ws = new WebSocket(a.info.endpoints!.webchannel.url, [WEBCHANNEL_SUBPROTOCOL], { headers: { Authorization: `Bearer ${a.token}` } })
    ws.on('error', () => {})
    await new Promise<void>((resolve) => { ws.once('open', () => { resolve() }) })
    const got: any[] = []
    ws.on('message', (m) => { got.push(JSON.parse(String(m))) })
    ws.send('{"type":')
    ws.send(JSON.stringify({ type: MessageType.invokeMethod, id: 1, object: 'secushare', method: 'nope', args: [] }))
    ws.send(JSON.stringify({ type: MessageType.invokeMethod, id: 2, object: 'secushare', method: 'status', args: [] }))
    assert.ok(await eventually(() => got.some((m) => m.id === 2), 5000))
    assert.equal(got.find((m) => m.id === 1).error.code, 'NOT_FOUND')
    assert.equal(got.find((m) => m.id === 2).data.contacts, 1)
    const closed = new Promise<number>((resolve) => { ws.once('close', (code) => { resolve(code) }) })
    ws.send('x'.repeat(MAX_RPC_MESSAGE_BYTES + 1))
    assert.equal(await closed, 1009)
    assert.equal((await svc.status()).contacts, 1)
    assert.equal(d.a!.proc.exitCode, null)
  })

  it(`react: a reaction of up to MAX_REACTION_BYTES (${MAX_REACTION_BYTES}) reaches the other node as _converse_reaction; more is refused`, async () => {
    const svc = ui.objects.secushare
    const patio = await svc.placeCreate({ name: 'patio' })
    const contacts = await svc.contactList()
    await svc.placeInvite({ place: patio.place, petname: contacts[0].petname })
    assert.ok(await eventually(async () => (await bob.call.placeInvitations()).some((i) => i.place === patio.place), 10_000))
    await bob.call.placeJoin({ place: patio.place })
    const posted = await bob.call.post({ place: patio.place, text: 'react to me' })
    const unread = async (): Promise<number> => (await svc.placeList()).find((p: any) => p.place === patio.place).unread
    assert.ok(await eventually(async () => (await svc.feed({ place: patio.place, markRead: false })).some((m: any) => m.id === posted.id), 10_000), 'alice has the post')
    assert.ok(await unread() >= 1, 'a feed read with markRead: false leaves it unread')
    assert.ok((await svc.feed({ place: patio.place })).some((m: any) => m.id === posted.id))
    assert.equal(await unread(), 0, 'a plain feed read marks it read')
    const atLimit = 'é'.repeat(MAX_REACTION_BYTES / 2) // two bytes each: exactly the limit
    const reacted = await svc.react({ place: patio.place, id: posted.id, reaction: '👍' })
    await svc.react({ place: patio.place, id: posted.id, reaction: atLimit })
    assert.equal(reacted.pending, false)
    assert.ok(await eventually(async () => {
      const feed = await bob.call.feed({ place: patio.place })
      return feed.filter((m) => m.method === '_converse_reaction' && m.replyTo === posted.id).map((m) => m.text).join(',') === `👍,${atLimit}`
    }, 10_000), "bob's node has both reactions to his post")
    const code = async (params: unknown): Promise<string> => {
      try { await bob.call.react(params as any); return 'accepted' } catch (e) { return isSecushareError(e) ? e.code : String(e) }
    }
    assert.equal(await code({ place: patio.place, id: posted.id, reaction: atLimit + 'e' }), 'LIMIT_EXCEEDED', 'one byte past the limit')
    assert.equal(await code({ place: patio.place, id: posted.id, reaction: '' }), 'INVALID_ARGUMENT')
    assert.equal(await code({ place: patio.place, id: posted.id, reaction: 'a\nb' }), 'INVALID_ARGUMENT')
    assert.equal(await code({ place: patio.place, id: 0, reaction: '+1' }), 'INVALID_ARGUMENT')
    assert.equal(await code({ place: patio.place, reaction: '+1' }), 'INVALID_ARGUMENT')
    assert.equal(await code({ place: patio.place, id: 999_999, reaction: '+1' }), 'NOT_FOUND', 'no such message')
  })

  it('a contact going offline is a signal', async () => {
    const svc = ui.objects.secushare
    const offline: any[] = []
    svc.contactOffline.connect((p: unknown) => { offline.push(p) })
    await svc.status() // the connect frame is read before this answer
    const bobPeer = d.b!.ready.peerId
    await bob.close()
    await d.b!.stop()
    delete d.b
    assert.ok(await eventually(() => offline.some((p) => p.peerId === bobPeer), 20_000), 'contactOffline')
    assert.ok(await eventually(() => ui.objects.node.contactsOnline === 0, 5000))
  })
})
