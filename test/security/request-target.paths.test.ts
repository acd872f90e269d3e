// Issue 16 class 4: paths an upstream may normalise differently from the gateway's prefix match
// ('..;', '%2e%2e', '..%3b', '%252e', overlong '%c0%ae', '%u002e', '..%00', trailing space, '//')
// are refused with 400 path_not_canonical on every route kind — auth: none, token, WebSocket
// upgrade — before matching: the upstream is never called and no token is burned.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { startHarness, testRoute } from '../helpers/gateway-harness.ts'
import type { Harness } from '../helpers/gateway-harness.ts'
import { rawRequest } from '../helpers/http-client.ts'
import { mint } from '../helpers/tokens.ts'

/** [path suffix after the route prefix, the reason named in the detail]. */
const HOSTILE: readonly [string, string][] = [
  ['/../admin', 'dot_segment'],
  ['/./admin', 'dot_segment'],
  ['/.../admin', 'dot_segment'],
  ['/..', 'dot_segment'],
  ['/..;/admin', 'path_parameter'],
  ['/..;x=1/admin', 'path_parameter'],
  [';jsessionid=1/admin', 'path_parameter'],
  ['/..%3b/admin', 'path_parameter'],
  ['/..%3B/admin', 'path_parameter'],
  ['/%2e%2e;/admin', 'encoded_unreserved'],
  ['/%2e%2e/admin', 'encoded_unreserved'],
  ['/%2E%2E/admin', 'encoded_unreserved'],
  ['/.%2e/admin', 'encoded_unreserved'],
  ['/%2e./admin', 'encoded_unreserved'],
  ['/%2e/admin', 'encoded_unreserved'],
  ['/%61dmin', 'encoded_unreserved'],
  ['/%252e%252e/admin', 'double_encoding'],
  ['/%252E%252E/admin', 'double_encoding'],
  ['/%25252e%25252e/admin', 'double_encoding'],
  ['/%25%32%65%25%32%65/admin', 'encoded_unreserved'],
  ['/%c0%ae%c0%ae/admin', 'invalid_utf8'],
  ['/%C0%AE./admin', 'invalid_utf8'],
  ['/%e0%80%ae%e0%80%ae/admin', 'invalid_utf8'],
  ['/%f0%80%80%ae/admin', 'invalid_utf8'],
  ['/%c0%af/admin', 'invalid_utf8'],
  ['/%ed%a0%80', 'invalid_utf8'],
  ['/%f4%90%80%80', 'invalid_utf8'],
  ['/%c3', 'invalid_utf8'],
  ['/%c3x', 'invalid_utf8'],
  ['/%u002e%u002e/admin', 'malformed_escape'],
  ['/%%32%65/admin', 'malformed_escape'],
  ['/%2', 'malformed_escape'],
  ['/..%00/admin', 'control_character'],
  ['/admin%00.json', 'control_character'],
  ['/%0d%0aX-Evil:1', 'control_character'],
  ['/%7f', 'control_character'],
  ['/..%20/admin', 'trailing_dot_or_space'],
  ['/admin%20', 'trailing_dot_or_space'],
  ['/admin.', 'trailing_dot_or_space'],
  ['/admin../x', 'trailing_dot_or_space'],
  ['/admin%2e', 'encoded_unreserved'],
  ['/..%2fadmin', 'encoded_separator'],
  ['%2f..%2fadmin', 'encoded_separator'],
  ['/..%5cadmin', 'encoded_separator'],
  ['/..\\admin', 'backslash'],
  ['//admin', 'empty_segment'],
  ['/x//admin', 'empty_segment'],
  ['/x|y', 'invalid_character'],
  ['/x"y', 'invalid_character'],
  // Compatibility and best-fit characters an NFKC or Windows ANSI reader turns into ASCII.
  ['%EF%BC%8Fadmin', 'compatibility_character'],
  ['/%EF%BC%8E%EF%BC%8E/admin', 'compatibility_character'],
  ['/%E2%80%A4%E2%80%A4/admin', 'compatibility_character'],
  ['/%E2%80%A5/admin', 'compatibility_character'],
  ['/%E2%80%A6/admin', 'compatibility_character'],
  ['/..%EF%BC%BCadmin', 'compatibility_character'],
  ['/%EF%BD%81dmin', 'compatibility_character'],
  ['/admin%C2%A0', 'compatibility_character'],
  ['/admin%E3%80%80', 'compatibility_character'],
  ['/..%C2%A5admin', 'compatibility_character'],
  ['/..%E2%82%A9admin', 'compatibility_character'],
  ['/..%E2%88%95admin', 'compatibility_character'],
  ['/x%C2%B2', 'compatibility_character'],
]

/** Accepted, and forwarded byte for byte. */
const BENIGN: readonly string[] = [
  '',
  '/',
  '/a.b',
  '/..x',
  '/.well-known/x',
  '/caf%C3%A9',
  '/%F0%9F%98%80',
  '/%E4%B8%AD%E6%96%87',
  '/%D0%B0%D0%B1',
  '/%E2%84%AB',
  '/a%20b',
  '/100%25',
  '/a%3Fb%23c',
  "/a:b@c!$&'()*+,=",
  '/x?q=../..;%2e%00',
]

let h: Harness
before(async () => {
  h = await startHarness({
    routes: (up) => [
      testRoute('payments', up, { match: { host: null, pathPrefix: '/v1', methods: null } }),
      testRoute('open', up, { match: { host: null, pathPrefix: '/public', methods: null }, auth: 'none', tools: [], websocket: true }),
    ],
  })
})
after(() => h.close())

function request(path: string, extra: readonly string[] = []): Promise<Awaited<ReturnType<typeof rawRequest>>> {
  return rawRequest(h.url, [`GET ${path} HTTP/1.1`, `Host: ${new URL(h.url).host}`, ...extra, 'Connection: close', ''].join('\n'))
}

function upgrade(path: string, extra: readonly string[] = []): Promise<Awaited<ReturnType<typeof rawRequest>>> {
  return rawRequest(
    h.url,
    [`GET ${path} HTTP/1.1`, `Host: ${new URL(h.url).host}`, ...extra, 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', ''].join('\n'),
  )
}

function assertRefused(reply: Awaited<ReturnType<typeof rawRequest>>, reason: string, label: string): void {
  assert.equal(reply.status, 400, `${label}: ${reply.text}`)
  assert.equal(reply.headers['content-type'], 'application/problem+json', label)
  assert.equal(reply.json['code'], 'path_not_canonical', label)
  assert.ok(String(reply.json['detail']).startsWith(`${reason}:`), `${label}: ${String(reply.json['detail'])}`)
}

test('every traversal spelling is refused on an auth: none route, a token route and a WebSocket upgrade; upstream never called', async () => {
  const token = mint(h.signer)
  for (const [suffix, reason] of HOSTILE) {
    assertRefused(await request(`/public${suffix}`), reason, `auth: none /public${suffix}`)
    assertRefused(await request(`/v1${suffix}`, [`Authorization: Bearer ${token}`]), reason, `token /v1${suffix}`)
    assertRefused(await upgrade(`/public${suffix}`), reason, `upgrade /public${suffix}`)
    assertRefused(await upgrade(`/v1${suffix}`, [`Authorization: Bearer ${token}`]), reason, `token upgrade /v1${suffix}`)
  }
  assert.equal(h.upstream.hits, 0)
  assert.equal(h.upstream.wsUpgrades, 0)
  assert.equal(h.vault.burned.size, 0, 'the token was never burned')
})

test('absolute-form and non-path targets are refused before matching', async () => {
  assertRefused(await request(`http://127.0.0.1/public/x`), 'not_origin_form', 'absolute-form')
  assert.equal(h.upstream.hits, 0)
})

test('ordinary paths, including legitimate percent-encoding, pass and reach the upstream unchanged', async () => {
  for (const suffix of BENIGN) {
    const reply = await request(`/public${suffix}`)
    assert.equal(reply.status, 200, `/public${suffix}: ${reply.text}`)
    assert.equal(reply.json['url'], `/public${suffix}`)
  }
  assert.equal(h.upstream.hits, BENIGN.length)
})

test('gateway.path_rules.reject_percent_encoded tightens the rule: any escape is refused', async (t) => {
  const strict = await startHarness({
    routes: (up) => [testRoute('open', up, { match: { host: null, pathPrefix: '/public', methods: null }, auth: 'none', tools: [] })],
    config: { gateway: { pathRules: { rejectPercentEncoded: true } } },
  })
  t.after(() => strict.close())
  const reply = await rawRequest(strict.url, [`GET /public/caf%C3%A9 HTTP/1.1`, `Host: ${new URL(strict.url).host}`, 'Connection: close', ''].join('\n'))
  assertRefused(reply, 'percent_encoding_refused', 'strict')
  const plain = await rawRequest(strict.url, [`GET /public/cafe HTTP/1.1`, `Host: ${new URL(strict.url).host}`, 'Connection: close', ''].join('\n'))
  assert.equal(plain.status, 200)
  assert.equal(strict.upstream.hits, 1)
})
