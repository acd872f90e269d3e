// CSRF on cookie-authenticated state changes (docs/design/dashboard.md §1): Fetch Metadata or Origin,
// then X-Ledgix-CSRF bound to the session. API-key requests skip CSRF and ignore cookies entirely.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { call } from '../vault/helpers.ts'
import { browserCall, login, createUser, setupAdmin, startDashboard } from './helpers.ts'
import type { Browser } from './helpers.ts'

const THRESHOLD = { minimum_confidence_score: 0.6 }

test('cookie-authenticated PUT without the right origin or token → 403 csrf_rejected; nothing changes', async (t) => {
  const h = await startDashboard(t)
  await createUser(h, h.keys.admin, 'adm@example.com', 'admin')
  const b = await login(h.base, 'adm@example.com', undefined, h.tenantA)
  assert.equal(b.res.status, 200, b.res.text)
  const other = await login(h.base, 'adm@example.com', undefined, h.tenantA)
  const cookie = b.cookie!
  const cases: Array<[string, Record<string, string>]> = [
    ['no CSRF header', { origin: h.base, 'sec-fetch-site': 'same-origin' }],
    ['wrong CSRF token', { origin: h.base, 'sec-fetch-site': 'same-origin', 'x-ledgix-csrf': 'A'.repeat(43) }],
    ["another session's token", { origin: h.base, 'sec-fetch-site': 'same-origin', 'x-ledgix-csrf': other.csrf! }],
    ['Sec-Fetch-Site cross-site', { origin: 'http://evil.test', 'sec-fetch-site': 'cross-site', 'x-ledgix-csrf': b.csrf! }],
    ['Sec-Fetch-Site same-site (other port, same host)', { origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site', 'x-ledgix-csrf': b.csrf! }],
    ['Sec-Fetch-Site none', { 'sec-fetch-site': 'none', 'x-ledgix-csrf': b.csrf! }],
    ['foreign Origin, no Fetch Metadata', { origin: 'http://evil.test', 'x-ledgix-csrf': b.csrf! }],
    ['no Origin, no Fetch Metadata', { 'x-ledgix-csrf': b.csrf! }],
  ]
  for (const [name, headers] of cases) {
    const res = await call(h.base, 'PUT', '/review-settings', { body: THRESHOLD, headers: { ...headers, cookie } })
    assert.equal(res.status, 403, name)
    assert.equal(res.body.code, 'csrf_rejected', name)
  }
  assert.notEqual((await call(h.base, 'GET', '/review-settings', { key: h.keys.admin })).body.minimum_confidence_score, 0.6)
  // The same request as the page sends it passes; so does Origin alone (a browser without Fetch Metadata).
  assert.equal((await browserCall(b, 'PUT', '/review-settings', { body: THRESHOLD })).status, 200)
  const originOnly = await call(h.base, 'PUT', '/review-settings', { body: THRESHOLD, headers: { origin: h.base, 'x-ledgix-csrf': b.csrf!, cookie } })
  assert.equal(originOnly.status, 200, originOnly.text)
  // Reads need no token.
  assert.equal((await call(h.base, 'GET', '/review-settings', { headers: { cookie } })).status, 200)
})

test('/ui/api state changes (logout, revoke-others, password) need the CSRF token too', async (t) => {
  const h = await startDashboard(t)
  const admin = await setupAdmin(h)
  const noToken: Browser = { ...admin, csrf: null }
  for (const path of ['/ui/api/logout', '/ui/api/sessions/revoke-others']) {
    const res = await browserCall(noToken, 'POST', path)
    assert.equal(res.status, 403, path)
    assert.equal(res.body.code, 'csrf_rejected', path)
  }
  const pw = await browserCall(noToken, 'POST', '/ui/api/password', { body: { current_password: 'x', new_password: 'y' } })
  assert.equal(pw.body.code, 'csrf_rejected')
  assert.equal((await browserCall(admin, 'GET', '/ui/api/session')).body.user.email, 'root@example.com', 'still logged in')
})

test('an API key wins: cookies are ignored (identity, CSRF and invalid sessions alike)', async (t) => {
  const h = await startDashboard(t)
  await createUser(h, h.keys.admin, 'adm@example.com', 'admin')
  const b = await login(h.base, 'adm@example.com', undefined, h.tenantA)
  // An agent key with an admin's cookie is an agent: admin-only change refused.
  const asAgent = await call(h.base, 'PUT', '/review-settings', { key: h.keys.agent, body: THRESHOLD, headers: { cookie: b.cookie! } })
  assert.equal(asAgent.status, 403)
  assert.equal(asAgent.body.code, 'forbidden')
  // An admin key from a cross-site context with a dead cookie: no CSRF, no session check.
  const cross = await call(h.base, 'PUT', '/review-settings', {
    key: h.keys.admin,
    body: THRESHOLD,
    headers: { cookie: 'ledgix_session=' + 'B'.repeat(43), origin: 'http://evil.test', 'sec-fetch-site': 'cross-site' },
  })
  assert.equal(cross.status, 200, cross.text)
  // Tenant B's key with tenant A's session cookie sees tenant B.
  const reviews = await call(h.base, 'GET', '/users', { key: h.keys.bAdmin, headers: { cookie: b.cookie! } })
  assert.deepEqual(reviews.body.users, [])
  // The fast path (API key, JSON) serves clearance requests that carry a cookie as before.
  const handled = h.server.app.vaultFastPath.handled
  const clear = await call(h.base, 'POST', '/request-clearance', {
    key: h.keys.agent,
    body: { tool_name: 't', tool_args: {}, agent_id: 'a' },
    headers: { cookie: b.cookie! },
  })
  assert.equal(clear.status, 200, clear.text)
  assert.equal(h.server.app.vaultFastPath.handled, handled + 1)
})

test('no API key and no cookie → 401 api_key_missing as before; a dead cookie → 401 session_invalid', async (t) => {
  const h = await startDashboard(t)
  const none = await call(h.base, 'GET', '/reviews')
  assert.equal(none.status, 401)
  assert.equal(none.body.code, 'api_key_missing')
  const dead = await call(h.base, 'GET', '/reviews', { headers: { cookie: 'ledgix_session=' + 'C'.repeat(43) } })
  assert.equal(dead.status, 401)
  assert.equal(dead.body.code, 'session_invalid')
  const garbage = await call(h.base, 'POST', '/request-clearance', { body: { tool_name: 't', tool_args: {}, agent_id: 'a' }, headers: { cookie: 'ledgix_session=x;;=;' } })
  assert.equal(garbage.status, 401)
  assert.equal(garbage.body.code, 'session_invalid')
})
