import { test } from 'node:test'
import assert from 'node:assert/strict'
import { load, problemAt, problemsOf, route } from './helpers.ts'

const PAIRED = 'mode: paired\nvault:\n  url: https://vault.internal:8000/\n  api_key: sk_test\n'

test('paired mode needs vault.url and vault.api_key, each named with the fix', () => {
  const p = problemsOf('mode: paired\n')
  assert.equal(p.length, 2)
  assert.match(problemAt(p, 'vault.url').message, /paired mode needs the remote Vault URL: add vault\.url/)
  assert.match(problemAt(p, 'vault.api_key').message, /paired mode needs an API key/)
  const c = load(PAIRED)
  assert.equal(c.vault.url, 'https://vault.internal:8000')
  assert.equal(c.vault.apiKey, 'sk_test')
})

test('a problem about a missing key points at the nearest line that exists', () => {
  const p = problemsOf('mode: paired\nvault:\n  timeout: 2s\n')
  assert.equal(problemAt(p, 'vault.url').line, 2)
})

test('URLs must be http(s) without credentials, query or fragment', () => {
  const cases: Array<[string, RegExp]> = [
    ['ftp://files.internal', /expected an http:\/\/ or https:\/\/ URL, got "ftp"/],
    ['not a url', /expected an http\(s\) URL like/],
    ['http://user:pw@crm.internal', /credentials in the URL are not allowed/],
    ['http://crm.internal/api?x=1', /query string is not allowed/],
    ['http://crm.internal/api#top', /fragment is not allowed/],
  ]
  for (const [url, message] of cases) {
    const shorthand = problemsOf(`routes:\n${route('a').replace('http://127.0.0.1:4000', JSON.stringify(url))}`)
    assert.match(problemAt(shorthand, 'routes[0].upstream').message, message, url)
    const object = problemsOf(`routes:\n${route('a').replace('upstream: http://127.0.0.1:4000', `upstream:\n      url: ${JSON.stringify(url)}`)}`)
    assert.match(problemAt(object, 'routes[0].upstream.url').message, message, url)
  }
  assert.match(problemAt(problemsOf(PAIRED.replace('https://vault.internal:8000/', 'vault.internal')), 'vault.url').message, /http\(s\) URL/)
  assert.match(problemAt(problemsOf(`${PAIRED}jwks:\n  url: file:///etc/jwks.json\n`), 'jwks.url').message, /got "file"/)
})

test('auth: token needs tools; auth: none must not list tools', () => {
  const p = problemsOf(`routes:
  - name: a
    match: { path_prefix: /a }
    upstream: http://127.0.0.1:1
  - name: b
    match: { path_prefix: /b }
    upstream: http://127.0.0.1:1
    auth: none
    tools: [x]
`)
  assert.equal(p.length, 2)
  assert.match(problemAt(p, 'routes[0].tools').message, /auth: token needs at least one tool name/)
  assert.equal(problemAt(p, 'routes[0].tools').line, 2)
  assert.match(problemAt(p, 'routes[1].tools').message, /not checked with auth: none/)
  assert.equal(problemAt(p, 'routes[1].tools').line, 9)
})

test('bind_args: exact needs auth: token', () => {
  const p = problemsOf('routes:\n  - name: a\n    match: {}\n    upstream: http://127.0.0.1:1\n    auth: none\n    bind_args: exact\n')
  assert.equal(problemAt(p, 'routes[0].bind_args').message, '"exact" needs auth: token (the arguments hash is a token claim)')
  assert.equal(load(`routes:\n${route('a', '    bind_args: exact\n')}`).routes[0]!.bindArgs, 'exact')
})

test('route names are unique and matches may not shadow each other', () => {
  const p = problemsOf(`routes:
${route('a')}${route('a').replace('/a', '/other')}  - name: c
    match: { path_prefix: /a/ }
    upstream: http://127.0.0.1:1
    tools: [t]
`)
  assert.match(problemAt(p, 'routes[1].name').message, /duplicate route name "a" \(also routes\[0\]\)/)
  assert.match(problemAt(p, 'routes[2].match').message, /same host, path_prefix and methods as routes\[0\] \("a"\)/)
})

test('same prefix with disjoint methods or different hosts is allowed', () => {
  const c = load(`routes:
  - name: read
    match: { path_prefix: /x, methods: [GET] }
    upstream: http://127.0.0.1:1
    tools: [t]
  - name: write
    match: { path_prefix: /x, methods: [POST] }
    upstream: http://127.0.0.1:1
    tools: [t]
  - name: other-host
    match: { path_prefix: /x, host: b.example }
    upstream: http://127.0.0.1:1
    tools: [t]
`)
  assert.equal(c.routes.length, 3)
  const p = problemsOf(`routes:
  - name: read
    match: { path_prefix: /x, methods: [get, post] }
    upstream: http://127.0.0.1:1
    tools: [t]
  - name: write
    match: { path_prefix: /x/, methods: [POST] }
    upstream: http://127.0.0.1:1
    tools: [t]
`)
  assert.match(problemAt(p, 'routes[1].match').message, /routes\[0\] \("read"\)/)
})

test('path prefixes must be plain paths', () => {
  for (const bad of ['v1', '/a//b', '/a/../b', '/a/./b', '/a%2Fb', '/a?x', '/a#b']) {
    const p = problemsOf(`routes:\n${route('a').replace('path_prefix: /a', `path_prefix: ${JSON.stringify(bad)}`)}`)
    assert.match(problemAt(p, 'routes[0].match.path_prefix').message, new RegExp(`got ${JSON.stringify(JSON.stringify(bad)).slice(1, -1).replace(/[?.]/g, '\\$&')}`), bad)
  }
})

test('trusted proxies must be IPs or CIDRs, and never everyone', () => {
  const c = load('gateway:\n  trusted_proxies: [10.0.0.0/8, 127.0.0.1, "::1", "fd00::/8"]\n')
  assert.deepEqual(c.gateway.trustedProxies, ['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8'])
  const p = problemsOf('gateway:\n  trusted_proxies:\n    - proxy.internal\n    - 10.0.0.0/33\n    - 0.0.0.0/0\n    - "::/0"\n    - 10.0.0.1/8/9\n')
  assert.match(problemAt(p, 'gateway.trusted_proxies[0]').message, /expected an IP address or CIDR/)
  assert.equal(problemAt(p, 'gateway.trusted_proxies[0]').line, 3)
  assert.match(problemAt(p, 'gateway.trusted_proxies[1]').message, /expected an IP address or CIDR/)
  assert.match(problemAt(p, 'gateway.trusted_proxies[2]').message, /trusts every address/)
  assert.match(problemAt(p, 'gateway.trusted_proxies[3]').message, /trusts every address/)
  assert.match(problemAt(p, 'gateway.trusted_proxies[4]').message, /expected an IP address or CIDR/)
})

test('listeners the mode starts may not share a port; port 0 and unused listeners never clash', () => {
  const p = problemsOf('gateway:\n  listen: { port: 9000 }\nvault_server:\n  listen: { port: 9000, host: 0.0.0.0 }\n')
  assert.match(problemAt(p, 'vault_server.listen.port').message, /port 9000 is already used by gateway\.listen/)
  assert.equal(problemAt(p, 'vault_server.listen.port').line, 4)
  const q = problemsOf('admin:\n  listen: { port: 8000 }\n')
  assert.match(problemAt(q, 'admin.listen.port').message, /port 8000 is already used by vault_server\.listen/)
  load('gateway:\n  listen: { port: 0 }\nadmin:\n  listen: { port: 0 }\nvault_server:\n  listen: { port: 0 }\n')
  load('admin:\n  listen: { port: 8000, host: 127.0.0.2 }\n')
  // vault-only starts no gateway, paired no embedded Vault.
  load('mode: vault-only\ngateway:\n  listen: { port: 8000 }\n')
  load(`${PAIRED}vault_server:\n  listen: { port: 8080 }\n`)
})

test('all-in-one: token issuer and audience must match what the embedded Vault mints', () => {
  const p = problemsOf('token:\n  issuer: my-vault\n  audience: my-sdk\n')
  assert.match(problemAt(p, 'token.issuer').message, /differs from vault_server\.issuer "alcv-vault"/)
  assert.match(problemAt(p, 'token.audience').message, /differs from vault_server\.audience "ledgix-sdk"/)
  load('token:\n  issuer: my-vault\nvault_server:\n  issuer: my-vault\n')
  load(`${PAIRED}token:\n  issuer: my-vault\n`)
})

test('vault-only mode refuses routes', () => {
  const p = problemsOf(`mode: vault-only\nroutes:\n${route('a')}`)
  assert.match(problemAt(p, 'routes').message, /vault-only mode runs no gateway/)
})

test('clock skew is capped and JWKS refresh bounds must be ordered', () => {
  const p = problemsOf('token:\n  clock_skew: 10m\njwks:\n  min_refresh: 2h\n  max_refresh: 1h\n')
  assert.match(problemAt(p, 'token.clock_skew').message, /at most "5m"/)
  assert.match(problemAt(p, 'jwks.min_refresh').message, /must not exceed jwks\.max_refresh/)
})

test('max_header_size below 1 KiB is refused', () => {
  assert.match(problemAt(problemsOf('gateway:\n  max_header_size: 512\n'), 'gateway.max_header_size').message, /at least 1024 bytes/)
})
