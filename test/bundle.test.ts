/**
 * `npm run bundle`: the single-file core (dist-bundle/secushare.mjs) runs with plain `node` from
 * the repository (its native externals, lmdb and sodium-native, come from node_modules): same
 * `--help` as bin/secushare.js, `init` and `status` on a fresh home, and a daemon that gets ready,
 * answers `status` over RPC and serves the web UI (inlined: nothing beside the file). Every process is bounded by a timeout.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { cli } from './support/cli.js'
import { REPO_ROOT, tempDir } from './support/tmp.js'

const BUNDLE = join(REPO_ROOT, 'dist-bundle', 'secushare.mjs')

function run (args: string[]): { code: number, stdout: string, stderr: string, json: any } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SECUSHARE_')))
  const r = spawnSync(process.execPath, [BUNDLE, ...args], { env: clean, encoding: 'utf8', timeout: 60_000 })
  let json: unknown
  try { json = JSON.parse(r.stdout) } catch { json = undefined }
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json }
}

describe('single-file bundle (npm run bundle)', function () {
  this.timeout(180_000)

  before(() => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'bundle.mjs')], { encoding: 'utf8', timeout: 120_000 })
    assert.equal(r.status, 0, r.stderr)
    assert.ok(existsSync(BUNDLE))
  })

  it('--help prints what bin/secushare.js prints', () => {
    const b = run(['--help'])
    assert.equal(b.code, 0, b.stderr)
    assert.equal(b.stdout, cli(['--help']).stdout)
    assert.match(b.stdout, /ui-tokens/)
  })

  it('init and status work on a fresh home; the daemon starts and answers status', async () => {
    const home = tempDir()
    const init = run(['--home', home, 'init', '--nick', 'router', '--json'])
    assert.equal(init.code, 0, init.stderr)
    const offline = run(['--home', home, 'status', '--json'])
    assert.equal(offline.code, 0, offline.stderr)
    assert.equal(offline.json.peerId, init.json.peerId)
    assert.equal(offline.json.rpc, null)

    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SECUSHARE_')))
    const proc = spawn(process.execPath, [BUNDLE, '--home', home, 'daemon', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--rpc', '127.0.0.1:0', '--json'],
      { env: clean, stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    proc.stderr.on('data', (d: Buffer) => { err += d.toString() })
    const exited = new Promise<number | string | null>((resolve) => proc.once('exit', (code, signal) => { resolve(code ?? signal) }))
    try {
      const ready = await new Promise<any>((resolve, reject) => {
        const timer = setTimeout(() => { reject(new Error(`bundled daemon not ready within 30 s: ${err}`)) }, 30_000)
        createInterface({ input: proc.stdout }).on('line', (line) => {
          if (line.startsWith('{"ready":true')) { clearTimeout(timer); resolve(JSON.parse(line)) }
        })
        void exited.then((code) => { clearTimeout(timer); reject(new Error(`bundled daemon exited (${String(code)}): ${err}`)) })
      })
      assert.equal(ready.peerId, init.json.peerId)
      const online = run(['--home', home, 'status', '--json'])
      assert.equal(online.code, 0, online.stderr)
      assert.equal(online.json.rpc, ready.rpc)
      for (const [path, pattern] of [['', /<title>secushare<\/title>/], ['qwebchannel.js', /var QWebChannel = function/]] as const) {
        const page = await fetch(ready.web + path)
        assert.equal(page.status, 200, path)
        assert.match(await page.text(), pattern)
      }
    } finally {
      proc.kill('SIGTERM')
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000)
      assert.equal(await exited, 0, err)
      clearTimeout(t)
    }
  })
})
