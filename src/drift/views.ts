// The JSON shapes drift serves (design notes §C4 "Explanation format" and "Summary"): one event with
// its plain-language reasons, and the per-tenant summary of agents, scores, levels and locks.
import type { AgentState, BaselineMeta } from './agent-state.ts'
import type { DriftEventDraft, DriftLevel } from './engine.ts'
import { LEVELS } from './engine.ts'
import type { DriftSettings } from './settings.ts'

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

function baselineView(b: BaselineMeta | null): Record<string, unknown> | null {
  return b === null ? null : { id: b.id, sha256: b.sha256, from: iso(b.fromMs), to: iso(b.toMs), requests: b.requests }
}

/** The served (and ledgered) form of an event the engine proposed. */
export function eventView(d: DriftEventDraft, mode: DriftSettings['mode']): Record<string, unknown> {
  return {
    event_id: d.eventId,
    type: d.type,
    agent_id: d.agentId,
    at: iso(d.atMs),
    level: d.level,
    previous_level: d.previousLevel,
    score: d.score,
    priority: Math.ceil(d.score / 10),
    mode,
    action: d.action,
    corroborated: d.corroborated,
    baseline: baselineView(d.baseline),
    window: { from: iso(d.window.fromMs), to: iso(d.window.toMs), requests: d.window.requests },
    reasons: d.reasons.map((r) => ({ code: r.code, feature: r.feature, severity: round(r.severity), weight: r.weight, text: r.text, ...r.details })),
    actor: null,
    reason: null,
    ledger_request_id: d.eventId,
  }
}

/** A human's lock or release, in the same shape (no score of its own: the agent's current one). */
export function manualEventView(
  eventId: string,
  type: 'drift.lockdown' | 'drift.release',
  agentId: string,
  atMs: number,
  state: AgentState | null,
  mode: DriftSettings['mode'],
  actor: string,
  reason: string,
): Record<string, unknown> {
  const level: DriftLevel = state === null ? 'normal' : LEVELS[state.level]!
  return {
    event_id: eventId,
    type,
    agent_id: agentId,
    at: iso(atMs),
    level: type === 'drift.release' ? 'normal' : level,
    previous_level: level,
    score: state?.score ?? 0,
    priority: Math.ceil((state?.score ?? 0) / 10),
    mode,
    action: type === 'drift.lockdown' ? 'lockdown' : 'release',
    corroborated: false,
    baseline: baselineView(state?.baselineMeta ?? null),
    window: null,
    reasons: [],
    actor,
    reason,
    ledger_request_id: eventId,
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000
}

export interface AgentLockView {
  locked: boolean
  reason: string
  actor: string
}

export function agentView(state: AgentState, settings: DriftSettings, lock: AgentLockView | null): Record<string, unknown> {
  const learning = state.phase === 'learning'
  return {
    agent_id: state.agentId,
    score: learning ? 0 : state.score,
    priority: learning ? 0 : Math.ceil(state.score / 10),
    level: learning ? 'learning' : LEVELS[state.level],
    learning: learning
      ? {
          requests: state.requests,
          min_requests: settings.learning.min_requests,
          since: iso(state.firstSeenMs),
          min_days: settings.learning.min_days,
        }
      : null,
    locked: lock?.locked === true,
    lock_reason: lock?.locked === true ? lock.reason : null,
    top_reasons: state.reasons.map((r) => r.code),
    explanation: state.reasons.map((r) => r.text),
    requests: state.requests,
    last_seen_at: iso(state.lastSeenMs),
    last_event_at: state.lastEventAtMs === null ? null : iso(state.lastEventAtMs),
    baseline: baselineView(state.baselineMeta),
  }
}

/** GET /drift/summary: counts per level, and agents by score (highest first), at most `limit`. */
export function summaryView(
  nowMs: number,
  settings: DriftSettings,
  states: readonly AgentState[],
  locks: ReadonlyMap<string, AgentLockView>,
  limit: number,
): Record<string, unknown> {
  const counts = { total: states.length, learning: 0, normal: 0, watch: 0, alert: 0, critical: 0, locked: 0 }
  for (const s of states) {
    if (s.phase === 'learning') counts.learning++
    else counts[LEVELS[s.level]!]++
    if (locks.get(s.agentId)?.locked === true) counts.locked++
  }
  const sorted = [...states].sort((a, b) => rank(b) - rank(a) || (a.agentId < b.agentId ? -1 : 1))
  return {
    generated_at: iso(nowMs),
    enabled: settings.enabled,
    mode: settings.mode,
    agents: counts,
    top: sorted.slice(0, limit).map((s) => agentView(s, settings, locks.get(s.agentId) ?? null)),
  }
}

function rank(s: AgentState): number {
  return s.phase === 'learning' ? -1 : s.level * 1000 + s.score
}
