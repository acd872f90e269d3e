// The checked-in standalone validator (src/config/generated/) is what Ajv would compile from the
// schema today, and behaves as a runtime-compiled Ajv does: same verdicts, defaults and errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { Ajv } from 'ajv'
import type { ErrorObject } from 'ajv'
import { AJV_OPTIONS, GENERATED_VALIDATOR_FILE, generateConfigValidatorSource } from '../../scripts/gen-config-validator.ts'
import { configJsonSchema } from '../../src/config/index.ts'
import { configJsonSchema as typeboxSchema } from '../../src/config/schema.ts'
import { validate as generatedValidate } from '../../src/config/generated/config-validator.ts'

const generated: { (data: unknown): boolean; errors?: ErrorObject[] | null } = generatedValidate

test('src/config/generated/config-validator.ts is up to date with schema.ts (regenerate: npx tsx scripts/gen-config-validator.ts)', () => {
  const fresh = generateConfigValidatorSource()
  const checkedIn = readFileSync(GENERATED_VALIDATOR_FILE, 'utf8')
  assert.ok(checkedIn === fresh, 'stale generated validator: run `npx tsx scripts/gen-config-validator.ts` and commit the result')
})

test('the exported JSON Schema (the generated copy) is the one schema.ts builds', () => {
  assert.deepEqual(configJsonSchema, typeboxSchema)
})

/** Files reachable from `entry` through value imports (type-only imports are erased at run time). */
function runtimeImports(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const visit = (file: string): void => {
    if (files.has(file)) return
    files.add(file)
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/^\s*(import|export)\s+(type\s)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
      if (m[2] !== undefined) continue
      const spec = m[3]!
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec))
      else packages.add(spec)
    }
  }
  visit(resolve(import.meta.dirname, '../../src/config/index.ts'))
  return { files, packages }
}

test('loading a config imports neither Ajv nor TypeBox nor schema.ts at run time (cold start, issue 7)', () => {
  const { files, packages } = runtimeImports(resolve(import.meta.dirname, '../../src/config/index.ts'))
  assert.ok(files.has(GENERATED_VALIDATOR_FILE))
  assert.deepEqual([...files].filter((f) => /\/schema(-vault)?\.ts$/.test(f)), [])
  assert.deepEqual([...packages].filter((p) => p.startsWith('ajv') || p.startsWith('@sinclair/typebox')), [])
})

const SMILE = '\u{1F600}'
const route = (extra: Record<string, unknown>) => ({ name: 'r', match: { path_prefix: '/r' }, upstream: 'http://127.0.0.1:1', ...extra })
const signingKey = (kid: string) => ({ vault_server: { signing_key: { kid, pem: 'x' } } })

const DOCUMENTS: readonly unknown[] = [
  {},
  null,
  [],
  'mode: paired',
  { mode: 'all-in-on' },
  { gateway: { listen: { port: 'http', host: '' }, drain_timeout: '30 sec', workers: 'many', extra: 1 } },
  { gateway: { max_header_size: '16 kib', workers: 0 } },
  { routes: [route({}), route({ bind_arg: 'exact' }), route({ upstream: { url: 'http://x', connections: 0, timeout: '1s' } })] },
  { routes: [route({ auth: 'tokens', tools: [], match: { methods: [], host: 'a:80' } })] },
  { routes: [route({ name: 'x'.repeat(65) }), route({ name: '-bad' }), route({ upstream: 42 })] },
  { vault_server: { listen: { port: 70000 }, default_effect: 'maybe', minimum_confidence_score: 2, rate_limit: { requests_per_second: 0 } } },
  { vault_server: { ledger: { seal_batch_size: 0, seal_interval: 'soon' }, write_queue: { max_batch: 0 }, api_key_env: 'LIVE' } },
  { vault_server: { judge: { url: 'http://j' } } },
  // minLength/maxLength count code points, not UTF-16 units: the generator swaps Ajv's helper for its own.
  signingKey(''),
  signingKey(SMILE.repeat(256)),
  signingKey(SMILE.repeat(257)),
  signingKey('\uD800'.repeat(256)),
  signingKey('\uD800'.repeat(257)),
  signingKey(`${'\uDC00\uD800'.repeat(128)}a`),
  { token: { clock_skew: 5 }, jwks: { url: 7 }, logging: { level: 'verbose' }, admin: { listen: [] } },
]

function runBoth(doc: unknown): { ok: [boolean, boolean]; data: [unknown, unknown]; errors: [unknown, unknown] } {
  const reference = new Ajv({ ...AJV_OPTIONS }).compile(configJsonSchema)
  const a = structuredClone(doc)
  const b = structuredClone(doc)
  const okRef = reference(a)
  const okGen = generated(b)
  const plain = (errors: readonly ErrorObject[] | null | undefined) =>
    (errors ?? []).map((e) => ({ ...e, schema: JSON.stringify(e.schema), parentSchema: JSON.stringify(e.parentSchema) }))
  return { ok: [okRef, okGen], data: [a, b], errors: [plain(reference.errors), plain(generated.errors)] }
}

test('the generated validator agrees with a runtime-compiled Ajv: verdict, defaults filled in, every error field', () => {
  let refused = 0
  for (const doc of DOCUMENTS) {
    const r = runBoth(doc)
    const what = JSON.stringify(doc).slice(0, 100)
    assert.equal(r.ok[1], r.ok[0], what)
    assert.deepEqual(r.data[1], r.data[0], what)
    assert.deepEqual(r.errors[1], r.errors[0], what)
    if (!r.ok[0]) refused++
  }
  // The table exercises refusals, not only valid documents: all but {} and three signing keys.
  assert.equal(refused, DOCUMENTS.length - 4)
})

test('key lengths are counted in code points: 256 emoji pass, 257 do not', () => {
  assert.equal(generated(structuredClone(signingKey(SMILE.repeat(256)))), true)
  assert.equal(generated(structuredClone(signingKey(SMILE.repeat(257)))), false)
  assert.equal(generated.errors?.[0]?.keyword, 'maxLength')
})
