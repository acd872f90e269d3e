import { test } from 'node:test'
import assert from 'node:assert/strict'
import { load, problemAt, problemsOf } from './helpers.ts'

test('${VAR} is replaced by the environment value, in any string value and inside text', () => {
  const c = load('vault_server:\n  data_dir: ${DATA}/ledgix\n  admin_api_key: ${KEY}\n', { DATA: '/var/lib', KEY: 'adm_123' })
  assert.equal(c.vaultServer.dataDir, '/var/lib/ledgix')
  assert.equal(c.vaultServer.adminApiKey, 'adm_123')
})

test('${VAR:-default} uses the default when the variable is unset or empty, the value when set', () => {
  const text = 'vault_server:\n  data_dir: ${DATA:-./fallback}\n'
  assert.equal(load(text, {}).vaultServer.dataDir, './fallback')
  assert.equal(load(text, { DATA: '' }).vaultServer.dataDir, './fallback')
  assert.equal(load(text, { DATA: '/srv' }).vaultServer.dataDir, '/srv')
})

test('an unset ${VAR} without default is a problem naming the path and line, with no schema echo', () => {
  const problems = problemsOf('mode: paired\nvault:\n  url: ${LEDGIX_VAULT_URL}\n  api_key: ${LEDGIX_VAULT_API_KEY}\n', {})
  assert.equal(problems.length, 2)
  const url = problemAt(problems, 'vault.url')
  assert.equal(url.line, 3)
  assert.match(url.message, /environment variable LEDGIX_VAULT_URL is not set/)
  assert.match(url.message, /\$\{LEDGIX_VAULT_URL:-default\}/)
  assert.equal(problemAt(problems, 'vault.api_key').line, 4)
})

test('$${ writes a literal ${ and is not expanded', () => {
  const c = load('vault_server:\n  data_dir: ./a$${HOME}b\n', { HOME: '/root' })
  assert.equal(c.vaultServer.dataDir, './a${HOME}b')
})

test('a lone $ and $NAME without braces stay as written', () => {
  assert.equal(load('vault_server:\n  data_dir: ./$x/$\n', { x: 'no' }).vaultServer.dataDir, './$x/$')
})

test('malformed references are problems with the fix', () => {
  const bad = problemsOf('vault_server:\n  data_dir: ${DATA\n  admin_api_key: ${1BAD}\n')
  assert.match(problemAt(bad, 'vault_server.data_dir').message, /unterminated/)
  assert.match(problemAt(bad, 'vault_server.admin_api_key').message, /invalid reference "\$\{1BAD\}"/)
})

test('an expanded value becomes an integer or boolean where the schema wants one, quoted or not', () => {
  const text = 'gateway:\n  listen:\n    port: ${PORT}\nadmin: { listen: { port: "${ADMIN_PORT}" } }\ntoken:\n  require_exp: ${REQ}\n'
  const c = load(text, { PORT: '8081', ADMIN_PORT: '9191', REQ: 'false' })
  assert.equal(c.gateway.listen.port, 8081)
  assert.equal(c.admin.listen.port, 9191)
  assert.equal(c.token.requireExp, false)
})

test('an expanded value stays a string where the schema wants one', () => {
  const c = load('vault_server:\n  admin_api_key: ${KEY}\ngateway:\n  workers: ${W}\n', { KEY: '12345', W: 'auto' })
  assert.equal(c.vaultServer.adminApiKey, '12345')
  assert.ok(c.gateway.workers >= 1)
})

test('an expanded value of the wrong type is a schema problem showing the expanded text', () => {
  const p = problemAt(problemsOf('gateway:\n  listen:\n    port: ${PORT}\n', { PORT: 'eighty' }), 'gateway.listen.port')
  assert.equal(p.line, 3)
  assert.match(p.message, /expected a port between 0 and 65535, got "eighty"/)
})

test('keys are never expanded', () => {
  const p = problemsOf('gateway:\n  ${KEY}: 1\n', { KEY: 'workers' })
  assert.match(problemAt(p, 'gateway').message, /unknown key "\$\{KEY\}"/)
})

test('${VAR} unquoted inside a flow mapping gets a hint to quote it', () => {
  const p = problemsOf('gateway: { listen: { port: ${PORT} } }\n', { PORT: '1' })
  assert.match(p[0]!.message, /YAML syntax error/)
  assert.match(p[0]!.message, /quote values that use \$\{…\}/)
})
