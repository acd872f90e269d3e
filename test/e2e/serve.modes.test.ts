// `serve` in the embedded modes: where things listen (ready file, log lines), the bootstrap API key
// (from LEDGIX_BOOTSTRAP_API_KEY, or generated and printed exactly once), vault-only's admin
// listener, and --demo-upstream.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { send } from '../helpers/http-client.ts'
import { spawnServe } from '../helpers/serve-process.ts'

function aioYaml(dataDir: string, extra = ''): string {
  return `mode: all-in-one
gateway:
  listen: { host: 127.0.0.1, port: 0 }
admin:
  listen: { host: 127.0.0.1, port: 0 }
vault_server:
  listen: { host: 127.0.0.1, port: 0 }
  data_dir: ${dataDir}
${extra}routes: []
`
}

function reviews(vaultUrl: string, key: string) {
  return send(`${vaultUrl}/reviews`, { headers: { 'x-vault-api-key': key } })
}

test('all-in-one on an empty store: a generated key is printed once, works, and is not printed again', async (t) => {
  const data = mkdtempSync(join(tmpdir(), 'ledgix-data-'))
  t.after(() => rmSync(data, { recursive: true, force: true }))
  const first = await spawnServe(aioYaml(data))
  t.after(() => first.stop())
  assert.ok(first.vaultUrl !== '' && first.gatewayUrl !== '' && first.adminUrl !== '')
  const printed = first.lines.filter((l) => typeof l['unparsed'] === 'string').map((l) => String(l['unparsed']))
  const keyLine = printed.find((l) => /^\s+sk_live_[A-Za-z0-9_-]{43}$/.test(l))
  assert.ok(keyLine !== undefined, printed.join('\n'))
  const key = keyLine.trim()
  assert.equal((await reviews(first.vaultUrl, key)).status, 200)
  assert.ok(!first.lines.some((l) => l['unparsed'] === undefined && JSON.stringify(l).includes(key)), 'the key never appears in a log line')
  const vaultLine = first.lines.find((l) => l['msg'] === 'listening' && l['listener'] === 'vault')
  assert.equal(vaultLine?.['data_dir'], data)
  assert.equal(vaultLine?.['port'], Number(new URL(first.vaultUrl).port))
  first.child.kill('SIGTERM')
  assert.equal(await first.exited, 0)

  const second = await spawnServe(aioYaml(data))
  t.after(() => second.stop())
  assert.ok(!second.lines.some((l) => typeof l['unparsed'] === 'string' && l['unparsed'].includes('sk_live_')), 'printed once only')
  assert.equal((await reviews(second.vaultUrl, key)).status, 200, 'the key persists in the store')
})

test('LEDGIX_BOOTSTRAP_API_KEY seeds the first key; nothing is printed', async (t) => {
  const data = mkdtempSync(join(tmpdir(), 'ledgix-data-'))
  t.after(() => rmSync(data, { recursive: true, force: true }))
  const proc = await spawnServe(aioYaml(data), { env: { LEDGIX_BOOTSTRAP_API_KEY: 'sk_test_chosen_key' } })
  t.after(() => proc.stop())
  assert.equal((await reviews(proc.vaultUrl, 'sk_test_chosen_key')).status, 200)
  assert.equal((await reviews(proc.vaultUrl, 'sk_test_other')).status, 401)
  assert.ok(!proc.lines.some((l) => typeof l['unparsed'] === 'string'))
})

test('vault-only: Vault API and admin listener only; /readyz reflects the Vault', async (t) => {
  const data = mkdtempSync(join(tmpdir(), 'ledgix-data-'))
  t.after(() => rmSync(data, { recursive: true, force: true }))
  const proc = await spawnServe(
    `mode: vault-only\nadmin:\n  listen: { host: 127.0.0.1, port: 0 }\nvault_server:\n  listen: { host: 127.0.0.1, port: 0 }\n  data_dir: ${data}\n`,
    { env: { LEDGIX_BOOTSTRAP_API_KEY: 'sk_test_vault_only' } },
  )
  t.after(() => proc.stop())
  assert.equal(proc.gatewayUrl, '', 'no gateway listener')
  assert.deepEqual(proc.lines.filter((l) => l['msg'] === 'listening').map((l) => l['listener']).sort(), ['admin', 'vault'])
  assert.equal((await send(`${proc.adminUrl}/healthz`)).status, 200)
  assert.equal((await send(`${proc.adminUrl}/readyz`)).status, 200)
  const metrics = (await send(`${proc.adminUrl}/metrics`)).text
  assert.match(metrics, /process_cpu/)
  // The store's write path: start-up committed at least the bootstrap key and the signing key.
  const commits = Number(/^ledgix_store_commits_total (\d+)$/m.exec(metrics)?.[1])
  const writes = Number(/^ledgix_store_writes_total (\d+)$/m.exec(metrics)?.[1])
  assert.ok(commits >= 1 && writes >= commits, `commits ${commits}, writes ${writes}`)
  assert.match(metrics, /^ledgix_store_failed 0$/m)
  // Drift is wired into the registry (no agent yet).
  assert.match(metrics, /^ledgix_drift_agents\{level="normal"\} 0$/m)
  assert.match(metrics, /^ledgix_drift_evaluations_total\{trigger="idle"\} 0$/m)
  assert.equal((await send(`${proc.vaultUrl}/.well-known/jwks.json`)).status, 200)
  proc.child.kill('SIGTERM')
  assert.equal(await proc.exited, 0)
})

test('--demo-upstream 0 runs the echo service beside the gateway and reports its port', async (t) => {
  const data = mkdtempSync(join(tmpdir(), 'ledgix-data-'))
  t.after(() => rmSync(data, { recursive: true, force: true }))
  const proc = await spawnServe(aioYaml(data), { args: ['--demo-upstream', '0'], env: { LEDGIX_BOOTSTRAP_API_KEY: 'sk_test_demo' } })
  t.after(() => proc.stop())
  const echo = await send(`${proc.demoUrl}/hello`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' })
  assert.equal(echo.json['service'], 'ledgix-demo-upstream')
  assert.deepEqual(echo.json['body'], { a: 1 })
  assert.ok(proc.lines.some((l) => l['msg'] === 'listening' && l['listener'] === 'demo-upstream'))
})
