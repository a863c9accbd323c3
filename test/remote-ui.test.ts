/**
 * Router mode: pairing codes, UI tokens (stored hashed, revocable), the `/pair` endpoint, Host
 * checks for a non-loopback bind, and the refusal to bind remotely without --allow-remote-ui.
 * Every server here listens on 127.0.0.1.
 */
import assert from 'node:assert/strict'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { newToken, TOKEN_SUBPROTOCOL_PREFIX } from '../core/rpc/auth.js'
import { connectRpc } from '../core/rpc/client.js'
import { connectWebChannel } from '../core/rpc/webchannel-client.js'
import { DEFAULT_CONFIG, rpcBindAddress } from '../core/daemon/config.js'
import { hostHeaders, isLoopbackHost, normalizeCode, PAIR_SUBPROTOCOL, RemoteUi, UI_TOKENS_FILE } from '../core/rpc/remote.js'
import { startRpcServer, type RpcServer } from '../core/rpc/server.js'
import { SecushareError } from '../protocol/errors.js'
import {
  MAX_PAIR_CODES, MAX_UI_TOKEN_NAME_BYTES, MAX_UI_TOKENS, PAIR_CODE_CHARS, PAIR_FAILURE_LIMIT, PAIR_TTL_DEFAULT_S, PAIR_TTL_MAX_S, PAIR_TTL_MIN_S
} from '../protocol/limits.js'
import { cli } from './support/cli.js'
import { eventually, startDaemonProcess } from './support/daemon.js'
import { tempDir } from './support/tmp.js'

function isCode (code: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof SecushareError, `expected a SecushareError, got ${String(e)}`)
    assert.equal(e.code, code, e.message)
    return true
  }
}

/** Presents `code` at `/pair`; resolves with the answer, or rejects with `HTTP <status>`. */
async function pair (port: number, code: string, host = `127.0.0.1:${port}`): Promise<any> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/pair`, [PAIR_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + code], { headers: { Host: host } })
  ws.on('error', () => { /* reported below */ })
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { ws.terminate(); reject(new Error('no pairing answer within 20 s')) }, 20_000)
    ws.once('unexpected-response', (_req, res) => { clearTimeout(timer); res.resume(); ws.terminate(); reject(new Error(`HTTP ${res.statusCode ?? 0}`)) })
    ws.once('message', (data) => { clearTimeout(timer); resolve(JSON.parse(String(data))) })
  })
}

async function closeCode (ws: WebSocket): Promise<number> {
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('not closed within 20 s')) }, 20_000)
    ws.once('close', (code) => { clearTimeout(timer); resolve(code) })
  })
}

describe('remote UIs: pairing codes and UI tokens', function () {
  describe('RemoteUi', () => {
    it('a code is single-use and yields a token that verifies; the file holds only a hash, mode 0600', () => {
      const home = tempDir()
      const ui = new RemoteUi({ home })
      const c = ui.createCode(60, 'tablet')
      assert.match(c.code, new RegExp(`^[0-9A-HJKMNP-TV-Z]{${PAIR_CODE_CHARS}}$`))
      const grant = ui.redeem(c.code.toLowerCase().slice(0, 4) + '-' + c.code.slice(4).toLowerCase())
      assert.ok(grant !== undefined, 'case and dashes do not matter')
      const g = grant()
      assert.equal(g.name, 'tablet')
      assert.equal(ui.verify(g.token), g.id)
      assert.equal(ui.redeem(c.code), undefined, 'used')
      const text = readFileSync(join(home, UI_TOKENS_FILE), 'utf8')
      assert.ok(!text.includes(g.token.split('.')[2]!), 'no secret in the file')
      assert.equal(statSync(join(home, UI_TOKENS_FILE)).mode & 0o777, 0o600)
      assert.equal(new RemoteUi({ home }).verify(g.token), g.id, 'survives a restart')
      assert.equal(ui.verify(g.token.slice(0, -1) + (g.token.endsWith('0') ? '1' : '0')), undefined, 'one character off')
      assert.equal(ui.verify(newToken()), undefined)
      assert.equal(ui.verify(undefined), undefined)
    })

    it('an expired code, a wrong code and no code are refused', () => {
      let now = 1_000_000
      const ui = new RemoteUi({ home: tempDir(), now: () => now })
      const c = ui.createCode(PAIR_TTL_MIN_S)
      now += PAIR_TTL_MIN_S * 1000 - 1
      assert.equal(ui.pendingCodes, 1)
      now += 1
      assert.equal(ui.redeem(c.code), undefined, 'expired')
      const d = ui.createCode()
      assert.equal(d.expires, now + PAIR_TTL_DEFAULT_S * 1000, 'valid PAIR_TTL_DEFAULT_S unless told otherwise')
      assert.equal(ui.redeem(d.code.slice(0, -1) + (d.code.endsWith('0') ? '1' : '0')), undefined)
      assert.equal(ui.redeem(undefined), undefined)
      assert.equal(ui.redeem(''), undefined)
      assert.ok(ui.redeem(d.code) !== undefined, 'wrong attempts below the limit leave the code valid')
    })

    it(`PAIR_FAILURE_LIMIT (${PAIR_FAILURE_LIMIT}) wrong codes void every outstanding code; one fewer does not`, () => {
      const ui = new RemoteUi({ home: tempDir() })
      const a = ui.createCode()
      for (let i = 0; i < PAIR_FAILURE_LIMIT - 1; i++) assert.equal(ui.redeem('WRONGWRONGWR'), undefined)
      assert.ok(ui.redeem(a.code) !== undefined)
      const b = ui.createCode()
      for (let i = 0; i < PAIR_FAILURE_LIMIT; i++) assert.equal(ui.redeem('WRONGWRONGWR'), undefined)
      assert.equal(ui.pendingCodes, 0)
      assert.equal(ui.redeem(b.code), undefined)
    })

    it('ttl, name, outstanding codes and tokens are bounded (limit ok, limit+1 refused)', () => {
      const ui = new RemoteUi({ home: tempDir() })
      ui.createCode(PAIR_TTL_MIN_S)
      ui.createCode(PAIR_TTL_MAX_S)
      assert.throws(() => ui.createCode(PAIR_TTL_MIN_S - 1), isCode('INVALID_ARGUMENT'))
      assert.throws(() => ui.createCode(PAIR_TTL_MAX_S + 1), isCode('LIMIT_EXCEEDED'))
      ui.createCode(60, 'é'.repeat(MAX_UI_TOKEN_NAME_BYTES / 2))
      assert.throws(() => ui.createCode(60, 'é'.repeat(MAX_UI_TOKEN_NAME_BYTES / 2) + 'x'), isCode('LIMIT_EXCEEDED'))
      assert.throws(() => ui.createCode(60, 'a\nb'), isCode('INVALID_ARGUMENT'))
      const first = ui.createCode()
      for (let i = 0; i < MAX_PAIR_CODES - 1; i++) ui.createCode()
      assert.equal(ui.pendingCodes, MAX_PAIR_CODES)
      ui.createCode()
      assert.equal(ui.pendingCodes, MAX_PAIR_CODES)
      assert.equal(ui.redeem(first.code), undefined, 'the oldest code was dropped')
      for (let i = ui.list().length; i < MAX_UI_TOKENS; i++) ui.redeem(ui.createCode().code)!()
      assert.equal(ui.list().length, MAX_UI_TOKENS)
      assert.throws(() => ui.createCode(), isCode('LIMIT_EXCEEDED'))
      ui.revoke(ui.list()[0]!.id)
      ui.redeem(ui.createCode().code)!()
      assert.throws(() => ui.revoke('0123456789abcdef'), isCode('UI_TOKEN_NOT_FOUND'))
    })
  })

  describe('binding and Host headers', () => {
    it('a non-loopback RPC address needs allowRemoteUi (RPC_REMOTE_NOT_ALLOWED)', () => {
      for (const h of ['127.0.0.1', '127.8.9.10', 'localhost', '[::1]']) assert.ok(isLoopbackHost(rpcBindAddress({ ...DEFAULT_CONFIG, rpc: `${h}:0` }).host), h)
      assert.throws(() => rpcBindAddress({ ...DEFAULT_CONFIG, rpcListen: '0.0.0.0:8420' }), isCode('RPC_REMOTE_NOT_ALLOWED'))
      assert.throws(() => rpcBindAddress({ ...DEFAULT_CONFIG, rpc: '192.168.1.1:8420' }), isCode('RPC_REMOTE_NOT_ALLOWED'))
      assert.throws(() => rpcBindAddress({ ...DEFAULT_CONFIG, rpc: '[::]:8420' }), isCode('RPC_REMOTE_NOT_ALLOWED'))
      assert.deepEqual(rpcBindAddress({ ...DEFAULT_CONFIG, rpcListen: '0.0.0.0:8420', allowRemoteUi: true }), { host: '0.0.0.0', port: 8420 })
    })

    it('a wildcard bind accepts the interface addresses and configured names, never rebinding names', () => {
      const ok = hostHeaders('0.0.0.0', 8420, ['192.168.1.1', 'fd00::1'], ['router.lan', 'Box.Lan:9000'])
      for (const h of ['192.168.1.1:8420', '[fd00::1]:8420', 'router.lan:8420', 'box.lan:9000', '127.0.0.1:8420', 'localhost:8420']) assert.ok(ok.has(h), h)
      for (const h of ['evil.example:8420', '192.168.1.1', '192.168.1.1:8421', 'router.lan', '2130706433:8420', '127.1:8420', '0177.0.0.1:8420', 'box.lan:8420', 'router.lan.evil.example:8420']) {
        assert.ok(!ok.has(h), h)
      }
      assert.ok(!hostHeaders('127.0.0.1', 8420, ['192.168.1.1']).has('192.168.1.1:8420'), 'interfaces only for a wildcard bind')
    })
  })

  describe('the /pair endpoint and UI tokens on a server (127.0.0.1)', () => {
    const owner = newToken()
    let server: RpcServer
    let ui: RemoteUi
    let calls: string[]
    const service = {
      async hello (): Promise<string> { calls.push('hello'); return 'hi' },
      async pairCreate (): Promise<string> { calls.push('pairCreate'); return ui.createCode().code }
    }

    beforeEach(async () => {
      calls = []
      ui = new RemoteUi({ home: tempDir() })
      server = await startRpcServer({ host: '127.0.0.1', port: 0, token: owner, service, uiTokens: ui, ownerOnly: ['pairCreate'], allowedHosts: ['router.lan'] })
      ui.onRevoke = (id) => server.closeUiToken(id)
    })
    afterEach(async () => { await server.close() })

    it('a code gives a token that calls methods over /rpc, but not the owner-only ones', async () => {
      const { code } = ui.createCode(60, 'kitchen')
      const answer = await pair(server.port, code, `router.lan:${server.port}`)
      assert.equal(answer.name, 'kitchen')
      assert.equal(answer.endpoints.jsonrpc, `ws://router.lan:${server.port}/rpc`)
      const client = await connectRpc<typeof service>(server.url, answer.token)
      try {
        assert.equal(await client.call.hello(), 'hi')
        await assert.rejects(client.call.pairCreate(), isCode('NOT_FOUND'))
        assert.deepEqual(calls, ['hello'])
        assert.deepEqual([...server.uiConnections()], [[answer.id, 1]])
      } finally { await client.close() }
      const ownerClient = await connectRpc<typeof service>(server.url, owner)
      try {
        assert.equal(typeof await ownerClient.call.pairCreate(), 'string', 'the daemon token may')
      } finally { await ownerClient.close() }
    })

    it('a used or wrong code, or the daemon token, gets 401; a foreign Host 403 and no method runs', async () => {
      const { code } = ui.createCode()
      await pair(server.port, code)
      await assert.rejects(pair(server.port, code), /HTTP 401/)
      await assert.rejects(pair(server.port, 'X'.repeat(PAIR_CODE_CHARS)), /HTTP 401/)
      await assert.rejects(pair(server.port, owner), /HTTP 401/, 'the daemon token is no pairing code')
      await assert.rejects(pair(server.port, normalizeCode(code), `evil.example:${server.port}`), /HTTP 403/)
      assert.deepEqual(calls, [])
      assert.equal(server.stats.refusedAuth, 3)
    })

    it('over QWebChannel a UI token sees no owner-only methods; the daemon token does', async () => {
      const g = await pair(server.port, ui.createCode().code)
      const asUi = await connectWebChannel(server.webchannelUrl, g.token, 'subprotocol')
      const asOwner = await connectWebChannel(server.webchannelUrl, owner)
      try {
        assert.equal(typeof asUi.objects.secushare.hello, 'function')
        assert.equal(asUi.objects.secushare.pairCreate, undefined)
        assert.equal(await asUi.objects.secushare.hello(), 'hi')
        assert.equal(typeof asOwner.objects.secushare.pairCreate, 'function')
        const closed = closeCode(asUi.ws)
        ui.revoke(g.id)
        assert.equal(await closed, 1008)
        assert.deepEqual(calls, ['hello'])
      } finally {
        await asUi.close()
        await asOwner.close()
      }
    })

    it('revoking a token closes its connections (1008) and refuses it afterwards', async () => {
      const a = await pair(server.port, ui.createCode().code)
      const b = await pair(server.port, ui.createCode().code)
      const ca = await connectRpc<typeof service>(server.url, a.token)
      const cb = await connectRpc<typeof service>(server.url, b.token)
      const raw = new WebSocket(server.url, [TOKEN_SUBPROTOCOL_PREFIX + a.token, 'secushare.rpc.v1'])
      await new Promise((resolve, reject) => { raw.once('open', resolve); raw.once('error', reject) })
      const closed = closeCode(raw)
      assert.equal(ui.revoke(a.id).closed, 2)
      assert.equal(await closed, 1008)
      await assert.rejects(ca.call.hello(), isCode('DAEMON_UNREACHABLE'))
      assert.equal(await cb.call.hello(), 'hi', 'other tokens are untouched')
      await cb.close()
      await ca.close()
      await assert.rejects(connectRpc(server.url, a.token), isCode('RPC_UNAUTHORIZED'))
    })
  })

  describe('daemon and CLI', function () {
    this.timeout(120_000)

    it('daemon --rpc-listen 0.0.0.0:0 without --allow-remote-ui refuses to start (exit 1, RPC_REMOTE_NOT_ALLOWED)', () => {
      const home = tempDir()
      assert.equal(cli(['--home', home, 'init', '--nick', 'r']).code, 0)
      const r = cli(['--home', home, 'daemon', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--rpc-listen', '0.0.0.0:0', '--json'])
      assert.equal(r.code, 1, r.stderr)
      assert.equal(r.json?.error?.code, 'RPC_REMOTE_NOT_ALLOWED')
      const both = cli(['--home', home, 'daemon', '--rpc', '127.0.0.1:0', '--rpc-listen', '127.0.0.1:0', '--json'])
      assert.equal(both.code, 2)
    })

    it('pair, connect with the UI token, ui-tokens list and revoke through the CLI', async () => {
      const home = tempDir()
      assert.equal(cli(['--home', home, 'init', '--nick', 'r']).code, 0)
      const d = await startDaemonProcess(home)
      try {
        const port = Number(new URL(d.ready.rpc).port)
        const p = cli(['--home', home, 'pair', '--ttl', '60', '--name', 'tablet', '--json'])
        assert.equal(p.code, 0, p.stderr)
        assert.deepEqual(p.json.urls, [`ws://127.0.0.1:${port}/pair`])
        assert.equal(cli(['--home', home, 'pair', '--ttl', String(PAIR_TTL_MAX_S + 1), '--json']).code, 2)
        const text = cli(['--home', home, 'pair'])
        assert.match(text.stdout, /pairing code +[0-9A-Z]{12}/)
        const answer = await pair(port, p.json.code)
        const client = await connectRpc<{ status: () => Promise<{ peerId: string }>, pairCreate: () => Promise<unknown> }>(d.ready.rpc, answer.token)
        assert.equal((await client.call.status()).peerId, d.ready.peerId)
        await assert.rejects(client.call.pairCreate(), isCode('NOT_FOUND'))
        const list = cli(['--home', home, 'ui-tokens', 'list', '--json'])
        assert.deepEqual(list.json.map((t: any) => [t.id, t.name, t.connections]), [[answer.id, 'tablet', 1]])
        const closed = new Promise<void>((resolve) => { void eventually(async () => await client.call.status().then(() => false, () => true), 20_000).then(() => { resolve() }) })
        const r = cli(['--home', home, 'ui-tokens', 'revoke', answer.id, '--json'])
        assert.equal(r.code, 0, r.stderr)
        assert.equal(r.json.closed, 1)
        await closed
        await client.close()
        const again = cli(['--home', home, 'ui-tokens', 'revoke', answer.id, '--json'])
        assert.equal(again.code, 1)
        assert.equal(again.json.error.code, 'UI_TOKEN_NOT_FOUND')
        assert.deepEqual(cli(['--home', home, 'ui-tokens', 'list', '--json']).json, [])
        await assert.rejects(connectRpc(d.ready.rpc, answer.token), isCode('RPC_UNAUTHORIZED'))
      } finally {
        assert.equal(await d.stop(), 0)
      }
    })
  })
})
