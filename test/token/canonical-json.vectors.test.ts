// tool-args-hash.json: every canonical_json and tool_args_hash reproduced byte for byte, the Go
// encoder variants shown to differ, and the SDK's snake_case rewrite demo (quirk included).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { canonicalJson, snakeCaseKey, snakeCaseKeys, toolArgsHash } from '../../src/token/index.ts'
import { loadVector, skipWithoutVectors } from '../helpers/vectors.ts'

interface HashVector {
  name: string
  args_json: string
  canonical_json: string
  canonical_json_utf8_hex: string
  tool_args_hash: string
  go_encoding_json_default_variant?: string
  go_variant_hash?: string
  sdk_wire_note?: string
}
interface HashVectors {
  vectors: HashVector[]
  snake_case_rewrite_demo: { sdk_caller_tool_args: unknown; wire_tool_args: unknown; wire_tool_args_hash: string }
}

const file = skipWithoutVectors ? null : loadVector<HashVectors>('tool-args-hash.json')

test('tool-args-hash.json: canonical JSON and hash byte for byte', { skip: skipWithoutVectors }, async (t) => {
  assert.equal(file!.vectors.length, 11)
  for (const v of file!.vectors) {
    await t.test(v.name, () => {
      const canonical = canonicalJson(JSON.parse(v.args_json))
      assert.equal(canonical, v.canonical_json)
      assert.equal(Buffer.from(canonical, 'utf8').toString('hex'), v.canonical_json_utf8_hex)
      assert.equal(toolArgsHash(JSON.parse(v.args_json)), v.tool_args_hash)
      // Where a Go Vault would encode differently, we must match the SDK, not Go.
      if (v.go_variant_hash !== undefined) assert.notEqual(v.tool_args_hash, v.go_variant_hash)
    })
  }
})

test('tool_args absent hashes as {}', { skip: skipWithoutVectors }, () => {
  const empty = file!.vectors.find((v) => v.name === 'empty_object')!
  assert.equal(toolArgsHash(undefined), empty.tool_args_hash)
  assert.equal(toolArgsHash(null), empty.tool_args_hash)
  assert.equal(toolArgsHash({}), empty.tool_args_hash)
})

test('sdk_wire_note: the snake_cased keys canonicalise as noted', { skip: skipWithoutVectors }, () => {
  const noted = file!.vectors.filter((v) => v.sdk_wire_note !== undefined)
  assert.equal(noted.length, 2)
  for (const v of noted) {
    const expected = /canonicalises to (\{.*\})$/.exec(v.sdk_wire_note!)![1]!
    assert.equal(canonicalJson(snakeCaseKeys(JSON.parse(v.args_json))), expected, v.name)
  }
})

test('snake_case rewrite demo reproduced, nested-array quirk included', { skip: skipWithoutVectors }, () => {
  const demo = file!.snake_case_rewrite_demo
  const wire = snakeCaseKeys(demo.sdk_caller_tool_args)
  assert.deepEqual(wire, demo.wire_tool_args)
  assert.equal(toolArgsHash(wire), demo.wire_tool_args_hash)
  // The input is not mutated.
  assert.ok(Object.hasOwn(demo.sdk_caller_tool_args as object, 'customerId'))
})

test('snakeCaseKey: each ASCII capital becomes _lowercase', () => {
  assert.equal(snakeCaseKey('HTTPMethod'), '_h_t_t_p_method')
  assert.equal(snakeCaseKey('Z'), '_z')
  assert.equal(snakeCaseKey('customerId'), 'customer_id')
  assert.equal(snakeCaseKey('already_snake'), 'already_snake')
  assert.equal(snakeCaseKey('Ünïcode'), 'Ünïcode')
})

test('snakeCaseKeys keeps a "__proto__" key as data, never as a prototype', () => {
  const out = snakeCaseKeys(JSON.parse('{"__proto__":{"polluted":true},"aB":1}')) as Record<string, unknown>
  assert.equal(Object.getPrototypeOf(out), Object.prototype)
  assert.deepEqual(Object.keys(out), ['__proto__', 'a_b'])
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
})

test('canonicalJson refuses values JSON cannot carry', () => {
  assert.throws(() => canonicalJson(Number.NaN), TypeError)
  assert.throws(() => canonicalJson({ a: Infinity }), TypeError)
  assert.throws(() => canonicalJson(10n), TypeError)
  assert.equal(canonicalJson({ a: undefined, b: [undefined] }), '{"b":[null]}')
  assert.equal(canonicalJson(-0), '0')
})
