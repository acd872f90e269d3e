import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RemoteVault } from '../../src/gateway/index.ts'
import { newSigner } from '../helpers/tokens.ts'
import { mint } from '../helpers/tokens.ts'
import { VaultStub } from '../helpers/vault-stub.ts'

async function setup(t: import('node:test').TestContext, prefix = '') {
  const signer = newSigner('k1')
  const stub = await new VaultStub([signer]).start()
  const remote = new RemoteVault({ url: stub.url + prefix, apiKey: 'sk_remote', timeoutMs: 500, connections: 2, jwksUrl: null, jwksTimeoutMs: 500 })
  t.after(async () => {
    await remote.close()
    await stub.close()
  })
  return { signer, stub, remote }
}

test('fetchJwks: keys and Cache-Control max-age, no API key sent to the public endpoint', async (t) => {
  const { signer, stub, remote } = await setup(t)
  const result = await remote.fetchJwks()
  assert.deepEqual(result.jwks.keys.map((k) => k.kid), [signer.kid])
  assert.equal(result.maxAgeSeconds, 300)
  stub.maxAgeSeconds = null
  assert.equal((await remote.fetchJwks()).maxAgeSeconds, null)
  assert.deepEqual(stub.jwksApiKeys, [undefined, undefined])
  assert.equal(remote.jwksUrl, `${stub.url}/.well-known/jwks.json`)
})

test('fetchJwks throws on 5xx and on a closed connection (the cache turns that into stale-if-error)', async (t) => {
  const { stub, remote } = await setup(t)
  stub.jwksMode = 'error500'
  await assert.rejects(remote.fetchJwks(), /HTTP 500/)
  stub.jwksMode = 'down'
  await assert.rejects(remote.fetchJwks())
})

test('burn: 200 → ok with the API key; 409 on the second burn; slow → vault_unavailable within the timeout', async (t) => {
  const { signer, stub, remote } = await setup(t)
  const token = mint(signer, { jti: 'burn-1' })
  const request = { token, jti: 'burn-1', kid: 'k1', expSeconds: Math.floor(Date.now() / 1000) + 60, agentId: 'agent-7' }
  assert.deepEqual(await remote.burn(request), { ok: true })
  assert.deepEqual(stub.apiKeys, ['sk_remote'])
  const again = await remote.burn(request)
  assert.equal(again.ok ? 'ok' : again.code, 'token_replayed')
  stub.consumeMode = 'slow'
  stub.slowMs = 2000
  const started = performance.now()
  const slow = await remote.burn({ ...request, token: mint(signer), jti: 'burn-2' })
  assert.equal(slow.ok ? 'ok' : slow.code, 'vault_unavailable')
  assert.ok(performance.now() - started < 1500, 'bounded by vault.timeout')
})

test('a path prefix in vault.url is kept (spec §1)', async (t) => {
  const { remote } = await setup(t, '/vault/')
  assert.equal(remote.jwksUrl.endsWith('/vault/.well-known/jwks.json'), true)
})

test('interpretBurn: the Vault\'s refusals about the token map to the same codes the in-process port reports', async () => {
  const { interpretBurn } = await import('../../src/gateway/index.ts')
  const code = (status: number, body: unknown): string => {
    const r = interpretBurn(status, JSON.stringify(body))
    return r.ok ? 'ok' : r.code
  }
  assert.equal(code(200, { valid: true }), 'ok')
  assert.equal(code(409, { error: 'token_replayed' }), 'token_replayed')
  assert.equal(code(403, { code: 'agent_locked' }), 'agent_locked')
  assert.equal(code(401, { code: 'token_expired' }), 'token_expired')
  assert.equal(code(401, { code: 'token_key_revoked' }), 'token_key_revoked')
  assert.equal(code(401, { error: 'token_wrong_tenant' }), 'token_wrong_tenant')
  // Our own API key being refused, or a refusal code on the wrong status, is not the caller's fault.
  assert.equal(code(401, { code: 'api_key_invalid' }), 'vault_unavailable')
  assert.equal(code(403, { code: 'token_key_revoked' }), 'vault_unavailable')
  assert.equal(code(401, { code: 'agent_locked' }), 'vault_unavailable')
  assert.equal(code(500, {}), 'vault_unavailable')
})

test('burn: an oversized or non-JSON 200 answer → vault_unavailable, never ok; a dropped connection too', async (t) => {
  const { createServer } = await import('node:http')
  let mode: 'huge' | 'garbage' | 'drop' = 'huge'
  let hits = 0
  const server = createServer((req, res) => {
    hits++
    req.resume()
    if (mode === 'drop') return void req.socket.destroy()
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(mode === 'huge' ? `{"valid":true,"pad":"${'x'.repeat(100 * 1024)}"}` : 'valid:true')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as import('node:net').AddressInfo).port
  const remote = new RemoteVault({ url: `http://127.0.0.1:${port}`, apiKey: null, timeoutMs: 500, connections: 1, jwksUrl: null, jwksTimeoutMs: 500 })
  t.after(async () => {
    await remote.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  const request = { token: 'a.b.c', jti: 'j', kid: 'k1', expSeconds: Math.floor(Date.now() / 1000) + 60, agentId: 'agent-7' }
  for (const m of ['huge', 'garbage', 'drop'] as const) {
    mode = m
    const result = await remote.burn(request)
    assert.equal(result.ok ? 'ok' : result.code, 'vault_unavailable', m)
  }
  assert.equal(hits, 3)
})
