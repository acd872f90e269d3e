// Issue 17, approvals from Slack: a signed click by an allow-listed user decides the review through
// the same code as the API (recorded as slack:<user>, channel "slack" in the decision event) and the
// original message is replaced; non-reviewers are told they may not decide; two Slack approvals
// racing an API decision: exactly one wins, the others are told it was already decided.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { call } from '../vault/helpers.ts'
import { startReceiver } from './receiver.ts'
import { SIGNING_SECRET, clickBody, postSlack } from './slack-client.ts'
import { putChannels, requestReview, startNotifyHarness, webhookChannel } from './setup.ts'

async function slackHarness(t: { after(fn: () => unknown): void }) {
  const h = await startNotifyHarness(t)
  const hook = await startReceiver(t)
  const slackResponses = await startReceiver(t)
  await putChannels(h, [webhookChannel(hook.url, { events: ['review.decided'] })], {
    slack_app: { enabled: true, signing_secret: SIGNING_SECRET, reviewers: ['U_ALICE', 'U_BOB'] },
  })
  return { h, hook, slackResponses }
}

test('a signed Approve from an allow-listed user decides once, recorded as slack:<user>; the message is replaced', async (t) => {
  const { h, hook, slackResponses } = await slackHarness(t)
  const requestId = await requestReview(h)
  const res = await postSlack(h.base, clickBody({ tenant: h.tenantA, requestId, approve: true, userId: 'U_ALICE', responseUrl: `${slackResponses.url}/actions/1` }))
  assert.equal(res.status, 200)
  assert.equal(res.json.replace_original, true)
  assert.match(res.json.text, /Approved by <@U_ALICE> via Slack/)
  assert.ok(!res.json.blocks.some((b: any) => b.type === 'actions'), 'buttons removed')
  const [update] = await slackResponses.waitFor(1)
  assert.equal(update!.path, '/actions/1')
  assert.equal(update!.json.replace_original, true)
  const status = await call(h.base, 'GET', `/clearance-status/${requestId}`, { key: h.keys.agent })
  assert.equal(status.body.status, 'approved')
  assert.ok(typeof status.body.token === 'string' && status.body.token.length > 0, 'approval minted the token as the API path does')
  const [decided] = await hook.waitFor(1)
  assert.equal(decided!.json.type, 'review.decided')
  assert.equal(decided!.json.review.decision.decided_by, 'slack:U_ALICE')
  assert.equal(decided!.json.review.decision.channel, 'slack')
})

test('a user not on the allow-list is told so; nothing is decided', async (t) => {
  const { h, slackResponses } = await slackHarness(t)
  const requestId = await requestReview(h)
  const res = await postSlack(h.base, clickBody({ tenant: h.tenantA, requestId, approve: true, userId: 'U_MALLORY', responseUrl: slackResponses.url }))
  assert.equal(res.status, 200)
  assert.equal(res.json.response_type, 'ephemeral')
  assert.match(res.json.text, /not on the reviewer list/)
  const status = await call(h.base, 'GET', `/clearance-status/${requestId}`, { key: h.keys.agent })
  assert.equal(status.body.status, 'pending_review')
})

test('two Slack approvals racing an API denial: exactly one wins, the others are told it was already decided', async (t) => {
  const { h, slackResponses } = await slackHarness(t)
  for (let round = 0; round < 5; round++) {
    const requestId = await requestReview(h)
    const now = Math.floor(Date.now() / 1000)
    const [a, b, api] = await Promise.all([
      postSlack(h.base, clickBody({ tenant: h.tenantA, requestId, approve: true, userId: 'U_ALICE', responseUrl: slackResponses.url }), { timestamp: now }),
      postSlack(h.base, clickBody({ tenant: h.tenantA, requestId, approve: true, userId: 'U_BOB', responseUrl: slackResponses.url }), { timestamp: now }),
      call(h.base, 'POST', `/reviews/${requestId}/decision`, { key: h.keys.reviewer, body: { approved: false, reviewer_email: 'op@example.com' } }),
    ])
    const slackWins = [a, b].filter((r) => r.json.replace_original === true && /via Slack/.test(r.json.text)).length
    const apiWins = api.status === 200 ? 1 : 0
    assert.equal(slackWins + apiWins, 1, `round ${round}: exactly one decision wins`)
    for (const r of [a, b]) {
      assert.equal(r.status, 200)
      if (!(r.json.replace_original === true)) assert.match(r.json.text, /already decided/)
    }
    if (apiWins === 0) assert.equal(api.status, 409)
    const final = await call(h.base, 'GET', `/clearance-status/${requestId}`, { key: h.keys.agent })
    assert.equal(final.body.status, apiWins === 1 ? 'denied' : 'approved')
    await new Promise((resolve) => setTimeout(resolve, 150))
    const rows = await h.server.context.store.listOutbox(h.tenantA, null, 500)
    assert.equal(rows.filter((r) => r.eventType === 'review.decided' && JSON.parse(r.payloadJson).review.request_id === requestId).length, 1, 'one decision event')
  }
})
