// Issue 16 (availability): slow clients cannot starve the gateway's proxy listener. Real gateway,
// raw sockets, deadlines of a few hundred ms so each bound is checked without Node's 30 s sweep.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'
import WebSocket from 'ws'
import type { ListenerLimits } from '../../src/config/index.ts'
import { startHarness, testRoute } from '../helpers/gateway-harness.ts'
import type { Harness } from '../helpers/gateway-harness.ts'
import { bearer, send } from '../helpers/http-client.ts'
import { closesWithin, destroyAll, openMany, openSocket, responseJson, trickle } from '../helpers/slow-socket.ts'
import { mint } from '../helpers/tokens.ts'

const HEADERS_MS = 300
/** The deadline plus node:http's sweep (a quarter of the deadline, at least 250 ms) plus a loaded 2-core CI's slack. */
const HEADERS_BOUND_MS = HEADERS_MS + 250 + 900

function limits(overrides: Partial<ListenerLimits> = {}): ListenerLimits {
  return { headersTimeoutMs: HEADERS_MS, requestTimeoutMs: 800, idleTimeoutMs: 600, keepAliveTimeoutMs: 300, maxConnections: 0, maxConnectionsPerIp: 0, ...overrides }
}

async function gateway(t: { after(fn: () => unknown): void }, l: ListenerLimits, trustedProxies: string[] = []): Promise<Harness & { port: number }> {
  const h = await startHarness({ config: { gateway: { limits: l, requestTimeoutMs: l.requestTimeoutMs, trustedProxies } } })
  t.after(() => h.close())
  return Object.assign(h, { port: Number(new URL(h.url).port) })
}

async function metric(h: Harness, pattern: RegExp): Promise<number> {
  const text = (await send(`${h.adminUrl}/metrics`)).text
  const m = pattern.exec(text)
  return m === null ? Number.NaN : Number(m[1])
}

test('unfinished headers → 408 request_timeout problem+json and close within headers_timeout + sweep', async (t) => {
  const h = await gateway(t, limits())
  const partial = await openSocket(h.port, { send: 'GET /v1/pay HTTP/1.1\r\nHost: gw\r\nX-Slow: 1' })
  const silent = await openSocket(h.port)
  assert.equal(await closesWithin(partial, HEADERS_BOUND_MS), true, 'a socket with half a header block is cut')
  assert.equal(await closesWithin(silent, HEADERS_BOUND_MS), true, 'a socket that never sends a byte is cut')
  const { data } = await partial.closed
  assert.match(data, /^HTTP\/1\.1 408 /)
  assert.match(data, /content-type: application\/problem\+json/i)
  const body = responseJson(data)
  assert.equal(body['code'], 'request_timeout')
  assert.equal(body['status'], 408)
  assert.equal(typeof body['request_id'], 'string')
  assert.equal(await metric(h, /ledgix_listener_timeouts_total\{listener="gateway",kind="request"\} (\d+)/), 2)
})

test('malformed HTTP → 400 invalid_request, a header block over max_header_size → 431 headers_too_large, as problem+json, then close', async (t) => {
  const h = await gateway(t, limits())
  const s = await openSocket(h.port, { send: 'GET /v1/pay HTTP/1.1\r\nHost gw\r\n\r\n' })
  const { data } = await s.closed
  assert.match(data, /^HTTP\/1\.1 400 /)
  assert.equal(responseJson(data)['code'], 'invalid_request')
  const huge = await openSocket(h.port, { send: `GET /v1/pay HTTP/1.1\r\nHost: gw\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n` })
  const refused = (await huge.closed).data
  assert.match(refused, /^HTTP\/1\.1 431 /)
  assert.equal(responseJson(refused)['code'], 'headers_too_large')
})

test('a trickled body is cut by request_timeout even though bytes keep arriving', async (t) => {
  const h = await gateway(t, limits())
  const token = mint(h.signer)
  const s = await openSocket(h.port, { send: `POST /v1/pay HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${token}\r\nContent-Length: 1000\r\n\r\n` })
  void trickle(s, 'x'.repeat(1000), 50)
  // 800 ms deadline + 250 ms sweep + slack; far below the 50 s the trickle would take.
  assert.equal(await closesWithin(s, 800 + 250 + 1500), true)
})

test('idle keep-alive socket is closed after keep_alive_timeout; the response before it was served', async (t) => {
  const h = await gateway(t, limits())
  const token = mint(h.signer)
  const s = await openSocket(h.port, { send: `POST /v1/pay HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${token}\r\nContent-Length: 2\r\n\r\n{}` })
  const { afterMs, data } = await Promise.race([s.closed, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('keep-alive socket still open after 2 s')), 2000))])
  assert.match(data, /^HTTP\/1\.1 200 /, 'the request was answered, then the idle socket closed')
  assert.doesNotMatch(data, /connection: close/i, 'the response itself kept the connection alive')
  assert.ok(afterMs >= 250, `closed after ${afterMs} ms, not at once`)
  assert.ok((await metric(h, /ledgix_listener_timeouts_total\{listener="gateway",kind="idle"\} (\d+)/)) >= 1)
})

test('at max_connections a further connection is refused at once and counted; after the slow ones are cut a normal request succeeds', async (t) => {
  const h = await gateway(t, limits({ maxConnections: 8 }))
  const held = await openMany(h.port, 8, 'GET /v1/pay HTTP/1.1\r\n')
  t.after(() => destroyAll(held))
  const extra = await openSocket(h.port)
  assert.equal(await closesWithin(extra, 500), true, 'the 9th connection is closed promptly')
  assert.equal(extra.received(), '', 'closed before any byte is read or written')
  assert.equal(await metric(h, /ledgix_listener_refused_connections_total\{listener="gateway",reason="max_connections"\} (\d+)/), 1)
  for (const s of held) assert.equal(await closesWithin(s, HEADERS_BOUND_MS), true)
  const token = mint(h.signer)
  const ok = await send(`${h.url}/v1/pay`, { method: 'POST', headers: bearer(token), body: '{}' })
  assert.equal(ok.status, 200)
  assert.equal(h.upstream.hits, 1)
})

test('max_connections_per_ip: one address cannot take every slot; another address and trusted proxies still get in', async (t) => {
  const h = await gateway(t, limits({ maxConnectionsPerIp: 4, headersTimeoutMs: 5000, requestTimeoutMs: 5000, idleTimeoutMs: 5000 }), ['127.0.0.3'])
  const greedy = await openMany(h.port, 4, 'GET / HTTP/1.1\r\n')
  t.after(() => destroyAll(greedy))
  const fifth = await openSocket(h.port)
  assert.equal(await closesWithin(fifth, 500), true, 'the same address is refused its 5th connection')
  const other = await openSocket(h.port, { localAddress: '127.0.0.2' })
  t.after(() => other.socket.destroy())
  assert.equal(await closesWithin(other, 300), false, 'another address is not affected')
  const proxied = await Promise.all(Array.from({ length: 6 }, () => openSocket(h.port, { localAddress: '127.0.0.3' })))
  t.after(() => destroyAll(proxied))
  for (const s of proxied) assert.equal(await closesWithin(s, 100), false, 'a trusted proxy is exempt from the per-address cap')
  assert.equal(await metric(h, /ledgix_listener_refused_connections_total\{listener="gateway",reason="max_connections_per_ip"\} (\d+)/), 1)
  // A slot freed is a slot regained.
  greedy[0]!.socket.destroy()
  await greedy[0]!.closed
  await new Promise((r) => setTimeout(r, 50))
  const again = await openSocket(h.port)
  t.after(() => again.socket.destroy())
  assert.equal(await closesWithin(again, 300), false)
})

test('300 slowloris sockets do not keep a normal request from being served, and all are cut within the bound', async (t) => {
  const h = await gateway(t, limits({ maxConnections: 1000 }))
  const loris = await openMany(h.port, 300, 'GET /v1/pay HTTP/1.1\r\nHost: gw\r\n')
  t.after(() => destroyAll(loris))
  const token = mint(h.signer)
  const ok = await send(`${h.url}/v1/pay`, { method: 'POST', headers: bearer(token), body: '{}' })
  assert.equal(ok.status, 200, 'served while 300 slow sockets are open')
  const cut = await Promise.all(loris.map((s) => closesWithin(s, HEADERS_BOUND_MS + 1000)))
  assert.equal(cut.filter((c) => !c).length, 0, 'every slowloris socket is cut')
})

test('a WebSocket tunnel outlives request_timeout and idle_timeout', async (t) => {
  const h = await gateway(t, limits({ requestTimeoutMs: 300, idleTimeoutMs: 300 }))
  const ws = new WebSocket(h.url.replace('http://', 'ws://') + '/v1/stream', { headers: bearer(mint(h.signer)) })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  t.after(() => ws.close())
  // Silent for 4× both deadlines (and past several sweeps), then still echoing.
  await new Promise((r) => setTimeout(r, 1200))
  const echoed = await new Promise<string>((resolve, reject) => {
    ws.once('message', (data) => resolve(data.toString()))
    ws.once('close', () => reject(new Error('the tunnel was closed')))
    ws.send('still here')
  })
  assert.equal(echoed, 'still here')
})

test('a download streaming for longer than request_timeout and idle_timeout is delivered whole', async (t) => {
  // 12 chunks 100 ms apart: 1.2 s in all, 4× both deadlines, never silent for a whole idle_timeout.
  const source = createServer((_req, res) => {
    let sent = 0
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    const timer = setInterval(() => {
      res.write('chunk;')
      if (++sent === 12) {
        clearInterval(timer)
        res.end()
      }
    }, 100)
    res.once('close', () => clearInterval(timer))
  })
  await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    source.closeAllConnections()
    source.close()
  })
  const sourceUrl = `http://127.0.0.1:${(source.address() as AddressInfo).port}`
  const h = await startHarness({
    config: { gateway: { limits: limits({ requestTimeoutMs: 300, idleTimeoutMs: 300 }), requestTimeoutMs: 300 } },
    routes: (upstreamUrl) => [testRoute('payments', upstreamUrl), testRoute('download', sourceUrl, { match: { host: null, pathPrefix: '/dl', methods: null }, auth: 'none', tools: [] })],
  })
  t.after(() => h.close())
  const res = await request(`${h.url}/dl/file`)
  assert.equal(res.statusCode, 200)
  assert.equal(await res.body.text(), 'chunk;'.repeat(12))
})
