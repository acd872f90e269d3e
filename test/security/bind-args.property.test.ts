// Issue 16 §2 as properties (fast-check, bounded runs): for generated argument objects and generated
// re-encodings of them — whitespace, key order, \u escapes, number spellings (1.0, 1e0, 10E-1),
// duplicated keys, invalid UTF-8 splices, lone surrogates, inexact and big-integer spellings, changed
// values, a non-object top level — the gateway accepts ⇔ the body has one reading equal to the
// approved arguments. Differential: whenever it accepts, first-key-wins and last-key-wins double
// readers, JSON.parse over a lossy decode and a BigInt-exact reader all agree with the approval.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { canonicalJson, matchBoundArgs, readStrictJson, snakeCaseKeys, toolArgsHash } from '../../src/token/index.ts'
import {
  doubleReading,
  exactDecimal,
  exactReading,
  exactReadingOfValue,
  parseTree,
  snakeReading,
  strictText,
} from '../helpers/json-readings.ts'
import type { Node } from '../helpers/json-readings.ts'
import { encodeBody, jsonArgs, oneReadingEquals } from './bind-args.support.ts'

/** Whatever the gateway accepts, every reasonable upstream reads as the approval (after the SDK rewrite when that matched). */
function assertUpstreamsAgree(body: Buffer, approved: unknown): void {
  const want = canonicalJson(approved)
  const wantExact = exactReadingOfValue(approved)
  const tree = parseTree(strictText(body) ?? assert.fail('accepted a body that is not strict UTF-8'))
  const viaSnake = exactReading(tree) !== wantExact
  const reading = viaSnake ? snakeReading(tree)! : tree
  assert.equal(doubleReading(reading, 'first'), want, 'first-key-wins double reader')
  assert.equal(doubleReading(reading, 'last'), want, 'last-key-wins double reader')
  assert.equal(exactReading(reading), wantExact, 'BigInt-exact reader')
  // JSON.parse after a lossy decode (U+FFFD for bad bytes), as a careless upstream reads it.
  const lossy = JSON.parse(body.toString('utf8')) as unknown
  assert.equal(canonicalJson(viaSnake ? snakeCaseKeys(lossy) : lossy), want, 'JSON.parse over a lossy decode')
}

test('accepted ⇔ one reading equal to the approved arguments (generated args × generated re-encodings)', () => {
  let accepted = 0
  let refused = 0
  const kinds = new Map<string, number>()
  fc.assert(
    fc.property(jsonArgs, fc.gen(), (args, g) => {
      const { body, mutation } = encodeBody(args, g)
      kinds.set(mutation, (kinds.get(mutation) ?? 0) + 1)
      const result = matchBoundArgs(body, toolArgsHash(args))
      const expected = oneReadingEquals(body, exactReadingOfValue(args))
      assert.equal(result.ok, expected, `${mutation}: ${body.toString('utf8')} → ${result.ok ? 'accepted' : `${result.code}: ${result.detail}`}`)
      if (result.ok) {
        accepted++
        assertUpstreamsAgree(body, args)
      } else {
        refused++
        if (mutation === 'none') assert.fail(`a faithful re-encoding was refused: ${result.code} ${result.detail}`)
      }
    }),
    // 1,500 runs: the rarest re-encoding (an exact big integer needs a number in the args) then
    // averages ~38 occurrences (sd ~6), so the floor of 10 below is not missed by chance (at 600 it once was).
    { numRuns: 1500 },
  )
  // Not vacuous: both outcomes and every kind of re-encoding occurred.
  assert.ok(accepted > 150 && refused > 150, `accepted ${accepted}, refused ${refused}`)
  for (const kind of ['none', 'duplicate_same', 'duplicate_other', 'utf8_splice', 'inexact_number', 'lone_surrogate', 'changed_value', 'top_level', 'exact_big_integer']) {
    assert.ok((kinds.get(kind) ?? 0) > 10, `mutation ${kind} ran ${kinds.get(kind) ?? 0} times`)
  }
})

test('camelCase agents: the body with the agent\'s own keys is accepted against the SDK-rewritten hash ⇔ no two keys collide', () => {
  const camelKey = fc.constantFrom('customerId', 'customer_id', 'lineItems', 'line_items', 'unitPrice', 'HTTPMethod', '_h_t_t_p_method', 'aB', 'a_b', 'Z', '_z', 'x')
  const leaf = fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.boolean())
  const { obj } = fc.letrec<{ value: unknown; obj: Record<string, unknown> }>((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, leaf, tie('obj'), fc.array(fc.oneof(tie('obj'), fc.array(tie('obj'), { maxLength: 2 })), { maxLength: 2 })),
    obj: fc.dictionary(camelKey, tie('value'), { maxKeys: 4 }),
  }))
  let collisions = 0
  fc.assert(
    fc.property(obj, fc.gen(), (agentArgs, g) => {
      const approved = snakeCaseKeys(agentArgs) // what requestClearance() sends; the Vault hashes this
      const { body, mutation } = encodeBody(agentArgs, g, 'none')
      assert.equal(mutation, 'none')
      const result = matchBoundArgs(body, toolArgsHash(approved))
      const tree = parseTree(strictText(body)!)
      const collides = snakeReading(tree) === null
      if (collides) collisions++
      assert.equal(result.ok, !collides, `${body.toString()} → ${result.ok ? 'accepted' : result.detail}`)
      if (collides) assert.equal(!result.ok && result.code, 'body_key_collision')
      else assertUpstreamsAgree(body, approved)
    }),
    { numRuns: 400 },
  )
  assert.ok(collisions > 20, `only ${collisions} colliding objects generated`)
})

test('numbers: read ⇔ the text is the exact decimal of the shortest form of its double (fast path agrees with the definition)', () => {
  const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 19 })
  const numberText = fc
    .tuple(fc.boolean(), digits, fc.option(digits, { nil: undefined }), fc.option(fc.integer({ min: -340, max: 340 }), { nil: undefined }))
    .map(([negative, int, frac, exp]) => {
      const i = int.replace(/^0+(?=\d)/, '')
      return `${negative ? '-' : ''}${i}${frac === undefined ? '' : '.' + frac}${exp === undefined ? '' : 'e' + exp}`
    })
  let exact = 0
  fc.assert(
    fc.property(numberText, (text) => {
      const value = Number(text)
      const expected = Number.isFinite(value) && exactDecimal(text) === exactDecimal(String(value).replace('e+', 'e'))
      if (expected) exact++
      const result = readStrictJson(Buffer.from(`{"n":${text}}`))
      assert.equal(result.ok, expected, `${text} → ${String(value)}: ${result.ok ? 'read' : result.detail}`)
      if (result.ok) assert.ok(Object.is(result.value['n'], value))
      else assert.equal(result.code, 'body_number_inexact')
    }),
    { numRuns: 3000 },
  )
  assert.ok(exact > 600, `only ${exact} exact numbers generated`)
})

test('arbitrary bytes and mutated JSON never throw; whatever is read equals JSON.parse of the strict text', () => {
  const mutated = fc.tuple(fc.json(), fc.uint8Array({ maxLength: 4 }), fc.nat()).map(([text, junk, at]) => {
    const b = Buffer.from(text)
    const p = b.length === 0 ? 0 : at % b.length
    return Buffer.concat([b.subarray(0, p), junk, b.subarray(p)])
  })
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u)), fc.json().map((t) => Buffer.from(t)), mutated), (body) => {
      const result = readStrictJson(body)
      if (!result.ok) return
      const text = strictText(body)
      assert.notEqual(text, null)
      const tree: Node = parseTree(text!)
      assert.equal(canonicalJson(result.value), doubleReading(tree, 'last'))
      assert.equal(canonicalJson(result.value), canonicalJson(JSON.parse(text!)))
    }),
    { numRuns: 2000 },
  )
})

/** Go's foldRune over the orbits the generator below uses (unicode.SimpleFold, smallest member). */
const GO_FOLD: Record<string, string> = { a: 'A', s: 'S', '\u017f': 'S', k: 'K', '\u212a': 'K', 'é': 'É', 'ß': 'ß', '\u1e9e': 'ß' }
const goFold = (key: string): string => [...key].map((c) => GO_FOLD[c] ?? c).join('')

test('keys alike but for case: accepted ⇒ a Go-style binder (case-folded fields, last key wins) reads the approval; a fold pair is refused as body_duplicate_key', () => {
  const key = fc.string({ unit: fc.constantFrom('a', 'A', 's', 'S', '\u017f', 'k', 'K', '\u212a', 'é', 'É', 'ß', '\u1e9e', '_'), minLength: 1, maxLength: 3 })
  const { obj } = fc.letrec<{ value: unknown; obj: Record<string, unknown> }>((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, fc.integer(), tie('obj'), fc.array(tie('obj'), { maxLength: 2 })),
    obj: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  }))
  /** What the binder stores: per object, folded field → value, the last key winning. */
  const bind = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(bind)
    if (typeof v !== 'object' || v === null) return v
    const fields = new Map<string, unknown>()
    for (const [k, x] of Object.entries(v)) fields.set(goFold(k), bind(x))
    return Object.fromEntries([...fields].sort(([p], [q]) => (p < q ? -1 : 1)))
  }
  let pairs = 0
  fc.assert(
    fc.property(obj, (args) => {
      const body = Buffer.from(JSON.stringify(args))
      const result = matchBoundArgs(body, toolArgsHash(snakeCaseKeys(args)))
      const goPair = JSON.stringify(bind(args)) !== JSON.stringify(bind(JSON.parse(JSON.stringify(args)))) || hasGoPair(args)
      if (goPair) {
        pairs++
        assert.equal(!result.ok && result.code, 'body_duplicate_key', body.toString())
      }
      if (result.ok) assert.ok(!hasGoPair(args), `accepted a body Go binds differently: ${body.toString()}`)
    }),
    { numRuns: 1500 },
  )
  assert.ok(pairs > 100, `only ${pairs} fold pairs generated`)

  function hasGoPair(v: unknown): boolean {
    if (Array.isArray(v)) return v.some(hasGoPair)
    if (typeof v !== 'object' || v === null) return false
    const keys = Object.keys(v).map(goFold)
    return new Set(keys).size !== keys.length || Object.values(v).some(hasGoPair)
  }
})
