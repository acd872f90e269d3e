// The in-flight marker: 50 copies cost ONE burn call. Needs the stand-in Vault to slow burns down and
// count calls; the same race against the real Vault in both modes: test/e2e/modes.replay.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startHarness } from '../helpers/gateway-harness.ts'
import { bearer, send } from '../helpers/http-client.ts'
import { mint } from '../helpers/tokens.ts'

test('50 concurrent requests with one token → exactly one reaches upstream, 49 get 409', async (t) => {
  const h = await startHarness()
  t.after(() => h.close())
  // Slow burns widen the race window: every request is past verification before the first burn lands.
  h.vault.consumeMode = 'slow'
  h.vault.slowMs = 150
  const token = mint(h.signer)
  const replies = await Promise.all(Array.from({ length: 50 }, () => send(`${h.url}/v1/pay`, { method: 'POST', headers: bearer(token) })))
  const statuses = replies.map((r) => r.status)
  assert.equal(statuses.filter((s) => s === 200).length, 1)
  assert.equal(statuses.filter((s) => s === 409).length, 49)
  assert.ok(replies.filter((r) => r.status === 409).every((r) => r.json['code'] === 'token_replayed'))
  assert.equal(h.upstream.hits, 1)
  assert.equal(h.vault.burned.size, 1)
  // The in-flight marker answers duplicates locally: one burn call, not 50.
  assert.equal(h.vault.consumeCalls, 1)
})
