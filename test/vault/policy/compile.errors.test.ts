// compilePolicy rejects bad registrations with every problem at once, each naming its path.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compilePolicy } from '../../../src/vault/policy/index.ts'
import type { PolicyProblem } from '../../../src/vault/policy/index.ts'

function errorsOf(raw: unknown): PolicyProblem[] {
  const result = compilePolicy(raw)
  if (result.ok) assert.fail('expected compilation to fail')
  return result.errors
}

function rule(overrides: Record<string, unknown>): Record<string, unknown> {
  return { id: 'r', when: 'true', effect: 'allow', reason: 'ok', ...overrides }
}

function policy(rules: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { policy_id: 'payments-prod', description: 'd', rules, tools: ['create_stripe_payment'], ...extra }
}

test('CEL syntax error → error at rules[2].when with the parser message and position', () => {
  const errors = errorsOf(
    policy(['Payments must be tied to an order.', rule({ id: 'a' }), rule({ id: 'b', when: 'tool_args.amount > ' })]),
  )
  assert.equal(errors.length, 1)
  assert.equal(errors[0]?.path, 'rules[2].when')
  assert.match(errors[0]?.message ?? '', /^CEL syntax error at column 20: Unexpected token: EOF$/)
})

test('multi-line expression → error position names the line', () => {
  const [e] = errorsOf(policy([rule({ when: 'tool_name == "x"\n  && tool_args.amount >' })]))
  assert.equal(e?.path, 'rules[0].when')
  assert.match(e?.message ?? '', /^CEL syntax error at line 2, column 24 of the expression: Unexpected token: EOF$/)
})

test('unknown variable → type error naming the rule', () => {
  const [e] = errorsOf(policy([rule({ when: 'amount > 10' })]))
  assert.equal(e?.path, 'rules[0].when')
  assert.match(e?.message ?? '', /^CEL type error at column 1: Unknown variable: amount$/)
})

test('non-boolean result type → rejected, with a hint for dyn', () => {
  const errors = errorsOf(
    policy([rule({ id: 'a', when: '"yes"' }), rule({ id: 'b', when: 'tool_args.flag' }), rule({ id: 'c', when: '1 + 2' })]),
  )
  assert.deepEqual(
    errors.map((e) => e.path),
    ['rules[0].when', 'rules[1].when', 'rules[2].when'],
  )
  assert.match(errors[0]?.message ?? '', /must evaluate to bool, but its type is string/)
  assert.match(errors[1]?.message ?? '', /type is dyn \(compare explicitly, e\.g\. `tool_args\.flag == true`\)/)
  assert.match(errors[2]?.message ?? '', /type is int/)
})

test('empty and overlong expressions are rejected', () => {
  const errors = errorsOf(policy([rule({ id: 'a', when: '  ' }), rule({ id: 'b', when: 'true || '.repeat(600) + 'true' })]))
  assert.match(errors[0]?.message ?? '', /empty; use "true"/)
  assert.match(errors[1]?.message ?? '', /the limit is 4096/)
})

test('duplicate rule ids, including a structured id that takes a natural-language id', () => {
  const errors = errorsOf(policy([rule({ id: 'same' }), rule({ id: 'same' }), rule({ id: 'nl-3' }), 'Be careful.']))
  assert.deepEqual(errors, [
    { path: 'rules[1].id', message: 'duplicate rule id "same", already used by rules[0]' },
    {
      path: 'rules[3]',
      message: 'duplicate rule id "nl-3", already used by rules[2] (natural-language rules take the ids nl-<index>)',
    },
  ])
})

test('effect outside allow|deny|review → rejected, near misses suggested', () => {
  const errors = errorsOf(policy([rule({ id: 'a', effect: 'alow' }), rule({ id: 'b', effect: 'permit' }), rule({ id: 'c', effect: 1 })]))
  assert.deepEqual(errors, [
    { path: 'rules[0].effect', message: 'expected one of allow, deny, review, got "alow" — did you mean "allow"?' },
    { path: 'rules[1].effect', message: 'expected one of allow, deny, review, got "permit"' },
    { path: 'rules[2].effect', message: 'expected one of allow, deny, review, got number 1' },
  ])
})

test('unknown keys are rejected with a suggestion (a typo must not widen a policy)', () => {
  const errors = errorsOf({ policy_id: 'p', rules: [rule({ efect: 'deny' })], tool: ['x'] })
  assert.deepEqual(
    errors.map((e) => e.path),
    ['tool', 'rules[0].efect'],
  )
  assert.match(errors[0]?.message ?? '', /unknown key "tool" — did you mean "tools"\?/)
  assert.match(errors[1]?.message ?? '', /unknown key "efect" — did you mean "effect"\?/)
})

test('wrong types are all reported in one pass', () => {
  const errors = errorsOf({ policy_id: 'has/slash', description: 7, rules: [42, { when: 5, effect: 'deny' }, ''], tools: ['ok', ''] })
  assert.deepEqual(
    errors.map((e) => e.path),
    ['policy_id', 'description', 'tools[1]', 'rules[0]', 'rules[1].id', 'rules[1].when', 'rules[2]'],
  )
  assert.match(errors[0]?.message ?? '', /expected an id .* got "has\/slash"/)
  assert.match(errors[3]?.message ?? '', /natural-language string or \{id, when, effect, reason\}, got number 42/)
})

test('non-object registration and non-list rules/tools are rejected', () => {
  assert.deepEqual(errorsOf(['x']), [{ path: '', message: 'expected a policy object, got a list' }])
  assert.deepEqual(
    errorsOf({ policy_id: 'p', rules: 'be nice', tools: 'x' }).map((e) => e.path),
    ['tools', 'rules'],
  )
})

test('valid registration: NL rules get nl-<index>, tools become a set, everything is frozen', () => {
  const result = compilePolicy(
    policy(['First rule.', rule({ id: 'cap', when: 'tool_args.amount > 1000', effect: 'review' }), '  Second rule.  ']),
  )
  assert.ok(result.ok)
  const p = result.policy
  assert.deepEqual(
    p.rules.map((r) => r.id),
    ['nl-0', 'cap', 'nl-2'],
  )
  assert.deepEqual(
    p.naturalLanguageRules.map((r) => r.text),
    ['First rule.', 'Second rule.'],
  )
  assert.equal(p.structuredRules.length, 1)
  assert.equal(p.versionId, null)
  assert.ok(p.tools?.has('create_stripe_payment'))
  assert.ok(Object.isFrozen(p) && Object.isFrozen(p.rules) && Object.isFrozen(p.normalized.rules))
  assert.throws(() => {
    ;(p.normalized.rules as unknown[]).push('sneaky')
  })
})

test('wire example from the docs (NL rules only, tools []) compiles and covers every tool', () => {
  const result = compilePolicy({ policy_id: 'payments-prod', description: '', rules: [], tools: [] })
  assert.ok(result.ok)
  assert.equal(result.policy.tools, null)
})
