// Shared helpers for the policy engine tests: compile-or-fail and a baseline evaluation input.
import assert from 'node:assert/strict'
import { compilePolicy } from '../../../src/vault/policy/index.ts'
import type { CompiledPolicy, EvaluationInput } from '../../../src/vault/policy/index.ts'

/** 2026-03-02T10:00:00Z, a Monday: fixed so `now` rules are deterministic. */
export const FIXED_NOW_MS = Date.parse('2026-03-02T10:00:00Z')

export function mustCompile(raw: unknown, versionId?: string): CompiledPolicy {
  const result = compilePolicy(raw, versionId === undefined ? {} : { versionId })
  if (!result.ok) assert.fail(`expected policy to compile: ${JSON.stringify(result.errors)}`)
  return result.policy
}

export function input(overrides: Partial<EvaluationInput> = {}): EvaluationInput {
  return {
    toolName: 'create_stripe_payment',
    toolArgs: { amount: 100, currency: 'USD', customer_id: 'cus_123' },
    agentId: 'payments-agent',
    sessionId: 'checkout-42',
    context: {},
    nowMs: FIXED_NOW_MS,
    ...overrides,
  }
}
