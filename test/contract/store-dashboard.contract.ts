// The dashboard part of the Store contract, run against every driver: users unique per (tenant,
// email), updates only of an existing user, the first-admin guard exactly once under concurrency,
// sessions found by token hash, touched forward only, revoked per user except one, deleted; secrets
// first-writer-wins; everything tenant-scoped and durable across a reopen.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TenantId } from '../../src/core/index.ts'
import type { DashboardSessionRecord, DashboardUserRecord, Store } from '../../src/store/index.ts'
import type { StoreFactory } from './store.contract.ts'

const T1 = 'tenant-one' as TenantId
const T2 = 'tenant-two' as TenantId

export function userFixture(tenantId: TenantId, userId: string, email: string, role: DashboardUserRecord['role'] = 'viewer'): DashboardUserRecord {
  return { userId, tenantId, email, role, passwordHash: '$scrypt$ln=4,r=8,p=1$AAAA$BBBBBBBBBBBBBBBBBBBB', disabledAtMs: null, createdAtMs: 10, passwordChangedAtMs: 10 }
}

export function sessionFixture(tenantId: TenantId, userId: string, sessionId: string, createdAtMs = 100): DashboardSessionRecord {
  return { sessionId, tokenHash: `hash-${sessionId}`, tenantId, userId, createdAtMs, lastSeenAtMs: createdAtMs, ip: '127.0.0.1', userAgent: 'ua', revokedAtMs: null }
}

export function describeDashboardStoreContract(driver: string, factory: StoreFactory): void {
  async function fresh(t: { after(fn: () => Promise<void>): void }): Promise<{ get(): Store; reopen(): Promise<Store> }> {
    let store = await factory.open()
    t.after(() => store.close())
    return {
      get: () => store,
      reopen: async () => (store = await factory.reopen(store)),
    }
  }

  test(`${driver}: dashboard users are unique per (tenant, email), updated only when they exist, tenant-scoped`, async (t) => {
    const s = await fresh(t)
    const store = s.get()
    assert.deepEqual(await store.write([{ op: 'dashboard_user_insert', user: userFixture(T1, 'u1', 'a@x.test', 'admin') }]), { ok: true })
    const dup = await store.write([{ op: 'dashboard_user_insert', user: userFixture(T1, 'u2', 'a@x.test') }])
    assert.deepEqual(dup, { ok: false, failedOp: 0, opName: 'dashboard_user_insert' })
    assert.deepEqual(await store.write([{ op: 'dashboard_user_insert', user: userFixture(T2, 'u3', 'a@x.test') }]), { ok: true })
    const missing = await store.write([{ op: 'dashboard_user_update', user: userFixture(T2, 'u1', 'a@x.test') }])
    assert.equal(missing.ok, false, 'u1 is not a user of T2')
    assert.deepEqual(await store.write([{ op: 'dashboard_user_update', user: { ...userFixture(T1, 'u1', 'a@x.test', 'reviewer'), disabledAtMs: 50, passwordHash: 'new', passwordChangedAtMs: 60 } }]), { ok: true })
    const reopened = await s.reopen()
    assert.deepEqual(await reopened.getDashboardUser(T1, 'u1'), { ...userFixture(T1, 'u1', 'a@x.test', 'reviewer'), disabledAtMs: 50, passwordHash: 'new', passwordChangedAtMs: 60 })
    assert.equal(await reopened.getDashboardUser(T2, 'u1'), null)
    assert.equal((await reopened.findDashboardUserByEmail(T2, 'a@x.test'))?.userId, 'u3')
    assert.deepEqual((await reopened.listDashboardUsers(T1)).map((u) => u.userId), ['u1'])
    assert.deepEqual(await reopened.listDashboardUsers('nobody' as TenantId), [])
  })

  test(`${driver}: the first-admin guard passes exactly once, even for concurrent writers, and rolls back its batch`, async (t) => {
    const s = await fresh(t)
    const store = s.get()
    assert.equal(await store.getDashboardBootstrap(T1), null)
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        store.write([
          { op: 'dashboard_bootstrap_claim', bootstrap: { tenantId: T1, userId: `admin${i}`, claimedAtMs: i } },
          { op: 'dashboard_user_insert', user: userFixture(T1, `admin${i}`, `admin${i}@x.test`, 'admin') },
        ]),
      ),
    )
    assert.equal(attempts.filter((a) => a.ok).length, 1)
    for (const a of attempts.filter((x) => !x.ok)) assert.deepEqual(a, { ok: false, failedOp: 0, opName: 'dashboard_bootstrap_claim' })
    const winner = await store.getDashboardBootstrap(T1)
    assert.deepEqual((await store.listDashboardUsers(T1)).map((u) => u.userId), [winner!.userId], 'losers wrote no user')
    assert.equal(await store.getDashboardBootstrap(T2), null, 'per tenant')
  })

  test(`${driver}: sessions by token hash; touch moves forward only; revoke all but one; delete`, async (t) => {
    const s = await fresh(t)
    const store = s.get()
    await store.write([
      { op: 'dashboard_session_insert', session: sessionFixture(T1, 'u1', 's1', 100) },
      { op: 'dashboard_session_insert', session: sessionFixture(T1, 'u1', 's2', 200) },
      { op: 'dashboard_session_insert', session: sessionFixture(T1, 'u1', 's3', 300) },
      { op: 'dashboard_session_insert', session: sessionFixture(T1, 'u2', 's4', 400) },
      { op: 'dashboard_session_insert', session: sessionFixture(T2, 'u1', 's5', 500) },
    ])
    assert.deepEqual(await store.findDashboardSessionByHash('hash-s2'), sessionFixture(T1, 'u1', 's2', 200))
    assert.equal(await store.findDashboardSessionByHash('hash-none'), null)
    await store.write([{ op: 'dashboard_session_touch', sessionId: 's2', atMs: 900 }])
    await store.write([{ op: 'dashboard_session_touch', sessionId: 's2', atMs: 800 }])
    assert.equal((await store.findDashboardSessionByHash('hash-s2'))!.lastSeenAtMs, 900)
    assert.deepEqual((await store.listDashboardSessions(T1, 'u1')).map((x) => x.sessionId), ['s3', 's2', 's1'], 'newest first')
    await store.write([{ op: 'dashboard_sessions_revoke', tenantId: T1, userId: 'u1', exceptSessionId: 's2', atMs: 1000 }])
    assert.deepEqual((await store.listDashboardSessions(T1, 'u1')).map((x) => x.sessionId), ['s2'])
    assert.equal((await store.findDashboardSessionByHash('hash-s1'))!.revokedAtMs, 1000)
    assert.equal((await store.findDashboardSessionByHash('hash-s4'))!.revokedAtMs, null, 'another user')
    assert.equal((await store.findDashboardSessionByHash('hash-s5'))!.revokedAtMs, null, 'another tenant')
    await store.write([{ op: 'dashboard_sessions_revoke', tenantId: T1, userId: 'u1', exceptSessionId: null, atMs: 1100 }])
    assert.deepEqual(await store.listDashboardSessions(T1, 'u1'), [])
    await store.write([{ op: 'dashboard_session_delete', sessionId: 's4' }])
    const reopened = await s.reopen()
    assert.equal(await reopened.findDashboardSessionByHash('hash-s4'), null)
    assert.equal((await reopened.findDashboardSessionByHash('hash-s2'))!.revokedAtMs, 1100)
  })

  test(`${driver}: prune deletes sessions idle or created before the cutoffs, in every tenant, and nothing else`, async (t) => {
    const s = await fresh(t)
    const store = s.get()
    await store.write([
      { op: 'dashboard_session_insert', session: sessionFixture(T1, 'u1', 'old', 100) },
      { op: 'dashboard_session_insert', session: sessionFixture(T2, 'u1', 'idle', 500) },
      { op: 'dashboard_session_insert', session: sessionFixture(T1, 'u2', 'live', 500) },
    ])
    await store.write([{ op: 'dashboard_session_touch', sessionId: 'old', atMs: 900 }])
    await store.write([{ op: 'dashboard_session_touch', sessionId: 'live', atMs: 900 }])
    await store.write([{ op: 'dashboard_sessions_prune', idleBeforeMs: 600, createdBeforeMs: 200 }])
    assert.equal(await store.findDashboardSessionByHash('hash-old'), null, 'too old, though recently seen')
    assert.equal(await store.findDashboardSessionByHash('hash-idle'), null, 'idle')
    assert.equal((await store.findDashboardSessionByHash('hash-live'))?.sessionId, 'live')
  })

  test(`${driver}: a secret is first-writer-wins and survives a reopen`, async (t) => {
    const s = await fresh(t)
    const store = s.get()
    assert.equal(await store.getDashboardSecret('k'), null)
    await Promise.all(['v1', 'v2', 'v3'].map((v, i) => store.write([{ op: 'dashboard_secret_init', name: 'k', value: v, atMs: i }])))
    const first = await store.getDashboardSecret('k')
    assert.ok(['v1', 'v2', 'v3'].includes(first!))
    await store.write([{ op: 'dashboard_secret_init', name: 'k', value: 'later', atMs: 9 }])
    assert.equal(await (await s.reopen()).getDashboardSecret('k'), first)
  })
}
