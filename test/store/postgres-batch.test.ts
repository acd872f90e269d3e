// PostgreSQL driver: runs of token burns and of decision appends go through multi-row statements
// (src/store/postgres/batch-ops.ts), and every caller gets exactly the answer the one-caller-at-a-time
// path gives: the same batches are written to a second store with `multiRow: false` and compared.
import { test } from 'node:test'
import pg from 'pg'
import assert from 'node:assert/strict'
import { PostgresStore, openPostgresStore, type Store, type WriteOp, type WriteResult } from '../../src/store/index.ts'
import type { LedgerEventRecord } from '../../src/store/ledger-types.ts'
import { clearanceFixture } from '../contract/store.contract.ts'
import { PG_TEST_URL, adminQuery, skipWithoutPostgres, testSchema } from '../helpers/postgres.ts'
import type { TenantId } from '../../src/core/index.ts'

const skip = skipWithoutPostgres
const T1 = 't1' as TenantId
const T2 = 't2' as TenantId

function mint(jti: string, tenantId: TenantId, agentId: string): WriteOp {
  return { op: 'token_insert', token: { jti, tenantId, requestId: `r-${jti}`, agentId, toolName: 'x', kid: 'k', expSeconds: 9, mintedAtMs: 1 } }
}
function burn(jti: string, callerTenant: TenantId | null, agentId: string): WriteOp {
  return { op: 'token_burn', jti, callerTenant, agentId, expSeconds: 9, atMs: 2 }
}
function event(tenantId: TenantId, requestId: string, n: number): LedgerEventRecord {
  return {
    tenantId, eventUuid: `ev-${requestId}-${n}`, eventType: 'clearance', requestId, toolName: 'tool', agentId: 'bot', policyId: 'p',
    // One body encrypted at rest (bytea column), the others plaintext.
    body: n === 3 ? null : { toolArgsJson: '{"a":1}', reason: 'r', citationsJson: '[]', evidenceChunksJson: '[]' },
    bodyCipher: n === 3 ? new Uint8Array([1, 2, 3]) : null,
    confidence: 0.9, confidenceBucket: 'high', decisionStatus: 'approved', approved: true, acceptedAt: '2026-12-07T00:00:00.000Z',
    intentHash: 'i', ruleSetHash: 'r', matchedRuleIds: ['a'], evalInputsHash: 'e', evalTraceHash: 't', classifierLabel: 'c',
    classifierConfidenceBucket: 'high', canonicalVersion: 3, eventHash: `h${n}`, leafHash: `l${n}`, receiptAlgorithm: 'Ed25519',
    receiptKeyId: 'k', receiptPayload: 'p', receiptSignature: 's',
  }
}
/** The ops of one `/request-clearance` decision: clearance, minted token, idempotency record, ledger event. */
function decision(tenantId: TenantId, requestId: string, agentId: string, idemKey: string | null, n: number): WriteOp[] {
  const ops: WriteOp[] = [{ op: 'clearance_insert', clearance: { ...clearanceFixture(tenantId, requestId, n, 'approved'), agentId } }, mint(`j-${requestId}`, tenantId, agentId)]
  if (idemKey !== null) {
    ops.push({ op: 'idempotency_insert', record: { tenantId, route: 'clearance', key: idemKey, bodyHash: 'b', requestId, statusCode: 200, responseJson: '{}', createdAtMs: n } })
  }
  ops.push({ op: 'event_insert', event: event(tenantId, requestId, n) })
  return ops
}

async function setUp(store: Store): Promise<void> {
  await store.write([{ op: 'tenant_insert', tenant: { tenantId: T1, name: 'one', createdAtMs: 1 } }])
  await store.write([{ op: 'tenant_insert', tenant: { tenantId: T2, name: 'two', createdAtMs: 1 } }])
  for (const [jti, agent] of [['a', 'bot'], ['b', 'bot'], ['c', 'bot'], ['d', 'bot'], ['e', 'locked-bot'], ['used', 'bot']] as const) {
    assert.deepEqual(await store.write([mint(jti, T1, agent)]), { ok: true })
  }
  await store.write([{ op: 'agent_lock_put', lock: { tenantId: T1, agentId: 'locked-bot', locked: true, actor: 'ops', reason: 'drift', changedAtMs: 1 } }])
  assert.deepEqual(await store.write([burn('used', T1, 'bot')]), { ok: true })
}

/** Each list is submitted in one event-loop turn, so it forms one group-commit batch. */
const BURN_BATCH: WriteOp[][] = [
  [burn('a', T1, 'bot')], // burns
  [burn('b', T2, 'bot')], // another tenant's token: wrong tenant
  [burn('e', T1, 'locked-bot')], // locked agent (with its reason)
  [burn('used', T1, 'bot')], // burned before: replayed
  [burn('c', T1, 'bot')], [burn('c', T1, 'bot')], [burn('c', null, 'bot')], // one jti thrice in a run: one burn, two replays
  [burn('d', T2, 'bot')], [burn('d', T1, 'bot')], // the wrong tenant first does not use up the right one's burn
  [burn('foreign', T2, 'bot')], [burn('elsewhere', null, 'bot')], // no mint record: burned under the caller, or '*'
  [burn('x1', T1, 'locked-bot')], // no mint record, caller's agent locked
]

const APPEND_BATCH: WriteOp[][] = Array.from({ length: 6 }, (_, i) => decision(T1, `req-${i}`, 'bot', `idem-${i}`, i + 1))

/** A run where some guards fail: a repeated Idempotency-Key, a repeated request id, a locked agent. */
const MIXED_APPEND_BATCH: WriteOp[][] = [
  decision(T1, 'm-0', 'bot', 'idem-m', 10),
  decision(T1, 'm-1', 'bot', 'idem-m', 11),
  decision(T1, 'req-0', 'bot', null, 12),
  decision(T1, 'm-3', 'locked-bot', null, 13),
  decision(T2, 'm-4', 'bot', null, 14),
]

async function runAll(store: Store): Promise<{ results: WriteResult[][]; burned: boolean[]; events: unknown[]; clearances: unknown[] }> {
  const results: WriteResult[][] = []
  for (const batch of [BURN_BATCH, APPEND_BATCH, MIXED_APPEND_BATCH]) results.push(await Promise.all(batch.map((ops) => store.write(ops))))
  const burned = await Promise.all(['a', 'b', 'c', 'd', 'e', 'foreign', 'elsewhere', 'x1'].map((j) => store.isBurned(j)))
  const schema = (store as PostgresStore).schema
  const events = await adminQuery(`SELECT tenant_id, tenant_seq, request_id, event_hash, body_cipher, tool_args, confidence, approved FROM ${schema}.decision_events ORDER BY seq`)
  const clearances = await adminQuery(`SELECT tenant_id, request_id, agent_id FROM ${schema}.clearances ORDER BY tenant_id, request_id`)
  return { results, burned, events, clearances }
}

test('postgres: runs of burns and decision appends are multi-row statements with one-by-one answers', { skip }, async (t) => {
  const batched = await openPostgresStore({ url: PG_TEST_URL, schema: testSchema() })
  const oneByOne = await openPostgresStore({ url: PG_TEST_URL, schema: testSchema(), multiRow: false })
  t.after(() => Promise.all([batched.close(), oneByOne.close()]))
  await setUp(batched)
  await setUp(oneByOne)
  const before = batched.batchedWriteCount
  const got = await runAll(batched)
  const want = await runAll(oneByOne)
  assert.deepEqual(got, want)
  // What the answers are (the one-by-one path is the SQLite driver's order of checks).
  const refused = (code: string, lockReason: string | null = null) => ({ ok: false, failedOp: 0, opName: 'token_burn', refusal: { code, lockReason } })
  assert.deepEqual(got.results[0], [
    { ok: true }, refused('token_wrong_tenant'), refused('agent_locked', 'drift'), refused('token_replayed'),
    { ok: true }, refused('token_replayed'), refused('token_replayed'), refused('token_wrong_tenant'), { ok: true },
    { ok: true }, { ok: true }, refused('agent_locked', 'drift'),
  ])
  assert.deepEqual(got.results[1], APPEND_BATCH.map(() => ({ ok: true })))
  assert.deepEqual(got.results[2], [
    { ok: true },
    { ok: false, failedOp: 2, opName: 'idempotency_insert' },
    { ok: false, failedOp: 0, opName: 'clearance_insert' },
    { ok: false, failedOp: 1, opName: 'token_insert', refusal: { code: 'agent_locked', lockReason: 'drift' } },
    { ok: true },
  ])
  assert.deepEqual(got.burned, [true, false, true, true, false, true, true, false])
  // Per-tenant ledger sequence numbered in caller order, nothing of a refused caller kept.
  assert.deepEqual(
    got.events.map((e) => `${(e as { tenant_id: string }).tenant_id}:${(e as { tenant_seq: number }).tenant_seq}:${(e as { request_id: string }).request_id}`),
    [...APPEND_BATCH.map((_, i) => `t1:${i + 1}:req-${i}`), 't1:7:m-0', 't2:1:m-4'],
  )
  // The burn run and the all-valid append run took the multi-row path; the mixed run was replayed one by one.
  assert.equal(batched.batchedWriteCount - before, BURN_BATCH.length + APPEND_BATCH.length)
  assert.equal(oneByOne.batchedWriteCount, 0)
})

test('postgres: a multi-row burn run holds exactly-once across two stores on one schema (replicas)', { skip }, async (t) => {
  const schema = testSchema()
  const a = await openPostgresStore({ url: PG_TEST_URL, schema })
  const b = await openPostgresStore({ url: PG_TEST_URL, schema })
  t.after(() => Promise.all([a.close(), b.close()]))
  await a.write([{ op: 'tenant_insert', tenant: { tenantId: T1, name: 'one', createdAtMs: 1 } }])
  const jtis = Array.from({ length: 30 }, (_, i) => `s${i}`)
  for (const j of jtis) await a.write([mint(j, T1, 'bot')])
  // Every jti sent 4 times through each replica in the same turn: 8 callers per jti, 240 in all.
  const calls = jtis.flatMap((j) => [a, b, a, b, a, b, a, b].map((s) => s.write([burn(j, T1, 'bot')]).then((r) => ({ j, r }))))
  const results = await Promise.all(calls)
  for (const j of jtis) assert.equal(results.filter((x) => x.j === j && x.r.ok).length, 1, `${j} burned exactly once`)
  assert.ok(a.batchedWriteCount > 0 && b.batchedWriteCount > 0)
})

test('postgres: a second group-commit transaction proceeds while the first waits on a lock (maxInFlight)', { skip }, async (t) => {
  const schema = testSchema()
  const store = await openPostgresStore({ url: PG_TEST_URL, schema, maxInFlight: 2 })
  const admin = new pg.Client({ connectionString: PG_TEST_URL })
  await admin.connect()
  t.after(async () => {
    await admin.end().catch(() => undefined)
    await store.close()
  })
  await store.write([{ op: 'tenant_insert', tenant: { tenantId: T1, name: 'one', createdAtMs: 1 } }])
  await store.write([mint('j-blocked', T1, 'blocked')])
  await store.write([mint('j-free', T1, 'free')])
  // Another session holds the agent-lock key of 'blocked' exclusively (as a lockdown in flight would).
  const key = (await admin.query<{ k: string }>("SELECT hashtextextended('agent-lock:' || $1::text || chr(1) || $2::text, 0)::text AS k", [T1, 'blocked'])).rows[0]!.k
  await admin.query('SELECT pg_advisory_lock($1::bigint)', [key])
  let firstDone = false
  const first = store.write([burn('j-blocked', T1, 'blocked')]).then((r) => {
    firstDone = true
    return r
  })
  // Wait until the first transaction is queued on that lock.
  for (;;) {
    const waiting = await admin.query(
      `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND ((classid::bigint << 32) | objid::bigint) = ($1::bigint & x'ffffffffffffffff'::bigint)`,
      [key],
    )
    if (waiting.rowCount !== 0) break
    await new Promise((r) => setTimeout(r, 20))
  }
  const second = await Promise.race([store.write([burn('j-free', T1, 'free')]), new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), 15_000))])
  assert.deepEqual(second, { ok: true }, 'the second write committed in its own transaction')
  assert.equal(firstDone, false, 'while the first still waits')
  await admin.query('SELECT pg_advisory_unlock($1::bigint)', [key])
  assert.deepEqual(await first, { ok: true })
})
