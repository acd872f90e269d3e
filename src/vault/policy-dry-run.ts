// POST /policies/dry-run: evaluate sample arguments against one policy with the real engine and show
// each rule's part. No side effects: nothing stored, nothing ledgered, no token, no drift
// observation, and no LLM judge call (natural-language rules count as the engine counts them without
// a judge: review), so a dry run costs nothing and sends the arguments nowhere.
import { evaluate } from './policy/index.ts'
import type { CompiledPolicy, Effect } from './policy/index.ts'

export interface DryRunInput {
  policy: CompiledPolicy
  toolName: string
  toolArgs: Record<string, unknown>
  agentId: string
  sessionId: string
  context: Record<string, unknown>
  nowMs: number
  minimumConfidence: number
  defaultEffect: Effect
}

export interface FiredRule {
  rule: string
  kind: 'cel' | 'natural_language'
  effect: Effect | null
  /** null for natural-language rules (a dry run asks no judge) and when the policy does not cover the tool. */
  matched: boolean | null
  when?: string
  text?: string
  error?: string
}

export async function dryRunPolicy(input: DryRunInput): Promise<Record<string, unknown>> {
  const trace: Array<Record<string, unknown>> = []
  const p = input.policy
  const decision = await evaluate(
    { toolName: input.toolName, toolArgs: input.toolArgs, agentId: input.agentId, sessionId: input.sessionId, context: input.context, nowMs: input.nowMs },
    [p],
    { judge: null, minimumConfidence: input.minimumConfidence, defaultEffect: input.defaultEffect, trace },
  )
  const applies = p.tools === null || p.tools.has(input.toolName)
  const fired: FiredRule[] = p.rules.map((rule) => {
    const id = `${p.policyId}/${rule.id}`
    if (rule.kind === 'natural_language') return { rule: id, kind: 'natural_language', effect: null, matched: null, text: rule.text }
    const entry = trace.find((e) => e.kind === 'cel' && e.policy_id === p.policyId && e.rule_id === rule.id)
    const out: FiredRule = { rule: id, kind: 'cel', effect: rule.effect, matched: entry === undefined ? (applies ? false : null) : entry.result === 'match', when: rule.when }
    if (entry?.result === 'error' && typeof entry.error === 'string') out.error = entry.error
    return out
  })
  return {
    decision: decision.outcome,
    reason: decision.reason,
    reason_code: decision.reasonCode,
    matched_rule_ids: decision.matchedRuleIds,
    confidence: decision.confidence,
    applies,
    fired,
    policy: { policy_id: p.policyId, version: p.versionId, content_hash: p.contentHash },
  }
}
