// The features of one evaluation (design notes §C4, F1–F10) over an active agent: request-level
// signals (this request's amounts and hour) and window-level ones (tool mix, new tools, amount level,
// counterparty novelty, call rate, denial and review rates, argument shapes, policy hints). Every
// threshold is a tail probability or a sample-size-aware quantile, so small windows do not fire.
import type { AgentState, WindowEntry } from './agent-state.ts'
import { HOUR_MS, countLastHour } from './agent-state.ts'
import type { DriftSettings } from './settings.ts'
import {
  binomialUpperTail,
  jsDistance,
  median,
  modifiedZ,
  normalQuantile,
  poissonUpperTail,
  predictionUpperBound,
  psi,
  psiThreshold,
  severityOfRatio,
  tailSeverity,
} from './stats.ts'

/** ln-space MAD floor: an agent paying exactly the same amount still sees a 10 % change as 1.3 z. */
const MAD_FLOOR = 0.05
/** Baseline amounts per key before the amount features speak (design notes: ≥ 30). */
const MIN_BASELINE_AMOUNTS = 30
/** Window amounts per key before the window-median test speaks. */
const MIN_WINDOW_AMOUNTS = 10
/** Hour-of-day mass below which a request is off-hours (Elastic time_of_week; low weight). */
const OFF_HOURS_MASS = 0.005
const DAY_MS = 86_400_000
/** F4: completed baseline days of an amount key before its daily-sum test speaks (design notes: ≥ 14). */
export const MIN_BASELINE_DAYS = 14
/** F4: the daily sums' SD is floored at this share of their mean (an agent paying a fixed sum daily). */
const DAILY_SD_FLOOR = 0.05

export interface Reason {
  code: string
  feature: string
  /** Independence group: corroboration needs two different groups. */
  group: string
  severity: number
  weight: number
  text: string
  details: Record<string, unknown>
}

export interface Evaluation {
  reasons: Reason[]
  /** This request's largest |robust z| on an amount, 0 without one. */
  maxAmountZ: number
}

function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : String(n)
}

function countWhere(window: readonly WindowEntry[], pick: (e: WindowEntry) => boolean): number {
  let n = 0
  for (const e of window) if (pick(e)) n++
  return n
}

/** First-seen style counts: one in the window is a hint (0.5), two or more a signal (1). */
function noveltySeverity(count: number): number {
  return count === 0 ? 0 : count === 1 ? 0.5 : 1
}

function requestAmounts(state: AgentState, current: WindowEntry, s: DriftSettings, out: Reason[]): number {
  let maxZ = 0
  let worst: Reason | null = null
  for (const [key, logValue] of current.amounts) {
    const stats = state.baseline.amountStats[key]
    if (stats === undefined || stats.n < MIN_BASELINE_AMOUNTS) continue
    const z = modifiedZ(logValue, stats.median, stats.mad, MAD_FLOOR)
    if (Math.abs(z) <= Math.abs(maxZ)) continue
    maxZ = z
    const severity = severityOfRatio(Math.abs(z) / s.amount.z_soft)
    const path = key.slice(key.indexOf('\u0000') + 1)
    worst = {
      code: 'AMOUNT_OUT_OF_PATTERN', feature: 'amount', group: 'amount', severity, weight: 0.7,
      text: `${path} of ${fmt(Math.exp(logValue))} on ${current.tool} is ${fmt(Math.abs(z), 1)} robust SDs ${z > 0 ? 'above' : 'below'} this agent's usual (median ${fmt(Math.exp(stats.median))}).`,
      details: { tool: current.tool, argument: path, observed: Math.exp(logValue), baseline_median: Math.exp(stats.median), robust_z: z, threshold: s.amount.z_soft },
    }
  }
  if (worst !== null && worst.severity > 0) out.push(worst)
  return Math.abs(maxZ)
}

function amountLevel(state: AgentState, s: DriftSettings, out: Reason[]): void {
  const byKey = new Map<string, number[]>()
  for (const e of state.window) for (const [key, v] of e.amounts) (byKey.get(key) ?? byKey.set(key, []).get(key)!).push(v)
  let worst: Reason | null = null
  for (const [key, values] of byKey) {
    const stats = state.baseline.amountStats[key]
    if (stats === undefined || stats.n < MIN_BASELINE_AMOUNTS || values.length < MIN_WINDOW_AMOUNTS) continue
    // The sample median's standard error is 1.2533·σ/√n; σ estimated robustly as 1.4826·MAD.
    const se = (1.2533 * 1.4826 * Math.max(stats.mad, MAD_FLOOR)) / Math.sqrt(values.length)
    const m = median(values)
    const z = (m - stats.median) / se
    // Under no drift z is ~N(0, 1): the two-sided α quantile keeps this test's noise at α per evaluation.
    const threshold = normalQuantile(1 - s.alpha / 2)
    const severity = severityOfRatio(Math.abs(z) / threshold)
    if (severity === 0 || (worst !== null && worst.severity >= severity)) continue
    const path = key.slice(key.indexOf('\u0000') + 1)
    worst = {
      code: 'AMOUNT_LEVEL_SHIFT', feature: 'amount_level', group: 'amount', severity, weight: 0.6,
      text: `The median ${path} over the last ${values.length} calls (${fmt(Math.exp(m))}) is ${fmt(Math.exp(m - stats.median), 1)}× the baseline median (${fmt(Math.exp(stats.median))}).`,
      details: { argument: path, window_median: Math.exp(m), baseline_median: Math.exp(stats.median), z, threshold, window_amounts: values.length },
    }
  }
  if (worst !== null) out.push(worst)
}

/**
 * F4, cumulative amount ("salami"): today's running sum (UTC day) of an amount key against the
 * agent's completed calm days for that key. Each call can look ordinary while the day's total is not.
 * The bound is a one-sided prediction interval for one more day, m + t(1 − α, n − 1)·sd·√(1 + 1/n):
 * it widens when few baseline days exist (n ≥ 14), so small baselines do not fire on noise.
 */
function cumulativeAmount(state: AgentState, s: DriftSettings, out: Reason[]): void {
  let worst: Reason | null = null
  for (const [key, today] of Object.entries(state.daySums.byKey)) {
    const days = state.baseline.dailySums[key]
    if (days === undefined || days.length < MIN_BASELINE_DAYS) continue
    let sum = 0
    for (const d of days) sum += d
    const m = sum / days.length
    if (!(m > 0) || today <= m) continue
    let ss = 0
    for (const d of days) ss += (d - m) ** 2
    const sd = Math.max(Math.sqrt(ss / (days.length - 1)), DAILY_SD_FLOOR * m)
    const threshold = predictionUpperBound(m, sd, days.length, s.alpha)
    const severity = severityOfRatio(today / threshold)
    if (severity === 0 || (worst !== null && worst.severity >= severity)) continue
    const tool = key.slice(0, key.indexOf('\u0000'))
    const path = key.slice(key.indexOf('\u0000') + 1)
    worst = {
      code: 'CUMULATIVE_AMOUNT_HIGH', feature: 'cumulative_amount', group: 'amount', severity, weight: 0.6,
      text: `${path} on ${tool} adds up to ${fmt(today)} so far today (UTC), ${fmt(today / m, 1)}× this agent's usual day (mean ${fmt(m)} over ${days.length} days; bound ${fmt(threshold)}).`,
      details: { tool, argument: path, observed_today: today, baseline_daily_mean: m, baseline_daily_sd: sd, baseline_days: days.length, threshold, alpha: s.alpha },
    }
  }
  if (worst !== null) out.push(worst)
}

function toolMix(state: AgentState, s: DriftSettings, out: Reason[]): void {
  const w = state.window
  if (w.length < s.window_requests) return
  const base = new Map(Object.entries(state.baseline.tools))
  const win = new Map<string, number>()
  for (const e of w) win.set(e.tool, (win.get(e.tool) ?? 0) + 1)
  let nb = 0
  for (const v of base.values()) nb += v
  const { psi: value, categories } = psi(base, win)
  const threshold = psiThreshold(categories, nb, w.length, s.alpha)
  const severity = severityOfRatio(value / threshold)
  if (severity === 0) return
  const movers = [...new Set([...base.keys(), ...win.keys()])]
    .map((tool) => ({ tool, baseline_share: (base.get(tool) ?? 0) / nb, window_share: (win.get(tool) ?? 0) / w.length }))
    .sort((a, b) => Math.abs(b.window_share - b.baseline_share) - Math.abs(a.window_share - a.baseline_share))
    .slice(0, 3)
  const top = movers[0]!
  out.push({
    code: 'TOOL_MIX_SHIFT', feature: 'tool_mix', group: 'tool', severity, weight: 0.6,
    text: `Tool mix over the last ${w.length} calls moved (PSI ${fmt(value)} > ${fmt(threshold)}); ${top.tool} went from ${fmt(100 * top.baseline_share, 0)} % to ${fmt(100 * top.window_share, 0)} % of calls.`,
    details: { psi: value, threshold, js_distance: jsDistance(base, win), top_movers: movers },
  })
}

function novelty(state: AgentState, out: Reason[]): void {
  const w = state.window
  const newTools = countWhere(w, (e) => e.newTool)
  if (newTools > 0) {
    const tools = [...new Set(w.filter((e) => e.newTool).map((e) => e.tool))]
    const moneyNew = w.some((e) => e.newTool && e.moneyTool)
    out.push({
      code: 'NEW_TOOL', feature: 'new_tool', group: 'tool', severity: noveltySeverity(newTools), weight: moneyNew ? 0.75 : 0.5,
      text: `${newTools} of the last ${w.length} calls used a tool never seen in the baseline (${tools.slice(0, 3).join(', ')})${moneyNew ? ', and it moves money' : ''}.`,
      details: { tools, calls: newTools, money_moving: moneyNew },
    })
  }
  const shapes = countWhere(w, (e) => e.newShape)
  if (shapes > 0) {
    out.push({
      code: 'NEW_ARGUMENT_SHAPE', feature: 'argument_shape', group: 'shape', severity: noveltySeverity(shapes), weight: 0.4,
      text: `${shapes} of the last ${w.length} calls carried argument keys never seen for their tool.`,
      details: { calls: shapes },
    })
  }
  const hints = countWhere(w, (e) => e.newHint)
  if (hints > 0) {
    out.push({
      code: 'POLICY_HINT_CHANGED', feature: 'policy_hint', group: 'hint', severity: noveltySeverity(hints), weight: 0.4,
      text: `${hints} of the last ${w.length} calls named a policy (context.policy_id) this agent never used.`,
      details: { calls: hints },
    })
  }
}

function counterpartyRate(state: AgentState, s: DriftSettings, out: Reason[]): void {
  const w = state.window
  const x = countWhere(w, (e) => e.newCounterparty)
  if (x < 2) return
  const nov = state.baseline.novelty
  let novel = 0
  for (const f of nov) novel += f
  // Laplace-smoothed base rate of first-seen counterparties per call, from the latest baseline folds.
  const q = (novel + 0.5) / (nov.length + 1)
  const p = poissonUpperTail(x, q * w.length)
  if (p >= s.alpha) return
  out.push({
    code: 'NEW_COUNTERPARTY', feature: 'counterparty', group: 'counterparty', severity: tailSeverity(p, s.alpha), weight: 0.6,
    text: `${x} of the last ${w.length} calls went to counterparties never seen for this agent (about ${fmt(q * w.length, 1)} expected).`,
    details: { new_counterparties: x, expected: q * w.length, p_value: p, alpha: s.alpha },
  })
}

function callRate(state: AgentState, atMs: number, s: DriftSettings, out: Reason[]): void {
  const r = state.baseline.rate
  const spanHours = (r.endMs - r.startMs) / HOUR_MS
  if (spanHours < 1) return
  const lambda = r.count / spanHours
  const x = countLastHour(state, atMs)
  if (x < 10 || x < 3 * lambda) return
  const p = poissonUpperTail(x, lambda)
  if (p >= s.alpha) return
  out.push({
    code: 'CALL_RATE_BURST', feature: 'call_rate', group: 'rate', severity: tailSeverity(p, s.alpha), weight: 0.6,
    text: `${x} calls in the last hour against a baseline of ${fmt(lambda, 1)} per hour.`,
    details: { calls_last_hour: x, baseline_per_hour: lambda, p_value: p, alpha: s.alpha },
  })
}

function outcomeRates(state: AgentState, s: DriftSettings, out: Reason[]): void {
  const w = state.window
  const o = state.baseline.outcomes
  for (const [outcome, baseCount, code, feature, noun] of [
    ['denied', o.denied, 'DENIAL_RATE_SHIFT', 'denial_rate', 'denied'],
    ['pending_review', o.review, 'REVIEW_RATE_SHIFT', 'review_rate', 'sent to review'],
  ] as const) {
    const x = countWhere(w, (e) => e.outcome === outcome)
    if (x < 3) continue
    const q = (baseCount + 0.5) / (o.n + 1)
    const p = binomialUpperTail(x, w.length, q)
    if (p >= s.alpha) continue
    out.push({
      code, feature, group: feature, severity: tailSeverity(p, s.alpha), weight: 0.5,
      text: `${x} of the last ${w.length} calls were ${noun} against a baseline rate of ${fmt(100 * q, 1)} %.`,
      details: { count: x, window: w.length, baseline_rate: q, p_value: p, alpha: s.alpha },
    })
  }
}

function offHours(state: AgentState, current: WindowEntry, out: Reason[]): void {
  const b = state.baseline
  if (b.rate.endMs - b.rate.startMs < 7 * DAY_MS) return
  let total = 0
  for (const h of b.hours) total += h
  const hour = new Date(current.atMs).getUTCHours()
  const mass = (b.hours[hour]! + 0.5) / (total + 12)
  if (mass >= OFF_HOURS_MASS) return
  out.push({
    code: 'OFF_HOURS', feature: 'hour_of_day', group: 'time', severity: 1, weight: 0.3,
    text: `A call at ${String(hour).padStart(2, '0')}:00 UTC, an hour that holds ${fmt(100 * mass, 2)} % of this agent's baseline calls.`,
    details: { hour_utc: hour, baseline_mass: mass, threshold: OFF_HOURS_MASS },
  })
}

/**
 * All features for the request just added to the window (`current` is its entry), or — `current`
 * null — the window- and time-level ones only, at `atMs` (the idle timer's re-evaluation).
 */
export function evaluateFeatures(state: AgentState, current: WindowEntry | null, s: DriftSettings, atMs = current?.atMs ?? 0): Evaluation {
  const reasons: Reason[] = []
  const maxAmountZ = current === null ? 0 : requestAmounts(state, current, s, reasons)
  amountLevel(state, s, reasons)
  cumulativeAmount(state, s, reasons)
  toolMix(state, s, reasons)
  novelty(state, reasons)
  counterpartyRate(state, s, reasons)
  callRate(state, atMs, s, reasons)
  outcomeRates(state, s, reasons)
  if (current !== null) offHours(state, current, reasons)
  reasons.sort((a, b) => b.weight * b.severity - a.weight * a.severity)
  return { reasons, maxAmountZ }
}
