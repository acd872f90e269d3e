// JWKS outage handling needs the stand-in Vault: a real one cannot be made to fail its key endpoint
// while answering burns. Rotation against the real Vault: test/e2e/modes.replay.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/core/index.ts'
import { startHarness } from '../helpers/gateway-harness.ts'
import { bearer, send } from '../helpers/http-client.ts'
import { mint, newSigner } from '../helpers/tokens.ts'

test('JWKS outage within max_stale: known keys keep verifying; beyond it: 503 keys_unavailable, fail closed', async (t) => {
  const clock = new ManualClock(Date.now())
  const h = await startHarness({ clock, config: { jwks: { maxStaleMs: 60_000, kidMissCooldownMs: 0 } } })
  t.after(() => h.close())
  h.vault.jwksMode = 'down'
  clock.advance(30_000)
  const within = await send(`${h.url}/v1/a`, { headers: bearer(mint(h.signer, { nowMs: clock.now() })) })
  assert.equal(within.status, 200, within.text)
  // An unknown kid during the outage: the refetch fails, the known set is still in date → 401.
  const stranger = await send(`${h.url}/v1/a`, { headers: bearer(mint(newSigner('key-x'), { nowMs: clock.now() })) })
  assert.equal(stranger.json['code'], 'token_key_unknown')
  clock.advance(31_000)
  const hits = h.upstream.hits
  const beyond = await send(`${h.url}/v1/a`, { headers: bearer(mint(h.signer, { nowMs: clock.now() })) })
  assert.equal(beyond.status, 503)
  assert.equal(beyond.json['code'], 'keys_unavailable')
  assert.equal(h.upstream.hits, hits)
  const ready = await send(`${h.adminUrl}/readyz`)
  assert.equal(ready.status, 503)
  assert.equal(ready.json['reason'], 'keys_unavailable')
  assert.ok(h.vault.jwksCalls >= 2, 'the expired set triggers a refresh attempt (cooldown-bounded)')
  // The Vault comes back: the next request's refresh restores service.
  h.vault.jwksMode = 'ok'
  assert.equal((await send(`${h.url}/v1/a`, { headers: bearer(mint(h.signer, { nowMs: clock.now() })) })).status, 200)
})
