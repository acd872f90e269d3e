// One review as the dashboard's detail pane shows it (docs/design/dashboard.md §3): the queue item
// plus why it is here, the args hash the token binds, the structural diff against the last approved
// call of the same agent and tool, and who decided it, how and when.
import type { ClearanceRecord, DecisionChannel, Store } from '../store/index.ts'
import { diffArgs } from './args-diff.ts'
import type { ArgsChange } from './args-diff.ts'
import { reviewItemView } from './reviews.ts'

export type ReviewWhy = { kind: 'rule'; rule: string; rules: string[] } | { kind: 'confidence'; confidence: number; threshold: number } | { kind: 'default'; reason_code: string | null }

export type DecisionVia = DecisionChannel | null

/** The channel a decision came through, as stored with it (null while undecided). */
export function decisionViaOf(c: ClearanceRecord): DecisionVia {
  return c.decisionChannel
}

/** Why a request went to review: a deciding rule, a judge verdict under the threshold, or the default. */
export function reviewWhyOf(c: ClearanceRecord): ReviewWhy {
  if (c.reasonCode === 'low_confidence') return { kind: 'confidence', confidence: c.confidence, threshold: c.minimumConfidenceScore }
  const first = c.matchedRuleIds[0]
  if (first !== undefined) return { kind: 'rule', rule: first, rules: c.matchedRuleIds }
  return { kind: 'default', reason_code: c.reasonCode }
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

/** Decided by a person, by Slack or by the expiry sweep; null while pending (or never reviewed). */
export function reviewDecisionOf(c: ClearanceRecord): Record<string, unknown> | null {
  if (c.reviewState === null || c.reviewState === 'pending' || c.status === 'pending_review') return null
  return {
    approved: c.status === 'approved',
    state: c.reviewState,
    by: c.reviewer,
    via: decisionViaOf(c),
    at: iso(c.updatedAtMs),
    reason: c.reviewReason !== null && c.reviewReason !== '' ? c.reviewReason : c.reason,
    decided_by_key_id: c.decidedByKeyId,
  }
}

export interface LastApprovedDiff {
  request_id: string
  approved_at: string
  changes: ArgsChange[]
  truncated: boolean
}

/** The diff of `c`'s tool_args against the newest earlier approved clearance of its agent and tool. */
export async function diffFromLastApproved(store: Store, c: ClearanceRecord): Promise<LastApprovedDiff | null> {
  const last = await store.getLastApprovedClearance(c.tenantId, c.agentId, c.toolName, c.createdAtMs, c.requestId)
  if (last === null) return null
  const diff = diffArgs(last.toolArgs, c.toolArgs)
  return { request_id: last.requestId, approved_at: iso(last.updatedAtMs), changes: diff.changes, truncated: diff.truncated }
}

export async function reviewDetailView(store: Store, c: ClearanceRecord): Promise<Record<string, unknown>> {
  return {
    ...reviewItemView(c),
    why: reviewWhyOf(c),
    // What an approval's token carries as tool_args_hash (minting.ts copies it from this record).
    args_hash: c.toolArgsHash,
    diff_from_last_approved: await diffFromLastApproved(store, c),
    decision: reviewDecisionOf(c),
  }
}
