// SSRF through notification channels (issue 17): targets must be https (plain http only to
// loopback), private/loopback/link-local targets are refused unless allow_private_targets, on the
// saved URL and again on what DNS answers at connect time (a name resolving to 127.0.0.1 is refused
// and the receiver never sees a byte). Redirects are not followed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { isPrivateAddress, targetUrlProblem } from '../../src/notify/index.ts'
import { call } from '../vault/helpers.ts'
import { startReceiver } from '../notify/receiver.ts'
import { requestReview, startNotifyHarness, waitForDeliveries, webhookChannel } from '../notify/setup.ts'

test('address classes: private, loopback, link-local, CGNAT, ULA, mapped and multicast refused; public allowed', () => {
  for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fd00::1', 'fc00::1', '::ffff:127.0.0.1', '::ffff:169.254.169.254', 'ff02::1']) {
    assert.equal(isPrivateAddress(ip), true, ip)
  }
  for (const ip of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) {
    assert.equal(isPrivateAddress(ip), false, ip)
  }
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), (b, c, d) => {
      return isPrivateAddress(`10.${b}.${c}.${d}`) && isPrivateAddress(`127.${b}.${c}.${d}`) && isPrivateAddress(`192.168.${c}.${d}`)
    }),
    { numRuns: 200 },
  )
})

test('URL rules: https anywhere public; http only to loopback; private targets need allow_private_targets', () => {
  assert.equal(targetUrlProblem('u', 'https://hooks.slack.com/services/x', false), null)
  assert.match(targetUrlProblem('u', 'http://example.com/hook', false)!, /https/)
  assert.match(targetUrlProblem('u', 'http://127.0.0.1:9/hook', false)!, /allow_private_targets/)
  assert.equal(targetUrlProblem('u', 'http://127.0.0.1:9/hook', true), null)
  assert.match(targetUrlProblem('u', 'https://169.254.169.254/latest/meta-data', false)!, /private/)
  assert.match(targetUrlProblem('u', 'https://[::1]/x', false)!, /private/)
  assert.match(targetUrlProblem('u', 'https://10.0.0.5/x', true) ?? 'ok', /ok/)
  assert.match(targetUrlProblem('u', 'http://10.0.0.5/x', true)!, /https/, 'plain http stays loopback-only even when private targets are allowed')
  assert.match(targetUrlProblem('u', 'https://user:pw@example.com/x', false)!, /credentials/)
  assert.match(targetUrlProblem('u', 'ftp://example.com/x', false)!, /https/)
  assert.match(targetUrlProblem('u', 'not a url', false)!, /not a URL/)
})

test('PUT refuses private and plain-http targets by default, naming the field; nothing is stored', async (t) => {
  const h = await startNotifyHarness(t, { allowPrivateTargets: false })
  for (const url of ['http://127.0.0.1:1/x', 'https://169.254.169.254/x', 'https://10.0.0.1/x', 'http://example.com/x']) {
    const res = await call(h.base, 'PUT', '/notification-settings', { key: h.keys.admin, body: { channels: [webhookChannel(url)] } })
    assert.equal(res.status, 400, url)
    assert.match(res.body.detail, /channels\[0\]\.url/)
  }
  const slack = await call(h.base, 'PUT', '/notification-settings', { key: h.keys.admin, body: { slack_enabled: true, slack_webhook_url: 'http://192.168.0.10/x' } })
  assert.equal(slack.status, 400)
  const got = await call(h.base, 'GET', '/notification-settings', { key: h.keys.admin })
  assert.deepEqual(got.body.channels, [])
  assert.equal(got.body.slack_enabled, false)
})

test('a name that resolves to loopback is refused at connect time: dead-lettered, the receiver sees nothing', async (t) => {
  // Written straight to the store (a PUT would refuse it): the point is the connect-time check of
  // a hostname whose DNS answer is private, as after a rebinding.
  const rx = await startReceiver(t)
  const port = new URL(rx.url).port
  const h = await startNotifyHarness(t, { allowPrivateTargets: false })
  const store = h.server.context.store
  const doc = { channels: [{ id: 'hook', type: 'webhook', enabled: true, url: `http://localhost:${port}/x`, secret: 'whsec_0123456789abcdef', key_id: 'k1', recipients: '', events: [], tools: [], agents: [] }] }
  await store.write([{ op: 'settings_put', tenantId: h.tenantA, kind: 'notification', valueJson: JSON.stringify(doc), atMs: Date.now() }])
  await requestReview(h)
  const [dead] = await waitForDeliveries(h, 'dead', 1)
  assert.match(dead.last_error, /private address/)
  assert.equal(dead.attempts, 1, 'refused targets are not retried')
  assert.equal(rx.received.length, 0)
})
