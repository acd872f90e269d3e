// The drift part of the Store contract, run against every driver: agent states upsert and survive a
// reopen; drift events take a per-tenant seq in their own transaction and list newest first with
// agent and level filters and a seq cursor; a drift event commits or rolls back with its batch.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TenantId } from '../../src/core/index.ts'
import type { DriftEventRecord, Store } from '../../src/store/index.ts'
import type { StoreFactory } from './store.contract.ts'

const T1 = 'tenant-one' as TenantId
const T2 = 'tenant-two' as TenantId

function event(tenantId: TenantId, n: number, agentId: string, level: string): DriftEventRecord {
  return { tenantId, eventId: `dre_${tenantId}_${n}`, agentId, type: 'drift.level_changed', level, score: n, atMs: 1000 + n, bodyJson: JSON.stringify({ n }) }
}

export function describeDriftStoreContract(driver: string, factory: StoreFactory): void {
  test(`${driver}: drift agent states upsert per (tenant, agent) and survive a reopen`, async (t) => {
    let store: Store = await factory.open()
    t.after(() => store.close())
    const put = (tenantId: TenantId, agentId: string, v: number): Promise<unknown> =>
      store.write([{ op: 'drift_state_put', record: { tenantId, agentId, stateJson: JSON.stringify({ v }), updatedAtMs: v } }])
    await put(T1, 'a', 1)
    await put(T1, 'a', 2)
    await put(T2, 'a', 3)
    store = await factory.reopen(store)
    const rows = await store.listDriftAgents()
    assert.deepEqual(rows.map((r) => [r.tenantId, r.agentId, JSON.parse(r.stateJson).v, r.updatedAtMs]), [[T1, 'a', 2, 2], [T2, 'a', 3, 3]])
  })

  test(`${driver}: drift events: per-tenant seq, newest first, filters, cursor; a failed batch leaves none`, async (t) => {
    const store = await factory.open()
    t.after(() => store.close())
    for (let n = 1; n <= 5; n++) await store.write([{ op: 'drift_event_insert', event: event(T1, n, n % 2 === 0 ? 'even' : 'odd', n >= 4 ? 'critical' : 'watch') }])
    await store.write([{ op: 'drift_event_insert', event: event(T2, 1, 'odd', 'watch') }])
    const all = await store.listDriftEvents(T1, { agentId: null, level: null, before: null, limit: 10 })
    assert.deepEqual(all.map((e) => e.seq), [5, 4, 3, 2, 1])
    assert.deepEqual((await store.listDriftEvents(T2, { agentId: null, level: null, before: null, limit: 10 })).map((e) => e.seq), [1], 'seq is per tenant')
    const page = await store.listDriftEvents(T1, { agentId: null, level: null, before: 4, limit: 2 })
    assert.deepEqual(page.map((e) => e.seq), [3, 2])
    assert.deepEqual((await store.listDriftEvents(T1, { agentId: 'odd', level: null, before: null, limit: 10 })).map((e) => e.seq), [5, 3, 1])
    assert.deepEqual((await store.listDriftEvents(T1, { agentId: 'odd', level: 'critical', before: null, limit: 10 })).map((e) => e.seq), [5])
    assert.deepEqual(JSON.parse(all[0]!.bodyJson), { n: 5 })
    // A drift event shares its batch's fate: a guard failing later in the same write rolls it back.
    const failed = await store.write([
      { op: 'drift_event_insert', event: event(T1, 6, 'odd', 'watch') },
      { op: 'api_key_revoke', tenantId: T1, keyId: 'no-such-key' as never, atMs: 1 },
    ])
    assert.equal(failed.ok, false)
    assert.equal((await store.listDriftEvents(T1, { agentId: null, level: null, before: null, limit: 10 })).length, 5)
  })
}
