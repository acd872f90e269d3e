// Forged, stale, replayed and tampered Slack actions (issue 17): every one is 401
// slack_signature_invalid and decides nothing; so is a tenant without the Slack app enabled.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { call } from '../vault/helpers.ts'
import { SIGNING_SECRET, clickBody, postSlack, slackSign } from '../notify/slack-client.ts'
import { putChannels, requestReview, startNotifyHarness } from '../notify/setup.ts'

test('forged, stale, future, missing, tampered and replayed Slack actions → 401, nothing decided', async (t) => {
  const h = await startNotifyHarness(t)
  await putChannels(h, [], { slack_app: { enabled: true, signing_secret: SIGNING_SECRET, reviewers: ['U_ALICE'] } })
  const requestId = await requestReview(h)
  const other = await requestReview(h)
  const body = clickBody({ tenant: h.tenantA, requestId, approve: true, userId: 'U_ALICE' })
  const now = Math.floor(Date.now() / 1000)
  const cases: Array<[string, Promise<{ status: number; json: any }>]> = [
    ['wrong secret', postSlack(h.base, body, {}, 'not-the-signing-secret')],
    ['stale (6 min old)', postSlack(h.base, body, { timestamp: now - 360 })],
    ['future (6 min ahead)', postSlack(h.base, body, { timestamp: now + 360 })],
    ['garbage signature', postSlack(h.base, body, { signature: 'v0=zz' })],
    ['uppercase hex (not what Slack sends)', postSlack(h.base, body, { signature: slackSign(SIGNING_SECRET, now, body).toUpperCase().replace('V0=', 'v0=') })],
    ['signature for another body', postSlack(h.base, clickBody({ tenant: h.tenantA, requestId: other, approve: true, userId: 'U_ALICE' }), { timestamp: now, signature: slackSign(SIGNING_SECRET, now, body) })],
    ['other tenant named in the value', postSlack(h.base, clickBody({ tenant: h.tenantB, requestId, approve: true, userId: 'U_ALICE' }))],
    ['not a block action', postSlack(h.base, 'payload=%7B%7D')],
  ]
  for (const [name, pending] of cases) {
    const res = await pending
    assert.equal(res.status, 401, name)
    assert.equal(res.json.code, 'slack_signature_invalid', name)
  }
  for (const id of [requestId, other]) {
    assert.equal((await call(h.base, 'GET', `/clearance-status/${id}`, { key: h.keys.agent })).body.status, 'pending_review')
  }

  // A replay of a valid click: the first decides, the exact same request again is refused.
  const ts = Math.floor(Date.now() / 1000)
  const first = await postSlack(h.base, body, { timestamp: ts })
  assert.equal(first.status, 200)
  const replay = await postSlack(h.base, body, { timestamp: ts })
  assert.equal(replay.status, 401)
  assert.match(replay.json.detail, /replayed/)
  const disabled = await call(h.base, 'PUT', '/notification-settings', { key: h.keys.admin, body: { slack_app: { enabled: false } } })
  assert.equal(disabled.status, 200)
  const off = await postSlack(h.base, clickBody({ tenant: h.tenantA, requestId: other, approve: true, userId: 'U_ALICE' }))
  assert.equal(off.status, 401, 'Slack app mode off: no click decides')
  assert.equal((await call(h.base, 'GET', `/clearance-status/${other}`, { key: h.keys.agent })).body.status, 'pending_review')
})
