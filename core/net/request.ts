/**
 * One request, one answer: opens a stream of `protocol` to a peer, writes one frame, reads one
 * frame (at most `read.maxBytes`, within `read.timeoutMs`) and closes the stream. The request
 * protocols (places, names, relays) ask their questions this way.
 */
import type { NetNode } from './node.js'

export interface AnswerLimits { maxBytes: number, timeoutMs: number, limit: string }

export async function requestFrame (net: NetNode, peer: string, addrs: string[], protocol: string, frame: Uint8Array, read: AnswerLimits): Promise<Uint8Array> {
  const s = await net.openStream(peer, addrs, protocol)
  try {
    await s.write(frame)
    return await s.read(read.maxBytes, read.timeoutMs, read.limit)
  } finally {
    s.abort('done')
  }
}
