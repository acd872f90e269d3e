// Drift events in the ledger: each drift event (baseline established, level change, automatic or
// manual lockdown, release) is stored for /drift/events AND appended to the tamper-evident ledger in
// one transaction, with the lock row when there is one. The ledger row keeps the client's wire format
// (spec §7.2/§7.6, canonical_version 3): tool_name `ledgix.drift`, request_id = the drift event id,
// a plain-language `reason`, camelCase-only `tool_args` (the client camelCases nested keys before
// re-hashing), enum-valid decision_status (denied = lockdown, approved = release or baseline,
// approved_pending_review = an alert for a human), eval_inputs_hash = hash of the served event, and
// enum-valid buckets ('none') so the client's LedgerEntry model parses the row.
import { uuidv7 } from '../core/index.ts'
import type { TenantId } from '../core/index.ts'
import type { DriftEventDraft, DriftSink } from '../drift/index.ts'
import { agentLockEvent } from '../notify/index.ts'
import type { Notifier } from '../notify/index.ts'
import type { AgentLockRecord, DecisionEvent, WriteOp } from '../store/index.ts'
import { canonicalHash } from '../token/index.ts'
import type { LedgerSink } from './ledger-sink.ts'
import { liveEventOf } from './live-event-body.ts'
import type { LiveEventHub } from './live-events.ts'

export const DRIFT_TOOL_NAME = 'ledgix.drift'

export interface DriftLedgerEntry {
  tenantId: TenantId
  eventId: string
  type: string
  agentId: string
  atMs: number
  level: string
  score: number
  /** The served event (stored as is; its canonical hash is ledgered). */
  body: Record<string, unknown>
  /** One line a human reads in the ledger. */
  text: string
}

function decisionStatusOf(type: string): { decisionStatus: string; approved: boolean } {
  if (type === 'drift.lockdown') return { decisionStatus: 'denied', approved: false }
  if (type === 'drift.release' || type === 'drift.baseline_established' || type === 'drift.settings_changed') return { decisionStatus: 'approved', approved: true }
  return { decisionStatus: 'approved_pending_review', approved: false }
}

/**
 * Append one drift entry (and `lock`, and `alongWith`) to the ledger and the drift event table in one
 * transaction.
 */
export async function appendDriftEntry(ledger: LedgerSink, e: DriftLedgerEntry, lock: AgentLockRecord | null, alongWith: readonly WriteOp[] = []): Promise<void> {
  const reasons = Array.isArray(e.body.reasons) ? (e.body.reasons as Array<{ code?: unknown }>).map((r) => String(r.code)) : []
  const toolArgs: Record<string, unknown> = {
    eventType: e.type,
    level: e.level,
    previousLevel: String(e.body.previous_level ?? ''),
    score: e.score,
    action: String(e.body.action ?? 'none'),
    mode: String(e.body.mode ?? ''),
    reasons,
  }
  const { decisionStatus, approved } = decisionStatusOf(e.type)
  const event: DecisionEvent = {
    tenantId: e.tenantId,
    eventUuid: uuidv7(e.atMs),
    eventType: e.type,
    requestId: e.eventId,
    toolName: DRIFT_TOOL_NAME,
    toolArgs,
    agentId: e.agentId,
    policyId: '',
    reason: e.text,
    citations: [],
    evidenceChunks: [],
    confidence: 0,
    confidenceBucket: 'none',
    decisionStatus,
    approved,
    acceptedAt: new Date(e.atMs).toISOString(),
    intentHash: canonicalHash({ agent_id: e.agentId, event_id: e.eventId, tool_args: toolArgs, tool_name: DRIFT_TOOL_NAME }),
    ruleSetHash: '',
    matchedRuleIds: [],
    evalInputsHash: canonicalHash(e.body),
    evalTraceHash: '',
    classifierLabel: '',
    // 'none', not '': the client's LedgerEntry model accepts only a bucket or null here, and a row
    // serves what it hashed (test/drift/drift.wire.test.ts validates against client-schemas.json).
    classifierConfidenceBucket: 'none',
    canonicalVersion: 3,
  }
  const ops: WriteOp[] = [
    {
      op: 'drift_event_insert',
      event: { tenantId: e.tenantId, eventId: e.eventId, agentId: e.agentId, type: e.type, level: e.level, score: e.score, atMs: e.atMs, bodyJson: JSON.stringify(e.body) },
    },
  ]
  if (lock !== null) ops.push({ op: 'agent_lock_put', lock })
  ops.push(...alongWith)
  const result = await ledger.append(event, ops)
  if (!result.ok) throw new Error(`drift event ${e.eventId}: the write was refused at ${result.opName}`)
}

function sentence(d: DriftEventDraft): string {
  if (d.type === 'drift.baseline_established') {
    return `Drift baseline established for agent "${d.agentId}" (${d.baseline?.requests ?? 0} requests, sha256 ${d.baseline?.sha256 ?? ''}).`
  }
  const head =
    d.action === 'lockdown'
      ? `Agent "${d.agentId}" locked down automatically: drift score ${d.score} (${d.level}), corroborated by independent signals.`
      : `Drift for agent "${d.agentId}" moved from ${d.previousLevel} to ${d.level} (score ${d.score}).`
  const why = d.reasons.slice(0, 3).map((r) => r.text)
  return why.length === 0 ? head : `${head} ${why.join(' ')}`
}

/** The sink the drift monitor writes through. */
export function createDriftSink(ledger: LedgerSink, notifier: Notifier | null, live: LiveEventHub | null = null): DriftSink {
  return {
    async record(tenantId: TenantId, d: DriftEventDraft, body: Record<string, unknown>, lock: AgentLockRecord | null): Promise<void> {
      const alongWith: WriteOp[] = []
      // The agent.locked notification commits with the automatic lock (issue 17's outbox rule); the
      // live stream hears of it (same event id) once that write committed.
      const event = lock === null ? null : agentLockEvent(lock, lock.changedAtMs)
      if (event !== null && notifier !== null) await notifier.appendEventOps(alongWith, event, lock!.changedAtMs)
      await appendDriftEntry(ledger, { tenantId, eventId: d.eventId, type: d.type, agentId: d.agentId, atMs: d.atMs, level: d.level, score: d.score, body, text: sentence(d) }, lock, alongWith)
      if (event !== null && live !== null && live.active) live.publish(liveEventOf(event))
    },
  }
}
