// The command files restate a few defaults so that registering commands loads no heavy module
// (issue 7, cold start). They must stay equal to the values of the modules they avoid importing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_TENANT } from '../../src/cli/vault-commands.ts'
import { BOOTSTRAP_ENV } from '../../src/cli/serve.ts'
import { DEFAULT_TENANT_ID } from '../../src/vault/index.ts'
import { buildProgram } from '../../src/cli/program.ts'

test('apikeys --tenant defaults to the Vault\'s DEFAULT_TENANT_ID', () => {
  assert.equal(DEFAULT_TENANT, DEFAULT_TENANT_ID)
  const create = buildProgram().commands.find((c) => c.name() === 'apikeys')?.commands.find((c) => c.name() === 'create')
  assert.equal(create?.options.find((o) => o.long === '--tenant')?.defaultValue, DEFAULT_TENANT_ID)
})

test('serve --help names the bootstrap key variable the embedded Vault reads', () => {
  assert.equal(BOOTSTRAP_ENV, 'LEDGIX_BOOTSTRAP_API_KEY')
  let help = ''
  const serve = buildProgram().commands.find((c) => c.name() === 'serve')!
  serve.configureOutput({ writeOut: (s) => (help += s) })
  serve.outputHelp()
  assert.match(help, /LEDGIX_BOOTSTRAP_API_KEY=sk_test_mykey/)
})
