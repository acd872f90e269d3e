import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { bytesToHex, compareCborKeys, encodeCbor, Float64Json } from '../../src/ledger/index.ts'
import type { CborValue } from '../../src/ledger/index.ts'
import { loadVector, skipWithoutVectors } from '../helpers/vectors.ts'

interface CborVector {
  kind: string
  value_json: string
  cbor_hex: string
  sdk_key_order?: string[]
}

test('all 59 cbor.json vectors encode byte for byte', { skip: skipWithoutVectors }, () => {
  const { vectors } = loadVector<{ vectors: CborVector[] }>('cbor.json')
  assert.equal(vectors.length, 59)
  for (const v of vectors) {
    const value = v.value_json === '-0 (JS -0)' ? -0 : (JSON.parse(v.value_json) as CborValue)
    // Rule 2 vectors ran through normalizeJSONNumbersForCbor: every number is binary64.
    const forced = v.kind.startsWith('json_number_inside') || v.kind.startsWith('normalized_json_object')
    const input = forced ? new Float64Json(value) : value
    assert.equal(bytesToHex(encodeCbor(input)), v.cbor_hex, `${v.kind}: ${v.value_json}`)
    if (v.sdk_key_order !== undefined) {
      assert.deepEqual(Object.keys(value as object).sort(compareCborKeys), v.sdk_key_order)
    }
  }
})

test('NaN, ±Infinity and non-JSON values are errors, also inside Float64Json', () => {
  for (const bad of [Number.NaN, Infinity, -Infinity]) {
    assert.throws(() => encodeCbor(bad), RangeError)
    assert.throws(() => encodeCbor(new Float64Json({ a: [bad] })), RangeError)
  }
  assert.throws(() => encodeCbor({ a: undefined } as unknown as CborValue), TypeError)
  assert.throws(() => encodeCbor(new Float64Json({ when: new Date(0) })), TypeError)
  assert.throws(() => encodeCbor(new Float64Json(10n)), TypeError)
})

test('nesting beyond MAX_CBOR_DEPTH is a RangeError, not a stack overflow', () => {
  let deep: unknown = []
  for (let i = 0; i < 5000; i++) deep = [deep]
  assert.throws(() => encodeCbor(new Float64Json(deep)), /nesting deeper than/)
})

test('lone surrogates are refused (the SDK would hash them as U+FFFD, making two texts collide)', () => {
  assert.throws(() => encodeCbor('a\uD800'), /lone UTF-16 surrogate/)
  assert.throws(() => encodeCbor({ '\uDC00': 1 }), /lone UTF-16 surrogate/)
  assert.throws(() => encodeCbor(new Float64Json(['\uD83D', 'x'])), /lone UTF-16 surrogate/)
  assert.equal(bytesToHex(encodeCbor('\uD83D\uDCB8')), '64f09f92b8')
})

test('é sorts before ab (JS length, then UTF-16 order), unlike RFC 7049 canonical order', () => {
  assert.equal(bytesToHex(encodeCbor({ ab: 1, é: 2 })), 'a262c3a90262616201')
})

const jsonValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.string({ unit: 'grapheme' }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 6 }), tie('value'), { maxKeys: 4 }),
  ),
})).value

test('encoding ignores key insertion order and numbers inside Float64Json are always fb', () => {
  fc.assert(
    fc.property(jsonValue, (value) => {
      const reversed = JSON.parse(JSON.stringify(value, (_k, v: unknown) =>
        v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v)) as unknown
      // JSON round trip turns -0 into 0; compare both sides after the same trip.
      const once = JSON.parse(JSON.stringify(value)) as unknown
      assert.deepEqual(encodeCbor(new Float64Json(once)), encodeCbor(new Float64Json(reversed)))
      const bytes = encodeCbor(new Float64Json(42))
      assert.equal(bytesToHex(bytes), 'fb4045000000000000')
    }),
    { numRuns: 100 },
  )
})
