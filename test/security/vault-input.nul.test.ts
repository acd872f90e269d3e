// Issue 16 §5 on both stores (run it with LEDGIX_TEST_STORE=postgres too): U+0000 in a body string
// or key ("\u0000") and %00 in a path or query are a 400 problem on every entry point. PostgreSQL text
// cannot store NUL: a lockdown reason, an API key or tenant name, a policy description, an opaque id
// in a path or a query filter holding one answered 500 there (SQLite stored it).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ADMIN_KEY, call, registerPayments, startHarness } from '../vault/helpers.ts'

test('"\\u0000" in any body string or key → 400 naming the place, on either store; nothing decided', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const admin = { 'x-admin-api-key': ADMIN_KEY }
  const cases: Array<[string, string, string | null, string, RegExp]> = [
    ['POST', '/request-clearance', h.keys.agent, '{"tool_name":"create_stripe_payment","tool_args":{"amount":10,"memo":"a\\u0000b"}}', /^body\.tool_args\.memo: string holds U\+0000/],
    ['POST', '/request-clearance/', h.keys.agent, '{"tool_name":"create_stripe_payment","tool_args":{"amount":5000,"a\\u0000":1}}', /^body\.tool_args\["a\\u0000"\]: key holds U\+0000/],
    ['POST', '/drift/agents/a/lockdown', h.keys.admin, '{"reason":"a\\u0000"}', /^body\.reason: string holds U\+0000/],
    ['POST', '/api-keys', h.keys.admin, '{"name":"n\\u0000"}', /^body\.name: /],
    ['POST', '/register-policy', h.keys.admin, '{"policy_id":"p2","description":"d\\u0000","rules":[]}', /^body\.description: /],
    ['PUT', '/notification-settings', h.keys.admin, '{"email_recipients":"a\\u0000@example.com"}', /^body\.email_recipients: /],
    ['POST', '/admin/tenants', null, '{"name":"x\\u0000"}', /^body\.name: /],
  ]
  for (const [method, path, key, body, detail] of cases) {
    const res = await call(h.base, method, path, { key, body, ...(key === null ? { headers: admin } : {}) })
    assert.equal(res.status, 400, `${method} ${path}: ${res.text}`)
    assert.equal(res.body.code, 'invalid_request', path)
    assert.match(res.body.detail, detail, path)
  }
  const reviews = await call(h.base, 'GET', '/reviews', { key: h.keys.reviewer })
  assert.equal(reviews.body.reviews.length, 0, 'nothing pending')
  const lock = await h.server.context.store.getAgentLock(h.tenantA, 'a')
  assert.equal(lock, null, 'no lock written')
})

test('%00 in a path parameter or a query value → 400 on every route, on either store', async (t) => {
  const h = await startHarness(t)
  const admin = { 'x-admin-api-key': ADMIN_KEY }
  const cases: Array<[string, string, boolean]> = [
    ['PATCH', '/users/%00', false],
    ['POST', '/users/a%00b/revoke-sessions', false],
    ['DELETE', '/api-keys/%00', false],
    ['DELETE', '/admin/tenants/tenant-a/api-keys/%00', true],
    ['GET', '/policies/%00', false],
    ['POST', '/notifications/deliveries/%00/retry', false],
    ['GET', '/drift/events?agent_id=%00', false],
    ['GET', '/ledger?agent_id=a%00', false],
    ['GET', '/reports?status=%00', false],
    ['GET', '/nope/%00', false],
  ]
  for (const [method, path, isAdmin] of cases) {
    const res = await call(h.base, method, path, { ...(isAdmin ? { headers: admin } : { key: h.keys.admin }), ...(method === 'GET' ? {} : { body: '{"role":"viewer","reason":"r"}' }) })
    assert.equal(res.status, 400, `${method} ${path}: ${res.text}`)
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/, path)
    assert.equal(res.body.code, 'invalid_request', path)
  }
})
