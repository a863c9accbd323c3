/**
 * Method calls per second over JSON-RPC (/rpc, typed-rpc client) and over QWebChannel
 * (/webchannel, the npm qwebchannel client), each against raw `ws` round trips of a similar frame
 * in the same run; and events fanned out to 10 QWebChannel clients against a raw `ws` broadcast.
 * All in this process on 127.0.0.1, with a one-method service (so the figures are the protocols'
 * cost, not the service's).
 */
import { WebSocketServer, WebSocket } from 'ws'
import { newToken } from '../core/rpc/auth.js'
import { connectRpc } from '../core/rpc/client.js'
import { EventBus } from '../core/rpc/event-bus.js'
import { startRpcServer } from '../core/rpc/server.js'
import { connectWebChannel } from '../core/rpc/webchannel-client.js'
import type { BenchResult } from './report.js'

const IN_FLIGHT = 16
const FANOUT_CLIENTS = 10

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

/** Calls per second: IN_FLIGHT loops calling `call` until the window ends. */
async function rate (call: () => Promise<unknown>, windowMs: number): Promise<number> {
  let n = 0
  const end = performance.now() + windowMs
  const start = performance.now()
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (performance.now() < end) { await call(); n++ }
  }))
  return n / ((performance.now() - start) / 1000)
}

/** A raw ws echo server and a client whose call() is one round trip of `frame`. */
async function rawEcho (frame: string): Promise<{ call: () => Promise<unknown>, close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  wss.on('connection', (ws) => { ws.on('message', (d) => { ws.send(String(d)) }) })
  await new Promise<void>((resolve) => { wss.once('listening', () => { resolve() }) })
  const port = (wss.address() as { port: number }).port
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false })
  await new Promise<void>((resolve) => { ws.once('open', () => { resolve() }) })
  const waiting: Array<() => void> = []
  ws.on('message', () => { waiting.shift()?.() })
  return {
    call: async () => await new Promise<void>((resolve) => { waiting.push(resolve); ws.send(frame) }),
    close: async () => { ws.terminate(); await new Promise<void>((resolve) => { wss.close(() => { resolve() }) }) }
  }
}

export async function benchRpc (o: { quick: boolean }): Promise<BenchResult[]> {
  const windowMs = o.quick ? 300 : 1000
  const runs = o.quick ? 3 : 5
  const token = newToken()
  const bus = new EventBus()
  const server = await startRpcServer({ host: '127.0.0.1', port: 0, token, events: bus, service: { async ping (): Promise<string> { return 'pong' } } })
  const rpc = await connectRpc<{ ping: () => Promise<string> }>(server.url, token)
  const wc = await connectWebChannel(server.webchannelUrl, token)
  const raw = await rawEcho('{"jsonrpc":"2.0","id":1,"method":"ping","params":[]}')
  const r = { raw: [] as number[], rpc: [] as number[], wc: [] as number[] }
  try {
    for (let i = 0; i < runs; i++) {
      r.raw.push(await rate(raw.call, windowMs))
      r.rpc.push(await rate(async () => await rpc.call.ping(), windowMs))
      r.wc.push(await rate(async () => await wc.objects.secushare.ping(), windowMs))
    }
    const fan = await fanout(server.webchannelUrl, token, bus, o.quick ? 500 : 2000)
    const raws = median(r.raw)
    return [
      { key: 'rpc_calls_per_s', value: median(r.rpc), unit: 'calls/s', reference: raws, referenceUnit: 'raw ws round trips/s' },
      { key: 'webchannel_calls_per_s', value: median(r.wc), unit: 'calls/s', reference: raws, referenceUnit: 'raw ws round trips/s' },
      { key: 'rpc_vs_raw_ws', value: median(r.rpc) / raws, unit: '×' },
      { key: 'webchannel_vs_raw_ws', value: median(r.wc) / raws, unit: '×' },
      ...fan
    ]
  } finally {
    await raw.close()
    await rpc.close()
    await wc.close()
    await server.close()
  }
}

/** `events` message events to FANOUT_CLIENTS QWebChannel clients vs the same frames broadcast over raw ws. */
async function fanout (url: string, token: string, bus: EventBus, events: number): Promise<BenchResult[]> {
  const clients = await Promise.all(Array.from({ length: FANOUT_CLIENTS }, async () => await connectWebChannel(url, token)))
  let got = 0
  for (const c of clients) c.objects.secushare.message.connect(() => { got++ })
  await Promise.all(clients.map(async (c) => await c.objects.secushare.ping())) // each connectToSignal was read
  const until = async (n: number): Promise<void> => { while (got < n) await new Promise((resolve) => setImmediate(resolve)) }
  let t = performance.now()
  for (let i = 0; i < events; i++) {
    bus.publish('message', { place: 'a'.repeat(64), id: i })
    if (i % 200 === 199) await until((i + 1 - 200) * FANOUT_CLIENTS) // stay below MAX_RPC_EVENT_QUEUE
  }
  await until(events * FANOUT_CLIENTS)
  const wcRate = events / ((performance.now() - t) / 1000)
  for (const c of clients) await c.close()

  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  await new Promise<void>((resolve) => { wss.once('listening', () => { resolve() }) })
  const port = (wss.address() as { port: number }).port
  const socks: WebSocket[] = []
  wss.on('connection', (ws) => { socks.push(ws) })
  let rawGot = 0
  const rawClients = await Promise.all(Array.from({ length: FANOUT_CLIENTS }, async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false })
    ws.on('message', () => { rawGot++ })
    await new Promise<void>((resolve) => { ws.once('open', () => { resolve() }) })
    return ws
  }))
  while (socks.length < FANOUT_CLIENTS) await new Promise((resolve) => setImmediate(resolve))
  t = performance.now()
  for (let i = 0; i < events; i++) {
    // a signal frame of the same size
    const frame = JSON.stringify({ type: 1, object: 'secushare', signal: 1, args: [{ place: 'a'.repeat(64), id: i }] })
    for (const s of socks) s.send(frame)
    if (i % 200 === 199) while (rawGot < (i + 1 - 200) * FANOUT_CLIENTS) await new Promise((resolve) => setImmediate(resolve))
  }
  while (rawGot < events * FANOUT_CLIENTS) await new Promise((resolve) => setImmediate(resolve))
  const rawRate = events / ((performance.now() - t) / 1000)
  for (const ws of rawClients) ws.terminate()
  await new Promise<void>((resolve) => { wss.close(() => { resolve() }) })
  return [
    { key: 'webchannel_fanout10_events_per_s', value: wcRate, unit: 'events/s (each to 10 clients)', reference: rawRate, referenceUnit: 'raw ws broadcasts/s' },
    { key: 'webchannel_fanout10_vs_raw_ws', value: wcRate / rawRate, unit: '×' }
  ]
}
