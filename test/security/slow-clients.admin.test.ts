// Issue 16 (availability): a stuck scraper or a flood of slow sockets cannot keep /readyz and
// /metrics from answering. Real admin listener, raw sockets, deadlines in hundreds of ms.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ListenerLimits } from '../../src/config/index.ts'
import { GatewayMetrics, closeServer, createAdminServer, createRootLogger, listen } from '../../src/observability/index.ts'
import { LogSink } from '../helpers/gateway-harness.ts'
import { send } from '../helpers/http-client.ts'
import { closesWithin, destroyAll, openMany, openSocket, responseJson } from '../helpers/slow-socket.ts'

const HEADERS_MS = 300
const BOUND_MS = HEADERS_MS + 250 + 1000

async function admin(t: { after(fn: () => unknown): void }, limits: ListenerLimits) {
  const metrics = new GatewayMetrics()
  const server = createAdminServer({ metrics, readiness: { notReadyReason: () => null }, logger: createRootLogger({ level: 'silent', destination: new LogSink() }), limits })
  const address = await listen(server, '127.0.0.1', 0)
  t.after(async () => {
    server.closeAllConnections()
    await closeServer(server)
  })
  return { port: address.port, base: `http://127.0.0.1:${address.port}`, metrics }
}

const LIMITS: ListenerLimits = { headersTimeoutMs: HEADERS_MS, requestTimeoutMs: 600, idleTimeoutMs: 1000, keepAliveTimeoutMs: 300, maxConnections: 4, maxConnectionsPerIp: 0 }

test('admin: slow headers → 408 and close in bound; over max_connections refused at once; /readyz served once the slow ones are cut', async (t) => {
  const a = await admin(t, LIMITS)
  const held = await openMany(a.port, 4, 'GET /readyz HTTP/1.1\r\nHost: admin\r\n')
  t.after(() => destroyAll(held))
  const extra = await openSocket(a.port)
  assert.equal(await closesWithin(extra, 500), true, 'a 5th connection is closed on accept')
  for (const s of held) assert.equal(await closesWithin(s, BOUND_MS), true, 'each slow socket is cut')
  const { data } = await held[0]!.closed
  assert.match(data, /^HTTP\/1\.1 408 /)
  assert.equal(responseJson(data)['code'], 'request_timeout')
  const ready = await send(`${a.base}/readyz`)
  assert.equal(ready.status, 200)
  const text = (await send(`${a.base}/metrics`)).text
  assert.match(text, /ledgix_listener_refused_connections_total\{listener="admin",reason="max_connections"\} 1/)
  assert.match(text, /ledgix_listener_timeouts_total\{listener="admin",kind="request"\} 4/)
  assert.match(text, /ledgix_listener_connections\{listener="admin"\} 1/, 'the scrape itself is the one open connection')
})

test('admin: an idle keep-alive socket is closed after keep_alive_timeout', async (t) => {
  const a = await admin(t, LIMITS)
  const s = await openSocket(a.port, { send: 'GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n' })
  assert.equal(await closesWithin(s, 300 + 1200), true)
  const { data, afterMs } = await s.closed
  assert.match(data, /^HTTP\/1\.1 200 /)
  assert.ok(afterMs >= 250, `closed after ${afterMs} ms`)
})
