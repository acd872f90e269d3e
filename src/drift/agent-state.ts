// One agent's drift state as plain JSON (persisted as is, so a restart keeps baselines): the learned
// baseline, the sliding window of recent requests, first-seen memories and the level machine. Folding
// an observation into it is pure; the window entry records what was new *against the baseline then*.
import { createHash } from 'node:crypto'
import { mad, median } from './stats.ts'

/** Values kept per amount key: enough for a stable median/MAD (30 needed), small in JSON. */
export const AMOUNT_RING = 256
/** Counts are halved past this total, so the baseline keeps adapting (≈ an exponential memory). */
const COUNT_CAP = 5000
/** First-seen memories: counterparties by last-seen time, shapes and hints; oldest evicted past this. */
export const MEMORY_CAP = 2000
/** Recent novelty flags behind the counterparty base rate (the last 200 folds). */
const NOVELTY_RING = 200
export const HOUR_MS = 3_600_000
const MINUTE_MS = 60_000

export type Outcome = 'approved' | 'denied' | 'pending_review'

/** A compact request as the clearance path hands it over (arguments by reference, not copied). */
export interface DriftObservation {
  tenantId: string
  agentId: string
  toolName: string
  toolArgs: Record<string, unknown>
  outcome: Outcome
  policyHint: string
  atMs: number
}

export interface AmountStats {
  median: number
  mad: number
  n: number
}

export interface Baseline {
  tools: Record<string, number>
  /** `tool\u0000path` → ring of ln(amount). */
  amounts: Record<string, number[]>
  amountStats: Record<string, AmountStats>
  /** `tool\u0000path` of every argument key path seen (a JSON-friendly set). */
  shapes: Record<string, 1>
  hints: Record<string, 1>
  outcomes: { n: number; denied: number; review: number }
  /** Requests per UTC hour of day. */
  hours: number[]
  rate: { count: number; startMs: number; endMs: number }
  novelty: number[]
  /**
   * F4: per amount key, the sums of completed calm UTC days (oldest first, at most DAILY_SUM_RING),
   * zero for a day without calls; the agent's first (partial) day is never one of them.
   */
  dailySums: Record<string, number[]>
}

/** Completed days of amount sums the F4 baseline keeps (design notes: 28-day baseline window). */
export const DAILY_SUM_RING = 28
export const DAY_MS = 86_400_000

/** The current UTC day's running amount sums (F4), and whether the agent stayed calm all day. */
export interface DaySums {
  /** UTC day number (epoch ms / DAY_MS, floored). */
  day: number
  byKey: Record<string, number>
  calm: boolean
}

export interface BaselineMeta {
  id: string
  sha256: string
  fromMs: number
  toMs: number
  requests: number
}

export interface WindowEntry {
  atMs: number
  tool: string
  newTool: boolean
  moneyTool: boolean
  newShape: boolean
  newHint: boolean
  newCounterparty: boolean
  outcome: Outcome
  /** [amount key, ln(amount)] pairs. */
  amounts: Array<[string, number]>
  /** Argument key paths, and context.policy_id ('' when absent): folded into the baseline later. */
  shape: string[]
  hint: string
  /** The evaluation this request triggered stayed below watch (a precondition of folding it). */
  calm: boolean
}

export interface StoredReason {
  code: string
  feature: string
  severity: number
  weight: number
  text: string
}

export interface AgentState {
  v: 1
  agentId: string
  phase: 'learning' | 'active'
  firstSeenMs: number
  lastSeenMs: number
  requests: number
  baseline: Baseline
  baselineMeta: BaselineMeta | null
  window: WindowEntry[]
  /** Requests per minute over the trailing hour: 60 [minute index, count] slots, slot = minute mod 60. */
  recentMinutes: Array<[number, number]>
  counterparties: Record<string, number>
  level: number
  upStreak: number[]
  downStreak: number
  score: number
  reasons: StoredReason[]
  lastEventAtMs: number | null
  probationUntilMs: number
  /** Enforce mode asked for this critical episode's lockdown already (reset below critical and on release). */
  lockRequested: boolean
  /** F4: today's running sums per amount key. */
  daySums: DaySums
  /** Last evaluation by the idle timer (0 = never): an idle agent is re-evaluated once per interval. */
  lastIdleEvalMs: number
}

export function newAgentState(agentId: string, nowMs: number): AgentState {
  return {
    v: 1,
    agentId,
    phase: 'learning',
    firstSeenMs: nowMs,
    lastSeenMs: nowMs,
    requests: 0,
    baseline: {
      tools: dict(),
      amounts: dict(),
      amountStats: dict(),
      shapes: dict(),
      hints: dict(),
      outcomes: { n: 0, denied: 0, review: 0 },
      hours: new Array<number>(24).fill(0),
      rate: { count: 0, startMs: nowMs, endMs: nowMs },
      novelty: [],
      dailySums: dict(),
    },
    baselineMeta: null,
    window: [],
    recentMinutes: [],
    counterparties: dict(),
    level: 0,
    upStreak: [0, 0, 0, 0],
    downStreak: 0,
    score: 0,
    reasons: [],
    lastEventAtMs: null,
    probationUntilMs: 0,
    lockRequested: false,
    daySums: { day: Math.floor(nowMs / DAY_MS), byKey: dict(), calm: true },
    lastIdleEvalMs: 0,
  }
}

/**
 * F4 bookkeeping before anything at `atMs`: when the UTC day has turned, the finished day (and any
 * days without calls since, as zeros) join the baseline's daily sums — only if the agent stayed calm
 * that day (no poisoning by a drifting day) and it was not the agent's first, partial day.
 */
export function rollDay(state: AgentState, atMs: number): void {
  const today = Math.floor(atMs / DAY_MS)
  const d = state.daySums
  if (today <= d.day) return
  const b = state.baseline
  const firstDay = Math.floor(state.firstSeenMs / DAY_MS)
  const keys = new Set([...Object.keys(b.dailySums), ...Object.keys(d.byKey)])
  // The finished day, then the empty days between it and today (bounded by the ring).
  const gap = Math.min(today - d.day - 1, DAILY_SUM_RING)
  for (const key of keys) {
    const ring = (b.dailySums[key] ??= [])
    if (d.calm && d.day !== firstDay) ring.push(d.byKey[key] ?? 0)
    for (let i = 0; i < gap; i++) ring.push(0)
    if (ring.length > DAILY_SUM_RING) ring.splice(0, ring.length - DAILY_SUM_RING)
  }
  state.daySums = { day: today, byKey: dict(), calm: state.level === 0 }
}

/** Add a request's amounts (ln values, as the window keeps them) to today's running sums. */
export function addToDay(state: AgentState, amounts: ReadonlyArray<[string, number]>): void {
  const byKey = state.daySums.byKey
  for (const [key, logValue] of amounts) byKey[key] = (byKey[key] ?? 0) + Math.exp(logValue)
}

/** Facts of one request against the baseline as it stands before the fold. */
export interface RequestFacts {
  entry: WindowEntry
  counterparties: string[]
}

/** Push into a window ring of at most `size` entries; returns the entries that fell out. */
export function pushWindow(state: AgentState, entry: WindowEntry, size: number): WindowEntry[] {
  state.window.push(entry)
  return state.window.length > size ? state.window.splice(0, state.window.length - size) : []
}

/** Count a request in its minute (fixed size: a burst of any height costs the same). */
export function trackRecent(state: AgentState, atMs: number): void {
  const minute = Math.floor(atMs / MINUTE_MS)
  const slots = state.recentMinutes
  while (slots.length < 60) slots.push([-1, 0])
  const slot = slots[minute % 60]!
  if (slot[0] === minute) slot[1]++
  else {
    slot[0] = minute
    slot[1] = 1
  }
}

/** Requests in the 60 minutes up to and including `atMs`'s minute. */
export function countLastHour(state: AgentState, atMs: number): number {
  const minute = Math.floor(atMs / MINUTE_MS)
  let n = 0
  for (const [m, count] of state.recentMinutes) if (m > minute - 60 && m <= minute) n += count
  return n
}

/** Remember counterparties (always, in every phase: first-seen means first-seen). */
export function rememberCounterparties(state: AgentState, hashes: readonly string[], atMs: number): void {
  const cp = state.counterparties
  let added = false
  for (const h of hashes) {
    if (cp[h] === undefined) added = true
    cp[h] = atMs
  }
  if (!added) return
  const keys = Object.keys(cp)
  if (keys.length <= MEMORY_CAP) return
  keys.sort((a, b) => cp[a]! - cp[b]!)
  for (let i = 0; i < keys.length - MEMORY_CAP; i++) delete cp[keys[i]!]
}

function halveIfOver(counts: Record<string, number>, cap: number): void {
  let total = 0
  for (const v of Object.values(counts)) total += v
  if (total <= cap) return
  for (const k of Object.keys(counts)) counts[k] = counts[k]! / 2
}

function addCapped(set: Record<string, 1>, value: string): void {
  if (set[value] !== undefined) return
  set[value] = 1
  // Insertion order is kept by string keys, so the first key is the oldest.
  const keys = Object.keys(set)
  if (keys.length > MEMORY_CAP) delete set[keys[0]!]
}

/**
 * Fold one request into the baseline: at once while learning; for an active agent only when the request
 * leaves the window calm and the agent is still calm, so a shift is judged before it can teach.
 */
export function foldIntoBaseline(state: AgentState, e: WindowEntry, refreshStats: boolean): void {
  const b = state.baseline
  b.tools[e.tool] = (b.tools[e.tool] ?? 0) + 1
  halveIfOver(b.tools, COUNT_CAP)
  for (const [key, logValue] of e.amounts) {
    const ring = (b.amounts[key] ??= [])
    ring.push(logValue)
    if (ring.length > AMOUNT_RING) ring.shift()
    // Refreshing median/MAD every 64 folds keeps an active agent's fold O(1) amortised.
    if (refreshStats && (state.requests & 63) === 0) b.amountStats[key] = amountStatsOf(ring)
  }
  for (const path of e.shape) addCapped(b.shapes, `${e.tool}\u0000${path}`)
  if (e.hint !== '') addCapped(b.hints, e.hint)
  const o = b.outcomes
  o.n++
  if (e.outcome === 'denied') o.denied++
  if (e.outcome === 'pending_review') o.review++
  if (o.n > COUNT_CAP) {
    o.n /= 2
    o.denied /= 2
    o.review /= 2
  }
  b.hours[new Date(e.atMs).getUTCHours()]!++
  let hoursTotal = 0
  for (const h of b.hours) hoursTotal += h
  if (hoursTotal > COUNT_CAP) for (let i = 0; i < 24; i++) b.hours[i] = b.hours[i]! / 2
  const r = b.rate
  r.count++
  r.endMs = Math.max(r.endMs, e.atMs)
  if (r.count > COUNT_CAP) {
    r.count /= 2
    r.startMs = r.endMs - (r.endMs - r.startMs) / 2
  }
  b.novelty.push(e.newCounterparty ? 1 : 0)
  if (b.novelty.length > NOVELTY_RING) b.novelty.shift()
}

export function amountStatsOf(ring: readonly number[]): AmountStats {
  const m = median(ring)
  return { median: m, mad: mad(ring, m), n: ring.length }
}

/** End of learning: compute amount statistics, snapshot and hash the baseline. */
export function freezeBaseline(state: AgentState, nowMs: number, id: string): BaselineMeta {
  const b = state.baseline
  for (const [key, ring] of Object.entries(b.amounts)) b.amountStats[key] = amountStatsOf(ring)
  const sha256 = createHash('sha256').update(JSON.stringify(b)).digest('hex')
  const meta: BaselineMeta = { id, sha256, fromMs: state.firstSeenMs, toMs: nowMs, requests: state.requests }
  state.phase = 'active'
  state.baselineMeta = meta
  // Window flags computed against a half-learned baseline would read as drift: start clean.
  state.window = []
  return meta
}

/** Back to learning from scratch (an operator's rebaseline after an intentional change). */
export function resetToLearning(state: AgentState, nowMs: number): void {
  const fresh = newAgentState(state.agentId, nowMs)
  fresh.counterparties = state.counterparties
  Object.assign(state, fresh)
}

/**
 * Maps keyed by caller-chosen strings (tool names, hints, argument paths) have no prototype: a tool
 * named "constructor" or "__proto__" is then an ordinary key, never Object.prototype's member (which
 * would read as "seen" and hide a new tool, or assign a prototype). STYLE.md §6.
 */
function dict<T>(from: Record<string, T> = {}): Record<string, T> {
  const out = Object.create(null) as Record<string, T>
  for (const k of Object.keys(from)) out[k] = from[k]!
  return out
}

/** A state read back from the store (JSON.parse gives Object.prototype maps): restore null-prototype maps. */
export function reviveAgentState(parsed: unknown): AgentState {
  const s = parsed as AgentState
  const b = s.baseline
  b.tools = dict(b.tools)
  b.amounts = dict(b.amounts)
  b.amountStats = dict(b.amountStats)
  b.shapes = dict(b.shapes)
  b.hints = dict(b.hints)
  s.counterparties = dict(s.counterparties)
  s.recentMinutes ??= []
  s.lockRequested ??= false
  // States written before F4 and the idle timer existed.
  b.dailySums = dict(b.dailySums ?? {})
  s.daySums ??= { day: Math.floor(s.lastSeenMs / DAY_MS), byKey: {}, calm: true }
  s.daySums.byKey = dict(s.daySums.byKey)
  s.lastIdleEvalMs ??= 0
  return s
}
