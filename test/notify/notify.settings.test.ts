// Issue 17 settings: the seed's four fields keep their shape, channels sit beside them; no GET (or
// PUT answer) ever shows a secret in full; a client that PUTs back what it GOT keeps the secrets;
// with ledger.encryption_key set the stored row holds no secret in plaintext; the test endpoint
// answers per channel with the receiver's status.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { call } from '../vault/helpers.ts'
import { startReceiver, verifyLedgixSignature } from './receiver.ts'
import { WEBHOOK_SECRET, putChannels, requestReview, startNotifyHarness, webhookChannel } from './setup.ts'

const ENCRYPTION_KEY = 'a'.repeat(64)
const SIGNING = 'slack_signing_secret_0123456789'

function storedSettings(dataDir: string): string {
  const db = new Database(join(dataDir, 'vault.db'), { readonly: true })
  try {
    return (db.prepare("SELECT value FROM settings WHERE kind = 'notification'").get() as { value: string }).value
  } finally {
    db.close()
  }
}

test('secrets masked in every answer, sealed at rest under ledger.encryption_key, kept when PUT back masked', async (t) => {
  const h = await startNotifyHarness(t, {}, { config: { ledger: { sealBatchSize: 256, sealIntervalMs: 250, mmdSeconds: 30, encryptionKey: ENCRYPTION_KEY } } })
  const rx = await startReceiver(t)
  const slackUrl = `${rx.url}/services/T000/B000/XXXXXXXXXXXXSECRET`
  const put = await call(h.base, 'PUT', '/notification-settings', {
    key: h.keys.admin,
    body: {
      email_enabled: true,
      email_recipients: 'ops@example.com,security@example.com',
      slack_enabled: true,
      slack_webhook_url: slackUrl,
      channels: [webhookChannel(`${rx.url}/hook?token=querysecret123`)],
      slack_app: { enabled: true, signing_secret: SIGNING, reviewers: ['U123', 'op@example.com'] },
    },
  })
  assert.equal(put.status, 200, put.text)
  const got = await call(h.base, 'GET', '/notification-settings', { key: h.keys.agent })
  assert.deepEqual(got.body, put.body)
  for (const key of ['email_enabled', 'email_recipients', 'slack_enabled', 'slack_webhook_url'] as const) assert.ok(key in got.body, `seed field ${key}`)
  assert.equal(got.body.email_recipients, 'ops@example.com,security@example.com')
  for (const secret of [WEBHOOK_SECRET, 'XXXXXXXXXXXXSECRET', 'querysecret123', SIGNING]) {
    assert.ok(!got.text.includes(secret), `GET shows no ${secret}`)
  }
  assert.match(got.body.slack_webhook_url, /^http:\/\/127\.0\.0\.1:\d+\/\*{8}/)
  assert.match(got.body.channels[0].secret, /^\*{8}cdef$/)
  const raw = storedSettings(h.dataDir)
  for (const secret of [WEBHOOK_SECRET, 'XXXXXXXXXXXXSECRET', 'querysecret123', SIGNING]) assert.ok(!raw.includes(secret), `stored row has no ${secret}`)
  assert.match(raw, /enc:v1:/)

  // A client GETs, flips one flag and PUTs the whole masked document back: secrets survive.
  const back = await call(h.base, 'PUT', '/notification-settings', { key: h.keys.admin, body: { ...got.body, email_enabled: false } })
  assert.equal(back.status, 200, back.text)
  await requestReview(h)
  const [a, b] = await rx.waitFor(2)
  const hook = [a!, b!].find((r) => r.path.startsWith('/hook'))!
  const slack = [a!, b!].find((r) => r.path.startsWith('/services'))!
  assert.equal(hook.path, '/hook?token=querysecret123', 'the real URL, not the mask')
  assert.ok(verifyLedgixSignature(hook.body, hook.headers['x-ledgix-signature'] as string, WEBHOOK_SECRET), 'signed with the kept secret')
  assert.equal(slack.path, '/services/T000/B000/XXXXXXXXXXXXSECRET')
})

test('validation names the field: unknown event, short secret, duplicate id, reserved id, unknown key', async (t) => {
  const h = await startNotifyHarness(t)
  const cases: Array<[unknown, RegExp]> = [
    [[webhookChannel('http://127.0.0.1:1/', { events: ['review.nope'] })], /channels\[0\]\.events/],
    [[webhookChannel('http://127.0.0.1:1/', { secret: 'short' })], /channels\[0\]\.secret/],
    [[webhookChannel('http://127.0.0.1:1/'), webhookChannel('http://127.0.0.1:2/')], /channels\[1\]\.id/],
    [[webhookChannel('http://127.0.0.1:1/', { id: 'slack' })], /reserved/],
    [[webhookChannel('http://127.0.0.1:1/', { bogus: 1 })], /unknown field "bogus"/],
    [[{ id: 'mail', type: 'email', recipients: 'nope' }], /channels\[0\]\.recipients\[0\]/],
    [[{ id: 'x', type: 'sms' }], /channels\[0\]\.type/],
    ['nope', /body\.channels/],
  ]
  for (const [channels, pattern] of cases) {
    const res = await call(h.base, 'PUT', '/notification-settings', { key: h.keys.admin, body: { channels } })
    assert.equal(res.status, 400, JSON.stringify(channels))
    assert.match(res.body.detail, pattern)
  }
  const reviewer = await call(h.base, 'PUT', '/notification-settings', { key: h.keys.reviewer, body: { channels: [] } })
  assert.equal(reviewer.status, 403)
})

test('POST /notification-settings/test answers per channel: delivered, or failed with the receiver status and a reason', async (t) => {
  const h = await startNotifyHarness(t)
  const ok = await startReceiver(t)
  const bad = await startReceiver(t)
  bad.fallback = 500
  await putChannels(h, [webhookChannel(ok.url, { id: 'good' }), webhookChannel(bad.url, { id: 'bad' }), { id: 'mail', type: 'email', recipients: 'ops@example.com' }])
  const res = await call(h.base, 'POST', '/notification-settings/test', { key: h.keys.admin })
  assert.equal(res.status, 200)
  const by = Object.fromEntries(res.body.channels.map((c: any) => [c.channel_id, c]))
  assert.deepEqual(by.good, { channel_id: 'good', type: 'webhook', status: 'delivered', receiver_status: 200, reason: null })
  assert.equal(by.bad.status, 'failed')
  assert.equal(by.bad.receiver_status, 500)
  assert.match(by.bad.reason, /receiver answered 500/)
  assert.equal(by.mail.status, 'failed')
  assert.match(by.mail.reason, /smtp/, 'no SMTP relay configured: says which key to set')
  assert.equal(ok.received[0]!.json.type, 'notification.test')
  assert.ok(verifyLedgixSignature(ok.received[0]!.body, ok.received[0]!.headers['x-ledgix-signature'] as string, WEBHOOK_SECRET))
  assert.equal((await call(h.base, 'POST', '/notification-settings/test', { key: h.keys.agent })).status, 403)
  assert.deepEqual(await h.server.context.store.outboxDepth(), { pending: 0, dead: 0, oldestPendingAtMs: null }, 'tests bypass the outbox')
})
