// Replicas on one PostgreSQL schema, at the store level: two sealers racing never fork the chain (the
// ledger_seal guard is the database's), exactly one replica is elected sealer (session advisory lock),
// a follower's or a deposed leader's seal is refused inside its own transaction (the fence), and when
// the leader's session dies another replica takes the lead within its poll interval. One key ring:
// private keys travel with their rotation through the store, so every replica signs with the same key.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey, randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ManualClock, systemClock } from '../../src/core/index.ts'
import type { ApiKeyId, TenantId } from '../../src/core/index.ts'
import { createNodeSigner, ed25519PrivateKeyFromSeed, LedgerService } from '../../src/ledger/index.ts'
import { SEALER_LOCK_CLASS, openPostgresStore, sealerLockKey } from '../../src/store/index.ts'
import type { ApiKeyRecord, DecisionEvent, PostgresStore, SealerLeadership, Store } from '../../src/store/index.ts'
import { PG_TEST_URL, adminQuery, skipWithoutPostgres, testSchema } from '../helpers/postgres.ts'
import { eventually } from '../helpers/serve-process.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { KeyRing } from '../../src/vault/index.ts'

const skip = skipWithoutPostgres
const PRIVATE = ed25519PrivateKeyFromSeed(new Uint8Array(32).fill(9))
const SIGNER = createNodeSigner('rep-kid', PRIVATE)
const JWKS = { keys: [{ ...createPublicKey(PRIVATE).export({ format: 'jwk' }), kid: 'rep-kid' }] }
const TENANT = 'tenant-rep' as TenantId

function event(i: number): DecisionEvent {
  return {
    tenantId: TENANT, eventUuid: randomUUID(), eventType: 'clearance', requestId: `req-rep-${i}-${randomUUID()}`, toolName: 'pay', toolArgs: { amount: i },
    agentId: 'a', policyId: 'p', reason: 'ok', citations: [], evidenceChunks: [], confidence: 0.95, confidenceBucket: 'extra_high',
    decisionStatus: 'approved', approved: true, acceptedAt: new Date(1_800_000_000_000 + i).toISOString(), intentHash: 'ab'.repeat(32),
    ruleSetHash: '', matchedRuleIds: [], evalInputsHash: '', evalTraceHash: '', classifierLabel: '', classifierConfidenceBucket: '', canonicalVersion: 3,
  }
}

function service(store: Store, batch: number, leader?: () => boolean): LedgerService {
  return new LedgerService({
    store, clock: new ManualClock(1_800_000_000_000), signer: () => SIGNER, sealBatchSize: batch, sealIntervalMs: 60_000, mmdSeconds: 30,
    encryptionKey: null, onError: (err) => { throw err }, ...(leader === undefined ? {} : { leader }),
  })
}

async function checkpointChain(schema: string): Promise<Array<{ checkpoint_id: number; tree_size: number; prev_checkpoint_hash: string; checkpoint_hash: string }>> {
  return adminQuery(`SELECT checkpoint_id::int, tree_size::int, prev_checkpoint_hash, checkpoint_hash FROM ${schema}.ledger_checkpoints WHERE tenant_id = $1 ORDER BY checkpoint_id`, [TENANT])
}

test('postgres: two replicas racing sealBatch never produce two checkpoints with one id, nor a fork', { skip }, async (t) => {
  const schema = testSchema()
  const a = await openPostgresStore({ url: PG_TEST_URL, schema })
  const b = await openPostgresStore({ url: PG_TEST_URL, schema })
  t.after(() => Promise.all([a.close(), b.close()]))
  const appendA = service(a, 1000)
  const appendB = service(b, 1000)
  const sealA = service(a, 3)
  const sealB = service(b, 3)
  let appended = 0
  for (let round = 0; round < 12; round++) {
    await Promise.all(Array.from({ length: 4 }, (_, i) => (i % 2 === 0 ? appendA : appendB).append(event(appended + i))))
    appended += 4
    // Both read the same head and the same unsealed rows; the database lets exactly one extend the tree.
    const sealed = await Promise.all([sealA.sealer.sealBatch(TENANT), sealB.sealer.sealBatch(TENANT), sealA.sealer.sealBatch(TENANT), sealB.sealer.sealBatch(TENANT)])
    assert.ok(sealed.every((n) => n === 0 || n === 3 || n === 1), `sealed ${sealed.join(',')}`)
  }
  while ((await sealA.sealer.sealBatch(TENANT)) > 0) { /* seal the rest */ }
  const chain = await checkpointChain(schema)
  assert.deepEqual(chain.map((c) => c.checkpoint_id), chain.map((_, i) => i + 1), 'checkpoint ids 1..n, no gap, no duplicate')
  for (let i = 1; i < chain.length; i++) {
    assert.equal(chain[i]!.prev_checkpoint_hash, chain[i - 1]!.checkpoint_hash, 'one chain')
    assert.ok(chain[i]!.tree_size > chain[i - 1]!.tree_size)
  }
  assert.equal(chain[chain.length - 1]!.tree_size, appended)
  const leaves = await adminQuery<{ n: number; d: number }>(`SELECT count(*)::int AS n, count(DISTINCT leaf_index)::int AS d FROM ${schema}.decision_events WHERE leaf_index IS NOT NULL`)
  assert.deepEqual(leaves[0], { n: appended, d: appended })
  for (const s of [sealA, sealB]) {
    const v = await s.verify(TENANT, JWKS)
    assert.deepEqual([v.intact, v.tree_size], [true, appended])
  }
})

test('postgres: one sealer is elected; a follower and a deposed leader are fenced; the lead passes on when the session dies', { skip }, async (t) => {
  const schema = testSchema()
  const stores: PostgresStore[] = []
  for (let i = 0; i < 2; i++) stores.push(await openPostgresStore({ url: PG_TEST_URL, schema, leaderPollMs: 100 }))
  t.after(() => Promise.all(stores.map((s) => s.close())))
  const elections: SealerLeadership[] = stores.map((s) => s.sealerLeadership())
  await Promise.all(elections.map((e) => e.start()))
  await eventually(() => elections.filter((e) => e.isLeader).length === 1, 3_000)
  const leaderAt = elections.findIndex((e) => e.isLeader)
  const followerAt = 1 - leaderAt
  const services = stores.map((s, i) => service(s, 100, () => elections[i]!.isLeader))
  for (let i = 0; i < 5; i++) await services[followerAt]!.append(event(i))

  // The follower does not seal (its sealer declines), and a seal it writes anyway is refused by the fence.
  assert.equal(await services[followerAt]!.sealer.sealBatch(TENANT), 0)
  const unfenced = service(stores[followerAt]!, 100) // no leader option: tries to seal
  assert.equal(await unfenced.sealer.sealBatch(TENANT), 0, "the follower's seal is a guard failure in its own transaction")
  assert.equal((await checkpointChain(schema)).length, 0)
  assert.equal(await services[leaderAt]!.sealer.sealBatch(TENANT), 5)

  // Kill the leader's lock session (as if its process died): the lock is released with it.
  const key = sealerLockKey(schema) >>> 0
  const holders = await adminQuery<{ pid: number }>(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = ${SEALER_LOCK_CLASS} AND objid::bigint = $1 AND objsubid = 2 AND granted`, [key])
  assert.equal(holders.length, 1)
  // A deposed leader that has not noticed yet is fenced too: terminate, and seal before its client hears.
  for (let i = 5; i < 8; i++) await services[followerAt]!.append(event(i))
  const deposed = service(stores[leaderAt]!, 100)
  await adminQuery('SELECT pg_terminate_backend($1)', [holders[0]!.pid])
  await eventually(() => elections[followerAt]!.isLeader, 3_000)
  assert.equal(await deposed.sealer.sealBatch(TENANT), 0, 'a seal by the replica whose session died is refused')
  assert.equal(await services[followerAt]!.sealer.sealBatch(TENANT), 3, 'the new leader continues the chain')
  // The old leader reconnects as a follower: still exactly one leader.
  await new Promise((r) => setTimeout(r, 400))
  assert.equal(elections.filter((e) => e.isLeader).length, 1)
  const chain = await checkpointChain(schema)
  assert.deepEqual(chain.map((c) => [c.checkpoint_id, c.tree_size]), [[1, 5], [2, 8]])
  assert.equal(chain[1]!.prev_checkpoint_hash, chain[0]!.checkpoint_hash)
})

test('postgres: one key ring across replicas — both open on an empty store, a rotation on one signs on the other, sealed with the wrap key', { skip }, async (t) => {
  const schema = testSchema()
  const dirs = [tempDir(t, 'ledgix-ring-a-'), tempDir(t, 'ledgix-ring-b-')]
  const a = await openPostgresStore({ url: PG_TEST_URL, schema })
  const b = await openPostgresStore({ url: PG_TEST_URL, schema })
  t.after(() => Promise.all([a.close(), b.close()]))
  const wrapKey = Buffer.alloc(32, 5)
  const open = (store: Store, dir: string) => KeyRing.open({ store, keysDir: join(dir, 'keys'), clock: systemClock, createIfMissing: true, keysInStore: { wrapKey } })
  // Two replicas starting together: one rotation wins, the other adopts its key (no data_dir shared).
  const [ra, rb] = await Promise.all([open(a, dirs[0]!), open(b, dirs[1]!)])
  assert.ok(ra.signer !== null && rb.signer !== null)
  await ra.refreshIfChanged()
  await rb.refreshIfChanged()
  assert.equal(ra.signer!.kid, rb.signer!.kid, 'one active signing key')
  assert.equal(ra.jwksJson, rb.jwksJson)
  const first = ra.signer!.kid
  const rotated = await ra.rotate()
  assert.equal(await rb.refreshIfChanged(), true)
  assert.equal(rb.signer?.kid, rotated.kid, 'the other replica signs with the rotated key, read from the store')
  assert.equal(ra.jwksJson, rb.jwksJson)
  assert.equal(JSON.parse(rb.jwksJson).keys.length, 2, 'the retired key stays published')
  // Stable: polling again rotates nothing (no replica replaces a key it cannot read from its own dir).
  assert.equal(await rb.refreshIfChanged(), false)
  assert.equal(await ra.refreshIfChanged(), false)
  // Revocation on B reaches A at its next poll; A's ring is replaced by a new signer both share.
  await rb.revoke(rotated.kid)
  await ra.refreshIfChanged()
  await rb.refreshIfChanged()
  assert.ok(!JSON.parse(ra.jwksJson).keys.some((k: { kid: string }) => k.kid === rotated.kid))
  assert.equal(ra.jwksJson, rb.jwksJson)
  assert.equal(ra.signer?.kid, rb.signer?.kid)
  assert.notEqual(ra.signer?.kid, first)
  // At rest: sealed (not PKCS#8 in clear), and nothing in either data_dir.
  const secrets = await adminQuery<{ sealed: Buffer }>(`SELECT sealed FROM ${schema}.signing_key_secrets`)
  assert.ok(secrets.length >= 3 && secrets.every((s) => s.sealed[0] === 1))
  assert.ok(!existsSync(join(dirs[0]!, 'keys')) && !existsSync(join(dirs[1]!, 'keys')))
  // A replica without the wrap key refuses to load rather than rotating around the key it cannot open.
  await assert.rejects(KeyRing.open({ store: a, keysDir: join(dirs[0]!, 'keys'), clock: systemClock, createIfMissing: true, keysInStore: { wrapKey: null } }), /sealed with vault_server\.ledger\.encryption_key/)
})

test('postgres: API-key lookups cached per replica, a revocation on another replica refused within 1 s (NOTIFY); with the listener down nothing is served from memory', { skip }, async (t) => {
  const schema = testSchema()
  const a = await openPostgresStore({ url: PG_TEST_URL, schema })
  const b = await openPostgresStore({ url: PG_TEST_URL, schema })
  t.after(() => Promise.all([a.close(), b.close()]))
  await Promise.all([a.startChangeFeed(), b.startChangeFeed()])
  await a.write([{ op: 'tenant_insert', tenant: { tenantId: TENANT, name: 't', createdAtMs: 1 } }])
  const key = (n: number): ApiKeyRecord => ({ keyId: `k${n}` as ApiKeyId, tenantId: TENANT, keyHash: `h${n}`, prefix: 'sk_', role: 'agent' as const, name: '', createdAtMs: 1, revokedAtMs: null, lastUsedAtMs: null })
  await a.write([{ op: 'api_key_insert', key: key(1) }, { op: 'api_key_insert', key: key(2) }])
  assert.equal((await b.findApiKeyByHash('h1'))?.revokedAtMs, null)
  assert.ok(b.keyCache!.get('h1') !== undefined, 'B serves the key from memory now')
  await a.write([{ op: 'api_key_revoke', tenantId: TENANT, keyId: 'k1' as ApiKeyId, atMs: 5 }])
  // Staleness = when the last lookup that still saw the key active was sent (a slow answer on a
  // loaded machine does not count against the bound).
  const t0 = performance.now()
  let lastStale = 0
  for (;;) {
    const sentAt = performance.now() - t0
    if ((await b.findApiKeyByHash('h1'))?.revokedAtMs === 5) break
    lastStale = sentAt
    assert.ok(sentAt < 5_000, 'B never saw the revocation')
    await new Promise((r) => setTimeout(r, 10))
  }
  assert.ok(lastStale <= 1_000, `B still accepted the revoked key ${lastStale} ms after it`)
  assert.ok(b.keyCache!.notifications >= 1, 'through the NOTIFY')
  // A's own revocation is refused by A at once.
  assert.equal((await a.findApiKeyByHash('h2'))?.revokedAtMs, null)
  await a.write([{ op: 'api_key_revoke', tenantId: TENANT, keyId: 'k2' as ApiKeyId, atMs: 6 }])
  assert.equal((await a.findApiKeyByHash('h2'))?.revokedAtMs, 6)

  // The listener's session dies: B stops serving from memory (a revocation it cannot hear about is
  // read from the database), then listens again and starts empty.
  await a.write([{ op: 'api_key_insert', key: key(3) }])
  await b.findApiKeyByHash('h3')
  const pid = b.keyCache!.listenerPid
  assert.ok(pid !== null)
  await adminQuery('SELECT pg_terminate_backend($1)', [pid])
  await eventually(() => !b.keyCache!.live, 2_000)
  await adminQuery(`UPDATE ${schema}.api_keys SET revoked_at = 7 WHERE key_id = 'k3'`) // no NOTIFY: as if it were lost
  assert.equal((await b.findApiKeyByHash('h3'))?.revokedAtMs, 7)
  await eventually(() => b.keyCache!.live, 3_000)
  assert.equal((await b.findApiKeyByHash('h3'))?.revokedAtMs, 7)
})
