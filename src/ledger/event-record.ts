// Append-time work for one event: the body as the JSON text /ledger will serve, event_hash over
// exactly that (spec §7.2), leaf_hash (§7.3) and the signed receipt (§7.4). One CBOR encode, two
// SHA-256 and one Ed25519 signature; the caller stores the result in the decision's own transaction.
import { LedgixError } from '../core/index.ts'
import type { DecisionEvent, LedgerEventBody, LedgerEventRecord, StoredLedgerEvent } from '../store/index.ts'
import type { LedgerHasher, LedgerSigner } from './crypto.ts'
import { computeEventHash, computeLeafHash } from './event.ts'
import type { EventHashInput } from './event.ts'
import { signReceipt } from './receipt.ts'
import type { JsonObject, LedgerEntry } from './wire-types.ts'

/** The parsed body fields as served and hashed. */
export interface EventBodyValues {
  tool_args: JsonObject
  reason: string
  citations: JsonObject[]
  evidence_chunks: JsonObject[]
}

export function parseBody(body: LedgerEventBody): EventBodyValues {
  return {
    tool_args: JSON.parse(body.toolArgsJson) as JsonObject,
    reason: body.reason,
    citations: JSON.parse(body.citationsJson) as JsonObject[],
    evidence_chunks: JSON.parse(body.evidenceChunksJson) as JsonObject[],
  }
}

/** parseBody, or null when a stored body is not JSON (a damaged row: verification reports it). */
export function parseBodyOrNull(body: LedgerEventBody): EventBodyValues | null {
  try {
    return parseBody(body)
  } catch {
    return null
  }
}

/**
 * The spec §7.2 hash input of a stored row with its (decrypted) body, as a class so the verifier can
 * refill one instance per row instead of allocating one (set() returns it).
 */
export class RowHashInput implements EventHashInput {
  canonical_version = 0
  event_uuid = ''
  request_id = ''
  agent_id = ''
  policy_id = ''
  tool_name = ''
  intent_hash = ''
  reason = ''
  accepted_at = ''
  approved = false
  confidence = 0
  tool_args: unknown = null
  citations: readonly unknown[] = []
  evidence_chunks: readonly unknown[] = []
  confidence_bucket = ''
  decision_status = ''
  rule_set_hash = ''
  eval_inputs_hash = ''
  eval_trace_hash = ''
  classifier_label = ''
  classifier_confidence_bucket = ''
  matched_rule_ids: readonly string[] = []

  set(e: LedgerEventRecord, body: EventBodyValues): this {
    this.canonical_version = e.canonicalVersion
    this.event_uuid = e.eventUuid
    this.request_id = e.requestId
    this.agent_id = e.agentId
    this.policy_id = e.policyId
    this.tool_name = e.toolName
    this.intent_hash = e.intentHash
    this.reason = body.reason
    this.accepted_at = e.acceptedAt
    this.approved = e.approved
    this.confidence = e.confidence
    this.tool_args = body.tool_args
    this.citations = body.citations
    this.evidence_chunks = body.evidence_chunks
    this.confidence_bucket = e.confidenceBucket
    this.decision_status = e.decisionStatus
    this.rule_set_hash = e.ruleSetHash
    this.eval_inputs_hash = e.evalInputsHash
    this.eval_trace_hash = e.evalTraceHash
    this.classifier_label = e.classifierLabel
    this.classifier_confidence_bucket = e.classifierConfidenceBucket
    this.matched_rule_ids = e.matchedRuleIds
    return this
  }
}

/** The spec §7.2 hash input of a stored row with its (decrypted) body. */
export function hashInputOf(e: LedgerEventRecord, body: EventBodyValues): EventHashInput {
  return new RowHashInput().set(e, body)
}

/**
 * Hash and sign `event`. The body is hashed as it will be read back from its JSON text (so -0,
 * dropped `undefined` members and the like can never make the served row hash differently).
 * Throws LedgixError invalid_request for content the spec cannot hash (a lone UTF-16 surrogate).
 */
export function buildLedgerRecord(event: DecisionEvent, signer: LedgerSigner, hasher: LedgerHasher): LedgerEventRecord {
  const body: LedgerEventBody = {
    toolArgsJson: JSON.stringify(event.toolArgs),
    reason: event.reason,
    citationsJson: JSON.stringify(event.citations),
    evidenceChunksJson: JSON.stringify(event.evidenceChunks),
  }
  const record: LedgerEventRecord = {
    tenantId: event.tenantId,
    eventUuid: event.eventUuid,
    eventType: event.eventType,
    requestId: event.requestId,
    toolName: event.toolName,
    agentId: event.agentId,
    policyId: event.policyId,
    confidence: event.confidence,
    confidenceBucket: event.confidenceBucket,
    decisionStatus: event.decisionStatus,
    approved: event.approved,
    acceptedAt: event.acceptedAt,
    intentHash: event.intentHash,
    ruleSetHash: event.ruleSetHash,
    matchedRuleIds: event.matchedRuleIds,
    evalInputsHash: event.evalInputsHash,
    evalTraceHash: event.evalTraceHash,
    classifierLabel: event.classifierLabel,
    classifierConfidenceBucket: event.classifierConfidenceBucket,
    canonicalVersion: event.canonicalVersion,
    body,
    bodyCipher: null,
    eventHash: '',
    leafHash: '',
    receiptAlgorithm: '',
    receiptKeyId: '',
    receiptPayload: '',
    receiptSignature: '',
  }
  let eventHash: string
  try {
    eventHash = computeEventHash(hashInputOf(record, parseBody(body)), hasher)
  } catch (err) {
    throw new LedgixError('invalid_request', `the request cannot be ledgered: ${(err as Error).message}`)
  }
  const leafHash = computeLeafHash(eventHash, hasher)
  const receipt = signReceipt(
    { accepted_at: event.acceptedAt, event_hash: eventHash, event_uuid: event.eventUuid, leaf_hash: leafHash, request_id: event.requestId },
    signer,
  )
  record.eventHash = eventHash
  record.leafHash = leafHash
  record.receiptAlgorithm = receipt.receipt_algorithm
  record.receiptKeyId = receipt.receipt_key_id
  record.receiptPayload = receipt.receipt_payload
  record.receiptSignature = receipt.receipt_signature
  return record
}

/**
 * Spec §7.6 "enum|null?" / "string|null?": an empty stored value is served as `null`. The client's
 * schemas reject `""` where they expect an enum (a ZodError on the whole page), and §7.2 hashes null
 * and `""` alike, so serving null changes no hash. The store keeps `""` (the hashed form).
 */
function orNull(value: string): string | null {
  return value === '' ? null : value
}

/** A stored row as the spec §7.6 LedgerEntry; `body` null serves the row redacted (intent_hash ""). */
export function ledgerEntryOf(e: StoredLedgerEvent, body: EventBodyValues | null): LedgerEntry {
  return {
    seq: e.seq,
    event_uuid: e.eventUuid,
    request_id: e.requestId,
    agent_id: e.agentId,
    policy_id: e.policyId,
    tool_name: e.toolName,
    accepted_at: e.acceptedAt,
    event_hash: e.eventHash,
    leaf_hash: e.leafHash,
    // Spec §7.2: an empty intent_hash marks a redacted row whose body is not re-hashed.
    intent_hash: body === null ? '' : e.intentHash,
    tool_args: body === null ? {} : body.tool_args,
    reason: body === null ? '' : body.reason,
    citations: body === null ? [] : body.citations,
    evidence_chunks: body === null ? [] : body.evidence_chunks,
    confidence: e.confidence,
    approved: e.approved,
    canonical_version: e.canonicalVersion,
    confidence_bucket: orNull(e.confidenceBucket),
    decision_status: orNull(e.decisionStatus),
    leaf_index: e.leafIndex,
    checkpoint_id: e.checkpointId,
    receipt_algorithm: e.receiptAlgorithm,
    receipt_key_id: e.receiptKeyId,
    receipt_signature: e.receiptSignature,
    receipt_payload: e.receiptPayload,
    rule_set_hash: orNull(e.ruleSetHash),
    eval_inputs_hash: orNull(e.evalInputsHash),
    eval_trace_hash: orNull(e.evalTraceHash),
    classifier_label: orNull(e.classifierLabel),
    matched_rule_ids: e.matchedRuleIds,
    classifier_confidence_bucket: orNull(e.classifierConfidenceBucket),
  }
}
