// The Store contract, written once and run against every driver (SQLite now, PostgreSQL later):
// atomic guarded writes, exactly-once burns under concurrency, tenant scoping, paging, durability.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ApiKeyId, TenantId } from '../../src/core/index.ts'
import type { ClearanceRecord, Store } from '../../src/store/index.ts'

export interface StoreFactory {
  /** A fresh, empty store. */
  open(): Promise<Store>
  /** The same store reopened after close() (durability). */
  reopen(store: Store): Promise<Store>
}

const T1 = 'tenant-one' as TenantId
const T2 = 'tenant-two' as TenantId

export function clearanceFixture(tenantId: TenantId, requestId: string, createdAtMs: number, status: ClearanceRecord['status'] = 'pending_review'): ClearanceRecord {
  return {
    tenantId, requestId, kind: 'clearance', status,
    decisionStatus: status === 'pending_review' ? 'approved_pending_review' : status === 'processing' ? null : status,
    token: null, jti: null, reason: 'r', reasonCode: null, confidence: 0.5, confidenceBucket: 'medium',
    minimumConfidenceScore: 0.8, minimumConfidenceBucket: 'high', policyId: 'p', policyVersionId: null,
    policyContentHash: null, toolName: 'tool', toolArgs: { a: 1 }, toolArgsHash: 'sha256:00', agentId: 'agent',
    sessionId: '', context: {}, matchedRuleIds: [], reviewState: status === 'pending_review' ? 'pending' : null,
    reviewExpiresAtMs: null, reviewer: null, reviewReason: null, parentRequestId: null, createdAtMs, updatedAtMs: createdAtMs,
  }
}

export function describeStoreContract(driver: string, factory: StoreFactory): void {
  async function fresh(t: { after(fn: () => Promise<void>): void }): Promise<Store> {
    const store = await factory.open()
    await store.write([
      { op: 'tenant_insert', tenant: { tenantId: T1, name: 'one', createdAtMs: 1 } },
      { op: 'tenant_insert', tenant: { tenantId: T2, name: 'two', createdAtMs: 2 } },
    ])
    t.after(() => store.close())
    return store
  }

  test(`${driver}: 100 concurrent burns of one jti → exactly one succeeds`, async (t) => {
    const store = await fresh(t)
    const burns = Array.from({ length: 100 }, () =>
      store.write([{ op: 'burn', jti: 'jti-storm', tenantId: T1, agentId: 'a', expSeconds: 10, atMs: 5 }]),
    )
    const results = await Promise.all(burns)
    assert.equal(results.filter((r) => r.ok).length, 1)
    assert.deepEqual(results.find((r) => !r.ok), { ok: false, failedOp: 0, opName: 'burn' })
    assert.equal(await store.isBurned('jti-storm'), true)
  })

  test(`${driver}: a failed guard rolls back that caller's earlier ops only`, async (t) => {
    const store = await fresh(t)
    await store.write([{ op: 'burn', jti: 'used', tenantId: T1, agentId: 'a', expSeconds: 10, atMs: 5 }])
    const token = { jti: 'tok-1', tenantId: T1, requestId: 'r1', agentId: 'a', toolName: 't', kid: 'k', expSeconds: 9, mintedAtMs: 1 }
    const [failed, other] = await Promise.all([
      store.write([{ op: 'token_insert', token }, { op: 'burn', jti: 'used', tenantId: T1, agentId: 'a', expSeconds: 10, atMs: 6 }]),
      store.write([{ op: 'token_insert', token: { ...token, jti: 'tok-2' } }]),
    ])
    assert.equal(failed.ok, false)
    assert.equal(other.ok, true)
    assert.equal(await store.getToken('tok-1'), null, 'rolled back with the failed guard')
    assert.equal((await store.getToken('tok-2'))?.requestId, 'r1')
  })

  test(`${driver}: clearances are tenant-scoped; updates are exactly-once transitions`, async (t) => {
    const store = await fresh(t)
    const c = clearanceFixture(T1, 'req-1', 10)
    assert.equal((await store.write([{ op: 'clearance_insert', clearance: c }])).ok, true)
    assert.equal((await store.write([{ op: 'clearance_insert', clearance: c }])).ok, false, 'duplicate request id')
    assert.equal(await store.getClearance(T2, 'req-1'), null, 'other tenant sees nothing')
    const approved = { ...c, status: 'approved' as const, decisionStatus: 'approved' as const, reviewState: 'approved' as const }
    const both = await Promise.all([
      store.write([{ op: 'clearance_update', clearance: approved, expectStatus: 'pending_review' }]),
      store.write([{ op: 'clearance_update', clearance: { ...approved, status: 'denied', decisionStatus: 'denied' }, expectStatus: 'pending_review' }]),
    ])
    assert.deepEqual(both.map((r) => r.ok), [true, false])
    assert.equal((await store.getClearance(T1, 'req-1'))?.status, 'approved')
    assert.equal((await store.write([{ op: 'clearance_update', clearance: approved, expectStatus: 'pending_review' }])).ok, false)
  })

  test(`${driver}: review listing pages by (created_at, request_id) within one tenant`, async (t) => {
    const store = await fresh(t)
    const ops = []
    for (let i = 0; i < 5; i++) ops.push({ op: 'clearance_insert' as const, clearance: clearanceFixture(T1, `r${i}`, 100 + (i >> 1)) })
    ops.push({ op: 'clearance_insert' as const, clearance: clearanceFixture(T2, 'other', 100) })
    await store.write(ops)
    const page1 = await store.listClearances(T1, { status: 'pending_review', limit: 3, after: null })
    assert.deepEqual(page1.map((c) => c.requestId), ['r0', 'r1', 'r2'])
    const last = page1[2]!
    const page2 = await store.listClearances(T1, { status: 'pending_review', limit: 3, after: { createdAtMs: last.createdAtMs, requestId: last.requestId } })
    assert.deepEqual(page2.map((c) => c.requestId), ['r3', 'r4'])
  })

  test(`${driver}: idempotency records are unique per (tenant, route, key)`, async (t) => {
    const store = await fresh(t)
    const rec = { tenantId: T1, route: '/mint-token', key: 'k1', bodyHash: 'h', requestId: null, statusCode: 200, responseJson: '{}', createdAtMs: 1 }
    assert.equal((await store.write([{ op: 'idempotency_insert', record: rec }])).ok, true)
    assert.equal((await store.write([{ op: 'idempotency_insert', record: { ...rec, bodyHash: 'other' } }])).ok, false)
    assert.equal((await store.write([{ op: 'idempotency_insert', record: { ...rec, tenantId: T2 } }])).ok, true)
    assert.equal((await store.getIdempotency(T1, '/mint-token', 'k1'))?.bodyHash, 'h')
  })

  test(`${driver}: acknowledged writes survive close and reopen; last-used times reach disk`, async (t) => {
    let store = await factory.open()
    await store.write([{ op: 'tenant_insert', tenant: { tenantId: T1, name: 'one', createdAtMs: 1 } }])
    const key = { keyId: 'key-1' as ApiKeyId, tenantId: T1, keyHash: 'ab', prefix: 'sk_test_ab', role: 'agent' as const, name: 'n', createdAtMs: 1, revokedAtMs: null, lastUsedAtMs: null }
    await store.write([{ op: 'api_key_insert', key }, { op: 'burn', jti: 'j', tenantId: T1, agentId: 'a', expSeconds: 1, atMs: 1 }])
    store.touchApiKey(key.keyId, 777)
    store = await factory.reopen(store)
    t.after(() => store.close())
    assert.equal(await store.isBurned('j'), true)
    assert.equal((await store.findApiKeyByHash('ab'))?.lastUsedAtMs, 777)
    assert.equal((await store.write([{ op: 'api_key_revoke', tenantId: T2, keyId: key.keyId, atMs: 5 }])).ok, false, 'cross-tenant revoke')
    assert.equal((await store.write([{ op: 'api_key_revoke', tenantId: T1, keyId: key.keyId, atMs: 5 }])).ok, true)
    assert.equal((await store.write([{ op: 'api_key_revoke', tenantId: T1, keyId: key.keyId, atMs: 6 }])).ok, false, 'already revoked')
  })
}
