// Policy evaluation: pick the applicable policies, run every structured rule, consult the judge for
// natural-language rules, combine with deny > review > allow, and explain the result. No I/O here
// beyond the injected judge; every failure fails closed (review or deny, never allow).
import { buildActivation, runWhen } from './cel.ts'
import { MAX_EVALUATION_COST, MAX_RULE_COST } from './cel-cost.ts'
import type { Activation } from './cel.ts'
import { canonicalHash } from './hashing.ts'
import { DEFAULT_MINIMUM_CONFIDENCE, STRUCTURED_CONFIDENCE, bucketFor } from './confidence.ts'
import { NOT_JUDGED, consultJudge } from './judge-call.ts'
import type { JudgeOutcome } from './judge-call.ts'
import { decide, outcomeFor } from './decide.ts'
import type { Finding } from './decide.ts'
import type { CompiledPolicy, Decision, Effect, EvaluateOptions, EvaluationInput, JudgeRule } from './types.ts'

/** Bound on any judge call, for judges that ignore their AbortSignal; the OpenAI judge has its own, shorter one. */
export const DEFAULT_JUDGE_DEADLINE_MS = 30_000
/** Fail closed: a call no policy speaks to is denied unless the operator chooses otherwise. */
export const DEFAULT_EFFECT: Effect = 'deny'

export type TraceEntry = Record<string, unknown>

/**
 * Decide one clearance request. Never rejects: aborts, judge failures and internal errors all
 * resolve to a fail-closed Decision (pending_review), so the caller can race it without handlers.
 */
export async function evaluate(
  input: EvaluationInput,
  policies: readonly CompiledPolicy[],
  options: EvaluateOptions = {},
): Promise<Decision> {
  try {
    return await evaluateOrThrow(input, policies, options)
  } catch (err) {
    const detail = err instanceof Error ? err.message : 'unknown error'
    return failClosed('evaluation_error', `policy evaluation failed (${detail}); failing closed to review`)
  }
}

async function evaluateOrThrow(
  input: EvaluationInput,
  policies: readonly CompiledPolicy[],
  options: EvaluateOptions,
): Promise<Decision> {
  const signal = options.signal
  const defaultEffect = options.defaultEffect ?? DEFAULT_EFFECT
  const minimumConfidence = Number.isFinite(options.minimumConfidence)
    ? (options.minimumConfidence as number)
    : DEFAULT_MINIMUM_CONFIDENCE
  if (isAborted(signal)) return aborted()

  // The agent's context.policy_id hint never narrows what is consulted: it once made a call approved
  // that the tenant's other policy covering the tool denied (issue 16). Every covering policy runs and
  // deny > review > allow combines them, so a hint cannot make a decision more permissive; it only
  // picks which deciding policy the decision names when several decide alike (decide()).
  const hintValue = input.context.policy_id
  const hint = typeof hintValue === 'string' && hintValue !== '' ? hintValue : null
  const applicable = policies
    .filter((p) => p.tools === null || p.tools.has(input.toolName))
    // Sorted so the trace, and so its hash, do not depend on the order the store returned rows in.
    .sort((a, b) => compare(a.policyId, b.policyId) || compare(a.contentHash, b.contentHash))
  const hinted = hint !== null && applicable.some((p) => p.policyId === hint)

  const nowIso = new Date(input.nowMs).toISOString()
  const evalInputs = {
    tool_name: input.toolName,
    tool_args: input.toolArgs,
    agent_id: input.agentId,
    session_id: input.sessionId,
    context: input.context,
    now: nowIso,
    policy_hint: hinted ? hint : null,
    default_effect: defaultEffect,
    minimum_confidence: minimumConfidence,
  }
  const base = {
    ruleSetHash: ruleSetHashOf(applicable),
    evalInputsHash: canonicalHash(evalInputs),
  }

  // The caller's array when given (the dashboard's dry-run shows which rules fired): filled, never read.
  const trace: TraceEntry[] = options.trace ?? []
  const findings: Finding[] = []
  runStructuredRules(applicable, buildActivation(input), trace, findings)

  const nlRules: JudgeRule[] = []
  const nlPolicy = new Map<string, CompiledPolicy>()
  for (const policy of applicable) {
    for (const rule of policy.naturalLanguageRules) {
      const qid = `${policy.policyId}/${rule.id}`
      nlRules.push({ id: qid, text: rule.text })
      nlPolicy.set(qid, policy)
    }
  }
  let judge: JudgeOutcome = NOT_JUDGED
  // A structured deny is final: no judge verdict could lift it, so do not spend a call on it.
  if (nlRules.length > 0 && !findings.some((f) => f.effect === 'deny')) {
    const request = {
      toolName: input.toolName,
      toolArgs: input.toolArgs,
      agentId: input.agentId,
      sessionId: input.sessionId,
      context: input.context,
      now: nowIso,
      rules: nlRules,
    }
    const deadlineMs = options.judgeDeadlineMs ?? DEFAULT_JUDGE_DEADLINE_MS
    judge = await consultJudge(options.judge ?? null, request, nlPolicy, minimumConfidence, signal, deadlineMs)
    trace.push(judge.trace)
    // Re-read the signal: a judge can answer in the same tick the caller gives up.
    if (judge.aborted || isAborted(signal)) {
      return { ...aborted(), ...base, evalTraceHash: canonicalHash(trace), judged: judge.judged }
    }
    if (judge.finding !== null) findings.push(judge.finding)
  }

  const evalTraceHash = canonicalHash(trace)
  const judgeFields = {
    classifierLabel: judge.classifierLabel,
    classifierConfidenceBucket: judge.classifierConfidenceBucket,
    judged: judge.judged,
    evalTraceHash,
    ...base,
  }
  if (findings.length === 0) {
    return noPolicyMatched(input.toolName, applicable, hinted ? hint : null, policies, defaultEffect, judgeFields)
  }
  return { ...decide(findings, nlRules, hinted ? hint : null), ...judgeFields }
}

const BUDGET_SPENT =
  `not evaluated: this call's rules together reached the evaluation cost bound (${MAX_EVALUATION_COST} units); failing closed to review`

/**
 * Run every structured rule of every applicable policy (no short-circuit: the trace explains all),
 * each within its own cost bound and all within MAX_EVALUATION_COST: a tenant's many policies cannot
 * add up to seconds of a shared event loop. A rule past either bound is a rule error (→ review);
 * the order is the sorted one, so the same call always meets the bound at the same rule.
 */
function runStructuredRules(
  applicable: readonly CompiledPolicy[],
  activation: Activation,
  trace: TraceEntry[],
  findings: Finding[],
): void {
  let left = MAX_EVALUATION_COST
  for (const policy of applicable) {
    for (const rule of policy.structuredRules) {
      const result = left > 0 ? runWhen(rule.program, activation, Math.min(MAX_RULE_COST, left)) : { ok: false as const, message: BUDGET_SPENT, costUnits: 0 }
      left -= result.costUnits
      const ruleIds = [`${policy.policyId}/${rule.id}`]
      const entry: TraceEntry = { policy_id: policy.policyId, rule_id: rule.id, kind: 'cel' }
      if (!result.ok) {
        trace.push({ ...entry, result: 'error', error: result.message })
        findings.push({ kind: 'rule_error', effect: 'review', policy, ruleIds, text: result.message, confidence: 0, rule })
        continue
      }
      trace.push({ ...entry, result: result.matched ? 'match' : 'no_match' })
      if (!result.matched) continue
      const text = rule.reason || rule.description
      findings.push({ kind: 'rule', effect: rule.effect, policy, ruleIds, text, confidence: STRUCTURED_CONFIDENCE, rule })
    }
  }
}

type DecisionHashes = Pick<
  Decision,
  'classifierLabel' | 'classifierConfidenceBucket' | 'judged' | 'evalTraceHash' | 'ruleSetHash' | 'evalInputsHash'
>

function noPolicyMatched(
  toolName: string,
  applicable: readonly CompiledPolicy[],
  hint: string | null,
  policies: readonly CompiledPolicy[],
  defaultEffect: Effect,
  fields: DecisionHashes,
): Decision {
  let why: string
  if (applicable.length > 0) {
    why = `no rule in ${applicable.map((p) => p.policyId).join(', ')} matched tool ${toolName}`
  } else {
    why = policies.length === 0 ? 'no policies are registered' : `no policy covers tool ${toolName}`
  }
  // `hint` is non-null only when it names one of `applicable`: the decision names that policy.
  const only = applicable.length === 1 ? (applicable[0] as CompiledPolicy) : (applicable.find((p) => p.policyId === hint) ?? null)
  return {
    outcome: outcomeFor(defaultEffect),
    reason: `no policy matched: ${why}; default ${defaultEffect}`,
    reasonCode: 'no_policy_matched',
    matchedRuleIds: [],
    // The default is a deterministic configuration choice, not a guess.
    confidence: STRUCTURED_CONFIDENCE,
    confidenceBucket: bucketFor(STRUCTURED_CONFIDENCE),
    policyId: only?.policyId ?? '',
    policyVersionId: only?.versionId ?? null,
    policyContentHash: only?.contentHash ?? null,
    citations: [],
    ...fields,
  }
}

function ruleSetHashOf(applicable: readonly CompiledPolicy[]): string {
  if (applicable.length === 0) return ''
  if (applicable.length === 1) return (applicable[0] as CompiledPolicy).contentHash
  return 'sha256:' + canonicalHash(applicable.map((p) => p.contentHash).sort())
}

function aborted(): Decision {
  return failClosed('evaluation_aborted', 'evaluation was cancelled before a decision; failing closed to review')
}

function failClosed(reasonCode: string, reason: string): Decision {
  return {
    outcome: 'pending_review',
    reason,
    reasonCode,
    matchedRuleIds: [],
    confidence: 0,
    confidenceBucket: 'none',
    policyId: '',
    policyVersionId: null,
    policyContentHash: null,
    ruleSetHash: '',
    evalInputsHash: '',
    evalTraceHash: '',
    classifierLabel: '',
    classifierConfidenceBucket: '',
    citations: [],
    judged: false,
  }
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal !== undefined && signal.aborted
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
