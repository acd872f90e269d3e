import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
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

test('no Authorization → 401 token_missing with a realm challenge', async () => {
  const reply = await refused({}, 'token_missing', 401)
  assert.equal(reply.headers['www-authenticate'], 'Bearer realm="ledgix-gateway"')
})

test('two Authorization headers → 401 token_malformed, even if both are valid', async () => {
  const a = mint(h.signer)
  const b = mint(h.signer)
  const reply = await refused(['authorization', `Bearer ${a}`, 'authorization', `Bearer ${b}`], 'token_malformed', 401)
  assert.equal(reply.headers['www-authenticate'], 'Bearer error="invalid_token"')
})

test('non-Bearer scheme, empty bearer and garbage → 401 token_malformed', async () => {
  await refused({ authorization: 'Basic dXNlcjpwYXNz' }, 'token_malformed', 401)
  await refused({ authorization: 'Bearer    ' }, 'token_malformed', 401)
  await refused({ authorization: 'Bearer not.a.jwt' }, 'token_malformed', 401)
})

test('scheme is case-insensitive: "bearer" works', async () => {
  const reply = await send(`${h.url}/v1/ok`, { method: 'POST', headers: { authorization: `bearer ${mint(h.signer)}` } })
  assert.equal(reply.status, 200)
})

test('alg other than EdDSA → 401 token_algorithm_not_allowed', async () => {
  const token = mint(h.signer)
  const [, payload, sig] = token.split('.')
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', kid: 'key-1', typ: 'JWT' })).toString('base64url')
  await refused(bearer(`${header}.${payload}.${sig}`), 'token_algorithm_not_allowed', 401)
})

test('unknown kid → one refetch, then 401 token_key_unknown', async () => {
  const stranger = newSigner('nobody-knows')
  const fetches = h.vault.jwksCalls
  const token = mint(stranger)
  await refused(bearer(token), 'token_key_unknown', 401, token)
  assert.equal(h.vault.jwksCalls, fetches + 1)
})

test('tampered payload → 401 token_signature_invalid', async () => {
  const token = mint(h.signer)
  const [head, , sig] = token.split('.')
  const forged = Buffer.from(JSON.stringify({ iss: 'alcv-vault', sub: 'clearance', aud: ['ledgix-sdk'], jti: 'x', tool: 'stripe_refund', exp: 9999999999 })).toString('base64url')
  await refused(bearer(`${head}.${forged}.${sig}`), 'token_signature_invalid', 401)
})

test('claim failures map to their codes', async () => {
  const cases: [Record<string, unknown>, ErrorCode][] = [
    [{ exp: Math.floor(Date.now() / 1000) - 10 }, 'token_expired'],
    [{ nbf: Math.floor(Date.now() / 1000) + 3600 }, 'token_not_yet_valid'],
    [{ iss: 'ledgix-vault' }, 'token_wrong_issuer'],
    [{ aud: ['someone-else'] }, 'token_wrong_audience'],
    [{ sub: 'other' }, 'token_wrong_subject'],
  ]
  const burns = h.vault.consumeCalls
  for (const [claims, code] of cases) {
    const token = mint(h.signer, { claims })
    await refused(bearer(token), code, 401, token)
  }
  assert.equal(h.vault.consumeCalls, burns, 'a token failing claim checks is never burned')
})

test('token for another tool → 403 tool_not_allowed, nothing burned', async () => {
  const burns = h.vault.consumeCalls
  const token = mint(h.signer, { tool: 'crm_lookup' })
  await refused(bearer(token), 'tool_not_allowed', 403, token)
  assert.equal(h.vault.consumeCalls, burns)
})

test('replayed token → 409 token_replayed from the local cache, upstream called once, one burn', async () => {
  const token = mint(h.signer)
  const hits = h.upstream.hits
  const burns = h.vault.consumeCalls
  assert.equal((await send(`${h.url}/v1/pay`, { method: 'POST', headers: bearer(token) })).status, 200)
  await refused(bearer(token), 'token_replayed', 409, token)
  assert.equal(h.upstream.hits, hits + 1)
  assert.equal(h.vault.consumeCalls, burns + 1)
})

test('token burned elsewhere → Vault 409 → token_replayed', async () => {
  const jti = `jti-${randomUUID()}`
  h.vault.burned.add(jti)
  await refused(bearer(mint(h.signer, { jti })), 'token_replayed', 409)
})

test('locked agent → 403 agent_locked', async () => {
  h.vault.lockedAgents.add('agent-locked')
  await refused(bearer(mint(h.signer, { agentId: 'agent-locked' })), 'agent_locked', 403)
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
  assert.equal(wrong.headers['allow'], 'POST, GET')
  assert.equal(h.upstream.hits, hits)
})

test('dot-segment paths are refused before routing', async () => {
  const reply = await send(`${h.url}/v1/%2e%2e/admin`, { headers: bearer(mint(h.signer)) })
  assertProblem(reply, 'route_not_found', 404)
})

test('a route only sees its own tools', async () => {
  const reply = await send(`${h.url}/crm/contacts`, { headers: bearer(mint(h.signer, { tool: 'crm_lookup' })) })
  assert.equal(reply.status, 200)
  assert.equal((reply.json['headers'] as Record<string, string>)['x-ledgix-tool'], 'crm_lookup')
})
