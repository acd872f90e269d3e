// Ledger rows of reports, in the client's wire format like drift's (src/vault/drift-ledger.ts):
// tool_name `ledgix.report`, camelCase-only tool_args, enum-valid decision_status ('approved') and
// buckets ('none'). Two kinds: a report made ready (its artifact hashes) and a report-settings change.
import { uuidv7 } from '../core/index.ts'
import type { TenantId } from '../core/index.ts'
import type { DecisionEvent, ReportRecord } from '../store/index.ts'
import { canonicalJson } from '../token/index.ts'
import type { ReportDocument } from './builder.ts'
import { REPORT_TOOL } from './population.ts'
import { sha256Hex } from './sections.ts'

function governanceEvent(tenantId: TenantId, requestId: string, eventType: string, agentId: string, toolArgs: Record<string, unknown>, reason: string, inputsHash: string, nowMs: number): DecisionEvent {
  return {
    tenantId,
    eventUuid: uuidv7(nowMs),
    eventType,
    requestId,
    toolName: REPORT_TOOL,
    toolArgs,
    agentId,
    policyId: '',
    reason,
    citations: [],
    evidenceChunks: [],
    confidence: 0,
    confidenceBucket: 'none',
    decisionStatus: 'approved',
    approved: true,
    acceptedAt: new Date(nowMs).toISOString(),
    intentHash: sha256Hex(canonicalJson({ agent_id: agentId, request_id: requestId, tool_args: toolArgs, tool_name: REPORT_TOOL })),
    ruleSetHash: '',
    matchedRuleIds: [],
    evalInputsHash: inputsHash,
    evalTraceHash: '',
    classifierLabel: '',
    classifierConfidenceBucket: 'none',
    canonicalVersion: 3,
  }
}

/**
 * A report-settings change: agent_id names the acting key (`role:name`), as a governance row has no
 * agent; eval_inputs_hash is the hash of the new settings, which tool_args carry whole.
 */
export function settingsChangedEvent(tenantId: TenantId, actor: string, previous: unknown, next: unknown, nowMs: number): DecisionEvent {
  const requestId = `rps_${uuidv7(nowMs)}`
  const toolArgs = { eventType: 'report.settings_changed', previousSha256: sha256Hex(canonicalJson(previous)), nextSha256: sha256Hex(canonicalJson(next)) }
  return governanceEvent(tenantId, requestId, 'report.settings_changed', actor, toolArgs, `Report settings changed by ${actor}.`, toolArgs.nextSha256, nowMs)
}

/**
 * The ledger row of a ready report, in the client's wire format like drift's rows: tool_name
 * `ledgix.report`, request_id = report id, camelCase-only tool_args with the artifact hashes, and
 * eval_inputs_hash = the canonical JSON's SHA-256 (the same value: canonicalHash of the document).
 */
export function reportEvent(r: ReportRecord, doc: ReportDocument, hashes: Record<string, string>, nowMs: number): DecisionEvent {
  const anchor = (doc.ledger_anchor ?? {}) as Record<string, unknown>
  const cp = (anchor.checkpoint ?? null) as Record<string, unknown> | null
  const exceptions = Array.isArray(doc.exceptions) ? doc.exceptions.length : 0
  const toolArgs = {
    eventType: 'report.generated',
    reportId: r.reportId,
    jsonSha256: hashes.json ?? '',
    pdfSha256: hashes.pdf ?? '',
    csvSha256: hashes.csv ?? '',
    periodFrom: new Date(r.periodFromMs).toISOString(),
    periodTo: new Date(r.periodToMs).toISOString(),
    anchorCheckpointId: typeof cp?.checkpoint_id === 'number' ? cp.checkpoint_id : 0,
    anchorRootHash: typeof cp?.root_hash === 'string' ? cp.root_hash : '',
    exceptions,
  }
  const reason = `Compliance report ${r.reportId} generated for ${toolArgs.periodFrom} → ${toolArgs.periodTo}: JSON sha256 ${toolArgs.jsonSha256}, ${exceptions} exception(s).`
  return governanceEvent(r.tenantId, r.reportId, 'report.generated', '*', toolArgs, reason, hashes.json ?? '', nowMs)
}
