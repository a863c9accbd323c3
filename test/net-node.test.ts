/**
 * The libp2p adapter on 127.0.0.1: dial and events, FrameStream protocols, limits, faults,
 * relay and DHT smoke tests, and mDNS inside a private network namespace. No wall-clock
 * assertions: every wait is bounded and fails by timing out.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { createNetNode, type NetEvents, type NetNode, type NetOptions } from '../core/net/node.js'
import { generatePeerKey } from '../core/net/peer-key.js'
import { isSecushareError, type ErrorCode } from '../protocol/errors.js'
import { MAX_FRAME_BYTES, MAX_INBOUND_STREAMS_PER_PROTOCOL } from '../protocol/limits.js'
import { canUseNetns, netnsProblem, runInNetns } from './support/netns.js'
import { REPO_ROOT } from './support/tmp.js'

const ECHO = '/secushare-test/echo/1'
const T = 10_000 // a read timeout that is never meant to fire

const nodes: NetNode[] = []
async function node (o: Partial<NetOptions> = {}): Promise<NetNode> {
  const n = await createNetNode({ peerKey: await generatePeerKey(), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false, relayClient: false, relayServer: false, ...o })
  nodes.push(n)
  await n.start()
  return n
}
after(async () => { await Promise.all(nodes.map(async (n) => { await n.stop() })) })

/** The next event of that kind matching `pred`, or a rejection after `ms`. Subscribe before acting. */
async function next<K extends keyof NetEvents> (n: NetNode, event: K, pred: (e: NetEvents[K]) => boolean, ms = 10_000): Promise<NetEvents[K]> {
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`no ${event} within ${ms} ms`)) }, ms)
    const off = n.on(event, (e) => { if (pred(e)) { clearTimeout(timer); off(); resolve(e) } })
  })
}

async function rejectsWith (p: Promise<unknown>, code: ErrorCode, detail: Record<string, unknown> = {}): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isSecushareError(e, code), `expected ${code}, got ${String(e)}`)
    for (const [k, v] of Object.entries(detail)) assert.deepEqual(e.detail[k], v, k)
    return true
  })
}

function bytes (n: number): Uint8Array { return Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff) }

/** Echoes every frame until the stream ends. */
async function echo (n: NetNode): Promise<void> {
  await n.handle(ECHO, async (s) => {
    for (;;) {
      let frame: Uint8Array
      try { frame = await s.read(MAX_FRAME_BYTES, T) } catch (e) { if (isSecushareError(e, 'STREAM_CLOSED')) return; throw e }
      await s.write(frame)
    }
  })
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function deadPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  return port
}

describe('net node (loopback)', () => {
  let a: NetNode
  let b: NetNode
  before(async () => {
    a = await node()
    b = await node()
    await echo(b)
  })

  it('reports its listen addresses with /p2p/<peerId>', () => {
    assert.ok(a.addrs().length > 0)
    for (const addr of a.addrs()) assert.match(addr, new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${a.peerId}$`))
  })

  it('dials: peer:connect on both sides, identify with listen addresses, then hangUp: peer:disconnect on both', async () => {
    const bAddr = b.addrs()[0]!.replace(/\/p2p\/[^/]+$/, '')
    const aConnect = next(a, 'peer:connect', (p) => p === b.peerId)
    const bConnect = next(b, 'peer:connect', (p) => p === a.peerId)
    const identified = next(a, 'peer:identify', (e) => e.peerId === b.peerId)
    const offThrowing = a.on('peer:connect', () => { throw new Error('a listener that throws') })
    await a.dial(b.peerId, [bAddr])
    await Promise.all([aConnect, bConnect])
    offThrowing()
    assert.equal(a.stats().listenerErrors, 1)
    assert.ok((await identified).listenAddrs.includes(bAddr))
    assert.ok(a.isConnected(b.peerId) && b.isConnected(a.peerId))
    assert.deepEqual(a.connectedPeers(), [b.peerId])
    assert.ok(a.knownAddrs(b.peerId).includes(bAddr))
    await a.dial(b.peerId, []) // already connected: a no-op

    const aGone = next(a, 'peer:disconnect', (p) => p === b.peerId)
    const bGone = next(b, 'peer:disconnect', (p) => p === a.peerId)
    await a.hangUp(b.peerId)
    await Promise.all([aGone, bGone])
    assert.equal(a.isConnected(b.peerId), false)
  })

  it('echoes frames of 0 bytes, 1 byte and exactly MAX_FRAME_BYTES; refuses to send MAX_FRAME_BYTES + 1', async () => {
    const s = await a.openStream(b.peerId, b.addrs(), ECHO)
    assert.equal(s.remotePeer, b.peerId)
    for (const n of [0, 1, MAX_FRAME_BYTES, 1]) {
      await s.write(bytes(n))
      assert.deepEqual(await s.read(MAX_FRAME_BYTES, T), bytes(n))
    }
    await rejectsWith(s.write(bytes(MAX_FRAME_BYTES + 1)), 'LIMIT_EXCEEDED', { limit: 'MAX_FRAME_BYTES' })
    await s.close()
    await rejectsWith(s.read(MAX_FRAME_BYTES, T), 'STREAM_CLOSED', { midFrame: false })
  })

  it("refuses a frame over the reader's limit with LIMIT_EXCEEDED, accepts one at it", async () => {
    const proto = '/secushare-test/limit/1'
    const results: unknown[] = []
    await b.handle(proto, async (s) => {
      try { results.push((await s.read(100, T)).length); results.push((await s.read(100, T)).length) } catch (e) { results.push(e) }
    })
    const s = await a.openStream(b.peerId, b.addrs(), proto)
    await s.write(bytes(100))
    await s.write(bytes(101))
    await rejectsWith(s.read(MAX_FRAME_BYTES, T), 'STREAM_CLOSED') // the reader aborted the stream
    assert.equal(results[0], 100)
    assert.ok(isSecushareError(results[1], 'LIMIT_EXCEEDED'))
    assert.deepEqual(results[1].detail, { limit: 'maxBytes', max: 100, actual: 101 })
  })

  it('survives a handler that throws: the stream is aborted and counted, the next stream works', async () => {
    const proto = '/secushare-test/throws/1'
    let calls = 0
    await b.handle(proto, async (s) => {
      if (++calls === 1) throw new Error('handler bug')
      await s.write(Uint8Array.of(7))
    })
    const before = b.stats().handlerErrors
    const first = await a.openStream(b.peerId, b.addrs(), proto)
    await rejectsWith(first.read(MAX_FRAME_BYTES, T), 'STREAM_CLOSED')
    assert.equal(b.stats().handlerErrors, before + 1)
    const second = await a.openStream(b.peerId, b.addrs(), proto)
    assert.deepEqual(await second.read(MAX_FRAME_BYTES, T), Uint8Array.of(7))
    const third = await a.openStream(b.peerId, b.addrs(), ECHO)
    await third.write(bytes(5))
    assert.deepEqual(await third.read(MAX_FRAME_BYTES, T), bytes(5))
    await third.close()
  })

  it('times out a read with STREAM_TIMEOUT, and reports a peer closing or aborting as STREAM_CLOSED', async () => {
    const proto = '/secushare-test/silent/1'
    let release = (): void => {}
    const held = new Promise<void>((resolve) => { release = resolve })
    await b.handle(proto, async (s) => {
      const cmd = await s.read(1, T)
      if (cmd[0] === 1) await held // stay silent
      else if (cmd[0] === 2) s.abort('peer aborts')
      // 0: return, so the node closes the stream
    })
    const silent = await a.openStream(b.peerId, b.addrs(), proto)
    await silent.write(Uint8Array.of(1))
    await rejectsWith(silent.read(MAX_FRAME_BYTES, 200), 'STREAM_TIMEOUT')
    release()
    await rejectsWith(silent.read(MAX_FRAME_BYTES, T), 'STREAM_CLOSED')
    for (const cmd of [0, 2]) {
      const s = await a.openStream(b.peerId, b.addrs(), proto)
      await s.write(Uint8Array.of(cmd))
      await rejectsWith(s.read(MAX_FRAME_BYTES, T), 'STREAM_CLOSED', { midFrame: false })
    }
  })

  it('allows MAX_INBOUND_STREAMS_PER_PROTOCOL open streams of a protocol per connection and resets one more', async () => {
    const proto = '/secushare-test/held/1'
    let release = (): void => {}
    const held = new Promise<void>((resolve) => { release = resolve })
    await b.handle(proto, async (s) => { await s.write(Uint8Array.of(1)); await held })
    const open = []
    for (let i = 0; i < MAX_INBOUND_STREAMS_PER_PROTOCOL; i++) {
      const s = await a.openStream(b.peerId, b.addrs(), proto)
      assert.deepEqual(await s.read(1, T), Uint8Array.of(1))
      open.push(s)
    }
    const extra = await a.openStream(b.peerId, b.addrs(), proto)
    await rejectsWith(extra.read(1, T), 'STREAM_CLOSED')
    release()
    for (const s of open) {
      await rejectsWith(s.read(1, T), 'STREAM_CLOSED')
      await s.close()
    }
  })

  it('raises PROTOCOL_UNSUPPORTED for a protocol the peer does not serve', async () => {
    await rejectsWith(a.openStream(b.peerId, b.addrs(), '/secushare-test/nobody/1'), 'PROTOCOL_UNSUPPORTED')
  })

  it('raises PEER_UNREACHABLE for a dead address and for a stopped node', async () => {
    const c = await node()
    await rejectsWith(a.dial(c.peerId, [`/ip4/127.0.0.1/tcp/${await deadPort()}`]), 'PEER_UNREACHABLE', { peerId: c.peerId })
    const addrs = c.addrs()
    await c.stop()
    await rejectsWith(a.openStream(c.peerId, addrs, ECHO), 'PEER_UNREACHABLE')
  })

  it('raises INVALID_ARGUMENT for a bad peer id, a bad multiaddr, an address of another peer, or itself', async () => {
    await rejectsWith(a.dial('not-a-peer-id', []), 'INVALID_ARGUMENT')
    await rejectsWith(a.dial(b.peerId, ['/ip4/127.0.0.1/tcp/notaport']), 'INVALID_ARGUMENT')
    await rejectsWith(a.dial(b.peerId, [`/ip4/127.0.0.1/tcp/1/p2p/${a.peerId}`]), 'INVALID_ARGUMENT')
    await rejectsWith(a.dial(a.peerId, []), 'INVALID_ARGUMENT')
    assert.throws(() => a.knownAddrs('junk'), (e: unknown) => isSecushareError(e, 'INVALID_ARGUMENT'))
  })

  it('raises LISTEN_FAILED for an address in use, and INVALID_ARGUMENT for a protocol handled twice', async () => {
    const taken = a.addrs()[0]!.replace(/\/p2p\/[^/]+$/, '')
    await rejectsWith(node({ listen: [taken] }), 'LISTEN_FAILED')
    await rejectsWith(b.handle(ECHO, async () => {}), 'INVALID_ARGUMENT')
  })

  it('accepts maxConnections connections and refuses one more', async () => {
    const small = await node({ maxConnections: 1 })
    const c = await node()
    await a.dial(small.peerId, small.addrs())
    await rejectsWith(c.dial(small.peerId, small.addrs()), 'PEER_UNREACHABLE')
    assert.deepEqual(small.connectedPeers(), [a.peerId])
  })
})

describe('net node relay and DHT (loopback)', () => {
  it('reaches a peer that listens only through a circuit relay', async () => {
    const relay = await node({ relayServer: true })
    const hidden = await node({ relayClient: true, listen: [`${relay.addrs()[0]!}/p2p-circuit`] })
    await echo(hidden)
    const circuit = hidden.addrs().find((x) => x.includes('/p2p-circuit/'))
    assert.ok(circuit !== undefined, `no circuit address in ${hidden.addrs().join(' ')}`)
    assert.ok(hidden.addrs().every((x) => x.includes('/p2p-circuit/')), 'the hidden node has only circuit addresses')
    const dialer = await node({ relayClient: true })
    const connected = next(hidden, 'peer:connect', (p) => p === dialer.peerId)
    const s = await dialer.openStream(hidden.peerId, [circuit], ECHO)
    await connected
    await s.write(bytes(1000))
    assert.deepEqual(await s.read(MAX_FRAME_BYTES, T), bytes(1000))
    await s.close()
  })

  it('a peer that connects, or that we dial, is not reported as discovered (nearby means found on the LAN)', async () => {
    const x = await node()
    const y = await node()
    const seen: string[] = []
    for (const n of [x, y]) n.on('peer:discovery', (p) => { seen.push(`${p.source} ${p.peerId}`) })
    const identified = next(y, 'peer:identify', (e) => e.peerId === x.peerId)
    await x.dial(y.peerId, y.addrs())
    await identified // the peer store knows x now: libp2p's own 'peer:discovery' would have fired
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.deepEqual(seen, [])
  })

  it('starts, connects and stops nodes with the DHT on', async () => {
    const x = await node({ dht: true })
    const y = await node({ dht: true })
    await x.dial(y.peerId, y.addrs())
    assert.ok(x.isConnected(y.peerId))
    await Promise.all([x.stop(), y.stop()])
    assert.deepEqual(x.connectedPeers(), [])
  })
})

describe('net node mDNS (private network namespace)', () => {
  it('two nodes discover each other within 10 s and do not dial', async function () {
    if (!canUseNetns()) {
      console.log(`      skipped: ${netnsProblem()}`)
      this.skip()
    }
    const r = await runInNetns(join(REPO_ROOT, 'dist', 'test', 'support', 'mdns-pair.js'), [], 30_000)
    assert.equal(r.code, 0, r.stderr)
    assert.ok(r.json !== undefined, `no JSON from the script: ${r.stdout} ${r.stderr}`)
    assert.deepEqual(r.json.aSaw, [r.json.b])
    assert.deepEqual(r.json.bSaw, [r.json.a])
    assert.equal(r.json.connected, false)
  })
})
