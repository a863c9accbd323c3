/**
 * Local limits of protocol/limits.ts that the daemon checks on what its user gives it: accepted
 * at the limit, refused with LIMIT_EXCEEDED naming the limit one past it; defaults taken from limits.ts.
 */
import assert from 'node:assert/strict'
import { DEFAULT_CONFIG, loadConfig } from '../core/daemon/config.js'
import { validateNick } from '../core/identity/ego.js'
import { isSecushareError } from '../protocol/errors.js'
import {
  DEFAULT_RELAY_EXPIRY_S, DEFAULT_RELAY_QUOTA_BYTES, MAX_KEY_ROTATION_S, MAX_NICK_BYTES, MAX_RELAY_EXPIRY_S, MAX_RELAY_QUOTA_BYTES
} from '../protocol/limits.js'
import { tempDir } from './support/tmp.js'

const exceeds = (limit: string, f: () => unknown): boolean => {
  try { f(); return false } catch (e) { return isSecushareError(e, 'LIMIT_EXCEEDED') && e.detail.limit === limit }
}

describe('limits: daemon configuration and identities', () => {
  it('daemon configuration: defaults from limits.ts; MAX_KEY_ROTATION_S, MAX_RELAY_QUOTA_BYTES, MAX_RELAY_EXPIRY_S accepted, one more refused', () => {
    const home = tempDir()
    assert.equal(DEFAULT_CONFIG.relayQuota, DEFAULT_RELAY_QUOTA_BYTES)
    assert.equal(DEFAULT_CONFIG.relayExpiry, DEFAULT_RELAY_EXPIRY_S)
    for (const [key, limit, max] of [['placeKeyRotation', 'MAX_KEY_ROTATION_S', MAX_KEY_ROTATION_S], ['relayQuota', 'MAX_RELAY_QUOTA_BYTES', MAX_RELAY_QUOTA_BYTES], ['relayExpiry', 'MAX_RELAY_EXPIRY_S', MAX_RELAY_EXPIRY_S]] as const) {
      assert.equal(loadConfig(home, { [key]: max })[key], max, `${key} at the limit`)
      assert.ok(exceeds(limit, () => loadConfig(home, { [key]: max + 1 })), `${key} one past the limit`)
    }
  })

  it('MAX_NICK_BYTES: a nick of that many bytes is taken, one more byte is refused', () => {
    assert.equal(validateNick('é'.repeat(MAX_NICK_BYTES / 2)), 'é'.repeat(MAX_NICK_BYTES / 2))
    assert.ok(exceeds('MAX_NICK_BYTES', () => validateNick('é'.repeat(MAX_NICK_BYTES / 2) + 'x')))
  })
})
