// First-admin setup: a one-time token (logged once, data_dir/setup-token mode 0600), exactly one
// setup even under concurrency (the store's bootstrap row decides), 409 setup_done afterwards.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { call } from '../vault/helpers.ts'
import { GOOD_PASSWORD, browserCall, cookiePairOf, startDashboard } from './helpers.ts'

test('anonymous GET /ui/api/session → user null, setup_required true, server time; token file is mode 0600', async (t) => {
  const h = await startDashboard(t)
  const res = await call(h.base, 'GET', '/ui/api/session')
  assert.equal(res.status, 200)
  assert.equal(res.body.user, null)
  assert.equal(res.body.csrf_token, null)
  assert.equal(res.body.setup_required, true)
  assert.ok(Math.abs(Date.parse(res.body.server_time) - Date.now()) < 60_000)
  assert.equal(res.headers['cache-control'], 'no-store')
  assert.equal(statSync(join(h.dataDir, 'setup-token')).mode & 0o777, 0o600)
  assert.match(h.setupToken, /^[A-Za-z0-9_-]{32}$/)
})

test('setup creates the admin, logs in, removes the token file; a second setup → 409 setup_done', async (t) => {
  const h = await startDashboard(t)
  const b = { base: h.base, cookie: null, csrf: null }
  const res = await browserCall(b, 'POST', '/ui/api/setup', { body: { setup_token: h.setupToken, email: 'Root@Example.com', password: GOOD_PASSWORD } })
  assert.equal(res.status, 201, res.text)
  assert.deepEqual(Object.keys(res.body.user).sort(), ['email', 'role', 'tenant_id', 'user_id'])
  assert.equal(res.body.user.email, 'root@example.com')
  assert.equal(res.body.user.role, 'admin')
  assert.equal(res.body.user.tenant_id, 'default')
  assert.equal(existsSync(join(h.dataDir, 'setup-token')), false)
  const cookie = cookiePairOf(res)!
  const me = await call(h.base, 'GET', '/ui/api/session', { headers: { cookie } })
  assert.equal(me.body.user.email, 'root@example.com')
  assert.equal(me.body.csrf_token, res.body.csrf_token)
  assert.equal(me.body.setup_required, false)
  const again = await browserCall(b, 'POST', '/ui/api/setup', { body: { setup_token: h.setupToken, email: 'other@example.com', password: GOOD_PASSWORD } })
  assert.equal(again.status, 409)
  assert.equal(again.body.code, 'setup_done')
  const anon = await call(h.base, 'GET', '/ui/api/session')
  assert.equal(anon.body.setup_required, false)
})

test('setup with a wrong token → 401 setup_token_invalid; weak password → 400 password_rejected; nothing created', async (t) => {
  const h = await startDashboard(t)
  const b = { base: h.base, cookie: null, csrf: null }
  const wrong = await browserCall(b, 'POST', '/ui/api/setup', { body: { setup_token: (h.setupToken.startsWith('x') ? 'y' : 'x') + h.setupToken.slice(1), email: 'a@example.com', password: GOOD_PASSWORD } })
  assert.equal(wrong.status, 401)
  assert.equal(wrong.body.code, 'setup_token_invalid')
  for (const password of ['short', 'password1234', 'Password1234!', 'aaaaaaaaaaaaaaaa', 'a@example.com']) {
    const weak = await browserCall(b, 'POST', '/ui/api/setup', { body: { setup_token: h.setupToken, email: 'a@example.com', password } })
    assert.equal(weak.status, 400, password)
    assert.equal(weak.body.code, 'password_rejected', password)
  }
  assert.equal((await call(h.base, 'GET', '/ui/api/session')).body.setup_required, true)
  assert.equal(existsSync(join(h.dataDir, 'setup-token')), true)
})

test('20 concurrent setups → exactly one 201, the rest 409 setup_done; one admin exists', async (t) => {
  const h = await startDashboard(t)
  const b = { base: h.base, cookie: null, csrf: null }
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      browserCall(b, 'POST', '/ui/api/setup', { body: { setup_token: h.setupToken, email: `admin${i}@example.com`, password: GOOD_PASSWORD } }),
    ),
  )
  const statuses = answers.map((a) => a.status)
  assert.equal(statuses.filter((s) => s === 201).length, 1, JSON.stringify(statuses))
  for (const a of answers.filter((x) => x.status !== 201)) assert.equal(a.body.code, 'setup_done')
  const users = await h.server.context.store.listDashboardUsers('default' as never)
  assert.equal(users.length, 1)
})

test('setup from a foreign origin → 403 csrf_rejected; over plain HTTP on a non-loopback host → 403 insecure_transport', async (t) => {
  const h = await startDashboard(t)
  const body = { setup_token: h.setupToken, email: 'a@example.com', password: GOOD_PASSWORD }
  const cross = await call(h.base, 'POST', '/ui/api/setup', { body, headers: { origin: 'http://evil.test', 'sec-fetch-site': 'cross-site' } })
  assert.equal(cross.status, 403)
  assert.equal(cross.body.code, 'csrf_rejected')
  const remote = await call(h.base, 'POST', '/ui/api/setup', { body, headers: { host: 'vault.example.com', origin: 'http://vault.example.com', 'sec-fetch-site': 'same-origin' } })
  assert.equal(remote.status, 403)
  assert.equal(remote.body.code, 'insecure_transport')
  assert.equal((await call(h.base, 'GET', '/ui/api/session')).body.setup_required, true)
})
