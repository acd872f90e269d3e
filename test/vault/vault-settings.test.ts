// Tenant settings: review threshold (score or the newer bucket, spec §12) and its effect on judged
// decisions, validated notification settings, drift settings, and lockdown records of who and why.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { call, startHarness } from './helpers.ts'

test('review settings: defaults, PUT by score or bucket, [0,1] enforced, admin only, per tenant', async (t) => {
  const h = await startHarness(t)
  const initial = await call(h.base, 'GET', '/review-settings', { key: h.keys.agent })
  assert.deepEqual(initial.body, { minimum_confidence_score: 0.75, minimum_confidence_bucket: 'high' })
  const byScore = await call(h.base, 'PUT', '/review-settings', { key: h.keys.admin, body: { minimum_confidence_score: 0.9 } })
  assert.deepEqual(byScore.body, { minimum_confidence_score: 0.9, minimum_confidence_bucket: 'extra_high' })
  const byBucket = await call(h.base, 'PUT', '/review-settings', { key: h.keys.admin, body: { minimum_confidence_bucket: 'medium' } })
  assert.deepEqual(byBucket.body, { minimum_confidence_score: 0.5, minimum_confidence_bucket: 'medium' })
  assert.equal((await call(h.base, 'PUT', '/review-settings', { key: h.keys.admin, body: { minimum_confidence_score: 1.5 } })).status, 400)
  assert.equal((await call(h.base, 'PUT', '/review-settings', { key: h.keys.admin, body: { minimum_confidence_bucket: 'huge' } })).status, 400)
  assert.equal((await call(h.base, 'PUT', '/review-settings', { key: h.keys.admin, body: {} })).status, 400)
  assert.equal((await call(h.base, 'PUT', '/review-settings', { key: h.keys.agent, body: { minimum_confidence_score: 0 } })).status, 403)
  const other = await call(h.base, 'GET', '/review-settings', { key: h.keys.bAgent })
  assert.equal(other.body.minimum_confidence_score, 0.75, 'tenant B untouched')
  const clearance = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 'ping' } })
  assert.equal(clearance.body.minimum_confidence_score, 0.5)
  assert.equal(clearance.body.minimum_confidence_bucket, 'medium')
})

test('notification settings: emails and https webhooks validated, partial updates merge', async (t) => {
  const h = await startHarness(t)
  const put = await call(h.base, 'PUT', '/notification-settings', {
    key: h.keys.admin,
    body: { email_enabled: true, email_recipients: 'ops@example.com, security@example.com', slack_enabled: true, slack_webhook_url: 'https://hooks.slack.com/services/T/B/x' },
  })
  assert.equal(put.status, 200)
  assert.equal(put.body.email_recipients, 'ops@example.com,security@example.com')
  const got = await call(h.base, 'GET', '/notification-settings', { key: h.keys.agent })
  assert.deepEqual(got.body, put.body)
  const badEmail = await call(h.base, 'PUT', '/notification-settings', { key: h.keys.admin, body: { email_recipients: ['ok@example.com', 'nope'] } })
  assert.equal(badEmail.status, 400)
  assert.match(badEmail.body.detail, /email_recipients\[1\]/)
  const http = await call(h.base, 'PUT', '/notification-settings', { key: h.keys.admin, body: { webhook_url: 'http://example.com/hook' } })
  assert.equal(http.status, 400)
  assert.match(http.body.detail, /https/)
  const partial = await call(h.base, 'PUT', '/notification-settings', { key: h.keys.admin, body: { slack_enabled: false } })
  assert.equal(partial.body.email_enabled, true)
})

test('drift settings and lockdown: recorded with who and why; agents may lock but not release', async (t) => {
  const h = await startHarness(t)
  // The older fields stay accepted (issue 19 replaced them with mode and thresholds): threshold 0.6 is the alert band 60.
  const drift = await call(h.base, 'PUT', '/drift/settings', { key: h.keys.admin, body: { enabled: true, threshold: 0.6 } })
  assert.equal(drift.body.enabled, true)
  assert.equal(drift.body.mode, 'observe')
  assert.equal(drift.body.thresholds.alert, 60)
  assert.deepEqual((await call(h.base, 'GET', '/drift/settings', { key: h.keys.agent })).body, drift.body)
  const lock = await call(h.base, 'POST', '/drift/agents/bot-7/lockdown', { key: h.keys.agent, body: { reason: 'self-report', actor: 'alice@example.com' } })
  assert.equal(lock.status, 200)
  assert.equal(lock.body.locked, true)
  assert.equal(lock.body.actor, 'alice@example.com (agent:agent)')
  const noBody = await call(h.base, 'POST', '/drift/agents/bot-8/lockdown', { key: h.keys.admin })
  assert.equal(noBody.status, 200, 'the lockdown body is optional')
  const agentRelease = await call(h.base, 'DELETE', '/drift/agents/bot-7/lockdown', { key: h.keys.agent })
  assert.equal(agentRelease.status, 403)
  const release = await call(h.base, 'DELETE', '/drift/agents/bot-7/lockdown', { key: h.keys.reviewer, body: { reason: 'reviewed' } })
  assert.equal(release.body.locked, false)
  const history = await h.server.context.store.listAgentLockEvents(h.tenantA, 'bot-7')
  assert.deepEqual(history.map((e) => [e.locked, e.actor, e.reason]), [
    [true, 'alice@example.com (agent:agent)', 'self-report'],
    [false, 'reviewer:reviewer', 'reviewed'],
  ])
  assert.equal(await h.server.context.store.getAgentLock(h.tenantB, 'bot-8'), null, 'locks are per tenant')
})
