import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { connect as netConnect } from 'node:net'
import { WebSocket } from 'ws'
import { newToken, RPC_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '../core/rpc/auth.js'
import { EventBus, STATUS_FIELDS, SUBSCRIBABLE, type NodeStatus } from '../core/rpc/event-bus.js'
import { connectWebChannel, type WebChannelClient } from '../core/rpc/webchannel-client.js'
import { startRpcServer, type RpcServer } from '../core/rpc/server.js'
import { parseParams, v } from '../core/rpc/validate.js'
import { MessageType, SERVICE_OBJECT, STATUS_OBJECT, WEBCHANNEL_SUBPROTOCOL } from '../core/rpc/webchannel.js'
import { SecushareError } from '../protocol/errors.js'
import { MAX_RPC_MESSAGE_BYTES, MAX_RPC_REQUEST_HEAD_BYTES } from '../protocol/limits.js'

/** A small service; `calls` records every method that started running. */
function makeService () {
  const calls: string[] = []
  const service = {
    async echo (params: { text: string }): Promise<{ text: string }> {
      calls.push('echo')
      const p = parseParams('echo', v.strictObject({ text: v.pipe(v.string(), v.maxLength(MAX_RPC_MESSAGE_BYTES)) }), params)
      return { text: p.text }
    },
    async hello (): Promise<string> {
      calls.push('hello')
      return 'hi'
    },
    async missing (): Promise<never> {
      calls.push('missing')
      throw new SecushareError('PLACE_NOT_FOUND', 'no place named x', { place: 'x' })
    },
    async subscribe (params?: { events?: string[] }): Promise<{ events: string[] }> {
      calls.push('subscribe')
      const p = parseParams('subscribe', v.optional(v.strictObject({ events: v.optional(v.array(v.picklist(SUBSCRIBABLE))) }), {}), params)
      return { events: p.events ?? [...SUBSCRIBABLE] }
    }
  }
  return { service, calls }
}

async function until (check: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 20 s')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

async function upgradeStatus (port: number, path: string, headers: Record<string, string>): Promise<number> {
  return await new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1', port, path, agent: false,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), ...headers }
    })
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode ?? 0) })
    req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('error', reject)
    req.end()
  })
}

/** A raw ws connection to /webchannel collecting every message it receives. */
async function rawChannel (url: string, token: string): Promise<{ ws: WebSocket, got: any[], next: (pred: (m: any) => boolean) => Promise<any> }> {
  const ws = new WebSocket(url, [WEBCHANNEL_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token])
  ws.on('error', () => {})
  const got: any[] = []
  ws.on('message', (d) => { got.push(JSON.parse(String(d))) })
  await new Promise<void>((resolve, reject) => { ws.once('open', () => { resolve() }); ws.once('unexpected-response', () => { reject(new Error('refused')) }) })
  const next = async (pred: (m: any) => boolean): Promise<any> => {
    await until(() => got.some(pred))
    return got.find(pred)
  }
  return { ws, got, next }
}

const STATUS: NodeStatus = { peers: 1, contacts: 2, contactsOnline: 1, places: 3, unread: 4, unreadByPlace: { ab: 4 } }

describe('QWebChannel host (/webchannel, the npm qwebchannel client over ws)', function () {
  const token = newToken()
  let server: RpcServer
  let calls: string[]
  let bus: EventBus
  const open: WebChannelClient[] = []
  const raws: WebSocket[] = []

  beforeEach(async () => {
    const s = makeService()
    calls = s.calls
    bus = new EventBus()
    bus.setStatus(STATUS)
    server = await startRpcServer({ host: '127.0.0.1', port: 0, token, service: s.service, events: bus, onInternalError: () => {} })
  })
  afterEach(async () => {
    await Promise.all(open.splice(0).map(async (c) => { await c.close() }))
    for (const ws of raws.splice(0)) ws.terminate()
    await server.close()
  })

  async function channel (auth: 'bearer' | 'subprotocol' = 'bearer'): Promise<WebChannelClient> {
    const c = await connectWebChannel(server.webchannelUrl, token, auth)
    open.push(c)
    return c
  }
  async function raw () {
    const r = await rawChannel(server.webchannelUrl, token)
    raws.push(r.ws)
    return r
  }

  it('publishes the service methods (not subscribe) and the status properties; calls go through validation', async () => {
    const c = await channel()
    const svc = c.objects[SERVICE_OBJECT]
    const node = c.objects[STATUS_OBJECT]
    for (const m of ['echo', 'hello', 'missing']) assert.equal(typeof svc[m], 'function', m)
    assert.equal(svc.subscribe, undefined)
    for (const f of STATUS_FIELDS) assert.deepEqual(node[f], STATUS[f], f)
    assert.equal(await svc.hello(), 'hi')
    assert.deepEqual(await svc.echo({ text: 'x' }), { text: 'x' })
    await assert.rejects(svc.echo({ text: 5 }))
    await assert.rejects(svc.missing())
    assert.deepEqual(calls, ['hello', 'echo', 'echo', 'missing'])
    // the subprotocol form of the token works too (browsers, QML)
    const c2 = await channel('subprotocol')
    assert.equal(await c2.objects[SERVICE_OBJECT].hello(), 'hi')
  })

  it('signals reach connected clients only; property updates set the value and fire <name>Changed', async () => {
    const c = await channel()
    const other = await channel()
    const got: unknown[] = []
    const onMessage = (p: unknown): void => { got.push(p) }
    c.objects[SERVICE_OBJECT].message.connect(onMessage)
    const changed: unknown[] = []
    c.objects[STATUS_OBJECT].unreadChanged.connect((n: unknown) => { changed.push(n) })
    await c.objects[SERVICE_OBJECT].hello() // the connectToSignal frame was read before this call
    bus.publish('message', { place: 'ab', id: 7 })
    bus.publish('invitation', { place: 'cd' }) // nobody connected
    await until(() => got.length === 1)
    assert.deepEqual([...got], [{ place: 'ab', id: 7 }])
    bus.setStatus({ ...STATUS, unread: 5, unreadByPlace: { ab: 5 } })
    await until(() => changed.length === 1)
    assert.deepEqual(changed, [5])
    assert.equal(c.objects[STATUS_OBJECT].unread, 5)
    assert.deepEqual(c.objects[STATUS_OBJECT].unreadByPlace, { ab: 5 })
    assert.equal(c.objects[STATUS_OBJECT].peers, 1)
    await until(() => other.objects[STATUS_OBJECT].unread === 5)
    // disconnecting stops the signal
    const cb = (p: unknown): void => { got.push(p) }
    c.objects[SERVICE_OBJECT].contactOnline.connect(cb)
    c.objects[SERVICE_OBJECT].contactOnline.disconnect(cb)
    c.objects[SERVICE_OBJECT].message.disconnect(onMessage)
    await c.objects[SERVICE_OBJECT].hello()
    bus.publish('message', { place: 'ab', id: 8 })
    bus.publish('contactOnline', { petname: 'bob' })
    assert.equal(await c.objects[SERVICE_OBJECT].hello(), 'hi')
    assert.equal(got.length, 1)
  })

  it('bad frames: ignored, or answered as responses with an error; the connection and the daemon survive', async () => {
    const { ws, got, next } = await raw()
    const methods = ['echo', 'hello', 'missing']
    ws.send('not json')
    ws.send('[1,2]')
    ws.send('{"type":"x","id":1}')
    ws.send('{"type":6}') // invokeMethod without an id: nothing runs, nothing to answer
    ws.send(JSON.stringify({ type: MessageType.invokeMethod, id: 1, object: 'nope', method: 'hello', args: [] }))
    ws.send(JSON.stringify({ type: MessageType.invokeMethod, id: 2, object: SERVICE_OBJECT, method: 'constructor', args: [] }))
    ws.send(JSON.stringify({ type: MessageType.invokeMethod, id: 3, object: SERVICE_OBJECT, method: 999, args: [] }))
    ws.send(JSON.stringify({ type: MessageType.invokeMethod, id: 4, object: SERVICE_OBJECT, method: 'echo', args: [{ text: 1 }] }))
    ws.send(JSON.stringify({ type: MessageType.invokeMethod, id: 5, object: SERVICE_OBJECT, method: 'echo', args: [{ text: 'a' }, 2] }))
    ws.send(JSON.stringify({ type: MessageType.invokeMethod, id: 6, object: SERVICE_OBJECT, method: 'echo', args: 'x' }))
    ws.send(JSON.stringify({ type: MessageType.invokeMethod, id: 7, object: SERVICE_OBJECT, method: 'missing', args: [] }))
    ws.send(JSON.stringify({ type: MessageType.connectToSignal, id: 8, object: SERVICE_OBJECT, signal: 0 }))
    ws.send(JSON.stringify({ type: MessageType.setProperty, id: 9, object: STATUS_OBJECT, property: 0, value: 99 }))
    ws.send(JSON.stringify({ type: 42, id: 10 }))
    ws.send(JSON.stringify({ type: MessageType.invokeMethod, id: 11, object: SERVICE_OBJECT, method: methods.indexOf('hello'), args: [] }))
    const ok = await next((m) => m.id === 11)
    assert.deepEqual(ok, { type: MessageType.response, id: 11, data: 'hi' })
    const err = (id: number): { code: string, message: string } => {
      const m = got.find((x) => x.id === id)
      assert.ok(m !== undefined, `an answer to ${id}`)
      assert.equal(m.type, MessageType.response)
      assert.ok(!('data' in m), 'no data: qwebchannel.js rejects the call')
      return m.error
    }
    assert.equal(err(1).code, 'NOT_FOUND')
    assert.equal(err(2).code, 'NOT_FOUND')
    assert.equal(err(3).code, 'NOT_FOUND')
    assert.equal(err(4).code, 'INVALID_ARGUMENT')
    assert.match(err(4).message, /^echo: text: Invalid type/)
    assert.equal(err(5).code, 'INVALID_ARGUMENT')
    assert.equal(err(6).code, 'INVALID_ARGUMENT')
    assert.deepEqual(err(7), { code: 'PLACE_NOT_FOUND', message: 'no place named x', detail: { place: 'x' } })
    assert.equal(err(8).code, 'NOT_FOUND') // signal 0 is a method, not a signal
    assert.equal(err(9).code, 'INVALID_ARGUMENT') // read-only
    assert.equal(err(10).code, 'INVALID_ARGUMENT')
    assert.equal(got.filter((m) => m.id === 1).length, 1)
    assert.deepEqual(calls, ['echo', 'missing', 'hello']) // echo ran (and refused its params), as over JSON-RPC
    // the refused setProperty is followed by the real value once the client is idle
    ws.send(JSON.stringify({ type: MessageType.idle }))
    const update = await next((m) => m.type === MessageType.propertyUpdate)
    assert.deepEqual(update.data, [{ object: STATUS_OBJECT, signals: { [STATUS_FIELDS.length]: [STATUS.peers] }, properties: { 0: STATUS.peers } }])
    // oversized: 1009, the server keeps serving
    const closed = new Promise<number>((resolve) => { ws.once('close', (code) => { resolve(code) }) })
    ws.send('x'.repeat(MAX_RPC_MESSAGE_BYTES + 1))
    assert.equal(await closed, 1009)
    const c = await channel()
    assert.equal(await c.objects[SERVICE_OBJECT].hello(), 'hi')
  })

  it('a binary frame closes with 1003', async () => {
    const { ws } = await raw()
    const closed = new Promise<number>((resolve) => { ws.once('close', (code) => { resolve(code) }) })
    ws.send(Buffer.from([1, 2, 3]))
    assert.equal(await closed, 1003)
    assert.deepEqual(calls, [])
  })

  it('refused before any method runs: no or wrong token, the JSON-RPC subprotocol, Origin, Host, token in the URL', async () => {
    const p = server.port
    const path = '/webchannel'
    assert.equal(await upgradeStatus(p, path, {}), 401)
    assert.equal(await upgradeStatus(p, `${path}?token=${token}`, {}), 401)
    assert.equal(await upgradeStatus(p, path, { 'Sec-WebSocket-Protocol': `${WEBCHANNEL_SUBPROTOCOL}, ${TOKEN_SUBPROTOCOL_PREFIX}${newToken()}` }), 401)
    // the token beside the other endpoint's subprotocol does not count here
    assert.equal(await upgradeStatus(p, path, { 'Sec-WebSocket-Protocol': `${RPC_SUBPROTOCOL}, ${TOKEN_SUBPROTOCOL_PREFIX}${token}` }), 401)
    assert.equal(await upgradeStatus(p, path, { Authorization: `Bearer ${token}`, 'Sec-WebSocket-Protocol': RPC_SUBPROTOCOL }), 400)
    const auth = { 'Sec-WebSocket-Protocol': `${WEBCHANNEL_SUBPROTOCOL}, ${TOKEN_SUBPROTOCOL_PREFIX}${token}` }
    assert.equal(await upgradeStatus(p, path, { ...auth, Origin: 'http://evil.example' }), 403)
    assert.equal(await upgradeStatus(p, path, { ...auth, Origin: 'null' }), 403)
    for (const host of ['evil.example', `127.1:${p}`, `2130706433:${p}`, `0177.0.0.1:${p}`, `localhost6:${p}`]) {
      assert.equal(await upgradeStatus(p, path, { ...auth, Host: host }), 403, host)
    }
    assert.equal(await upgradeStatus(p, path, auth), 101)
    assert.deepEqual(calls, [])
  })

  it(`a request head of MAX_RPC_REQUEST_HEAD_BYTES (${MAX_RPC_REQUEST_HEAD_BYTES}) upgrades; headers over it are answered 431 before auth`, async () => {
    /** The status line's code for an upgrade request whose head is exactly `total` bytes (padded with X-Pad). */
    const statusFor = async (total: number): Promise<string> => {
      const head = (pad: string): string => `GET /webchannel HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nAuthorization: Bearer ${token}\r\nX-Pad: ${pad}\r\n\r\n`
      const text = head('a'.repeat(total - head('').length))
      assert.equal(Buffer.byteLength(text), total)
      return await new Promise((resolve) => {
        const socket = netConnect(server.port, '127.0.0.1', () => { socket.write(text) })
        let got = ''
        socket.on('data', (d) => { got += String(d); if (got.includes('\r\n')) { socket.destroy(); resolve(got.split(' ')[1] ?? '') } })
        socket.on('error', () => { resolve('reset') })
        socket.on('close', () => { resolve(got.split(' ')[1] ?? 'closed') })
      })
    }
    assert.equal(await statusFor(MAX_RPC_REQUEST_HEAD_BYTES), '101')
    // Node's parser counts header bytes with its own framing rules: a head of 64 bytes over the cap is refused
    assert.equal(await statusFor(MAX_RPC_REQUEST_HEAD_BYTES + 64), '431')
    assert.equal(server.stats.refusedAuth, 0)
    assert.deepEqual(calls, [])
  })
})
