// POST /consume-token and the minted A-JWT: jose and our gateway verifier accept it; a burn happens
// once however many consumers race; invalid, expired, revoked-key, other-tenant and locked-agent
// tokens are refused with their own codes.
import { generateKeyPairSync } from 'node:crypto'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { ManualClock } from '../../src/core/index.ts'
import { buildKeySet, verifyToken } from '../../src/token/index.ts'
import { startVaultServer } from '../../src/vault/index.ts'
import { ADMIN_KEY, call, registerPayments, startHarness, vaultConfig, type Harness } from './helpers.ts'

async function approvedToken(h: Harness, key = h.keys.agent, args: Record<string, unknown> = { amount: 10, customer_id: 'cus_1' }): Promise<string> {
  const res = await call(h.base, 'POST', '/request-clearance', {
    key,
    body: { tool_name: 'create_stripe_payment', tool_args: args, agent_id: 'payments-agent', session_id: 's-1', context: { policy_id: 'payments-prod' } },
  })
  assert.equal(res.body.status, 'approved', JSON.stringify(res.body))
  return res.body.token as string
}

test('minted token: spec §5.2 header and claims, accepted by jose and by the gateway verifier', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const token = await approvedToken(h)
  const jwks = (await call(h.base, 'GET', '/.well-known/jwks.json')).body
  const header = decodeProtectedHeader(token)
  assert.deepEqual(Object.keys(header), ['alg', 'kid', 'typ'])
  assert.equal(header.alg, 'EdDSA')
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: 'alcv-vault', audience: 'ledgix-sdk', subject: 'clearance', clockTolerance: 0 })
  assert.deepEqual(payload.aud, ['ledgix-sdk'])
  assert.equal(payload.nbf, undefined)
  assert.equal((payload.exp as number) - (payload.iat as number), 300)
  assert.equal(payload.tool, 'create_stripe_payment')
  assert.equal(payload.decision, 'approved')
  assert.equal(payload.policy_id, 'payments-prod')
  assert.match(payload.tool_args_hash as string, /^sha256:[0-9a-f]{64}$/)
  const keys = buildKeySet(jwks).keys
  const verified = verifyToken(token, (kid) => keys.get(kid), { issuer: 'alcv-vault', audience: 'ledgix-sdk', subject: 'clearance', clockSkewSeconds: 0, requireExp: true }, Date.now())
  assert.equal(verified.ok, true)
  const second = await approvedToken(h)
  assert.notEqual(decodeProtectedHeader(second).kid, undefined)
  assert.notEqual((await jwtVerify(second, createLocalJWKSet(jwks))).payload.jti, payload.jti, 'fresh jti per approval')
})

test('consume: 200 with the documented fields, then 409 token_replayed', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const token = await approvedToken(h)
  const first = await call(h.base, 'POST', '/consume-token', { key: h.keys.agent, body: { token } })
  assert.equal(first.status, 200)
  assert.deepEqual(Object.keys(first.body).sort(), ['agent_id', 'jti', 'policy_id', 'session_id', 'tool_name', 'valid'])
  assert.equal(first.body.valid, true)
  assert.equal(first.body.session_id, 's-1')
  const again = await call(h.base, 'POST', '/consume-token', { key: h.keys.agent, body: { token } })
  assert.equal(again.status, 409)
  assert.equal(again.body.code, 'token_replayed')
})

test('replay storm: 100 concurrent consumes of one token → exactly one 200, 99 × 409', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const token = await approvedToken(h)
  const results = await Promise.all(Array.from({ length: 100 }, () => call(h.base, 'POST', '/consume-token', { key: h.keys.agent, body: { token } })))
  const statuses = results.map((r) => r.status)
  assert.equal(statuses.filter((s) => s === 200).length, 1)
  assert.equal(statuses.filter((s) => s === 409).length, 99)
})

test('invalid tokens → 401 with the reason code; nothing is burned', async (t) => {
  const clock = new ManualClock(Date.now())
  const h = await startHarness(t, { clock })
  await registerPayments(h)
  const token = await approvedToken(h)
  const [head, payload, sig] = token.split('.') as [string, string, string]
  const flipped = sig.startsWith('A') ? 'B' + sig.slice(1) : 'A' + sig.slice(1)
  const cases: Array<[string, string]> = [
    ['not.a.token', 'token_malformed'],
    [`${head}.${payload}.${flipped}`, 'token_signature_invalid'],
    [`${head}.${Buffer.from('{"iss":"alcv-vault"}').toString('base64url')}.${sig}`, 'token_signature_invalid'],
  ]
  for (const [bad, code] of cases) {
    const res = await call(h.base, 'POST', '/consume-token', { key: h.keys.agent, body: { token: bad } })
    assert.equal(res.status, 401, code)
    assert.equal(res.body.code, code)
    assert.equal(res.text.includes(bad), false, 'token text never echoed')
  }
  clock.advance(301_000)
  const expired = await call(h.base, 'POST', '/consume-token', { key: h.keys.agent, body: { token } })
  assert.equal(expired.status, 401)
  assert.equal(expired.body.code, 'token_expired')
  assert.equal(await h.server.context.store.isBurned((JSON.parse(Buffer.from(payload, 'base64url').toString()) as { jti: string }).jti), false)
})

test('another tenant cannot burn a token; a locked agent gets 403 agent_locked until released', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const token = await approvedToken(h)
  const foreign = await call(h.base, 'POST', '/consume-token', { key: h.keys.bAgent, body: { token } })
  assert.equal(foreign.status, 401)
  assert.equal(foreign.body.code, 'token_wrong_tenant')
  const lock = await call(h.base, 'POST', '/drift/agents/payments-agent/lockdown', { key: h.keys.reviewer, body: { reason: 'drift' } })
  assert.equal(lock.status, 200)
  const locked = await call(h.base, 'POST', '/consume-token', { key: h.keys.agent, body: { token } })
  assert.equal(locked.status, 403)
  assert.equal(locked.body.code, 'agent_locked')
  await call(h.base, 'DELETE', '/drift/agents/payments-agent/lockdown', { key: h.keys.reviewer, body: { reason: 'reviewed' } })
  const ok = await call(h.base, 'POST', '/consume-token', { key: h.keys.agent, body: { token } })
  assert.equal(ok.status, 200, 'refused tokens were not burned')
})

test('rotation keeps the retired key published and verifying; revocation refuses its tokens at once', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const admin = { 'x-admin-api-key': ADMIN_KEY }
  const oldToken = await approvedToken(h)
  const oldKid = decodeProtectedHeader(oldToken).kid
  const rotated = await call(h.base, 'POST', '/admin/keys/rotate', { headers: admin })
  assert.equal(rotated.status, 200)
  assert.notEqual(rotated.body.active_kid, oldKid)
  const jwks = (await call(h.base, 'GET', '/.well-known/jwks.json')).body
  assert.deepEqual(jwks.keys.map((k: { kid: string }) => k.kid).sort(), [oldKid, rotated.body.active_kid].sort())
  const newToken = await approvedToken(h)
  assert.equal(decodeProtectedHeader(newToken).kid, rotated.body.active_kid)
  const anotherOld = oldToken
  const revoke = await call(h.base, 'POST', `/admin/keys/${oldKid}/revoke`, { headers: admin })
  assert.equal(revoke.status, 200)
  const refused = await call(h.base, 'POST', '/consume-token', { key: h.keys.agent, body: { token: anotherOld } })
  assert.equal(refused.status, 401)
  assert.equal(refused.body.code, 'token_key_revoked')
  const after = (await call(h.base, 'GET', '/.well-known/jwks.json')).body
  assert.deepEqual(after.keys.map((k: { kid: string }) => k.kid), [rotated.body.active_kid])
  assert.equal((await call(h.base, 'POST', '/consume-token', { key: h.keys.agent, body: { token: newToken } })).status, 200)
})

test('in-process VaultPort: same semantics as /consume-token (burn once, JWKS from the ring)', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const token = await approvedToken(h)
  const port = h.server.vaultPort
  const { jwks, maxAgeSeconds } = await port.fetchJwks()
  assert.equal(maxAgeSeconds, 300)
  assert.equal(jwks.keys.length, 1)
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string; exp: number }
  const kid = (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid
  const req = { token, jti: payload.jti, kid, expSeconds: payload.exp, agentId: 'payments-agent' }
  const burns = await Promise.all([port.burn(req), port.burn(req), port.burn(req)])
  assert.equal(burns.filter((b) => b.ok).length, 1)
  assert.deepEqual(burns.find((b) => !b.ok), { ok: false, code: 'token_replayed', detail: 'Token already used.' })
  const http = await call(h.base, 'POST', '/consume-token', { key: h.keys.agent, body: { token } })
  assert.equal(http.status, 409, 'one burn table for both paths')
})

test('rotation retires a configured signing_key too: the new ring key signs, also after a restart with the same config', async (t) => {
  const { privateKey } = generateKeyPairSync('ed25519')
  const signingKey = { kid: 'configured-kid', pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() }
  const h = await startHarness(t, { config: { signingKey } })
  await registerPayments(h)
  assert.equal(decodeProtectedHeader(await approvedToken(h)).kid, 'configured-kid')
  const rotated = await call(h.base, 'POST', '/admin/keys/rotate', { headers: { 'x-admin-api-key': ADMIN_KEY } })
  assert.equal(rotated.status, 200)
  assert.notEqual(rotated.body.active_kid, 'configured-kid')
  assert.equal(decodeProtectedHeader(await approvedToken(h)).kid, rotated.body.active_kid, 'the configured key no longer signs')
  const jwks = (await call(h.base, 'GET', '/.well-known/jwks.json')).body
  assert.deepEqual(jwks.keys.map((k: { kid: string }) => k.kid).sort(), ['configured-kid', rotated.body.active_kid].sort(), 'the retired key stays published')
  // A second start over the same data dir with the same configured key keeps the rotation.
  const again = await startVaultServer({ config: vaultConfig(h.dataDir, { signingKey }) })
  t.after(() => again.close())
  assert.equal(again.context.keyRing.signer?.kid, rotated.body.active_kid)
})
