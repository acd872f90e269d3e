// The clearance path (ARCHITECTURE.md): lockdown check → policy engine → threshold → decision →
// ledger append (durable, same transaction as the clearance row, token and idempotency record) →
// response. A decision slower than decision_timeout answers `processing` and finishes in the
// background; /clearance-status then delivers it.
import { LedgixError, uuidv7 } from '../core/index.ts'
import { reviewEvent, reviewEventTypeOf } from '../notify/index.ts'
import type { TenantId } from '../core/index.ts'
import type { ClearanceRecord, WriteOp } from '../store/index.ts'
import { toolArgsHash } from '../token/index.ts'
import type { AuthContext, VaultContext } from './context.ts'
import { idempotencyOp, type IdempotencyStamp } from './idempotency.ts'
import { NO_EVIDENCE, decisionEventFor, type EventEvidence } from './ledger-sink.ts'
import { liveEventOf } from './live-event-body.ts'
import { mintFor } from './minting.ts'
import { evaluate } from './policy/index.ts'
import type { Decision } from './policy/index.ts'
import { readReviewSettings } from './tenant-settings.ts'

export interface ClearanceInput {
  toolName: string
  toolArgs: Record<string, unknown>
  agentId: string
  sessionId: string
  context: Record<string, unknown>
}

/** Thrown when a concurrent writer stored the same Idempotency-Key first; the route replays it. */
export class IdempotencyRace extends Error {}

const TIMED_OUT = Symbol('timed out')

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Spec §3.1 defaults for a body that carries only tool_name. */
export function clearanceInputFrom(body: Record<string, unknown>): ClearanceInput {
  return {
    toolName: body.tool_name as string,
    toolArgs: isObject(body.tool_args) ? body.tool_args : {},
    agentId: typeof body.agent_id === 'string' ? body.agent_id : 'default-agent',
    sessionId: typeof body.session_id === 'string' ? body.session_id : '',
    context: isObject(body.context) ? body.context : {},
  }
}

/** Both response shapes (spec §3.1, §12); never null where the client forbids it. */
export function clearanceView(c: ClearanceRecord): Record<string, unknown> {
  const view: Record<string, unknown> = {
    status: c.status,
    approved: c.status === 'approved',
    requires_manual_review: c.status === 'pending_review',
    token: c.token,
    reason: c.reason,
    request_id: c.requestId,
    confidence: c.confidence,
    minimum_confidence_score: c.minimumConfidenceScore,
    confidence_bucket: c.confidenceBucket,
    minimum_confidence_bucket: c.minimumConfidenceBucket,
    policy_version_id: c.policyVersionId,
    policy_content_hash: c.policyContentHash,
    reason_code: c.reasonCode,
  }
  // Omitted while processing (spec §3.1 table); present on every other state.
  if (c.decisionStatus !== null) view.decision_status = c.decisionStatus
  // Only on a person's review decision: who authenticated (the key) and who they say they are (the
  // unverified reviewer_email). The client strips unknown keys (client-schemas.json), so these are safe.
  if (c.decidedByKeyId !== null) {
    view.reviewer = c.reviewer
    view.decided_by_key_id = c.decidedByKeyId
    view.decided_by_role = c.decidedByRole
  }
  return view
}

function hintOf(input: ClearanceInput): string {
  const hint = input.context.policy_id
  return typeof hint === 'string' ? hint : ''
}

function evidenceOf(d: Decision): EventEvidence {
  return {
    citations: d.citations,
    evidenceChunks: [],
    ruleSetHash: d.ruleSetHash,
    evalInputsHash: d.evalInputsHash,
    evalTraceHash: d.evalTraceHash,
    classifierLabel: d.classifierLabel,
    classifierConfidenceBucket: d.classifierConfidenceBucket,
  }
}

/** Applies a decision to the processing-state record. */
function decided(base: ClearanceRecord, d: Decision, reviewExpiryMs: number | null, nowMs: number): ClearanceRecord {
  const review = d.outcome === 'pending_review'
  return {
    ...base,
    status: d.outcome,
    decisionStatus: d.outcome === 'approved' ? 'approved' : d.outcome === 'denied' ? 'denied' : 'approved_pending_review',
    reason: d.reason,
    reasonCode: d.reasonCode,
    confidence: d.confidence,
    confidenceBucket: d.confidenceBucket,
    policyId: d.policyId !== '' ? d.policyId : base.policyId,
    policyVersionId: d.policyVersionId,
    policyContentHash: d.policyContentHash,
    matchedRuleIds: d.matchedRuleIds,
    reviewState: review ? 'pending' : null,
    reviewExpiresAtMs: review && reviewExpiryMs !== null ? nowMs + reviewExpiryMs : null,
    updatedAtMs: nowMs,
  }
}

/**
 * What persistDecision does when the store refuses the mint because the agent is locked down (the
 * `token_insert` guard, read inside the decision's own transaction): `deny` records the decision as
 * denied with reason code agent_locked (the clearance and expiry paths: the request must end, and
 * ledgered); `refuse` throws LedgixError('agent_locked') and writes nothing (a reviewer's approval and
 * /mint-token: the caller is told, and a review stays pending).
 */
export type WhenLocked = 'deny' | 'refuse'

/** The decision a lockdown turns an approval into: denied, no token, the lock's reason in the ledgered reason. */
export function lockedInstead(record: ClearanceRecord, lockReason: string): ClearanceRecord {
  return {
    ...record,
    status: 'denied',
    decisionStatus: 'denied',
    token: null,
    jti: null,
    reason: `Agent "${record.agentId}" is locked down (${lockReason || 'no reason given'}); no token was minted. ${record.reason}`,
    reasonCode: 'agent_locked',
  }
}

/**
 * Persist a decided record: terminal outcomes through the ledger sink (with token and clearance in the
 * same transaction), pending reviews as a plain write. `previous` null = insert, else an exactly-once
 * update from that status. Every token the Vault mints is inserted here, and the store refuses the
 * insert for a locked agent (see WhenLocked): lockdown wins wherever a token would come from.
 */
export async function persistDecision(
  ctx: VaultContext,
  record: ClearanceRecord,
  previous: ClearanceRecord['status'] | null,
  evidence: EventEvidence,
  eventType: string,
  extraOps: readonly WriteOp[],
  nowMs: number,
  whenLocked: WhenLocked = 'deny',
): Promise<ClearanceRecord> {
  let final = record
  const ops: WriteOp[] = []
  if (record.status === 'approved') {
    const minted = mintFor(ctx, record, nowMs)
    final = { ...record, token: minted.token, jti: minted.jti }
    ops.push({ op: 'token_insert', token: minted.record })
  }
  ops.push(previous === null ? { op: 'clearance_insert', clearance: final } : { op: 'clearance_update', clearance: final, expectStatus: previous })
  ops.push(...extraOps)
  // The review event this change raises, if any (most clearances raise none: one comparison). Its
  // notification outbox rows commit in this same write (issue 17); the live stream gets it, with
  // the same id, once the write committed.
  const type = reviewEventTypeOf(final, previous)
  const event = type === null ? null : reviewEvent(type, final, nowMs, ctx.notify?.notifier.publicUrl ?? null)
  if (event !== null && ctx.notify !== null) await ctx.notify.notifier.appendEventOps(ops, event, nowMs)
  const terminal = final.status === 'approved' || final.status === 'denied'
  const result = terminal
    ? await ctx.ledger.append(decisionEventFor(final, eventType, evidence, nowMs), ops)
    : await ctx.store.write(ops)
  if (!result.ok) {
    if (result.refusal?.code === 'agent_locked') {
      const lockReason = result.refusal.lockReason ?? ''
      if (whenLocked === 'refuse') throw new LedgixError('agent_locked', `the agent is locked down (${lockReason || 'no reason given'}); no token was minted`)
      // A denied record carries no token, so this second write cannot be refused for the lock again.
      return persistDecision(ctx, lockedInstead(record, lockReason), previous, evidence, eventType, extraOps, nowMs)
    }
    if (result.opName === 'idempotency_insert') throw new IdempotencyRace('idempotency key stored concurrently')
    throw new LedgixError('review_already_decided', 'this request was decided concurrently')
  }
  if (event !== null && ctx.live.active) ctx.live.publish(liveEventOf(event))
  // Drift sees each clearance once, at its first decision (a review's later outcome is not a new request).
  if (final.kind === 'clearance' && previous !== 'pending_review') ctx.drift.observe(final)
  return final
}

export async function requestClearance(
  ctx: VaultContext,
  auth: AuthContext,
  input: ClearanceInput,
  stamp: IdempotencyStamp | null,
): Promise<ClearanceRecord> {
  const nowMs = ctx.clock.now()
  const settings = await readReviewSettings(ctx.store, auth.tenantId, ctx.config.minimumConfidenceScore)
  const base: ClearanceRecord = {
    tenantId: auth.tenantId,
    requestId: uuidv7(),
    kind: 'clearance',
    status: 'processing',
    decisionStatus: null,
    token: null,
    jti: null,
    reason: 'Decision in progress; poll /clearance-status/{request_id}.',
    reasonCode: null,
    confidence: 0,
    confidenceBucket: 'none',
    minimumConfidenceScore: settings.minimum_confidence_score,
    minimumConfidenceBucket: settings.minimum_confidence_bucket,
    policyId: hintOf(input),
    policyVersionId: null,
    policyContentHash: null,
    toolName: input.toolName,
    toolArgs: input.toolArgs,
    toolArgsHash: toolArgsHash(input.toolArgs),
    agentId: input.agentId,
    sessionId: input.sessionId,
    context: input.context,
    matchedRuleIds: [],
    reviewState: null,
    reviewExpiresAtMs: null,
    reviewer: null,
    reviewReason: null,
    decidedByKeyId: null,
    decidedByRole: null,
    decisionChannel: null,
    parentRequestId: null,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  }
  const idem = (record: ClearanceRecord): WriteOp[] =>
    stamp === null ? [] : [idempotencyOp(stamp, record.requestId, 200, { request_id: record.requestId }, nowMs)]

  const lock = await ctx.store.getAgentLock(auth.tenantId, input.agentId)
  if (lock !== null && lock.locked) {
    const denied: ClearanceRecord = {
      ...base,
      status: 'denied',
      decisionStatus: 'denied',
      reason: `Agent "${input.agentId}" is locked down (${lock.reason || 'no reason given'}); policy was not evaluated.`,
      reasonCode: 'agent_locked',
    }
    return persistDecision(ctx, denied, null, NO_EVIDENCE, 'clearance', idem(denied), nowMs)
  }

  const policies = await ctx.policies.forTenant(auth.tenantId)
  const evaluation = evaluate(
    { toolName: input.toolName, toolArgs: input.toolArgs, agentId: input.agentId, sessionId: input.sessionId, context: input.context, nowMs },
    policies,
    { judge: ctx.judge, minimumConfidence: settings.minimum_confidence_score, defaultEffect: ctx.config.defaultEffect },
  )
  // Without a judge nothing in an evaluation waits on I/O, so no timer could fire before it settles:
  // the race (a timer, a promise and closures per request) is only run when a judge may be called.
  const first = ctx.judge === null ? await evaluation : await withinDecisionTimeout(evaluation, ctx.config.decisionTimeoutMs)
  if (first !== TIMED_OUT) {
    const decidedAt = ctx.clock.now()
    return persistDecision(ctx, decided(base, first, ctx.config.reviewExpiryMs, decidedAt), null, evidenceOf(first), 'clearance', idem(base), decidedAt)
  }
  // Slow decision: record `processing` durably (with the idempotency record), answer now, finish later.
  const result = await ctx.store.write([{ op: 'clearance_insert', clearance: base }, ...idem(base)])
  if (!result.ok) {
    if (result.opName === 'idempotency_insert') throw new IdempotencyRace('idempotency key stored concurrently')
    throw new LedgixError('internal_error', 'request id collision')
  }
  const background = evaluation.then((d) => finishInBackground(ctx, base, d))
  ctx.background.add(background)
  void background.finally(() => ctx.background.delete(background))
  return base
}

async function withinDecisionTimeout(evaluation: Promise<Decision>, timeoutMs: number): Promise<Decision | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, TIMED_OUT)
  })
  try {
    return await Promise.race([evaluation, timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function finishInBackground(ctx: VaultContext, base: ClearanceRecord, d: Decision): Promise<void> {
  const nowMs = ctx.clock.now()
  try {
    await persistDecision(ctx, decided(base, d, ctx.config.reviewExpiryMs, nowMs), 'processing', evidenceOf(d), 'clearance', [], nowMs)
  } catch {
    // The row stays `processing`; recoverInterrupted() fails it closed at the next start.
  }
}

/**
 * At start: evaluations a restart interrupted can not resume, so fail them closed (denied, ledgered)
 * rather than leave the client polling forever.
 */
export async function recoverInterrupted(ctx: VaultContext, tenantFilter: TenantId | null = null): Promise<number> {
  let count = 0
  for (const c of await ctx.store.listProcessing(1000)) {
    if (tenantFilter !== null && c.tenantId !== tenantFilter) continue
    const nowMs = ctx.clock.now()
    const denied: ClearanceRecord = {
      ...c,
      status: 'denied',
      decisionStatus: 'denied',
      reason: 'The Vault restarted before this decision finished; request clearance again.',
      reasonCode: 'evaluation_interrupted',
      updatedAtMs: nowMs,
    }
    try {
      await persistDecision(ctx, denied, 'processing', NO_EVIDENCE, 'clearance', [], nowMs)
      count++
    } catch {
      // Decided concurrently: nothing to recover.
    }
  }
  return count
}
