// Pure shaping of the report's sections: population counts and the reconciliations that must add up,
// review statistics, the configuration fingerprint and its diff against the previous report, and
// the reproducible sample. No I/O: the builder feeds these from the ledger and store.
import { createHash } from 'node:crypto'
import type { Reconciliation } from './controls.ts'
import type { DecisionFacts, ReviewFacts } from './population.ts'

export function sha256Hex(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex')
}

function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const i of items) {
    const k = key(i)
    out[k] = (out[k] ?? 0) + 1
  }
  return out
}

function sum(r: Record<string, number>): number {
  let s = 0
  for (const v of Object.values(r)) s += v
  return s
}

export interface PopulationCounts {
  ledger_rows: number
  decisions: number
  governance_rows: number
  approved: number
  denied: number
  approved_pending_review: number
  other_status: number
  tokens_minted: number
  tokens_consumed: number
  tokens_expired_unused: number
  tokens_outstanding: number
  reviews: number
}

export function populationSection(rowCount: number, decisions: readonly DecisionFacts[], governanceCount: number, reviews: readonly ReviewFacts[]) {
  const byOutcome = countBy(decisions, (d) => d.row.decisionStatus || '(none)')
  const byTool = countBy(decisions, (d) => d.row.toolName)
  const byAgent = countBy(decisions, (d) => d.row.agentId || '(none)')
  const byEventType = countBy(decisions, (d) => d.row.eventType)
  const tokens = countBy(decisions.filter((d) => d.row.approved), (d) => d.token)
  const approved = byOutcome.approved ?? 0
  const denied = byOutcome.denied ?? 0
  const pending = byOutcome.approved_pending_review ?? 0
  const counts: PopulationCounts = {
    ledger_rows: rowCount,
    decisions: decisions.length,
    governance_rows: governanceCount,
    approved,
    denied,
    approved_pending_review: pending,
    other_status: decisions.length - approved - denied - pending,
    tokens_minted: decisions.filter((d) => d.row.approved).length,
    tokens_consumed: tokens.consumed ?? 0,
    tokens_expired_unused: tokens.expired_unused ?? 0,
    tokens_outstanding: tokens.outstanding ?? 0,
    reviews: reviews.length,
  }
  const tokenless = tokens.none ?? 0
  const reconciliations: Reconciliation[] = [
    { name: 'rows_add_up', equation: `ledger_rows ${rowCount} = decisions ${decisions.length} + governance_rows ${governanceCount}`, ok: rowCount === decisions.length + governanceCount },
    { name: 'decisions_add_up', equation: `decisions ${decisions.length} = approved ${approved} + denied ${denied} + approved_pending_review ${pending} + other ${counts.other_status}`, ok: counts.other_status === 0 },
    { name: 'tools_add_up', equation: `decisions ${decisions.length} = sum by tool ${sum(byTool)}`, ok: sum(byTool) === decisions.length },
    { name: 'agents_add_up', equation: `decisions ${decisions.length} = sum by agent ${sum(byAgent)}`, ok: sum(byAgent) === decisions.length },
    {
      name: 'tokens_add_up',
      equation: `tokens_minted ${counts.tokens_minted} = consumed ${counts.tokens_consumed} + expired_unused ${counts.tokens_expired_unused} + outstanding ${counts.tokens_outstanding} (approvals without a token ${tokenless})`,
      ok: tokenless === 0 && counts.tokens_minted === counts.tokens_consumed + counts.tokens_expired_unused + counts.tokens_outstanding,
    },
  ]
  return { counts, by_outcome: byOutcome, by_tool: byTool, by_agent: byAgent, by_event_type: byEventType, reconciliations }
}

/** Nearest-rank percentile of ms values (0 for an empty list). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!
}

export function reviewSection(reviews: readonly ReviewFacts[]) {
  const latencies = reviews.filter((r) => r.outcome !== 'expired').map((r) => r.latencyMs)
  return {
    count: reviews.length,
    by_outcome: countBy(reviews, (r) => r.outcome),
    by_channel: countBy(reviews, (r) => r.channel),
    median_latency_ms: percentile(latencies, 50),
    p95_latency_ms: percentile(latencies, 95),
    items: reviews.map((r) => ({
      request_id: r.requestId,
      ledger_seq: r.seq,
      agent_id: r.agentId,
      tool_name: r.toolName,
      outcome: r.outcome,
      reviewer: r.reviewer,
      channel: r.channel,
      role: r.role,
      reason: r.reason,
      requested_at: new Date(r.requestedAtMs).toISOString(),
      decided_at: new Date(r.decidedAtMs).toISOString(),
      latency_ms: r.latencyMs,
    })),
  }
}

export interface PolicyInForce {
  policy_id: string
  version_id: string
  content_hash: string
  source: 'registered' | 'policies_dir'
  registered_at: string | null
}

export interface Fingerprint {
  policy_set_sha256: string
  policies: PolicyInForce[]
  settings_sha256: Record<string, string>
  signing_kids: string[]
}

export interface FingerprintDiff {
  previous_report_id: string | null
  unchanged_since_previous: boolean | null
  changes: Array<{ kind: 'policy' | 'settings' | 'signing_keys'; name: string; change: 'added' | 'removed' | 'changed'; from: string | null; to: string | null }>
}

export function diffFingerprint(previousId: string | null, prev: Fingerprint | null, next: Fingerprint): FingerprintDiff {
  if (prev === null) return { previous_report_id: previousId, unchanged_since_previous: null, changes: [] }
  const changes: FingerprintDiff['changes'] = []
  const before = new Map(prev.policies.map((p) => [p.policy_id, p]))
  const after = new Map(next.policies.map((p) => [p.policy_id, p]))
  for (const [id, p] of after) {
    const old = before.get(id)
    if (old === undefined) changes.push({ kind: 'policy', name: id, change: 'added', from: null, to: p.content_hash })
    else if (old.content_hash !== p.content_hash) changes.push({ kind: 'policy', name: id, change: 'changed', from: old.content_hash, to: p.content_hash })
  }
  for (const [id, p] of before) if (!after.has(id)) changes.push({ kind: 'policy', name: id, change: 'removed', from: p.content_hash, to: null })
  for (const [kind, hash] of Object.entries(next.settings_sha256)) {
    const old = prev.settings_sha256[kind] ?? null
    if (old !== hash) changes.push({ kind: 'settings', name: kind, change: old === null ? 'added' : 'changed', from: old, to: hash })
  }
  const kidsBefore = prev.signing_kids.join(',')
  const kidsAfter = next.signing_kids.join(',')
  if (kidsBefore !== kidsAfter) changes.push({ kind: 'signing_keys', name: 'key_ring', change: 'changed', from: kidsBefore, to: kidsAfter })
  return { previous_report_id: previousId, unchanged_since_previous: changes.length === 0, changes }
}

/**
 * The sample: the n decisions with the smallest sha256(`${seed}:${request_id}`). Reproducible from
 * the printed seed and the CSV alone (one line of shell), independent of row order, and an auditor
 * can pick their own seed (POST /reports `sample_seed`).
 */
export function selectSample<T extends { row: { requestId: string; seq: number } }>(items: readonly T[], seed: string, n: number): T[] {
  const keyed = items.map((item) => ({ item, key: sha256Hex(`${seed}:${item.row.requestId}`) }))
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  return keyed.slice(0, n).map((k) => k.item).sort((a, b) => a.row.seq - b.row.seq)
}
