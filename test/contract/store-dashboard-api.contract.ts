// The dashboard's part of the Store contract, run against every driver: API-key expiry and successor
// (the guarded rotation: exactly one of two concurrent rotations), the review queue summary, locked
// agents, policy versions with their author, the last approved call of an agent and tool, and the
// review-state filters of listClearances.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ApiKeyId, TenantId } from '../../src/core/index.ts'
import type { ApiKeyRecord, ClearanceRecord, Store } from '../../src/store/index.ts'
import { clearanceFixture, type StoreFactory } from './store.contract.ts'

const T1 = 'tenant-one' as TenantId
const T2 = 'tenant-two' as TenantId

function key(tenantId: TenantId, id: string, more: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    keyId: id as ApiKeyId, tenantId, keyHash: `hash-${id}`, prefix: 'sk_test_abcd', role: 'agent', name: `name-${id}`,
    createdAtMs: 10, revokedAtMs: null, lastUsedAtMs: null, expiresAtMs: null, replacedByKeyId: null, ...more,
  }
}

function reviewed(tenantId: TenantId, id: string, atMs: number, more: Partial<ClearanceRecord>): ClearanceRecord {
  return { ...clearanceFixture(tenantId, id, atMs), ...more }
}

export function describeDashboardApiStoreContract(driver: string, factory: StoreFactory): void {
  async function fresh(t: { after(fn: () => Promise<void>): void }): Promise<{ get: () => Store; reopen: () => Promise<void> }> {
    let store = await factory.open()
    await store.write([
      { op: 'tenant_insert', tenant: { tenantId: T1, name: 'one', createdAtMs: 1 } },
      { op: 'tenant_insert', tenant: { tenantId: T2, name: 'two', createdAtMs: 2 } },
    ])
    t.after(() => store.close())
    return { get: () => store, reopen: async () => { store = await factory.reopen(store) } }
  }

  test(`${driver}: API keys keep expiry and successor; of two concurrent rotations exactly one passes`, async (t) => {
    const s = await fresh(t)
    await s.get().write([{ op: 'api_key_insert', key: key(T1, 'k1', { expiresAtMs: 5000 }) }, { op: 'api_key_insert', key: key(T1, 'k2') }])
    const rotate = (keyId: string, successor: string, expiresAtMs: number, atMs: number, tenantId = T1) =>
      s.get().write([{ op: 'api_key_rotate', tenantId, keyId: keyId as ApiKeyId, expiresAtMs, atMs, successor: key(tenantId, successor, { createdAtMs: atMs }) }])
    const [a, b] = await Promise.all([rotate('k2', 'k2a', 900, 100), rotate('k2', 'k2b', 800, 100)])
    assert.deepEqual([a.ok, b.ok].sort(), [false, true])
    assert.equal((await rotate('k1', 'k1x', 9000, 100, T2)).ok, false, 'another tenant cannot rotate it')
    assert.equal((await rotate('k1', 'k1a', 9000, 100)).ok, true)
    await s.reopen()
    const keys = new Map((await s.get().listApiKeys(T1)).map((k) => [k.keyId as string, k]))
    assert.equal(keys.get('k1')!.expiresAtMs, 5000, 'a grace never extends a lifetime')
    assert.equal(keys.get('k1')!.replacedByKeyId, 'k1a')
    const winner = a.ok ? 'k2a' : 'k2b'
    assert.deepEqual([keys.get('k2')!.expiresAtMs, keys.get('k2')!.replacedByKeyId], [a.ok ? 900 : 800, winner])
    assert.ok(keys.has(winner) && !keys.has(a.ok ? 'k2b' : 'k2a'), 'the refused rotation inserted no successor')
    assert.equal((await s.get().findApiKeyByHash('hash-k1'))!.expiresAtMs, 5000)
    // Revoked or expired keys are not rotated.
    await s.get().write([{ op: 'api_key_insert', key: key(T1, 'k3') }, { op: 'api_key_insert', key: key(T1, 'k4', { expiresAtMs: 50 }) }])
    await s.get().write([{ op: 'api_key_revoke', tenantId: T1, keyId: 'k3' as ApiKeyId, atMs: 20 }])
    assert.equal((await rotate('k3', 'k3a', 900, 100)).ok, false)
    assert.equal((await rotate('k4', 'k4a', 900, 100)).ok, false)
    assert.equal((await rotate(winner, 'k2c', 950, 100)).ok, true, 'the successor can be rotated in turn')
  })

  test(`${driver}: review queue stats, locked agents, review-state filters, per tenant`, async (t) => {
    const s = await fresh(t)
    const store = s.get()
    await store.write([
      { op: 'clearance_insert', clearance: reviewed(T1, 'p1', 100, { reviewExpiresAtMs: 1000 }) },
      { op: 'clearance_insert', clearance: reviewed(T1, 'p2', 200, { reviewExpiresAtMs: 5000 }) },
      { op: 'clearance_insert', clearance: reviewed(T1, 'd1', 50, { status: 'denied', decisionStatus: 'denied', reviewState: 'denied' }) },
      { op: 'clearance_insert', clearance: reviewed(T1, 'c1', 60, { status: 'denied', decisionStatus: 'denied', reviewState: 'cancelled' }) },
      { op: 'clearance_insert', clearance: reviewed(T1, 'e1', 70, { status: 'denied', decisionStatus: 'denied', reviewState: 'expired' }) },
      { op: 'clearance_insert', clearance: reviewed(T1, 'auto', 80, { status: 'approved', decisionStatus: 'approved', reviewState: null }) },
      { op: 'clearance_insert', clearance: reviewed(T2, 'p3', 10, { reviewExpiresAtMs: 20 }) },
      { op: 'agent_lock_put', lock: { tenantId: T1, agentId: 'a1', locked: true, actor: 'x', reason: 'r1', changedAtMs: 5 } },
      { op: 'agent_lock_put', lock: { tenantId: T1, agentId: 'a2', locked: true, actor: 'x', reason: 'r2', changedAtMs: 6 } },
      { op: 'agent_lock_put', lock: { tenantId: T1, agentId: 'a3', locked: false, actor: 'x', reason: '', changedAtMs: 7 } },
      { op: 'agent_lock_put', lock: { tenantId: T2, agentId: 'b1', locked: true, actor: 'x', reason: '', changedAtMs: 8 } },
    ])
    assert.deepEqual(await store.reviewQueueStats(T1, 1000), { pending: 2, oldestCreatedAtMs: 100, expiringSoon: 1 })
    assert.deepEqual(await store.reviewQueueStats(T1, 999), { pending: 2, oldestCreatedAtMs: 100, expiringSoon: 0 })
    assert.deepEqual(await store.reviewQueueStats('none' as TenantId, 1), { pending: 0, oldestCreatedAtMs: null, expiringSoon: 0 })
    assert.deepEqual((await store.listLockedAgents(T1, 10)).map((l) => [l.agentId, l.reason]), [['a2', 'r2'], ['a1', 'r1']])
    assert.deepEqual((await store.listLockedAgents(T1, 1)).map((l) => l.agentId), ['a2'])
    const ids = async (status: 'decided' | 'expired' | 'all'): Promise<string[]> =>
      (await store.listClearances(T1, { status, limit: 10, after: null })).map((c) => c.requestId)
    assert.deepEqual(await ids('decided'), ['d1', 'c1'])
    assert.deepEqual(await ids('expired'), ['e1'])
    assert.deepEqual(await ids('all'), ['d1', 'c1', 'e1', 'p1', 'p2'])
    assert.deepEqual((await store.listClearances(T1, { status: 'decided', limit: 1, after: { createdAtMs: 50, requestId: 'd1' } })).map((c) => c.requestId), ['c1'])
  })

  test(`${driver}: policy versions newest first with their author; one version by id, per tenant`, async (t) => {
    const s = await fresh(t)
    const version = (tenantId: TenantId, versionId: string, policyId: string, at: number, authorKeyId?: string) => ({
      op: 'policy_insert' as const,
      policy: { tenantId, policyId, versionId, description: '', documentJson: '{}', contentHash: `sha256:${versionId}`, createdAtMs: at, ...(authorKeyId === undefined ? {} : { authorKeyId }) },
    })
    await s.get().write([version(T1, 'v1', 'p', 10, 'key_1'), version(T1, 'v2', 'p', 20, 'key_2'), version(T1, 'v3', 'q', 15), version(T2, 'w1', 'p', 30)])
    await s.reopen()
    const list = await s.get().listPolicyVersions(T1, 10)
    assert.deepEqual(list.map((v) => [v.versionId, v.authorKeyId]), [['v2', 'key_2'], ['v3', null], ['v1', 'key_1']])
    assert.deepEqual((await s.get().listPolicyVersions(T1, 2)).map((v) => v.versionId), ['v2', 'v3'])
    assert.equal((await s.get().getPolicyVersion(T1, 'v1'))!.contentHash, 'sha256:v1')
    assert.equal(await s.get().getPolicyVersion(T2, 'v1'), null)
  })

  test(`${driver}: the last approved clearance of one agent and tool, at or before a time, never the request itself`, async (t) => {
    const s = await fresh(t)
    const approved = (tenantId: TenantId, id: string, at: number, more: Partial<ClearanceRecord> = {}): ClearanceRecord =>
      reviewed(tenantId, id, at, { status: 'approved', decisionStatus: 'approved', reviewState: null, agentId: 'ag', toolName: 'pay', ...more })
    await s.get().write([
      { op: 'clearance_insert', clearance: approved(T1, 'old', 10, { toolArgs: { n: 1 } }) },
      { op: 'clearance_insert', clearance: approved(T1, 'newer', 20, { toolArgs: { n: 2 } }) },
      { op: 'clearance_insert', clearance: approved(T1, 'later', 40) },
      { op: 'clearance_insert', clearance: approved(T1, 'other-agent', 25, { agentId: 'zz' }) },
      { op: 'clearance_insert', clearance: approved(T1, 'other-tool', 26, { toolName: 'refund' }) },
      { op: 'clearance_insert', clearance: approved(T1, 'denied', 27, { status: 'denied', decisionStatus: 'denied' }) },
      { op: 'clearance_insert', clearance: approved(T1, 'mint', 28, { kind: 'mint' }) },
      { op: 'clearance_insert', clearance: approved(T2, 'foreign', 29) },
    ])
    const last = await s.get().getLastApprovedClearance(T1, 'ag', 'pay', 30, 'me')
    assert.deepEqual([last?.requestId, last?.toolArgs], ['newer', { n: 2 }])
    assert.equal((await s.get().getLastApprovedClearance(T1, 'ag', 'pay', 20, 'newer'))?.requestId, 'old', 'never itself')
    assert.equal((await s.get().getLastApprovedClearance(T1, 'ag', 'pay', 9, 'me')), null)
    assert.equal((await s.get().getLastApprovedClearance(T2, 'ag', 'pay', 100, 'me'))?.requestId, 'foreign')
    assert.equal((await s.get().getLastApprovedClearance(T2, 'ag', 'refund', 100, 'me')), null)
  })
}
