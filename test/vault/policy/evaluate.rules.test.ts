// Structured-rule evaluation: precedence, defaults, the policy_id hint, fail-closed CEL errors,
// `now`, nested args, JSON numbers, and the explanation and hashes each decision carries.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { bucketFor, canonicalPolicyJson, evaluate } from '../../../src/vault/policy/index.ts'
import { FIXED_NOW_MS, input, mustCompile } from './fixtures.ts'

const payments = mustCompile(
  {
    policy_id: 'payments-prod',
    tools: ['create_stripe_payment', 'stripe_refund'],
    rules: [
      { id: 'allow-small', when: 'tool_args.amount <= 1000', effect: 'allow', reason: 'within the automated limit' },
      { id: 'review-large', when: 'tool_args.amount > 1000', effect: 'review', reason: 'above 1000 needs a human' },
      { id: 'deny-usd-huge', when: 'tool_args.amount > 50000', effect: 'deny', reason: 'far above any limit' },
      {
        id: 'deny-unknown-customer',
        when: 'tool_name == "stripe_refund" && !tool_args.customer_id.startsWith("cus_")',
        effect: 'deny',
        reason: 'unknown customer',
      },
    ],
  },
  'pv_7',
)

test('allow only → approved with confidence 1.0, the rule named, the policy version attached', async () => {
  const d = await evaluate(input(), [payments])
  assert.equal(d.outcome, 'approved')
  assert.equal(d.reason, 'approved by payments-prod/allow-small: within the automated limit')
  assert.deepEqual(d.matchedRuleIds, ['payments-prod/allow-small'])
  assert.equal(d.reasonCode, null)
  assert.equal(d.confidence, 1)
  assert.equal(d.confidenceBucket, 'extra_high')
  assert.equal(d.policyId, 'payments-prod')
  assert.equal(d.policyVersionId, 'pv_7')
  assert.equal(d.policyContentHash, payments.contentHash)
  assert.equal(d.ruleSetHash, payments.contentHash)
  assert.equal(d.judged, false)
  assert.equal(d.classifierLabel, '')
  assert.deepEqual(d.citations, [
    { policy_id: 'payments-prod', rule_id: 'allow-small', kind: 'cel', when: 'tool_args.amount <= 1000', effect: 'allow', reason: 'within the automated limit' },
  ])
})

test('precedence: review beats allow, deny beats review; only deciding rules are listed', async () => {
  const review = await evaluate(input({ toolArgs: { amount: 1500 } }), [payments])
  assert.equal(review.outcome, 'pending_review')
  assert.deepEqual(review.matchedRuleIds, ['payments-prod/review-large'])
  assert.equal(review.reason, 'review required: payments-prod/review-large: above 1000 needs a human')

  const deny = await evaluate(input({ toolName: 'stripe_refund', toolArgs: { amount: 60000, customer_id: 'x' } }), [payments])
  assert.equal(deny.outcome, 'denied')
  assert.deepEqual(deny.matchedRuleIds, ['payments-prod/deny-usd-huge', 'payments-prod/deny-unknown-customer'])
  assert.equal(deny.reason, 'denied by payments-prod/deny-usd-huge: far above any limit; payments-prod/deny-unknown-customer: unknown customer')
})

test('precedence holds across policies and does not depend on their order', async () => {
  const lenient = mustCompile({ policy_id: 'a-lenient', rules: [{ id: 'all', when: 'true', effect: 'allow' }] })
  const strict = mustCompile({ policy_id: 'z-strict', rules: [{ id: 'big', when: 'tool_args.amount > 10', effect: 'deny', reason: 'no' }] })
  const one = await evaluate(input(), [lenient, strict])
  const two = await evaluate(input(), [strict, lenient])
  assert.equal(one.outcome, 'denied')
  assert.equal(one.policyId, 'z-strict')
  assert.deepEqual(one, two)
  assert.match(one.ruleSetHash, /^sha256:[0-9a-f]{64}$/)
  assert.notEqual(one.ruleSetHash, lenient.contentHash)
})

test('no policy for the tool → default deny, "no policy matched"', async () => {
  const d = await evaluate(input({ toolName: 'delete_database' }), [payments])
  assert.equal(d.outcome, 'denied')
  assert.equal(d.reason, 'no policy matched: no policy covers tool delete_database; default deny')
  assert.equal(d.reasonCode, 'no_policy_matched')
  assert.deepEqual(d.matchedRuleIds, [])
  assert.equal(d.policyId, '')
  assert.equal(d.ruleSetHash, '')
  const none = await evaluate(input(), [])
  assert.equal(none.reason, 'no policy matched: no policies are registered; default deny')
})

test('policy applies but no rule matches → default effect, configurable', async () => {
  const narrow = mustCompile({ policy_id: 'narrow', tools: ['t'], rules: [{ id: 'x', when: 'agent_id == "root"', effect: 'allow' }] })
  const d = await evaluate(input({ toolName: 't' }), [narrow])
  assert.equal(d.outcome, 'denied')
  assert.equal(d.reason, 'no policy matched: no rule in narrow matched tool t; default deny')
  assert.equal(d.policyId, 'narrow')
  assert.equal(d.ruleSetHash, narrow.contentHash)
  assert.equal((await evaluate(input({ toolName: 't' }), [narrow], { defaultEffect: 'review' })).outcome, 'pending_review')
  assert.equal((await evaluate(input({ toolName: 't' }), [narrow], { defaultEffect: 'allow' })).outcome, 'approved')
})

test('context.policy_id never narrows (issue 16): every covering policy decides; the hint only names the deciding policy', async () => {
  const allowAll = mustCompile({ policy_id: 'sandbox', rules: [{ id: 'all', when: 'true', effect: 'allow' }] })
  const reviewAll = mustCompile({ policy_id: 'prod', rules: [{ id: 'all', when: 'true', effect: 'review' }] })
  const unhinted = await evaluate(input(), [allowAll, reviewAll])
  const hinted = await evaluate(input({ context: { policy_id: 'sandbox' } }), [allowAll, reviewAll])
  assert.equal(unhinted.outcome, 'pending_review')
  assert.equal(hinted.outcome, 'pending_review', 'the hint to the lenient policy does not lift the other policy\'s review')
  assert.equal(hinted.ruleSetHash, unhinted.ruleSetHash)
  const unknownHint = await evaluate(input({ context: { policy_id: 'nope' } }), [allowAll, reviewAll])
  assert.equal(unknownHint.outcome, 'pending_review')
  assert.notEqual(unknownHint.evalInputsHash, hinted.evalInputsHash)

  // Among equally restrictive deciding policies the hint picks the one the decision names.
  const reviewToo = mustCompile({ policy_id: 'ops', rules: [{ id: 'all', when: 'true', effect: 'review' }] })
  assert.equal((await evaluate(input(), [reviewAll, reviewToo])).policyId, 'ops')
  assert.equal((await evaluate(input({ context: { policy_id: 'prod' } }), [reviewAll, reviewToo])).policyId, 'prod')

  // A hint naming a policy that does not cover the tool changes nothing.
  const hintOtherTool = await evaluate(input({ toolName: 'crm_read', context: { policy_id: 'payments-prod' } }), [payments, allowAll])
  const noHintOtherTool = await evaluate(input({ toolName: 'crm_read' }), [payments, allowAll])
  assert.equal(hintOtherTool.outcome, noHintOtherTool.outcome)
  assert.equal(hintOtherTool.outcome, 'approved')
})

test('CEL runtime error → review naming the rule, never approved even when an allow rule matched', async () => {
  const p = mustCompile({
    policy_id: 'p',
    rules: [
      { id: 'allow-all', when: 'true', effect: 'allow' },
      { id: 'needs-amount', when: 'tool_args.amount > 10', effect: 'allow' },
    ],
  })
  const d = await evaluate(input({ toolArgs: { currency: 'USD' } }), [p])
  assert.equal(d.outcome, 'pending_review')
  assert.equal(d.reasonCode, 'rule_error')
  assert.equal(d.reason, 'review required: p/needs-amount could not be evaluated (No such key: amount), so it counts as review')
  assert.deepEqual(d.matchedRuleIds, ['p/needs-amount'])
  assert.equal(d.confidence, 0)
  assert.equal(d.confidenceBucket, 'none')
  assert.deepEqual(d.citations[0], { policy_id: 'p', rule_id: 'needs-amount', kind: 'cel', when: 'tool_args.amount > 10', effect: 'allow', error: 'No such key: amount' })

  // A matching deny still wins over the error, and a string where a number was expected is an error too.
  const withDeny = mustCompile({ policy_id: 'q', rules: [{ id: 'deny', when: 'tool_name == "create_stripe_payment"', effect: 'deny' }] })
  assert.equal((await evaluate(input({ toolArgs: {} }), [p, withDeny])).outcome, 'denied')
  assert.equal((await evaluate(input({ toolArgs: { amount: '1500' } }), [p])).reasonCode, 'rule_error')
})

test('JSON numbers: amount > 1000 works for 1500 and 1500.5 alike, with int or double literals', async () => {
  const p = mustCompile({
    policy_id: 'n',
    rules: [
      { id: 'int-literal', when: 'tool_args.amount > 1000', effect: 'review' },
      { id: 'double-literal', when: 'tool_args.amount > 1000.0', effect: 'review' },
      { id: 'equal', when: 'tool_args.amount == 1000', effect: 'allow' },
    ],
  })
  for (const amount of [1500, 1500.5, 1000.01]) {
    const d = await evaluate(input({ toolArgs: { amount } }), [p])
    assert.deepEqual(d.matchedRuleIds, ['n/int-literal', 'n/double-literal'], `amount ${amount}`)
  }
  for (const amount of [1000, 1000.0]) assert.deepEqual((await evaluate(input({ toolArgs: { amount } }), [p])).matchedRuleIds, ['n/equal'])
  assert.equal((await evaluate(input({ toolArgs: { amount: 999.5 } }), [p])).reasonCode, 'no_policy_matched')
  // Documented limit: JSON numbers are doubles, so `+ 1` (an int) has no overload; `+ 1.0` works.
  const arith = mustCompile({ policy_id: 'a', rules: [{ id: 'int', when: 'tool_args.amount + 1 > 1000', effect: 'allow' }, { id: 'dbl', when: 'tool_args.amount + 1.0 > 1000.0', effect: 'allow' }] })
  const d = await evaluate(input({ toolArgs: { amount: 1500 } }), [arith])
  assert.equal(d.outcome, 'pending_review')
  assert.match(d.reason, /a\/int could not be evaluated \(no such overload: dyn<double> \+ int\)/)
})

test('nested tool_args, lists, context and optional access', async () => {
  const p = mustCompile({
    policy_id: 'nested',
    rules: [
      { id: 'de', when: 'tool_args.customer.address.country == "DE" && tool_args.items.exists(i, i.qty > 2)', effect: 'review' },
      { id: 'opt', when: 'tool_args.?coupon.orValue("") == "" && context.channel == "web"', effect: 'allow' },
    ],
  })
  const args = { customer: { address: { country: 'DE' } }, items: [{ qty: 1 }, { qty: 3 }] }
  const d = await evaluate(input({ toolArgs: args, context: { channel: 'web' } }), [p])
  assert.equal(d.outcome, 'pending_review')
  assert.deepEqual(d.matchedRuleIds, ['nested/de'])
  const ok = await evaluate(input({ toolArgs: { ...args, items: [] }, context: { channel: 'web' } }), [p])
  assert.deepEqual(ok.matchedRuleIds, ['nested/opt'])
})

test('`now` is the injected evaluation time, as a CEL timestamp', async () => {
  const p = mustCompile({
    policy_id: 'hours',
    rules: [
      { id: 'office', when: 'now.getHours() >= 8 && now.getHours() < 18', effect: 'allow' },
      { id: 'after', when: 'now.getHours() < 8 || now.getHours("Europe/Berlin") < 8', effect: 'review' },
      { id: 'expired', when: 'now > timestamp("2026-03-02T10:00:00Z") + duration("30m")', effect: 'deny' },
    ],
  })
  assert.equal((await evaluate(input({ nowMs: FIXED_NOW_MS }), [p])).outcome, 'approved')
  assert.equal((await evaluate(input({ nowMs: FIXED_NOW_MS + 9 * 3600_000 }), [p])).outcome, 'denied')
  const night = await evaluate(input({ nowMs: Date.parse('2026-03-02T03:00:00Z') }), [p])
  assert.deepEqual(night.matchedRuleIds, ['hours/after'])
})

test('evalInputsHash is the SHA-256 of what the evaluator saw; trace hash changes with results', async () => {
  const d = await evaluate(input(), [payments])
  const seen = {
    tool_name: 'create_stripe_payment',
    tool_args: { amount: 100, currency: 'USD', customer_id: 'cus_123' },
    agent_id: 'payments-agent',
    session_id: 'checkout-42',
    context: {},
    now: '2026-03-02T10:00:00.000Z',
    policy_hint: null,
    default_effect: 'deny',
    minimum_confidence: 0.75,
  }
  assert.equal(d.evalInputsHash, createHash('sha256').update(canonicalPolicyJson(seen)).digest('hex'))
  const again = await evaluate(input(), [payments])
  assert.equal(again.evalTraceHash, d.evalTraceHash)
  const other = await evaluate(input({ toolArgs: { amount: 1500, currency: 'USD', customer_id: 'cus_123' } }), [payments])
  assert.notEqual(other.evalTraceHash, d.evalTraceHash)
  assert.notEqual(other.evalInputsHash, d.evalInputsHash)
  assert.match(d.evalTraceHash, /^[0-9a-f]{64}$/)
})

test('an already-aborted signal → pending_review evaluation_aborted, nothing approved', async () => {
  const d = await evaluate(input(), [payments], { signal: AbortSignal.abort() })
  assert.equal(d.outcome, 'pending_review')
  assert.equal(d.reasonCode, 'evaluation_aborted')
})

test('bucketFor follows the spec midpoints: >=0.9, >=0.75, >=0.5, >0, 0', () => {
  const cases: Array<[number, string]> = [
    [1, 'extra_high'], [0.95, 'extra_high'], [0.9, 'extra_high'], [0.8999, 'high'], [0.85, 'high'], [0.75, 'high'],
    [0.7499, 'medium'], [0.6, 'medium'], [0.5, 'medium'], [0.4999, 'low'], [0.2, 'low'], [0.0001, 'low'], [0, 'none'],
    [-1, 'none'], [Number.NaN, 'none'],
  ]
  for (const [c, bucket] of cases) assert.equal(bucketFor(c), bucket, String(c))
})

test('inputs that are not JSON values → pending_review evaluation_error (resolves, never rejects)', async () => {
  const d = await evaluate(input({ toolArgs: { amount: 10n } }), [payments])
  assert.equal(d.outcome, 'pending_review')
  assert.equal(d.reasonCode, 'evaluation_error')
  assert.match(d.reason, /^policy evaluation failed \(.*bigint.*\); failing closed to review$/)
})
