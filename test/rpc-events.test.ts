import assert from 'node:assert/strict'
import { newToken } from '../core/rpc/auth.js'
import { connectRpc, type RpcClient } from '../core/rpc/client.js'
import { EventBus, SUBSCRIBABLE } from '../core/rpc/event-bus.js'
import { EventQueue } from '../core/rpc/event-queue.js'
import { startRpcServer, type RpcServer } from '../core/rpc/server.js'
import { parseParams, v } from '../core/rpc/validate.js'
import { connectWebChannel } from '../core/rpc/webchannel-client.js'
import { isSecushareError } from '../protocol/errors.js'
import { MAX_RPC_EVENT_QUEUE } from '../protocol/limits.js'

function makeService () {
  const calls: string[] = []
  const service = {
    async hello (): Promise<string> {
      calls.push('hello')
      return 'hi'
    },
    async subscribe (params?: { events?: string[] }): Promise<{ events: string[] }> {
      calls.push('subscribe')
      const p = parseParams('subscribe', v.optional(v.strictObject({ events: v.optional(v.array(v.picklist(SUBSCRIBABLE))) }), {}), params)
      return { events: p.events ?? [...SUBSCRIBABLE] }
    }
  }
  return { service, calls }
}
type Service = ReturnType<typeof makeService>['service']

async function until (check: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 20 s')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('RPC events (subscribe, bounded queues)', function () {
  const token = newToken()
  let server: RpcServer
  let bus: EventBus
  const clients: Array<RpcClient<Service>> = []

  beforeEach(async () => {
    bus = new EventBus()
    server = await startRpcServer({ host: '127.0.0.1', port: 0, token, service: makeService().service, events: bus })
  })
  afterEach(async () => {
    await Promise.all(clients.splice(0).map(async (c) => { await c.close() }))
    await server.close()
  })

  async function listener (): Promise<{ c: RpcClient<Service>, got: Array<[string, any]> }> {
    const got: Array<[string, any]> = []
    const c = await connectRpc<Service>(server.url, token, { onNotification: (m, p) => { got.push([m, p]) } })
    clients.push(c)
    return { c, got }
  }

  it('EventQueue keeps MAX_RPC_EVENT_QUEUE events; one more empties it and counts every lost one', () => {
    const q = new EventQueue()
    for (let i = 0; i < MAX_RPC_EVENT_QUEUE; i++) q.push(String(i))
    assert.equal(q.size, MAX_RPC_EVENT_QUEUE)
    assert.deepEqual(q.shift(), { kind: 'event', text: '0' })
    q.push('x')
    q.push('y') // limit + 1
    assert.equal(q.size, 0)
    assert.deepEqual(q.shift(), { kind: 'lost', count: MAX_RPC_EVENT_QUEUE + 1 })
    assert.equal(q.shift(), undefined)
    q.mergeStatus({ unread: 1, peers: 2 })
    q.mergeStatus({ unread: 3 })
    assert.deepEqual(q.takeStatus(), { unread: 3, peers: 2 })
    assert.equal(q.takeStatus(), undefined)
  })

  it('nothing arrives before subscribe; afterwards the chosen events and statusChanged do', async () => {
    const { c, got } = await listener()
    bus.publish('message', { place: 'a', id: 1 })
    assert.equal(await c.call.hello(), 'hi')
    assert.deepEqual(got, [])
    assert.deepEqual(await c.call.subscribe({ events: ['message', 'statusChanged'] }), { events: ['message', 'statusChanged'] })
    bus.publish('message', { place: 'a', id: 2 })
    bus.publish('invitation', { place: 'b' })
    bus.setStatus({ ...bus.status, unread: 2 })
    await until(() => got.length === 2)
    // a pending status goes out before queued events (it is the newest state)
    assert.deepEqual(got, [['statusChanged', { unread: 2 }], ['message', { place: 'a', id: 2 }]])
    await assert.rejects(c.call.subscribe({ events: ['nope'] }), (e: unknown) => isSecushareError(e, 'INVALID_ARGUMENT'))
    await c.call.subscribe({ events: [] })
    bus.publish('message', { place: 'a', id: 3 })
    assert.equal(await c.call.hello(), 'hi')
    assert.equal(got.length, 2)
  })

  it(`${MAX_RPC_EVENT_QUEUE} events at once all arrive in order; one more becomes eventsLost {count}`, async () => {
    const { c, got } = await listener()
    await c.call.subscribe({ events: ['message'] })
    for (let id = 1; id <= MAX_RPC_EVENT_QUEUE; id++) bus.publish('message', { place: 'a', id })
    await until(() => got.length === MAX_RPC_EVENT_QUEUE)
    assert.deepEqual(got.map(([, p]) => p.id), Array.from({ length: MAX_RPC_EVENT_QUEUE }, (_, i) => i + 1))
    got.length = 0
    for (let id = 1; id <= MAX_RPC_EVENT_QUEUE + 1; id++) bus.publish('message', { place: 'a', id })
    bus.publish('message', { place: 'a', id: 0 }) // after the loss, events flow again
    await until(() => got.length === 2)
    assert.deepEqual(got, [['eventsLost', { count: MAX_RPC_EVENT_QUEUE + 1 }], ['message', { place: 'a', id: 0 }]])
  })

  it('a subscriber that never reads costs a bounded queue; the others and the calls go on', async () => {
    // the slow one is a QWebChannel client (its socket can be paused); both kinds share the queue
    const slow = await connectWebChannel(server.webchannelUrl, token)
    const lost: number[] = []
    slow.objects.secushare.message.connect(() => {})
    slow.objects.secushare.eventsLost.connect((p: { count: number }) => { lost.push(p.count) })
    await slow.objects.secushare.hello()
    slow.ws.pause()
    const fast = await listener()
    await fast.c.call.subscribe({ events: ['message'] })
    const big = 'p'.repeat(16 * 1024)
    const rounds = 40 // 64 MiB for the slow client: more than loopback socket buffers hold
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < MAX_RPC_EVENT_QUEUE / 10; i++) bus.publish('message', { place: 'a', id: r * 1000 + i, big })
      assert.equal(await fast.c.call.hello(), 'hi')
      await until(() => fast.got.length === (r + 1) * MAX_RPC_EVENT_QUEUE / 10)
    }
    assert.equal(server.stats.connections, 2)
    assert.equal(lost.length, 0)
    slow.ws.resume()
    await until(() => lost.length === 1)
    assert.ok(lost[0]! > 0)
    await slow.close()
  })
})
