// Issue 18, live updates: GET /events/stream over a real Vault and a real HTTP client reading the
// stream as it arrives. Tenant scoping, Last-Event-ID resume and reset, heartbeat, the per-stream
// buffer bound (a reader that never reads is cut), the per-tenant cap, the /metrics gauge, the
// listener's timeouts not killing a healthy stream, and shutdown with streams open.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock, uuidv7 } from '../../src/core/index.ts'
import { GatewayMetrics } from '../../src/observability/index.ts'
import { startVaultServer } from '../../src/vault/index.ts'
import { InProcessSource } from '../../src/vault/live-event-sources.ts'
import { call, startHarness, vaultConfig } from '../vault/helpers.ts'
import type { Harness, HarnessOptions } from '../vault/helpers.ts'
import { openStream } from './sse-client.ts'
import type { SseEvent } from './sse-client.ts'

const REVIEW = { defaultEffect: 'review' as const }

function start(t: { after(fn: () => unknown): void }, limits: Record<string, number> = {}, options: HarnessOptions = {}): Promise<Harness> {
  return startHarness(t, { ...options, config: { ...REVIEW, ...options.config }, liveEvents: { ...options.liveEvents, limits } })
}

async function requestReview(h: Harness, agent = 'billing-bot', key = h.keys.agent): Promise<string> {
  const res = await call(h.base, 'POST', '/request-clearance', { key, body: { tool_name: 'create_payment', tool_args: { amount: 2500 }, agent_id: agent } })
  assert.equal(res.body?.status, 'pending_review', res.text)
  return res.body.request_id as string
}

function named(events: SseEvent[], name: string): SseEvent[] {
  return events.filter((e) => e.event === name)
}

function data(e: SseEvent | undefined): any {
  assert.ok(e !== undefined, 'event missing')
  return JSON.parse(e.data)
}

test('a review created, decided, and a lockdown arrive on the tenant\'s stream; another tenant sees none of them', async (t) => {
  const h = await start(t)
  const a = await openStream(h.base, '/events/stream', h.keys.admin)
  const b = await openStream(h.base, '/events/stream', h.keys.bAdmin)
  t.after(() => { a.close(); b.close() })
  assert.equal(a.status, 200)
  assert.match(String(a.headers['content-type']), /^text\/event-stream/)
  assert.equal(a.headers['cache-control'], 'no-store')
  assert.equal(a.headers['x-accel-buffering'], 'no')
  assert.equal(a.retry, 3000)

  const requestId = await requestReview(h)
  const [created] = await a.waitFor((es) => named(es, 'review.created').length === 1)
  const c = data(created)
  assert.equal(created!.id, c.id)
  assert.match(created!.id ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/, 'the id is a UUIDv7')
  assert.deepEqual([c.request_id, c.tool_name, c.agent_id, c.status, c.decision], [requestId, 'create_payment', 'billing-bot', 'pending_review', null])
  assert.equal(c.tool_args, undefined, 'the stream carries no arguments')

  const decided = await call(h.base, 'POST', `/reviews/${requestId}/decision`, { key: h.keys.reviewer, body: { approved: true, reviewer_email: 'ana@example.com' } })
  assert.equal(decided.status, 200, decided.text)
  const d = data((await a.waitFor((es) => named(es, 'review.decided').length === 1)).find((e) => e.event === 'review.decided'))
  assert.deepEqual([d.request_id, d.status, d.decision.approved, d.decision.decided_by, d.decision.channel], [requestId, 'approved', true, 'ana@example.com', 'api'])

  assert.equal((await call(h.base, 'POST', '/drift/agents/billing-bot/lockdown', { key: h.keys.admin, body: { reason: 'odd refunds' } })).status, 200)
  const l = data((await a.waitFor((es) => named(es, 'agent.locked').length === 1)).find((e) => e.event === 'agent.locked'))
  assert.deepEqual([l.agent_id, l.locked, l.reason], ['billing-bot', true, 'odd refunds'])
  assert.equal((await call(h.base, 'DELETE', '/drift/agents/billing-bot/lockdown', { key: h.keys.admin, body: { reason: 'checked' } })).status, 200)
  await a.waitFor((es) => named(es, 'agent.released').length === 1)

  // Tenant B's own lockdown reaches B after all of A's events were published: B saw only its own.
  assert.equal((await call(h.base, 'POST', '/drift/agents/b-bot/lockdown', { key: h.keys.bAdmin, body: { reason: 'b' } })).status, 200)
  await b.waitFor((es) => named(es, 'agent.locked').length === 1)
  assert.deepEqual(b.events.map((e) => e.event), ['agent.locked'])
  assert.equal(data(b.events[0]).agent_id, 'b-bot')
  assert.deepEqual(a.events.map((e) => e.event), ['review.created', 'review.decided', 'agent.locked', 'agent.released'])
})

test('review.expired arrives with channel system when the sweeper expires a review', async (t) => {
  const h = await start(t)
  const a = await openStream(h.base, '/events/stream', h.keys.reviewer)
  t.after(() => a.close())
  const requestId = await requestReview(h)
  // The harness sets no review_expiry: give this review one, then let the sweeper pass it.
  const row = await h.server.context.store.getClearance(h.tenantA, requestId)
  const expiring = await h.server.context.store.write([{ op: 'clearance_update', clearance: { ...row!, reviewExpiresAtMs: row!.createdAtMs + 1 }, expectStatus: 'pending_review' }])
  assert.ok(expiring.ok)
  assert.equal((await h.server.reviewSweeper.sweep(row!.createdAtMs + 10)).expired, 1)
  const e = data((await a.waitFor((es) => named(es, 'review.expired').length === 1)).find((x) => x.event === 'review.expired'))
  assert.deepEqual([e.request_id, e.review_state, e.decision.channel], [requestId, 'expired', 'system'])
})

test('Last-Event-ID resumes with exactly the events missed, then live ones', async (t) => {
  const h = await start(t)
  const first = await openStream(h.base, '/events/stream', h.keys.admin)
  await requestReview(h)
  const [e1] = await first.waitFor((es) => es.length === 1)
  first.close()
  await first.waitForEnd()
  await until(() => h.server.context.live.connections === 0)
  const missed = [await requestReview(h), await requestReview(h)]
  const resumed = await openStream(h.base, '/events/stream', h.keys.admin, { 'last-event-id': e1!.id! })
  t.after(() => resumed.close())
  await resumed.waitFor((es) => es.length === 2)
  const live = await requestReview(h)
  const got = await resumed.waitFor((es) => es.length === 3)
  assert.deepEqual(got.map((e) => data(e).request_id), [...missed, live], 'each missed event once, in order, then the live one')
  assert.ok(!got.some((e) => e.id === e1!.id), 'the event the client had is not sent again')
})

test('an unknown Last-Event-ID → event: reset (refetch), then live events', async (t) => {
  const h = await start(t)
  await requestReview(h)
  const s = await openStream(h.base, '/events/stream', h.keys.admin, { 'last-event-id': uuidv7() })
  t.after(() => s.close())
  const [reset] = await s.waitFor((es) => es.length === 1)
  assert.equal(reset!.event, 'reset')
  assert.equal(data(reset).reason, 'last_event_id_unknown')
  const id = await requestReview(h)
  // (Over PostgreSQL the earlier review's NOTIFY may still be on its way and arrive live first.)
  const got = await s.waitFor((es) => es.some((e) => e.event === 'review.created' && data(e).request_id === id))
  assert.equal(got.filter((e) => e.event === 'reset').length, 1)
  // A garbage id is just as unknown.
  const junk = await openStream(h.base, '/events/stream', h.keys.admin, { 'last-event-id': 'x'.repeat(500) })
  t.after(() => junk.close())
  assert.equal((await junk.waitFor((es) => es.length === 1))[0]!.event, 'reset')
})

test('history bounds: an id pushed out by count, by another tenant\'s volume, or by idling with no stream → reset, never a silent gap', async (t) => {
  // A pinned clock: no event ages out of the history by time, so each bound below acts alone (the
  // idle timer is a real 150 ms timer).
  // The in-process source whatever the store (LEDGIX_TEST_STORE=postgres too): idling is its behaviour.
  const h = await start(t, { historyMax: 2, historyMaxBytes: 4_000, historyTtlMs: 150 }, { clock: new ManualClock(Date.now()), liveEvents: { source: new InProcessSource() } })
  const hub = h.server.context.live
  const keep = await openStream(h.base, '/events/stream', h.keys.agent)
  const first = await requestReview(h)
  const [e1] = await keep.waitFor((es) => es.length === 1)
  assert.equal(data(e1).request_id, first)
  // By count: two newer events of the tenant push e1 out.
  await requestReview(h)
  await requestReview(h)
  await keep.waitFor((es) => es.length === 3)
  const byCount = await openStream(h.base, '/events/stream', h.keys.admin, { 'last-event-id': e1!.id! })
  assert.equal((await byCount.waitFor((es) => es.length === 1))[0]!.event, 'reset')
  byCount.close()
  // By volume: tenant B's events take the byte budget; tenant A's history goes as a whole.
  const e3 = keep.events[2]!
  for (let i = 0; i < 3; i++) hub.publish({ id: uuidv7(), type: 'review.created', tenantId: h.tenantB, data: JSON.stringify({ pad: 'b'.repeat(1_500) }) })
  const byVolume = await openStream(h.base, '/events/stream', h.keys.admin, { 'last-event-id': e3.id! })
  assert.equal((await byVolume.waitFor((es) => es.length === 1))[0]!.event, 'reset')
  byVolume.close()
  // By idling: after the last stream closes and historyTtlMs passes, nothing is recorded (publishing
  // is one check) and the history is gone, so an event raised meanwhile cannot be silently skipped.
  const last = await requestReview(h)
  const [, , , e4] = await keep.waitFor((es) => es.length === 4)
  assert.equal(data(e4).request_id, last)
  keep.close()
  await until(() => hub.connections === 0)
  await until(() => !hub.active)
  await requestReview(h)
  const afterIdle = await openStream(h.base, '/events/stream', h.keys.admin, { 'last-event-id': e4!.id! })
  t.after(() => afterIdle.close())
  assert.equal((await afterIdle.waitFor((es) => es.length === 1))[0]!.event, 'reset')
})

test('a heartbeat comment is sent at the configured interval', async (t) => {
  const h = await start(t, { heartbeatMs: 50 })
  const s = await openStream(h.base, '/events/stream', h.keys.agent)
  t.after(() => s.close())
  await s.waitForComment('heartbeat')
})

test('a reader that does not read is disconnected at the buffer bound; other streams carry on', async (t) => {
  const h = await start(t, { maxBufferedBytes: 64 * 1024 })
  const hub = h.server.context.live
  // Another tenant's stream (the flood below is tenant A's: a reader in this very process could not
  // keep up with it either, and is not what is tested here).
  const healthy = await openStream(h.base, '/events/stream', h.keys.bAdmin)
  t.after(() => healthy.close())
  const stuck: Socket = connect(h.server.port, '127.0.0.1')
  t.after(() => stuck.destroy())
  await new Promise<void>((resolve) => stuck.once('connect', () => resolve()))
  stuck.write(`GET /events/stream HTTP/1.1\r\nhost: 127.0.0.1\r\nx-vault-api-key: ${h.keys.admin}\r\n\r\n`)
  await until(() => hub.connections === 2)
  stuck.pause() // never read again: the kernel buffers fill, then the server's
  const payload = 'x'.repeat(6_000)
  let sent = 0
  // Far more than any socket buffer holds (64 MiB), in steps so the server's writes can proceed.
  while (hub.connections === 2 && sent < 11_000) {
    for (let i = 0; i < 100; i++, sent++) {
      hub.publish({ id: uuidv7(), type: 'review.created', tenantId: h.tenantA, data: JSON.stringify({ n: sent, pad: payload }) })
    }
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  await until(() => hub.connections === 1)
  assert.equal(hub.slowDisconnects, 1)
  // The healthy stream is still open and keeps getting events.
  hub.publish({ id: uuidv7(), type: 'agent.locked', tenantId: h.tenantB, data: '{"last":true}' })
  await healthy.waitFor((es) => es.some((e) => e.event === 'agent.locked'), 20_000)
  assert.equal(healthy.ended, false)
})

test('per-tenant cap: beyond it → 429 rate_limited problem; another tenant still connects', async (t) => {
  const h = await start(t, { maxStreamsPerTenant: 2 })
  const open = [await openStream(h.base, '/events/stream', h.keys.admin), await openStream(h.base, '/events/stream', h.keys.agent)]
  t.after(() => open.forEach((s) => s.close()))
  const third = await openStream(h.base, '/events/stream', h.keys.reviewer)
  assert.equal(third.status, 429)
  assert.match(String(third.headers['content-type']), /problem\+json/)
  assert.equal(JSON.parse(third.text).code, 'rate_limited')
  assert.ok(third.headers['retry-after'] !== undefined)
  const other = await openStream(h.base, '/events/stream', h.keys.bAdmin)
  t.after(() => other.close())
  assert.equal(other.status, 200)
  // A closed stream frees its slot.
  open[0]!.close()
  await until(() => h.server.context.live.connections === 2)
  const again = await openStream(h.base, '/events/stream', h.keys.reviewer)
  t.after(() => again.close())
  assert.equal(again.status, 200)
})

test('auth and routing: no key → 401 problem; HEAD opens no stream; duplicate and trailing slashes reach the route', async (t) => {
  const h = await start(t)
  const anonymous = await openStream(h.base, '/events/stream', null)
  assert.equal(anonymous.status, 401)
  assert.equal(JSON.parse(anonymous.text).code, 'api_key_missing')
  const head = await openStream(h.base, '/events/stream', h.keys.admin, {}, 'HEAD')
  assert.notEqual(head.status, 200)
  assert.equal(h.server.context.live.connections, 0)
  const slashes = await openStream(h.base, '//events/stream/', h.keys.admin)
  t.after(() => slashes.close())
  assert.equal(slashes.status, 200)
  assert.equal(h.server.context.live.connections, 1)
})

test('/metrics: ledgix_sse_connections goes up with open streams and back down when they close', async (t) => {
  const h = await start(t)
  const metrics = new GatewayMetrics()
  h.server.context.live.registerMetrics(metrics.registry)
  const gauge = async (): Promise<number> => Number(/^ledgix_sse_connections (\d+)$/m.exec(await metrics.render())?.[1] ?? NaN)
  assert.equal(await gauge(), 0)
  const streams = [await openStream(h.base, '/events/stream', h.keys.admin), await openStream(h.base, '/events/stream', h.keys.bAdmin)]
  assert.equal(await gauge(), 2)
  for (const s of streams) s.close()
  await until(() => h.server.context.live.connections === 0)
  assert.equal(await gauge(), 0)
})

test('the listener\'s idle and request timeouts do not cut a healthy stream', async (t) => {
  const limits = { headersTimeoutMs: 300, requestTimeoutMs: 300, idleTimeoutMs: 200, keepAliveTimeoutMs: 200, maxConnections: 0, maxConnectionsPerIp: 0 }
  const h = await start(t, { heartbeatMs: 60_000 }, { config: { limits } })
  const s = await openStream(h.base, '/events/stream', h.keys.admin)
  t.after(() => s.close())
  // Several idle and request timeouts (and node:http's deadline sweeps) pass without a byte.
  await new Promise((resolve) => setTimeout(resolve, 1_200))
  assert.equal(s.ended, false)
  const id = await requestReview(h)
  assert.equal(data((await s.waitFor((es) => es.length === 1))[0]).request_id, id)
})

test('closing the server with streams open finishes and ends every stream', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledgix-sse-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))
  const server = await startVaultServer({ config: vaultConfig(dataDir, { bootstrapApiKey: 'sk_test_bootstrap_key_for_sse_close' }) })
  const base = `http://127.0.0.1:${server.port}`
  const streams = await Promise.all([1, 2, 3].map(() => openStream(base, '/events/stream', 'sk_test_bootstrap_key_for_sse_close')))
  assert.deepEqual(streams.map((s) => s.status), [200, 200, 200])
  let closed = false
  const closing = server.close().then(() => (closed = true))
  const guard = new Promise((_, reject) => setTimeout(() => reject(new Error('server.close() hung on open event streams')), 10_000).unref())
  await Promise.race([closing, guard])
  assert.equal(closed, true)
  for (const s of streams) await s.waitForEnd()
})

async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > end) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

test('PostgreSQL: an event raised on one replica reaches a stream held by another, once', { skip: (await import('../helpers/postgres.ts')).skipWithoutPostgres }, async (t) => {
  const pgh = await import('../helpers/postgres.ts')
  const schema = pgh.testSchema()
  const dataDir = mkdtempSync(join(tmpdir(), 'ledgix-sse-pg-'))
  const key = 'sk_test_bootstrap_key_for_sse_replicas'
  const store = { driver: 'postgres' as const, url: pgh.PG_TEST_URL, schema, pool: { max: 5, statementTimeoutMs: 30_000, idleTimeoutMs: 30_000, connectTimeoutMs: 5_000 } }
  const config = vaultConfig(dataDir, { ...REVIEW, store, bootstrapApiKey: key })
  const a = await startVaultServer({ config })
  const b = await startVaultServer({ config })
  t.after(async () => {
    await a.close()
    await b.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  assert.equal(a.context.live.active, true, 'a shared source publishes even with no local stream')
  const onB = await openStream(`http://127.0.0.1:${b.port}`, '/events/stream', key)
  const onA = await openStream(`http://127.0.0.1:${a.port}`, '/events/stream', key)
  t.after(() => { onA.close(); onB.close() })
  const res = await call(`http://127.0.0.1:${a.port}`, 'POST', '/request-clearance', { key, body: { tool_name: 'create_payment', tool_args: { amount: 1 }, agent_id: 'bot' } })
  assert.equal(res.body?.status, 'pending_review', res.text)
  const decided = await call(`http://127.0.0.1:${b.port}`, 'POST', `/reviews/${res.body.request_id}/decision`, { key, body: { approved: false } })
  assert.equal(decided.status, 200, decided.text)
  for (const s of [onA, onB]) {
    const got = await s.waitFor((es) => es.length === 2)
    assert.deepEqual(got.map((e) => [e.event, data(e).request_id]), [['review.created', res.body.request_id], ['review.decided', res.body.request_id]])
  }
  // Nothing arrives twice (each replica hears its own NOTIFY once, not also a local copy).
  const lock = await call(`http://127.0.0.1:${b.port}`, 'POST', '/drift/agents/bot/lockdown', { key, body: { reason: 'x' } })
  assert.equal(lock.status, 200, lock.text)
  for (const s of [onA, onB]) assert.deepEqual((await s.waitFor((es) => es.length === 3)).map((e) => e.event), ['review.created', 'review.decided', 'agent.locked'])
})
