/**
 * RPC limits not covered by test/rpc.test.ts, each at the limit and one past it: the failed-login
 * limiter's window, block time and tracked addresses (on the test's clock), and TCP connections
 * waiting for their WebSocket upgrade (127.0.0.1).
 */
import assert from 'node:assert/strict'
import { connect as netConnect, type Socket } from 'node:net'
import { newToken } from '../core/rpc/auth.js'
import { AuthLimiter, mayWriteEvents, startRpcServer, tooFarBehind, type RpcServer } from '../core/rpc/server.js'
import { MAX_RPC_AUTH_TRACKED_ADDRESSES, MAX_RPC_CLIENT_BUFFERED_BYTES, RPC_EVENT_SEND_BUFFERED_BYTES, MAX_RPC_PENDING_SOCKETS, RPC_AUTH_BLOCK_MS, RPC_AUTH_FAILURE_LIMIT, RPC_AUTH_FAILURE_WINDOW_MS } from '../protocol/limits.js'

describe('RPC limits: clients that fall behind', () => {
  // what the socket has not taken yet (ws's bufferedAmount) depends on the OS's buffers, so the
  // limits are checked on the server's two decisions here; test/rpc.test.ts drops a real client
  // that stops reading, and test/rpc-events.test.ts keeps a slow one's events bounded
  it(`a client up to MAX_RPC_CLIENT_BUFFERED_BYTES (${MAX_RPC_CLIENT_BUFFERED_BYTES}) behind is sent to; one byte more is dropped`, () => {
    assert.equal(tooFarBehind(MAX_RPC_CLIENT_BUFFERED_BYTES), false)
    assert.equal(tooFarBehind(MAX_RPC_CLIENT_BUFFERED_BYTES + 1), true)
  })

  it(`events are written while fewer than RPC_EVENT_SEND_BUFFERED_BYTES (${RPC_EVENT_SEND_BUFFERED_BYTES}) wait in the socket`, () => {
    assert.equal(mayWriteEvents(RPC_EVENT_SEND_BUFFERED_BYTES - 1), true)
    assert.equal(mayWriteEvents(RPC_EVENT_SEND_BUFFERED_BYTES), false)
  })
})

describe('RPC limits: failed authentications (AuthLimiter)', () => {
  const T0 = 1_000_000
  /** `n` failures of `addr`, all at `at`. */
  const fail = (l: AuthLimiter, addr: string, n: number, at = T0): void => { for (let i = 0; i < n; i++) l.fail(addr, at) }

  it(`counts failures within RPC_AUTH_FAILURE_WINDOW_MS (${RPC_AUTH_FAILURE_WINDOW_MS} ms) of the first; later ones start a new window`, () => {
    const inside = new AuthLimiter()
    fail(inside, 'a', RPC_AUTH_FAILURE_LIMIT - 1)
    inside.fail('a', T0 + RPC_AUTH_FAILURE_WINDOW_MS) // at the end of the window: still counted
    assert.ok(inside.blockedFor('a', T0 + RPC_AUTH_FAILURE_WINDOW_MS) > 0)
    const outside = new AuthLimiter()
    fail(outside, 'a', RPC_AUTH_FAILURE_LIMIT - 1)
    outside.fail('a', T0 + RPC_AUTH_FAILURE_WINDOW_MS + 1) // one ms past it: a new window
    assert.equal(outside.blockedFor('a', T0 + RPC_AUTH_FAILURE_WINDOW_MS + 1), 0)
  })

  it(`blocks for RPC_AUTH_BLOCK_MS (${RPC_AUTH_BLOCK_MS} ms) after RPC_AUTH_FAILURE_LIMIT failures`, () => {
    const l = new AuthLimiter()
    fail(l, 'a', RPC_AUTH_FAILURE_LIMIT - 1)
    assert.equal(l.blockedFor('a', T0), 0, 'one failure short: not blocked')
    l.fail('a', T0)
    assert.equal(l.blockedFor('a', T0), RPC_AUTH_BLOCK_MS)
    assert.equal(l.blockedFor('a', T0 + RPC_AUTH_BLOCK_MS - 1), 1, 'the last ms of the block')
    assert.equal(l.blockedFor('a', T0 + RPC_AUTH_BLOCK_MS), 0, 'over')
    assert.equal(l.blockedFor('b', T0), 0, 'other addresses are not blocked')
  })

  it(`remembers MAX_RPC_AUTH_TRACKED_ADDRESSES (${MAX_RPC_AUTH_TRACKED_ADDRESSES}) addresses; one more forgets the oldest`, () => {
    for (const others of [MAX_RPC_AUTH_TRACKED_ADDRESSES - 1, MAX_RPC_AUTH_TRACKED_ADDRESSES]) {
      const l = new AuthLimiter()
      fail(l, 'first', RPC_AUTH_FAILURE_LIMIT - 1)
      for (let i = 0; i < others; i++) l.fail(`other${i}`, T0)
      l.fail('first', T0)
      const remembered = others < MAX_RPC_AUTH_TRACKED_ADDRESSES
      assert.equal(l.blockedFor('first', T0) > 0, remembered, `${others} other addresses: ${remembered ? 'remembered, so blocked' : 'forgotten, so counting afresh'}`)
    }
  })
})

describe('RPC limits: connections waiting for their upgrade (127.0.0.1)', function () {
  this.timeout(30_000)
  let server: RpcServer
  const sockets: Socket[] = []
  before(async () => {
    server = await startRpcServer({ host: '127.0.0.1', port: 0, token: newToken(), service: { async hello () { return 'hi' } } })
  })
  after(async () => {
    for (const s of sockets) s.destroy()
    await server.close()
  })

  /** A TCP connection that never upgrades; resolves once connected. */
  async function open (): Promise<{ socket: Socket, closed: () => boolean, close: Promise<void> }> {
    const socket = netConnect(server.port, '127.0.0.1')
    sockets.push(socket)
    socket.on('error', () => {})
    let isClosed = false
    const close = new Promise<void>((resolve) => { socket.once('close', () => { isClosed = true; resolve() }) })
    await new Promise<void>((resolve, reject) => { socket.once('connect', () => { resolve() }); socket.once('close', () => { reject(new Error('closed before connecting')) }) })
    // let the server see it before the next one
    await new Promise((resolve) => setTimeout(resolve, 5))
    return { socket, closed: () => isClosed, close }
  }

  it(`keeps MAX_RPC_PENDING_SOCKETS (${MAX_RPC_PENDING_SOCKETS}) waiting; one more is dropped at once`, async () => {
    const waiting = []
    for (let i = 0; i < MAX_RPC_PENDING_SOCKETS; i++) waiting.push(await open())
    const extra = await open().catch(() => undefined)
    // dropped before any of the earlier ones reached its upgrade timeout (they are older)
    if (extra !== undefined) await extra.close
    assert.deepEqual(waiting.filter((w) => w.closed()).length, 0, 'the ones at the limit are still waiting')
    // one of them leaves: there is room again
    waiting[0]!.socket.destroy()
    await waiting[0]!.close
    await new Promise((resolve) => setTimeout(resolve, 20))
    const again = await open()
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(again.closed(), false, 'a free place is taken again')
  })
})
