// Login, logout, cookies on both transports, idle and absolute expiry (injected clock), sign out
// others, admin revocation, session fixation, password change, throttling and the one generic error.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/core/index.ts'
import { call } from '../vault/helpers.ts'
import { GOOD_PASSWORD, browserCall, cookiePairOf, createUser, login, setCookieOf, setupAdmin, startDashboard } from './helpers.ts'

test('login over plain HTTP on loopback → ledgix_session HttpOnly SameSite=Strict, no Secure; logout deletes the session', async (t) => {
  const h = await startDashboard(t)
  await setupAdmin(h)
  const b = await login(h.base, 'root@example.com')
  assert.equal(b.res.status, 200, b.res.text)
  const [cookie] = setCookieOf(b.res)
  assert.match(cookie!, /^ledgix_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/)
  assert.doesNotMatch(cookie!, /Secure|Domain/i)
  assert.equal(b.res.body.user.email, 'root@example.com')
  assert.equal(typeof b.res.body.csrf_token, 'string')
  assert.equal((await browserCall(b, 'GET', '/ui/api/session')).body.user.email, 'root@example.com')
  const out = await browserCall(b, 'POST', '/ui/api/logout')
  assert.equal(out.status, 204)
  assert.match(setCookieOf(out)[0]!, /^ledgix_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/)
  const after = await browserCall(b, 'GET', '/ui/api/session')
  assert.equal(after.body.user, null)
  const customer = await browserCall(b, 'GET', '/reviews')
  assert.equal(customer.status, 401)
  assert.equal(customer.body.code, 'session_invalid')
})

test('HTTPS behind a trusted proxy → __Host-ledgix_session with Secure; the plain name is then ignored', async (t) => {
  const h = await startDashboard(t, { config: { dashboard: { sessionIdleMs: 1_800_000, sessionAbsoluteMs: 43_200_000, allowInsecureHttp: false, trustProxy: true } } })
  await setupAdmin(h)
  const https = { host: 'vault.example.com', origin: 'https://vault.example.com', 'sec-fetch-site': 'same-origin', 'x-forwarded-proto': 'https' }
  const res = await call(h.base, 'POST', '/ui/api/login', { body: { email: 'root@example.com', password: GOOD_PASSWORD }, headers: https })
  assert.equal(res.status, 200, res.text)
  const [cookie] = setCookieOf(res)
  assert.match(cookie!, /^__Host-ledgix_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; Secure; SameSite=Strict$/)
  const token = cookiePairOf(res)!.split('=')[1]!
  const ok = await call(h.base, 'GET', '/ui/api/session', { headers: { ...https, cookie: `__Host-ledgix_session=${token}` } })
  assert.equal(ok.body.user.email, 'root@example.com')
  const plainName = await call(h.base, 'GET', '/ui/api/session', { headers: { ...https, cookie: `ledgix_session=${token}` } })
  assert.equal(plainName.body.user, null)
})

test('X-Forwarded-Proto is ignored without trust_proxy: a non-loopback host stays plain HTTP → 403 insecure_transport', async (t) => {
  const h = await startDashboard(t)
  await setupAdmin(h)
  const res = await call(h.base, 'POST', '/ui/api/login', {
    body: { email: 'root@example.com', password: GOOD_PASSWORD },
    headers: { host: 'vault.example.com', origin: 'https://vault.example.com', 'sec-fetch-site': 'same-origin', 'x-forwarded-proto': 'https' },
  })
  assert.equal(res.status, 403)
  assert.equal(res.body.code, 'insecure_transport')
  assert.deepEqual(setCookieOf(res), [])
})

test('allow_insecure_http: plain HTTP on a non-loopback host gets the plain cookie (no Secure)', async (t) => {
  const h = await startDashboard(t, { config: { dashboard: { sessionIdleMs: 1_800_000, sessionAbsoluteMs: 43_200_000, allowInsecureHttp: true, trustProxy: false } } })
  await setupAdmin(h)
  const res = await call(h.base, 'POST', '/ui/api/login', {
    body: { email: 'root@example.com', password: GOOD_PASSWORD },
    headers: { host: 'lab.internal:8000', origin: 'http://lab.internal:8000', 'sec-fetch-site': 'same-origin' },
  })
  assert.equal(res.status, 200, res.text)
  assert.match(setCookieOf(res)[0]!, /^ledgix_session=.*; HttpOnly; SameSite=Strict$/)
})

test('unknown user and wrong password → the same 401 login_failed body; a disabled user too', async (t) => {
  const h = await startDashboard(t)
  const admin = await setupAdmin(h)
  const unknown = await login(h.base, 'nobody@example.com')
  const wrong = await login(h.base, 'root@example.com', 'not the right password at all')
  assert.equal(unknown.res.status, 401)
  assert.equal(wrong.res.status, 401)
  const strip = (b: Record<string, unknown>): Record<string, unknown> => ({ ...b, request_id: null })
  assert.deepEqual(strip(unknown.res.body), strip(wrong.res.body))
  assert.equal(unknown.res.body.code, 'login_failed')
  assert.deepEqual(setCookieOf(unknown.res), [])
  const id = await createUser(h, h.keys.admin, 'x@example.com', 'reviewer')
  void id
  // disabled: a default-tenant user disabled by the admin session
  const users = await browserCall(admin, 'POST', '/users', { body: { email: 'dis@example.com', role: 'viewer', password: GOOD_PASSWORD } })
  assert.equal(users.status, 201, users.text)
  const patched = await browserCall(admin, 'PATCH', `/users/${users.body.user.user_id}`, { body: { disabled: true } })
  assert.equal(patched.status, 200, patched.text)
  const disabled = await login(h.base, 'dis@example.com')
  assert.deepEqual(strip(disabled.res.body), strip(wrong.res.body))
})

test('idle timeout (30 min) and absolute timeout (12 h) with an injected clock', async (t) => {
  const clock = new ManualClock(Date.now())
  const h = await startDashboard(t, { clock })
  await setupAdmin(h)
  const b = await login(h.base, 'root@example.com')
  clock.advance(29 * 60_000)
  assert.equal((await browserCall(b, 'GET', '/reviews')).status, 200)
  clock.advance(29 * 60_000) // 58 min since login, 29 since last use
  assert.equal((await browserCall(b, 'GET', '/reviews')).status, 200)
  clock.advance(31 * 60_000)
  const idle = await browserCall(b, 'GET', '/reviews')
  assert.equal(idle.status, 401)
  assert.equal(idle.body.code, 'session_invalid')
  const store = h.server.context.store
  const userId = (await store.listDashboardUsers('default' as never))[0]!.userId
  assert.equal((await store.listDashboardSessions('default' as never, userId)).length, 1, "the expired row is gone; setup's unused one waits for the next login")

  const c = await login(h.base, 'root@example.com')
  assert.equal((await store.listDashboardSessions('default' as never, userId)).length, 1, 'a login prunes every expired row')
  assert.equal((await browserCall(c, 'GET', '/ui/api/sessions')).body.sessions.length, 1)
  for (let i = 0; i < 24; i++) {
    clock.advance(29 * 60_000)
    assert.equal((await browserCall(c, 'GET', '/reviews')).status, 200, `step ${i}`)
  }
  clock.advance(29 * 60_000) // 12 h 5 min after login, used every 29 min
  const old = await browserCall(c, 'GET', '/reviews')
  assert.equal(old.status, 401)
  assert.equal(old.body.code, 'session_invalid')
})

test('session fixation: a cookie planted before login is not the one after, and it stops working', async (t) => {
  const h = await startDashboard(t)
  await setupAdmin(h)
  const planted = await login(h.base, 'root@example.com')
  const b = { base: h.base, cookie: planted.cookie, csrf: null }
  const res = await browserCall(b, 'POST', '/ui/api/login', { body: { email: 'root@example.com', password: GOOD_PASSWORD } })
  assert.equal(res.status, 200)
  assert.notEqual(cookiePairOf(res), planted.cookie)
  assert.equal((await browserCall(planted, 'GET', '/ui/api/session')).body.user, null)
  const forged = { base: h.base, cookie: 'ledgix_session=' + 'A'.repeat(43), csrf: null }
  const res2 = await browserCall(forged, 'POST', '/ui/api/login', { body: { email: 'root@example.com', password: GOOD_PASSWORD } })
  assert.notEqual(cookiePairOf(res2), forged.cookie)
})

test('sign out others keeps this session; admin revokes every session of a user', async (t) => {
  const h = await startDashboard(t)
  const admin = await setupAdmin(h)
  await browserCall(admin, 'POST', '/users', { body: { email: 'rev@example.com', role: 'reviewer', password: GOOD_PASSWORD } })
  const one = await login(h.base, 'rev@example.com')
  const two = await login(h.base, 'rev@example.com')
  const three = await login(h.base, 'rev@example.com')
  const list = await browserCall(one, 'GET', '/ui/api/sessions')
  assert.equal(list.body.sessions.length, 3)
  assert.equal(list.body.sessions.filter((s: { current: boolean }) => s.current).length, 1)
  const revoked = await browserCall(one, 'POST', '/ui/api/sessions/revoke-others')
  assert.equal(revoked.status, 200, revoked.text)
  assert.equal(revoked.body.revoked, 2)
  assert.equal((await browserCall(one, 'GET', '/reviews')).status, 200)
  assert.equal((await browserCall(two, 'GET', '/reviews')).status, 401)
  assert.equal((await browserCall(three, 'GET', '/reviews')).status, 401)

  const users = await browserCall(admin, 'GET', '/users')
  const rev = users.body.users.find((u: { email: string }) => u.email === 'rev@example.com')
  const out = await browserCall(admin, 'POST', `/users/${rev.user_id}/revoke-sessions`)
  assert.equal(out.status, 200, out.text)
  assert.equal(out.body.revoked, 1)
  assert.equal((await browserCall(one, 'GET', '/reviews')).status, 401)
  assert.equal((await browserCall(admin, 'GET', '/reviews')).status, 200)
})

test('password change: wrong current → 403; new token issued, every older session ends; the new password logs in', async (t) => {
  const h = await startDashboard(t)
  const admin = await setupAdmin(h)
  const other = await login(h.base, 'root@example.com')
  const bad = await browserCall(admin, 'POST', '/ui/api/password', { body: { current_password: 'wrong wrong wrong', new_password: 'a brand new passphrase 7' } })
  assert.equal(bad.status, 403)
  const ok = await browserCall(admin, 'POST', '/ui/api/password', { body: { current_password: GOOD_PASSWORD, new_password: 'a brand new passphrase 7' } })
  assert.equal(ok.status, 200, ok.text)
  const next = { base: h.base, cookie: cookiePairOf(ok), csrf: ok.body.csrf_token }
  assert.notEqual(next.cookie, admin.cookie)
  assert.equal((await browserCall(admin, 'GET', '/reviews')).status, 401)
  assert.equal((await browserCall(other, 'GET', '/reviews')).status, 401)
  assert.equal((await browserCall(next, 'GET', '/reviews')).status, 200)
  assert.equal((await login(h.base, 'root@example.com')).res.status, 401)
  assert.equal((await login(h.base, 'root@example.com', 'a brand new passphrase 7')).res.status, 200)
})

test('login throttles: 5 failures per account / 15 min and 10 attempts per IP / 5 min → 429 rate_limited + Retry-After', async (t) => {
  const clock = new ManualClock(Date.now())
  const h = await startDashboard(t, { clock })
  await setupAdmin(h)
  for (let i = 0; i < 5; i++) assert.equal((await login(h.base, 'root@example.com', 'wrong password number ' + i)).res.status, 401)
  const locked = await login(h.base, 'root@example.com')
  assert.equal(locked.res.status, 429)
  assert.equal(locked.res.body.code, 'rate_limited')
  assert.equal(locked.res.headers['retry-after'], '900')
  clock.advance(15 * 60_000)
  // The IP window (5 min) has passed too; the account's failures have aged out.
  assert.equal((await login(h.base, 'root@example.com')).res.status, 200)

  clock.advance(5 * 60_000)
  for (let i = 0; i < 10; i++) {
    const r = await login(h.base, `user${i}@example.com`)
    assert.equal(r.res.status, 401, `attempt ${i}`)
  }
  const ipLimited = await login(h.base, 'root@example.com')
  assert.equal(ipLimited.res.status, 429)
  assert.equal(ipLimited.res.headers['retry-after'], '300')
  clock.advance(60_000)
  assert.equal((await login(h.base, 'root@example.com')).res.headers['retry-after'], '240')
})

test('more concurrent password hashes than the limit → 503 overloaded with Retry-After, never queued', async (t) => {
  const h = await startDashboard(t, { dashboardAuth: { scrypt: { ln: 14, r: 8, p: 1 }, maxConcurrentHashes: 1 } })
  await setupAdmin(h)
  const answers = await Promise.all(Array.from({ length: 6 }, () => login(h.base, 'root@example.com')))
  const statuses = answers.map((a) => a.res.status)
  assert.ok(statuses.includes(200), JSON.stringify(statuses))
  const overloaded = answers.filter((a) => a.res.status === 503)
  assert.ok(overloaded.length >= 1, JSON.stringify(statuses))
  for (const a of overloaded) {
    assert.equal(a.res.body.code, 'overloaded')
    assert.equal(a.res.headers['retry-after'], '1')
  }
})

test('behind a trusted proxy the per-IP login limit counts the X-Forwarded-For client; without trust it is the peer', async (t) => {
  const trusting = await startDashboard(t, { config: { dashboard: { sessionIdleMs: 1_800_000, sessionAbsoluteMs: 43_200_000, allowInsecureHttp: false, trustProxy: true } } })
  let n = 0
  // A new account every time: only the per-IP limit can answer 429 here.
  const attempt = (base: string, xff: string): ReturnType<typeof call> =>
    call(base, 'POST', '/ui/api/login', { body: { email: `nobody${n++}@example.com`, password: 'wrong password here' }, headers: { origin: base, 'x-forwarded-for': xff } })
  for (let i = 0; i < 10; i++) assert.equal((await attempt(trusting.base, '203.0.113.7')).status, 401)
  assert.equal((await attempt(trusting.base, '203.0.113.7')).status, 429)
  assert.equal((await attempt(trusting.base, '203.0.113.8, 10.0.0.1')).status, 401, 'another client behind the same proxy')

  const plain = await startDashboard(t)
  for (let i = 0; i < 10; i++) assert.equal((await attempt(plain.base, `198.51.100.${i}`)).status, 401)
  assert.equal((await attempt(plain.base, '198.51.100.99')).status, 429, 'a spoofed X-Forwarded-For does not reset the peer limit')
})
