// One observation through one agent's state, purely: facts against the baseline, fold or window,
// features, noisy-OR score, levels with hysteresis, and the events (and lockdown ask) that follow.
// No I/O and no clock of its own: the simulations in test/drift drive it directly.
import { uuidv7 } from '../core/index.ts'
import type { AgentState, BaselineMeta, DriftObservation, RequestFacts, WindowEntry } from './agent-state.ts'
import { addToDay, foldIntoBaseline, freezeBaseline, newAgentState, pushWindow, rememberCounterparties, rollDay, trackRecent } from './agent-state.ts'
import { extractArgFacts, normaliseKey } from './extract.ts'
import { evaluateFeatures } from './features.ts'
import type { Evaluation, Reason } from './features.ts'
import { globMatcher } from './settings.ts'
import type { DriftSettings } from './settings.ts'
import { compositeScore } from './stats.ts'

export const LEVELS = ['normal', 'watch', 'alert', 'critical'] as const
export type DriftLevel = (typeof LEVELS)[number]
const DAY_MS = 86_400_000
/** After a release the agent re-locks fast (enter after 1 evaluation) and its baseline stays frozen. */
export const PROBATION_MS = DAY_MS
/** Leave a level only below its lower bound minus this (design notes §C4). */
const EXIT_MARGIN = 10

/** Settings with their lookups compiled once per settings value. */
export interface CompiledSettings {
  settings: DriftSettings
  isMoneyTool: (tool: string) => boolean
  counterpartyKeys: ReadonlySet<string>
  /** Agents drift reports on but never locks by itself (the roll-up of calls without an agent_id). */
  neverLock: ReadonlySet<string>
}

/**
 * Requests without `agent_id` are all recorded as this agent (routes/clearance, spec §3.1 defaults):
 * locking it would lock every caller that sends no id, so drift never locks it automatically (a human
 * still can). Design notes §C4 "agent:(none)".
 */
export const UNIDENTIFIED_AGENT = 'default-agent'

export function compileSettings(settings: DriftSettings): CompiledSettings {
  return {
    settings,
    isMoneyTool: globMatcher(settings.money_tools),
    counterpartyKeys: new Set(settings.counterparty_keys.map(normaliseKey)),
    neverLock: new Set([UNIDENTIFIED_AGENT]),
  }
}

export type DriftEventType = 'drift.baseline_established' | 'drift.level_changed' | 'drift.lockdown' | 'drift.release'

/** An event as the engine proposes it (the monitor stores and ledgers it). */
export interface DriftEventDraft {
  eventId: string
  type: DriftEventType
  agentId: string
  atMs: number
  level: DriftLevel
  previousLevel: DriftLevel
  score: number
  action: 'none' | 'lockdown'
  baseline: BaselineMeta | null
  window: { fromMs: number; toMs: number; requests: number }
  reasons: Reason[]
  /** Two or more independent feature groups at severity ≥ 0.5, or the hard rule. */
  corroborated: boolean
}

export interface ObserveResult {
  events: DriftEventDraft[]
}

export function levelOf(score: number, t: DriftSettings['thresholds']): number {
  return score >= t.critical ? 3 : score >= t.alert ? 2 : score >= t.watch ? 1 : 0
}

function factsOf(state: AgentState, obs: DriftObservation, c: CompiledSettings, salt: string): RequestFacts {
  const b = state.baseline
  const args = extractArgFacts(obs.toolArgs, c.counterpartyKeys, salt)
  const newTool = b.tools[obs.toolName] === undefined
  // A new tool's keys are all new: that is the new-tool signal, not a second, independent one.
  let newShape = false
  if (!newTool) for (const path of args.shape) if (b.shapes[`${obs.toolName}\u0000${path}`] === undefined) newShape = true
  let newCounterparty = false
  for (const h of args.counterparties) if (state.counterparties[h] === undefined) newCounterparty = true
  const entry: WindowEntry = {
    atMs: obs.atMs,
    tool: obs.toolName,
    newTool,
    moneyTool: c.isMoneyTool(obs.toolName),
    newShape,
    newHint: obs.policyHint !== '' && b.hints[obs.policyHint] === undefined,
    newCounterparty,
    outcome: obs.outcome,
    amounts: args.amounts.map((a) => [`${obs.toolName}\u0000${a.path}`, Math.log(a.value)]),
    shape: args.shape,
    hint: obs.policyHint,
    calm: false,
  }
  return { entry, counterparties: args.counterparties }
}

function isCorroborated(reasons: readonly Reason[]): boolean {
  const groups = new Set<string>()
  for (const r of reasons) if (r.severity >= 0.5) groups.add(r.group)
  return groups.size >= 2
}

/** The level machine: enter after `enter` evaluations at or above, leave after `exit` well below. */
export function stepLevel(state: AgentState, score: number, s: DriftSettings, probation: boolean, forceCritical: boolean): number {
  const t = s.thresholds
  const now = levelOf(score, t)
  for (let l = 1; l <= 3; l++) state.upStreak[l] = now >= l ? (state.upStreak[l] ?? 0) + 1 : 0
  if (forceCritical) return 3
  const enter = probation ? 1 : s.hysteresis.enter_evals
  let sustained = 0
  for (let l = 3; l >= 1; l--) {
    if (state.upStreak[l]! >= enter) {
      sustained = l
      break
    }
  }
  if (sustained > state.level) {
    state.downStreak = 0
    return sustained
  }
  if (state.level === 0) return 0
  const bound = [0, t.watch, t.alert, t.critical][state.level]! - EXIT_MARGIN
  state.downStreak = score < bound ? state.downStreak + 1 : 0
  if (state.downStreak < s.hysteresis.exit_evals) return state.level
  state.downStreak = 0
  return sustained
}

/**
 * Feed one observation. `state` null = first sight of the agent (a fresh state is returned in
 * `state`). `salt` scopes counterparty hashes (tenant and agent), so equal ids never link across tenants.
 */
export function observe(stateIn: AgentState | null, obs: DriftObservation, c: CompiledSettings, salt: string): ObserveResult & { state: AgentState } {
  const s = c.settings
  const state = stateIn ?? newAgentState(obs.agentId, obs.atMs)
  const facts = factsOf(state, obs, c, salt)
  state.requests++
  state.lastSeenMs = Math.max(state.lastSeenMs, obs.atMs)
  trackRecent(state, obs.atMs)
  rollDay(state, obs.atMs)
  addToDay(state, facts.entry.amounts)
  const events: DriftEventDraft[] = []

  if (state.phase === 'learning') {
    foldIntoBaseline(state, facts.entry, false)
    rememberCounterparties(state, facts.counterparties, obs.atMs)
    const learnedLongEnough = obs.atMs - state.firstSeenMs >= s.learning.min_days * DAY_MS
    if (state.requests >= s.learning.min_requests && learnedLongEnough) {
      const meta = freezeBaseline(state, obs.atMs, `bl_${uuidv7(obs.atMs)}`)
      events.push(draft(state, 'drift.baseline_established', 'normal', 0, obs.atMs, [], false))
      state.baselineMeta = meta
    }
    return { state, events }
  }

  const leaving = pushWindow(state, facts.entry, s.window_requests)
  const evaluation = evaluateFeatures(state, facts.entry, s)
  let score = compositeScore(evaluation.reasons)
  const hardRule = s.hard_rules.amount_and_new_counterparty && facts.entry.newCounterparty && facts.entry.moneyTool && evaluation.maxAmountZ > s.amount.z_hard
  if (hardRule) {
    score = Math.max(score, s.thresholds.critical)
    evaluation.reasons.unshift({
      code: 'AMOUNT_AND_NEW_COUNTERPARTY', feature: 'hard_rule', group: 'counterparty', severity: 1, weight: 1,
      text: `One money-moving call combined an amount beyond ${s.amount.z_hard} robust SDs with a counterparty never seen for this agent.`,
      details: { robust_z: evaluation.maxAmountZ, z_hard: s.amount.z_hard },
    })
  }
  const probation = obs.atMs < state.probationUntilMs
  judge(state, evaluation, score, hardRule, probation, obs.atMs, c, events)
  facts.entry.calm = score < s.thresholds.watch
  // Slow-poisoning guard: a request teaches the baseline only when it leaves the window, if its own
  // evaluation was calm and the agent still is (normal, below watch, not on probation).
  if (!probation && state.level === 0 && score < s.thresholds.watch) for (const e of leaving) if (e.calm) foldIntoBaseline(state, e, true)
  rememberCounterparties(state, facts.counterparties, obs.atMs)
  return { state, events }
}

/**
 * Score → level (hysteresis) → events, the same for a request's evaluation and the idle timer's: the
 * new level, its event, and in enforce mode the lockdown ask once corroborated. Also marks the day
 * as not calm (F4's baseline skips it) when the agent was anything but normal.
 */
function judge(state: AgentState, evaluation: Evaluation, score: number, hardRule: boolean, probation: boolean, atMs: number, c: CompiledSettings, events: DriftEventDraft[]): void {
  const s = c.settings
  const previous = state.level
  const next = stepLevel(state, score, s, probation, hardRule)
  state.score = score
  state.reasons = evaluation.reasons.slice(0, 5).map((r) => ({ code: r.code, feature: r.feature, severity: r.severity, weight: r.weight, text: r.text }))
  const corroborated = hardRule || isCorroborated(evaluation.reasons)
  // Enforce locks a critical agent once corroboration is there, also when critical came first from a
  // single feature group and the second, independent signal arrives later in the same episode.
  const lock = s.mode === 'enforce' && next === 3 && corroborated && !state.lockRequested && !c.neverLock.has(state.agentId)
  if (next !== previous || lock) {
    state.level = next
    events.push(draft(state, lock ? 'drift.lockdown' : 'drift.level_changed', LEVELS[previous]!, score, atMs, evaluation.reasons, corroborated, lock))
  }
  if (lock) state.lockRequested = true
  if (next < 3) state.lockRequested = false
  if (score >= s.thresholds.watch || state.level > 0) state.daySums.calm = false
}

/** Window entries older than this leave the window at an idle re-evaluation ("the window closes"). */
export const IDLE_WINDOW_MS = DAY_MS

/**
 * Whether an idle agent has anything the timer could change: a level or score to decay, a streak, a
 * day of sums to close, a window entry or a recent-minute count to age out. Normal, quiet agents
 * cost nothing per pass.
 */
export function needsIdleEvaluation(state: AgentState, nowMs: number): boolean {
  if (state.phase !== 'active') return false
  if (state.level > 0 || state.score > 0 || state.upStreak.some((n) => n > 0)) return true
  if (Math.floor(nowMs / DAY_MS) > state.daySums.day && Object.keys(state.daySums.byKey).length > 0) return true
  const oldest = state.window[0]
  return oldest !== undefined && nowMs - oldest.atMs > IDLE_WINDOW_MS
}

/**
 * The idle timer's evaluation of an agent that has not called since `state.lastSeenMs`: the day
 * turns (F4 sums close), window entries older than IDLE_WINDOW_MS leave (folded into the baseline
 * under the same calm rule as on a request), and the window- and time-level features are scored at
 * `nowMs` with no request-level ones (there is no request). The level machine then steps exactly as
 * on a request, so a quiet agent decays (after `exit_evals` calm evaluations) or, when its window
 * still shows a shift, enters the level (after `enter_evals`).
 */
export function reevaluate(state: AgentState, nowMs: number, c: CompiledSettings): ObserveResult {
  const s = c.settings
  const events: DriftEventDraft[] = []
  state.lastIdleEvalMs = nowMs
  if (state.phase !== 'active') return { events }
  rollDay(state, nowMs)
  let cut = 0
  while (cut < state.window.length && nowMs - state.window[cut]!.atMs > IDLE_WINDOW_MS) cut++
  const leaving = cut > 0 ? state.window.splice(0, cut) : []
  const evaluation = evaluateFeatures(state, null, s, nowMs)
  const score = compositeScore(evaluation.reasons)
  const probation = nowMs < state.probationUntilMs
  judge(state, evaluation, score, false, probation, nowMs, c, events)
  if (!probation && state.level === 0 && score < s.thresholds.watch) for (const e of leaving) if (e.calm) foldIntoBaseline(state, e, true)
  return { events }
}

function draft(
  state: AgentState,
  type: DriftEventType,
  previousLevel: DriftLevel,
  score: number,
  atMs: number,
  reasons: Reason[],
  corroborated: boolean,
  lock = false,
): DriftEventDraft {
  const w = state.window
  state.lastEventAtMs = atMs
  return {
    eventId: `dre_${uuidv7(atMs)}`,
    type,
    agentId: state.agentId,
    atMs,
    level: LEVELS[state.level]!,
    previousLevel,
    score,
    action: lock ? 'lockdown' : 'none',
    baseline: state.baselineMeta,
    window: { fromMs: w.length > 0 ? w[0]!.atMs : atMs, toMs: atMs, requests: w.length },
    reasons,
    corroborated,
  }
}

/** A human released the agent: back to normal, fresh window, probation; `rebaseline` relearns. */
export function afterRelease(state: AgentState, nowMs: number): void {
  state.level = 0
  state.upStreak = [0, 0, 0, 0]
  state.downStreak = 0
  state.score = 0
  state.reasons = []
  state.window = []
  state.recentMinutes = []
  state.lockRequested = false
  state.probationUntilMs = nowMs + PROBATION_MS
}
