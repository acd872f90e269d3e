// The Vault's fast path (src/vault/fast-path.ts) answers exactly like the fastify routes it fronts:
// every case goes once to `/consume-token` or `/request-clearance` (the fast path) and once with a
// trailing slash (fastify's route, same handler), and the two answers must match in status, headers
// and body, up to the request id and the freshly minted values. The fast path's request counter
// proves which side answered.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { request } from 'undici'
import { createRootLogger } from '../../src/observability/index.ts'
import { LogSink } from '../helpers/gateway-harness.ts'
import { ADMIN_KEY, call, registerPayments, startHarness, type Harness } from './helpers.ts'

interface Answer {
  status: number
  headers: Record<string, unknown>
  body: Record<string, unknown> | null
}

const VARYING = new Set(['request_id', 'jti', 'token'])

async function send(h: Harness, path: string, headers: Record<string, string>, body: string | undefined): Promise<Answer> {
  const res = await request(h.base + path, { method: 'POST', headers, ...(body === undefined ? {} : { body }) })
  const text = await res.body.text()
  const { date: _date, ...rest } = res.headers
  let parsed: Record<string, unknown> | null = null
  try {
    parsed = JSON.parse(text) as Record<string, unknown>
  } catch {
    parsed = null
  }
  if (parsed !== null && typeof parsed === 'object') for (const k of VARYING) if (k in parsed) parsed[k] = typeof parsed[k]
  return { status: res.statusCode, headers: rest, body: parsed }
}

function fastCount(h: Harness): number {
  return h.server.app.vaultFastPath.handled
}

/** Sends one case to the fast path and to fastify's route; asserts equal answers; returns the fast one. */
async function same(h: Harness, route: string, headers: Record<string, string>, body: string | undefined | (() => Promise<string>), fast: boolean): Promise<Answer> {
  const [first, second] = typeof body === 'function' ? [await body(), await body()] : [body, body]
  const before = fastCount(h)
  const a = await send(h, route, headers, first)
  assert.equal(fastCount(h) - before, fast ? 1 : 0, `${route} ${first?.slice(0, 60)}: fast path ${fast ? 'answers' : 'hands over'}`)
  const b = await send(h, `${route}/`, headers, second)
  assert.equal(fastCount(h) - before, fast ? 1 : 0, 'fastify answered the trailing-slash twin')
  assert.deepEqual(a, b, `${route} ${typeof body === 'string' ? body.slice(0, 60) : ''}`)
  return a
}

async function approvedToken(h: Harness): Promise<string> {
  const res = await call(h.base, 'POST', '/request-clearance', {
    key: h.keys.agent,
    body: { tool_name: 'create_stripe_payment', tool_args: { amount: 10 }, agent_id: 'payments-agent', session_id: 's-1', context: { policy_id: 'payments-prod' } },
  })
  assert.equal(res.body.status, 'approved', res.text)
  return res.body.token as string
}

test('the HTTP suites run through the fast path: a plain consume and clearance are answered there', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const before = fastCount(h)
  const token = await approvedToken(h)
  const res = await call(h.base, 'POST', '/consume-token', { key: h.keys.agent, body: { token } })
  assert.equal(res.status, 200)
  assert.equal(fastCount(h) - before, 2)
  await call(h.base, 'POST', '//request-clearance', { key: h.keys.agent, body: { tool_name: 'ping' } })
  await call(h.base, 'POST', '/request-clearance?x=1', { key: h.keys.agent, body: { tool_name: 'ping' } })
  await call(h.base, 'GET', '/consume-token', { key: h.keys.agent })
  assert.equal(fastCount(h) - before, 2, '`//x`, query strings and other methods stay with fastify')
})

test('consume edge cases answer alike on both paths: media type, size, JSON, schema, keys, replay', async (t) => {
  const h = await startHarness(t, { config: { maxBodyBytes: 2048 } })
  await registerPayments(h)
  const json = { 'content-type': 'application/json', 'x-vault-api-key': h.keys.agent }
  const ok = await same(h, '/consume-token', json, async () => JSON.stringify({ token: await approvedToken(h) }), true)
  assert.equal(ok.status, 200)
  assert.deepEqual(Object.keys(ok.body!).sort(), ['agent_id', 'jti', 'policy_id', 'session_id', 'tool_name', 'valid'])
  const token = await approvedToken(h)
  await call(h.base, 'POST', '/consume-token', { key: h.keys.agent, body: { token } })
  const replay = await same(h, '/consume-token', json, JSON.stringify({ token }), true)
  assert.equal(replay.status, 409)
  const cases: Array<[string, Record<string, string>, string | undefined, boolean, number]> = [
    ['charset', { ...json, 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ token: 'a.b.c' }), true, 401],
    ['wrong media type', { ...json, 'content-type': 'text/plain' }, '{"token":"x"}', false, 415],
    ['no media type', { 'x-vault-api-key': h.keys.agent }, '{"token":"x"}', false, 415],
    ['oversized', json, JSON.stringify({ token: 'x'.repeat(4096) }), false, 413],
    ['empty body', json, '', false, 400],
    ['bad JSON', json, '{"token": ', true, 400],
    ['proto poisoning', json, '{"token":"x","__proto__":{"a":1}}', true, 400],
    ['constructor poisoning', json, '{"token":"x","constructor":{"prototype":{"a":1}}}', true, 400],
    ['array', json, '[]', true, 400],
    ['null', json, 'null', true, 400],
    ['string', json, '"token"', true, 400],
    ['missing token', json, '{"jti":"x"}', true, 400],
    ['token not a string', json, '{"token":42}', true, 400],
    ['empty token', json, '{"token":""}', true, 400],
    ['malformed token', json, '{"token":"not.a.token","extra":1}', true, 401],
    ['missing key', { 'content-type': 'application/json' }, '{"token":"x"}', true, 401],
    ['empty key', { ...json, 'x-vault-api-key': '' }, '{"token":"x"}', true, 401],
    ['unknown key', { ...json, 'x-vault-api-key': 'sk_test_nope' }, '{"token":"x"}', true, 401],
    ['overlong key', { ...json, 'x-vault-api-key': 'k'.repeat(600) }, '{"token":"x"}', true, 401],
    ['other tenant', { ...json, 'x-vault-api-key': h.keys.bAgent }, JSON.stringify({ token }), true, 401],
  ]
  for (const [name, headers, body, fast, status] of cases) {
    const answer = await same(h, '/consume-token', headers, body, fast)
    assert.equal(answer.status, status, name)
    if (status >= 400) assert.match(String(answer.headers['content-type']), /^application\/problem\+json/, name)
  }
  const revoke = await call(h.base, 'GET', `/admin/tenants/${h.tenantA}/api-keys`, { headers: { 'x-admin-api-key': ADMIN_KEY } })
  const agentKey = revoke.body.api_keys.find((k: { name: string }) => k.name === 'agent')
  assert.equal((await call(h.base, 'DELETE', `/admin/tenants/${h.tenantA}/api-keys/${agentKey.key_id}`, { headers: { 'x-admin-api-key': ADMIN_KEY } })).status, 200)
  const revoked = await same(h, '/consume-token', json, JSON.stringify({ token: 'x' }), true)
  assert.equal(revoked.status, 401)
  assert.equal(revoked.body!.code, 'api_key_invalid', 'a revoked key is refused by the very next request')
})

test('clearance edge cases answer alike on both paths: schema details, code points, Idempotency-Key', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const json = { 'content-type': 'application/json', 'x-vault-api-key': h.keys.agent }
  // Identifiers are ASCII (src/core/identifier.ts), so an astral name is refused either way: by the
  // pattern within 128 code points (256 UTF-16 units), by maxLength past them — both paths count alike.
  const astral = '\u{1F600}'.repeat(128)
  const cases: Array<[unknown, number]> = [
    [{ tool_name: 'create_stripe_payment', tool_args: { amount: 10 }, agent_id: 'a', session_id: 's', context: { policy_id: 'payments-prod' } }, 200],
    [{ tool_name: 'ping', human_principal: 'u' }, 200],
    [{ tool_name: 'x'.repeat(128), agent_id: 'a'.repeat(128), session_id: 'free text, 1/2', context: { policy_id: '' } }, 200],
    [{ tool_name: astral }, 400],
    [{ tool_name: `${astral}x` }, 400],
    [{ tool_name: 'x'.repeat(129) }, 400],
    [{ tool_name: 'x'.repeat(257) }, 400],
    [{ tool_name: 'x', agent_id: '' }, 400],
    [{ tool_name: 'x', agent_id: 'agént' }, 400],
    [{ tool_name: 'x', session_id: ' padded' }, 400],
    [{ tool_name: 'x', session_id: 'tab\there' }, 400],
    [{ tool_name: 'x', context: { policy_id: 'has/slash' } }, 400],
    [{ tool_name: 'x', context: { policy_id: 7 } }, 400],
    [{ tool_name: '' }, 400],
    [{ tool_name: null }, 400],
    [{ tool_args: 'x' }, 400],
    [{ tool_name: 'x', tool_args: [1] }, 400],
    [{ tool_name: 'x', tool_args: null }, 400],
    [{ tool_name: 'x', agent_id: 7 }, 400],
    [{ tool_name: 'x', agent_id: 'a'.repeat(257) }, 400],
    [{ tool_name: 'x', session_id: false }, 400],
    [{ tool_name: 'x', context: 'c' }, 400],
    [{ tool_name: 'x', context: [] }, 400],
    [{ tool_name: 7, tool_args: 'x', agent_id: 1 }, 400],
  ]
  for (const [body, status] of cases) {
    const answer = await same(h, '/request-clearance', json, JSON.stringify(body), true)
    assert.equal(answer.status, status, JSON.stringify(body).slice(0, 80))
  }
  const badKey = await same(h, '/request-clearance', { ...json, 'idempotency-key': 'k'.repeat(300) }, '{"tool_name":"ping"}', true)
  assert.equal(badKey.status, 400)
  const body = JSON.stringify({ tool_name: 'ping' })
  const first = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, headers: { 'idempotency-key': 'idem-1' }, body })
  const retried = await call(h.base, 'POST', '/request-clearance/', { key: h.keys.agent, headers: { 'idempotency-key': 'idem-1' }, body })
  assert.equal(retried.body.request_id, first.body.request_id, 'one Idempotency-Key, one decision, whichever path answers')
  const conflict = await same(h, '/request-clearance', { ...json, 'idempotency-key': 'idem-1' }, '{"tool_name":"other"}', true)
  assert.equal(conflict.status, 409)
})

test('rate limit: 429 with Retry-After on the fast path as on fastify', async (t) => {
  const h = await startHarness(t, { config: { rateLimit: { requestsPerSecond: 0.001, burst: 1 } } })
  const json = { 'content-type': 'application/json', 'x-vault-api-key': h.keys.agent }
  assert.equal((await send(h, '/consume-token', json, '{"token":"a.b.c"}')).status, 401)
  const limited = await same(h, '/consume-token', json, '{"token":"a.b.c"}', true)
  assert.equal(limited.status, 429)
  assert.match(String(limited.headers['retry-after']), /^[1-9][0-9]*$/)
})

test('a client that leaves mid-body costs nothing; the next request is answered', async (t) => {
  const h = await startHarness(t)
  const before = fastCount(h)
  await new Promise<void>((resolve, reject) => {
    const socket = connect(h.server.port, '127.0.0.1', () => {
      socket.write(`POST /consume-token HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-vault-api-key: ${h.keys.agent}\r\ncontent-length: 100\r\n\r\n{"token":`)
      setTimeout(() => {
        socket.destroy()
        resolve()
      }, 50)
    })
    socket.on('error', reject)
  })
  assert.equal(fastCount(h) - before, 1)
  const res = await call(h.base, 'POST', '/consume-token', { key: h.keys.agent, body: { token: 'a.b.c' } })
  assert.equal(res.status, 401)
  assert.equal(res.body.code, 'token_malformed')
})

test('one access line per request with the same fields on both paths, and no secrets', async (t) => {
  const sink = new LogSink()
  // As serve.ts makes it: the root logger's child for the Vault.
  const h = await startHarness(t, { logger: createRootLogger({ level: 'info', destination: sink }).child({ component: 'vault' }) })
  const json = { 'content-type': 'application/json', 'x-vault-api-key': h.keys.agent }
  await same(h, '/consume-token', json, '{"token":"a.b.c"}', true)
  const lines = sink.lines.filter((l) => l['msg'] === 'vault request')
  assert.equal(lines.length, 2)
  const [fast, slow] = lines as [Record<string, unknown>, Record<string, unknown>]
  assert.deepEqual(Object.keys(fast), Object.keys(slow))
  for (const k of ['level', 'service', 'component', 'method', 'route', 'status', 'msg']) assert.equal(fast[k], slow[k], k)
  assert.match(String(fast['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  assert.equal(typeof fast['duration_ms'], 'number')
  assert.equal(fast['route'], '/consume-token')
  assert.match(String(fast['reqId']), /^[0-9a-f-]{36}$/)
  assert.equal(sink.raw.some((l) => l.includes(h.keys.agent)), false, 'the API key is never logged')
})
