import { test } from 'node:test'
import assert from 'node:assert/strict'
import { extractBearer } from '../../src/gateway/bearer.ts'
import { DEFAULT_PATH_RULES, checkPath } from '../../src/gateway/request-target.ts'
import { TrustedProxies } from '../../src/gateway/trusted-proxies.ts'
import { interpretBurn, parseMaxAge } from '../../src/gateway/index.ts'
import { responseHeaderList } from '../../src/gateway/header-policy.ts'
import { ReplayCache } from '../../src/gateway/replay-cache.ts'

test('extractBearer: exactly one Authorization with scheme Bearer', () => {
  assert.deepEqual(extractBearer([]), { ok: false, code: 'token_missing', detail: 'Send the A-JWT as "Authorization: Bearer <token>".' })
  assert.deepEqual(extractBearer(['Authorization', 'Bearer abc']), { ok: true, token: 'abc' })
  assert.deepEqual(extractBearer(['authorization', 'BEARER   abc  ']), { ok: true, token: 'abc' })
  const cases: [string[], string][] = [
    [['Authorization', 'Bearer a', 'AUTHORIZATION', 'Bearer b'], 'token_malformed'],
    [['Authorization', 'Basic abc'], 'token_malformed'],
    [['Authorization', 'Bearerabc'], 'token_malformed'],
    [['Authorization', 'Bearer '], 'token_malformed'],
    [['Authorization', ''], 'token_malformed'],
    [['X-Authorization', 'Bearer abc'], 'token_missing'],
  ]
  for (const [raw, code] of cases) {
    const result = extractBearer(raw)
    assert.equal(result.ok, false, JSON.stringify(raw))
    if (!result.ok) assert.equal(result.code, code, JSON.stringify(raw))
  }
})

// '/v1/%20' was accepted before issue 16: a segment ending in a space is now refused (Windows strips it).
test('checkPath refuses dot segments, encoded separators and non-origin-form targets', () => {
  for (const ok of ['/', '/v1', '/v1/x.json', '/v1/..x', '/v1/%20x', '/a/.well-known/x']) assert.equal(checkPath(ok, DEFAULT_PATH_RULES), null, ok)
  for (const bad of ['/v1/../admin', '/v1/./x', '/v1/..', '/v1/%2e%2e/admin', '/v1/%2E./x', '/v1%2fadmin', '/v1\\admin', 'http://x/v1', '*', '/v1/%20']) {
    assert.notEqual(checkPath(bad, DEFAULT_PATH_RULES), null, bad)
  }
})

test('TrustedProxies: CIDRs and addresses, IPv4-mapped peers, nothing trusted by default', () => {
  const none = new TrustedProxies([])
  assert.equal(none.isTrusted('127.0.0.1'), false)
  const list = new TrustedProxies(['10.0.0.0/8', '127.0.0.1', 'fd00::/8'])
  assert.equal(list.isTrusted('10.2.3.4'), true)
  assert.equal(list.isTrusted('::ffff:10.2.3.4'), true)
  assert.equal(list.isTrusted('127.0.0.1'), true)
  assert.equal(list.isTrusted('127.0.0.2'), false)
  assert.equal(list.isTrusted('fd12::1'), true)
  assert.equal(list.isTrusted('2001:db8::1'), false)
  assert.equal(list.isTrusted(undefined), false)
  assert.throws(() => new TrustedProxies(['10.0.0.0/33']), /prefix length/)
  assert.throws(() => new TrustedProxies(['proxy.internal']), /not an IP address/)
})

test('interpretBurn maps /consume-token answers; anything unexpected is vault_unavailable', () => {
  assert.deepEqual(interpretBurn(200, '{"valid":true,"jti":"j"}'), { ok: true })
  const code = (status: number, body: string): string => {
    const r = interpretBurn(status, body)
    return r.ok ? 'ok' : r.code
  }
  assert.equal(code(200, '{"valid":false}'), 'vault_unavailable')
  assert.equal(code(200, 'not json'), 'vault_unavailable')
  assert.equal(code(409, ''), 'token_replayed')
  assert.equal(code(403, '{"code":"agent_locked"}'), 'agent_locked')
  assert.equal(code(403, '{"error":"agent_locked"}'), 'agent_locked')
  assert.equal(code(403, '{"code":"forbidden"}'), 'vault_unavailable')
  assert.equal(code(401, '{"code":"token_expired"}'), 'token_expired')
  assert.equal(code(401, '{"code":"api_key_invalid"}'), 'vault_unavailable')
  for (const status of [201, 204, 400, 404, 429, 500, 502, 503]) assert.equal(code(status, '{}'), 'vault_unavailable', String(status))
})

test('parseMaxAge reads Cache-Control max-age in seconds', () => {
  assert.equal(parseMaxAge('public, max-age=300'), 300)
  assert.equal(parseMaxAge('max-age="60", must-revalidate'), 60)
  assert.equal(parseMaxAge(['no-transform', 'max-age=5']), 5)
  assert.equal(parseMaxAge('s-maxage=10'), null)
  assert.equal(parseMaxAge('no-store'), null)
  assert.equal(parseMaxAge(undefined), null)
})

test('responseHeaderList drops hop-by-hop and Connection-named headers, keeps repeated fields, adds ours last', () => {
  const upstream = {
    connection: 'x-secret', 'x-secret': '1', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked',
    'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/plain', 'x-ledgix-request-id': 'spoofed',
  }
  assert.deepEqual(responseHeaderList(upstream, 'req-1', false), ['set-cookie', 'a=1', 'set-cookie', 'b=2', 'content-type', 'text/plain', 'x-ledgix-request-id', 'req-1'])
  assert.deepEqual(responseHeaderList({ 'content-length': '2' }, 'req-2', true), ['content-length', '2', 'x-ledgix-request-id', 'req-2', 'connection', 'close'])
})

test('ReplayCache: pending then burned, release only while pending, expiry past exp + margin, bounded size', () => {
  const now = 1_800_000_000_000
  const exp = now / 1000 + 60
  const cache = new ReplayCache(3)
  assert.equal(cache.has('a', now), false)
  cache.markPending('a', exp, now)
  assert.equal(cache.has('a', now), true)
  cache.release('a')
  assert.equal(cache.has('a', now), false, 'a failed burn lets the client retry')
  cache.markPending('a', exp, now)
  cache.markBurned('a', exp, now)
  cache.release('a')
  assert.equal(cache.has('a', now), true, 'a burned jti is never released')
  // Remembered until exp + 60 s (clock skew margin), then forgotten.
  assert.equal(cache.has('a', now + 119_999), true)
  assert.equal(cache.has('a', now + 120_000), false)
  assert.equal(cache.size, 0)
  // At capacity the oldest entry goes; the youngest stay.
  for (const jti of ['b', 'c', 'd', 'e']) cache.markBurned(jti, exp, now)
  assert.equal(cache.size, 3)
  assert.deepEqual(['b', 'c', 'd', 'e'].map((j) => cache.has(j, now)), [false, true, true, true])
  // Expired entries hold a slot only until LRU eviction or the read that finds them (lru-cache:
  // no sweep, no timer); they are never reported as burned.
  cache.markBurned('f', exp + 1000, now + 200_000)
  assert.ok(cache.size <= 3, `bounded (size ${cache.size})`)
  assert.deepEqual(['c', 'd', 'e'].map((j) => cache.has(j, now + 200_000)), [false, false, false])
  assert.equal(cache.size, 1, 'the reads dropped the expired entries')
  assert.equal(cache.has('f', now + 200_000), true)
  // No exp claim: remembered for a day.
  cache.markBurned('g', null, now)
  assert.equal(cache.has('g', now + 23 * 3600_000), true)
  assert.equal(cache.has('g', now + 24 * 3600_000 + 1), false)
})

test('ReplayCache: a clock at 0 and a fractional exp still expire; no timer is ever set', (t) => {
  const setTimeoutSpy = t.mock.method(globalThis, 'setTimeout')
  const cache = new ReplayCache(10)
  // lru-cache reads a start time of 0 as "no TTL": the cache must not inherit that at epoch 0.
  cache.markBurned('zero', 10, 0)
  assert.equal(cache.has('zero', 69_999), true)
  assert.equal(cache.has('zero', 70_000), false)
  // NumericDate may be fractional (RFC 7519 §2); lru-cache wants whole-millisecond TTLs.
  cache.markBurned('frac', 100.5, 0)
  assert.equal(cache.has('frac', 160_499), true)
  assert.equal(cache.has('frac', 160_500), false)
  assert.equal(setTimeoutSpy.mock.callCount(), 0, 'no per-entry purge timers, no ttlResolution timers')
})
