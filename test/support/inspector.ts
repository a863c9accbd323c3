/**
 * Node's inspector protocol, for a child process started with `--inspect=127.0.0.1:0` (tests only):
 * forces a full garbage collection in the child and reads its heap, so a leak test compares live
 * objects rather than how far V8 happened to grow its heap.
 */
import { WebSocket } from 'ws'

/** The inspector's WebSocket URL from the child's stderr ("Debugger listening on ws://…"). */
export function inspectorUrl (stderr: string): string | undefined {
  return /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+)/.exec(stderr)?.[1]
}

export interface Inspector {
  /** Heap bytes in use right after a forced full collection. */
  liveHeap: () => Promise<number>
  /** The child's process.memoryUsage(): where its resident memory is (V8 heap, external buffers). */
  usage: () => Promise<NodeJS.MemoryUsage>
  close: () => void
}

export async function connectInspector (url: string): Promise<Inspector> {
  const ws = new WebSocket(url)
  await new Promise<void>((resolve, reject) => { ws.once('open', () => { resolve() }); ws.once('error', reject) })
  let id = 0
  const waiting = new Map<number, (result: any) => void>()
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { id?: number, result?: unknown }
    if (m.id !== undefined) waiting.get(m.id)?.(m.result)
  })
  const call = async (method: string, params?: unknown): Promise<any> => await new Promise((resolve, reject) => {
    const n = ++id
    const timer = setTimeout(() => { reject(new Error(`inspector: no answer to ${method}`)) }, 60_000)
    waiting.set(n, (r) => { clearTimeout(timer); waiting.delete(n); resolve(r) })
    ws.send(JSON.stringify({ id: n, method, params }))
  })
  return {
    liveHeap: async () => {
      await call('HeapProfiler.collectGarbage')
      return (await call('Runtime.getHeapUsage')).usedSize as number
    },
    usage: async () => JSON.parse((await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true })).result.value as string) as NodeJS.MemoryUsage,
    close: () => { ws.close() }
  }
}
