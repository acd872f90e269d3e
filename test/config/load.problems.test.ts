import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, formatProblems, loadConfig, parseConfigText } from '../../src/config/index.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { problemAt, problemsOf } from './helpers.ts'

test('unknown keys get a did-you-mean at every depth, on the line of the key', () => {
  const p = problemsOf(`mod: paired
gateway:
  listen:
    prot: 1
  trusted_proxy: []
vault_server:
  data_dri: ./d
routes:
  - name: a
    match:
      pathPrefix: /a
    upstream:
      url: http://127.0.0.1:1
      conect_timeout: 1s
    tools: [t]
    bind_arg: exact
`)
  const expect: Array<[string, number, string]> = [
    ['', 1, 'unknown key "mod" — did you mean "mode"?'],
    ['gateway.listen', 4, 'unknown key "prot" — did you mean "port"?'],
    ['gateway', 5, 'unknown key "trusted_proxy" — did you mean "trusted_proxies"?'],
    ['vault_server', 7, 'unknown key "data_dri" — did you mean "data_dir"?'],
    ['routes[0].match', 11, 'unknown key "pathPrefix" — did you mean "path_prefix"?'],
    ['routes[0].upstream', 14, 'unknown key "conect_timeout" — did you mean "connect_timeout"?'],
    ['routes[0]', 16, 'unknown key "bind_arg" — did you mean "bind_args"?'],
  ]
  assert.deepEqual(
    p.map((x) => [x.path, x.line, x.message]),
    expect,
  )
})

test('an unknown key with no near match lists the allowed keys', () => {
  const p = problemAt(problemsOf('logging:\n  colour: red\n'), 'logging')
  assert.equal(p.message, 'unknown key "colour" (allowed: level)')
})

test('many problems are reported at once, in file order, each with its line', () => {
  const text = [
    'mode: pair', // 1
    'gateway:', // 2
    '  listen:', // 3
    '    port: 70000', // 4
    '  workers: four', // 5
    'token:', // 6
    '  require_exp: "yes"', // 7
    'routes:', // 8
    '  - name: a', // 9
    '    match: { path_prefix: /a }', // 10
    '    upstream: 5', // 11
    '    tools: create_payment', // 12
    '    auth: tokn', // 13
    '  - name: "bad name"', // 14
    '    upstream: http://x', // 15
    'logging:', // 16
    '  level: verbose', // 17
  ].join('\n')
  const p = problemsOf(text)
  assert.deepEqual(
    p.map((x) => `${x.line} ${x.path}: ${x.message}`),
    [
      '1 mode: expected one of "paired", "all-in-one" or "vault-only", got "pair" — did you mean "paired"?',
      '4 gateway.listen.port: expected a port between 0 and 65535, got 70000',
      '5 gateway.workers: expected an integer between 1 and 256 or "auto", got "four"',
      '7 token.require_exp: expected true or false, got "yes"',
      '11 routes[0].upstream: expected a string or a mapping (key: value), got 5',
      '12 routes[0].tools: expected a list of strings, got "create_payment"',
      '13 routes[0].auth: expected one of "token" or "none", got "tokn" — did you mean "token"?',
      '14 routes[1]: missing required key "match"',
      '14 routes[1].name: expected a name of letters, digits, "_", "." and "-" that starts with a letter or digit, got "bad name"',
      '17 logging.level: expected one of "trace", "debug", "info", "warn", "error", "fatal" or "silent", got "verbose"',
    ],
  )
})

test('type errors name the expected shape', () => {
  const p = problemsOf('gateway: [1, 2]\nroutes:\n  name: a\ntoken:\n  replay_cache_size: 1.5\n')
  assert.equal(problemAt(p, 'gateway').message, 'expected a mapping (key: value), got a list')
  assert.equal(problemAt(p, 'routes').message, 'expected a list of mappings, got a mapping')
  assert.equal(problemAt(p, 'token.replay_cache_size').message, 'expected an integer of at least 1, got 1.5')
})

test('a top level that is not a mapping is refused', () => {
  const p = problemsOf('- just\n- a list\n')
  assert.equal(p.length, 1)
  assert.equal(p[0]!.path, '')
  assert.equal(p[0]!.message, 'expected a mapping (key: value), got a list')
})

test('empty lists where a list must have items, and empty strings, say what to do', () => {
  const p = problemsOf('routes:\n  - name: a\n    match: { methods: [] }\n    upstream: ""\n    tools: [t]\n')
  assert.match(problemAt(p, 'routes[0].match.methods').message, /at least 1 item; omit the key/)
  assert.equal(problemAt(p, 'routes[0].upstream').message, 'must not be empty')
})

test('YAML syntax errors give line and column, never a stack trace', () => {
  const p = problemsOf('gateway:\n  listen:\n    port: 1\n   host: x\n')
  assert.ok(p.length >= 1 && p.length <= 4)
  assert.equal(p[0]!.path, '')
  assert.equal(p[0]!.line, 4)
  assert.match(p[0]!.message, /^YAML syntax error at column \d+: /)
  for (const x of p) assert.doesNotMatch(x.message, /\n|    at /)
})

test('duplicate keys are a YAML error', () => {
  const p = problemsOf('mode: paired\nmode: all-in-one\n')
  assert.equal(p[0]!.line, 2)
  assert.match(p[0]!.message, /unique/i)
})

test('formatProblems: one line per problem as file:line path: message', () => {
  try {
    parseConfigText('gateway:\n  drain_timeout: 30 sec\nlogging:\n  colour: x\n', 'conf/gw.yaml', {})
    assert.fail('expected problems')
  } catch (err) {
    assert.ok(err instanceof ConfigError)
    assert.equal(
      formatProblems(err),
      [
        'conf/gw.yaml:2 gateway.drain_timeout: expected a duration like "30s" (units ms, s, m, h, d), got "30 sec"',
        'conf/gw.yaml:4 logging: unknown key "colour" (allowed: level)',
      ].join('\n'),
    )
    assert.match(err.message, /^conf\/gw\.yaml: 2 configuration problems; first: conf\/gw\.yaml:2 gateway\.drain_timeout/)
    assert.throws(() => {
      ;(err.problems as unknown as unknown[]).push({})
    }, TypeError)
  }
})

test('loadConfig reads the file; a missing file or a directory is one clear problem', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'gw.yaml')
  writeFileSync(file, 'mode: vault-only\n')
  assert.equal((await loadConfig(file, {})).mode, 'vault-only')

  const missing = join(dir, 'nope.yaml')
  await assert.rejects(loadConfig(missing, {}), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.equal(formatProblems(err), `${missing}: cannot read the file: no such file; check the path given to -c/--config`)
    return true
  })
  mkdirSync(join(dir, 'sub'))
  await assert.rejects(loadConfig(join(dir, 'sub'), {}), (err: unknown) => err instanceof ConfigError && /directory/.test(err.problems[0]!.message))
})

test('loadConfig defaults env to process.env', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'gw.yaml')
  writeFileSync(file, 'vault_server:\n  data_dir: ${LEDGIX_TEST_CONFIG_DIR}\n')
  process.env.LEDGIX_TEST_CONFIG_DIR = '/from/env'
  t.after(() => delete process.env.LEDGIX_TEST_CONFIG_DIR)
  assert.equal((await loadConfig(file)).vaultServer.dataDir, '/from/env')
})
