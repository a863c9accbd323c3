/**
 * The web UI's files on the RPC listener (core/rpc/web.ts): served only at their fixed paths, only
 * under an allowed Host, with headers that keep the page to itself; and the page's own Origin
 * accepted on the WebSocket endpoints only while the web UI is on. The browser test is
 * test/web-ui.test.ts.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { newToken } from '../core/rpc/auth.js'
import { startRpcServer, type RpcServer } from '../core/rpc/server.js'
import { WEB_SECURITY_HEADERS } from '../core/rpc/web.js'
import { WEB_FILES } from '../core/rpc/web-assets.js'

interface Answer { status: number, headers: IncomingHttpHeaders, body: string }

async function http (port: number, path: string, headers: Record<string, string> = {}, method = 'GET', upgrade = false): Promise<Answer> {
  return await new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1', port, path, method, agent: false,
      headers: upgrade ? { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), ...headers } : headers
    })
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' }) })
    req.on('response', (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { body += d })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body }) })
    })
    req.on('error', reject)
    req.end()
  })
}

describe('the web UI on the RPC listener', () => {
  const token = newToken()
  let calls = 0
  const service = { async status () { calls++; return { ok: true } } }
  let on: RpcServer
  let off: RpcServer
  before(async () => {
    on = await startRpcServer({ host: '127.0.0.1', port: 0, token, service, webUi: true })
    off = await startRpcServer({ host: '127.0.0.1', port: 0, token, service })
  })
  after(async () => { await on?.close(); await off?.close() })

  it('serves each file at its path with the security headers, under the bound host and loopback names', async () => {
    assert.equal(on.webUrl, `http://127.0.0.1:${on.port}/`)
    for (const [path, , type] of WEB_FILES) {
      for (const host of [`127.0.0.1:${on.port}`, `localhost:${on.port}`]) {
        const a = await http(on.port, path, { Host: host })
        assert.equal(a.status, 200, `${path} under ${host}`)
        assert.equal(a.headers['content-type'], type)
        for (const [k, v] of Object.entries(WEB_SECURITY_HEADERS)) assert.equal(a.headers[k.toLowerCase()], v, `${path}: ${k}`)
        assert.ok(a.body.length > 0)
      }
    }
    assert.match((await http(on.port, '/')).body, /<title>secushare<\/title>/)
    assert.match((await http(on.port, '/qwebchannel.js')).body, /var QWebChannel = function/)
    const head = await http(on.port, '/app.js', {}, 'HEAD')
    assert.equal(head.status, 200)
    assert.equal(head.body, '')
  })

  it('refuses other hosts (DNS rebinding), other methods, and every other path', async () => {
    for (const host of ['evil.example', `evil.example:${on.port}`, `127.1:${on.port}`, `2130706433:${on.port}`, `127.0.0.1:${on.port + 1}`]) {
      assert.equal((await http(on.port, '/', { Host: host })).status, 403, host)
    }
    assert.equal((await http(on.port, '/', {}, 'POST')).status, 405)
    for (const path of ['/index.html', '/../package.json', '/web/app.js', '/app.js/', '/%2e%2e/package.json', '/node_modules/qwebchannel/qwebchannel.js', '/token', '/rpc.json']) {
      assert.equal((await http(on.port, path)).status, 404, path)
    }
    assert.equal((await http(off.port, '/')).status, 404, 'off: nothing is served')
    assert.equal(off.webUrl, null)
  })

  it("accepts the page's own Origin on /webchannel only while the web UI is on, and only with the token", async () => {
    const auth = { Authorization: `Bearer ${token}` }
    const own = { Host: `127.0.0.1:${on.port}`, Origin: `http://127.0.0.1:${on.port}` }
    assert.equal((await http(on.port, '/webchannel', { ...auth, ...own }, 'GET', true)).status, 101)
    assert.equal((await http(on.port, '/rpc', { ...auth, ...own }, 'GET', true)).status, 101)
    assert.equal((await http(on.port, '/webchannel', own, 'GET', true)).status, 401, 'the Origin is no credential')
    // a page of another origin, even one on this machine, or under another Host than its Origin
    for (const origin of ['http://evil.example', `http://127.0.0.1:${on.port + 1}`, `https://127.0.0.1:${on.port}`, 'null', `http://localhost:${on.port}`]) {
      assert.equal((await http(on.port, '/webchannel', { ...auth, Host: `127.0.0.1:${on.port}`, Origin: origin }, 'GET', true)).status, 403, origin)
    }
    assert.equal((await http(off.port, '/webchannel', { ...auth, Host: `127.0.0.1:${off.port}`, Origin: `http://127.0.0.1:${off.port}` }, 'GET', true)).status, 403, 'off: its own origin is a foreign one')
    assert.equal(calls, 0, 'no service method ran')
  })
})
