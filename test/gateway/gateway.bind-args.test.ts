// Argument binding edge cases of the gateway's body reader (stand-in Vault: the Vault plays no part
// in them). Approved arguments from a real clearance, in both modes: test/e2e/modes.auth.test.ts.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { toolArgsHash } from '../../src/token/index.ts'
import { startHarness, testRoute } from '../helpers/gateway-harness.ts'
import type { Harness } from '../helpers/gateway-harness.ts'
import { bearer, send } from '../helpers/http-client.ts'
import { mint } from '../helpers/tokens.ts'

let h: Harness
before(async () => {
  h = await startHarness({
    routes: (up) => [testRoute('refunds', up, { bindArgs: 'exact', maxBodyBytes: 1024 })],
  })
})
after(() => h.close())

const ARGS = { amount: 1000, currency: 'usd', reason: 'duplicate_charge' }

function post(token: string, body: string | Buffer) {
  return send(`${h.url}/v1/refunds`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/json' }, body })
}

test('camelCase body matches a hash of its snake_cased form (spec §6 caveat)', async () => {
  const hash = toolArgsHash({ customer_id: 7, refund_reason: 'dup' })
  const reply = await post(mint(h.signer, { claims: { tool_args_hash: hash } }), JSON.stringify({ customerId: 7, refundReason: 'dup' }))
  assert.equal(reply.status, 200, reply.text)
})

test('token without tool_args_hash on a binding route → 403 tool_args_mismatch', async () => {
  const reply = await post(mint(h.signer), JSON.stringify(ARGS))
  assert.equal(reply.json['code'], 'tool_args_mismatch')
})

test('empty body hashes as {} (spec §6: absent tool_args)', async () => {
  const reply = await post(mint(h.signer, { claims: { tool_args_hash: toolArgsHash({}) } }), '')
  assert.equal(reply.status, 200, reply.text)
})

test('invalid JSON → 400 body_not_json', async () => {
  const reply = await post(mint(h.signer, { claims: { tool_args_hash: toolArgsHash(ARGS) } }), '{"amount":')
  assert.equal(reply.status, 400)
  assert.equal(reply.json['code'], 'body_not_json')
})

test('body over max_body → 413 body_too_large (declared and chunked)', async () => {
  const token = mint(h.signer, { claims: { tool_args_hash: toolArgsHash(ARGS) } })
  const big = Buffer.alloc(4096, 0x20)
  const declared = await post(token, big)
  assert.equal(declared.status, 413)
  assert.equal(declared.json['code'], 'body_too_large')
  // Chunked: no Content-Length, the limit trips while reading.
  const { request } = await import('undici')
  const { Readable } = await import('node:stream')
  const res = await request(`${h.url}/v1/refunds`, {
    method: 'POST',
    headers: bearer(mint(h.signer, { claims: { tool_args_hash: toolArgsHash(ARGS) } })),
    body: Readable.from([big.subarray(0, 800), big.subarray(800)]),
  })
  const problem = (await res.body.json()) as { code: string }
  assert.equal(res.statusCode, 413)
  assert.equal(problem.code, 'body_too_large')
})
