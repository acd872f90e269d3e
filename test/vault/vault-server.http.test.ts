// Transport contract of the Vault API: public routes, API-key auth, problem+json errors with the
// field path, lenient bodies, `//x` paths, body limits and the per-key rate limit.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { ADMIN_KEY, call, startHarness } from './helpers.ts'

test('GET /health and /.well-known/jwks.json need no key and ignore a bad one', async (t) => {
  const h = await startHarness(t)
  const health = await call(h.base, 'GET', '/health', { key: 'sk_wrong' })
  assert.equal(health.status, 200)
  assert.deepEqual(health.body, { status: 'ok' })
  const jwks = await call(h.base, 'GET', '/.well-known/jwks.json', { key: 'sk_wrong' })
  assert.equal(jwks.status, 200)
  assert.equal(jwks.headers['cache-control'], 'public, max-age=300')
  assert.equal(jwks.body.keys.length, 1)
  const [key] = jwks.body.keys
  assert.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x'])
  assert.equal(key.alg, 'EdDSA')
  assert.equal(key.key_ops, undefined)
})

test('customer endpoints: missing → 401 api_key_missing, unknown or revoked → 401 api_key_invalid', async (t) => {
  const h = await startHarness(t)
  const body = { tool_name: 'ping' }
  const missing = await call(h.base, 'POST', '/request-clearance', { body })
  assert.equal(missing.status, 401)
  assert.equal(missing.headers['content-type'], 'application/problem+json; charset=utf-8')
  assert.equal(missing.body.code, 'api_key_missing')
  assert.equal(missing.headers['www-authenticate'], 'Bearer error="invalid_token"')
  const unknown = await call(h.base, 'GET', '/review-settings', { key: 'sk_test_nope' })
  assert.equal(unknown.body.code, 'api_key_invalid')
  // Revoke through the admin API; the next request with that key is refused at once.
  const keys = await call(h.base, 'GET', `/admin/tenants/${h.tenantA}/api-keys`, { headers: { 'x-admin-api-key': ADMIN_KEY } })
  const agentKey = keys.body.api_keys.find((k: { name: string }) => k.name === 'agent')
  assert.equal(typeof agentKey.last_used_at, 'object')
  const revoked = await call(h.base, 'DELETE', `/admin/tenants/${h.tenantA}/api-keys/${agentKey.key_id}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
  assert.equal(revoked.status, 200)
  const after = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body })
  assert.equal(after.status, 401)
  assert.equal(after.body.code, 'api_key_invalid')
  assert.equal(after.text.includes(h.keys.agent), false, 'the key never appears in a problem')
})

test('bad JSON, wrong types and missing fields → 400 naming the field; unknown fields are ignored', async (t) => {
  const h = await startHarness(t)
  const key = h.keys.agent
  const bad = await call(h.base, 'POST', '/request-clearance', { key, body: '{"tool_name": ' })
  assert.equal(bad.status, 400)
  assert.equal(bad.body.code, 'invalid_json')
  const proto = await call(h.base, 'POST', '/request-clearance', { key, body: '{"tool_name":"x","__proto__":{"a":1}}' })
  assert.equal(proto.status, 400)
  const wrongType = await call(h.base, 'POST', '/request-clearance', { key, body: { tool_name: 42 } })
  assert.equal(wrongType.status, 400)
  assert.equal(wrongType.body.code, 'invalid_request')
  assert.match(wrongType.body.detail, /^body\.tool_name: /)
  const argsType = await call(h.base, 'POST', '/request-clearance', { key, body: { tool_name: 'x', tool_args: 'nope' } })
  assert.match(argsType.body.detail, /^body\.tool_args: /)
  const missing = await call(h.base, 'POST', '/request-clearance', { key, body: { tool_args: {} } })
  assert.match(missing.body.detail, /^body\.tool_name: /)
  const lenient = await call(h.base, 'POST', '/request-clearance', {
    key,
    body: { tool_name: 'ping', destination_uri: 'https://api.stripe.com', context: { purpose: 'x', whatever: [1] }, human_principal: 'u' },
  })
  assert.equal(lenient.status, 200)
  assert.equal(lenient.body.decision_status, 'denied', 'no policy → default deny, as HTTP 200')
  const media = await call(h.base, 'POST', '/consume-token', { key, body: 'token=x', headers: { 'content-type': 'text/plain' } })
  assert.equal(media.status, 415)
})

test('`//request-clearance` is served like `/request-clearance`; unknown paths are 404 problems', async (t) => {
  const h = await startHarness(t)
  const doubled = await call(h.base, 'POST', '//request-clearance', { key: h.keys.agent, body: { tool_name: 'ping' } })
  assert.equal(doubled.status, 200)
  assert.equal(typeof doubled.body.request_id, 'string')
  const jwks = await call(h.base, 'GET', '//.well-known/jwks.json')
  assert.equal(jwks.status, 200)
  const nope = await call(h.base, 'GET', '/nope', { key: h.keys.agent })
  assert.equal(nope.status, 404)
  assert.equal(nope.body.code, 'not_found')
})

test('a body over max_body → 413', async (t) => {
  const h = await startHarness(t, { config: { maxBodyBytes: 2048 } })
  const res = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 'x', tool_args: { blob: 'a'.repeat(4096) } } })
  assert.equal(res.status, 413)
  assert.equal(res.body.code, 'payload_too_large')
})

test('rate limit per API key → 429 with a numeric Retry-After; other keys unaffected', async (t) => {
  const h = await startHarness(t, { config: { rateLimit: { requestsPerSecond: 0.5, burst: 2 } } })
  const statuses = []
  for (let i = 0; i < 3; i++) statuses.push((await call(h.base, 'GET', '/review-settings', { key: h.keys.agent })).status)
  assert.deepEqual(statuses, [200, 200, 429])
  const limited = await call(h.base, 'GET', '/review-settings', { key: h.keys.agent })
  assert.equal(limited.body.code, 'rate_limited')
  assert.match(String(limited.headers['retry-after']), /^[1-9][0-9]*$/)
  assert.equal((await call(h.base, 'GET', '/review-settings', { key: h.keys.reviewer })).status, 200)
})

test('admin surface: needs the admin key; creates tenants and shows a new key exactly once', async (t) => {
  const h = await startHarness(t)
  const denied = await call(h.base, 'GET', '/admin/tenants', { headers: { 'x-admin-api-key': 'wrong' } })
  assert.equal(denied.status, 401)
  assert.equal(denied.body.code, 'admin_key_invalid')
  const admin = { 'x-admin-api-key': ADMIN_KEY }
  const tenant = await call(h.base, 'POST', '/admin/tenants', { headers: admin, body: { tenant_id: 'acme', name: 'Acme' } })
  assert.equal(tenant.status, 201)
  const dup = await call(h.base, 'POST', '/admin/tenants', { headers: admin, body: { tenant_id: 'acme' } })
  assert.equal(dup.status, 409)
  const created = await call(h.base, 'POST', '/admin/tenants/acme/api-keys', { headers: admin, body: { name: 'bot', role: 'agent' } })
  assert.equal(created.status, 201)
  assert.match(created.body.api_key, /^sk_test_[A-Za-z0-9_-]{43}$/)
  const listed = await call(h.base, 'GET', '/admin/tenants/acme/api-keys', { headers: admin })
  assert.equal(listed.body.api_keys.length, 1)
  assert.equal(listed.text.includes(created.body.api_key), false, 'the secret is never listed')
  const use = await call(h.base, 'GET', '/review-settings', { key: created.body.api_key })
  assert.equal(use.status, 200)
  const unknownTenant = await call(h.base, 'POST', '/admin/tenants/ghost/api-keys', { headers: admin, body: {} })
  assert.equal(unknownTenant.status, 404)
  // A raw GET without content-type works too (undici default).
  const raw = await request(`${h.base}/admin/tenants`, { headers: admin })
  assert.equal(raw.statusCode, 200)
  await raw.body.dump()
})
