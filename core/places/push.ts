/**
 * Direct delivery, the host's side (docs/places.md, "Direct delivery"). In a place with at most
 * DIRECT_DELIVERY_MEMBERS members besides the host, the host sends every new envelope straight to
 * each member it is connected to, as `_notice_place_push` frames of `/secushare/place/1.0.0` on
 * one long-lived stream per member node, instead of publishing it on gossipsub; nobody forwards.
 *
 * Contract: send() never waits and never dials. Frames to one peer leave in the order given. A
 * frame that cannot go out is dropped and counted (`dropped`): the peer is not connected, its queue
 * holds MAX_PUSH_QUEUE_BYTES already, or its stream broke twice. A member finds what it lacks as it
 * finds what gossip lost: by the gap before the next message, on reconnecting, or periodically.
 */
import { MAX_PUSH_QUEUE_BYTES } from '../../protocol/limits.js'
import { PLACE_PROTOCOL } from '../../protocol/place-wire.js'
import { WRITE_BATCH_BYTES, type FrameStream } from '../net/framing.js'
import type { NetNode } from '../net/node.js'

/** Places with at most this many members besides the host are delivered directly (8 copies per post at most). */
export const DIRECT_DELIVERY_MEMBERS = 8
/** The host closes a push stream that carried nothing for this long (the next frame opens another). */
export const PUSH_IDLE_MS = 30_000
/** A member hangs up on a push stream silent for this long (the host should have closed it). */
export const PUSH_READ_IDLE_MS = 2 * PUSH_IDLE_MS

export { MAX_PUSH_QUEUE_BYTES }

type PushNet = Pick<NetNode, 'isConnected' | 'openStream'>

interface Lane { queue: Uint8Array[], bytes: number, stream?: FrameStream, running: boolean, idle?: NodeJS.Timeout }

export class Pusher {
  /** Frames written, dropped, and streams opened, since start. */
  readonly stats = { sent: 0, dropped: 0, streams: 0 }
  private readonly lanes = new Map<string, Lane>()
  private stopped = false

  constructor (private readonly net: PushNet, private readonly idleMs = PUSH_IDLE_MS) {}

  /** Queues a frame for `peer`; false (and counted) when it is dropped at once. */
  send (peer: string, frame: Uint8Array): boolean {
    const lane = this.lanes.get(peer) ?? { queue: [], bytes: 0, running: false }
    if (this.stopped || !this.net.isConnected(peer) || lane.bytes + frame.byteLength > MAX_PUSH_QUEUE_BYTES) {
      this.stats.dropped++
      return false
    }
    this.lanes.set(peer, lane)
    lane.queue.push(frame)
    lane.bytes += frame.byteLength
    if (!lane.running) void this.drain(peer, lane)
    return true
  }

  /** Bytes waiting for `peer` (the frame being written included). */
  queued (peer: string): number { return this.lanes.get(peer)?.bytes ?? 0 }

  stop (): void {
    this.stopped = true
    for (const lane of this.lanes.values()) {
      clearTimeout(lane.idle)
      lane.stream?.abort('stopping')
      this.stats.dropped += lane.queue.length
      lane.queue = []
      lane.bytes = 0
    }
    this.lanes.clear()
  }

  private async drain (peer: string, lane: Lane): Promise<void> {
    lane.running = true
    clearTimeout(lane.idle)
    while (lane.queue.length > 0 && !this.stopped) {
      // what queued up meanwhile leaves in one write
      const batch: Uint8Array[] = []
      let bytes = 0
      for (const frame of lane.queue) {
        if (batch.length > 0 && bytes + frame.byteLength > WRITE_BATCH_BYTES) break
        batch.push(frame)
        bytes += frame.byteLength
      }
      if (!await this.write(peer, lane, batch)) {
        // the peer is gone: what waits is replayed by the member when it is back
        this.stats.dropped += lane.queue.length
        lane.queue = []
        lane.bytes = 0
        break
      }
      lane.queue.splice(0, batch.length)
      lane.bytes -= bytes
      this.stats.sent += batch.length
    }
    lane.running = false
    if (this.stopped) return
    lane.idle = setTimeout(() => { this.close(peer, lane) }, this.idleMs)
    lane.idle.unref()
  }

  /** Writes frames, on a fresh stream once more if the one in use broke (the member may have hung up on it). */
  private async write (peer: string, lane: Lane, frames: Uint8Array[]): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        if (lane.stream === undefined) {
          if (!this.net.isConnected(peer)) return false
          lane.stream = await this.net.openStream(peer, [], PLACE_PROTOCOL)
          this.stats.streams++
        }
        await lane.stream.writeMany(frames)
        return true
      } catch {
        lane.stream?.abort('push failed')
        lane.stream = undefined
      }
    }
    return false
  }

  private close (peer: string, lane: Lane): void {
    if (lane.running || this.lanes.get(peer) !== lane) return
    this.lanes.delete(peer)
    const s = lane.stream
    lane.stream = undefined
    if (s !== undefined) void s.close()
  }
}
