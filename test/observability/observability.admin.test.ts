import { test } from 'node:test'
import assert from 'node:assert/strict'
import { GatewayMetrics, closeServer, createAdminServer, createRootLogger, listen } from '../../src/observability/index.ts'
import { LogSink } from '../helpers/gateway-harness.ts'
import { send } from '../helpers/http-client.ts'

test('logger redacts credentials even when a caller logs them by mistake', () => {
  const sink = new LogSink()
  const logger = createRootLogger({ level: 'info', destination: sink })
  logger.child({ component: 'x' }).info({ headers: { authorization: 'Bearer secret-token', 'x-vault-api-key': 'sk_live_1' }, apiKey: 'sk_live_2', token: 'eyJ.secret' }, 'oops')
  const raw = sink.raw.join('\n')
  for (const secret of ['secret-token', 'sk_live_1', 'sk_live_2', 'eyJ.secret']) assert.ok(!raw.includes(secret), secret)
  assert.equal(sink.lines[0]?.['component'], 'x')
  assert.equal(sink.lines[0]?.['level'], 'info')
})

test('admin server: /healthz always 200, /readyz follows readiness, /metrics renders, others 404/405', async (t) => {
  const metrics = new GatewayMetrics()
  let reason: string | null = 'keys_unavailable'
  const server = createAdminServer({ metrics, readiness: { notReadyReason: () => reason }, logger: createRootLogger({ level: 'silent', destination: new LogSink() }) })
  const address = await listen(server, '127.0.0.1', 0)
  t.after(() => closeServer(server))
  const base = `http://127.0.0.1:${address.port}`
  assert.equal((await send(`${base}/healthz`)).status, 200)
  const notReady = await send(`${base}/readyz`)
  assert.equal(notReady.status, 503)
  assert.equal(notReady.json['reason'], 'keys_unavailable')
  reason = null
  assert.equal((await send(`${base}/readyz`)).status, 200)
  metrics.requests.count('r', 'ok')
  metrics.setKeyStatusSource(() => ({ keyCount: 3, ageMs: 1500 }))
  const text = (await send(`${base}/metrics`)).text
  assert.match(text, /ledgix_gateway_requests_total\{route="r",outcome="ok"\} 1/)
  assert.match(text, /ledgix_jwks_keys 3/)
  assert.match(text, /ledgix_jwks_age_seconds 1.5/)
  for (const name of ['ledgix_gateway_request_duration_seconds', 'ledgix_jwks_refresh_total', 'ledgix_burn_duration_seconds', 'ledgix_replay_rejections_total']) {
    assert.match(text, new RegExp(`# TYPE ${name} `))
  }
  assert.equal((await send(`${base}/nope`)).status, 404)
  assert.equal((await send(`${base}/metrics`, { method: 'POST' })).status, 405)
})

test('two GatewayMetrics instances do not collide (private registries)', () => {
  const a = new GatewayMetrics()
  const b = new GatewayMetrics()
  a.requests.count('x', 'ok')
  assert.notEqual(a.registry, b.registry)
})

test('write-path metrics appear once a store source is attached and are read at scrape time', async () => {
  const metrics = new GatewayMetrics()
  assert.doesNotMatch(await metrics.render(), /ledgix_store_/, 'paired mode has no store: no store metrics')
  let stats = { commits: 3, writes: 40, deferredSyncs: 2, failed: false }
  metrics.setWritePathSource(() => stats)
  let text = await metrics.render()
  assert.match(text, /^ledgix_store_commits_total 3$/m)
  assert.match(text, /^ledgix_store_writes_total 40$/m)
  assert.match(text, /^ledgix_store_deferred_syncs_total 2$/m)
  assert.match(text, /^ledgix_store_failed 0$/m)
  assert.match(text, /# TYPE ledgix_store_commits_total counter/)
  stats = { commits: 5, writes: 41, deferredSyncs: 2, failed: true }
  text = await metrics.render()
  assert.match(text, /^ledgix_store_commits_total 5$/m)
  assert.match(text, /^ledgix_store_writes_total 41$/m)
  assert.match(text, /^ledgix_store_failed 1$/m)
})
