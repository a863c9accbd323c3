import assert from 'node:assert/strict'
import nodeCrypto, { randomBytes } from 'node:crypto'
import { syncBuiltinESMExports } from 'node:module'
import { request as httpRequest } from 'node:http'
import { connect as netConnect, type Socket } from 'node:net'
import { WebSocket } from 'ws'
import { newToken, RPC_SUBPROTOCOL, TOKEN_BYTES, TOKEN_SUBPROTOCOL_PREFIX, tokenMatches } from '../core/rpc/auth.js'
import { connectRpc, type RpcClient } from '../core/rpc/client.js'
import { startRpcServer, type RpcServer, type RpcServerOptions } from '../core/rpc/server.js'
import { maxBase64BytesLimit, maxBytesLimit, maxCharsLimit, maxValueLimit, parseParams, v } from '../core/rpc/validate.js'
import { isSecushareError, SecushareError } from '../protocol/errors.js'
import { MAX_RPC_CONNECTIONS, MAX_RPC_INFLIGHT_PER_CONNECTION, MAX_RPC_MESSAGE_BYTES, RPC_AUTH_FAILURE_LIMIT } from '../protocol/limits.js'

/** A tiny service; `calls` records every method that started running. */
function makeService () {
  const calls: string[] = []
  const gate = { open: undefined as (() => void) | undefined, opened: undefined as Promise<void> | undefined, running: 0, max: 0 }
  gate.opened = new Promise<void>((resolve) => { gate.open = resolve })
  const service = {
    async gated (): Promise<number> {
      calls.push('gated')
      gate.running++
      gate.max = Math.max(gate.max, gate.running)
      await gate.opened
      gate.running--
      return gate.max
    },
    async echo (params: { text: string }): Promise<{ text: string }> {
      calls.push('echo')
      const p = parseParams('echo', v.strictObject({ text: v.pipe(v.string(), v.maxLength(MAX_RPC_MESSAGE_BYTES)) }), params)
      return { text: p.text }
    },
    async hello (): Promise<string> {
      calls.push('hello')
      return 'hi'
    },
    async findContact (params: { petname: string }): Promise<never> {
      calls.push('findContact')
      const p = parseParams('findContact', v.strictObject({ petname: v.string() }), params)
      throw new SecushareError('CONTACT_NOT_FOUND', `no contact named ${p.petname}`, { petname: p.petname })
    },
    async boom (): Promise<never> {
      calls.push('boom')
      throw new Error('secret detail /home/alice/.secushare')
    },
    async nothing (): Promise<void> {
      calls.push('nothing')
    },
    async never (): Promise<never> {
      calls.push('never')
      return await new Promise<never>(() => {})
    },
    _private (): string {
      calls.push('_private')
      return 'no'
    }
  }
  return { service, calls, gate }
}
type Service = ReturnType<typeof makeService>['service']

/** Waits until `check()` holds; fails after 20 s instead of hanging the suite. */
async function until (check: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 20 s')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

function isCode (code: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof SecushareError, `expected a SecushareError, got ${String(e)}`)
    assert.equal(e.code, code, e.message)
    return true
  }
}

/** Sends an HTTP upgrade request; resolves with the status code (101 when the upgrade succeeded). */
async function upgradeStatus (port: number, headers: Record<string, string>, path = '/rpc'): Promise<number> {
  return await new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path,
      agent: false,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        ...headers
      }
    })
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode ?? 0) })
    req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('error', reject)
    req.end()
  })
}

/** A raw `ws` client; resolves when open, rejects with the HTTP status when refused. */
async function rawWs (url: string, protocols: string[], options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols, options)
  ws.on('error', () => { /* a reset while the test is not listening */ })
  return await new Promise((resolve, reject) => {
    ws.once('open', () => { resolve(ws) })
    ws.once('unexpected-response', (_req, res) => {
      res.resume()
      ws.terminate()
      reject(new Error(`HTTP ${res.statusCode ?? 0}`))
    })
    ws.once('error', reject)
  })
}

async function nextMessage (ws: WebSocket): Promise<any> {
  return await new Promise((resolve) => { ws.once('message', (data) => { resolve(JSON.parse(String(data))) }) })
}

async function closeCode (ws: WebSocket): Promise<number> {
  if (ws.readyState === WebSocket.CLOSED) throw new Error('already closed')
  return await new Promise((resolve) => { ws.once('close', (code) => { resolve(code) }) })
}

describe('RPC (ws + typed-rpc on 127.0.0.1)', function () {
  const token = newToken()
  let server: RpcServer
  let calls: string[]
  let gate: ReturnType<typeof makeService>['gate']
  let internalErrors: unknown[]
  const clients: Array<RpcClient<unknown>> = []
  const raws: WebSocket[] = []

  async function start (extra: Partial<RpcServerOptions> = {}): Promise<RpcServer> {
    const s = makeService()
    calls = s.calls
    gate = s.gate
    internalErrors = []
    server = await startRpcServer({
      host: '127.0.0.1', port: 0, token, service: s.service, onInternalError: (e) => { internalErrors.push(e) }, ...extra
    })
    return server
  }
  async function client (opts?: Parameters<typeof connectRpc>[2], t = token): Promise<RpcClient<Service>> {
    const c = await connectRpc<Service>(server.url, t, opts)
    clients.push(c as RpcClient<unknown>)
    return c
  }
  async function raw (protocols = [RPC_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token]): Promise<WebSocket> {
    const ws = await rawWs(server.url, protocols)
    raws.push(ws)
    return ws
  }

  beforeEach(async () => { await start() })
  afterEach(async () => {
    await Promise.all(clients.splice(0).map(async (c) => { await c.close() }))
    for (const ws of raws.splice(0)) ws.terminate()
    await server.close()
  })

  describe('auth helpers and validation', () => {
    it('newToken is 64 hex characters of fresh randomness; tokenMatches compares exactly', () => {
      const a = newToken()
      assert.match(a, /^[0-9a-f]{64}$/)
      assert.equal(a.length, TOKEN_BYTES * 2)
      assert.notEqual(a, newToken())
      assert.ok(tokenMatches(a, a))
      assert.ok(!tokenMatches(a, newToken()))
      assert.ok(!tokenMatches(a, a.slice(0, -1)))
      assert.ok(!tokenMatches(a, a + '0'))
      assert.ok(!tokenMatches(a, ''))
      assert.ok(!tokenMatches(a, undefined))
      assert.ok(!tokenMatches('', ''))
    })

    it('parseParams returns the output or throws INVALID_ARGUMENT with a readable issue list', () => {
      const schema = v.strictObject({ name: v.string(), age: v.optional(v.pipe(v.number(), v.integer())) })
      assert.deepEqual(parseParams('m', schema, { name: 'x' }), { name: 'x' })
      assert.throws(() => parseParams('m', schema, { name: 5, age: 1.5 }), (e: unknown) => {
        assert.ok(isSecushareError(e, 'INVALID_ARGUMENT'))
        assert.match(e.message, /^m: name: Invalid type: Expected string but received 5; age: Invalid integer/)
        assert.deepEqual((e.detail.issues as any[]).map((i) => i.path), ['name', 'age'])
        return true
      })
      assert.throws(() => parseParams('m', schema, undefined), /^SecushareError: m: Invalid type: Expected Object/)
      // the offending input is never echoed at length
      assert.throws(() => parseParams('m', v.literal('a'), 'x'.repeat(100_000)), (e: unknown) => {
        assert.ok(isSecushareError(e, 'INVALID_ARGUMENT'))
        assert.ok(e.message.length < 300)
        return true
      })
    })

    it('a named limit broken at the boundary is LIMIT_EXCEEDED naming it, at the limit accepted; other issues stay INVALID_ARGUMENT', () => {
      const schema = v.strictObject({
        text: v.optional(v.pipe(v.string(), maxBytesLimit('MAX_T', 4))),
        link: v.optional(v.pipe(v.string(), maxCharsLimit('MAX_L', 3))),
        ttl: v.optional(v.pipe(v.number(), maxValueLimit('MAX_S', 60))),
        blob: v.optional(v.pipe(v.string(), v.base64('base64'), maxBase64BytesLimit('MAX_B', 4)))
      })
      const limited = (limit: string, max: number, actual: number) => (e: unknown) => {
        assert.ok(isSecushareError(e, 'LIMIT_EXCEEDED'), String(e))
        assert.deepEqual(e.detail, { limit, max, actual })
        assert.match(e.message, new RegExp(`^m: \\w+: ${limit} exceeded: ${actual} > ${max}$`))
        return true
      }
      assert.deepEqual(parseParams('m', schema, { text: 'éé', link: 'ééé', ttl: 60, blob: 'AAAAAA==' }), { text: 'éé', link: 'ééé', ttl: 60, blob: 'AAAAAA==' })
      assert.throws(() => parseParams('m', schema, { text: 'ééx' }), limited('MAX_T', 4, 5))
      assert.throws(() => parseParams('m', schema, { link: 'abcd' }), limited('MAX_L', 3, 4))
      assert.throws(() => parseParams('m', schema, { ttl: 61 }), limited('MAX_S', 60, 61))
      assert.throws(() => parseParams('m', schema, { blob: 'AAAAAAA=' }), limited('MAX_B', 4, 5))
      assert.throws(() => parseParams('m', schema, { text: 5 }), (e: unknown) => isSecushareError(e, 'INVALID_ARGUMENT'))
    })

    it('startRpcServer refuses a weak token', async () => {
      await assert.rejects(startRpcServer({ host: '127.0.0.1', port: 0, token: 'short', service: {} }), isCode('INVALID_ARGUMENT'))
    })
  })

  describe('calls', () => {
    it('works with the right token; methods get exactly the params object', async () => {
      assert.match(server.url, /^ws:\/\/127\.0\.0\.1:\d+\/rpc$/)
      assert.equal(server.url, `ws://127.0.0.1:${server.port}/rpc`)
      const c = await client()
      assert.deepEqual(await c.call.echo({ text: 'x' }), { text: 'x' })
      assert.equal(await c.call.hello(), 'hi')
      assert.equal(await c.call.nothing(), null, 'an undefined result arrives as null')
      assert.deepEqual(calls, ['echo', 'hello', 'nothing'])
      assert.equal(server.stats.connections, 1)
      const many = await Promise.all(Array.from({ length: 100 }, async (_, i) => await c.call.echo({ text: String(i) })))
      assert.deepEqual(many.map((r) => r.text), Array.from({ length: 100 }, (_, i) => String(i)))
    })

    it('INVALID_ARGUMENT from parseParams reaches the client with its code and readable message', async () => {
      const c = await client()
      await assert.rejects(c.call.echo({ text: 5 } as any), (e: unknown) => {
        assert.ok(isSecushareError(e, 'INVALID_ARGUMENT'))
        assert.equal(e.message, 'echo: text: Invalid type: Expected string but received 5')
        assert.deepEqual(e.detail.issues, [{ path: 'text', message: 'Invalid type: Expected string but received 5' }])
        return true
      })
      await assert.rejects(c.call.echo({ text: 'a', extra: 1 } as any), /echo: extra: Invalid key/)
      await assert.rejects((c.call.echo as any)({ text: 'a' }, 'second'), (e: unknown) => isSecushareError(e, 'INVALID_ARGUMENT') && /takes one params object/.test(e.message))
    })

    it('a SecushareError thrown by a method keeps its code, message and detail', async () => {
      const c = await client()
      await assert.rejects(c.call.findContact({ petname: 'bob' }), (e: unknown) => {
        assert.ok(isSecushareError(e, 'CONTACT_NOT_FOUND'))
        assert.equal(e.message, 'no contact named bob')
        assert.deepEqual(e.detail, { petname: 'bob' })
        return true
      })
    })

    it('a plain Error becomes INTERNAL without its message or stack; the server reports it', async () => {
      const c = await client()
      await assert.rejects(c.call.boom(), (e: unknown) => {
        assert.ok(isSecushareError(e, 'INTERNAL'))
        assert.equal(e.message, 'internal error in boom')
        assert.doesNotMatch(JSON.stringify({ ...e.detail, m: e.message }), /secret|alice|at /)
        return true
      })
      assert.equal(internalErrors.length, 1)
      assert.match((internalErrors[0] as Error).message, /secret/)
    })

    it('unknown methods, private ones and Object.prototype names are NOT_FOUND; none runs', async () => {
      const c = await client()
      await assert.rejects((c.call as any).nope({}), (e: unknown) => isSecushareError(e, 'NOT_FOUND') && e.message === 'no RPC method "nope"')
      // typed-rpc's proxy itself answers Object.prototype names, so send those raw
      const ws = await raw()
      for (const m of ['_private', 'constructor', 'toString', 'hasOwnProperty', '__proto__', '__defineGetter__', '__defineSetter__', 'valueOf', 'isPrototypeOf']) {
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: m, method: m, params: [{}] }))
        const res = await nextMessage(ws)
        assert.equal(res.id, m)
        assert.equal(res.error.code, -32601, m)
        assert.equal(res.error.data.code, 'NOT_FOUND', m)
      }
      assert.deepEqual(calls, [])
    })

    it('a request that takes too long fails with RPC_TIMEOUT', async () => {
      const c = await client({ timeoutMs: 100 })
      await assert.rejects(c.call.never(), isCode('RPC_TIMEOUT'))
      assert.equal(await c.call.hello(), 'hi', 'the connection still works')
    })

    it('a raw ws client with the token as Sec-WebSocket-Protocol works; params by position or by name', async () => {
      const ws = await raw()
      assert.equal(ws.protocol, RPC_SUBPROTOCOL, 'the server selects the RPC subprotocol, never the token')
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'echo', params: [{ text: 'a' }] }))
      assert.deepEqual(await nextMessage(ws), { jsonrpc: '2.0', id: 1, result: { text: 'a' } })
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 'two', method: 'echo', params: { text: 'b' } }))
      assert.deepEqual(await nextMessage(ws), { jsonrpc: '2.0', id: 'two', result: { text: 'b' } })
      // a notification (no id) runs but gets no answer; the next answer is for id 3
      ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'hello' }))
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'hello' }))
      assert.deepEqual(await nextMessage(ws), { jsonrpc: '2.0', id: 3, result: 'hi' })
      assert.deepEqual(calls, ['echo', 'echo', 'hello', 'hello'])
    })

    it('malformed JSON gets -32700, a batch or a non-request -32600, each with a SecushareError in data', async () => {
      const ws = await raw()
      ws.send('{nope')
      const a = await nextMessage(ws)
      assert.equal(a.id, null)
      assert.equal(a.error.code, -32700)
      assert.equal(a.error.data.code, 'INVALID_ARGUMENT')
      ws.send('[{"jsonrpc":"2.0","id":1,"method":"hello"}]')
      assert.equal((await nextMessage(ws)).error.code, -32600)
      ws.send('{"id":7,"method":"hello"}')
      const c = await nextMessage(ws)
      assert.equal(c.id, 7)
      assert.equal(c.error.code, -32600)
      ws.send('{"jsonrpc":"2.0","id":8,"method":"nope"}')
      const d = await nextMessage(ws)
      assert.equal(d.error.code, -32601)
      assert.equal(d.error.data.code, 'NOT_FOUND')
      ws.send('{"jsonrpc":"2.0","id":9,"method":"echo","params":[{"text":1}]}')
      const e = await nextMessage(ws)
      assert.equal(e.error.code, -32602)
      assert.equal(e.error.data.code, 'INVALID_ARGUMENT')
      ws.send('{"jsonrpc":"2.0","id":10,"method":"findContact","params":[{"petname":"x"}]}')
      const f = await nextMessage(ws)
      assert.equal(f.error.code, -32000)
      assert.deepEqual(f.error.data, { code: 'CONTACT_NOT_FOUND', message: 'no contact named x', detail: { petname: 'x' } })
      ws.send('{"jsonrpc":"2.0","id":11,"method":"boom"}')
      const g = await nextMessage(ws)
      assert.equal(g.error.code, -32603)
      assert.deepEqual(g.error.data, { code: 'INTERNAL', message: 'internal error in boom', detail: {} })
      assert.deepEqual(calls, ['echo', 'findContact', 'boom'])
    })

    it('a binary message closes the connection with 1003', async () => {
      const ws = await raw()
      const closed = closeCode(ws)
      ws.send(Buffer.from('{"jsonrpc":"2.0","id":1,"method":"hello"}'))
      assert.equal(await closed, 1003)
      assert.deepEqual(calls, [])
    })
  })

  describe('limits', () => {
    function requestOfSize (size: number): string {
      const head = '{"jsonrpc":"2.0","id":1,"method":"echo","params":[{"text":"'
      const tail = '"}]}'
      return head + 'a'.repeat(size - head.length - tail.length) + tail
    }

    it(`a message of MAX_RPC_MESSAGE_BYTES (${MAX_RPC_MESSAGE_BYTES}) is answered; one byte more closes with 1009`, async () => {
      const ws = await raw()
      const ok = requestOfSize(MAX_RPC_MESSAGE_BYTES)
      assert.equal(Buffer.byteLength(ok), MAX_RPC_MESSAGE_BYTES)
      ws.send(ok)
      const res = await nextMessage(ws)
      assert.equal(res.result.text, JSON.parse(ok).params[0].text)
      assert.deepEqual(calls, ['echo'])
      const closed = closeCode(ws)
      ws.send(requestOfSize(MAX_RPC_MESSAGE_BYTES + 1))
      assert.equal(await closed, 1009)
      assert.deepEqual(calls, ['echo'])
    })

    it(`runs at most MAX_RPC_INFLIGHT_PER_CONNECTION (${MAX_RPC_INFLIGHT_PER_CONNECTION}) requests of one connection at once`, async () => {
      const c = await client()
      const n = MAX_RPC_INFLIGHT_PER_CONNECTION + 8
      const all = Promise.all(Array.from({ length: n }, async () => await c.call.gated()))
      await until(() => gate.running >= MAX_RPC_INFLIGHT_PER_CONNECTION)
      gate.open?.()
      assert.equal((await all).length, n)
      assert.equal(gate.max, MAX_RPC_INFLIGHT_PER_CONNECTION)
      assert.equal(calls.length, n)
    })

    it('the client refuses to send a request over MAX_RPC_MESSAGE_BYTES (LIMIT_EXCEEDED)', async () => {
      const c = await client()
      await assert.rejects(c.call.echo({ text: 'a'.repeat(MAX_RPC_MESSAGE_BYTES) }), (e: unknown) => isSecushareError(e, 'LIMIT_EXCEEDED') && e.detail.limit === 'MAX_RPC_MESSAGE_BYTES')
      assert.deepEqual(calls, [])
      assert.equal(await c.call.hello(), 'hi')
    })

    it(`accepts MAX_RPC_CONNECTIONS (${MAX_RPC_CONNECTIONS}) connections and refuses one more (503)`, async () => {
      const open: Array<RpcClient<Service>> = []
      for (let i = 0; i < MAX_RPC_CONNECTIONS; i++) open.push(await client())
      assert.equal(server.stats.connections, MAX_RPC_CONNECTIONS)
      await assert.rejects(client(), (e: unknown) => isSecushareError(e, 'RPC_REFUSED') && e.detail.status === 503)
      assert.equal(await open[MAX_RPC_CONNECTIONS - 1]?.call.hello(), 'hi')
      await open[0]?.close()
      await until(() => server.stats.connections < MAX_RPC_CONNECTIONS)
      const again = await client()
      assert.equal(await again.call.hello(), 'hi')
    })

    it(`after RPC_AUTH_FAILURE_LIMIT (${RPC_AUTH_FAILURE_LIMIT}) wrong tokens the address gets 429, even with the right token`, async () => {
      for (let i = 0; i < RPC_AUTH_FAILURE_LIMIT; i++) {
        await assert.rejects(connectRpc(server.url, newToken()), isCode('RPC_UNAUTHORIZED'))
      }
      assert.equal(server.stats.refusedAuth, RPC_AUTH_FAILURE_LIMIT)
      await assert.rejects(connectRpc(server.url, token), (e: unknown) => isSecushareError(e, 'RPC_REFUSED') && e.detail.status === 429)
      assert.equal(await upgradeStatus(server.port, { Authorization: `Bearer ${token}` }), 429)
      assert.deepEqual(calls, [])
    })

    it('a TCP connection that never upgrades is closed (RPC_UPGRADE_TIMEOUT_MS)', async () => {
      const socket: Socket = netConnect(server.port, '127.0.0.1')
      socket.on('error', () => {})
      await new Promise<void>((resolve) => { socket.once('close', () => { resolve() }) })
    })

    it('a client that does not read its notifications is disconnected (1013) instead of buffering', async () => {
      const c = await client()
      const slow = await raw()
      slow.pause()
      const slowClosed = new Promise<void>((resolve) => { slow.once('close', () => { resolve() }) })
      const big = 'n'.repeat(MAX_RPC_MESSAGE_BYTES / 2)
      let received = 0
      const c2 = await client({ onNotification: () => { received++ } })
      let sent = 0
      while (server.stats.connections === 3) {
        server.notify('tick', { big })
        sent++
        await until(() => received === sent || server.stats.connections !== 3)
        await new Promise((resolve) => setImmediate(resolve))
      }
      assert.equal(server.stats.connections, 2)
      await until(() => received === sent)
      assert.equal(await c.call.hello(), 'hi')
      assert.equal(await c2.call.hello(), 'hi')
      slow.resume()
      await slowClosed
    })
  })

  describe('refused before any method runs', () => {
    it('no token, a wrong token, one of another length, or a token only in the URL: RPC_UNAUTHORIZED', async () => {
      await assert.rejects(connectRpc(server.url, ''), isCode('RPC_UNAUTHORIZED'))
      await assert.rejects(connectRpc(server.url, newToken()), isCode('RPC_UNAUTHORIZED'))
      await assert.rejects(connectRpc(server.url, token.slice(0, 10)), isCode('RPC_UNAUTHORIZED'))
      await assert.rejects(connectRpc(server.url, token + 'ab'), isCode('RPC_UNAUTHORIZED'))
      await assert.rejects(connectRpc(`${server.url}?token=${token}`, ''), isCode('RPC_UNAUTHORIZED'))
      await assert.rejects(connectRpc(server.url, 'bad\ntoken'), isCode('RPC_UNAUTHORIZED'))
      assert.equal(server.stats.refusedAuth, 5)
      assert.equal(server.stats.connections, 0)
      assert.deepEqual(calls, [])
    })

    it('the token is compared with crypto.timingSafeEqual, also for a token one character off', async () => {
      const original = nodeCrypto.timingSafeEqual
      const compared: number[] = []
      nodeCrypto.timingSafeEqual = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => { compared.push(a.byteLength); return original(a, b) }
      syncBuiltinESMExports() // auth.ts imports it by name: let its binding see the spy
      try {
        const oneOff = token.slice(0, -1) + (token.endsWith('0') ? '1' : '0')
        await assert.rejects(connectRpc(server.url, oneOff), isCode('RPC_UNAUTHORIZED'))
        assert.ok(compared.length >= 1, 'the wrong token went through timingSafeEqual')
        compared.length = 0
        const c = await connectRpc(server.url, token)
        await c.close()
        assert.ok(compared.length >= 1, 'so did the right one')
      } finally {
        nodeCrypto.timingSafeEqual = original
        syncBuiltinESMExports()
      }
      assert.deepEqual(calls, [])
    })

    it('raw upgrades: no token, token in the query, other schemes, malformed subprotocol lists: 401', async () => {
      assert.equal(await upgradeStatus(server.port, {}), 401)
      assert.equal(await upgradeStatus(server.port, {}, `/rpc?token=${token}`), 401)
      assert.equal(await upgradeStatus(server.port, {}, `/rpc?access_token=${token}`), 401)
      assert.equal(await upgradeStatus(server.port, { Authorization: `Basic ${token}` }), 401)
      // subprotocol token without the RPC subprotocol, or two token values
      assert.equal(await upgradeStatus(server.port, { 'Sec-WebSocket-Protocol': TOKEN_SUBPROTOCOL_PREFIX + token }), 401)
      assert.equal(await upgradeStatus(server.port, { 'Sec-WebSocket-Protocol': `${RPC_SUBPROTOCOL}, ${TOKEN_SUBPROTOCOL_PREFIX}${token}, ${TOKEN_SUBPROTOCOL_PREFIX}x` }), 401)
      await assert.rejects(rawWs(server.url, [RPC_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + newToken()]), /HTTP 401/)
      assert.equal(server.stats.refusedAuth, 7)
      // authenticated, but offering only subprotocols the server does not speak
      assert.equal(await upgradeStatus(server.port, { Authorization: `Bearer ${token}`, 'Sec-WebSocket-Protocol': 'graphql-ws' }), 400)
      assert.equal(server.stats.connections, 0)
      assert.deepEqual(calls, [])
      // the right token works afterwards (fewer than RPC_AUTH_FAILURE_LIMIT failures)
      assert.ok(server.stats.refusedAuth <= RPC_AUTH_FAILURE_LIMIT)
      assert.equal(await upgradeStatus(server.port, { Authorization: `Bearer ${token}` }), 101)
    })

    it('a browser Origin is refused (403) unless allowed', async () => {
      const headers = { Authorization: `Bearer ${token}` }
      await assert.rejects(rawWs(server.url, [RPC_SUBPROTOCOL], { headers, origin: 'http://evil.example' }), /HTTP 403/)
      await assert.rejects(rawWs(server.url, [RPC_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token], { origin: 'null' }), /HTTP 403/)
      assert.equal(await upgradeStatus(server.port, { ...headers, Origin: 'http://127.0.0.1:1234' }), 403)
      assert.deepEqual(calls, [])
      await server.close()
      await start({ allowedOrigins: ['http://localhost:8080'] })
      assert.equal(await upgradeStatus(server.port, { ...headers, Origin: 'http://localhost:8080' }), 101)
      assert.equal(await upgradeStatus(server.port, { ...headers, Origin: 'http://localhost:8081' }), 403)
    })

    it('a Host header other than the bound or loopback host:port is refused (403)', async () => {
      const auth = { Authorization: `Bearer ${token}` }
      const p = server.port
      for (const host of ['evil.example', `evil.example:${p}`, `127.1:${p}`, `2130706433:${p}`, `0x7f000001:${p}`, `127.0.0.1:${p + 1}`, '127.0.0.1', `localhost.:${p}`, `127.0.0.1:${p}.evil.example`, `localhost6:${p}`, `0177.0.0.1:${p}`]) {
        assert.equal(await upgradeStatus(p, { ...auth, Host: host }), 403, host)
      }
      for (const host of [`127.0.0.1:${p}`, `localhost:${p}`, `LOCALHOST:${p}`, `[::1]:${p}`]) {
        assert.equal(await upgradeStatus(p, { ...auth, Host: host }), 101, host)
      }
      assert.equal(server.stats.refusedAuth, 0, 'Host refusals are not counted as failed logins')
      assert.deepEqual(calls, [])
    })

    it('other paths get 404, plain HTTP 426; a closed server is DAEMON_UNREACHABLE', async () => {
      assert.equal(await upgradeStatus(server.port, { Authorization: `Bearer ${token}` }, '/'), 404)
      assert.equal(await upgradeStatus(server.port, { Authorization: `Bearer ${token}` }, '/rpc/x'), 404)
      const plain = await new Promise<number>((resolve, reject) => {
        httpRequest({ host: '127.0.0.1', port: server.port, path: '/rpc', agent: false }, (res) => { res.resume(); resolve(res.statusCode ?? 0) }).on('error', reject).end()
      })
      assert.equal(plain, 426)
      const url = server.url
      await server.close()
      await assert.rejects(connectRpc(url, token), isCode('DAEMON_UNREACHABLE'))
      await assert.rejects(connectRpc('not a url', token), isCode('INVALID_ARGUMENT'))
      assert.deepEqual(calls, [])
    })
  })

  describe('notifications and shutdown', () => {
    it('notify reaches every connected client', async () => {
      const got: Array<[string, unknown]> = []
      const a = await client({ onNotification: (m, p) => { got.push([m, p]) } })
      await client({ onNotification: (m, p) => { got.push([m, p]) } })
      const ws = await raw()
      const rawGot = nextMessage(ws)
      server.notify('contactOnline', { petname: 'bob' })
      assert.deepEqual(await rawGot, { jsonrpc: '2.0', method: 'contactOnline', params: { petname: 'bob' } })
      await until(() => got.length === 2)
      assert.deepEqual(got, [['contactOnline', { petname: 'bob' }], ['contactOnline', { petname: 'bob' }]])
      assert.throws(() => { server.notify('big', 'x'.repeat(MAX_RPC_MESSAGE_BYTES)) }, (e: unknown) => isSecushareError(e, 'LIMIT_EXCEEDED'))
      assert.equal(await a.call.hello(), 'hi')
    })

    it('close() ends every client and the listener, and leaves no sockets or timers behind', async () => {
      await server.close()
      const tcp = (): number => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length
      const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
      const before = { tcp: tcp(), timers: timers() }
      await start()
      const a = await client()
      const pendingCall = a.call.never()
      const ws = await raw()
      const wsClosed = closeCode(ws)
      const idle: Socket = netConnect(server.port, '127.0.0.1')
      idle.on('error', () => {})
      const idleClosed = new Promise<void>((resolve) => { idle.once('close', () => { resolve() }) })
      await new Promise<void>((resolve) => { idle.once('connect', () => { resolve() }) })
      await until(() => calls.includes('never'))
      await server.close()
      await assert.rejects(pendingCall, isCode('DAEMON_UNREACHABLE'))
      await assert.rejects(a.call.hello(), isCode('DAEMON_UNREACHABLE'))
      assert.equal(await wsClosed, 1001)
      await idleClosed
      await server.close() // twice is fine
      await until(() => tcp() <= before.tcp)
      assert.ok(timers() <= before.timers, 'no timers left')
    })
  })
})
