import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ERRORS, LedgixError } from '../../src/core/index.ts'

test('every catalog entry has an HTTP status and a title', () => {
  for (const [code, entry] of Object.entries(ERRORS)) {
    assert.ok(entry.status >= 400 && entry.status < 600, code)
    assert.ok(entry.title.length > 0, code)
  }
  assert.equal(new LedgixError('token_replayed').status, 409)
})
