// Combining findings into one explained decision: deny > review > allow, and the reason, reason code,
// deciding rule ids, confidence and citations that go with it.
import { STRUCTURED_CONFIDENCE, bucketFor } from './confidence.ts'
import type { CompiledPolicy, Decision, Effect, JudgeRule, StructuredRule } from './types.ts'

/** Why a finding exists; every kind but `rule` and `judge` doubles as the decision's reasonCode. */
export type FindingKind = 'rule' | 'rule_error' | 'no_judge' | 'judge_unavailable' | 'low_confidence' | 'judge'

/** One contribution to the decision: a matching rule, a failed rule, or the judge's (non-)answer. */
export interface Finding {
  kind: FindingKind
  effect: Effect
  /** Policy the finding belongs to (for judge findings: the policy of the first rule involved). */
  policy: CompiledPolicy
  /** Qualified `<policy_id>/<rule_id>` ids the finding is about. */
  ruleIds: string[]
  /** Rule reason, CEL error summary or judge explanation. */
  text: string
  confidence: number
  rule: StructuredRule | null
}

const PRECEDENCE: Readonly<Record<Effect, number>> = { allow: 0, review: 1, deny: 2 }
const PREFIX: Readonly<Record<Effect, string>> = { deny: 'denied by ', review: 'review required: ', allow: 'approved by ' }

type Decided = Omit<
  Decision,
  'ruleSetHash' | 'evalInputsHash' | 'evalTraceHash' | 'classifierLabel' | 'classifierConfidenceBucket' | 'judged'
>

/**
 * `findings` must be non-empty; `nlRules` supplies the text of cited natural-language rules. The effect
 * comes from every finding; `preferPolicyId` (the agent's hint) only chooses which of the deciding
 * findings names the policy, so it can never change the outcome.
 */
export function decide(findings: readonly Finding[], nlRules: readonly JudgeRule[], preferPolicyId: string | null = null): Decided {
  let effect: Effect = 'allow'
  for (const f of findings) if (PRECEDENCE[f.effect] > PRECEDENCE[effect]) effect = f.effect
  const deciding = findings.filter((f) => f.effect === effect)
  const first = (preferPolicyId === null ? undefined : deciding.find((f) => f.policy.policyId === preferPolicyId)) ?? (deciding[0] as Finding)

  const matchedRuleIds: string[] = []
  for (const f of deciding) for (const id of f.ruleIds) if (!matchedRuleIds.includes(id)) matchedRuleIds.push(id)

  const codeFinding = deciding.find((f) => f.kind !== 'rule' && f.kind !== 'judge')
  const confidence = confidenceOf(deciding)
  return {
    outcome: outcomeFor(effect),
    reason: PREFIX[effect] + deciding.map(phrase).join('; '),
    reasonCode: codeFinding === undefined ? null : codeFinding.kind,
    matchedRuleIds,
    confidence,
    confidenceBucket: bucketFor(confidence),
    policyId: first.policy.policyId,
    policyVersionId: first.policy.versionId,
    policyContentHash: first.policy.contentHash,
    citations: citationsFor(deciding, nlRules),
  }
}

export function outcomeFor(effect: Effect): Decision['outcome'] {
  return effect === 'allow' ? 'approved' : effect === 'deny' ? 'denied' : 'pending_review'
}

/** A matching structured rule is certain; otherwise the judge's own confidence; failures know nothing. */
function confidenceOf(deciding: readonly Finding[]): number {
  if (deciding.some((f) => f.kind === 'rule')) return STRUCTURED_CONFIDENCE
  const judged = deciding.find((f) => f.kind === 'judge' || f.kind === 'low_confidence')
  return judged === undefined ? 0 : judged.confidence
}

function phrase(f: Finding): string {
  const ids = f.ruleIds.join(', ')
  switch (f.kind) {
    case 'rule':
      return `${ids}: ${f.text === '' ? 'rule matched' : f.text}`
    case 'rule_error':
      return `${ids} could not be evaluated (${f.text}), so it counts as review`
    case 'no_judge':
      return `natural-language rules ${ids} need an LLM judge and none is configured`
    case 'judge_unavailable':
    case 'low_confidence':
      return `${f.text} (rules ${ids})`
    case 'judge':
      return `${f.text} citing ${ids}`
    default: {
      const never: never = f.kind
      return never
    }
  }
}

function citationsFor(deciding: readonly Finding[], nlRules: readonly JudgeRule[]): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = []
  for (const f of deciding) {
    const rule = f.rule
    if (rule !== null) {
      const citation: Record<string, unknown> = {
        policy_id: f.policy.policyId,
        rule_id: rule.id,
        kind: 'cel',
        when: rule.when,
        effect: rule.effect,
      }
      if (f.kind === 'rule_error') citation.error = f.text
      else citation.reason = rule.reason || rule.description
      out.push(citation)
      continue
    }
    for (const id of f.ruleIds) {
      const slash = id.indexOf('/')
      const text = nlRules.find((r) => r.id === id)?.text ?? ''
      out.push({ policy_id: id.slice(0, slash), rule_id: id.slice(slash + 1), kind: 'natural_language', text })
    }
  }
  return out
}
