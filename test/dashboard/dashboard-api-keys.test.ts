// The tenant's API keys from the dashboard: list, create (secret once), rotate with a grace period
// (the old key works until its expiry, then 401 — on an injected clock), revoke; admin only, tenant
// scoped; and the /admin routes that share the code.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/core/index.ts'
import { ADMIN_KEY, call, startHarness } from '../vault/helpers.ts'

const DAY_S = 86_400

test('GET/POST /api-keys: create shows the secret once; the list shows label, role, prefix, created, last used, expiry, status', async (t) => {
  const clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'))
  const h = await startHarness(t, { clock })
  const created = await call(h.base, 'POST', '/api-keys', { key: h.keys.admin, body: { name: 'ci deploys', role: 'reviewer', expires_in_days: 30 } })
  assert.equal(created.status, 201, created.text)
  assert.match(created.body.api_key, /^sk_test_/)
  assert.equal(created.body.prefix, created.body.api_key.slice(0, 12))
  assert.deepEqual([created.body.name, created.body.role, created.body.status, created.body.expires_at], ['ci deploys', 'reviewer', 'active', '2026-12-31T00:00:00.000Z'])
  // The new key works (and so gets a last-used time), and is listed without its secret.
  assert.equal((await call(h.base, 'GET', '/reviews', { key: created.body.api_key })).status, 200)
  const list = await call(h.base, 'GET', '/api-keys', { key: h.keys.admin })
  assert.equal(list.status, 200)
  assert.ok(!list.text.includes(created.body.api_key), 'the secret is never listed')
  const row = list.body.api_keys.find((k: { key_id: string }) => k.key_id === created.body.key_id)
  assert.deepEqual(Object.keys(row).sort(), ['created_at', 'expires_at', 'key_id', 'last_used_at', 'name', 'prefix', 'replaced_by', 'revoked_at', 'role', 'status', 'tenant_id'])
  assert.equal(row.created_at, '2026-12-01T00:00:00.000Z')
  assert.equal(list.body.api_keys.length, 4, "tenant A's three keys and the new one; none of tenant B's")
  // The key's lifetime ends: refused by auth, listed as expired.
  clock.advance(30 * DAY_S * 1000)
  const late = await call(h.base, 'GET', '/reviews', { key: created.body.api_key })
  assert.deepEqual([late.status, late.body.code], [401, 'api_key_expired'])
  const after = await call(h.base, 'GET', '/api-keys', { key: h.keys.admin })
  assert.equal(after.body.api_keys.find((k: { key_id: string }) => k.key_id === created.body.key_id).status, 'expired')
  const defaults = await call(h.base, 'POST', '/api-keys', { key: h.keys.admin, body: {} })
  assert.deepEqual([defaults.status, defaults.body.role, defaults.body.name, defaults.body.expires_at], [201, 'agent', '', null])
})

test('POST /api-keys/{id}/rotate: the successor keeps role and label; the old key works through its grace, then 401', async (t) => {
  const clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'))
  const h = await startHarness(t, { clock })
  const old = await call(h.base, 'POST', '/api-keys', { key: h.keys.admin, body: { name: 'payments bot', role: 'agent' } })
  const rotated = await call(h.base, 'POST', `/api-keys/${old.body.key_id}/rotate`, { key: h.keys.admin, body: { grace_seconds: 3600 } })
  assert.equal(rotated.status, 200, rotated.text)
  const { successor, previous } = rotated.body
  assert.deepEqual([successor.name, successor.role, successor.status, successor.expires_at], ['payments bot', 'agent', 'active', null])
  assert.notEqual(successor.api_key, old.body.api_key)
  assert.deepEqual([previous.key_id, previous.status, previous.expires_at, previous.replaced_by], [old.body.key_id, 'rotating', '2026-12-01T01:00:00.000Z', successor.key_id])
  // Inside the grace both keys work; at its end the old one is refused, the successor is not.
  clock.advance(3_599_000)
  assert.equal((await call(h.base, 'GET', '/reviews', { key: old.body.api_key })).status, 200)
  assert.equal((await call(h.base, 'POST', '/request-clearance', { key: old.body.api_key, body: { tool_name: 't' } })).status, 200, 'the fast path honours the grace too')
  clock.advance(1_000)
  const refused = await call(h.base, 'GET', '/reviews', { key: old.body.api_key })
  assert.deepEqual([refused.status, refused.body.code], [401, 'api_key_expired'])
  assert.equal(refused.headers['www-authenticate'], 'Bearer error="invalid_token"')
  const fast = await call(h.base, 'POST', '/request-clearance', { key: old.body.api_key, body: { tool_name: 't' } })
  assert.deepEqual([fast.status, fast.body.code], [401, 'api_key_expired'])
  assert.equal((await call(h.base, 'GET', '/reviews', { key: successor.api_key })).status, 200)
  // A rotated key cannot be rotated again (its successor can); a grace of 0 ends the old key at once.
  const twice = await call(h.base, 'POST', `/api-keys/${old.body.key_id}/rotate`, { key: h.keys.admin, body: { grace_seconds: 60 } })
  assert.deepEqual([twice.status, twice.body.code], [409, 'api_key_not_active'])
  const next = await call(h.base, 'POST', `/api-keys/${successor.key_id}/rotate`, { key: h.keys.admin, body: { grace_seconds: 0 } })
  assert.equal(next.status, 200)
  assert.equal((await call(h.base, 'GET', '/reviews', { key: successor.api_key })).status, 401)
  assert.equal((await call(h.base, 'GET', '/reviews', { key: next.body.successor.api_key })).status, 200)
})

test('rotate: two concurrent rotations of one key, exactly one succeeds; a key with a lifetime passes it on', async (t) => {
  const clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'))
  const h = await startHarness(t, { clock })
  const k = await call(h.base, 'POST', '/api-keys', { key: h.keys.admin, body: { name: 'short', role: 'reviewer', expires_in_days: 10 } })
  clock.advance(DAY_S * 1000)
  const both = await Promise.all([1, 2].map(() => call(h.base, 'POST', `/api-keys/${k.body.key_id}/rotate`, { key: h.keys.admin, body: { grace_seconds: 30 * DAY_S } })))
  assert.deepEqual(both.map((r) => r.status).sort(), [200, 409])
  const won = both.find((r) => r.status === 200)!.body
  assert.equal(won.successor.expires_at, '2026-12-12T00:00:00.000Z', 'ten days from the rotation')
  assert.equal(won.previous.expires_at, '2026-12-11T00:00:00.000Z', 'the grace never extends the old key past its own expiry')
  const keys = (await call(h.base, 'GET', '/api-keys', { key: h.keys.admin })).body.api_keys
  assert.equal(keys.filter((x: { name: string }) => x.name === 'short').length, 2, 'one successor, not two')
})

test('DELETE /api-keys/{id} revokes at once; refusals: non-admin 403, another tenant 404, bad input 400 naming the field', async (t) => {
  const h = await startHarness(t)
  const k = await call(h.base, 'POST', '/api-keys', { key: h.keys.admin, body: { name: 'temp', role: 'agent' } })
  for (const key of [h.keys.agent, h.keys.reviewer]) {
    for (const [method, path, body] of [['GET', '/api-keys'], ['POST', '/api-keys', { name: 'x' }], ['POST', `/api-keys/${k.body.key_id}/rotate`, { grace_seconds: 1 }], ['DELETE', `/api-keys/${k.body.key_id}`]] as const) {
      const res = await call(h.base, method, path, { key, ...(body === undefined ? {} : { body }) })
      assert.deepEqual([res.status, res.body.code], [403, 'forbidden'], `${method} ${path}`)
    }
  }
  const foreignRotate = await call(h.base, 'POST', `/api-keys/${k.body.key_id}/rotate`, { key: h.keys.bAdmin, body: { grace_seconds: 1 } })
  assert.deepEqual([foreignRotate.status, foreignRotate.body.code], [404, 'not_found'])
  assert.equal((await call(h.base, 'DELETE', `/api-keys/${k.body.key_id}`, { key: h.keys.bAdmin })).status, 404)
  assert.equal((await call(h.base, 'GET', '/reviews', { key: k.body.api_key })).status, 200, 'untouched by the other tenant')
  const tooLong = await call(h.base, 'POST', `/api-keys/${k.body.key_id}/rotate`, { key: h.keys.admin, body: { grace_seconds: 30 * DAY_S + 1 } })
  assert.equal(tooLong.status, 400)
  assert.match(tooLong.body.detail, /^body\.grace_seconds: /)
  assert.match((await call(h.base, 'POST', `/api-keys/${k.body.key_id}/rotate`, { key: h.keys.admin, body: {} })).body.detail, /^body\.grace_seconds/)
  assert.match((await call(h.base, 'POST', '/api-keys', { key: h.keys.admin, body: { role: 'root' } })).body.detail, /^body\.role: /)
  assert.match((await call(h.base, 'POST', '/api-keys', { key: h.keys.admin, body: { expires_in_days: 0 } })).body.detail, /^body\.expires_in_days: /)
  const revoked = await call(h.base, 'DELETE', `/api-keys/${k.body.key_id}`, { key: h.keys.admin })
  assert.deepEqual(revoked.body, { key_id: k.body.key_id, revoked: true })
  assert.deepEqual([(await call(h.base, 'GET', '/reviews', { key: k.body.api_key })).body.code], ['api_key_invalid'])
  assert.equal((await call(h.base, 'DELETE', `/api-keys/${k.body.key_id}`, { key: h.keys.admin })).status, 404, 'already revoked')
  const rotateRevoked = await call(h.base, 'POST', `/api-keys/${k.body.key_id}/rotate`, { key: h.keys.admin, body: { grace_seconds: 1 } })
  assert.equal(rotateRevoked.body.code, 'api_key_not_active')
  const list = (await call(h.base, 'GET', '/api-keys', { key: h.keys.admin })).body.api_keys
  assert.equal(list.find((x: { key_id: string }) => x.key_id === k.body.key_id).status, 'revoked')
})

test('/admin/tenants/{id}/api-keys shares the code: expires_in_days accepted, expiry and successor listed', async (t) => {
  const clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'))
  const h = await startHarness(t, { clock })
  const admin = { 'x-admin-api-key': ADMIN_KEY }
  const created = await call(h.base, 'POST', `/admin/tenants/${h.tenantA}/api-keys`, { headers: admin, body: { name: 'ops', role: 'admin', expires_in_days: 1 } })
  assert.equal(created.status, 201, created.text)
  assert.equal(created.body.expires_at, '2026-12-02T00:00:00.000Z')
  const listed = await call(h.base, 'GET', `/admin/tenants/${h.tenantA}/api-keys`, { headers: admin })
  const row = listed.body.api_keys.find((k: { key_id: string }) => k.key_id === created.body.key_id)
  assert.deepEqual([row.expires_at, row.replaced_by], ['2026-12-02T00:00:00.000Z', null])
  clock.advance(86_400_000)
  assert.equal((await call(h.base, 'GET', '/api-keys', { key: created.body.api_key })).body.code, 'api_key_expired')
})
