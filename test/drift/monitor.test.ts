// The drift worker around the pure engine: the hook never blocks and sheds past its bound (counted);
// disabled tenants cost nothing; a lockdown whose write fails is retried rather than lost; the
// unidentified roll-up agent is reported but never locked automatically.
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { ManualClock } from '../../src/core/index.ts'
import type { TenantId } from '../../src/core/index.ts'
import { DEFAULT_DRIFT_SETTINGS, DriftMonitor, UNIDENTIFIED_AGENT } from '../../src/drift/index.ts'
import type { DriftEventDraft, DriftSink } from '../../src/drift/index.ts'
import { openSqliteStore } from '../../src/store/index.ts'
import type { AgentLockRecord, ClearanceRecord, Store } from '../../src/store/index.ts'
import { clearanceFixture } from '../contract/store.contract.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const T = 'tenant-d' as TenantId
const ENFORCE = { ...DEFAULT_DRIFT_SETTINGS, enabled: true, mode: 'enforce', learning: { min_days: 0, min_requests: 100 }, window_requests: 20 }

async function storeWith(t: TestContext, settings: object | null): Promise<Store> {
  const store = openSqliteStore({ path: join(tempDir(t), 'vault.db') })
  t.after(() => store.close())
  if (settings !== null) await store.write([{ op: 'settings_put', tenantId: T, kind: 'drift', valueJson: JSON.stringify(settings), atMs: 0 }])
  return store
}

function call(i: number, agentId: string, tool: string, args: Record<string, unknown>): ClearanceRecord {
  return { ...clearanceFixture(T, `r${i}`, 1_000_000 + i * 60_000, 'approved'), agentId, toolName: tool, toolArgs: args, reasonCode: null }
}

/** 150 steady calls, then a corroborated shift (new money tool, 50× amounts, new counterparties). */
function feed(m: DriftMonitor, agentId: string): void {
  for (let i = 0; i < 150; i++) m.observe(call(i, agentId, 'payments.create', { amount: 100 + (i % 9), customer: `cus_${i % 3}` }))
  for (let i = 150; i < 200; i++) m.observe(call(i, agentId, i % 2 === 0 ? 'payments.payout' : 'payments.create', { amount: 5000 + i, customer: `cus_new_${i}` }))
}

class RecordingSink implements DriftSink {
  events: DriftEventDraft[] = []
  locks: AgentLockRecord[] = []
  failures: number
  constructor(failures = 0) {
    this.failures = failures
  }
  async record(_t: TenantId, e: DriftEventDraft, _b: Record<string, unknown>, lock: AgentLockRecord | null): Promise<void> {
    if (e.action === 'lockdown' && this.failures > 0) {
      this.failures--
      throw new Error('overloaded')
    }
    this.events.push(e)
    if (lock !== null) this.locks.push(lock)
  }
}

test('the hook sheds past its bound and counts, never blocking; a disabled tenant is not computed', async (t) => {
  const store = await storeWith(t, null)
  const sink = new RecordingSink()
  const m = new DriftMonitor({ store, clock: new ManualClock(0), sink, maxQueue: 10 })
  for (let i = 0; i < 25; i++) m.observe(call(i, 'a', 'x', {}))
  assert.equal(m.queued, 10)
  assert.equal(m.dropped, 15)
  await m.drain()
  assert.equal(m.processed, 0, 'drift is off by default: nothing folded')
  assert.deepEqual(m.agentsOf(T), [])
  m.observe({ ...call(99, 'a', 'x', {}), reasonCode: 'agent_locked' })
  assert.equal(m.queued, 0, "a lock's own denials are not behaviour")
})

test('enforce: a lockdown whose write fails is retried on the next pass, not lost', async (t) => {
  const store = await storeWith(t, ENFORCE)
  const sink = new RecordingSink(2)
  const errors: unknown[] = []
  const m = new DriftMonitor({ store, clock: new ManualClock(0), sink, onError: (e) => errors.push(e) })
  feed(m, 'pay-bot')
  await m.drain()
  assert.equal(sink.locks.length, 0)
  assert.equal(m.pendingEvents, 1)
  await m.drain()
  await m.drain()
  assert.equal(sink.locks.length, 1, 'the third attempt lands')
  assert.equal(sink.locks[0]!.actor, 'drift:auto')
  assert.equal(errors.length, 2)
  assert.equal(m.pendingEvents, 0)
})

test(`the roll-up agent "${UNIDENTIFIED_AGENT}" reaches critical but is never locked automatically`, async (t) => {
  const store = await storeWith(t, ENFORCE)
  const sink = new RecordingSink()
  const m = new DriftMonitor({ store, clock: new ManualClock(0), sink })
  feed(m, UNIDENTIFIED_AGENT)
  feed(m, 'named-bot')
  await m.drain()
  assert.ok(sink.events.some((e) => e.agentId === UNIDENTIFIED_AGENT && e.level === 'critical'))
  assert.deepEqual(sink.locks.map((l) => l.agentId), ['named-bot'])
})

test('release with rebaseline restarts learning; without it the agent is normal and on probation', async (t) => {
  const store = await storeWith(t, ENFORCE)
  const m = new DriftMonitor({ store, clock: new ManualClock(0), sink: new RecordingSink() })
  feed(m, 'a-1')
  feed(m, 'a-2')
  await m.drain()
  assert.equal(m.agent(T, 'a-1')!.level, 3)
  await m.released(T, 'a-1', false, 2_000_000_000)
  await m.released(T, 'a-2', true, 2_000_000_000)
  const one = m.agent(T, 'a-1')!
  assert.equal(one.level, 0)
  assert.equal(one.phase, 'active')
  assert.equal(one.probationUntilMs, 2_000_000_000 + 86_400_000)
  const two = m.agent(T, 'a-2')!
  assert.equal(two.phase, 'learning')
  assert.equal(two.requests, 0)
  // Both written back at once (released() flushes): a restart sees the same.
  const rows = await store.listDriftAgents()
  assert.deepEqual(rows.map((r) => [r.agentId, JSON.parse(r.stateJson).phase]), [['a-1', 'active'], ['a-2', 'learning']])
})

test('agent ids are the caller\'s choice: past the per-tenant bound new agents are counted, not tracked', async (t) => {
  const store = await storeWith(t, ENFORCE)
  const m = new DriftMonitor({ store, clock: new ManualClock(0), sink: new RecordingSink(), maxAgentsPerTenant: 3 })
  for (let i = 0; i < 10; i++) m.observe(call(i, `agent-${i}`, 'x', {}))
  m.observe(call(10, 'agent-0', 'x', {}))
  await m.drain()
  assert.deepEqual(m.agentsOf(T).map((s) => s.agentId), ['agent-0', 'agent-1', 'agent-2'])
  assert.equal(m.untracked, 7)
  assert.equal(m.agent(T, 'agent-0')!.requests, 2, 'known agents keep being tracked')
})
