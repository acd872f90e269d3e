// Row → record mapping for the SQLite driver's reads (snake_case columns, JSON text columns).
import type { ApiKeyId, TenantId } from '../../core/index.ts'
import type {
  AgentLockRecord,
  ApiKeyRecord,
  ApiKeyRole,
  ClearanceRecord,
  ClearanceStatus,
  DecisionChannel,
  DecisionStatus,
  IdempotencyRecord,
  PolicyVersionRecord,
  ReviewState,
  SigningKeyRecord,
  StoredDecisionEvent,
  TenantRecord,
  TokenRecord,
} from '../types.ts'

type Row = Record<string, unknown>

const str = (v: unknown): string => v as string
const num = (v: unknown): number => v as number
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string))
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : (v as number))

export function toTenant(r: Row): TenantRecord {
  return { tenantId: str(r.tenant_id) as TenantId, name: str(r.name), createdAtMs: num(r.created_at) }
}

export function toApiKey(r: Row): ApiKeyRecord {
  return {
    keyId: str(r.key_id) as ApiKeyId,
    tenantId: str(r.tenant_id) as TenantId,
    keyHash: str(r.key_hash),
    prefix: str(r.prefix),
    role: str(r.role) as ApiKeyRole,
    name: str(r.name),
    createdAtMs: num(r.created_at),
    revokedAtMs: numOrNull(r.revoked_at),
    lastUsedAtMs: numOrNull(r.last_used_at),
    expiresAtMs: numOrNull(r.expires_at),
    replacedByKeyId: strOrNull(r.replaced_by),
  }
}

export function toSigningKey(r: Row): SigningKeyRecord {
  return {
    kid: str(r.kid),
    publicX: str(r.public_x),
    activeFromMs: num(r.active_from),
    retiredAtMs: numOrNull(r.retired_at),
    revokedAtMs: numOrNull(r.revoked_at),
    source: str(r.source) === 'env' ? 'env' : 'file',
  }
}

export function toToken(r: Row): TokenRecord {
  return {
    jti: str(r.jti),
    tenantId: str(r.tenant_id) as TenantId,
    requestId: str(r.request_id),
    agentId: str(r.agent_id),
    toolName: str(r.tool_name),
    kid: str(r.kid),
    expSeconds: num(r.exp),
    mintedAtMs: num(r.minted_at),
  }
}

export function toClearance(r: Row): ClearanceRecord {
  return {
    tenantId: str(r.tenant_id) as TenantId,
    requestId: str(r.request_id),
    kind: str(r.kind) === 'mint' ? 'mint' : 'clearance',
    status: str(r.status) as ClearanceStatus,
    decisionStatus: strOrNull(r.decision_status) as DecisionStatus | null,
    token: strOrNull(r.token),
    jti: strOrNull(r.jti),
    reason: str(r.reason),
    reasonCode: strOrNull(r.reason_code),
    confidence: num(r.confidence),
    confidenceBucket: str(r.confidence_bucket),
    minimumConfidenceScore: num(r.minimum_confidence_score),
    minimumConfidenceBucket: str(r.minimum_confidence_bucket),
    policyId: str(r.policy_id),
    policyVersionId: strOrNull(r.policy_version_id),
    policyContentHash: strOrNull(r.policy_content_hash),
    toolName: str(r.tool_name),
    toolArgs: JSON.parse(str(r.tool_args)) as Record<string, unknown>,
    toolArgsHash: str(r.tool_args_hash),
    agentId: str(r.agent_id),
    sessionId: str(r.session_id),
    context: JSON.parse(str(r.context)) as Record<string, unknown>,
    matchedRuleIds: JSON.parse(str(r.matched_rule_ids)) as string[],
    reviewState: strOrNull(r.review_state) as ReviewState | null,
    reviewExpiresAtMs: numOrNull(r.review_expires_at),
    reviewer: strOrNull(r.reviewer),
    reviewReason: strOrNull(r.review_reason),
    decidedByKeyId: strOrNull(r.decided_by_key_id),
    decidedByRole: strOrNull(r.decided_by_role) as ApiKeyRole | null,
    decisionChannel: strOrNull(r.decision_channel) as DecisionChannel | null,
    parentRequestId: strOrNull(r.parent_request_id),
    createdAtMs: num(r.created_at),
    updatedAtMs: num(r.updated_at),
  }
}

export function toEvent(r: Row): StoredDecisionEvent {
  return {
    seq: num(r.seq),
    tenantId: str(r.tenant_id) as TenantId,
    eventUuid: str(r.event_uuid),
    eventType: str(r.event_type),
    requestId: str(r.request_id),
    toolName: str(r.tool_name),
    toolArgs: JSON.parse(str(r.tool_args)) as Record<string, unknown>,
    agentId: str(r.agent_id),
    policyId: str(r.policy_id),
    reason: str(r.reason),
    citations: JSON.parse(str(r.citations)) as Array<Record<string, unknown>>,
    evidenceChunks: JSON.parse(str(r.evidence_chunks)) as Array<Record<string, unknown>>,
    confidence: num(r.confidence),
    confidenceBucket: str(r.confidence_bucket),
    decisionStatus: str(r.decision_status),
    approved: num(r.approved) === 1,
    acceptedAt: str(r.accepted_at),
    intentHash: str(r.intent_hash),
    ruleSetHash: str(r.rule_set_hash),
    matchedRuleIds: JSON.parse(str(r.matched_rule_ids)) as string[],
    evalInputsHash: str(r.eval_inputs_hash),
    evalTraceHash: str(r.eval_trace_hash),
    classifierLabel: str(r.classifier_label),
    classifierConfidenceBucket: str(r.classifier_confidence_bucket),
    canonicalVersion: num(r.canonical_version),
  }
}

export function toIdempotency(r: Row): IdempotencyRecord {
  return {
    tenantId: str(r.tenant_id) as TenantId,
    route: str(r.route),
    key: str(r.idem_key),
    bodyHash: str(r.body_hash),
    requestId: strOrNull(r.request_id),
    statusCode: num(r.status_code),
    responseJson: str(r.response),
    createdAtMs: num(r.created_at),
  }
}

export function toPolicy(r: Row): PolicyVersionRecord {
  return {
    tenantId: str(r.tenant_id) as TenantId,
    policyId: str(r.policy_id),
    versionId: str(r.version_id),
    description: str(r.description),
    documentJson: str(r.document),
    contentHash: str(r.content_hash),
    createdAtMs: num(r.created_at),
    authorKeyId: strOrNull(r.author_key_id),
  }
}

export function toLock(r: Row): AgentLockRecord {
  return {
    tenantId: str(r.tenant_id) as TenantId,
    agentId: str(r.agent_id),
    locked: num(r.locked) === 1,
    actor: str(r.actor),
    reason: str(r.reason),
    changedAtMs: num(r.changed_at),
  }
}
