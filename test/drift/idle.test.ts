// The idle re-evaluation timer of the drift worker, with an injected clock and no new calls: an agent
// whose last calls left a shift in its window enters `watch` on the timer's evaluation; once the
// window closes (entries older than 24 h leave) the level decays after the exit evaluations; work per
// pass is bounded however many agents need it. The drift metrics (agents per level, evaluations by
// trigger, events, lockdowns) are in the registry and move with it, with no agent id as a label.
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { ManualClock } from '../../src/core/index.ts'
import type { TenantId } from '../../src/core/index.ts'
import { DEFAULT_DRIFT_SETTINGS, DriftMonitor, IDLE_SLICE, IDLE_WINDOW_MS } from '../../src/drift/index.ts'
import type { DriftEventDraft, DriftSink } from '../../src/drift/index.ts'
import { openSqliteStore } from '../../src/store/index.ts'
import type { AgentLockRecord, ClearanceRecord, Store } from '../../src/store/index.ts'
import { clearanceFixture } from '../contract/store.contract.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const T = 'tenant-i' as TenantId
const HOUR = 3_600_000
const T0 = Date.UTC(2026, 5, 1, 8)
const OBSERVE = { ...DEFAULT_DRIFT_SETTINGS, enabled: true, learning: { min_days: 0, min_requests: 100 }, window_requests: 20 }

async function storeWith(t: TestContext, settings: object): Promise<Store> {
  const store = openSqliteStore({ path: join(tempDir(t), 'vault.db') })
  t.after(() => store.close())
  await store.write([{ op: 'settings_put', tenantId: T, kind: 'drift', valueJson: JSON.stringify(settings), atMs: 0 }])
  return store
}

function call(i: number, atMs: number, agentId: string, tool: string, args: Record<string, unknown>): ClearanceRecord {
  return { ...clearanceFixture(T, `r-${agentId}-${i}`, atMs, 'approved'), agentId, toolName: tool, toolArgs: args, reasonCode: null }
}

class RecordingSink implements DriftSink {
  events: DriftEventDraft[] = []
  locks: AgentLockRecord[] = []
  async record(_t: TenantId, e: DriftEventDraft, _b: Record<string, unknown>, lock: AgentLockRecord | null): Promise<void> {
    this.events.push(e)
    if (lock !== null) this.locks.push(lock)
  }
}

function sample(text: string, line: string): number | null {
  for (const l of text.split('\n')) if (l.startsWith(line + ' ')) return Number(l.slice(line.length + 1))
  return null
}

test('idle timer: a shift left in the window enters watch without a call; the window closes and the level decays', async (t) => {
  const store = await storeWith(t, OBSERVE)
  const clock = new ManualClock(T0)
  const sink = new RecordingSink()
  const m = new DriftMonitor({ store, clock, sink, idleEvalMs: HOUR })
  const registry = new Registry()
  m.registerMetrics(registry)
  let at = T0
  for (let i = 0; i < 150; i++) m.observe(call(i, (at += 60_000), 'bot', 'payments.create', { amount: 100 + (i % 9), customer: `cus_${i % 3}` }))
  // Two calls of a tool never seen: NEW_TOOL at full severity on the second (score 50, once: no level yet).
  m.observe(call(150, (at += 60_000), 'bot', 'crm.export', { segment: 'all' }))
  m.observe(call(151, (at += 60_000), 'bot', 'crm.export', { segment: 'all' }))
  const lastCall = at
  clock.set(lastCall)
  await m.drain()
  assert.deepEqual(sink.events.map((e) => e.type), ['drift.baseline_established'])
  assert.equal(m.agent(T, 'bot')!.score, 50)
  assert.equal(m.agent(T, 'bot')!.level, 0, 'one evaluation at watch does not enter it')
  let text = await registry.metrics()
  assert.equal(sample(text, 'ledgix_drift_agents{level="normal"}'), 1)
  assert.equal(sample(text, 'ledgix_drift_evaluations_total{trigger="request"}'), 52)
  assert.equal(sample(text, 'ledgix_drift_evaluations_total{trigger="idle"}'), 0)
  assert.equal(sample(text, 'ledgix_drift_events_total'), 1)
  assert.ok(!/bot/.test(text.split('\n').filter((l) => l.startsWith('ledgix_drift')).join('\n')), 'no agent id in any drift series')

  // No further calls. Within the interval nothing is re-evaluated; after it, the timer's evaluation
  // is the second one at watch.
  clock.set(lastCall + HOUR - 1)
  await m.drain()
  assert.equal(m.counters.evaluations.idle, 0)
  clock.set(lastCall + HOUR)
  await m.drain()
  assert.equal(m.processed, 152, 'no observation was added')
  assert.equal(m.counters.evaluations.idle, 1)
  const entered = sink.events.at(-1)!
  assert.equal(entered.type, 'drift.level_changed')
  assert.equal(entered.level, 'watch')
  assert.equal(entered.atMs, lastCall + HOUR)
  assert.deepEqual(entered.reasons.map((r) => r.code), ['NEW_TOOL'])
  text = await registry.metrics()
  assert.equal(sample(text, 'ledgix_drift_agents{level="watch"}'), 1)
  assert.equal(sample(text, 'ledgix_drift_agents{level="normal"}'), 0)
  assert.equal(sample(text, 'ledgix_drift_evaluations_total{trigger="idle"}'), 1)
  assert.equal(sample(text, 'ledgix_drift_events_total'), 2)

  // Hourly passes: the window still shows the shift until its entries are 24 h old; then six calm
  // evaluations (hysteresis.exit_evals) bring the agent back to normal — all without a call.
  let decayed: DriftEventDraft | undefined
  for (let h = 2; h <= 40 && decayed === undefined; h++) {
    clock.set(lastCall + h * HOUR)
    await m.drain()
    decayed = sink.events.find((e) => e.level === 'normal' && e.type === 'drift.level_changed')
    if (decayed === undefined) assert.equal(m.agent(T, 'bot')!.level, 1)
  }
  assert.ok(decayed !== undefined, 'the level decayed')
  assert.equal(decayed.previousLevel, 'watch')
  // At +24 h the first new-tool call has left the window (older than IDLE_WINDOW_MS); one new-tool call
  // alone scores 25, below watch − 10: that pass is the first of the six calm evaluations.
  assert.equal(decayed.atMs, lastCall + (IDLE_WINDOW_MS / HOUR + 5) * HOUR, 'window closed after 24 h, then 6 calm evaluations')
  assert.equal(m.agent(T, 'bot')!.window.length, 0)
  assert.equal(m.processed, 152)
  text = await registry.metrics()
  assert.equal(sample(text, 'ledgix_drift_agents{level="normal"}'), 1)
  assert.equal(sample(text, 'ledgix_drift_evaluations_total{trigger="idle"}'), 29, 'one idle evaluation per hour from +1 h to +29 h')
  assert.equal(sample(text, 'ledgix_drift_events_total'), 3)
})

test('idle timer: bounded work per pass — at most IDLE_SLICE agents, the cycle resumes where it stopped', async (t) => {
  const store = await storeWith(t, { ...OBSERVE, learning: { min_days: 0, min_requests: 1 } })
  const clock = new ManualClock(T0)
  const m = new DriftMonitor({ store, clock, sink: new RecordingSink(), idleEvalMs: HOUR, maxAgentsPerTenant: 5000 })
  const n = 2 * IDLE_SLICE + 200
  for (let i = 0; i < n; i++) m.observe(call(i, T0 + i, `agent-${i}`, 'payments.create', { amount: 10 + (i % 7) }))
  // The first idle cycle walks every agent in slices (none is due yet: they just called).
  for (let i = 0; i < 3; i++) await m.drain()
  assert.equal(m.counters.evaluations.idle, 0)
  // The next UTC day: every agent has a day of sums to close (F4) and is due.
  clock.set(T0 + 25 * HOUR)
  await m.drain()
  assert.equal(m.counters.evaluations.idle, IDLE_SLICE)
  await m.drain()
  assert.equal(m.counters.evaluations.idle, 2 * IDLE_SLICE)
  await m.drain()
  assert.equal(m.counters.evaluations.idle, n)
  await m.drain()
  assert.equal(m.counters.evaluations.idle, n, 'nothing left until the next interval')
  assert.ok(m.agentsOf(T).every((s) => s.lastIdleEvalMs === T0 + 25 * HOUR), 'every agent was re-evaluated in this cycle')
  clock.set(T0 + 27 * HOUR)
  await m.drain()
  assert.equal(m.counters.evaluations.idle, n, 'quiet, normal agents with nothing to change cost no evaluation')
})

test('metrics: an automatic lockdown moves ledgix_drift_lockdowns_total and the critical gauge', async (t) => {
  const store = await storeWith(t, { ...OBSERVE, mode: 'enforce' })
  const sink = new RecordingSink()
  const m = new DriftMonitor({ store, clock: new ManualClock(T0), sink })
  const registry = new Registry()
  m.registerMetrics(registry)
  m.registerMetrics(registry)
  for (let i = 0; i < 150; i++) m.observe(call(i, T0 + i * 60_000, 'pay-bot', 'payments.create', { amount: 100 + (i % 9), customer: `cus_${i % 3}` }))
  for (let i = 150; i < 200; i++) m.observe(call(i, T0 + i * 60_000, 'pay-bot', i % 2 === 0 ? 'payments.payout' : 'payments.create', { amount: 5000 + i, customer: `cus_new_${i}` }))
  await m.drain()
  assert.equal(sink.locks.length, 1)
  const text = await registry.metrics()
  assert.equal(sample(text, 'ledgix_drift_lockdowns_total'), 1)
  assert.equal(sample(text, 'ledgix_drift_agents{level="critical"}'), 1)
  assert.equal(sample(text, 'ledgix_drift_observations_dropped_total'), 0)
  assert.match(text, /# HELP ledgix_drift_agents Agents tracked by drift detection, by level/)
})
