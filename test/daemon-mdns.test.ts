import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { REPO_ROOT } from './support/tmp.js'

/** Whether this process may make a private network namespace (root, unshare available). */
function netnsAvailable (): string | undefined {
  const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { encoding: 'utf8' })
  return r.status === 0 ? undefined : `cannot create a network namespace (${(r.stderr || r.error?.message || 'unshare failed').trim()})`
}

describe('daemons on a LAN (mDNS, inside a private network namespace)', function () {
  this.timeout(180_000)

  it('strangers appear in `nearby`; contacts find each other again without --peer', function () {
    const why = netnsAvailable()
    if (why !== undefined) {
      console.log(`      skipped: ${why}`)
      this.skip()
    }
    const script = join(REPO_ROOT, 'dist', 'test', 'support', 'mdns-daemons.js')
    const r = spawnSync('unshare', ['-n', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" "${script}"`], { encoding: 'utf8', timeout: 170_000 })
    const line = r.stdout.trim().split('\n').pop() ?? ''
    const result = JSON.parse(line || '{}')
    assert.equal(result.error, undefined, `${result.error} ${r.stderr}`)
    assert.equal(result.nearby, true, 'each lists the other as nearby')
    assert.equal(result.added, true)
    assert.equal(result.nearbyAfterAdd, false, 'a contact is no longer a stranger')
    assert.equal(result.reconnected, true, 'contacts reconnect through mDNS after both changed ports')
  })
})
