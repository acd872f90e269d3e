// `ledger verify -c FILE` on a PostgreSQL store, beside a running vault-only Vault: the same full pass
// as GET /ledger/verify, decrypting with the config's ledger.encryption_key; a config without the key
// is told which setting to add (exit 2); a damaged row is named (exit 1).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from '../helpers/cli-in-process.ts'
import { send } from '../helpers/http-client.ts'
import { PG_TEST_URL, adminQuery, skipWithoutPostgres, testSchema } from '../helpers/postgres.ts'
import { eventually, spawnServe } from '../helpers/serve-process.ts'
import type { ServeProcess } from '../helpers/serve-process.ts'

const cli = runCli

const BOOTSTRAP = 'sk_test_cli_ledger_verify_bootstrap_0123456789'

if (skipWithoutPostgres !== false) {
  test('cli: ledger verify -c on PostgreSQL', { skip: skipWithoutPostgres }, () => {})
} else {
  describe('cli: ledger verify -c FILE on PostgreSQL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledgix-cli-verify-'))
    const schema = testSchema()
    const yaml = (ledger: string): string => `mode: vault-only
admin:
  listen: { host: 127.0.0.1, port: 0 }
logging:
  level: warn
vault_server:
  listen: { host: 127.0.0.1, port: 0 }
  data_dir: ${join(dir, 'data')}
  ledger: { seal_interval: 100ms${ledger} }
  store:
    driver: postgres
    url: ${PG_TEST_URL}
    schema: ${schema}
    pool: { max: 2, connect_timeout: 2s }
`
    const withKey = join(dir, 'with-key.yaml')
    const noKey = join(dir, 'no-key.yaml')
    const key = randomBytes(32).toString('hex')
    writeFileSync(withKey, yaml(`, encryption_key: "${key}"`))
    writeFileSync(noKey, yaml(''))
    let vault: ServeProcess
    before(async () => {
      vault = await spawnServe(yaml(`, encryption_key: "${key}"`), { env: { LEDGIX_BOOTSTRAP_API_KEY: BOOTSTRAP }, timeoutMs: 60_000 })
      const headers = { 'x-vault-api-key': BOOTSTRAP, 'content-type': 'application/json' }
      const policy = { policy_id: 'p', description: '', tools: ['echo'], rules: [{ id: 'ok', when: 'true', effect: 'allow', reason: 'fine' }] }
      assert.equal((await send(`${vault.vaultUrl}/register-policy`, { method: 'POST', headers, body: JSON.stringify(policy) })).status, 200)
      for (let i = 0; i < 3; i++) {
        const r = await send(`${vault.vaultUrl}/request-clearance`, { method: 'POST', headers, body: JSON.stringify({ tool_name: 'echo', tool_args: { i } }) })
        assert.equal(r.json['status'], 'approved', r.text)
      }
      await eventually(async () => (await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.decision_events WHERE leaf_index IS NULL`))[0]!.n === 0, 20_000)
    })
    after(async () => {
      await vault?.stop()
      rmSync(dir, { recursive: true, force: true })
    })

    test('intact while the Vault runs: every entry verified with the config\'s encryption_key, exit 0', async () => {
      const r = await cli(['ledger', 'verify', '-c', withKey, '--json'])
      assert.equal(r.code, 0, r.err)
      const result = (JSON.parse(r.out) as { tenants: Array<{ tenant_id: string; result: { intact: boolean; verified_entries: number } }> }).tenants.find((t) => t.tenant_id === 'default')
      assert.equal(result?.result.intact, true, r.out)
      assert.ok(result.result.verified_entries >= 3, r.out)
    })

    test('a config without the encryption key → exit 2 naming the file and the setting', async () => {
      const r = await cli(['ledger', 'verify', '-c', noKey])
      assert.equal(r.code, 2, r.err)
      assert.ok(r.err.includes(`set vault_server.ledger.encryption_key in ${noKey}`), r.err)
    })

    test('a tampered row → exit 1, the damage named', async () => {
      await adminQuery(`UPDATE ${schema}.decision_events SET event_hash = repeat('0', 64) WHERE seq = (SELECT min(seq) FROM ${schema}.decision_events)`)
      const r = await cli(['ledger', 'verify', '-c', withKey, '--tenant', 'default'])
      assert.equal(r.code, 1, `${r.out} ${r.err}`)
      assert.match(r.out, /✗ tenant default: DAMAGED/)
    })
  })
}
