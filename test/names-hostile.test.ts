import assert from 'node:assert/strict'
import { join } from 'node:path'
import { joinByInvite } from '../core/contacts/handshake.js'
import { loadSodium, type Sodium } from '../core/crypto/sodium.js'
import { createEgo, type Ego } from '../core/identity/ego.js'
import { sealBlock } from '../core/names/block.js'
import { createNetNode, type NetNode } from '../core/net/node.js'
import { generatePeerKey } from '../core/net/peer-key.js'
import { Store } from '../core/store/lmdb.js'
import { decodeInvite } from '../protocol/invite.js'
import { MAX_NAMES_WIRE_BYTES } from '../protocol/limits.js'
import { decodeNames, encodeNames, namesBytes, ZONE_PROTOCOL } from '../protocol/names-wire.js'
import type { ZoneRecord } from '../protocol/zone-record.js'
import { readRpcFiles } from '../core/daemon/files.js'
import { connectRpc } from '../core/rpc/client.js'
import type { Service } from '../core/rpc/service.js'
import type { SecushareError } from '../protocol/errors.js'
import { cli } from './support/cli.js'
import { startDaemonProcess, type RunningDaemon } from './support/daemon.js'
import { tempDir } from './support/tmp.js'

/**
 * A daemon resolving names in the zone of a hostile contact: a real libp2p node in this process
 * that became A's contact through a real invite handshake and serves crafted blocks.
 */
describe('names: hostile zone blocks are refused with their codes and never cached', function () {
  this.timeout(120_000)
  const root = tempDir()
  const A = join(root, 'a')
  let daemon: RunningDaemon
  let sodium: Sodium
  let net: NetNode
  let store: Store
  let mallory: Ego
  const stranger = { publicKey: new Uint8Array(), secretKey: new Uint8Array() }
  let mode: 'good' | 'tampered' | 'expired' | 'other-key' | 'garbage' = 'good'
  let asked = 0
  const record: ZoneRecord = { type: 'NICK', value: new TextEncoder().encode('treasure'), expires: 0, private: false }

  // the CLI runs synchronously and would block this process, where mallory's node answers: use RPC
  const resolve = async (name: string): Promise<{ code: number, json: any, stdout: string, stderr: string }> => {
    const { info, token } = readRpcFiles(A)
    const rpc = await connectRpc<Service>(info.url, token)
    try {
      const r = await rpc.call.resolve({ name })
      return { code: 0, json: r, stdout: JSON.stringify(r), stderr: '' }
    } catch (e) {
      const err = e as SecushareError
      return { code: 1, json: { error: { code: err.code, message: err.message } }, stdout: '', stderr: err.message }
    } finally {
      await rpc.close()
    }
  }

  before(async () => {
    sodium = await loadSodium()
    Object.assign(stranger, sodium.signKeypair())
    assert.equal(cli(['--home', A, 'init', '--nick', 'alice']).code, 0)
    daemon = await startDaemonProcess(A)
    store = await Store.create(join(root, 'mallory.lmdb'))
    net = await createNetNode({ peerKey: await generatePeerKey(), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false, relayClient: false, relayServer: false, pubsub: false })
    await net.start()
    mallory = createEgo(sodium, 'mallory')
    await net.handle(ZONE_PROTOCOL, async (s) => {
      const req = decodeNames(await s.read(MAX_NAMES_WIRE_BYTES, 5000))
      asked++
      const zone = namesBytes(req, '_zone', 32)
      assert.ok(sodium.equal(zone, mallory.publicKey))
      const now = Date.now()
      let block: Uint8Array
      switch (mode) {
        case 'good': block = sealBlock(sodium, mallory, 'x', [record], now + 60_000); break
        case 'tampered': block = sealBlock(sodium, mallory, 'x', [record], now + 60_000); block[120] = block[120]! ^ 1; break
        case 'expired': block = sealBlock(sodium, mallory, 'x', [record], now - 1000); break
        case 'other-key': block = sealBlock(sodium, stranger, 'x', [record], now + 60_000); break
        case 'garbage': block = sodium.randomBytes(300); break
      }
      await s.write(encodeNames('_notice_zone_block', { _block: block }))
    })
    const link = cli(['--home', A, 'invite', '--json']).json.link // before mallory's node serves anything
    await joinByInvite({ sodium, store, net, egos: new Map([[mallory.id, mallory]]) }, mallory, decodeInvite(link), 'alice')
    // stay connected, as a contact's node does (A then asks over this connection)
    await net.dial(daemon.ready.peerId, daemon.ready.addrs.map((a) => a.replace(/\/p2p\/.*$/, '')))
  })
  after(async () => {
    await daemon.stop()
    await net.stop()
    await store.close()
  })

  for (const [m, code] of [['tampered', 'ZONE_RECORD_INVALID'], ['expired', 'ZONE_RECORD_EXPIRED'], ['other-key', 'ZONE_WRONG_KEY'], ['garbage', 'ZONE_RECORD_INVALID']] as const) {
    it(`a ${m} block: ${code}, and the next resolution asks again (nothing cached)`, async () => {
      mode = m
      const before = asked
      for (let i = 0; i < 2; i++) {
        const r = await resolve('x.mallory')
        assert.equal(r.code, 1, r.stdout)
        assert.equal(r.json.error.code, code)
      }
      assert.equal(asked - before, 2)
    })
  }

  it('a good block is used and cached: the second resolution does not ask', async () => {
    mode = 'good'
    const before = asked
    const first = await resolve('x.mallory')
    assert.equal(first.code, 0, first.stderr)
    assert.deepEqual({ type: first.json.type, nick: first.json.nick, cached: first.json.cached }, { type: 'NICK', nick: 'treasure', cached: false })
    assert.equal((await resolve('x.mallory')).json.cached, true)
    assert.equal(asked - before, 1)
  })

  it('a node answers zone look-ups to contacts only', async () => {
    const other = await createNetNode({ peerKey: await generatePeerKey(), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false, relayClient: false, relayServer: false, pubsub: false })
    await other.start()
    try {
      const aEgo = cli(['--home', A, 'status', '--json']).json.ego
      const s = await other.openStream(daemon.ready.peerId, daemon.ready.addrs.map((a) => a.replace(/\/p2p\/.*$/, '')), ZONE_PROTOCOL)
      await s.write(encodeNames('_request_zone_lookup', { _zone: Buffer.from(aEgo, 'hex'), _query: new Uint8Array(32) }))
      const answer = decodeNames(await s.read(MAX_NAMES_WIRE_BYTES, 5000))
      assert.equal(answer.method, '_failure_names')
      assert.equal(Buffer.from(answer.fields.get('_code')!).toString(), 'NAME_NOT_FOUND')
    } finally {
      await other.stop()
    }
  })
})
