import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { bearer, send } from '../helpers/http-client.ts'
import { eventually, pairedYaml, sleep, spawnServe } from '../helpers/serve-process.ts'
import { mint, newSigner } from '../helpers/tokens.ts'
import { Upstream } from '../helpers/upstream.ts'
import { VaultStub } from '../helpers/vault-stub.ts'

const PAYMENTS = `  - name: payments
    match: { path_prefix: /v1 }
    upstream: UPSTREAM
    tools: [stripe_refund]
`
const CRM = `  - name: crm
    match: { path_prefix: /crm }
    upstream: UPSTREAM
    tools: [crm_lookup]
`

async function parties(t: import('node:test').TestContext) {
  const signer = newSigner('key-1')
  const vault = await new VaultStub([signer]).start()
  const upstream = await new Upstream().start()
  t.after(async () => {
    await upstream.close()
    await vault.close()
  })
  return { signer, vault, upstream }
}

test('serve: proxies, logs listening + access lines, SIGTERM drains the in-flight request and exits 0', async (t) => {
  const { signer, vault, upstream } = await parties(t)
  const proc = await spawnServe(pairedYaml(vault.url, PAYMENTS.replaceAll('UPSTREAM', upstream.url)))
  t.after(() => proc.stop())
  const listening = proc.lines.filter((l) => l['msg'] === 'listening')
  assert.deepEqual(listening.map((l) => l['listener']).sort(), ['admin', 'gateway'])
  assert.equal(listening.find((l) => l['listener'] === 'gateway')?.['port'], Number(new URL(proc.gatewayUrl).port))
  await eventually(async () => (await send(`${proc.adminUrl}/readyz`)).status === 200)

  const ok = await send(`${proc.gatewayUrl}/v1/pay`, { method: 'POST', headers: bearer(mint(signer)) })
  assert.equal(ok.status, 200)
  assert.equal(vault.apiKeys.at(-1), 'sk_test_e2e')

  upstream.delayMs = 1000
  const inflight = send(`${proc.gatewayUrl}/v1/slow`, { headers: bearer(mint(signer)) })
  await eventually(() => upstream.hits === 2)
  proc.child.kill('SIGTERM')
  await eventually(() => proc.lines.some((l) => l['msg'] === 'draining'))
  await assert.rejects(send(`${proc.gatewayUrl}/v1/new`, { headers: bearer(mint(signer)) }), 'new connections are refused while draining')
  const slow = await inflight
  assert.equal(slow.status, 200, 'the in-flight request completes')
  assert.equal(await proc.exited, 0)
  const access = proc.lines.filter((l) => l['msg'] === 'request')
  assert.equal(access.length, 2)
  assert.ok(access.every((l) => l['route'] === 'payments' && l['status'] === 200))
  // The line is written as bytes into the stdout slab: the same fields, in the same order, as pino's.
  const fields = ['level', 'time', 'service', 'component', 'route', 'request_id', 'method', 'path', 'status', 'code', 'jti_hash', 'agent', 'tool', 'total_ms', 'verify_ms', 'burn_ms', 'upstream_ms', 'msg']
  for (const line of access) {
    assert.deepEqual(Object.keys(line), fields)
    assert.equal(line['level'], 'info')
    assert.ok(Number.isFinite(Date.parse(String(line['time']))))
    assert.match(String(line['jti_hash']), /^[0-9a-f]{16}$/)
    assert.ok(typeof line['total_ms'] === 'number' && typeof line['upstream_ms'] === 'number' && line['total_ms'] >= line['upstream_ms'])
  }
  assert.equal(access.find((l) => l['path'] === '/v1/slow')!['method'], 'GET')
  assert.ok(proc.lines.some((l) => l['msg'] === 'stopped'))
})

test('SIGHUP: a new route goes live; a bad config is rejected with every problem and the old routes stay', async (t) => {
  const { signer, vault, upstream } = await parties(t)
  const good = pairedYaml(vault.url, PAYMENTS.replaceAll('UPSTREAM', upstream.url))
  const proc = await spawnServe(good)
  t.after(() => proc.stop())
  assert.equal((await send(`${proc.gatewayUrl}/crm/x`, { headers: bearer(mint(signer, { tool: 'crm_lookup' })) })).status, 404)

  proc.writeConfig(pairedYaml(vault.url, (PAYMENTS + CRM).replaceAll('UPSTREAM', upstream.url)))
  proc.child.kill('SIGHUP')
  await eventually(() => proc.lines.some((l) => l['msg'] === 'config reloaded'))
  assert.equal((await send(`${proc.gatewayUrl}/crm/x`, { headers: bearer(mint(signer, { tool: 'crm_lookup' })) })).status, 200)

  proc.writeConfig(good.replace('tools: [stripe_refund]', 'tools: [stripe_refund]\n    bind_arg: exact\n    max_body: lots'))
  proc.child.kill('SIGHUP')
  await eventually(() => proc.lines.filter((l) => l['msg'] === 'config reload rejected; keeping the running config').length >= 2)
  const rejected = proc.lines.filter((l) => l['msg'] === 'config reload rejected; keeping the running config')
  assert.ok(rejected.some((l) => String(l['problem']).includes('bind_arg')))
  assert.ok(rejected.some((l) => String(l['path']).includes('max_body')))
  await sleep(50)
  assert.equal((await send(`${proc.gatewayUrl}/crm/x`, { headers: bearer(mint(signer, { tool: 'crm_lookup' })) })).status, 200, 'old routes still serve')
  assert.equal((await send(`${proc.gatewayUrl}/v1/x`, { headers: bearer(mint(signer)) })).status, 200)
})

test('invalid config → exit 1, every problem on stderr, nothing listening', async (t) => {
  const proc = await spawnServe('mode: paired\ngateway:\n  drain_timeout: soon\nroutes:\n  - name: x\n    upstream: ftp://nope\n', { expectReady: false })
  t.after(() => proc.stop())
  assert.equal(await proc.exited, 1)
  assert.match(proc.stderr(), /drain_timeout/)
  assert.match(proc.stderr(), /nothing was started/)
  assert.equal(existsSync(join(proc.dir, 'ready.json')), false)
})
