// Gateway auth paths that need a Vault stand-in (test/helpers/vault-stub.ts): counting JWKS fetches,
// and burns answered with 5xx, slowly or not at all — conditions a real Vault does not produce on
// demand. The token checks, replay, lockdown and tool rules run against the real Vault in both modes
// in test/e2e/modes.*.test.ts.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { ErrorCode } from '../../src/core/index.ts'
import { startHarness, testRoute } from '../helpers/gateway-harness.ts'
import type { Harness } from '../helpers/gateway-harness.ts'
import { bearer, send } from '../helpers/http-client.ts'
import type { Reply } from '../helpers/http-client.ts'
import { mint, newSigner } from '../helpers/tokens.ts'

let h: Harness
before(async () => {
  h = await startHarness({
    routes: (up) => [
      testRoute('payments', up, { match: { host: null, pathPrefix: '/v1', methods: ['POST', 'GET'] } }),
      testRoute('crm', up, { match: { host: null, pathPrefix: '/crm', methods: null }, tools: ['crm_lookup'] }),
    ],
  })
})
after(() => h.close())

/** Every refusal: the problem shape, the request id echoed, the upstream untouched, no token text. */
function assertProblem(reply: Reply, code: ErrorCode, status: number, token?: string): void {
  assert.equal(reply.status, status, `${code}: ${reply.text}`)
  assert.equal(reply.json['code'], code)
  assert.equal(reply.json['type'], `https://ledgix.dev/errors/${code}`)
  assert.equal(reply.json['status'], status)
  assert.equal(typeof reply.json['title'], 'string')
  assert.equal(typeof reply.json['detail'], 'string')
  assert.equal(reply.headers['content-type'], 'application/problem+json')
  assert.equal(reply.json['request_id'], reply.headers['x-ledgix-request-id'])
  if (token !== undefined) assert.ok(!reply.text.includes(token.split('.')[1]!), 'token text leaked into the body')
}

async function refused(headers: Record<string, string | string[]> | string[], code: ErrorCode, status: number, token?: string): Promise<Reply> {
  const hitsBefore = h.upstream.hits
  const reply = await send(`${h.url}/v1/refunds`, { method: 'POST', headers, body: '{}' })
  assertProblem(reply, code, status, token)
  assert.equal(h.upstream.hits, hitsBefore, `${code}: upstream must not be called`)
  return reply
}

test('scheme is case-insensitive: "bearer" works', async () => {
  const reply = await send(`${h.url}/v1/ok`, { method: 'POST', headers: { authorization: `bearer ${mint(h.signer)}` } })
  assert.equal(reply.status, 200)
})

test('unknown kid → one refetch, then 401 token_key_unknown', async () => {
  const stranger = newSigner('nobody-knows')
  const fetches = h.vault.jwksCalls
  const token = mint(stranger)
  await refused(bearer(token), 'token_key_unknown', 401, token)
  assert.equal(h.vault.jwksCalls, fetches + 1)
})

test('Vault down, 5xx or slow → 503 vault_unavailable, upstream never called; the token stays usable', async () => {
  for (const mode of ['down', 'error500', 'slow'] as const) {
    h.vault.consumeMode = mode
    h.vault.slowMs = 1500
    const token = mint(h.signer)
    const reply = await refused(bearer(token), 'vault_unavailable', 503, token)
    assert.equal(reply.headers['retry-after'], '1')
    h.vault.consumeMode = 'ok'
    // Not burned at the Vault (down/500) → the client may retry with the same token.
    if (mode !== 'slow') assert.equal((await send(`${h.url}/v1/pay`, { method: 'POST', headers: bearer(token) })).status, 200)
  }
})

test('no route → 404 route_not_found; wrong method → 405 method_not_allowed with Allow', async () => {
  const hits = h.upstream.hits
  const none = await send(`${h.url}/v10/x`)
  assertProblem(none, 'route_not_found', 404)
  const wrong = await send(`${h.url}/v1/x`, { method: 'DELETE', headers: bearer(mint(h.signer)) })
  assertProblem(wrong, 'method_not_allowed', 405)
  assert.equal(wrong.headers['allow'], 'POST, GET, HEAD')
  assert.equal(h.upstream.hits, hits)
})

test('dot-segment paths are refused before routing', async () => {
  const reply = await send(`${h.url}/v1/%2e%2e/admin`, { headers: bearer(mint(h.signer)) })
  assertProblem(reply, 'route_not_found', 404)
})
