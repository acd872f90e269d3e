// The content hash covers the normalised registration, independent of key order and tool order.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { canonicalPolicyJson, withVersionId } from '../../../src/vault/policy/index.ts'
import { mustCompile } from './fixtures.ts'

const RULE = { id: 'cap', description: 'Large payments', when: 'tool_args.amount > 1000', effect: 'review', reason: 'over 1000' }

test('content hash is stable across key order, tool order and repeated tools', () => {
  const a = mustCompile({ policy_id: 'p', description: 'd', rules: ['Be careful.', RULE], tools: ['b', 'a'] })
  const b = mustCompile({
    tools: ['a', 'b', 'a'],
    rules: ['Be careful.', { reason: 'over 1000', effect: 'review', when: 'tool_args.amount > 1000', description: 'Large payments', id: 'cap' }],
    description: 'd',
    policy_id: 'p',
  })
  assert.equal(a.contentHash, b.contentHash)
  assert.match(a.contentHash, /^sha256:[0-9a-f]{64}$/)
})

test('content hash is SHA-256 of the canonical JSON of the normalised registration', () => {
  const p = mustCompile({ policy_id: 'p', rules: [{ id: 'x', when: 'true', effect: 'allow' }] })
  const expectedJson =
    '{"description":"","policy_id":"p","rules":[{"description":"","effect":"allow","id":"x","reason":"","when":"true"}],"tools":[]}'
  assert.equal(canonicalPolicyJson(p.normalized), expectedJson)
  assert.equal(p.contentHash, 'sha256:' + createHash('sha256').update(expectedJson).digest('hex'))
})

test('any change of meaning changes the hash: when, effect, rule order, description', () => {
  const base = { policy_id: 'p', description: 'd', rules: ['One.', RULE], tools: ['t'] }
  const hashes = new Set([
    mustCompile(base).contentHash,
    mustCompile({ ...base, rules: ['One.', { ...RULE, when: 'tool_args.amount > 1001' }] }).contentHash,
    mustCompile({ ...base, rules: ['One.', { ...RULE, effect: 'deny' }] }).contentHash,
    mustCompile({ ...base, rules: [RULE, 'One.'] }).contentHash,
    mustCompile({ ...base, description: 'e' }).contentHash,
    mustCompile({ ...base, tools: [] }).contentHash,
  ])
  assert.equal(hashes.size, 6)
})

test('withVersionId returns a new frozen policy; the original keeps versionId null', () => {
  const p = mustCompile({ policy_id: 'p', rules: [RULE] })
  const v = withVersionId(p, 'pv_1')
  assert.equal(v.versionId, 'pv_1')
  assert.equal(p.versionId, null)
  assert.equal(v.contentHash, p.contentHash)
  assert.equal(v.structuredRules[0], p.structuredRules[0])
  assert.ok(Object.isFrozen(v))
})

test('canonical JSON: key order never matters and output parses back to the same value', () => {
  const json = fc.jsonValue({ maxDepth: 3 })
  fc.assert(
    fc.property(json, (value) => {
      const text = canonicalPolicyJson(value)
      assert.doesNotMatch(text, /^\s|\s$/)
      const reparsed: unknown = JSON.parse(text)
      assert.equal(canonicalPolicyJson(reparsed), text)
      assert.equal(canonicalPolicyJson(reverseKeys(value)), text)
    }),
    { numRuns: 200 },
  )
  assert.equal(canonicalPolicyJson({ b: [1.0, -0, 1e21, 'é\n'], a: null }), '{"a":null,"b":[1,0,1e+21,"é\\n"]}')
  assert.throws(() => canonicalPolicyJson({ a: Number.NaN }), /non-finite/)
})

function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys)
  if (value === null || typeof value !== 'object') return value
  // Null prototype: a generated "__proto__" key must stay an own key, as JSON.parse makes it.
  const out = Object.create(null) as Record<string, unknown>
  for (const key of Object.keys(value).reverse()) out[key] = reverseKeys((value as Record<string, unknown>)[key])
  return out
}
