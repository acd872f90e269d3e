// Issue 16 class 3: a request with ~1,000 headers must not push the gateway's headers past an
// upstream's field-count limit, and node:http's maxHeadersCount must not drop fields silently.
// More inbound fields than gateway.max_header_count → 431 request_header_fields_too_large, before
// any route, token check or burn.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { startHarness, testRoute } from '../helpers/gateway-harness.ts'
import type { Harness } from '../helpers/gateway-harness.ts'
import { rawRequest } from '../helpers/http-client.ts'
import { mint } from '../helpers/tokens.ts'

let h: Harness
before(async () => {
  h = await startHarness({
    routes: (up) => [testRoute('payments', up), testRoute('open', up, { match: { host: null, pathPrefix: '/public', methods: null }, auth: 'none', tools: [] })],
    config: { gateway: { maxHeaderCount: 80 } },
  })
})
after(() => h.close())

/** A request head with `total` header fields: Host, Connection, Authorization (optional), fillers. */
function headWith(path: string, total: number, token: string | null, extra: readonly string[] = []): string {
  const lines = [`GET ${path} HTTP/1.1`, `Host: ${new URL(h.url).host}`, 'Connection: close', ...extra]
  if (token !== null) lines.push(`Authorization: Bearer ${token}`)
  for (let i = lines.length - 1; i < total; i++) lines.push(`X-F${i}: v`)
  lines.push('')
  return lines.join('\n')
}

test('1,000 header fields → 431 problem+json, token not burned, upstream not called', async () => {
  const token = mint(h.signer)
  const reply = await rawRequest(h.url, headWith('/v1/x', 1000, token))
  assert.equal(reply.status, 431, reply.text)
  assert.equal(reply.headers['content-type'], 'application/problem+json')
  assert.equal(reply.json['code'], 'request_header_fields_too_large')
  assert.equal(h.vault.burned.size, 0)
  assert.equal(h.upstream.hits, 0)
  // The token is still good.
  const ok = await rawRequest(h.url, headWith('/v1/x', 5, token))
  assert.equal(ok.status, 200, ok.text)
})

test('exactly the cap passes with every field; one more (also past node\'s own 2000) is refused', async () => {
  const at = await rawRequest(h.url, headWith('/public/x', 80, null))
  assert.equal(at.status, 200, at.text)
  const raw = at.json['rawHeaders'] as string[]
  assert.ok(raw.some((n) => n === 'X-F79'), 'the last field reached the upstream')
  const over = await rawRequest(h.url, headWith('/public/x', 81, null))
  assert.equal(over.status, 431)
  assert.equal(over.json['code'], 'request_header_fields_too_large')
  // Past node:http's default maxHeadersCount (2000), where fields used to vanish without a word.
  const huge = await rawRequest(h.url, headWith('/public/x', 2100, null).replace(/X-F(\d+): v/g, 'a$1:v'))
  assert.equal(huge.status, 431, huge.text)
})

test('WebSocket upgrade with too many header fields → 431 on the socket, nothing burned', async () => {
  const burned = h.vault.burned.size
  const upgrades = h.upstream.wsUpgrades
  const reply = await rawRequest(
    h.url,
    headWith('/v1/stream', 500, mint(h.signer), ['Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']).replace('Connection: close', 'Connection: Upgrade'),
  )
  assert.equal(reply.status, 431, reply.text)
  assert.equal(reply.json['code'], 'request_header_fields_too_large')
  assert.equal(h.vault.burned.size, burned)
  assert.equal(h.upstream.wsUpgrades, upgrades)
})
