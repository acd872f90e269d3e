// `apikeys` and `keys` with `-c FILE` on a PostgreSQL store, run as real CLI processes against two
// running vault-only replicas on one schema: what the CLI changes reaches both replicas within the
// README's bound (API-key revocation by the same NOTIFY the HTTP revocation sends; key ring by the
// replicas' 0.5 s poll), and concurrent rotations from the CLI and over HTTP leave exactly one active key.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { send } from '../helpers/http-client.ts'
import type { Reply } from '../helpers/http-client.ts'
import { skipWithoutPostgres } from '../helpers/postgres.ts'
import { REPLICA_ADMIN_KEY, startReplicaCluster } from '../helpers/replicas.ts'
import type { ReplicaCluster } from '../helpers/replicas.ts'
import { sleep } from '../helpers/serve-process.ts'
import { BOUND_MS, activeKeys, runCli } from './cli-process.ts'
import { staleness } from '../helpers/replicas.ts'

if (skipWithoutPostgres !== false) {
  test('cli: apikeys/keys -c on PostgreSQL', { skip: skipWithoutPostgres }, () => {})
} else {
  describe('cli: apikeys and keys -c FILE against two running replicas on PostgreSQL', () => {
    let c: ReplicaCluster
    let file: string
    before(async () => {
      c = await startReplicaCluster({ vaults: 2, gateways: 0 })
      // The replicas' own config file: the operator runs the CLI with the file the replicas use.
      file = c.vaults[0]!.configFile
    })
    after(async () => {
      await c?.close()
    })

    const admin = (i: number, method: string, path: string): Promise<Reply> =>
      send(`${c.vaults[i]!.vaultUrl}/admin${path}`, { method, headers: { 'x-admin-api-key': REPLICA_ADMIN_KEY } })
    const jwksKids = async (i: number): Promise<string[]> =>
      ((await send(`${c.vaults[i]!.vaultUrl}/.well-known/jwks.json`)).json['keys'] as Array<{ kid: string }>).map((k) => k.kid).sort()

    test(`apikeys create/list/revoke -c: the key works on both replicas; the CLI revocation is refused on both within ${BOUND_MS} ms`, async () => {
      const created = await runCli(['apikeys', 'create', '-c', file, '--role', 'agent', '--name', 'cli-made'])
      assert.equal(created.code, 0, created.err)
      const key = /api key \(shown once, store it now\): (\S+)/.exec(created.out)![1]!
      const keyId = /created agent key (\S+)/.exec(created.out)![1]!
      assert.match(key, /^sk_live_/, 'the env defaults to vault_server.api_key_env (live)')
      const useOn = (i: number): Promise<Reply> => send(`${c.vaults[i]!.vaultUrl}/reviews`, { headers: { 'x-vault-api-key': key } })
      // Both replicas accept it, and so have it in their key caches.
      for (const i of [0, 1]) assert.equal((await useOn(i)).status, 200)
      const listed = await runCli(['apikeys', 'list', '-c', file, '--json'])
      assert.equal(listed.code, 0, listed.err)
      assert.ok((JSON.parse(listed.out) as { api_keys: Array<{ key_id: string; name: string }> }).api_keys.some((k) => k.key_id === keyId && k.name === 'cli-made'))

      const revoked = await runCli(['apikeys', 'revoke', keyId, '-c', file])
      assert.equal(revoked.code, 0, revoked.err)
      const stale = await Promise.all([0, 1].map((i) => staleness(async () => (await useOn(i)).status === 401)))
      for (const s of stale) assert.ok(s <= BOUND_MS, `a replica still accepted the CLI-revoked key ${s} ms after the CLI exited`)
      const again = await runCli(['apikeys', 'revoke', keyId, '-c', file])
      assert.equal(again.code, 1)
      assert.match(again.err, /no active key .* check "apikeys list --tenant default -c /)
    })

    test(`keys rotate -c: both replicas publish and sign with the new key within ${BOUND_MS} ms; keys list -c shows it active`, async () => {
      const before = await jwksKids(0)
      const rotated = await runCli(['keys', 'rotate', '-c', file])
      assert.equal(rotated.code, 0, rotated.err)
      const kid = /rotated: (\S+) now signs/.exec(rotated.out)![1]!
      assert.ok(!before.includes(kid))
      const stale = await Promise.all([0, 1].map((i) => staleness(async () => (await admin(i, 'GET', '/keys')).json['active_kid'] === kid && (await jwksKids(i)).includes(kid))))
      for (const s of stale) assert.ok(s <= BOUND_MS, `a replica still signed with the old key ${s} ms after the CLI rotated`)
      assert.deepEqual(await activeKeys(c.schema), [kid])
      // A replica mints with it.
      const granted = await c.post(1, '/request-clearance', { agent_id: 'a', session_id: 's', tool_name: 'pay', tool_args: { amount: 1 } })
      assert.equal(JSON.parse(Buffer.from(String(granted.json['token']).split('.')[0]!, 'base64url').toString()).kid, kid)
      const listed = await runCli(['keys', 'list', '-c', file])
      assert.equal(listed.code, 0, listed.err)
      assert.match(listed.out, new RegExp(`^${kid}  active `, 'm'))
      for (const old of before) assert.match(listed.out, new RegExp(`^${old}  retired `, 'm'))
    })

    test(`keys revoke -c of the signing key: it leaves both JWKS within ${BOUND_MS} ms and the replicas agree on one new signer`, async () => {
      const [kid] = await activeKeys(c.schema)
      const revoked = await runCli(['keys', 'revoke', kid!, '-c', file])
      assert.equal(revoked.code, 0, revoked.err)
      const stale = await Promise.all([0, 1].map((i) => staleness(async () => !(await jwksKids(i)).includes(kid!))))
      for (const s of stale) assert.ok(s <= BOUND_MS, `a replica still published the revoked key ${s} ms after the CLI revoked it`)
      // Both replicas race to replace the revoked signer; the database keeps one.
      let active: string[] = []
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline) {
        active = await activeKeys(c.schema)
        const signers = await Promise.all([0, 1].map(async (i) => (await admin(i, 'GET', '/keys')).json['active_kid']))
        if (active.length === 1 && signers.every((s) => s === active[0])) break
        await sleep(50)
      }
      assert.equal(active.length, 1, `active keys: ${active.join(',')}`)
      assert.notEqual(active[0], kid)
      const unknown = await runCli(['keys', 'revoke', 'no-such-kid', '-c', file])
      assert.equal(unknown.code, 1)
      assert.match(unknown.err, /no key no-such-kid: check "keys list -c /)
    })

    test('3 CLI rotations and 6 HTTP rotations on both replicas at once → each succeeds or is refused as key_ring_changed; exactly one active key, both replicas sign with it', async () => {
      const clis = Array.from({ length: 3 }, () => runCli(['keys', 'rotate', '-c', file]))
      await sleep(300) // the CLI processes start slower than a request: let them overlap the HTTP rotations
      const https = await Promise.all(Array.from({ length: 6 }, (_, i) => sleep(i * 60).then(() => admin(i % 2, 'POST', '/keys/rotate'))))
      const runs = await Promise.all(clis)
      for (const r of https) assert.ok(r.status === 200 || (r.status === 409 && r.json['code'] === 'key_ring_changed'), `${r.status} ${r.text}`)
      for (const r of runs) assert.ok(r.code === 0 || (r.code === 1 && /rotation refused: the signing key ring changed/.test(r.err)), `exit ${r.code}: ${r.out} ${r.err}`)
      assert.ok(https.some((r) => r.status === 200) || runs.some((r) => r.code === 0), 'at least one rotation won')
      const active = await activeKeys(c.schema)
      assert.equal(active.length, 1, `active keys: ${active.join(',')}`)
      const stale = await Promise.all([0, 1].map((i) => staleness(async () => (await admin(i, 'GET', '/keys')).json['active_kid'] === active[0])))
      for (const s of stale) assert.ok(s <= BOUND_MS, `a replica signed with another key ${s} ms after the last rotation`)
    })
  })
}
