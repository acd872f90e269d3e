// docs/configuration.md cannot rot: its reference tables and the schema must list the same keys,
// and every default the doc shows must be the schema's.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { configJsonSchema } from '../../src/config/index.ts'
import { schemaKeys } from './schema-paths.ts'
import type { JsonSchema } from './schema-paths.ts'

const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'configuration.md'), 'utf8')
const keys = schemaKeys(configJsonSchema as JsonSchema)

/** Reference rows: `| \`key\` | type | default | meaning |` → key → cells. */
const rows = new Map<string, string[]>()
const reference = doc.slice(doc.indexOf('\n## Reference'))
assert.ok(reference.length > 100, 'docs/configuration.md lost its "## Reference" section')
for (const line of reference.split('\n')) {
  const m = /^\| `([a-z_][a-z0-9_.[\]]*)` \|/.exec(line)
  if (m === null) continue
  const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim())
  assert.ok(!rows.has(m[1]!), `docs list ${m[1]} twice`)
  rows.set(m[1]!, cells)
}

test('every schema key has a row in docs/configuration.md', () => {
  const missing = keys.map((k) => k.path).filter((p) => !rows.has(p))
  assert.deepEqual(missing, [], `add rows for these keys to docs/configuration.md`)
})

test('every row in docs/configuration.md names a schema key', () => {
  const known = new Set(keys.map((k) => k.path))
  const stale = [...rows.keys()].filter((k) => !known.has(k))
  assert.deepEqual(stale, [], 'remove or rename these rows')
})

test('every default in the schema is the one the docs show', () => {
  for (const { path, schema } of keys) {
    const cell = rows.get(path)?.[2]
    if (cell === undefined) continue
    // Upstream pool settings carry their default in the description (no defaults inside a union).
    const described = /\(default ("[^"]*"|\d+)\)/.exec(String(schema.description ?? ''))?.[1]
    const expected = schema.default !== undefined ? JSON.stringify(schema.default) : described
    if (expected === undefined) assert.equal(cell, '–', `${path} has no default, the doc shows ${cell}`)
    else assert.equal(cell, `\`${expected}\``, path)
  }
})
