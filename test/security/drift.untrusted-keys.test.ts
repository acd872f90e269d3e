// Drift keeps per-agent maps keyed by caller-chosen strings (tool names, policy hints, argument keys).
// Names that collide with Object.prototype ("constructor", "toString", "__proto__") must neither hide
// a new tool or hint from detection nor touch any prototype, before and after a restart's JSON round
// trip; and raw counterparty ids never reach drift state or events (hashes only).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_DRIFT_SETTINGS, compileSettings, observe, reviveAgentState } from '../../src/drift/index.ts'
import type { AgentState, DriftObservation, DriftSettings } from '../../src/drift/index.ts'

const SETTINGS: DriftSettings = { ...DEFAULT_DRIFT_SETTINGS, enabled: true, learning: { min_days: 0, min_requests: 100 }, window_requests: 20 }
const START = Date.UTC(2026, 2, 1)

function obs(i: number, tool: string, args: Record<string, unknown>, hint = ''): DriftObservation {
  return { tenantId: 't', agentId: 'a', toolName: tool, toolArgs: args, outcome: 'approved', policyHint: hint, atMs: START + i * 60_000 }
}

function learnedState(roundTrip: boolean): AgentState {
  const c = compileSettings(SETTINGS)
  let state: AgentState | null = null
  for (let i = 0; i < 150; i++) state = observe(state, obs(i, 'payments.create', { amount: 100 + (i % 7), customer: `cus_secret_${i % 4}` }, 'payments-prod'), c, 'salt').state
  return roundTrip ? reviveAgentState(JSON.parse(JSON.stringify(state))) : state!
}

for (const roundTrip of [false, true]) {
  const when = roundTrip ? 'after a restart (JSON round trip)' : 'in memory'
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    test(`a tool named "${name}" is a new tool ${when}, and no prototype changes`, () => {
      const c = compileSettings(SETTINGS)
      let state = learnedState(roundTrip)
      const reasons: string[] = []
      for (let i = 200; i < 204; i++) {
        const r = observe(state, obs(i, name, { [name]: 1, amount: 100 }, name), c, 'salt')
        state = r.state
        reasons.push(...state.reasons.map((x) => x.code))
      }
      assert.ok(reasons.includes('NEW_TOOL'), `${name}: ${reasons.join(' ')}`)
      assert.ok(reasons.includes('POLICY_HINT_CHANGED'), `hint ${name}: ${reasons.join(' ')}`)
      assert.equal(({} as Record<string, unknown>).amount, undefined)
      assert.equal(Object.getPrototypeOf({}), Object.prototype)
      assert.equal(typeof Object.prototype.toString, 'function')
      const again = reviveAgentState(JSON.parse(JSON.stringify(state)))
      assert.equal(again.baseline.tools[name] ?? 0, state.baseline.tools[name] ?? 0)
    })
  }
}

test('raw counterparty ids never appear in drift state or event reasons', () => {
  const c = compileSettings(SETTINGS)
  let state = learnedState(false)
  const texts: string[] = []
  for (let i = 300; i < 330; i++) {
    const r = observe(state, obs(i, 'payments.create', { amount: 90_000, customer: `cus_secret_new_${i}`, destination: 'acct_secret_X' }), c, 'salt')
    state = r.state
    for (const e of r.events) texts.push(JSON.stringify(e))
  }
  const all = JSON.stringify(state) + texts.join('')
  assert.ok(texts.length > 0, 'the shift produced events')
  assert.doesNotMatch(all, /cus_secret|acct_secret/)
})
