// Issue 16, class 6 (bounded rule evaluation): nesting limits and linear-time regexes still left a
// rule's work the product of its input sizes. `tool_args.items.all(x, tool_args.items.all(y, x == y))`
// on a 10,000-element list held the Vault's event loop 30 s; a string concatenated in a loop, a list
// doubled with cel.bind, or a tenant's many rules did the same. Evaluation is now metered
// (cel-cost.ts): past a rule's or a clearance's cost bound the rule is an error (→ review, fail
// closed), the same way for the same inputs. Regexes are bounded in program size at registration
// (re2js spent 0.7 s on one subject with `\pL{1000}` and 0.7 s compiling one 490-character pattern).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compilePolicy, evaluate } from '../../src/vault/policy/index.ts'
import { MAX_REGEX_PROGRAM_SIZE, MAX_REGEX_PROGRAM_SIZE_PER_POLICY } from '../../src/vault/policy/cel-bounds.ts'
import { MAX_EVALUATION_COST } from '../../src/vault/policy/cel-cost.ts'
import { call, startHarness } from '../vault/helpers.ts'
import { input, mustCompile } from '../vault/policy/fixtures.ts'

function policyWith(when: string, effect = 'allow'): unknown {
  return { policy_id: 'cost', tools: ['t'], rules: [{ id: 'r', when, effect, reason: 'matched' }] }
}

async function decide(when: string, toolArgs: Record<string, unknown>) {
  return evaluate(input({ toolName: 't', toolArgs }), [mustCompile(policyWith(when))], { defaultEffect: 'deny' })
}

const zeros = (n: number): number[] => Array.from({ length: n }, () => 0)

test('nested loops over a 3,000-element list: a rule error (review) at the cost bound, not 9 million steps', { timeout: 60_000 }, async () => {
  const d = await decide('tool_args.items.all(x, tool_args.items.all(y, x == y))', { items: zeros(3000) })
  assert.equal(d.outcome, 'pending_review')
  assert.equal(d.reasonCode, 'rule_error')
  assert.match(d.reason, /evaluation cost above \d+ units/)
  // The same rule on a small list is evaluated as written.
  assert.equal((await decide('tool_args.items.all(x, tool_args.items.all(y, x == y))', { items: zeros(50) })).outcome, 'approved')
})

test('a long string walked in a loop, and a list doubled by cel.bind, stop at the bound', { timeout: 60_000 }, async () => {
  const s = 'a'.repeat(200_000)
  const walked = await decide('tool_args.items.all(x, size(tool_args.s + x) > 0)', { s, items: Array.from({ length: 2000 }, () => 'b') })
  assert.equal(walked.outcome, 'pending_review')
  assert.match(walked.reason, /evaluation cost above/)
  let when = 'size(l12) > 0'
  for (let i = 12; i >= 1; i--) when = `cel.bind(l${i}, ${i === 1 ? 'tool_args.items + tool_args.items' : `l${i - 1} + l${i - 1}`}, ${when})`
  const doubled = await decide(when, { items: zeros(1000) })
  assert.equal(doubled.outcome, 'pending_review', 'a 4-million-element list is never built')
  assert.match(doubled.reason, /evaluation cost above/)
})

test('a clearance\'s rules share one budget: past it the remaining rules are not run (review), deterministically', { timeout: 60_000 }, async () => {
  // Each rule costs ~24k units on 3,000 items (under one rule's bound); 40 of them cross the clearance's.
  const rules = Array.from({ length: 40 }, (_, i) => ({ id: `r${String(i).padStart(2, '0')}`, when: 'tool_args.items.all(x, x == 0)', effect: 'allow', reason: 'ok' }))
  const policy = mustCompile({ policy_id: 'many', tools: ['t'], rules })
  const big = await evaluate(input({ toolName: 't', toolArgs: { items: zeros(3000) } }), [policy])
  assert.equal(big.outcome, 'pending_review')
  assert.equal(big.reasonCode, 'rule_error')
  assert.match(big.reason, new RegExp(`evaluation cost bound \\(${MAX_EVALUATION_COST} units\\)`))
  const again = await evaluate(input({ toolName: 't', toolArgs: { items: zeros(3000) } }), [policy])
  assert.deepEqual(again.matchedRuleIds, big.matchedRuleIds, 'the same call meets the bound at the same rule')
  assert.equal(again.evalTraceHash, big.evalTraceHash)
  const small = await evaluate(input({ toolName: 't', toolArgs: { items: zeros(10) } }), [policy])
  assert.equal(small.outcome, 'approved')
})

test('realistic rules stay far inside the bound: a 1,000-item loop, a 1 MiB memo, a 60k-character regex subject', async () => {
  const items = Array.from({ length: 1000 }, (_, i) => ({ sku: `sku_${i}`, amount: 5, currency: 'usd' }))
  assert.equal((await decide('tool_args.items.all(i, i.amount < 100.0 && i.currency == "usd")', { items })).outcome, 'approved')
  assert.equal((await decide('tool_args.memo.contains("refund") || size(tool_args.memo) > 10', { memo: 'x'.repeat(1024 * 1024) })).outcome, 'approved')
  assert.equal((await decide('tool_args.email.matches("^[a-z0-9._%+-]+@[a-z0-9.-]+$")', { email: 'a'.repeat(60_000) + '@example.com' })).outcome, 'approved')
  assert.equal((await decide('size("a\\U0001F600b") == 3', {})).outcome, 'approved', 'size() still counts code points')
})

test('registration bounds regex programs: one pattern, and all of a policy\'s together', { timeout: 60_000 }, () => {
  for (const pattern of ['\\\\pL{1000}', '.{1000}'.repeat(70), '[a-z]{600}[0-9]{600}']) {
    const result = compilePolicy(policyWith(`tool_args.s.matches("${pattern}")`))
    assert.equal(result.ok, false, pattern.slice(0, 20))
    assert.match(!result.ok ? result.errors[0]!.message : '', new RegExp(`more than ${MAX_REGEX_PROGRAM_SIZE} RE2 instructions`))
  }
  // Each ~900 instructions is accepted alone; twelve distinct ones in one policy are not.
  const rules = Array.from({ length: 12 }, (_, i) => ({ id: `r${i}`, when: `tool_args.s.matches("${String.fromCharCode(97 + i)}{900}")`, effect: 'allow', reason: 'x' }))
  assert.equal(compilePolicy({ policy_id: 'one', tools: ['t'], rules: rules.slice(0, 1) }).ok, true)
  const all = compilePolicy({ policy_id: 'all', tools: ['t'], rules })
  assert.equal(all.ok, false)
  assert.match(!all.ok ? all.errors[0]!.message : '', new RegExp(`more than ${MAX_REGEX_PROGRAM_SIZE_PER_POLICY} RE2 instructions together`))
  // Ordinary patterns are untouched.
  assert.equal(compilePolicy(policyWith('tool_args.s.matches("^acct_[0-9]{8,12}$") && tool_args.s.matches("(?i)refund|chargeback")')).ok, true)
})

test('over HTTP: a tenant\'s quadratic rule on a 5,000-item call is answered (review) and another tenant is served', { timeout: 60_000 }, async (t) => {
  const h = await startHarness(t)
  const heavy = { policy_id: 'heavy', tools: ['t'], rules: [{ id: 'r', when: 'tool_args.items.all(x, tool_args.items.all(y, x == y))', effect: 'allow', reason: 'x' }] }
  assert.equal((await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: heavy })).status, 200)
  const calm = { policy_id: 'calm', tools: ['u'], rules: [{ id: 'r', when: 'true', effect: 'allow', reason: 'ok' }] }
  assert.equal((await call(h.base, 'POST', '/register-policy', { key: h.keys.bAdmin, body: calm })).status, 200)
  const [a, ...others] = await Promise.all([
    call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 't', tool_args: { items: zeros(5000) } } }),
    ...Array.from({ length: 5 }, () => call(h.base, 'POST', '/request-clearance', { key: h.keys.bAgent, body: { tool_name: 'u', tool_args: {} } })),
  ])
  assert.equal(a!.status, 200)
  assert.equal(a!.body.status, 'pending_review', 'the rule errs at the cost bound: a human decides')
  for (const b of others) assert.equal(b.body.status, 'approved')
})
