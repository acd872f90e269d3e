// Issue 16, class 6 (CEL regex): policy regexes run in linear time (RE2 via re2js), are compiled once
// at registration (refused there, with their position, when RE2 cannot compile them), and every
// rule's evaluation is bounded (subject length, regex characters per rule, comprehension nesting).
// A regression to a backtracking engine makes the catastrophic-pattern tests hang: the per-test
// timeout (and the runner's per-file timeout, since a blocked loop cannot fire timers) fails them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compilePolicy, evaluate } from '../../src/vault/policy/index.ts'
import { MAX_REGEX_SUBJECT_CHARS } from '../../src/vault/policy/cel-bounds.ts'
import { call, startHarness } from '../vault/helpers.ts'
import { input, mustCompile } from '../vault/policy/fixtures.ts'

/** 2^40 backtracking steps for `^(a+)+$`: hours for a backtracking engine, microseconds for RE2. */
const EVIL_SUBJECT = 'a'.repeat(40) + '!'

function policyWith(when: string, effect = 'allow'): unknown {
  return { policy_id: 'rx', tools: ['t'], rules: [{ id: 'r', when, effect, reason: 'matched' }] }
}

test('catastrophic ^(a+)+$ on 40 a\'s and a "!" evaluates to no match (RE2, linear time)', { timeout: 20_000 }, async () => {
  const policy = mustCompile(policyWith('tool_args.s.matches("^(a+)+$")'))
  const d = await evaluate(input({ toolName: 't', toolArgs: { s: EVIL_SUBJECT } }), [policy], { defaultEffect: 'deny' })
  assert.equal(d.outcome, 'denied', 'no rule matched → default deny')
  assert.equal(d.reasonCode, 'no_policy_matched')
  const yes = await evaluate(input({ toolName: 't', toolArgs: { s: 'a'.repeat(40) } }), [policy], { defaultEffect: 'deny' })
  assert.equal(yes.outcome, 'approved', 'the same pattern still matches what it should')
})

test('RE2 semantics: partial match as CEL specifies, (?i) flags; a non-string subject is a rule error (review)', async () => {
  const partial = mustCompile(policyWith('tool_args.s.matches("b+c") && tool_args.s.matches("(?i)XYZ")'))
  assert.equal((await evaluate(input({ toolName: 't', toolArgs: { s: 'abbcxyz' } }), [partial])).outcome, 'approved')
  const d = await evaluate(input({ toolName: 't', toolArgs: { s: 42 } }), [partial])
  assert.equal(d.outcome, 'pending_review')
  assert.equal(d.reasonCode, 'rule_error')
})

test('registration refuses what RE2 cannot run (backreference, lookahead, lookbehind) with the position', () => {
  for (const [pattern, column] of [['(a)\\\\1', 21], ['foo(?=bar)', 21], ['(?<=x)y', 21]] as const) {
    const when = `tool_args.s.matches("${pattern}")`
    const result = compilePolicy(policyWith(when))
    assert.equal(result.ok, false, pattern)
    const problem = !result.ok ? result.errors[0]! : null
    assert.equal(problem?.path, 'rules[0].when')
    assert.match(problem!.message, new RegExp(`^CEL bound error at column ${column}: regex not accepted by RE2`), problem!.message)
  }
})

test('registration refuses a non-literal pattern (it could not be compiled once) and deep comprehension nesting', () => {
  const dynamic = compilePolicy(policyWith('tool_args.s.matches(tool_args.re)'))
  assert.equal(dynamic.ok, false)
  assert.match(!dynamic.ok ? dynamic.errors[0]!.message : '', /needs a string literal pattern/)
  const nested = compilePolicy(policyWith('tool_args.a.all(x, tool_args.b.all(y, tool_args.c.all(z, x == y && y == z)))'))
  assert.equal(nested.ok, false)
  assert.match(!nested.ok ? nested.errors[0]!.message : '', /nest at most 2 deep/)
  assert.equal(compilePolicy(policyWith('tool_args.a.all(x, tool_args.b.exists(y, x == y))')).ok, true, 'two levels are fine')
})

test('a subject above the cap is a rule error (fail closed to review), not a long scan', async () => {
  const policy = mustCompile(policyWith('tool_args.s.matches("^a+$")'))
  const d = await evaluate(input({ toolName: 't', toolArgs: { s: 'a'.repeat(MAX_REGEX_SUBJECT_CHARS + 1) } }), [policy])
  assert.equal(d.outcome, 'pending_review')
  assert.equal(d.reasonCode, 'rule_error')
  assert.match(d.reason, /limit is 65536/)
})

test('over HTTP: a tenant\'s catastrophic regex does not stall another tenant (served meanwhile)', { timeout: 30_000 }, async (t) => {
  const h = await startHarness(t)
  const evil = { policy_id: 'evil', tools: ['t'], rules: [{ id: 'r', when: 'tool_args.s.matches("^(a+)+$")', effect: 'allow', reason: 'x' }] }
  assert.equal((await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: evil })).status, 200)
  const calm = { policy_id: 'calm', tools: ['u'], rules: [{ id: 'r', when: 'true', effect: 'allow', reason: 'ok' }] }
  assert.equal((await call(h.base, 'POST', '/register-policy', { key: h.keys.bAdmin, body: calm })).status, 200)
  const [a, ...others] = await Promise.all([
    call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 't', tool_args: { s: EVIL_SUBJECT } } }),
    ...Array.from({ length: 5 }, () => call(h.base, 'POST', '/request-clearance', { key: h.keys.bAgent, body: { tool_name: 'u', tool_args: {} } })),
  ])
  assert.equal(a!.status, 200)
  assert.equal(a!.body.status, 'denied', 'no match → default deny')
  for (const b of others) assert.equal(b.body.status, 'approved')
  // A registration RE2 refuses is a 400 naming the rule, never stored.
  const bad = await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: { ...evil, rules: [{ ...evil.rules[0], when: 'tool_args.s.matches("(a)\\\\1")' }] } })
  assert.equal(bad.status, 400)
  assert.match(bad.text, /RE2/)
})
