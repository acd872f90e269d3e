// Whatever the file holds, the loader answers with a Config or a ConfigError — never another throw.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { stringify } from 'yaml'
import { ConfigError, parseConfigText } from '../../src/config/index.ts'
import { problemsOf } from './helpers.ts'

function loadsOrConfigError(text: string): void {
  try {
    parseConfigText(text, 'fuzz.yaml', { A: '1' })
  } catch (err) {
    assert.ok(err instanceof ConfigError, `unexpected ${String(err)} for ${JSON.stringify(text).slice(0, 200)}`)
    for (const p of err.problems) assert.ok(p.message.length > 0 && !p.message.includes('\n'))
  }
}

const KEYS = ['mode', 'gateway', 'listen', 'port', 'routes', 'name', 'match', 'upstream', 'url', 'tools', 'auth', 'vault', '__proto__', 'constructor']

test('arbitrary structured documents: Config or ConfigError (bounded run)', () => {
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, tie('leaf'), tie('map'), tie('list')),
    leaf: fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom('${A}', '${B}', '$${C}', '30s', 'http://x')),
    map: fc.dictionary(fc.constantFrom(...KEYS), tie('node'), { maxKeys: 4 }),
    list: fc.array(tie('node'), { maxLength: 3 }),
  }))
  fc.assert(
    fc.property(value.node, (v) => loadsOrConfigError(stringify(v))),
    { numRuns: 200 },
  )
})

test('arbitrary text: Config or ConfigError (bounded run)', () => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), loadsOrConfigError), { numRuns: 300 })
})

test('__proto__ and constructor keys are unknown keys, not prototype writes', () => {
  const p = problemsOf('__proto__:\n  mode: paired\nconstructor: 1\n')
  assert.deepEqual(p.map((x) => x.message), ['unknown key "__proto__" (allowed: mode, gateway, admin, vault, token, jwks, routes, logging, vault_server)', 'unknown key "constructor" (allowed: mode, gateway, admin, vault, token, jwks, routes, logging, vault_server)'])
  assert.equal(({} as Record<string, unknown>).mode, undefined)
})

test('alias bombs are refused, not expanded', () => {
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
  for (let i = 1; i < 12; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`)
  const p = problemsOf(lines.join('\n'))
  assert.equal(p.length, 1)
  assert.match(p[0]!.message, /^YAML error: /)
})
