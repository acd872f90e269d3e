// `apikeys` and `keys` commands run in-process (exitOverride + configureOutput) on a data dir, and
// the key ring they manage: 0600 PKCS#8 files, rotation keeps the old public key, revocation drops it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../helpers/cli-in-process.ts'
import { openSqliteStore } from '../../src/store/index.ts'
import { hashApiKey } from '../../src/vault/index.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const run = runCli

test('apikeys create prints the key once, stores only its hash; list and revoke work', async (t) => {
  const data = tempDir(t)
  const created = await run(['apikeys', 'create', '--data', data, '--tenant', 'acme', '--role', 'admin', '--name', 'ops', '--env', 'test'])
  assert.equal(created.code, 0, created.err)
  const key = /api key \(shown once, store it now\): (sk_test_\S+)/.exec(created.out)?.[1]
  assert.ok(key)
  const store = openSqliteStore({ path: join(data, 'vault.db') })
  const record = await store.findApiKeyByHash(hashApiKey(key))
  await store.close()
  assert.equal(record?.role, 'admin')
  assert.equal(record?.tenantId, 'acme')
  const listed = await run(['apikeys', 'list', '--data', data, '--tenant', 'acme'])
  assert.match(listed.out, new RegExp(`${record!.keyId}.*admin.*active`))
  assert.equal(listed.out.includes(key), false)
  const revoked = await run(['apikeys', 'revoke', record!.keyId, '--data', data, '--tenant', 'acme'])
  assert.equal(revoked.code, 0)
  assert.match((await run(['apikeys', 'list', '--data', data, '--tenant', 'acme'])).out, /revoked/)
  const again = await run(['apikeys', 'revoke', record!.keyId, '--data', data, '--tenant', 'acme'])
  assert.notEqual(again.code, 0)
  const badRole = await run(['apikeys', 'create', '--data', data, '--role', 'root'])
  assert.notEqual(badRole.code, 0)
  assert.match(badRole.err, /--role must be one of agent, reviewer, admin/)
})

test('keys generate/rotate/revoke/list: 0600 PKCS#8 files; rotation retires, revocation removes', async (t) => {
  const data = tempDir(t)
  assert.match((await run(['keys', 'list', '--data', data])).out, /no signing keys/)
  const gen = await run(['keys', 'generate', '--data', data])
  assert.equal(gen.code, 0, gen.err)
  const kid1 = /generated signing key (\S+)/.exec(gen.out)![1]!
  const file = join(data, 'keys', `${kid1}.pem`)
  assert.equal(statSync(file).mode & 0o777, 0o600)
  assert.notEqual((await run(['keys', 'generate', '--data', data])).code, 0, 'a second generate is refused')
  const rot = await run(['keys', 'rotate', '--data', data])
  const kid2 = /rotated: (\S+) now signs/.exec(rot.out)![1]!
  const list = (await run(['keys', 'list', '--data', data])).out
  assert.match(list, new RegExp(`${kid1}\\s+retired`))
  assert.match(list, new RegExp(`${kid2}\\s+active`))
  assert.equal(readdirSync(join(data, 'keys')).length, 2)
  assert.equal((await run(['keys', 'revoke', kid1, '--data', data])).code, 0)
  assert.match((await run(['keys', 'list', '--data', data])).out, new RegExp(`${kid1}\\s+revoked`))
  assert.notEqual((await run(['keys', 'revoke', 'nope', '--data', data])).code, 0)
})
