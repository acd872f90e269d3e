import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { startHarness } from '../helpers/gateway-harness.ts'
import { mint } from '../helpers/tokens.ts'

test('valid token → proxied once, burned once, identity headers injected', async (t) => {
  const h = await startHarness()
  t.after(() => h.close())
  const token = mint(h.signer)
  const res = await request(`${h.url}/v1/refunds?x=1`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"a":1}' })
  const body = (await res.body.json()) as { url: string; headers: Record<string, string>; bodyLength: number }
  assert.equal(res.statusCode, 200)
  assert.equal(body.url, '/v1/refunds?x=1')
  assert.equal(body.bodyLength, 7)
  assert.equal(body.headers['x-ledgix-agent-id'], 'agent-7')
  assert.equal(body.headers['authorization'], undefined)
  assert.equal(h.upstream.hits, 1)
  assert.equal(h.vault.consumeCalls, 1)
  assert.equal(res.headers['x-ledgix-request-id'], body.headers['x-ledgix-request-id'])
})
