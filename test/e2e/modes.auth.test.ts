// Token checks, header policy and argument binding through real `serve` processes, once paired with
// a real vault-only process and once all-in-one: same status, code, headers and upstream silence.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ErrorCode } from '../../src/core/index.ts'
import { toolArgsHash } from '../../src/token/index.ts'
import { bearer, rawRequest, send } from '../helpers/http-client.ts'
import type { Reply } from '../helpers/http-client.ts'
import { describeModes } from '../helpers/mode-stack.ts'
import type { Stack } from '../helpers/mode-stack.ts'
import { mint, newSigner, payloadOf } from '../helpers/tokens.ts'

const ROUTES = `  - name: payments
    match: { path_prefix: /v1, methods: [POST, GET] }
    upstream: UPSTREAM
    tools: [stripe_refund]
  - name: crm
    match: { path_prefix: /crm }
    upstream: UPSTREAM
    tools: [crm_lookup]
  - name: bound
    match: { path_prefix: /bound, methods: [POST] }
    upstream: UPSTREAM
    tools: [stripe_refund]
    bind_args: exact
    max_body: 1kib
`

function assertProblem(reply: Reply, code: ErrorCode, status: number, token?: string): void {
  assert.equal(reply.status, status, `${code}: ${reply.text}`)
  assert.equal(reply.json['code'], code)
  assert.equal(reply.json['type'], `https://ledgix.dev/errors/${code}`)
  assert.equal(reply.headers['content-type'], 'application/problem+json')
  assert.equal(reply.json['request_id'], reply.headers['x-ledgix-request-id'])
  if (status === 401) assert.match(String(reply.headers['www-authenticate']), /^Bearer /)
  if (token !== undefined) assert.ok(!reply.text.includes(token.split('.')[1]!), 'token text leaked into the body')
}

/** Refused with `code`, and neither the upstream nor the Vault's burn was reached. */
async function refused(s: Stack, headers: Record<string, string> | string[], code: ErrorCode, status: number, token?: string): Promise<Reply> {
  const hits = s.upstream.hits
  const burns = await s.burns()
  const reply = await send(`${s.gatewayUrl}/v1/refunds`, { method: 'POST', headers, body: '{}' })
  assertProblem(reply, code, status, token)
  assert.equal(s.upstream.hits, hits, `${code}: upstream must not be called`)
  assert.equal(await s.burns(), burns, `${code}: nothing may be burned`)
  return reply
}

describeModes('token checks, headers, argument binding', { routes: ROUTES }, ({ stack }) => {
  test('no Authorization → 401 token_missing with a realm challenge', async () => {
    const reply = await refused(stack(), {}, 'token_missing', 401)
    assert.equal(reply.headers['www-authenticate'], 'Bearer realm="ledgix-gateway"')
  })

  test('two Authorization headers, another scheme, garbage → 401 token_malformed', async () => {
    const s = stack()
    const signer = await s.signer()
    await refused(s, ['authorization', `Bearer ${mint(signer)}`, 'authorization', `Bearer ${mint(signer)}`], 'token_malformed', 401)
    await refused(s, { authorization: 'Basic dXNlcjpwYXNz' }, 'token_malformed', 401)
    await refused(s, { authorization: 'Bearer not.a.jwt' }, 'token_malformed', 401)
  })

  test('alg HS256 → token_algorithm_not_allowed; unknown kid → token_key_unknown; tampered → token_signature_invalid', async () => {
    const s = stack()
    const token = mint(await s.signer())
    const [head, payload, sig] = token.split('.')
    const hs = Buffer.from(JSON.stringify({ alg: 'HS256', kid: payloadOf(token)['jti'], typ: 'JWT' })).toString('base64url')
    await refused(s, bearer(`${hs}.${payload}.${sig}`), 'token_algorithm_not_allowed', 401)
    const stranger = mint(newSigner('nobody-knows'))
    await refused(s, bearer(stranger), 'token_key_unknown', 401, stranger)
    const forged = Buffer.from(JSON.stringify({ ...payloadOf(token), tool: 'crm_lookup' })).toString('base64url')
    await refused(s, bearer(`${head}.${forged}.${sig}`), 'token_signature_invalid', 401)
  })

  test('claim failures map to their codes and are never burned', async () => {
    const s = stack()
    const signer = await s.signer()
    const nowSeconds = Math.floor(Date.now() / 1000)
    const cases: [Record<string, unknown>, ErrorCode][] = [
      [{ exp: nowSeconds - 10 }, 'token_expired'],
      [{ nbf: nowSeconds + 3600 }, 'token_not_yet_valid'],
      [{ iss: 'ledgix-vault' }, 'token_wrong_issuer'],
      [{ aud: ['someone-else'] }, 'token_wrong_audience'],
      [{ sub: 'other' }, 'token_wrong_subject'],
    ]
    for (const [claims, code] of cases) {
      const token = mint(signer, { claims })
      await refused(s, bearer(token), code, 401, token)
    }
  })

  test('a real clearance for another tool → 403 tool_not_allowed, not burned', async () => {
    const s = stack()
    const token = await s.approvedToken({ tool_name: 'crm_lookup', tool_args: { id: 1 } })
    await refused(s, bearer(token), 'tool_not_allowed', 403, token)
    // Still unburned: the route it was meant for accepts it.
    assert.equal((await send(`${s.gatewayUrl}/crm/contacts/1`, { headers: bearer(token) })).status, 200)
  })

  test('no route → 404 route_not_found; wrong method → 405 with Allow', async () => {
    const s = stack()
    const hits = s.upstream.hits
    assertProblem(await send(`${s.gatewayUrl}/v10/x`), 'route_not_found', 404)
    const wrong = await send(`${s.gatewayUrl}/v1/x`, { method: 'DELETE', headers: bearer(mint(await s.signer())) })
    assertProblem(wrong, 'method_not_allowed', 405)
    assert.equal(wrong.headers['allow'], 'POST, GET, HEAD')
    assert.equal(s.upstream.hits, hits)
  })

  test('a real clearance passes once: X-Ledgix-* come from the token, spoofed ones and Authorization never reach upstream', async () => {
    const s = stack()
    const token = await s.approvedToken({ tool_name: 'stripe_refund', tool_args: { amount: 10 } })
    const claims = payloadOf(token)
    const reply = await rawRequest(
      s.gatewayUrl,
      [
        'POST /v1/refunds HTTP/1.1',
        `Host: ${new URL(s.gatewayUrl).host}`,
        `Authorization: Bearer ${token}`,
        'X-Ledgix-Agent-Id: evil',
        'Connection: X-Ledgix-Agent-Id, close',
        'X-Forwarded-For: 6.6.6.6',
        'Content-Length: 0',
        '',
      ].join('\n'),
    )
    assert.equal(reply.status, 200, reply.text)
    const up = reply.json['headers'] as Record<string, string | undefined>
    assert.equal(up['x-ledgix-agent-id'], 'agent-7')
    assert.ok(!(reply.json['rawHeaders'] as string[]).includes('evil'))
    assert.equal(up['x-ledgix-tool'], 'stripe_refund')
    assert.equal(up['x-ledgix-token-id'], claims['jti'])
    assert.equal(up['x-ledgix-policy-id'], claims['policy_id'])
    assert.equal(up['x-ledgix-session-id'], 'sess-1')
    assert.equal(up['x-ledgix-decision'], 'approved')
    assert.equal(up['x-ledgix-request-id'], reply.headers['x-ledgix-request-id'])
    assert.equal(up['authorization'], undefined)
    assert.equal(up['x-forwarded-for'], '127.0.0.1')
  })

  test('bind_args: the approved arguments pass byte for byte; others → 403 tool_args_mismatch, not burned', async () => {
    const s = stack()
    const args = { amount: 1000, currency: 'usd', reason: 'duplicate_charge' }
    const token = await s.approvedToken({ tool_name: 'stripe_refund', tool_args: args })
    assert.equal(payloadOf(token)['tool_args_hash'], toolArgsHash(args))
    const post = (body: string): Promise<Reply> =>
      send(`${s.gatewayUrl}/bound/refunds`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/json' }, body })
    const hits = s.upstream.hits
    const burns = await s.burns()
    const mismatch = await post(JSON.stringify({ ...args, amount: 100000 }))
    assertProblem(mismatch, 'tool_args_mismatch', 403, token)
    assert.equal(s.upstream.hits, hits)
    assert.equal(await s.burns(), burns)
    const body = '{ "reason": "duplicate_charge", "currency": "usd", "amount": 1000.0 }'
    const ok = await post(body)
    assert.equal(ok.status, 200, ok.text)
    assert.equal(ok.json['bodyLength'], Buffer.byteLength(body))
    assertProblem(await post(body), 'token_replayed', 409, token)
  })
})
