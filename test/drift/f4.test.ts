// F4, cumulative amount per agent per UTC day, through the pure engine: the t quantile behind its
// sample-size-aware bound against published tables; a "salami" agent — many ordinary payments,
// more of them per day, evenly spread — is caught by F4 alone while the per-call amount feature
// (AMOUNT_OUT_OF_PATTERN) and the others stay silent; and over random steady populations
// (fast-check) F4 fires on fewer than 0.5 % of evaluations (the notes' false-positive bound for the
// amount features) and never raises a level.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { DEFAULT_DRIFT_SETTINGS, MIN_BASELINE_DAYS, compileSettings, observe, predictionUpperBound, studentTQuantile } from '../../src/drift/index.ts'
import type { AgentState, DriftEventDraft, DriftObservation, DriftSettings } from '../../src/drift/index.ts'
import { exponential, mulberry32, normal } from './sim.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const START = Date.UTC(2026, 0, 5)
const ON: DriftSettings = { ...DEFAULT_DRIFT_SETTINGS, enabled: true }

test('Student t quantiles (Cornish–Fisher) match published tables; the prediction bound widens as baselines shrink', () => {
  // Published two-sided tables (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2), as one-sided quantiles.
  for (const [p, df, expected] of [[0.975, 13, 2.16], [0.995, 13, 3.012], [0.999, 13, 3.852], [0.9995, 13, 4.221], [0.9995, 20, 3.85], [0.999, 27, 3.421], [0.975, 10, 2.228]] as const) {
    assert.ok(Math.abs(studentTQuantile(p, df) - expected) < 2e-3, `t(${p}, ${df}) = ${studentTQuantile(p, df)}, expected ${expected}`)
  }
  const b14 = predictionUpperBound(1000, 100, 14, 1e-4)
  const b28 = predictionUpperBound(1000, 100, 28, 1e-4)
  assert.ok(b14 > b28 && b28 > 1000 + 3.7 * 100, `${b14} > ${b28} > the normal bound`)
  assert.equal(predictionUpperBound(1000, 100, 1, 1e-4), Infinity)
})

interface Payer {
  rand: () => number
  atMs: number
}

/** `clip`: draws beyond ±clip σ are redrawn (a salami keeps every payment inconspicuous). */
function payment(p: Payer, agentId: string, median: number, sigma: number, customers: number, clip = Infinity): DriftObservation {
  let z = normal(p.rand)
  while (Math.abs(z) > clip) z = normal(p.rand)
  const amount = Math.round(100 * median * Math.exp(sigma * z)) / 100
  return {
    tenantId: 't', agentId, toolName: 'payments.create',
    toolArgs: { amount, currency: 'EUR', customer: `cus_${Math.floor(p.rand() * customers)}` },
    outcome: 'approved', policyHint: '', atMs: p.atMs,
  }
}

/** A steady single-tool payer: Poisson arrivals at `perHour` until `untilMs`. */
function steady(state: AgentState | null, p: Payer, agentId: string, perHour: number, median: number, sigma: number, untilMs: number, sink: (r: ReturnType<typeof observe>) => void): AgentState | null {
  const c = compileSettings(ON)
  let s = state
  for (;;) {
    p.atMs += Math.max(1, Math.round(exponential(p.rand, HOUR / perHour)))
    if (p.atMs >= untilMs) return s
    const r = observe(s, payment(p, agentId, median, sigma, 20), c, agentId)
    s = r.state
    sink(r)
  }
}

test('salami: 2.4× the usual number of ordinary payments, evenly spread, is caught by F4 alone', () => {
  const c = compileSettings(ON)
  for (const seed of [1, 2, 3]) {
    const p: Payer = { rand: mulberry32(seed), atMs: START }
    const before: DriftEventDraft[] = []
    // 30 days of 10 payments an hour (median 100, σ 0.5 on ln): learning, then an active baseline.
    let state = steady(null, p, 'payer', 10, 100, 0.5, START + 30 * DAY, (r) => before.push(...r.events))!
    assert.equal(state.phase, 'active')
    assert.deepEqual(before.map((e) => e.type), ['drift.baseline_established'], `seed ${seed}: steady traffic raises nothing`)
    assert.ok(state.baseline.dailySums['payments.create\u0000amount']!.length >= MIN_BASELINE_DAYS, 'F4 has its baseline days')

    // Day 31: one ordinary payment (within 2 σ of the usual) every 150 s — 24 an hour, under the burst
    // test's 3× guard — from midnight.
    const events: DriftEventDraft[] = []
    const perCallCodes = new Set<string>()
    for (let at = START + 30 * DAY + 75_000; at < START + 31 * DAY; at += 150_000) {
      p.atMs = at
      const r = observe(state, payment(p, 'payer', 100, 0.5, 20, 2), c, 'payer')
      state = r.state
      events.push(...r.events)
      for (const reason of state.reasons) perCallCodes.add(reason.code)
    }
    const raised = events.find((e) => e.level !== 'normal')
    assert.ok(raised !== undefined, `seed ${seed}: the salami day raised no level`)
    assert.equal(raised.level, 'watch')
    assert.deepEqual(raised.reasons.map((r) => r.code), ['CUMULATIVE_AMOUNT_HIGH'], 'F4 is the only signal')
    assert.ok(!perCallCodes.has('AMOUNT_OUT_OF_PATTERN'), 'no single payment looked unusual')
    assert.deepEqual([...perCallCodes], ['CUMULATIVE_AMOUNT_HIGH'], `no other feature spoke: ${[...perCallCodes].join(', ')}`)
    const f4 = raised.reasons[0]!
    assert.match(f4.text, /^amount on payments\.create adds up to [\d.]+ so far today \(UTC\), [\d.]+× this agent's usual day \(mean [\d.]+ over \d+ days; bound [\d.]+\)\.$/)
    const d = f4.details as Record<string, number>
    assert.ok(d.observed_today! > d.threshold! && d.threshold! > d.baseline_daily_mean!, JSON.stringify(d))
    assert.equal(d.baseline_days, 28, 'the baseline keeps 28 completed days')
    assert.ok(f4.severity >= 0.5 && f4.weight === 0.6, `severity ${f4.severity}, weight ${f4.weight}`)
  }
})

test('property: random steady payers — F4 fires on < 0.5 % of evaluations and never raises a level', () => {
  const population = fc.record({
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    perHour: fc.integer({ min: 2, max: 20 }),
    median: fc.double({ min: 1, max: 10_000, noNaN: true }),
    sigma: fc.double({ min: 0.1, max: 1.2, noNaN: true }),
  })
  let evaluatedTotal = 0
  fc.assert(
    fc.property(population, ({ seed, perHour, median, sigma }) => {
      const p: Payer = { rand: mulberry32(seed), atMs: START + Math.floor(mulberry32(seed + 1)() * DAY) }
      let evaluations = 0
      let fired = 0
      const raised: DriftEventDraft[] = []
      const end = steady(null, p, 'payer', perHour, median, sigma, START + 36 * DAY, (r) => {
        if (r.state.phase !== 'active') return
        evaluations++
        if (r.state.reasons.some((x) => x.code === 'CUMULATIVE_AMOUNT_HIGH')) fired++
        for (const e of r.events) if (e.reasons.some((x) => x.code === 'CUMULATIVE_AMOUNT_HIGH')) raised.push(e)
      })
      evaluatedTotal += evaluations
      // Not vacuous: F4 had its 14 baseline days and spoke on the later evaluations.
      assert.ok(end!.baseline.dailySums['payments.create\u0000amount']!.length >= MIN_BASELINE_DAYS, 'F4 had its baseline days')
      assert.ok(fired / evaluations < 0.005, `F4 fired on ${fired} of ${evaluations} evaluations`)
      assert.deepEqual(raised, [], 'no level raised by F4')
    }),
    { numRuns: 12, seed: 20261207 },
  )
  assert.ok(evaluatedTotal > 12 * 14 * 24 * 2, 'the property saw at least two weeks of active traffic per run')
})
