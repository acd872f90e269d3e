// The ledger hook: every terminal decision goes through one LedgerSink.append(), durable before the
// response. Until src/ledger seals events (hashes, receipts), the store sink persists the full
// canonical_version 3 event row in the same group-committed transaction as the decision itself.
import { createHash, randomUUID } from 'node:crypto'
import { canonicalJson } from '../token/index.ts'
import type { ClearanceRecord, DecisionEvent, Store, WriteOp, WriteResult } from '../store/index.ts'
import { BUCKET_MIDPOINTS } from './policy/index.ts'
import type { ConfidenceBucket } from './policy/index.ts'

export interface LedgerSink {
  /**
   * Record `event` durably. `alongWith` are the decision's own rows (clearance, token, idempotency),
   * committed in the same transaction so a crash never keeps one without the other.
   */
  append(event: DecisionEvent, alongWith?: readonly WriteOp[]): Promise<WriteResult>
}

export function createStoreLedgerSink(store: Store): LedgerSink {
  return {
    append(event: DecisionEvent, alongWith: readonly WriteOp[] = []): Promise<WriteResult> {
      return store.write([...alongWith, { op: 'event_insert', event }])
    },
  }
}

/** Extra evaluation facts the clearance row does not keep. */
export interface EventEvidence {
  citations: Array<Record<string, unknown>>
  evidenceChunks: Array<Record<string, unknown>>
  ruleSetHash: string
  evalInputsHash: string
  evalTraceHash: string
  classifierLabel: string
  classifierConfidenceBucket: string
}

export const NO_EVIDENCE: EventEvidence = {
  citations: [],
  evidenceChunks: [],
  ruleSetHash: '',
  evalInputsHash: '',
  evalTraceHash: '',
  classifierLabel: '',
  classifierConfidenceBucket: '',
}

/** hex SHA-256 of what the agent asked to do (spec §7.2: a non-empty intent_hash marks an unredacted row). */
export function intentHash(c: ClearanceRecord): string {
  const intent = { agent_id: c.agentId, session_id: c.sessionId, tool_args: c.toolArgs, tool_name: c.toolName }
  return createHash('sha256').update(canonicalJson(intent), 'utf8').digest('hex')
}

function midpoint(bucket: string): number {
  return Object.hasOwn(BUCKET_MIDPOINTS, bucket) ? BUCKET_MIDPOINTS[bucket as ConfidenceBucket] : 0
}

/** The canonical_version 3 event for a clearance in its (terminal) state. */
export function decisionEventFor(c: ClearanceRecord, eventType: string, evidence: EventEvidence, nowMs: number): DecisionEvent {
  return {
    tenantId: c.tenantId,
    eventUuid: randomUUID(),
    eventType,
    requestId: c.requestId,
    toolName: c.toolName,
    toolArgs: c.toolArgs,
    agentId: c.agentId,
    policyId: c.policyId,
    reason: c.reason,
    citations: evidence.citations,
    evidenceChunks: evidence.evidenceChunks,
    // Spec §7.2: v3 rows store the bucket midpoint so a verifier's recomputation matches.
    confidence: midpoint(c.confidenceBucket),
    confidenceBucket: c.confidenceBucket,
    decisionStatus: c.decisionStatus ?? '',
    approved: c.status === 'approved',
    acceptedAt: new Date(nowMs).toISOString(),
    intentHash: intentHash(c),
    ruleSetHash: evidence.ruleSetHash,
    matchedRuleIds: c.matchedRuleIds,
    evalInputsHash: evidence.evalInputsHash,
    evalTraceHash: evidence.evalTraceHash,
    classifierLabel: evidence.classifierLabel,
    classifierConfidenceBucket: evidence.classifierConfidenceBucket,
    canonicalVersion: 3,
  }
}
