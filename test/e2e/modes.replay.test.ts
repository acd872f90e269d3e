// Single use, lockdown, key rotation and revocation, and a Vault outage through real `serve`
// processes in both modes: the burn at the real Vault decides, the same way in each mode.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bearer, send } from '../helpers/http-client.ts'
import type { Reply } from '../helpers/http-client.ts'
import { API_KEY, describeModes } from '../helpers/mode-stack.ts'
import { mint, payloadOf } from '../helpers/tokens.ts'

const ROUTES = `  - name: payments
    match: { path_prefix: /v1 }
    upstream: UPSTREAM
    tools: [stripe_refund]
`

function pay(url: string, token: string): Promise<Reply> {
  return send(`${url}/v1/pay`, { method: 'POST', headers: bearer(token) })
}

// kid_miss_cooldown 0: rotation and revocation each bring a new kid within seconds of the last one.
describeModes('single use and Vault authority', { routes: ROUTES, gatewayExtra: 'jwks:\n  kid_miss_cooldown: 0s\n' }, ({ stack, mode }) => {
  test('replayed token → 409 token_replayed, upstream called once, one burn', async () => {
    const s = stack()
    const token = mint(await s.signer())
    const hits = s.upstream.hits
    const burns = await s.burns()
    assert.equal((await pay(s.gatewayUrl, token)).status, 200)
    const again = await pay(s.gatewayUrl, token)
    assert.equal(again.status, 409)
    assert.equal(again.json['code'], 'token_replayed')
    assert.equal(s.upstream.hits, hits + 1)
    assert.equal(await s.burns(), burns + 1, 'the second copy is refused by the local cache, not burned again')
  })

  test('50 concurrent requests with one token → exactly one reaches upstream, 49 get 409', async () => {
    const s = stack()
    const token = mint(await s.signer())
    const hits = s.upstream.hits
    const replies = await Promise.all(Array.from({ length: 50 }, () => pay(s.gatewayUrl, token)))
    const statuses = replies.map((r) => r.status)
    assert.equal(statuses.filter((x) => x === 200).length, 1)
    assert.equal(statuses.filter((x) => x === 409).length, 49)
    assert.ok(replies.filter((r) => r.status === 409).every((r) => r.json['code'] === 'token_replayed'))
    assert.equal(s.upstream.hits, hits + 1)
  })

  test('a token consumed at the Vault directly → the gateway gets 409 from the Vault', async () => {
    const s = stack()
    const token = mint(await s.signer())
    const consumed = await send(`${s.vaultUrl}/consume-token`, {
      method: 'POST',
      headers: { 'x-vault-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    })
    assert.equal(consumed.status, 200, consumed.text)
    const hits = s.upstream.hits
    const reply = await pay(s.gatewayUrl, token)
    assert.equal(reply.status, 409)
    assert.equal(reply.json['code'], 'token_replayed')
    assert.equal(s.upstream.hits, hits)
  })

  test('an agent locked down after its clearance → 403 agent_locked, token not forwarded', async () => {
    const s = stack()
    const token = await s.approvedToken({ tool_name: 'stripe_refund', tool_args: { amount: 5 }, agent_id: 'agent-locked' })
    const lock = await send(`${s.vaultUrl}/drift/agents/agent-locked/lockdown`, {
      method: 'POST',
      headers: { 'x-vault-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'test' }),
    })
    assert.equal(lock.status, 200, lock.text)
    const hits = s.upstream.hits
    const reply = await pay(s.gatewayUrl, token)
    assert.equal(reply.status, 403, reply.text)
    assert.equal(reply.json['code'], 'agent_locked')
    assert.equal(s.upstream.hits, hits)
  })

  test('keys rotate (POST /admin/keys/rotate): the new kid is accepted on first sight, the old one still works', async () => {
    const s = stack()
    const before = await s.signer()
    const oldToken = mint(before)
    const rotated = await s.admin('POST', '/keys/rotate')
    assert.equal(rotated.status, 200, rotated.text)
    const after = await s.signer()
    assert.notEqual(after.kid, before.kid)
    const fresh = mint(after)
    const reply = await pay(s.gatewayUrl, fresh)
    assert.equal(reply.status, 200, reply.text)
    assert.equal((await pay(s.gatewayUrl, oldToken)).status, 200, 'a retired key still verifies')
  })

  test('a revoked key → 401 token_key_revoked even while the gateway still caches it', async () => {
    const s = stack()
    const signer = await s.signer()
    const token = mint(signer)
    const revoked = await s.admin('POST', `/keys/${signer.kid}/revoke`)
    assert.equal(revoked.status, 200, revoked.text)
    const hits = s.upstream.hits
    const reply = await pay(s.gatewayUrl, token)
    assert.equal(reply.status, 401, reply.text)
    assert.equal(reply.json['code'], 'token_key_revoked')
    assert.equal(reply.headers['www-authenticate'], 'Bearer error="invalid_token"')
    assert.equal(s.upstream.hits, hits)
    assert.notEqual((await s.signer()).kid, signer.kid, 'the Vault replaced its revoked signing key')
    assert.equal(payloadOf(mint(await s.signer()))['iss'], 'alcv-vault')
  })

  test(
    'Vault down → 503 vault_unavailable with Retry-After, upstream never called',
    // In all-in-one the Vault is this very process: it cannot be down while the gateway answers.
    { skip: mode === 'all-in-one' && 'all-in-one has no separate Vault to lose' },
    async () => {
      const s = stack()
      const signer = await s.signer()
      // The gateway learns the current kid first: with the Vault gone it could not fetch it.
      assert.equal((await pay(s.gatewayUrl, mint(signer))).status, 200)
      const token = mint(signer)
      await s.vaultProcess.stop()
      const hits = s.upstream.hits
      const reply = await pay(s.gatewayUrl, token)
      assert.equal(reply.status, 503, reply.text)
      assert.equal(reply.json['code'], 'vault_unavailable')
      assert.equal(reply.headers['retry-after'], '1')
      assert.equal(s.upstream.hits, hits)
    },
  )
})
