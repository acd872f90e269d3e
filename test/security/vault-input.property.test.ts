// Issue 16 §5, as properties over generated hostile JSON (non-finite numbers, lone surrogates, long
// keys, deep nesting, poisoning keys): (1) whatever json-body.ts accepts can be canonicalised,
// hashed, snake_cased and CBOR-encoded, and its canonical text survives UTF-8; (2) against a real
// Vault, a review-bound clearance with such args is never answered 5xx: it is refused (400, nothing
// stored) or stored and then decidable (the reviewer's deny is ledgered), and the ledger verifies.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Float64Json, encodeCbor } from '../../src/ledger/index.ts'
import { canonicalJson, snakeCaseKeys, toolArgsHash } from '../../src/token/index.ts'
import { MAX_JSON_DEPTH, MAX_JSON_KEY_LENGTH, jsonValueProblem } from '../../src/vault/json-body.ts'
import { call, registerPayments, startHarness } from '../vault/helpers.ts'
import { sendRaw, snapshot } from './vault-input-helpers.ts'

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c))
/** Mostly ordinary text, sometimes with a lone surrogate spliced in. */
const text = fc
  .array(fc.oneof({ weight: 5, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) }, { weight: 1, arbitrary: loneSurrogate }), { maxLength: 3 })
  .map((parts) => parts.join(''))
const key = fc.oneof(
  { weight: 8, arbitrary: text },
  { weight: 1, arbitrary: fc.constantFrom('k'.repeat(MAX_JSON_KEY_LENGTH), 'k'.repeat(MAX_JSON_KEY_LENGTH + 1), '__proto__', 'constructor') },
)
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(Infinity, -Infinity, 1.7976931348623157e308, -0))

const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    number,
    text,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
}))

/** A value wrapped in `levels` single-key objects or arrays: reaches past MAX_JSON_DEPTH sometimes. */
const hostile = fc.tuple(value, fc.integer({ min: 0, max: MAX_JSON_DEPTH + 8 }), fc.boolean()).map(([v, levels, arrays]) => {
  let out: unknown = v
  for (let i = 0; i < levels; i++) out = arrays ? [out] : { n: out }
  return out
})

/**
 * Raw JSON text of a generated value, writing what JSON.stringify cannot: ±Infinity as ±1e309 (what
 * a client's overflowing literal becomes) and lone surrogates as \uXXXX escapes (stringify does that).
 */
function rawJson(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : v > 0 ? '1e309' : '-1e309'
  if (Array.isArray(v)) return `[${v.map(rawJson).join(',')}]`
  if (typeof v === 'object' && v !== null) {
    return `{${Object.keys(v).map((k) => `${JSON.stringify(k)}:${rawJson((v as Record<string, unknown>)[k])}`).join(',')}}`
  }
  return JSON.stringify(v)
}

test('whatever passes the body check can be canonicalised, hashed, snake_cased and CBOR-encoded', () => {
  fc.assert(
    fc.property(hostile, (v) => {
      const parsed = JSON.parse(rawJson({ tool_args: { v } })) as { tool_args: unknown }
      if (jsonValueProblem(parsed, 'body') !== null) return
      const args = parsed.tool_args
      const canonical = canonicalJson(args)
      assert.equal(Buffer.from(canonical, 'utf8').toString('utf8'), canonical, 'the canonical text survives UTF-8')
      assert.match(toolArgsHash(args), /^sha256:[0-9a-f]{64}$/)
      assert.ok(encodeCbor(new Float64Json(args)).length > 0)
      canonicalJson(snakeCaseKeys(args))
    }),
    { numRuns: 400 },
  )
})

test('whatever fails the body check is something canonical JSON, CBOR or the limits refuse', () => {
  fc.assert(
    fc.property(hostile, (v) => {
      const parsed = JSON.parse(rawJson({ tool_args: { v } })) as { tool_args: unknown }
      const problem = jsonValueProblem(parsed, 'body')
      if (problem === null) return
      // U+0000 is the store's limit: PostgreSQL text cannot hold it, so no Vault field may.
      assert.match(problem, /^body\.tool_args\.v\b.*: (number out of range|nested deeper than 64 levels|string holds a lone|key holds a lone|key longer than 1024|(string|key) holds U\+0000)/)
    }),
    { numRuns: 400 },
  )
})

test('a real Vault: hostile review-bound args are refused (400, nothing stored) or stored and decidable; never 5xx', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  let accepted = 0
  let refused = 0
  await fc.assert(
    fc.asyncProperty(hostile, fc.boolean(), async (v, inContext) => {
      const before = await snapshot(h)
      // amount 5000 → review: the case where an unledgerable record used to be stored and stuck.
      const body = inContext
        ? `{"tool_name":"create_stripe_payment","tool_args":{"amount":5000},"context":{"v":${rawJson(v)}}}`
        : `{"tool_name":"create_stripe_payment","tool_args":{"amount":5000,"v":${rawJson(v)}}}`
      const a = await sendRaw(h, 'POST', '/request-clearance', { 'x-vault-api-key': h.keys.agent }, body)
      assert.ok(a.status < 500, `never 5xx: ${a.status} ${a.text.slice(0, 200)}`)
      if (a.status !== 200) {
        assert.equal(a.status, 400, a.text.slice(0, 200))
        assert.match(a.contentType, /^application\/problem\+json/)
        assert.deepEqual(await snapshot(h), before, 'a refused request stores nothing')
        refused++
        return
      }
      accepted++
      assert.equal(a.body!.status, 'pending_review')
      const id = String(a.body!.request_id)
      const decided = await call(h.base, 'POST', `/reviews/${id}/decision`, { key: h.keys.reviewer, body: { approved: false, review_reason: 'property' } })
      assert.equal(decided.status, 200, `an accepted review is decidable: ${decided.text.slice(0, 200)}`)
      const after = await snapshot(h)
      assert.equal(after.clearances, before.clearances + 1)
      assert.equal(after.ledger, before.ledger + 1, 'the decision is ledgered')
    }),
    { numRuns: 60 },
  )
  assert.ok(accepted > 0 && refused > 0, `both outcomes were exercised (accepted ${accepted}, refused ${refused})`)
  const verify = await call(h.base, 'GET', '/ledger/verify', { key: h.keys.agent })
  assert.equal(verify.status, 200)
  assert.equal(verify.body.intact, true, verify.text.slice(0, 300))
})
