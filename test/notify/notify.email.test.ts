// Issue 17, the email channel against a real SMTP server on loopback: STARTTLS with a test
// certificate (trusted through smtp.ca_file), AUTH, the channel's recipients, a subject naming the
// event, and both a plain-text and an HTML part carrying the review.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { call } from '../vault/helpers.ts'
import { SMTP_PASSWORD, SMTP_USER, mimePart, startSmtp } from './smtp-server.ts'
import { requestReview, startNotifyHarness, waitForDeliveries } from './setup.ts'

test('review created → one mail over STARTTLS with AUTH to every recipient, text and HTML parts', async (t) => {
  const smtp = await startSmtp(t)
  const h = await startNotifyHarness(t, {
    attemptTimeoutMs: 10_000,
    smtp: { host: 'localhost', port: smtp.port, secure: false, requireTls: true, user: SMTP_USER, password: SMTP_PASSWORD, from: 'ledgix@example.com', caFile: smtp.caFile },
  })
  // The seed's shape: email_enabled + comma-separated email_recipients.
  const put = await call(h.base, 'PUT', '/notification-settings', { key: h.keys.admin, body: { email_enabled: true, email_recipients: 'ops@example.com,security@example.com' } })
  assert.equal(put.status, 200)
  const requestId = await requestReview(h, { amount: 2500, currency: 'USD', memo: '<b>not html</b>' })
  const [mail] = await smtp.waitFor(1)
  assert.equal(mail!.secure, true, 'the session was upgraded with STARTTLS')
  assert.equal(mail!.user, SMTP_USER, 'authenticated')
  assert.equal(mail!.from, 'ledgix@example.com')
  assert.deepEqual(mail!.to.sort(), ['ops@example.com', 'security@example.com'])
  assert.match(mail!.raw, /^Subject: \[Ledgix\] Review needed: create_stripe_payment by agent billing-bot\r?$/m)
  assert.match(mail!.raw, /multipart\/alternative/)
  const text = mimePart(mail!.raw, 'text/plain')!
  const html = mimePart(mail!.raw, 'text/html')!
  assert.ok(text.includes(requestId) && text.includes('"amount": 2500') && text.includes('<b>not html</b>'), text)
  assert.ok(html.includes(requestId) && html.includes('&lt;b&gt;not html&lt;/b&gt;') && !html.includes('<b>not html'), 'args escaped in HTML')
  const [d] = await waitForDeliveries(h, 'delivered', 1)
  assert.equal(d.channel_type, 'email')
})

test('wrong SMTP password: the attempt fails with the server reason and is retried, then dead-lettered', async (t) => {
  const smtp = await startSmtp(t)
  const h = await startNotifyHarness(t, {
    maxAttempts: 2,
    attemptTimeoutMs: 10_000,
    smtp: { host: 'localhost', port: smtp.port, secure: false, requireTls: true, user: SMTP_USER, password: 'wrong', from: 'ledgix@example.com', caFile: smtp.caFile },
  })
  await call(h.base, 'PUT', '/notification-settings', { key: h.keys.admin, body: { channels: [{ id: 'mail', type: 'email', recipients: ['ops@example.com'] }] } })
  await requestReview(h)
  const [dead] = await waitForDeliveries(h, 'dead', 1)
  assert.equal(dead.attempts, 2)
  assert.match(dead.last_error, /smtp: EAUTH/)
  assert.equal(smtp.mails.length, 0)
})
