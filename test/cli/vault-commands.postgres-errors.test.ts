// `keys` and `apikeys` with `-c FILE` on PostgreSQL, run as real CLI processes: an unreachable store
// or a missing or wrong vault_server.ledger.encryption_key ends the command with one sentence naming
// the config file and the setting to fix, and nothing is written; a key the CLI generates is sealed so
// that a Vault with the same config signs with it.
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { send } from '../helpers/http-client.ts'
import { PG_TEST_URL, adminQuery, skipWithoutPostgres, testSchema } from '../helpers/postgres.ts'
import { REPLICA_ADMIN_KEY } from '../helpers/replicas.ts'
import { spawnServe } from '../helpers/serve-process.ts'
import { activeKeys, runCli } from './cli-process.ts'

if (skipWithoutPostgres !== false) {
  test('cli: apikeys/keys -c errors on PostgreSQL', { skip: skipWithoutPostgres }, () => {})
} else {
  describe('cli: keys/apikeys -c FILE errors on PostgreSQL name the file and the fix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledgix-cli-pg-'))
    after(() => rmSync(dir, { recursive: true, force: true }))
    const schema = testSchema()
    const keyHex = randomBytes(32).toString('hex')
    const write = (name: string, store: string, ledger = ''): string => {
      const path = join(dir, name)
      writeFileSync(path, `mode: vault-only
admin:
  listen: { host: 127.0.0.1, port: 0 }
logging:
  level: warn
vault_server:
  listen: { host: 127.0.0.1, port: 0 }
  data_dir: ${join(dir, 'data')}
  admin_api_key: ${REPLICA_ADMIN_KEY}
${ledger}  store:
${store}`)
      return path
    }
    const pgStore = `    driver: postgres\n    url: \${LEDGIX_DATABASE_URL}\n    schema: ${schema}\n    pool: { max: 2, connect_timeout: 2s }\n`
    const withKey = write('with-key.yaml', pgStore, `  ledger: { encryption_key: "${keyHex}" }\n`)
    const wrongKey = write('wrong-key.yaml', pgStore, `  ledger: { encryption_key: "${randomBytes(32).toString('hex')}" }\n`)
    const noKey = write('no-key.yaml', pgStore)

    test('store unreachable → exit 1 naming the config file, vault_server.store.url and the cause; nothing hangs', async () => {
      const unreachable = write('down.yaml', `    driver: postgres\n    url: postgres://postgres@127.0.0.1:1/test\n    schema: ${schema}\n    pool: { connect_timeout: 2s }\n`)
      for (const args of [['keys', 'rotate'], ['apikeys', 'revoke', 'key_x']]) {
        const r = await runCli([...args, '-c', unreachable])
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`)
        assert.ok(r.err.includes(unreachable), r.err)
        assert.match(r.err, /connection refused/)
        assert.match(r.err, /vault_server\.store\.url/)
        assert.doesNotMatch(r.err, /at .*\.ts:\d+/, 'a sentence, not a stack trace')
      }
    })

    test('encryption_key: generate seals the key for the Vault; without the key or with another one, rotate is refused naming the file and the setting; list and revoke need no key', async () => {
      const plain = await runCli(['keys', 'generate', '-c', noKey])
      assert.equal(plain.code, 1)
      assert.ok(plain.err.includes(`${noKey} sets no vault_server.ledger.encryption_key`), plain.err)
      assert.match(plain.err, /--allow-plain-key/)

      const generated = await runCli(['keys', 'generate', '-c', withKey])
      assert.equal(generated.code, 0, generated.err)
      const kid = /generated signing key (\S+)/.exec(generated.out)![1]!
      const sealed = await adminQuery<{ b: number }>(`SELECT get_byte(sealed, 0) AS b FROM ${schema}.signing_key_secrets WHERE kid = $1`, [kid])
      assert.equal(sealed[0]?.b, 1, 'sealed with AES-256-GCM, not stored in plain')
      const twice = await runCli(['keys', 'generate', '-c', withKey])
      assert.equal(twice.code, 1)
      assert.match(twice.err, /already active: use "keys rotate"/)

      for (const cfg of [noKey, wrongKey]) {
        const r = await runCli(['keys', 'rotate', '-c', cfg])
        assert.equal(r.code, 1, r.err)
        assert.ok(r.err.includes(cfg), r.err)
        assert.match(r.err, /set it in .* to the value the Vault replicas use/)
        assert.deepEqual(await activeKeys(schema), [kid], 'nothing was written')
      }
      const listed = await runCli(['keys', 'list', '-c', noKey])
      assert.equal(listed.code, 0, listed.err)
      assert.match(listed.out, new RegExp(`^${kid}  active `, 'm'))

      // A Vault with the same config signs with the key the CLI generated.
      const vault = await spawnServe(`mode: vault-only
admin:
  listen: { host: 127.0.0.1, port: 0 }
logging:
  level: warn
vault_server:
  listen: { host: 127.0.0.1, port: 0 }
  data_dir: ${join(dir, 'vault-data')}
  admin_api_key: ${REPLICA_ADMIN_KEY}
  ledger: { encryption_key: "${keyHex}" }
  store:
${pgStore}`, { env: { LEDGIX_DATABASE_URL: PG_TEST_URL }, timeoutMs: 60_000 })
      try {
        const keys = await send(`${vault.vaultUrl}/admin/keys`, { headers: { 'x-admin-api-key': REPLICA_ADMIN_KEY } })
        assert.equal(keys.json['active_kid'], kid, keys.text)
      } finally {
        await vault.stop()
      }

      const rotated = await runCli(['keys', 'rotate', '-c', withKey])
      assert.equal(rotated.code, 0, rotated.err)
      const revoked = await runCli(['keys', 'revoke', kid, '-c', noKey])
      assert.equal(revoked.code, 0, revoked.err)
      assert.equal((await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.signing_keys WHERE kid = $1 AND revoked_at IS NOT NULL`, [kid]))[0]!.n, 1)
    })

    test('neither or both of --data and -c → a usage error saying which to pass', async () => {
      const neither = await runCli(['keys', 'list'])
      assert.equal(neither.code, 1)
      assert.match(neither.err, /pass exactly one of --data DIR .* or -c FILE/)
      const both = await runCli(['apikeys', 'list', '--data', dir, '-c', withKey])
      assert.equal(both.code, 1)
      assert.match(both.err, /pass exactly one of --data DIR/)
    })
  })
}
