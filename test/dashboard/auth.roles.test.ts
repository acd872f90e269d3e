// Roles through sessions: a viewer changes nothing on any customer route (walked from the app's own
// route table), another tenant's user sees nothing of this one, and a session's decision is recorded
// as its user whatever the body claims.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { call, registerPayments } from '../vault/helpers.ts'
import { browserCall, createUser, login, startDashboard } from './helpers.ts'

const BIG = { tool_name: 'create_stripe_payment', tool_args: { amount: 5000, customer_id: 'cus_9' }, agent_id: 'payments-agent' }

test('a viewer session gets 403 forbidden on every state-changing customer route, and reads', async (t) => {
  const h = await startDashboard(t)
  await registerPayments(h)
  const pending = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: BIG })
  const requestId = pending.body.request_id as string
  await createUser(h, h.keys.admin, 'view@example.com', 'viewer')
  const v = await login(h.base, 'view@example.com', undefined, h.tenantA)
  assert.equal(v.res.status, 200)
  const routes = h.server.app.vaultCustomerRoutes.filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method))
  assert.ok(routes.length >= 15, `route table has ${routes.length} state-changing routes`)
  for (const r of routes) {
    const path = r.url.replace(/:request_id/g, requestId).replace(/:[a-z_]+/g, 'x')
    const res = await browserCall(v, r.method, path, { body: { approved: true } })
    assert.equal(res.status, 403, `${r.method} ${r.url}: ${res.text}`)
    assert.equal(res.body.code, 'forbidden', `${r.method} ${r.url}`)
  }
  assert.equal((await h.server.context.store.getClearance(h.tenantA, requestId))!.status, 'pending_review')
  const reads = await browserCall(v, 'GET', '/reviews')
  assert.equal(reads.status, 200)
  assert.equal(reads.body.reviews.length, 1)
})

test("a reviewer session's decision records the session user's email, not the body's reviewer_email", async (t) => {
  const h = await startDashboard(t)
  await registerPayments(h)
  await createUser(h, h.keys.admin, 'Alice@Example.com', 'reviewer')
  const r = await login(h.base, 'alice@example.com', undefined, h.tenantA)
  const ids: string[] = []
  for (const reviewerEmail of ['mallory@example.com', 'slack:U123', 'system:expiry']) {
    const p = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: BIG })
    ids.push(p.body.request_id)
    const res = await browserCall(r, 'POST', `/reviews/${p.body.request_id}/decision`, { body: { approved: true, review_reason: 'fine', reviewer_email: reviewerEmail } })
    assert.equal(res.status, 200, res.text)
  }
  for (const id of ids) {
    const rec = (await h.server.context.store.getClearance(h.tenantA, id))!
    assert.equal(rec.reviewer, 'alice@example.com')
    assert.equal(rec.decidedByKeyId?.startsWith('user:'), true)
    assert.equal(rec.decidedByRole, 'reviewer')
  }
  // An API key still records the body's reviewer_email (unchanged behaviour).
  const p = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: BIG })
  await call(h.base, 'POST', `/reviews/${p.body.request_id}/decision`, { key: h.keys.reviewer, body: { approved: true, reviewer_email: 'ops@example.com' } })
  assert.equal((await h.server.context.store.getClearance(h.tenantA, p.body.request_id))!.reviewer, 'ops@example.com')
})

test("another tenant's user sees nothing of this tenant and cannot touch its users", async (t) => {
  const h = await startDashboard(t)
  await registerPayments(h)
  const p = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: BIG })
  const aUser = await createUser(h, h.keys.admin, 'a-admin@example.com', 'admin')
  await createUser(h, h.keys.bAdmin, 'b-admin@example.com', 'admin')
  // Same email in two tenants is two users.
  await createUser(h, h.keys.bAdmin, 'a-admin@example.com', 'viewer')
  const b = await login(h.base, 'b-admin@example.com', undefined, h.tenantB)
  assert.equal(b.res.status, 200)
  assert.equal(b.res.body.user.tenant_id, h.tenantB)
  assert.equal((await login(h.base, 'b-admin@example.com', undefined, h.tenantA)).res.status, 401)
  assert.deepEqual((await browserCall(b, 'GET', '/reviews')).body.reviews, [])
  assert.equal((await browserCall(b, 'GET', `/clearance-status/${p.body.request_id}`)).status, 404)
  const users = await browserCall(b, 'GET', '/users')
  assert.deepEqual(users.body.users.map((u: { email: string }) => u.email).sort(), ['a-admin@example.com', 'b-admin@example.com'])
  assert.ok(users.body.users.every((u: { tenant_id: string }) => u.tenant_id === h.tenantB))
  for (const [method, path, body] of [
    ['PATCH', `/users/${aUser}`, { disabled: true }],
    ['POST', `/users/${aUser}/revoke-sessions`, undefined],
    ['POST', `/users/${aUser}/password`, { password: 'another long passphrase' }],
  ] as const) {
    const res = await browserCall(b, method, path, { body })
    assert.equal(res.status, 404, `${method} ${path}`)
  }
  assert.equal((await browserCall(b, 'POST', `/reviews/${p.body.request_id}/decision`, { body: { approved: true } })).status, 404)
  assert.equal((await h.server.context.store.getClearance(h.tenantA, p.body.request_id))!.status, 'pending_review')
})

test('non-admin sessions and keys cannot manage users; an admin cannot disable or demote itself', async (t) => {
  const h = await startDashboard(t)
  const adminId = await createUser(h, h.keys.admin, 'adm@example.com', 'admin')
  await createUser(h, h.keys.admin, 'rev@example.com', 'reviewer')
  const rev = await login(h.base, 'rev@example.com', undefined, h.tenantA)
  assert.equal((await browserCall(rev, 'GET', '/users')).status, 403)
  assert.equal((await browserCall(rev, 'POST', '/users', { body: { email: 'x@example.com', role: 'admin', password: 'a long enough passphrase' } })).status, 403)
  assert.equal((await call(h.base, 'GET', '/users', { key: h.keys.reviewer })).status, 403)
  const adm = await login(h.base, 'adm@example.com', undefined, h.tenantA)
  assert.equal((await browserCall(adm, 'PATCH', `/users/${adminId}`, { body: { role: 'viewer' } })).status, 400)
  assert.equal((await browserCall(adm, 'PATCH', `/users/${adminId}`, { body: { disabled: true } })).status, 400)
  const dup = await browserCall(adm, 'POST', '/users', { body: { email: 'REV@example.com', role: 'viewer', password: 'a long enough passphrase' } })
  assert.equal(dup.status, 409)
  assert.equal(dup.body.code, 'user_exists')
})

test('a role change ends the user\'s sessions; the next login has the new role', async (t) => {
  const h = await startDashboard(t)
  const id = await createUser(h, h.keys.admin, 'rev@example.com', 'reviewer')
  const rev = await login(h.base, 'rev@example.com', undefined, h.tenantA)
  const patched = await call(h.base, 'PATCH', `/users/${id}`, { key: h.keys.admin, body: { role: 'viewer' } })
  assert.equal(patched.status, 200, patched.text)
  assert.equal(patched.body.sessions_revoked, true)
  assert.equal((await browserCall(rev, 'GET', '/reviews')).status, 401)
  const again = await login(h.base, 'rev@example.com', undefined, h.tenantA)
  assert.equal(again.res.body.user.role, 'viewer')
})
