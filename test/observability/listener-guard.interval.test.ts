import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MIN_CHECKING_INTERVAL_MS, checkingIntervalMs } from '../../src/observability/index.ts'

test('deadline sweep: a quarter of the shorter deadline, within [250 ms, 30 s]', () => {
  assert.equal(checkingIntervalMs({ headersTimeoutMs: 10_000, requestTimeoutMs: 300_000 }), 2500, 'default gateway: a 10 s headers deadline holds by 12.5 s')
  assert.equal(checkingIntervalMs({ headersTimeoutMs: 5000, requestTimeoutMs: 10_000 }), 1250)
  assert.equal(checkingIntervalMs({ headersTimeoutMs: 300, requestTimeoutMs: 800 }), MIN_CHECKING_INTERVAL_MS, 'never more than 4 sweeps a second')
  assert.equal(checkingIntervalMs({ headersTimeoutMs: 200_000, requestTimeoutMs: 300_000 }), 30_000, "never slower than node's own 30 s")
  assert.equal(checkingIntervalMs({ headersTimeoutMs: 0, requestTimeoutMs: 0 }), 30_000)
})
