import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Ajv } from 'ajv'
import { configJsonSchema } from '../../src/config/index.ts'
import { allSchemas, schemaKeys } from './schema-paths.ts'
import type { JsonSchema } from './schema-paths.ts'

const schema = configJsonSchema as JsonSchema

test('configJsonSchema is a valid draft-07 JSON Schema that strict Ajv compiles', () => {
  const ajv = new Ajv({ strict: true, allErrors: true })
  assert.equal(ajv.validateSchema(schema), true, JSON.stringify(ajv.errors))
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#')
  assert.equal(typeof ajv.compile(schema), 'function')
})

test('configJsonSchema is plain JSON (what `config schema` prints is all there is)', () => {
  assert.deepEqual(JSON.parse(JSON.stringify(schema)), schema)
})

test('every object in the schema is closed (additionalProperties: false)', () => {
  const objects = allSchemas(schema).filter((s) => s.type === 'object')
  assert.ok(objects.length > 10)
  for (const o of objects) assert.equal(o.additionalProperties, false, JSON.stringify(o).slice(0, 120))
})

test('every key outside vault_server has a description for editors', () => {
  const missing = schemaKeys(schema)
    .filter((k) => !k.path.startsWith('vault_server'))
    .filter((k) => typeof k.schema.description !== 'string' || k.schema.description.length < 10)
    .map((k) => k.path)
  assert.deepEqual(missing, [])
})

test('the JSON Schema refuses unknown keys and wrong types, and accepts an empty document', () => {
  const validate = new Ajv({ strict: true }).compile(schema)
  assert.equal(validate({}), true)
  assert.equal(validate({ routes: [{ name: 'a', match: {}, upstream: 'http://x', bind_arg: 'exact' }] }), false)
  assert.equal(validate({ gateway: { listen: { port: 'http' } } }), false)
  assert.equal(validate({ gateway: { drain_timeout: '30 sec' } }), false)
})
