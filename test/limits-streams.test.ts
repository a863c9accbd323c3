/**
 * Streams per protocol per connection (protocol/limits.ts), against a real daemon on 127.0.0.1:
 * for each of its protocols a peer opens the limit's number of streams without writing (each
 * stays open, its handler waiting for a request), and one more, which the daemon resets.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { FrameStream } from '../core/net/framing.js'
import { createNetNode, type NetNode } from '../core/net/node.js'
import { generatePeerKey } from '../core/net/peer-key.js'
import { CONTACT_PROTOCOL } from '../protocol/contact.js'
import { isSecushareError } from '../protocol/errors.js'
import { MAX_HANDSHAKE_STREAMS, MAX_INTRODUCTION_STREAMS, MAX_PLACE_STREAMS, MAX_RELAY_STREAMS, MAX_ZONE_STREAMS } from '../protocol/limits.js'
import { INTRODUCTION_PROTOCOL, ZONE_PROTOCOL } from '../protocol/names-wire.js'
import { PLACE_PROTOCOL } from '../protocol/place-wire.js'
import { RELAY_PROTOCOL } from '../protocol/relay-wire.js'
import { cli } from './support/cli.js'
import { startDaemonProcess, type RunningDaemon } from './support/daemon.js'
import { tempDir } from './support/tmp.js'

/** How long an open stream is watched: far below every handler's request timeout (5 s and more). */
const WATCH_MS = 1500

async function readOutcome (s: FrameStream): Promise<string> {
  try {
    await s.read(16, WATCH_MS)
    return 'frame'
  } catch (e) {
    return isSecushareError(e) ? e.code : String(e)
  }
}

describe('limits: inbound streams per protocol per connection on a daemon', function () {
  this.timeout(120_000)
  const home = join(tempDir(), 'd')
  let daemon: RunningDaemon
  let peer: NetNode

  before(async () => {
    assert.equal(cli(['--home', home, 'init', '--nick', 'd']).code, 0)
    daemon = await startDaemonProcess(home)
    peer = await createNetNode({ peerKey: await generatePeerKey(), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false, relayClient: false, relayServer: false, pubsub: false })
    await peer.start()
  })
  after(async () => { await peer?.stop(); await daemon?.stop() })

  for (const [name, protocol, limit] of [
    ['MAX_PLACE_STREAMS', PLACE_PROTOCOL, MAX_PLACE_STREAMS],
    ['MAX_RELAY_STREAMS', RELAY_PROTOCOL, MAX_RELAY_STREAMS],
    ['MAX_ZONE_STREAMS', ZONE_PROTOCOL, MAX_ZONE_STREAMS],
    ['MAX_INTRODUCTION_STREAMS', INTRODUCTION_PROTOCOL, MAX_INTRODUCTION_STREAMS],
    ['MAX_HANDSHAKE_STREAMS', CONTACT_PROTOCOL, MAX_HANDSHAKE_STREAMS]
  ] as const) {
    it(`${name}: ${limit} open streams of ${protocol} stay open, one more is reset`, async () => {
      const open: FrameStream[] = []
      for (let i = 0; i < limit; i++) open.push(await peer.openStream(daemon.ready.peerId, daemon.ready.addrs, protocol))
      const extra = await peer.openStream(daemon.ready.peerId, daemon.ready.addrs, protocol)
      const [extraOutcome, ...outcomes] = await Promise.all([extra, ...open].map(readOutcome))
      assert.equal(extraOutcome, 'STREAM_CLOSED', `stream ${limit + 1} of ${protocol}`)
      outcomes.forEach((o, i) => { assert.equal(o, 'STREAM_TIMEOUT', `stream ${i + 1} of ${protocol} should still be open`) })
      for (const s of [extra, ...open]) s.abort('done')
    })
  }
})
