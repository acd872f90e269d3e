// Seeded simulations through the pure engine: steady agents raise no event over 10,000 decisions
// after learning (several seeds and profiles, default settings); each injected shift the issue names
// is detected within a stated bound of calls; enforce asks for lockdown only on corroborated signals;
// a JSON round trip of the state (what a restart does) changes nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_DRIFT_SETTINGS, compileSettings, observe, reviveAgentState } from '../../src/drift/index.ts'
import type { AgentState, DriftEventDraft, DriftSettings } from '../../src/drift/index.ts'
import { PROFILES, SimAgent } from './sim.ts'
import type { Profile, Shift } from './sim.ts'

const START = Date.UTC(2026, 0, 5)
const ON: DriftSettings = { ...DEFAULT_DRIFT_SETTINGS, enabled: true }

function profile(name: string): Profile {
  return PROFILES.find((p) => p.name === name)!
}

/** Learn (defaults: 7 days and 200 requests), then `steady` more calls; returns the state and events. */
function learned(agent: SimAgent, settings: DriftSettings, steady: number): { state: AgentState; events: DriftEventDraft[] } {
  const c = compileSettings(settings)
  let state: AgentState | null = null
  const events: DriftEventDraft[] = []
  let after = -1
  while (after < steady) {
    const r = observe(state, agent.next(), c, agent.agentId)
    state = r.state
    events.push(...r.events)
    if (state.phase === 'active') after++
  }
  return { state: state!, events }
}

test('steady agents: no drift event over 10,000 decisions after learning (3 profiles × 3 seeds, defaults)', () => {
  for (const p of PROFILES) {
    for (const seed of [11, 22, 33]) {
      const { state, events } = learned(new SimAgent(p, seed, START), ON, 10_000)
      assert.equal(events.length, 1, `${p.name} seed ${seed}: only the baseline event, got ${events.map((e) => `${e.type}:${e.level}`).join(', ')}`)
      assert.equal(events[0]!.type, 'drift.baseline_established')
      assert.ok(events[0]!.atMs - START >= 7 * 86_400_000, 'no baseline before the 7-day learning period')
      assert.equal(state.level, 0)
    }
  }
})

/** Calls after the shift until the first event at watch or above (Infinity if none within `limit`). */
function callsToDetect(p: Profile, seed: number, shift: Shift, settings: DriftSettings, limit = 500): { calls: number; events: DriftEventDraft[] } {
  const agent = new SimAgent(p, seed, START)
  const c = compileSettings(settings)
  let { state } = learned(agent, settings, 500)
  agent.shift = shift
  const events: DriftEventDraft[] = []
  for (let i = 1; i <= limit; i++) {
    const r = observe(state, agent.next(), c, agent.agentId)
    state = r.state
    events.push(...r.events)
    if (r.events.some((e) => e.level !== 'normal')) return { calls: i, events }
  }
  return { calls: Infinity, events }
}

const SHIFTS: Array<{ name: string; shift: Shift; bound: number }> = [
  // 30 % of calls go to a never-seen tool; two of them in the window make NEW_TOOL a signal.
  { name: 'new tool', shift: { newTool: 'admin.users.delete' }, bound: 40 },
  // Every amount ×10: the window-median test needs 10 amounts of a tool in the window.
  { name: '10× amounts', shift: { amountFactor: 10 }, bound: 80 },
  // Calls arrive 10× faster: the trailing-hour count must pass 3× the baseline hourly rate (the guard
  // against bursty-but-normal traffic), so the bound is 3 × 60/h (payments agent) + 20.
  { name: 'burst rate', shift: { gapFactor: 0.1 }, bound: 200 },
  // Every money call pays a customer never seen before.
  { name: 'new counterparty', shift: { newCounterparties: true }, bound: 80 },
]

for (const s of SHIFTS) {
  test(`injected shift "${s.name}" is detected within ${s.bound} calls (2 profiles × 3 seeds)`, () => {
    for (const p of [profile('refund bot'), profile('payments agent')]) {
      for (const seed of [5, 6, 7]) {
        const { calls, events } = callsToDetect(p, seed, s.shift, ON)
        assert.ok(calls <= s.bound, `${p.name} seed ${seed}: detected after ${calls} calls`)
        const first = events.find((e) => e.level !== 'normal')!
        assert.ok(first.reasons.length > 0 && first.reasons.every((r) => r.text.length > 0), 'the event explains itself')
        assert.equal(first.action, 'none', 'observe mode never asks for lockdown')
      }
    }
  })
}

test('enforce: a corroborated critical shift asks for lockdown; observe reaches critical but does not', () => {
  const shift: Shift = { newTool: 'payments.payout', amountFactor: 30, newCounterparties: true }
  for (const seed of [5, 6, 7]) {
    const enforce = callsToDetect(profile('payments agent'), seed, shift, { ...ON, mode: 'enforce' }, 200)
    const observeRun = callsToDetect(profile('payments agent'), seed, shift, ON, 200)
    const more = (settings: DriftSettings): DriftEventDraft[] => {
      const agent = new SimAgent(profile('payments agent'), seed, START)
      const c = compileSettings(settings)
      let { state } = learned(agent, settings, 500)
      agent.shift = shift
      const out: DriftEventDraft[] = []
      for (let i = 0; i < 200; i++) {
        const r = observe(state, agent.next(), c, agent.agentId)
        state = r.state
        out.push(...r.events)
        // Once locked, the Vault denies the agent's calls with agent_locked and drift sees no more.
        if (r.events.some((e) => e.action === 'lockdown')) break
      }
      return out
    }
    assert.ok(enforce.calls < 200 && observeRun.calls < 200)
    const locks = more({ ...ON, mode: 'enforce' }).filter((e) => e.action === 'lockdown')
    assert.equal(locks.length, 1, `seed ${seed}: exactly one lockdown request`)
    assert.equal(locks[0]!.level, 'critical')
    assert.ok(locks[0]!.corroborated)
    const groups = new Set(locks[0]!.reasons.filter((r) => r.severity >= 0.5).map((r) => r.group))
    assert.ok(groups.size >= 2 || locks[0]!.reasons.some((r) => r.code === 'AMOUNT_AND_NEW_COUNTERPARTY'), 'two independent feature groups')
    const observed = more(ON)
    assert.ok(observed.some((e) => e.level === 'critical'), 'observe mode still reports critical')
    assert.ok(observed.every((e) => e.action === 'none'))
  }
})

test('a single uncorroborated feature never locks, even in enforce mode', () => {
  // A new, non-money tool used a lot: NEW_TOOL and TOOL_MIX_SHIFT are one group (the tool), so at
  // most alert-level and never a lockdown, however long it lasts.
  const agent = new SimAgent(profile('support assistant'), 9, START)
  const settings: DriftSettings = { ...ON, mode: 'enforce' }
  const c = compileSettings(settings)
  let { state } = learned(agent, settings, 200)
  agent.shift = { newTool: 'kb.export' }
  const events: DriftEventDraft[] = []
  for (let i = 0; i < 500; i++) {
    const r = observe(state, agent.next(), c, agent.agentId)
    state = r.state
    events.push(...r.events)
  }
  assert.ok(events.length > 0, 'the shift is reported')
  assert.ok(events.every((e) => e.action === 'none'), events.map((e) => `${e.level}/${e.action}`).join(' '))
})

test('no flapping: scores oscillating around a band edge do not enter it, and leaving needs 6 calm evaluations', async () => {
  const { stepLevel } = await import('../../src/drift/engine.ts')
  const state = learned(new SimAgent(profile('support assistant'), 1, START), ON, 0).state
  const seen: number[] = []
  for (let i = 0; i < 40; i++) seen.push((state.level = stepLevel(state, i % 2 === 0 ? 68 : 72, ON, false, false)))
  assert.deepEqual([...new Set(seen)], [0, 1], '68/72/68/72 enters watch (2 × ≥ 40) and never alert')
  state.upStreak = [0, 0, 0, 0]
  for (const score of [72, 72]) state.level = stepLevel(state, score, ON, false, false)
  assert.equal(state.level, 2, 'two evaluations at 72 enter alert')
  const down: number[] = []
  for (let i = 0; i < 6; i++) down.push((state.level = stepLevel(state, 65, ON, false, false)))
  assert.deepEqual(down, [2, 2, 2, 2, 2, 2], '65 is not below alert − 10: alert holds')
  const calm: number[] = []
  for (let i = 0; i < 6; i++) calm.push((state.level = stepLevel(state, 10, ON, false, false)))
  assert.deepEqual(calm, [2, 2, 2, 2, 2, 0], 'six evaluations below 60 leave alert')
})

test('restart keeps baselines: a JSON round trip of the state mid-stream changes no later event', () => {
  const run = (roundTrip: boolean): string[] => {
    const agent = new SimAgent(profile('refund bot'), 42, START)
    const c = compileSettings(ON)
    let { state } = learned(agent, ON, 300)
    if (roundTrip) state = reviveAgentState(JSON.parse(JSON.stringify(state)))
    agent.shift = { amountFactor: 10, newCounterparties: true }
    const out: string[] = []
    for (let i = 0; i < 200; i++) {
      const r = observe(state, agent.next(), c, agent.agentId)
      state = r.state
      for (const e of r.events) out.push(`${e.type} ${e.level} ${e.score} ${e.atMs}`)
    }
    return out
  }
  const direct = run(false)
  assert.ok(direct.length > 0)
  assert.deepEqual(run(true), direct)
})
