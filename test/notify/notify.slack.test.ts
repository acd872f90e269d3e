// Issue 17, the Slack incoming-webhook channel against a real receiver: Block Kit with tool and agent,
// amount-like arguments highlighted, the full arguments in a code block, reason, expiry and the
// Approve/Deny buttons while the review is pending; the decision message names who and how.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { call } from '../vault/helpers.ts'
import { startReceiver } from './receiver.ts'
import { requestReview, startNotifyHarness } from './setup.ts'

function mrkdwnOf(blocks: any[]): string {
  return JSON.stringify(blocks)
}

test('review created → Block Kit message with highlights, full args, reason, expiry and buttons; decided → no buttons, who and how', async (t) => {
  const h = await startNotifyHarness(t, { publicUrl: 'https://vault.example.com' }, { config: { reviewExpiryMs: 3_600_000 } })
  const rx = await startReceiver(t)
  const put = await call(h.base, 'PUT', '/notification-settings', { key: h.keys.admin, body: { slack_enabled: true, slack_webhook_url: `${rx.url}/services/T/B/x` } })
  assert.equal(put.status, 200)
  const args = { amount: 2500, currency: 'USD', customer: 'cus_<script>' }
  const requestId = await requestReview(h, args)
  const [msg] = await rx.waitFor(1)
  const m = msg!.json
  assert.equal(m.text, 'Review needed: create_stripe_payment by agent billing-bot')
  assert.equal(m.blocks[0].type, 'header')
  const fields = m.blocks[1].fields.map((f: any) => f.text)
  assert.ok(fields.includes('*Tool*\n`create_stripe_payment`'))
  assert.ok(fields.includes('*Agent*\n`billing-bot`'))
  assert.ok(fields.includes('*amount*\n*2500*'), 'amount highlighted')
  assert.ok(fields.includes('*currency*\n*USD*'))
  const code = m.blocks.find((b: any) => b.type === 'section' && b.text?.text.startsWith('```'))
  assert.equal(code.text.text, '```' + JSON.stringify(args, null, 2).replace('<', '&lt;').replace('>', '&gt;') + '```', 'full args, escaped')
  const all = mrkdwnOf(m.blocks)
  assert.ok(all.includes('*Reason*'))
  assert.match(all, /expires \d{4}-\d{2}-\d{2}T/)
  const actions = m.blocks.find((b: any) => b.type === 'actions')
  assert.deepEqual(actions.elements.map((e: any) => e.action_id), ['ledgix_approve', 'ledgix_deny', 'ledgix_open'])
  assert.deepEqual(JSON.parse(actions.elements[0].value), { t: h.tenantA, r: requestId })
  assert.equal(actions.elements[2].url, `https://vault.example.com/reviews/${requestId}`)

  await call(h.base, 'POST', `/reviews/${requestId}/decision`, { key: h.keys.reviewer, body: { approved: false, reviewer_email: 'op@example.com' } })
  const [, decided] = await rx.waitFor(2)
  assert.equal(decided!.json.text, 'Review denied: create_stripe_payment by agent billing-bot')
  assert.ok(!decided!.json.blocks.some((b: any) => b.type === 'actions' && b.elements.some((e: any) => e.action_id === 'ledgix_approve')), 'no buttons once decided')
  assert.match(mrkdwnOf(decided!.json.blocks), /decided by op@example.com via api/)
})
