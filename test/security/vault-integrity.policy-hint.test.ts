// Issue 16, class 5: the agent's `context.policy_id` hint may never make a decision more permissive than
// the same request without it. Property over generated policy sets (tools, rules of each effect,
// overlapping coverage) and hints (covering, non-covering, unknown), plus the reported case over HTTP.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { evaluate } from '../../src/vault/policy/index.ts'
import type { CompiledPolicy, Decision } from '../../src/vault/policy/index.ts'
import { call, startHarness } from '../vault/helpers.ts'
import { input, mustCompile } from '../vault/policy/fixtures.ts'

const RANK: Record<Decision['outcome'], number> = { approved: 0, pending_review: 1, denied: 2 }
const TOOLS = ['t1', 't2', 't3'] as const
const IDS = ['alpha', 'beta', 'gamma', 'delta'] as const

const ruleArb = fc.record({
  effect: fc.constantFrom('allow', 'deny', 'review'),
  // Rules read tool_args and tool_name only: a rule reading context.policy_id could legitimately differ.
  when: fc.oneof(
    fc.constant('true'),
    fc.constant('false'),
    fc.integer({ min: 0, max: 10 }).map((n) => `tool_args.x > ${n}.0`),
    fc.constantFrom(...TOOLS).map((t) => `tool_name == "${t}"`),
  ),
})

const policyArb = fc.record({
  policy_id: fc.constantFrom(...IDS),
  tools: fc.option(fc.subarray([...TOOLS], { minLength: 1 }), { nil: undefined }),
  rules: fc.array(ruleArb, { minLength: 0, maxLength: 4 }),
})

function compileSet(raw: ReadonlyArray<{ policy_id: string; tools: string[] | undefined; rules: Array<{ effect: string; when: string }> }>): CompiledPolicy[] {
  // One latest version per policy id, as the registry serves them.
  const byId = new Map<string, CompiledPolicy>()
  for (const p of raw) {
    const rules = p.rules.map((r, i) => ({ id: `r${i}`, when: r.when, effect: r.effect }))
    byId.set(p.policy_id, mustCompile({ policy_id: p.policy_id, ...(p.tools === undefined ? {} : { tools: p.tools }), rules }))
  }
  return [...byId.values()]
}

test('property: decision(with hint) is never more permissive than decision(without hint)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(policyArb, { minLength: 0, maxLength: 5 }),
      fc.constantFrom(...TOOLS),
      fc.integer({ min: 0, max: 12 }),
      fc.constantFrom(...IDS, 'unknown-policy', ''),
      fc.constantFrom('deny', 'review', 'allow') as fc.Arbitrary<'deny' | 'review' | 'allow'>,
      async (raw, tool, x, hint, defaultEffect) => {
        const policies = compileSet(raw)
        const base = { toolName: tool, toolArgs: { x } }
        const without = await evaluate(input({ ...base, context: {} }), policies, { defaultEffect })
        const withHint = await evaluate(input({ ...base, context: { policy_id: hint } }), policies, { defaultEffect })
        assert.ok(
          RANK[withHint.outcome] >= RANK[without.outcome],
          `hint ${hint} turned ${without.outcome} into ${withHint.outcome}`,
        )
      },
    ),
    { numRuns: 400, seed: 16 },
  )
})

test('over HTTP: a hint naming a lenient policy does not lift the deny of the tenant\'s other policy covering the tool', async (t) => {
  const h = await startHarness(t)
  const lenient = { policy_id: 'sandbox', tools: ['wire_transfer'], rules: [{ id: 'all', when: 'true', effect: 'allow', reason: 'sandbox' }] }
  const strict = { policy_id: 'treasury', tools: ['wire_transfer'], rules: [{ id: 'big', when: 'double(tool_args.amount) > 100.0', effect: 'deny', reason: 'too big' }] }
  for (const p of [lenient, strict]) assert.equal((await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: p })).status, 200)
  const body = { tool_name: 'wire_transfer', tool_args: { amount: 5000 }, agent_id: 'a1' }
  const plain = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body })
  const hinted = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { ...body, context: { policy_id: 'sandbox' } } })
  assert.equal(plain.body.status, 'denied')
  assert.equal(hinted.body.status, 'denied', hinted.text)
  assert.equal(hinted.body.token, null)
})
