import assert from 'node:assert/strict'
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { Store } from '../core/store/lmdb.js'
import { cli } from './support/cli.js'
import { tempDir } from './support/tmp.js'

const EGO = /^[0-9a-f]{64}$/
const PEER = /^12D3KooW[1-9A-HJ-NP-Za-km-z]+$/

/** Names, times and bytes of the files in a home; LMDB's lock file changes on every open, so it is left out. */
function snapshot (dir: string): string {
  const h = createHash('sha256')
  for (const f of readdirSync(dir).sort().filter((f) => !f.endsWith('-lock'))) {
    const p = join(dir, f)
    h.update(f).update(String(statSync(p).mtimeMs))
    if (statSync(p).isFile()) h.update(readFileSync(p))
  }
  return h.digest('hex')
}

function noStackTrace (stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace for the user')
}

describe('CLI: init, status, id', function () {
  this.timeout(120_000)
  const root = tempDir()
  const home = (name: string): string => join(root, name)
  const passFile = (name: string, text: string): string => {
    const p = join(root, name)
    writeFileSync(p, text + '\n')
    return p
  }

  it('init --json prints ego, nick and peer id; status agrees', () => {
    const r = cli(['--home', home('a'), 'init', '--nick', 'alice', '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(Object.keys(r.json).sort(), ['ego', 'nick', 'peerId'])
    assert.match(r.json.ego, EGO)
    assert.equal(r.json.nick, 'alice')
    assert.match(r.json.peerId, PEER)
    assert.equal(statSync(home('a')).mode & 0o777, 0o700)
    assert.equal(statSync(join(home('a'), 'store.lmdb')).mode & 0o777, 0o600)

    const s = cli(['status', '--json'], { SECUSHARE_HOME: home('a') })
    assert.equal(s.code, 0, s.stderr)
    assert.equal(s.json.ego, r.json.ego)
    assert.equal(s.json.peerId, r.json.peerId)
    assert.equal(s.json.nick, 'alice')
    assert.equal(s.json.egos, 1)
    assert.notEqual(s.json.ego, s.json.peerId)
  })

  it('a second init fails clearly with exit 1 and touches nothing', () => {
    const before = snapshot(home('a'))
    const r = cli(['--home', home('a'), 'init', '--nick', 'mallory', '--json'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /already holds a secushare node/)
    assert.equal(r.json.error.code, 'HOME_EXISTS')
    noStackTrace(r.stderr)
    assert.equal(snapshot(home('a')), before)
  })

  it('id create and id list', () => {
    const c = cli(['--home', home('a'), 'id', 'create', '--nick', 'alice-work', '--json'])
    assert.equal(c.code, 0, c.stderr)
    assert.match(c.json.ego, EGO)
    assert.match(c.json.fingerprint, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/)
    assert.equal(c.json.default, false)
    const l = cli(['--home', home('a'), 'id', 'list', '--json'])
    assert.equal(l.code, 0, l.stderr)
    assert.equal(l.json.length, 2)
    assert.deepEqual(l.json.map((e: any) => e.nick).sort(), ['alice', 'alice-work'])
    assert.equal(l.json.filter((e: any) => e.default).length, 1)
    const human = cli(['--home', home('a'), 'id', 'list'])
    assert.match(human.stdout, /^\* [0-9a-f]{64} {2}\S+ {2}alice$/m)
  })

  it('export then import into a new home yields the same ego; wrong passphrase, truncation and tampering are refused', () => {
    const exp = join(root, 'alice.ego')
    const good = passFile('exp-pass', 'correct horse battery staple')
    const bad = passFile('bad-pass', 'wrong')
    const e = cli(['--home', home('a'), 'id', 'export', exp, '--export-passphrase-file', good, '--json'])
    assert.equal(e.code, 0, e.stderr)
    assert.equal(statSync(exp).mode & 0o777, 0o600)
    const ego = e.json.ego
    assert.equal(cli(['--home', home('a'), 'id', 'export', exp, '--export-passphrase-file', good]).code, 1, 'no silent overwrite')

    assert.equal(cli(['--home', home('b'), 'init', '--nick', 'bob']).code, 0)
    const before = snapshot(home('b'))
    const wrong = cli(['--home', home('b'), 'id', 'import', exp, '--export-passphrase-file', bad, '--json'])
    assert.equal(wrong.code, 1)
    assert.equal(wrong.json.error.code, 'WRONG_PASSPHRASE')
    noStackTrace(wrong.stderr)

    const bytes = readFileSync(exp)
    const cut = join(root, 'cut.ego')
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10))
    const t = cli(['--home', home('b'), 'id', 'import', cut, '--export-passphrase-file', good, '--json'])
    assert.equal(t.json.error.code, 'EXPORT_CORRUPT')
    assert.equal(t.code, 1)
    for (const at of [3, 20, 60, bytes.length - 40, bytes.length - 1]) {
      const tampered = Buffer.from(bytes)
      tampered[at]! ^= 0x01
      const f = join(root, `tampered-${at}.ego`)
      writeFileSync(f, tampered)
      const r = cli(['--home', home('b'), 'id', 'import', f, '--export-passphrase-file', good, '--json'])
      assert.equal(r.code, 1)
      assert.equal(r.json.error.code, 'EXPORT_CORRUPT', `byte ${at}`)
    }
    assert.equal(snapshot(home('b')), before, 'nothing written by refused imports')

    const ok = cli(['--home', home('b'), 'id', 'import', exp, '--json'], { SECUSHARE_EXPORT_PASSPHRASE: 'correct horse battery staple' })
    assert.equal(ok.code, 0, ok.stderr)
    assert.equal(ok.json.ego, ego)
    assert.equal(ok.json.nick, 'alice')
    const again = cli(['--home', home('b'), 'id', 'import', exp, '--export-passphrase-file', good, '--json'])
    assert.equal(again.json.error.code, 'EGO_EXISTS')

    const restored = cli(['--home', home('c'), 'init', '--import', exp, '--export-passphrase-file', good, '--json'])
    assert.equal(restored.code, 0, restored.stderr)
    assert.equal(restored.json.ego, ego)
    assert.equal(cli(['--home', home('c'), 'status', '--json']).json.ego, ego)
  })

  it('a passphrase-protected node needs its passphrase for secrets but not for status', () => {
    const pass = passFile('node-pass', 'sesame')
    const wrong = passFile('node-wrong', 'open sesame')
    const i = cli(['--home', home('p'), '--passphrase-file', pass, 'init', '--nick', 'pat', '--json'])
    assert.equal(i.code, 0, i.stderr)
    const s = cli(['--home', home('p'), 'status', '--json'])
    assert.equal(s.code, 0)
    assert.equal(s.json.protected, true)
    const none = cli(['--home', home('p'), 'id', 'create', '--nick', 'x', '--json'])
    assert.equal(none.json.error.code, 'PASSPHRASE_REQUIRED')
    const bad = cli(['--home', home('p'), '--passphrase-file', wrong, 'id', 'create', '--nick', 'x', '--json'])
    assert.equal(bad.json.error.code, 'WRONG_PASSPHRASE')
    assert.equal(bad.code, 1)
    const good = cli(['--home', home('p'), 'id', 'create', '--nick', 'x', '--json'], { SECUSHARE_PASSPHRASE: 'sesame' })
    assert.equal(good.code, 0, good.stderr)
    // an export from a protected node opens on an unprotected one
    const exp = join(root, 'pat.ego')
    const e = cli(['--home', home('p'), '--passphrase-file', pass, 'id', 'export', exp, '--export-passphrase-file', pass, '--json'])
    assert.equal(e.code, 0, e.stderr)
    const r = cli(['--home', home('a'), 'id', 'import', exp, '--export-passphrase-file', pass, '--json'])
    assert.equal(r.json.ego, i.json.ego)
  })

  it('corrupt or foreign files in the home give a clear error, never a stack trace or a reset', async () => {
    const g = home('garbage')
    mkdirSync(g)
    writeFileSync(join(g, 'store.lmdb'), Buffer.alloc(50_000, 0x5a))
    const before = snapshot(g)
    for (const args of [['status', '--json'], ['id', 'list', '--json']]) {
      const r = cli(['--home', g, ...args])
      assert.equal(r.code, 1)
      assert.equal(r.json.error.code, 'HOME_CORRUPT')
      noStackTrace(r.stderr)
    }
    const again = cli(['--home', g, 'init', '--json'])
    assert.equal(again.json.error.code, 'HOME_EXISTS', 'init never overwrites a damaged store')
    assert.equal(snapshot(g), before)

    const n = home('newer')
    mkdirSync(n)
    await (await Store.create(join(n, 'store.lmdb'), { schemaVersion: 99 })).close()
    const r = cli(['--home', n, 'status'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /schema 99.*Upgrade secushare.*\[SCHEMA_TOO_NEW\]/)
    noStackTrace(r.stderr)

    const m = home('empty-store')
    mkdirSync(m)
    await (await Store.create(join(m, 'store.lmdb'))).close()
    const e = cli(['--home', m, 'status', '--json'])
    assert.equal(e.json.error.code, 'HOME_CORRUPT')
  })

  it('usage errors exit 2; a missing node exits 1 and says what to do', () => {
    assert.equal(cli(['frobnicate']).code, 2)
    assert.equal(cli(['--home', home('a'), 'id', 'create']).code, 2)
    assert.equal(cli(['--home', home('a'), 'init', '--nick', '']).code !== 0, true)
    assert.equal(cli([]).code, 2)
    const h = cli(['--help'])
    assert.equal(h.code, 0)
    for (const c of ['init', 'status', 'id']) assert.match(h.stdout, new RegExp(`\\b${c}\\b`))
    const r = cli(['--home', home('none'), 'status', '--json'])
    assert.equal(r.code, 1)
    assert.equal(r.json.error.code, 'HOME_NOT_INITIALISED')
    assert.match(r.stderr, /secushare init/)
  })
})
