import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startHarness } from '../helpers/gateway-harness.ts'
import { bearer, send } from '../helpers/http-client.ts'
import { mint } from '../helpers/tokens.ts'
import { jtiHash } from '../../src/gateway/index.ts'

test('one access-log line per request with the fixed field set, and never token text', async (t) => {
  const h = await startHarness()
  t.after(() => h.close())
  const token = mint(h.signer, { jti: 'jti-access-log' })
  await send(`${h.url}/v1/pay?card=4242`, { method: 'POST', headers: bearer(token), body: '{}' })
  await send(`${h.url}/v1/pay`, { method: 'POST', headers: bearer(token) })
  await send(`${h.url}/nowhere`)
  await new Promise((r) => setTimeout(r, 50))
  const lines = h.sink.accessLines()
  assert.equal(lines.length, 3)
  const [ok, replay, none] = lines as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>]
  for (const line of lines) {
    for (const field of ['request_id', 'route', 'method', 'path', 'status', 'code', 'jti_hash', 'agent', 'tool', 'total_ms', 'verify_ms', 'burn_ms', 'upstream_ms']) {
      assert.ok(field in line, `access line lacks ${field}`)
    }
  }
  assert.equal(ok['route'], 'payments')
  assert.equal(ok['path'], '/v1/pay', 'no query string in the log')
  assert.equal(ok['status'], 200)
  assert.equal(ok['code'], 'ok')
  assert.equal(ok['jti_hash'], jtiHash('jti-access-log'))
  assert.match(String(ok['jti_hash']), /^[0-9a-f]{16}$/)
  assert.equal(ok['agent'], 'agent-7')
  assert.equal(ok['tool'], 'stripe_refund')
  assert.equal(typeof ok['burn_ms'], 'number')
  assert.equal(replay['status'], 409)
  assert.equal(replay['code'], 'token_replayed')
  assert.equal(none['route'], null)
  assert.equal(none['code'], 'route_not_found')
  const all = h.sink.raw.join('\n')
  for (const part of token.split('.')) assert.ok(!all.includes(part), 'token text in the log')
  assert.ok(!all.includes('jti-access-log'), 'raw jti in the log')
  assert.ok(!all.includes('sk_test_gateway'), 'vault api key in the log')
})

test('/metrics exposes the gateway counters; /healthz and /readyz answer', async (t) => {
  const h = await startHarness()
  t.after(() => h.close())
  const token = mint(h.signer)
  await send(`${h.url}/v1/pay`, { method: 'POST', headers: bearer(token) })
  await send(`${h.url}/v1/pay`, { method: 'POST', headers: bearer(token) })
  await new Promise((r) => setTimeout(r, 20))
  const metrics = await send(`${h.adminUrl}/metrics`)
  assert.equal(metrics.status, 200)
  const text = metrics.text
  assert.match(text, /ledgix_gateway_requests_total\{route="payments",outcome="ok"\} 1/)
  assert.match(text, /ledgix_gateway_requests_total\{route="payments",outcome="token_replayed"\} 1/)
  assert.match(text, /ledgix_replay_rejections_total\{source="local"\} 1/)
  assert.match(text, /ledgix_burn_duration_seconds_count\{result="ok"\} 1/)
  assert.match(text, /ledgix_gateway_request_duration_seconds_count\{route="payments"\} 2/)
  assert.match(text, /ledgix_jwks_refresh_total\{trigger="startup",result="ok"\} 1/)
  assert.match(text, /ledgix_jwks_keys 1/)
  assert.match(text, /ledgix_jwks_age_seconds \d/)
  assert.equal((await send(`${h.adminUrl}/healthz`)).status, 200)
  assert.equal((await send(`${h.adminUrl}/readyz`)).status, 200)
})

test('draining: /readyz → 503, the in-flight request completes, new connections are refused', async (t) => {
  const h = await startHarness()
  t.after(() => h.close())
  h.upstream.delayMs = 300
  const inflight = send(`${h.url}/v1/slow`, { headers: bearer(mint(h.signer)) })
  for (let i = 0; i < 100 && h.upstream.hits === 0; i++) await new Promise((r) => setTimeout(r, 5))
  const drained = h.gateway.drain(2000)
  const ready = await send(`${h.adminUrl}/readyz`)
  assert.equal(ready.status, 503)
  assert.equal(ready.json['reason'], 'draining')
  await assert.rejects(send(`${h.url}/v1/new`, { headers: { connection: 'close' } }))
  const reply = await inflight
  assert.equal(reply.status, 200)
  assert.deepEqual(await drained, { timedOut: false })
})

test('an unexpected exception → 500 internal_error with a generic detail; the cause goes to the log only', async (t) => {
  const h = await startHarness()
  t.after(() => h.close())
  h.cache.getKey = () => {
    throw new Error('boom: secret internals')
  }
  const reply = await send(`${h.url}/v1/x`, { headers: bearer(mint(h.signer)) })
  assert.equal(reply.status, 500)
  assert.equal(reply.json['code'], 'internal_error')
  assert.ok(!reply.text.includes('boom'))
  assert.equal(h.upstream.hits, 0)
  await new Promise((r) => setTimeout(r, 20))
  const line = h.sink.accessLines().at(-1)!
  assert.equal(line['level'], 'error')
  assert.match(JSON.stringify(line['err']), /boom: secret internals/)
})
