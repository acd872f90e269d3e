import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseDuration, parseSize } from '../../src/config/index.ts'
import { load, problemAt, problemsOf, route } from './helpers.ts'

test('an empty file loads as all-in-one with every default filled in', () => {
  const c = load('')
  assert.equal(c.mode, 'all-in-one')
  assert.deepEqual(c.gateway, {
    listen: { host: '127.0.0.1', port: 8080 },
    trustedProxies: [],
    drainTimeoutMs: 25_000,
    maxHeaderBytes: 16 * 1024,
    requestTimeoutMs: 300_000,
    maxHeaderCount: 80,
    pathRules: { rejectPercentEncoded: false },
    workers: 1,
    maxInflightBodyBytes: 128 * 1024 * 1024,
    limits: { headersTimeoutMs: 10_000, requestTimeoutMs: 300_000, idleTimeoutMs: 310_000, keepAliveTimeoutMs: 65_000, maxConnections: 16_384, maxConnectionsPerIp: 1024 },
  })
  assert.deepEqual(c.admin, {
    listen: { host: '127.0.0.1', port: 9090 },
    limits: { headersTimeoutMs: 5000, requestTimeoutMs: 10_000, idleTimeoutMs: 30_000, keepAliveTimeoutMs: 5000, maxConnections: 64, maxConnectionsPerIp: 0 },
  })
  assert.deepEqual(c.vault, { url: null, apiKey: null, timeoutMs: 3000, connections: 32 })
  assert.deepEqual(c.token, {
    issuer: 'alcv-vault',
    audience: 'ledgix-sdk',
    subject: 'clearance',
    clockSkewMs: 30_000,
    replayCacheSize: 100_000,
    requireExp: true,
  })
  assert.deepEqual(c.jwks, {
    url: null,
    refreshIntervalMs: 300_000,
    minRefreshMs: 30_000,
    maxRefreshMs: 3_600_000,
    kidMissCooldownMs: 10_000,
    maxStaleMs: 3_600_000,
    fetchTimeoutMs: 5000,
  })
  assert.deepEqual(c.routes, [])
  assert.deepEqual(c.logging, { level: 'info' })
  assert.equal(c.vaultServer.listen.port, 8000)
  assert.deepEqual(c.vaultServer.limits, { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, idleTimeoutMs: 60_000, keepAliveTimeoutMs: 65_000, maxConnections: 4096, maxConnectionsPerIp: 0 })
  assert.equal(c.vaultServer.dataDir, './data')
})

test('listener limits: set per listener, headers_timeout above request_timeout or "0s" refused with the path', () => {
  const c = load(`gateway:
  headers_timeout: 250ms
  request_timeout: 2s
  idle_timeout: 1s
  keep_alive_timeout: 500ms
  max_connections: 10
  max_connections_per_ip: 3
admin:
  max_connections: 5
vault_server:
  request_timeout: 45s
  max_connections_per_ip: 8
`)
  assert.deepEqual(c.gateway.limits, { headersTimeoutMs: 250, requestTimeoutMs: 2000, idleTimeoutMs: 1000, keepAliveTimeoutMs: 500, maxConnections: 10, maxConnectionsPerIp: 3 })
  assert.equal(c.gateway.requestTimeoutMs, 2000)
  assert.equal(c.admin.limits.maxConnections, 5)
  assert.equal(c.vaultServer.limits?.requestTimeoutMs, 45_000)
  assert.equal(c.vaultServer.limits?.maxConnectionsPerIp, 8)
  const problems = problemsOf(`gateway:
  headers_timeout: 20s
  request_timeout: 5s
admin:
  idle_timeout: 0s
vault_server:
  headers_timeout: 31s
`)
  assert.match(problemAt(problems, 'gateway.headers_timeout').message, /must not exceed request_timeout/)
  assert.match(problemAt(problems, 'admin.idle_timeout').message, /above 0/)
  assert.match(problemAt(problems, 'vault_server.headers_timeout').message, /must not exceed request_timeout \(30s\)/)
})

test('a comment-only or null document is the same as an empty one', () => {
  assert.equal(load('# nothing yet\n').mode, 'all-in-one')
  assert.equal(load('~\n').routes.length, 0)
})

test('route defaults and the upstream string shorthand', () => {
  const c = load(`routes:\n${route('crm')}`)
  assert.deepEqual(c.routes[0], {
    name: 'crm',
    match: { host: null, pathPrefix: '/crm', methods: null },
    upstream: {
      url: 'http://127.0.0.1:4000',
      connectTimeoutMs: 10_000,
      headersTimeoutMs: 300_000,
      bodyTimeoutMs: 300_000,
      keepAliveTimeoutMs: 4000,
      connections: 128,
    },
    auth: 'token',
    tools: ['t1'],
    bindArgs: 'none',
    maxBodyBytes: 1024 * 1024,
    maxInflightBodyBytes: 32 * 1024 * 1024,
    stripHeaders: [],
    forwardAuthorization: false,
    stripPrefix: false,
    websocket: true,
  })
})

test('upstream object form with pool settings; shorthand and object give the same url', () => {
  const c = load(`routes:
  - name: a
    match: { path_prefix: /a }
    upstream:
      url: HTTP://CRM.Internal:8080/api/
      connect_timeout: 250ms
      headers_timeout: 30s
      body_timeout: 1m
      keep_alive_timeout: 2s
      connections: 8
    tools: [t]
  - name: b
    match: { path_prefix: /b }
    upstream: http://crm.internal:8080/api
    tools: [t]
`)
  assert.deepEqual(c.routes[0]!.upstream, {
    url: 'http://crm.internal:8080/api',
    connectTimeoutMs: 250,
    headersTimeoutMs: 30_000,
    bodyTimeoutMs: 60_000,
    keepAliveTimeoutMs: 2000,
    connections: 8,
  })
  assert.equal(c.routes[1]!.upstream.url, c.routes[0]!.upstream.url)
})

test('normalisation: host lowercased, methods uppercased and deduplicated, headers lowercased, prefix without trailing slash', () => {
  const c = load(`routes:
  - name: a
    match:
      host: API.Example.COM
      path_prefix: /v1/Payments/
      methods: [post, Get, POST]
    upstream: http://127.0.0.1:4000/
    tools: [pay, pay, refund]
    strip_headers: [Cookie, X-Debug]
  - name: root
    match: { path_prefix: / }
    upstream: http://127.0.0.1:4000
    auth: none
`)
  const r = c.routes[0]!
  assert.deepEqual(r.match, { host: 'api.example.com', pathPrefix: '/v1/Payments', methods: ['POST', 'GET'] })
  assert.equal(r.upstream.url, 'http://127.0.0.1:4000')
  assert.deepEqual(r.tools, ['pay', 'refund'])
  assert.deepEqual(r.stripHeaders, ['cookie', 'x-debug'])
  assert.equal(c.routes[1]!.match.pathPrefix, '/')
})

test('durations and sizes in every unit', () => {
  const c = load(`gateway:
  drain_timeout: 1500ms
  request_timeout: 1.5m
  max_header_size: 32KiB
token:
  clock_skew: 0s
jwks:
  max_stale: 1d
  refresh_interval: 2h
  max_refresh: 3h
routes:
${route('a', '    max_body: 65536\n')}${route('b', '    max_body: 2mb\n')}`)
  assert.equal(c.gateway.drainTimeoutMs, 1500)
  assert.equal(c.gateway.requestTimeoutMs, 90_000)
  assert.equal(c.gateway.maxHeaderBytes, 32 * 1024)
  assert.equal(c.token.clockSkewMs, 0)
  assert.equal(c.jwks.maxStaleMs, 86_400_000)
  assert.equal(c.jwks.refreshIntervalMs, 7_200_000)
  assert.equal(c.routes[0]!.maxBodyBytes, 65536)
  assert.equal(c.routes[1]!.maxBodyBytes, 2_000_000)
  assert.equal(parseDuration('5m'), 300_000)
  assert.equal(parseSize('1mib'), 1_048_576)
})

test('a duration without unit, a numeric duration and a bad size are refused with the expected form', () => {
  const p = problemsOf('gateway:\n  drain_timeout: 30\n  request_timeout: "30 sec"\n  max_header_size: 12 parsecs\ntoken:\n  clock_skew: 30s\n')
  assert.equal(problemAt(p, 'gateway.drain_timeout').message, 'expected a duration like "30s" (units ms, s, m, h, d), got 30')
  assert.equal(problemAt(p, 'gateway.request_timeout').message, 'expected a duration like "30s" (units ms, s, m, h, d), got "30 sec"')
  assert.match(problemAt(p, 'gateway.max_header_size').message, /expected a size like "512kib" or "1mib".*got "12 parsecs"/)
  assert.equal(p.length, 3)
})

test('zero timeouts are refused where 0 would mean "wait forever" or "fail at once"', () => {
  const p = problemsOf(`vault:\n  timeout: 0s\nroutes:\n${route('a')}`.replace('upstream: http://127.0.0.1:4000', 'upstream:\n      url: http://127.0.0.1:4000\n      headers_timeout: 0ms'))
  assert.match(problemAt(p, 'vault.timeout').message, /greater than 0/)
  assert.match(problemAt(p, 'routes[0].upstream.headers_timeout').message, /greater than 0/)
})

test('workers: a number, or "auto" for one per CPU', () => {
  assert.equal(load('gateway:\n  workers: 4\n').gateway.workers, 4)
  assert.ok(load('gateway:\n  workers: auto\n').gateway.workers >= 1)
})

test('all-in-one and vault-only ignore vault.url, vault.api_key and jwks.url', () => {
  const text = (mode: string) => `mode: ${mode}\nvault:\n  url: http://vault:8000\n  api_key: k\njwks:\n  url: http://vault:8000/jwks\n`
  for (const mode of ['all-in-one', 'vault-only']) {
    const c = load(text(mode))
    assert.equal(c.vault.url, null, mode)
    assert.equal(c.vault.apiKey, null, mode)
    assert.equal(c.jwks.url, null, mode)
  }
  const paired = load(text('paired'))
  assert.equal(paired.vault.url, 'http://vault:8000')
  assert.equal(paired.vault.apiKey, 'k')
  assert.equal(paired.jwks.url, 'http://vault:8000/jwks')
})

test('the result is deeply frozen: mutation throws in strict mode', () => {
  const c = load(`routes:\n${route('a')}`)
  assert.ok(Object.isFrozen(c))
  assert.throws(() => {
    ;(c as { mode: string }).mode = 'paired'
  }, TypeError)
  assert.throws(() => {
    ;(c.gateway.listen as { port: number }).port = 1
  }, TypeError)
  assert.throws(() => {
    ;(c.routes as unknown as string[]).push('x')
  }, TypeError)
  assert.throws(() => {
    ;(c.routes[0]!.tools as string[])[0] = 'other'
  }, TypeError)
  assert.ok(Object.isFrozen(c.vaultServer))
  assert.equal(c.routes[0]!.tools[0], 't1')
})

test('two loads of the same text are independent (defaults are not shared objects)', () => {
  const a = load('')
  const b = load('')
  assert.notEqual(a.gateway, b.gateway)
  assert.notEqual(a.routes, b.routes)
})

test('issue 16: max_header_count and path_rules load; the path rule can only be tightened', () => {
  const c = load('gateway:\n  max_header_count: 120\n  path_rules:\n    reject_percent_encoded: true\n')
  assert.equal(c.gateway.maxHeaderCount, 120)
  assert.deepEqual(c.gateway.pathRules, { rejectPercentEncoded: true })
  assert.ok(problemsOf('gateway:\n  max_header_count: 2\n').some((p) => p.path === 'gateway.max_header_count'))
  assert.ok(problemsOf('gateway:\n  max_header_count: 100000\n').some((p) => p.path === 'gateway.max_header_count'))
  // No key loosens the default rule: an unknown option is a config error, not ignored.
  assert.ok(problemsOf('gateway:\n  path_rules:\n    allow_dot_segments: true\n').some((p) => p.path.startsWith('gateway.path_rules')))
})
