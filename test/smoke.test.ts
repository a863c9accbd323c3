import assert from 'node:assert/strict'
import { SecushareError } from '../protocol/errors.js'

describe('smoke', () => {
  it('errors carry a stable code', () => {
    const e = new SecushareError('INVALID_ARGUMENT', 'x')
    assert.equal(e.code, 'INVALID_ARGUMENT')
  })
})
