/**
 * Framing over an in-memory libp2p stream pair (@libp2p/utils streamPair: the real libp2p stream
 * code over a mock muxer), so raw bytes — junk, bad prefixes, partial frames — can be sent.
 */
import type { Stream } from '@libp2p/interface'
import { streamPair } from '@libp2p/utils'
import assert from 'node:assert/strict'
import { encodeFrameLength, frameStream, type FrameStream } from '../core/net/framing.js'
import { isSecushareError, type ErrorCode } from '../protocol/errors.js'
import { MAX_FRAME_BYTES, MAX_FRAME_PREFIX_BYTES } from '../protocol/limits.js'

const T = 5_000 // a read timeout that is never meant to fire
const SHORT = 100 // a read timeout that is meant to fire

/** raw: the sending libp2p stream; fs: frames read from its other end (inbound); peer: frames over raw. */
async function pair (): Promise<{ raw: Stream, inbound: Stream, fs: FrameStream, peer: FrameStream }> {
  const [raw, inbound] = await streamPair()
  return { raw, inbound, fs: frameStream(inbound, 'remote'), peer: frameStream(raw, 'local') }
}

async function rejectsWith (p: Promise<unknown>, code: ErrorCode, detail: Record<string, unknown> = {}): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isSecushareError(e, code), `expected ${code}, got ${String(e)}`)
    for (const [k, v] of Object.entries(detail)) assert.deepEqual(e.detail[k], v, k)
    return true
  })
}

function bytes (n: number, seed = 1): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff)
}

async function until (cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  assert.ok(cond(), 'condition not reached')
}

describe('net framing', () => {
  it('encodes lengths as minimal varints of at most MAX_FRAME_PREFIX_BYTES bytes', () => {
    assert.deepEqual([...encodeFrameLength(0)], [0])
    assert.deepEqual([...encodeFrameLength(127)], [0x7f])
    assert.deepEqual([...encodeFrameLength(128)], [0x80, 0x01])
    assert.deepEqual([...encodeFrameLength(300)], [0xac, 0x02])
    assert.equal(encodeFrameLength(MAX_FRAME_BYTES).length, 3)
    assert.equal(encodeFrameLength(2 ** (7 * MAX_FRAME_PREFIX_BYTES) - 1).length, MAX_FRAME_PREFIX_BYTES)
  })

  it('round-trips frames of 0 bytes, 1 byte and exactly MAX_FRAME_BYTES', async () => {
    const { fs, peer } = await pair()
    for (const n of [0, 1, MAX_FRAME_BYTES, 0]) {
      const frame = bytes(n, n)
      await peer.write(frame)
      assert.deepEqual(await fs.read(MAX_FRAME_BYTES, T), frame)
    }
  })

  it('reassembles frames split into single bytes and splits coalesced frames', async () => {
    const { raw, fs } = await pair()
    const one = bytes(200, 7)
    const wire = [...encodeFrameLength(one.length), ...one]
    for (const b of wire) raw.send(Uint8Array.of(b))
    assert.deepEqual(await fs.read(MAX_FRAME_BYTES, T), one)
    raw.send(Uint8Array.from([...wire, 0, ...wire, 1, 42]))
    assert.deepEqual(await fs.read(MAX_FRAME_BYTES, T), one)
    assert.deepEqual(await fs.read(MAX_FRAME_BYTES, T), new Uint8Array(0))
    assert.deepEqual(await fs.read(MAX_FRAME_BYTES, T), one)
    assert.deepEqual(await fs.read(1, T), Uint8Array.of(42))
  })

  it('refuses a frame of MAX_FRAME_BYTES + 1 from its prefix alone, before any body arrives', async () => {
    const { raw, fs } = await pair()
    raw.send(encodeFrameLength(MAX_FRAME_BYTES + 1))
    // with no body sent, waiting for it would end in STREAM_TIMEOUT, not LIMIT_EXCEEDED
    await rejectsWith(fs.read(MAX_FRAME_BYTES, T), 'LIMIT_EXCEEDED', { limit: 'MAX_FRAME_BYTES', max: MAX_FRAME_BYTES, actual: MAX_FRAME_BYTES + 1 })
  })

  it('checks a smaller maxBytes at the limit and one past it, naming the given limit', async () => {
    const { fs, peer } = await pair()
    await peer.write(bytes(100))
    assert.equal((await fs.read(100, T)).length, 100)
    await peer.write(bytes(101))
    await rejectsWith(fs.read(100, T, 'MAX_TEST_BYTES'), 'LIMIT_EXCEEDED', { limit: 'MAX_TEST_BYTES', max: 100, actual: 101 })
    const other = await pair()
    await other.peer.write(bytes(101))
    await rejectsWith(other.fs.read(100, T), 'LIMIT_EXCEEDED', { limit: 'maxBytes' })
  })

  it('aborts the stream after a refused frame', async () => {
    const { raw, fs } = await pair()
    raw.send(encodeFrameLength(MAX_FRAME_BYTES + 1))
    await rejectsWith(fs.read(MAX_FRAME_BYTES, T), 'LIMIT_EXCEEDED')
    await rejectsWith(fs.read(MAX_FRAME_BYTES, T), 'STREAM_CLOSED')
    await until(() => raw.status === 'reset')
  })

  it('accepts a 4-byte prefix but refuses a fifth byte without waiting for it', async () => {
    const four = await pair()
    four.raw.send(Uint8Array.of(0x80, 0x80, 0x80, 0x01)) // 2^21: a minimal 4-byte varint
    await rejectsWith(four.fs.read(MAX_FRAME_BYTES, T), 'LIMIT_EXCEEDED', { actual: 2 ** 21 })
    const five = await pair()
    five.raw.send(Uint8Array.of(0x80, 0x80, 0x80, 0x80)) // a fifth byte would be needed
    await rejectsWith(five.fs.read(MAX_FRAME_BYTES, T), 'FRAME_BAD_LENGTH')
  })

  it('refuses non-minimal prefixes and junk with FRAME_BAD_LENGTH', async () => {
    for (const junk of [[0x80, 0x00], [0x81, 0x00, 0x00], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0xff, 0x80, 0x80, 0x80, 0x01]]) {
      const { raw, fs } = await pair()
      raw.send(Uint8Array.from(junk))
      await rejectsWith(fs.read(MAX_FRAME_BYTES, T), 'FRAME_BAD_LENGTH')
    }
  })

  it('reports text junk that ends early as STREAM_CLOSED mid-frame', async () => {
    const { raw, fs } = await pair()
    raw.send(new TextEncoder().encode('hello')) // 'h' announces 104 bytes
    await raw.close()
    await rejectsWith(fs.read(MAX_FRAME_BYTES, T), 'STREAM_CLOSED', { midFrame: true })
  })

  it('times out with STREAM_TIMEOUT and consumes nothing, so the frame can still be read', async () => {
    const { raw, fs } = await pair()
    await rejectsWith(fs.read(MAX_FRAME_BYTES, SHORT), 'STREAM_TIMEOUT')
    const frame = bytes(1000)
    const wire = Uint8Array.from([...encodeFrameLength(frame.length), ...frame])
    raw.send(wire.subarray(0, 500))
    await rejectsWith(fs.read(MAX_FRAME_BYTES, SHORT), 'STREAM_TIMEOUT')
    raw.send(wire.subarray(500))
    assert.deepEqual(await fs.read(MAX_FRAME_BYTES, T), frame)
  })

  it('delivers frames sent before the close, then STREAM_CLOSED (not mid-frame)', async () => {
    const { fs, peer } = await pair()
    await peer.write(bytes(10))
    await peer.close()
    assert.equal((await fs.read(MAX_FRAME_BYTES, T)).length, 10)
    await rejectsWith(fs.read(MAX_FRAME_BYTES, T), 'STREAM_CLOSED', { midFrame: false })
  })

  it('reports a close in the middle of a frame as STREAM_CLOSED mid-frame', async () => {
    const { raw, fs } = await pair()
    const frame = bytes(1000)
    raw.send(Uint8Array.from([...encodeFrameLength(frame.length), ...frame.subarray(0, 400)]))
    const pending = fs.read(MAX_FRAME_BYTES, T)
    await raw.close()
    await rejectsWith(pending, 'STREAM_CLOSED', { midFrame: true })
  })

  it('fails a pending read with STREAM_CLOSED when the remote resets or we abort', async () => {
    const remote = await pair()
    const pending = remote.fs.read(MAX_FRAME_BYTES, T)
    remote.peer.abort('test reset')
    await rejectsWith(pending, 'STREAM_CLOSED')
    const local = await pair()
    const mine = local.fs.read(MAX_FRAME_BYTES, T)
    local.fs.abort('test abort')
    await rejectsWith(mine, 'STREAM_CLOSED')
    await rejectsWith(local.fs.write(bytes(1)), 'STREAM_CLOSED')
  })

  it('refuses to write a frame over MAX_FRAME_BYTES, and to write after close', async () => {
    const { fs, peer } = await pair()
    await rejectsWith(peer.write(bytes(MAX_FRAME_BYTES + 1)), 'LIMIT_EXCEEDED', { limit: 'MAX_FRAME_BYTES' })
    await peer.write(bytes(3))
    assert.equal((await fs.read(MAX_FRAME_BYTES, T)).length, 3)
    await peer.close()
    await rejectsWith(peer.write(bytes(1)), 'STREAM_CLOSED')
  })

  it('writeMany sends its frames in one write, read back one by one; a frame over MAX_FRAME_BYTES sends none of them', async () => {
    const { inbound, fs, peer } = await pair()
    const frames = [bytes(0), bytes(1, 2), bytes(300, 3), bytes(MAX_FRAME_BYTES, 4)]
    const chunks: number[] = []
    inbound.addEventListener('message', (evt) => { chunks.push(evt.data.byteLength) })
    await peer.writeMany(frames)
    for (const f of frames) assert.deepEqual(await fs.read(MAX_FRAME_BYTES, T), f)
    assert.equal(chunks.reduce((a, b) => a + b, 0), frames.reduce((a, f) => a + encodeFrameLength(f.length).length + f.length, 0))
    assert.equal(chunks.length, 1, 'one chunk on the wire')
    await rejectsWith(peer.writeMany([bytes(3), bytes(MAX_FRAME_BYTES + 1)]), 'LIMIT_EXCEEDED', { limit: 'MAX_FRAME_BYTES' })
    await peer.writeMany([bytes(5, 5)])
    assert.deepEqual(await fs.read(MAX_FRAME_BYTES, T), bytes(5, 5), 'the refused batch sent nothing')
  })

  it('pauses the stream while more than one frame is buffered, and resumes as frames are read', async () => {
    const { raw, inbound, fs } = await pair()
    const frame = bytes(MAX_FRAME_BYTES)
    const wire = Uint8Array.from([...encodeFrameLength(frame.length), ...frame])
    for (let i = 0; i < 3; i++) raw.send(wire)
    await until(() => inbound.readStatus === 'paused')
    for (let i = 0; i < 3; i++) assert.deepEqual(await fs.read(MAX_FRAME_BYTES, T), frame)
    assert.equal(inbound.readStatus, 'readable')
  })

  it('refuses bad arguments and concurrent reads', async () => {
    const { fs } = await pair()
    await rejectsWith(fs.read(MAX_FRAME_BYTES + 1, T), 'INVALID_ARGUMENT')
    await rejectsWith(fs.read(-1, T), 'INVALID_ARGUMENT')
    await rejectsWith(fs.read(1, 0), 'INVALID_ARGUMENT')
    await rejectsWith(fs.read(1, 2 ** 31), 'INVALID_ARGUMENT')
    const first = fs.read(1, SHORT)
    await rejectsWith(fs.read(1, T), 'INTERNAL')
    await rejectsWith(first, 'STREAM_TIMEOUT')
  })
})
