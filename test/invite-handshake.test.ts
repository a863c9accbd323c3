import assert from 'node:assert/strict'
import { validatePetname, petnameFromNick } from '../core/contacts/book.js'
import { loadConfig, parseHostPort, DEFAULT_CONFIG } from '../core/daemon/config.js'
import {
  decodeContactAnswer, decodeContactRequest, encodeContactAnswer, encodeContactRequest, handshakeTranscript
} from '../protocol/contact.js'
import { isSecushareError } from '../protocol/errors.js'
import { decodeInvite, encodeInvite, INVITE_PREFIX, type Invite } from '../protocol/invite.js'
import { MAX_HANDSHAKE_BYTES, MAX_INVITE_ADDRS, MAX_INVITE_FIELD_BYTES, MAX_INVITE_LINK_CHARS, MAX_PETNAME_BYTES } from '../protocol/limits.js'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from './support/tmp.js'

const code = (c: string, limit?: string) => (e: unknown) => isSecushareError(e, c as never) && (limit === undefined || e.detail.limit === limit)

const sample: Invite = {
  ego: new Uint8Array(32).fill(1),
  secret: new Uint8Array(16).fill(2),
  expires: 1_900_000_000,
  peerId: '12D3KooWLMrCawvNdRC8gZhft9VbzNHEpFN1GrZ58PfSAQUGyCBb',
  addrs: ['/ip4/127.0.0.1/tcp/4001', '/ip6/::1/tcp/4001']
}

describe('invite links', () => {
  it('round-trip', () => {
    const link = encodeInvite(sample)
    assert.ok(link.startsWith(INVITE_PREFIX))
    assert.deepEqual(decodeInvite(link), sample)
    assert.deepEqual(decodeInvite(`  ${link}\n`), sample, 'surrounding whitespace from copy and paste is fine')
  })

  it(`carries at most ${MAX_INVITE_ADDRS} addresses of at most ${MAX_INVITE_FIELD_BYTES} bytes`, () => {
    const at = { ...sample, addrs: Array.from({ length: MAX_INVITE_ADDRS }, (_, i) => `/ip4/127.0.0.1/tcp/${4000 + i}`) }
    assert.deepEqual(decodeInvite(encodeInvite(at)), at)
    assert.throws(() => encodeInvite({ ...sample, addrs: [...at.addrs, '/ip4/127.0.0.1/tcp/1'] }), code('LIMIT_EXCEEDED', 'MAX_INVITE_ADDRS'))
    const long = '/dns4/' + 'a'.repeat(MAX_INVITE_FIELD_BYTES - 6)
    assert.deepEqual(decodeInvite(encodeInvite({ ...sample, addrs: [long] })).addrs, [long])
    assert.throws(() => encodeInvite({ ...sample, addrs: [long + 'a'] }), code('LIMIT_EXCEEDED', 'MAX_INVITE_FIELD_BYTES'))
    // a crafted link announcing one address too many
    const buf = Buffer.from(encodeInvite(at).slice(INVITE_PREFIX.length), 'base64url')
    const countAt = 1 + 32 + 16 + 4 + 1 + Buffer.byteLength(sample.peerId)
    buf[countAt] = MAX_INVITE_ADDRS + 1
    assert.throws(() => decodeInvite(INVITE_PREFIX + buf.toString('base64url')), code('LIMIT_EXCEEDED', 'MAX_INVITE_ADDRS'))
  })

  it(`refuses links over ${MAX_INVITE_LINK_CHARS} characters`, () => {
    assert.throws(() => decodeInvite(INVITE_PREFIX + 'A'.repeat(MAX_INVITE_LINK_CHARS - INVITE_PREFIX.length)), code('INVITE_INVALID'))
    assert.throws(() => decodeInvite(INVITE_PREFIX + 'A'.repeat(MAX_INVITE_LINK_CHARS - INVITE_PREFIX.length + 1)), code('LIMIT_EXCEEDED', 'MAX_INVITE_LINK_CHARS'))
  })

  it('refuses garbage, truncation, trailing bytes, other versions and control characters', () => {
    const raw = Buffer.from(encodeInvite(sample).slice(INVITE_PREFIX.length), 'base64url')
    const link = (b: Buffer): string => INVITE_PREFIX + b.toString('base64url')
    for (const bad of ['', 'secushare:', 'https://example.org', INVITE_PREFIX, INVITE_PREFIX + '!!!', INVITE_PREFIX + 'AAA=']) {
      assert.throws(() => decodeInvite(bad), code('INVITE_INVALID'), bad)
    }
    for (let n = 0; n < raw.length; n++) assert.throws(() => decodeInvite(link(raw.subarray(0, n))), code('INVITE_INVALID'))
    assert.throws(() => decodeInvite(link(Buffer.concat([raw, Buffer.from([0])]))), code('INVITE_INVALID'))
    const v2 = Buffer.from(raw)
    v2[0] = 2
    assert.throws(() => decodeInvite(link(v2)), /version 2/)
    const ctl = Buffer.from(encodeInvite({ ...sample, peerId: 'a\nb' }).slice(INVITE_PREFIX.length), 'base64url')
    assert.throws(() => decodeInvite(link(ctl)), code('INVITE_INVALID'))
  })
})

describe('contact handshake messages', () => {
  const req = { inviteId: new Uint8Array(16).fill(3), ego: new Uint8Array(32).fill(4), nick: 'bob ♥', mac: new Uint8Array(32).fill(5), signature: new Uint8Array(64).fill(6) }

  it('round-trip request, accept and refusal', () => {
    assert.deepEqual(decodeContactRequest(encodeContactRequest(req)), req)
    const accept = { ego: req.ego, nick: 'alice', mac: req.mac, signature: req.signature }
    assert.deepEqual(decodeContactAnswer(encodeContactAnswer({ accepted: true, accept })), { accepted: true, accept })
    const refusal = { code: 'INVITE_REFUSED', text: 'no' }
    assert.deepEqual(decodeContactAnswer(encodeContactAnswer({ accepted: false, refusal })), { accepted: false, refusal })
  })

  it('refuses junk, wrong methods, wrong field sizes and oversized messages as HANDSHAKE_FAILED', () => {
    const junk = [new Uint8Array(0), Buffer.from('hello'), Buffer.from('\n_request_contact_invite\n|\n'),
      encodeContactAnswer({ accepted: false, refusal: { code: 'X', text: 'y' } }), new Uint8Array(MAX_HANDSHAKE_BYTES + 1)]
    for (const j of junk) assert.throws(() => decodeContactRequest(j), code('HANDSHAKE_FAILED'))
    assert.throws(() => decodeContactAnswer(encodeContactRequest(req)), code('HANDSHAKE_FAILED'))
    assert.throws(() => decodeContactRequest(encodeContactRequest({ ...req, mac: new Uint8Array(31) })), code('HANDSHAKE_FAILED'))
    assert.throws(() => decodeContactRequest(encodeContactRequest({ ...req, ego: new Uint8Array(33) })), code('HANDSHAKE_FAILED'))
  })

  it('transcripts differ by role, peers, invite, egos and nick', () => {
    const f = { inviterPeer: 'P1', joinerPeer: 'P2', inviteId: req.inviteId, inviterEgo: new Uint8Array(32), joinerEgo: req.ego, nick: 'n' }
    const base = Buffer.from(handshakeTranscript('request', f)).toString('hex')
    const variants = [
      handshakeTranscript('accept', f), handshakeTranscript('request', { ...f, inviterPeer: 'P2', joinerPeer: 'P1' }),
      handshakeTranscript('request', { ...f, inviteId: new Uint8Array(16) }), handshakeTranscript('request', { ...f, nick: 'm' }),
      handshakeTranscript('request', { ...f, joinerEgo: f.inviterEgo, inviterEgo: f.joinerEgo })
    ]
    for (const t of variants) assert.notEqual(Buffer.from(t).toString('hex'), base)
  })
})

describe('petnames and daemon config', () => {
  it(`petnames: 1 to ${MAX_PETNAME_BYTES} bytes, no dots, spaces or control characters`, () => {
    assert.equal(validatePetname('a'.repeat(MAX_PETNAME_BYTES)), 'a'.repeat(MAX_PETNAME_BYTES))
    for (const bad of ['', 'carol.bob', 'a b', 'tab\t', 'nl\n']) {
      assert.throws(() => validatePetname(bad), code('INVALID_ARGUMENT'), JSON.stringify(bad))
    }
    assert.throws(() => validatePetname('é'.repeat(MAX_PETNAME_BYTES / 2) + 'a'), code('LIMIT_EXCEEDED', 'MAX_PETNAME_BYTES'))
    assert.equal(petnameFromNick('Dr. Who'), 'Dr-Who')
    assert.equal(petnameFromNick('...'), 'contact')
  })

  it('config: defaults, file, flags win; unknown keys and bad values refused', () => {
    const home = tempDir()
    assert.deepEqual(loadConfig(home), DEFAULT_CONFIG)
    writeFileSync(join(home, 'config.json'), JSON.stringify({ mdns: false, dht: true, rpc: '127.0.0.1:7000' }))
    const c = loadConfig(home, { dht: false, listen: ['/ip4/127.0.0.1/tcp/1'] })
    assert.equal(c.mdns, false)
    assert.equal(c.dht, false, 'flags win')
    assert.equal(c.rpc, '127.0.0.1:7000')
    assert.deepEqual(c.listen, ['/ip4/127.0.0.1/tcp/1'])
    for (const bad of ['{', '[]', '{"mdsn": false}', '{"mdns": "yes"}', '{"listen": []}', '{"listen": ["tcp/1"]}', '{"rpc": "nowhere"}']) {
      writeFileSync(join(home, 'config.json'), bad)
      assert.throws(() => loadConfig(home), (e: unknown) => isSecushareError(e) && ['CONFIG_INVALID', 'INVALID_ARGUMENT'].includes(e.code), bad)
    }
    assert.deepEqual(parseHostPort('[::1]:80'), { host: '::1', port: 80 })
    assert.throws(() => parseHostPort('127.0.0.1:70000'), code('INVALID_ARGUMENT'))
  })
})
