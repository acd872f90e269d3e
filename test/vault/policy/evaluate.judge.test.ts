// Natural-language rules through the OpenAI-compatible judge, against a loopback stand-in server:
// verdicts, thresholds, and every failure (garbage, HTTP 500, timeout, abort) failing closed to review.
import { test } from 'node:test'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import assert from 'node:assert/strict'
import { createOpenAiJudge, evaluate } from '../../../src/vault/policy/index.ts'
import type { Judge } from '../../../src/vault/policy/index.ts'
import { completion, startFakeOpenAi, verdictReply } from './fake-openai.ts'
import { input, mustCompile } from './fixtures.ts'

const API_KEY = 'sk-test-judge-secret'

const nlPolicy = mustCompile(
  {
    policy_id: 'payments-prod',
    tools: ['create_stripe_payment'],
    rules: ['Payments must be tied to a valid order event.', 'Payment methods must use tokenized identifiers.'],
  },
  'pv_3',
)

test('no judge configured → NL-covered request goes to review, naming the rules', async () => {
  const d = await evaluate(input(), [nlPolicy])
  assert.equal(d.outcome, 'pending_review')
  assert.equal(d.reasonCode, 'no_judge')
  assert.deepEqual(d.matchedRuleIds, ['payments-prod/nl-0', 'payments-prod/nl-1'])
  assert.equal(d.judged, false)
  assert.equal(d.confidenceBucket, 'none')
  assert.equal(d.policyVersionId, 'pv_3')
  assert.match(d.reason, /need an LLM judge and none is configured/)
})

test('judge allow with high confidence → approved; prompt carries the rules and the full arguments', async (t) => {
  const fake = await startFakeOpenAi(t)
  fake.reply = () => verdictReply({ verdict: 'allow', confidence: 0.92, cited_rules: ['payments-prod/nl-0', 'bogus/id'], reason: 'order event present' })
  const judge = createOpenAiJudge({ url: fake.url + '/', model: 'judge-model', apiKey: API_KEY, timeoutMs: 2000 })
  const args = { amount: 249.99, order_event_id: 'ord_evt_2048', note: 'x'.repeat(5000) }
  const d = await evaluate(input({ toolArgs: args }), [nlPolicy], { judge, minimumConfidence: 0.75 })

  assert.equal(d.outcome, 'approved')
  assert.equal(d.confidence, 0.92)
  assert.equal(d.confidenceBucket, 'extra_high')
  assert.equal(d.classifierLabel, 'allow')
  assert.equal(d.classifierConfidenceBucket, 'extra_high')
  assert.deepEqual(d.matchedRuleIds, ['payments-prod/nl-0'])
  assert.deepEqual(d.citations, [{ policy_id: 'payments-prod', rule_id: 'nl-0', kind: 'natural_language', text: 'Payments must be tied to a valid order event.' }])
  assert.equal(d.judged, true)
  assert.equal(d.reason, 'approved by judge openai:judge-model said allow (order event present) citing payments-prod/nl-0')

  assert.equal(fake.requests.length, 1)
  const sent = fake.requests[0]
  assert.ok(sent !== undefined)
  assert.equal(sent.method, 'POST')
  assert.equal(sent.url, '/v1/chat/completions')
  assert.equal(sent.headers.authorization, `Bearer ${API_KEY}`)
  assert.equal(sent.body.model, 'judge-model')
  assert.deepEqual(sent.body.response_format, { type: 'json_object' })
  assert.equal(sent.body.temperature, 0)
  const messages = sent.body.messages as Array<{ role: string; content: string }>
  assert.equal(messages[0]?.role, 'system')
  assert.match(messages[0]?.content ?? '', /- payments-prod\/nl-0: Payments must be tied to a valid order event\./)
  assert.match(messages[0]?.content ?? '', /- payments-prod\/nl-1: Payment methods must use tokenized identifiers\./)
  const call = JSON.parse(messages[1]?.content ?? '') as Record<string, unknown>
  assert.deepEqual(call.tool_args, args, 'arguments are sent in full, never truncated')
  assert.equal(call.tool_name, 'create_stripe_payment')
  assert.equal(call.now, '2026-03-02T10:00:00.000Z')
})

test('judge deny → denied', async (t) => {
  const fake = await startFakeOpenAi(t)
  fake.reply = () => verdictReply({ verdict: 'deny', confidence: 0.97, cited_rules: ['payments-prod/nl-1'], reason: 'raw card number' })
  const d = await evaluate(input(), [nlPolicy], { judge: createOpenAiJudge({ url: fake.url, model: 'm' }) })
  assert.equal(d.outcome, 'denied')
  assert.deepEqual(d.matchedRuleIds, ['payments-prod/nl-1'])
  assert.equal(d.classifierLabel, 'deny')
  assert.equal(fake.requests[0]?.headers.authorization, undefined)
})

test('judge confidence below the minimum → pending_review low_confidence, never approved', async (t) => {
  const fake = await startFakeOpenAi(t)
  fake.reply = () => verdictReply({ verdict: 'allow', confidence: 0.6, cited_rules: [], reason: 'probably fine' })
  const d = await evaluate(input(), [nlPolicy], { judge: createOpenAiJudge({ url: fake.url, model: 'm' }), minimumConfidence: 0.75 })
  assert.equal(d.outcome, 'pending_review')
  assert.equal(d.reasonCode, 'low_confidence')
  assert.equal(d.confidence, 0.6)
  assert.equal(d.confidenceBucket, 'medium')
  assert.equal(d.classifierLabel, 'allow')
  assert.deepEqual(d.matchedRuleIds, ['payments-prod/nl-0', 'payments-prod/nl-1'])
  assert.match(d.reason, /said allow \(probably fine\) with confidence 0\.6, below the minimum 0\.75/)
})

test('garbage judge output → pending_review saying why', async (t) => {
  const fake = await startFakeOpenAi(t)
  const bodies = [
    completion('I think this is fine!'),
    completion(JSON.stringify({ verdict: 'approve', confidence: 0.99 })),
    completion(JSON.stringify({ verdict: 'allow', confidence: 7 })),
    '<html>oops</html>',
    JSON.stringify({ choices: [] }),
  ]
  let i = 0
  fake.reply = () => ({ status: 200, body: bodies[i++] ?? '' })
  const judge = createOpenAiJudge({ url: fake.url, model: 'm' })
  const reasons: string[] = []
  for (let n = 0; n < bodies.length; n++) {
    const d = await evaluate(input(), [nlPolicy], { judge })
    assert.equal(d.outcome, 'pending_review')
    assert.equal(d.reasonCode, 'judge_unavailable')
    assert.equal(d.classifierLabel, '')
    assert.equal(d.judged, true)
    reasons.push(d.reason)
  }
  assert.match(reasons[0] ?? '', /judge output unparseable: message content is not JSON/)
  assert.match(reasons[1] ?? '', /verdict is not one of allow, deny, review/)
  assert.match(reasons[2] ?? '', /confidence is not a number from 0 to 1/)
  assert.match(reasons[3] ?? '', /response body is not JSON/)
  assert.match(reasons[4] ?? '', /no choices\[0\]\.message\.content/)
})

test('fenced JSON content is accepted', async (t) => {
  const fake = await startFakeOpenAi(t)
  fake.reply = () => ({ status: 200, body: completion('```json\n{"verdict":"allow","confidence":0.95,"cited_rules":[],"reason":"ok"}\n```') })
  const d = await evaluate(input(), [nlPolicy], { judge: createOpenAiJudge({ url: fake.url, model: 'm' }) })
  assert.equal(d.outcome, 'approved')
})

test('HTTP 500 from the judge → pending_review; the API key never appears in the reason', async (t) => {
  const fake = await startFakeOpenAi(t)
  fake.reply = () => ({ status: 500, body: JSON.stringify({ error: `bad key ${API_KEY}` }) })
  const d = await evaluate(input(), [nlPolicy], { judge: createOpenAiJudge({ url: fake.url, model: 'm', apiKey: API_KEY }) })
  assert.equal(d.outcome, 'pending_review')
  assert.match(d.reason, /judge openai:m unavailable: judge returned HTTP 500/)
  assert.doesNotMatch(JSON.stringify(d), new RegExp(API_KEY))
})

test('judge that never answers → pending_review within the judge timeout; the socket is closed', async (t) => {
  const fake = await startFakeOpenAi(t)
  fake.reply = () => 'hang'
  const started = performance.now()
  const d = await evaluate(input(), [nlPolicy], { judge: createOpenAiJudge({ url: fake.url, model: 'm', timeoutMs: 150 }) })
  const elapsed = performance.now() - started
  assert.equal(d.outcome, 'pending_review')
  assert.match(d.reason, /judge timed out after 150 ms/)
  // Upper bound generous for a loaded CI box; without the timeout this call would never return.
  assert.ok(elapsed >= 140 && elapsed < 3000, `took ${elapsed} ms`)
  await waitFor(() => fake.closedWhileHanging === 1)
})

test('caller abort cancels the in-flight judge call at once', async (t) => {
  const fake = await startFakeOpenAi(t)
  fake.reply = () => 'hang'
  const controller = new AbortController()
  const judge = createOpenAiJudge({ url: fake.url, model: 'm', timeoutMs: 10_000 })
  const pending = evaluate(input(), [nlPolicy], { judge, signal: controller.signal })
  await waitFor(() => fake.requests.length === 1)
  const abortedAt = performance.now()
  controller.abort()
  const d = await pending
  // Far below the judge's own 10 s timeout: the abort, not the timeout, ended the call.
  assert.ok(performance.now() - abortedAt < 2000)
  assert.equal(d.outcome, 'pending_review')
  assert.equal(d.reasonCode, 'evaluation_aborted')
  assert.equal(d.judged, true)
  await waitFor(() => fake.closedWhileHanging === 1)
})

test('a judge that ignores its signal is cut off by the evaluation deadline', async () => {
  let calls = 0
  const stuck: Judge = {
    name: 'stuck',
    judge: () => {
      calls++
      return new Promise(() => undefined)
    },
  }
  const d = await evaluate(input(), [nlPolicy], { judge: stuck, judgeDeadlineMs: 100 })
  assert.equal(calls, 1)
  assert.equal(d.outcome, 'pending_review')
  assert.match(d.reason, /judge stuck unavailable: no answer within 100 ms/)
  const throwing: Judge = { name: 'boom', judge: () => Promise.reject(new Error('kaput')) }
  assert.match((await evaluate(input(), [nlPolicy], { judge: throwing })).reason, /judge threw \(kaput\)/)
})

test('structured deny decides without asking the judge', async (t) => {
  const fake = await startFakeOpenAi(t)
  fake.reply = () => verdictReply({ verdict: 'allow', confidence: 1, cited_rules: [], reason: '' })
  const mixed = mustCompile({ policy_id: 'mixed', rules: ['Be reasonable.', { id: 'cap', when: 'tool_args.amount > 10', effect: 'deny', reason: 'over cap' }] })
  const d = await evaluate(input(), [mixed], { judge: createOpenAiJudge({ url: fake.url, model: 'm' }) })
  assert.equal(d.outcome, 'denied')
  assert.equal(d.judged, false)
  assert.equal(fake.requests.length, 0)
})

test('structured and judge combine by precedence: review + judge allow → review; allow + judge deny → denied', async (t) => {
  const fake = await startFakeOpenAi(t)
  let verdict = 'allow'
  fake.reply = () => verdictReply({ verdict, confidence: 0.99, cited_rules: ['mixed/nl-0'], reason: 'r' })
  const judge = createOpenAiJudge({ url: fake.url, model: 'm' })
  const reviewRule = mustCompile({ policy_id: 'mixed', rules: ['Be reasonable.', { id: 'big', when: 'tool_args.amount > 10', effect: 'review', reason: 'big' }] })
  const review = await evaluate(input(), [reviewRule], { judge })
  assert.equal(review.outcome, 'pending_review')
  assert.deepEqual(review.matchedRuleIds, ['mixed/big'])
  assert.equal(review.confidence, 1)
  assert.equal(review.classifierLabel, 'allow')

  verdict = 'deny'
  const allowRule = mustCompile({ policy_id: 'mixed', rules: ['Be reasonable.', { id: 'ok', when: 'true', effect: 'allow' }] })
  const denied = await evaluate(input(), [allowRule], { judge })
  assert.equal(denied.outcome, 'denied')
  assert.deepEqual(denied.matchedRuleIds, ['mixed/nl-0'])
  assert.equal(fake.requests.length, 2)
})

test('network failure → pending_review "judge unreachable"', async () => {
  // A port that was just free: bind one on 127.0.0.1:0, then release it before the judge connects.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const closedUrl = `http://127.0.0.1:${port}/v1`
  const d = await evaluate(input(), [nlPolicy], { judge: createOpenAiJudge({ url: closedUrl, model: 'm', timeoutMs: 2000 }) })
  assert.equal(d.outcome, 'pending_review')
  assert.match(d.reason, /judge unreachable \(ECONNREFUSED\)/)
})

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (condition()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  assert.fail('condition not reached within 3 s')
}
