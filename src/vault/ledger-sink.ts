// The ledger hook: every terminal decision goes through one LedgerSink.append(), durable before the
// response. The default sink is src/ledger's LedgerService: it hashes the canonical_version 3 event,
// signs its receipt with the key ring's active key and writes it in the decision's own transaction.
import { uuidv7 } from '../core/index.ts'
import { createNodeSigner } from '../ledger/index.ts'
import type { LedgerService, LedgerSigner } from '../ledger/index.ts'
import { canonicalHash } from '../token/index.ts'
import type { ClearanceRecord, DecisionEvent, WriteOp, WriteResult } from '../store/index.ts'
import type { KeyRing } from './key-ring.ts'
import { BUCKET_MIDPOINTS } from './policy/index.ts'
import type { ConfidenceBucket } from './policy/index.ts'

export interface LedgerSink {
  /**
   * Record `event` durably. `alongWith` are the decision's own rows (clearance, token, idempotency),
   * committed in the same transaction so a crash never keeps one without the other.
   */
  append(event: DecisionEvent, alongWith?: readonly WriteOp[]): Promise<WriteResult>
}

/** The sink over the ledger service (hash, receipt, optional encryption, same transaction). */
export function createStoreLedgerSink(service: LedgerService): LedgerSink {
  return {
    append(event: DecisionEvent, alongWith: readonly WriteOp[] = []): Promise<WriteResult> {
      return service.append(event, alongWith)
    },
  }
}

/** The key ring's active key as a ledger signer; rebuilt only when the ring's signer changes (rotation). */
export function ledgerSignerOf(keyRing: KeyRing): () => LedgerSigner | null {
  let cached: LedgerSigner | null = null
  return function currentLedgerSigner(): LedgerSigner | null {
    const signer = keyRing.signer
    if (signer === null) return null
    if (cached === null || cached.keyId !== signer.kid) cached = createNodeSigner(signer.kid, signer.privateKey)
    return cached
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
  return canonicalHash(intent)
}

/**
 * The Vault's own evidence objects (citations, evidence chunks) use camelCase keys in the ledger:
 * the client's fetchLedger() camelCases nested keys before recomputing event_hash (spec §7.2
 * nested-key pitfall), so keys that camelCasing leaves unchanged keep those rows verifiable by the
 * client. Caller content (tool_args) is never rewritten.
 */
function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys)
  if (typeof value !== 'object' || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k.replace(/_([a-z0-9])/g, upperSecond)] = camelKeys(v)
  return out
}

function upperSecond(_match: string, c: string): string {
  return c.toUpperCase()
}

function midpoint(bucket: string): number {
  return Object.hasOwn(BUCKET_MIDPOINTS, bucket) ? BUCKET_MIDPOINTS[bucket as ConfidenceBucket] : 0
}

/** The canonical_version 3 event for a clearance in its (terminal) state. */
export function decisionEventFor(c: ClearanceRecord, eventType: string, evidence: EventEvidence, nowMs: number): DecisionEvent {
  return {
    tenantId: c.tenantId,
    eventUuid: uuidv7(nowMs),
    eventType,
    requestId: c.requestId,
    toolName: c.toolName,
    toolArgs: c.toolArgs,
    agentId: c.agentId,
    policyId: c.policyId,
    reason: c.reason,
    citations: camelKeys(evidence.citations) as Array<Record<string, unknown>>,
    evidenceChunks: camelKeys(evidence.evidenceChunks) as Array<Record<string, unknown>>,
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
