/**
 * Length-prefixed frames over a libp2p stream: a minimal unsigned LEB128 varint of at most
 * MAX_FRAME_PREFIX_BYTES bytes giving the body length, then the body. A frame body is at most
 * MAX_FRAME_BYTES. Only libp2p *types* are imported here; node.ts is where libp2p runs.
 *
 * Memory: at most one frame plus its prefix is read ahead (READ_AHEAD_BYTES); beyond that the
 * stream is paused, which stops yamux window updates, so a fast sender waits for the reader.
 */
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import { SecushareError, limitExceeded } from '../../protocol/errors.js'
import { MAX_FRAME_BYTES, MAX_FRAME_PREFIX_BYTES } from '../../protocol/limits.js'

/** Bytes buffered before the stream is paused: always enough for one whole frame. */
const READ_AHEAD_BYTES = MAX_FRAME_PREFIX_BYTES + MAX_FRAME_BYTES
/** How long close() waits for queued bytes to leave before it aborts the stream instead. */
const CLOSE_TIMEOUT_MS = 5_000
/** Writers batching frames (writeMany) put about this many bytes in one write: under a Noise message (65,535 bytes). */
export const WRITE_BATCH_BYTES = 60 * 1024
/** The longest read timeout Node's timers can hold. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1

/**
 * One libp2p stream seen as a sequence of frames. Contract:
 * - read() returns one whole frame body or throws a SecushareError. LIMIT_EXCEEDED and
 *   FRAME_BAD_LENGTH abort the stream (it cannot be resynchronised); STREAM_TIMEOUT consumes
 *   nothing, so the stream stays usable; STREAM_CLOSED means no further frame will come.
 *   One read at a time.
 * - write() sends one frame; it waits while the stream's send buffer is full (backpressure).
 *   Throws LIMIT_EXCEEDED ('MAX_FRAME_BYTES') for a body over the cap, STREAM_CLOSED if the
 *   stream cannot be written.
 * - writeMany() sends several frames as one write: one muxer frame, one encryption and one socket
 *   write for all of them where write() costs one each. The reader sees the same frames.
 * - close() ends our writing side after queued bytes are sent; reading goes on until the remote
 *   closes too. It never throws: if the bytes cannot leave in time, the stream is aborted.
 * - abort() resets the stream at once in both directions; pending reads fail with STREAM_CLOSED.
 */
export interface FrameStream {
  /** The remote peer id, as a string. */
  readonly remotePeer: string
  /**
   * One whole frame of at most maxBytes (0 <= maxBytes <= MAX_FRAME_BYTES) within timeoutMs.
   * The announced length is checked before any of the body is waited for. `limit` names the
   * limit in LIMIT_EXCEEDED (default 'MAX_FRAME_BYTES' when maxBytes is the cap, else 'maxBytes').
   */
  read (maxBytes: number, timeoutMs: number, limit?: string): Promise<Uint8Array>
  write (frame: Uint8Array): Promise<void>
  writeMany (frames: Uint8Array[]): Promise<void>
  close (): Promise<void>
  abort (reason: string): void
}

/** The minimal varint prefix for a body length. */
export function encodeFrameLength (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80)
    n = Math.floor(n / 0x80)
  }
  out.push(n)
  return Uint8Array.from(out)
}

/**
 * `onOffence` is told when the remote peer sends a frame over the limit asked for or with a bad
 * length prefix (the node penalises the peer: core/net/offences.ts).
 */
export function frameStream (stream: Stream, remotePeer: string, onOffence?: () => void): FrameStream {
  return new Libp2pFrameStream(stream, remotePeer, onOffence)
}

class Libp2pFrameStream implements FrameStream {
  private readonly chunks: Uint8Array[] = []
  private buffered = 0
  private pausedByUs = false
  private remoteDone: boolean
  private closed: boolean
  private closeReason = ''
  private reading = false
  private wake: () => void = () => {}

  constructor (private readonly stream: Stream, readonly remotePeer: string, private readonly onOffence?: () => void) {
    this.remoteDone = stream.remoteWriteStatus === 'closed'
    this.closed = stream.status !== 'open' && stream.status !== 'closing'
    stream.addEventListener('message', (evt: StreamMessageEvent) => { this.onMessage(evt.data.subarray()) })
    stream.addEventListener('remoteCloseWrite', () => { this.remoteDone = true; this.wake() })
    stream.addEventListener('close', (evt: StreamCloseEvent) => {
      this.closed = true
      this.closeReason = evt.error?.message ?? ''
      this.wake()
    })
  }

  async read (maxBytes: number, timeoutMs: number, limit?: string): Promise<Uint8Array> {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0 || maxBytes > MAX_FRAME_BYTES) {
      throw new SecushareError('INVALID_ARGUMENT', `read: maxBytes must be 0..${MAX_FRAME_BYTES}, not ${maxBytes}`)
    }
    if (!(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
      throw new SecushareError('INVALID_ARGUMENT', `read: timeoutMs must be 1..${MAX_TIMEOUT_MS}, not ${timeoutMs}`)
    }
    if (this.reading) throw new SecushareError('INTERNAL', 'FrameStream.read called while another read is pending')
    this.reading = true
    let timedOut = false
    const timer = setTimeout(() => { timedOut = true; this.wake() }, timeoutMs)
    try {
      for (;;) {
        const frame = this.takeFrame(maxBytes, limit ?? (maxBytes === MAX_FRAME_BYTES ? 'MAX_FRAME_BYTES' : 'maxBytes'))
        if (frame !== undefined) return frame
        if (this.ended()) {
          throw new SecushareError('STREAM_CLOSED', this.buffered > 0 ? 'the stream ended in the middle of a frame' : 'the stream ended',
            { midFrame: this.buffered > 0, reason: this.closeReason })
        }
        if (timedOut) throw new SecushareError('STREAM_TIMEOUT', `no whole frame within ${timeoutMs} ms`, { timeoutMs })
        await new Promise<void>((resolve) => { this.wake = resolve })
      }
    } finally {
      clearTimeout(timer)
      this.wake = () => {}
      this.reading = false
    }
  }

  async write (frame: Uint8Array): Promise<void> {
    await this.writeMany([frame])
  }

  async writeMany (frames: Uint8Array[]): Promise<void> {
    let size = 0
    const prefixes = frames.map((frame) => {
      if (frame.byteLength > MAX_FRAME_BYTES) throw limitExceeded('MAX_FRAME_BYTES', MAX_FRAME_BYTES, frame.byteLength)
      const prefix = encodeFrameLength(frame.byteLength)
      size += prefix.byteLength + frame.byteLength
      return prefix
    })
    const bytes = new Uint8Array(size)
    let at = 0
    frames.forEach((frame, i) => {
      bytes.set(prefixes[i]!, at)
      bytes.set(frame, at + prefixes[i]!.byteLength)
      at += prefixes[i]!.byteLength + frame.byteLength
    })
    try {
      if (this.stream.writableNeedsDrain) await this.stream.onDrain()
      this.stream.send(bytes)
    } catch (e) {
      throw new SecushareError('STREAM_CLOSED', `cannot write to the stream: ${(e as Error).message}`)
    }
  }

  async close (): Promise<void> {
    try {
      await this.stream.close({ signal: AbortSignal.timeout(CLOSE_TIMEOUT_MS) })
    } catch (e) {
      this.abort(`close failed: ${(e as Error).message}`)
    }
  }

  abort (reason: string): void {
    this.chunks.length = 0
    this.buffered = 0
    this.stream.abort(new Error(reason))
  }

  private onMessage (chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return
    this.chunks.push(chunk)
    this.buffered += chunk.byteLength
    if (this.buffered > READ_AHEAD_BYTES && this.stream.readStatus === 'readable') {
      this.stream.pause()
      this.pausedByUs = true
    }
    this.wake()
  }

  /** No more bytes will arrive (anything the stream still holds has been handed to us). */
  private ended (): boolean {
    return (this.remoteDone || this.closed) && this.stream.readBufferLength === 0
  }

  /** The next frame if it is all here; throws (and aborts) on a bad or oversized prefix. */
  private takeFrame (maxBytes: number, limit: string): Uint8Array | undefined {
    const prefix = this.parsePrefix()
    if (prefix === undefined) return undefined
    if (prefix.length > maxBytes) {
      this.abort('frame too long')
      this.onOffence?.()
      throw limitExceeded(limit, maxBytes, prefix.length)
    }
    if (this.buffered < prefix.size + prefix.length) return undefined
    this.consume(prefix.size)
    const body = this.consume(prefix.length)
    if (this.pausedByUs && this.buffered <= READ_AHEAD_BYTES && this.stream.readStatus === 'paused') {
      this.pausedByUs = false
      this.stream.resume()
    }
    return body
  }

  /** The length prefix at the head of the buffer, or undefined while it is incomplete. */
  private parsePrefix (): { size: number, length: number } | undefined {
    let length = 0
    for (let i = 0; i < MAX_FRAME_PREFIX_BYTES; i++) {
      const b = this.peek(i)
      if (b === undefined) return undefined
      length += (b & 0x7f) * 2 ** (7 * i)
      if ((b & 0x80) === 0) {
        if (i > 0 && b === 0) this.badPrefix('the length prefix is not minimal')
        return { size: i + 1, length }
      }
    }
    this.badPrefix(`the length prefix is longer than ${MAX_FRAME_PREFIX_BYTES} bytes`)
  }

  private badPrefix (message: string): never {
    this.abort('bad frame length')
    this.onOffence?.()
    throw new SecushareError('FRAME_BAD_LENGTH', message)
  }

  private peek (i: number): number | undefined {
    for (const c of this.chunks) {
      if (i < c.byteLength) return c[i]
      i -= c.byteLength
    }
    return undefined
  }

  /** Removes n buffered bytes (n <= buffered) and returns them as a fresh array. */
  private consume (n: number): Uint8Array {
    const out = new Uint8Array(n)
    let filled = 0
    while (filled < n) {
      const c = this.chunks[0] as Uint8Array
      const take = Math.min(c.byteLength, n - filled)
      out.set(c.subarray(0, take), filled)
      filled += take
      if (take === c.byteLength) this.chunks.shift()
      else this.chunks[0] = c.subarray(take)
    }
    this.buffered -= n
    return out
  }
}
