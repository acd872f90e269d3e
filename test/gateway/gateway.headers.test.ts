import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { startHarness, testRoute } from '../helpers/gateway-harness.ts'
import type { Harness } from '../helpers/gateway-harness.ts'
import { bearer, rawRequest, send } from '../helpers/http-client.ts'
import { mint } from '../helpers/tokens.ts'

let h: Harness
let trusted: Harness
before(async () => {
  h = await startHarness({
    routes: (up) => [
      testRoute('payments', up, { stripHeaders: ['x-internal-secret'] }),
      testRoute('forwarding', up, { match: { host: null, pathPrefix: '/fwd', methods: null }, forwardAuthorization: true }),
      testRoute('open', `${up}/base/`, { match: { host: null, pathPrefix: '/public', methods: null }, auth: 'none', tools: [], stripPrefix: true }),
      testRoute('hosted', up, { match: { host: 'api.example.com', pathPrefix: '/v1', methods: null }, tools: ['crm_lookup'] }),
    ],
  })
  trusted = await startHarness({ config: { gateway: { trustedProxies: ['127.0.0.0/8'] } } })
})
after(async () => {
  await h.close()
  await trusted.close()
})

type Headers = Record<string, string | undefined>

test('spoofed X-Ledgix-*, Connection-named headers and X-Forwarded-* from an untrusted peer never reach upstream', async () => {
  const token = mint(h.signer)
  // Raw socket: undici (rightly) refuses to send custom Connection tokens and Keep-Alive itself.
  const reply = await rawRequest(
    h.url,
    [
      'POST /v1/refunds HTTP/1.1',
      `Host: ${new URL(h.url).host}`,
      `Authorization: Bearer ${token}`,
      'X-Ledgix-Agent-Id: evil',
      'X-Ledgix-Request-Id: client-chosen',
      'Connection: X-Ledgix-Agent-Id, x-drop-me, close',
      'X-Drop-Me: hop',
      'Keep-Alive: timeout=5',
      'X-Forwarded-For: 6.6.6.6',
      'X-Forwarded-Host: evil.example',
      'X-Forwarded-Proto: https',
      'Forwarded: for=6.6.6.6',
      'X-Internal-Secret: route strips it',
      'traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'tracestate: vendor=1',
      'Content-Length: 0',
      '',
    ].join('\n'),
  )
  assert.equal(reply.status, 200, reply.text)
  const up = reply.json['headers'] as Headers
  assert.equal(up['x-ledgix-agent-id'], 'agent-7', 'exactly one agent id: ours')
  assert.ok(!(reply.json['rawHeaders'] as string[]).includes('evil'))
  assert.equal(up['x-ledgix-request-id'], reply.headers['x-ledgix-request-id'])
  assert.notEqual(up['x-ledgix-request-id'], 'client-chosen')
  assert.equal(up['x-ledgix-tool'], 'stripe_refund')
  assert.equal(up['x-ledgix-policy-id'], 'pol-1')
  assert.equal(up['x-ledgix-session-id'], 'sess-1')
  assert.equal(up['x-ledgix-decision'], 'approved')
  assert.match(up['x-ledgix-token-id'] ?? '', /^jti-/)
  assert.equal(up['x-drop-me'], undefined)
  assert.equal(up['keep-alive'], undefined)
  assert.equal(up['authorization'], undefined)
  assert.equal(up['x-internal-secret'], undefined)
  assert.equal(up['forwarded'], undefined)
  assert.equal(up['x-forwarded-for'], '127.0.0.1')
  assert.equal(up['x-forwarded-proto'], 'http')
  assert.equal(up['x-forwarded-host'], new URL(h.url).host)
  assert.equal(up['traceparent'], '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
  assert.equal(up['tracestate'], 'vendor=1')
  assert.equal(up['host'], new URL(h.upstream.url).host, 'Host is the upstream\'s')
})

test('hop-by-hop and Connection-named response headers from upstream are dropped', async () => {
  const reply = await send(`${h.url}/v1/x`, { headers: bearer(mint(h.signer)) })
  assert.equal(reply.status, 200)
  assert.equal(reply.headers['x-upstream-private'], undefined)
})

test('a trusted proxy\'s X-Forwarded-For is appended to, its proto and host kept', async () => {
  const reply = await send(`${trusted.url}/v1/x`, {
    headers: { ...bearer(mint(trusted.signer)), 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example' },
  })
  const up = reply.json['headers'] as Headers
  assert.equal(up['x-forwarded-for'], '203.0.113.9, 127.0.0.1')
  assert.equal(up['x-forwarded-proto'], 'https')
  assert.equal(up['x-forwarded-host'], 'shop.example')
})

test('forward_authorization: true passes the bearer through', async () => {
  const token = mint(h.signer)
  const reply = await send(`${h.url}/fwd/x`, { headers: bearer(token) })
  assert.equal((reply.json['headers'] as Headers)['authorization'], `Bearer ${token}`)
})

test('auth: none route proxies without burning, strips the prefix onto the base path, injects only the request id', async () => {
  const burns = h.vault.consumeCalls
  const reply = await send(`${h.url}/public/items/9?q=1`, { headers: { 'x-ledgix-agent-id': 'evil' } })
  assert.equal(reply.status, 200)
  assert.equal(reply.json['url'], '/base/items/9?q=1')
  const up = reply.json['headers'] as Headers
  assert.equal(up['x-ledgix-agent-id'], undefined)
  assert.equal(typeof up['x-ledgix-request-id'], 'string')
  assert.equal(h.vault.consumeCalls, burns)
  assert.equal((await send(`${h.url}/public`)).json['url'], '/base')
})

test('host-bound routes win over host-less ones for their host only', async () => {
  const hosted = await send(`${h.url}/v1/x`, { headers: { ...bearer(mint(h.signer, { tool: 'crm_lookup' })), host: 'API.example.com:443' } })
  assert.equal(hosted.status, 200, hosted.text)
  const other = await send(`${h.url}/v1/x`, { headers: bearer(mint(h.signer, { tool: 'crm_lookup' })) })
  assert.equal(other.json['code'], 'tool_not_allowed')
})

test('every gateway response carries X-Ledgix-Request-Id, errors included', async () => {
  const ok = await send(`${h.url}/public/x`)
  const err = await send(`${h.url}/nowhere`)
  assert.match(String(ok.headers['x-ledgix-request-id']), /^[0-9a-f-]{36}$/)
  assert.match(String(err.headers['x-ledgix-request-id']), /^[0-9a-f-]{36}$/)
  assert.notEqual(ok.headers['x-ledgix-request-id'], err.headers['x-ledgix-request-id'])
})
