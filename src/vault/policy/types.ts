// Types of the policy engine: registrations as compiled, evaluation inputs and options, decisions,
// and the judge seam natural-language rules go through.
import type { ParseResult } from '@marcbachmann/cel-js'

export type Effect = 'allow' | 'deny' | 'review'
export type DecisionOutcome = 'approved' | 'denied' | 'pending_review'
export type ConfidenceBucket = 'extra_high' | 'high' | 'medium' | 'low' | 'none'

/** One validation problem: `path` like `rules[2].when`, `message` says what is wrong and what to do. */
export interface PolicyProblem {
  path: string
  message: string
}

/** A structured rule as normalised (the form that is hashed and stored), snake_case like the wire. */
export interface NormalizedStructuredRule {
  id: string
  description: string
  when: string
  effect: Effect
  reason: string
}

/**
 * The normalised registration: what `contentHash` covers. Natural-language rules stay strings in
 * their original position; `tools` is sorted and de-duplicated, `[]` meaning every tool.
 */
export interface NormalizedRegistration {
  policy_id: string
  description: string
  rules: Array<string | NormalizedStructuredRule>
  tools: string[]
}

export interface StructuredRule {
  readonly kind: 'structured'
  readonly id: string
  readonly description: string
  readonly when: string
  readonly effect: Effect
  readonly reason: string
  /** The `when` expression, parsed and type-checked once at registration. */
  readonly program: ParseResult
}

export interface NaturalLanguageRule {
  readonly kind: 'natural_language'
  /** `nl-<index>`, the index being the rule's position in `rules`. */
  readonly id: string
  readonly text: string
}

export type CompiledRule = StructuredRule | NaturalLanguageRule

export interface CompiledPolicy {
  readonly policyId: string
  readonly description: string
  /** null when the policy covers every tool (absent or empty `tools`). */
  readonly tools: ReadonlySet<string> | null
  readonly rules: readonly CompiledRule[]
  readonly structuredRules: readonly StructuredRule[]
  readonly naturalLanguageRules: readonly NaturalLanguageRule[]
  /** 'sha256:' + hex SHA-256 of the canonical JSON of `normalized`. */
  readonly contentHash: string
  /** Assigned by the store (withVersionId); null until then. */
  readonly versionId: string | null
  readonly normalized: Readonly<NormalizedRegistration>
}

export type CompileResult = { ok: true; policy: CompiledPolicy } | { ok: false; errors: PolicyProblem[] }

/** What the evaluator sees of one clearance request. Values must be JSON values (as parsed from the body). */
export interface EvaluationInput {
  toolName: string
  toolArgs: Record<string, unknown>
  agentId: string
  sessionId: string
  context: Record<string, unknown>
  /** Evaluation time in ms since the epoch (from the injected Clock); CEL sees it as `now`. */
  nowMs: number
}

export interface EvaluateOptions {
  /** Cancels evaluation (and an in-flight judge call); the decision is then pending_review. */
  signal?: AbortSignal
  /** Judge for natural-language rules; without one, requests they cover go to review. */
  judge?: Judge | null
  /** Judge verdicts below this confidence go to review. Default DEFAULT_MINIMUM_CONFIDENCE. */
  minimumConfidence?: number
  /** Effect when no policy or no rule applies. Default 'deny'. */
  defaultEffect?: Effect
  /** Outer bound on a judge call, for judges that ignore their signal. Default DEFAULT_JUDGE_DEADLINE_MS. */
  judgeDeadlineMs?: number
  /**
   * An empty array that receives the ordered rule evaluations (the entries evalTraceHash covers:
   * `{policy_id, rule_id, kind: 'cel', result: 'match' | 'no_match' | 'error', error?}` and the judge's).
   */
  trace?: Array<Record<string, unknown>>
}

export interface Decision {
  outcome: DecisionOutcome
  reason: string
  /** Machine-readable cause for non-rule outcomes (no_policy_matched, rule_error, judge_unavailable,
   *  low_confidence, no_judge, evaluation_aborted); null when rules or the judge decided plainly. */
  reasonCode: string | null
  /** Deciding rules, qualified as `<policy_id>/<rule_id>`. */
  matchedRuleIds: string[]
  confidence: number
  confidenceBucket: ConfidenceBucket
  /** Policy of the first deciding rule, or of the only applicable policy; '' when none applied. */
  policyId: string
  policyVersionId: string | null
  policyContentHash: string | null
  /** contentHash of the one applicable policy; 'sha256:' over the sorted hashes of several; '' for none. */
  ruleSetHash: string
  /** Hex SHA-256 of the canonical JSON of the inputs the evaluator saw. */
  evalInputsHash: string
  /** Hex SHA-256 of the canonical JSON of the ordered rule evaluations (the trace). */
  evalTraceHash: string
  /** Judge verdict ('allow' | 'deny' | 'review') when a judge answered, else ''. */
  classifierLabel: string
  /** bucketFor(judge confidence) when a judge answered, else ''. */
  classifierConfidenceBucket: string
  citations: Array<Record<string, unknown>>
  /** True when a judge was consulted for this decision (whether or not it answered usefully). */
  judged: boolean
}

/** A natural-language rule as shown to the judge; `id` is qualified (`payments-prod/nl-1`). */
export interface JudgeRule {
  id: string
  text: string
}

export interface JudgeRequest {
  toolName: string
  toolArgs: Record<string, unknown>
  agentId: string
  sessionId: string
  context: Record<string, unknown>
  /** RFC 3339 evaluation time. */
  now: string
  rules: JudgeRule[]
}

export interface JudgeVerdict {
  verdict: Effect
  /** 0..1 */
  confidence: number
  /** Qualified ids of the rules the judge relied on (unknown ids are dropped by the evaluator). */
  citedRules: string[]
  reason: string
}

/** Expected failures are values: `reason` says why (timeout, HTTP status, unparseable output). */
export type JudgeResult = { ok: true; verdict: JudgeVerdict } | { ok: false; reason: string }

export interface Judge {
  /** Short name for reasons and traces, e.g. `openai:gpt-4o-mini`. */
  readonly name: string
  judge(request: JudgeRequest, signal: AbortSignal): Promise<JudgeResult>
}
