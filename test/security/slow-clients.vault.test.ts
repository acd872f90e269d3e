// Issue 16 (availability): slow clients cannot starve the Vault API listener (fastify with the
// shared listener guard). Real Vault over a temp SQLite store, raw sockets, deadlines in hundreds of ms.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ListenerLimits } from '../../src/config/index.ts'
import { GatewayMetrics } from '../../src/observability/index.ts'
import { closesWithin, destroyAll, openMany, openSocket, responseJson, trickle } from '../helpers/slow-socket.ts'
import { call, startHarness } from '../vault/helpers.ts'

const HEADERS_MS = 300
const REQUEST_MS = 800
/** Deadline + node:http's sweep (≥ 250 ms) + slack for a loaded 2-core machine. */
const SLACK_MS = 250 + 1000

function limits(overrides: Partial<ListenerLimits> = {}): ListenerLimits {
  return { headersTimeoutMs: HEADERS_MS, requestTimeoutMs: REQUEST_MS, idleTimeoutMs: 2000, keepAliveTimeoutMs: 300, maxConnections: 0, maxConnectionsPerIp: 0, ...overrides }
}

async function vault(t: { after(fn: () => unknown): void }, l: ListenerLimits) {
  const h = await startHarness(t, { config: { limits: l } })
  return Object.assign(h, { port: h.server.port })
}

test('Vault: unfinished headers → 408 problem+json in the Vault shape, closed within headers_timeout + sweep', async (t) => {
  const h = await vault(t, limits())
  const s = await openSocket(h.port, { send: 'POST /request-clearance HTTP/1.1\r\nHost: vault\r\nX-Vault-API-Key: ' })
  assert.equal(await closesWithin(s, HEADERS_MS + SLACK_MS), true)
  const { data } = await s.closed
  assert.match(data, /^HTTP\/1\.1 408 /)
  assert.match(data, /content-type: application\/problem\+json/i)
  const body = responseJson(data)
  assert.equal(body['code'], 'request_timeout')
  assert.equal(body['error'], 'request_timeout', 'the Vault problem carries the Ledgix `error` member')
  assert.equal(h.server.listenerStats.requestTimeouts, 1)
})

test('Vault: malformed HTTP → 400 invalid_request in the Vault problem shape, then close', async (t) => {
  const h = await vault(t, limits())
  const s = await openSocket(h.port, { send: 'GET /health HTTP/1.1\r\nHost vault\r\n\r\n' })
  const { data } = await s.closed
  assert.match(data, /^HTTP\/1\.1 400 /)
  assert.equal(responseJson(data)['error'], 'invalid_request')
})

test('Vault: a body trickled one byte at a time is cut by request_timeout with a 408', async (t) => {
  const h = await vault(t, limits())
  const body = JSON.stringify({ tool_name: 'create_stripe_payment', tool_args: { amount: 1 }, agent_id: 'slow' })
  const s = await openSocket(h.port, {
    send: `POST /request-clearance HTTP/1.1\r\nHost: vault\r\nContent-Type: application/json\r\nX-Vault-API-Key: ${h.keys.agent}\r\nContent-Length: ${body.length}\r\n\r\n`,
  })
  void trickle(s, body, 60)
  // The whole body would take ~5 s at this rate; the request deadline is 800 ms.
  assert.equal(await closesWithin(s, REQUEST_MS + SLACK_MS), true)
  assert.match((await s.closed).data, /^HTTP\/1\.1 408 /)
})

test('Vault: an idle keep-alive socket is closed after keep_alive_timeout', async (t) => {
  const h = await vault(t, limits())
  const s = await openSocket(h.port, { send: 'GET /health HTTP/1.1\r\nHost: vault\r\n\r\n' })
  assert.equal(await closesWithin(s, 300 + 1200), true)
  const { data, afterMs } = await s.closed
  assert.match(data, /^HTTP\/1\.1 200 /)
  assert.doesNotMatch(data, /connection: close/i)
  assert.ok(afterMs >= 250, `closed after ${afterMs} ms`)
  assert.ok(h.server.listenerStats.idleCloses >= 1)
})

test('Vault: at max_connections the next connection is refused at once and exported; once the slow ones are cut a client is served', async (t) => {
  const h = await vault(t, limits({ maxConnections: 6 }))
  const metrics = new GatewayMetrics()
  metrics.addListener('vault', h.server.listenerStats)
  const held = await openMany(h.port, 6, 'GET /health HTTP/1.1\r\n')
  t.after(() => destroyAll(held))
  const extra = await openSocket(h.port)
  assert.equal(await closesWithin(extra, 500), true)
  assert.equal(extra.received(), '')
  assert.match(await metrics.render(), /ledgix_listener_refused_connections_total\{listener="vault",reason="max_connections"\} 1/)
  for (const s of held) assert.equal(await closesWithin(s, HEADERS_MS + SLACK_MS), true)
  const ok = await call(h.base, 'GET', '/.well-known/jwks.json')
  assert.equal(ok.status, 200)
  assert.ok(Array.isArray(ok.body.keys))
})

test('Vault: 300 slowloris sockets do not keep a clearance from being answered', async (t) => {
  const h = await vault(t, limits({ maxConnections: 1000 }))
  const loris = await openMany(h.port, 300, 'POST /request-clearance HTTP/1.1\r\nHost: vault\r\n')
  t.after(() => destroyAll(loris))
  const res = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 'unknown_tool', agent_id: 'agent-1' } })
  assert.equal(res.status, 200, 'served while 300 slow sockets are open')
  assert.equal(res.body.decision_status, 'denied')
  const cut = await Promise.all(loris.map((s) => closesWithin(s, HEADERS_MS + SLACK_MS + 1000)))
  assert.equal(cut.filter((c) => !c).length, 0)
})

test('Vault: max_connections_per_ip refuses one address its extra connection, not another address', async (t) => {
  const h = await vault(t, limits({ maxConnectionsPerIp: 3, headersTimeoutMs: 5000, requestTimeoutMs: 5000, idleTimeoutMs: 5000 }))
  const greedy = await openMany(h.port, 3)
  t.after(() => destroyAll(greedy))
  const fourth = await openSocket(h.port)
  assert.equal(await closesWithin(fourth, 500), true)
  const other = await openSocket(h.port, { localAddress: '127.0.0.2', send: 'GET /health HTTP/1.1\r\nHost: vault\r\nConnection: close\r\n\r\n' })
  assert.match((await other.closed).data, /^HTTP\/1\.1 200 /)
  assert.equal(h.server.listenerStats.refusedPerIp, 1)
  destroyAll(greedy)
})
