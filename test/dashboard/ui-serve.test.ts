// Serving /ui/ (contract docs/design/dashboard.md §2): the exact security headers on every answer, the
// HTML shell with the boot JSON, content-hashed assets with strong ETags and 304s, and the static
// "use HTTPS or localhost" page for plain HTTP on a non-loopback host.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { IncomingHttpHeaders } from 'node:http'
import { send } from '../helpers/http-client.ts'
import { startHarness } from '../vault/helpers.ts'
import type { IncomingMessage } from 'node:http'
import { DEFAULT_DASHBOARD_CONFIG } from '../../src/config/index.ts'
import { bootScript, isInsecureOrigin } from '../../src/vault/dashboard/serve.ts'

const EXACT_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), usb=(), payment=()',
}

function assertSecurityHeaders(headers: IncomingHttpHeaders, what: string): void {
  for (const [name, value] of Object.entries(EXACT_HEADERS)) assert.equal(headers[name], value, `${what}: ${name}`)
  assert.equal(headers['strict-transport-security'], undefined, `${what}: no HSTS over plain HTTP`)
}

function bootOf(html: string): Record<string, unknown> {
  const m = /<script type="application\/json" id="boot">([^<]*)<\/script>/.exec(html)
  assert.ok(m !== null, 'the page carries the boot block')
  return JSON.parse(m[1]!) as Record<string, unknown>
}

function assetNames(html: string): string[] {
  return [...html.matchAll(/\/ui\/assets\/([A-Za-z0-9._-]+)/g)].map((m) => m[1]!)
}

test('GET /ui/ and every page route: the shell with boot JSON, no-store, exact security headers', async (t) => {
  const h = await startHarness(t)
  for (const path of ['/ui/', '/ui', '/ui/reviews', '/ui/some/deep/route']) {
    const r = await send(`${h.base}${path}`)
    assert.equal(r.status, 200, path)
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8', path)
    assert.equal(r.headers['cache-control'], 'no-store', path)
    assertSecurityHeaders(r.headers, path)
    const boot = bootOf(r.text)
    assert.equal(boot['setup_required'], true)
    assert.equal(boot['user'], null)
    assert.equal(boot['insecure_http'], false)
    assert.ok(Number.isFinite(Date.parse(String(boot['server_time']))), 'server time for clock-skew-free timers')
    assert.ok(!r.text.includes('<!--BOOT-->'))
  }
  const head = await send(`${h.base}/ui/`, { method: 'HEAD' })
  assert.equal(head.status, 200)
  assertSecurityHeaders(head.headers, 'HEAD /ui/')
})

test('assets: content-hashed names, strong ETag, immutable caching, 304 on If-None-Match, 404 with the headers', async (t) => {
  const h = await startHarness(t)
  const names = assetNames((await send(`${h.base}/ui/`)).text)
  assert.equal(names.length, 3, `icon, CSS and JS: ${names.join(', ')}`)
  for (const name of names) {
    assert.match(name, /^(app|icon)-[A-Z0-9]{8}\.(js|css|svg)$/)
    const r = await send(`${h.base}/ui/assets/${name}`)
    assert.equal(r.status, 200, name)
    assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable')
    assert.match(String(r.headers['etag']), /^"[A-Za-z0-9_-]{43}"$/)
    assertSecurityHeaders(r.headers, name)
    const type = name.endsWith('.js') ? 'text/javascript; charset=utf-8' : name.endsWith('.css') ? 'text/css; charset=utf-8' : 'image/svg+xml'
    assert.equal(r.headers['content-type'], type)
    const again = await send(`${h.base}/ui/assets/${name}`, { headers: { 'if-none-match': String(r.headers['etag']) } })
    assert.equal(again.status, 304, name)
    assert.equal(again.text, '')
    assert.equal(again.headers['etag'], r.headers['etag'])
    assertSecurityHeaders(again.headers, `${name} 304`)
    const stale = await send(`${h.base}/ui/assets/${name}`, { headers: { 'if-none-match': '"something-else"' } })
    assert.equal(stale.status, 200)
  }
  for (const path of ['/ui/assets/app-00000000.js', '/ui/favicon.ico', '/ui/api/nothing-here']) {
    const missing = await send(`${h.base}${path}`)
    assert.equal(missing.status, 404, path)
    assert.match(String(missing.headers['content-type']), /^application\/problem\+json/)
    assert.equal(missing.headers['cache-control'], 'no-store')
    assertSecurityHeaders(missing.headers, path)
  }
})

test('plain HTTP on a non-loopback host: one static "use HTTPS or localhost" page, no script, on every /ui/ route', async (t) => {
  const h = await startHarness(t)
  const port = new URL(h.base).port
  const assets = assetNames((await send(`${h.base}/ui/`)).text)
  for (const path of ['/ui/', '/ui/reviews', `/ui/assets/${assets[0]}`]) {
    const r = await send(`${h.base}${path}`, { headers: { host: `vault.test:${port}` } })
    assert.equal(r.status, 403, path)
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8')
    assert.equal(r.headers['cache-control'], 'no-store')
    assertSecurityHeaders(r.headers, path)
    assert.match(r.text, /Open the dashboard over HTTPS or on localhost/)
    assert.ok(!/<script|<style|style=|<form/i.test(r.text), 'a static page: nothing to block, nothing to submit')
  }
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `app.localhost:${port}`]) {
    assert.equal((await send(`${h.base}/ui/`, { headers: { host } })).status, 200, host)
  }
})

test('vault_server.dashboard.allow_insecure_http: the app is served and the boot JSON asks for the warning banner', async (t) => {
  const h = await startHarness(t, { config: { dashboard: { ...DEFAULT_DASHBOARD_CONFIG, allowInsecureHttp: true } } })
  const port = new URL(h.base).port
  const r = await send(`${h.base}/ui/`, { headers: { host: `vault.test:${port}` } })
  assert.equal(r.status, 200)
  assert.equal(bootOf(r.text)['insecure_http'], true)
  assertSecurityHeaders(r.headers, 'insecure allowed')
})

test('boot JSON cannot end its script element or open a comment, whatever the strings hold', () => {
  const hostile = { user: { email: '</script><script>alert(1)</script>', note: '<!-- -->', amp: 'a&b' } }
  const html = bootScript(hostile)
  const inner = html.slice(html.indexOf('>') + 1, html.lastIndexOf('</script>'))
  assert.ok(!inner.includes('<') && !inner.includes('>'), inner)
  assert.deepEqual(JSON.parse(inner), hostile)
})

function fakeRequest(host: string | undefined, headers: Record<string, string> = {}): IncomingMessage {
  return { headers: { ...(host === undefined ? {} : { host }), ...headers }, socket: {} } as unknown as IncomingMessage
}

test('insecure origin = plain HTTP on a host browsers do not treat as secure; X-Forwarded-Proto counts only with trust_proxy', () => {
  const plain = DEFAULT_DASHBOARD_CONFIG
  for (const host of ['127.0.0.1', '127.0.0.1:8000', '127.9.8.7:1', 'localhost', 'LOCALHOST:80', 'x.localhost:1', '[::1]:8000']) {
    assert.equal(isInsecureOrigin(fakeRequest(host), plain), false, host)
  }
  for (const host of ['vault.test', '10.0.0.1:8000', '127.0.0.1.evil.test', 'localhost.evil.test', '[::2]:1', '128.0.0.1', undefined, '']) {
    assert.equal(isInsecureOrigin(fakeRequest(host), plain), true, String(host))
  }
  const proxied = fakeRequest('vault.example.com', { 'x-forwarded-proto': 'https' })
  assert.equal(isInsecureOrigin(proxied, plain), true, 'a forwarded header from an untrusted peer proves nothing')
  assert.equal(isInsecureOrigin(proxied, { ...plain, trustProxy: true }), false)
  assert.equal(isInsecureOrigin({ headers: { host: 'vault.example.com' }, socket: { encrypted: true } } as unknown as IncomingMessage, plain), false, 'TLS on the socket')
})

test('behind a trusted TLS proxy (trust_proxy): X-Forwarded-Proto https serves the app on any host', async (t) => {
  const h = await startHarness(t, { config: { dashboard: { ...DEFAULT_DASHBOARD_CONFIG, trustProxy: true } } })
  const r = await send(`${h.base}/ui/`, { headers: { host: 'vault.example.com', 'x-forwarded-proto': 'https' } })
  assert.equal(r.status, 200)
  assert.equal(bootOf(r.text)['insecure_http'], false)
  assert.equal((await send(`${h.base}/ui/`, { headers: { host: 'vault.example.com' } })).status, 403)
})
