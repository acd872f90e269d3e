// Every shipped example config loads, and the printed JSON Schema accepts it as an editor would see it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { Ajv } from 'ajv'
import { parse, parseAllDocuments } from 'yaml'
import { ConfigError, configJsonSchema, loadConfig } from '../../src/config/index.ts'

const root = join(import.meta.dirname, '..', '..')
const EXAMPLES = [join(root, 'gateway.example.yaml'), ...readdirSync(join(root, 'config')).filter((f) => f.endsWith('.yaml')).map((f) => join(root, 'config', f))]

/** What the examples document as required environment; a new ${VAR} without default must be added here. */
const ENV: NodeJS.ProcessEnv = {
  LEDGIX_VAULT_URL: 'https://vault.internal:8000',
  LEDGIX_VAULT_API_KEY: 'sk_live_example',
  LEDGIX_ADMIN_API_KEY: 'adm_example',
}

test('the shipped examples are the six documented files', () => {
  assert.deepEqual(EXAMPLES.map((f) => relative(root, f)).sort(), [
    'config/all-in-one.yaml',
    'config/crm.yaml',
    'config/paired.yaml',
    'config/stripe.yaml',
    'config/vault-only.yaml',
    'gateway.example.yaml',
  ])
})

for (const file of EXAMPLES) {
  const name = relative(root, file)
  test(`${name} validates with the environment it documents`, async () => {
    // References outside comments, without a :-default.
    const text = readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => line.replace(/(^|\s)#.*$/, ''))
      .join('\n')
    const required = [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!)
    for (const v of required) assert.ok(v in ENV, `${name} needs ${v}; add it to ENV in this test and to the file's header comment`)
    const config = await loadConfig(file, ENV)
    assert.ok(config.mode.length > 0)
  })

  test(`${name} is accepted by the printed JSON Schema as written`, () => {
    const validate = new Ajv({ allErrors: true, strict: true }).compile(configJsonSchema)
    const ok = validate(parse(readFileSync(file, 'utf8')))
    assert.ok(ok, JSON.stringify(validate.errors, null, 2))
  })
}

test('gateway.example.yaml is the quickstart: all-in-one, ./data, example policies, demo route to 127.0.0.1:4000', async () => {
  const c = await loadConfig(join(root, 'gateway.example.yaml'), {})
  assert.equal(c.mode, 'all-in-one')
  assert.equal(c.vaultServer.dataDir, './data')
  assert.equal(c.vaultServer.policiesDir, 'config/policies')
  assert.equal(c.vaultServer.defaultEffect, 'deny')
  assert.equal(c.gateway.listen.host, '127.0.0.1')
  assert.equal((await loadConfig(join(root, 'gateway.example.yaml'), { LEDGIX_LISTEN_HOST: '0.0.0.0', LEDGIX_DATA_DIR: '/data' })).vaultServer.dataDir, '/data')
  assert.equal(c.routes.length, 1)
  const demo = c.routes[0]!
  assert.equal(demo.name, 'demo')
  assert.equal(demo.match.pathPrefix, '/demo')
  assert.equal(demo.upstream.url, 'http://127.0.0.1:4000')
  assert.deepEqual(demo.tools, ['create_stripe_payment', 'stripe_refund'])
  assert.equal(demo.auth, 'token')
})

test('config/paired.yaml: remote Vault from the environment, bound payments, multi-tool CRM, passthrough health', async () => {
  const c = await loadConfig(join(root, 'config', 'paired.yaml'), ENV)
  assert.equal(c.mode, 'paired')
  assert.equal(c.vault.url, 'https://vault.internal:8000')
  assert.equal(c.vault.apiKey, 'sk_live_example')
  assert.ok(c.routes.some((r) => r.bindArgs === 'exact' && r.tools.includes('create_stripe_payment')))
  assert.ok(c.routes.some((r) => r.auth === 'token' && r.tools.length >= 3))
  assert.ok(c.routes.some((r) => r.auth === 'none' && r.tools.length === 0))
})

test('config/paired.yaml without its environment names each missing variable', async () => {
  await assert.rejects(loadConfig(join(root, 'config', 'paired.yaml'), {}), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.deepEqual(err.problems.map((p) => p.path), ['vault.url', 'vault.api_key'])
    assert.match(err.problems[0]!.message, /LEDGIX_VAULT_URL is not set/)
    return true
  })
})

test('config/vault-only.yaml and config/all-in-one.yaml run the modes their names say', async () => {
  assert.equal((await loadConfig(join(root, 'config', 'vault-only.yaml'), ENV)).mode, 'vault-only')
  const aio = await loadConfig(join(root, 'config', 'all-in-one.yaml'), ENV)
  assert.equal(aio.mode, 'all-in-one')
  assert.equal(aio.vaultServer.adminApiKey, 'adm_example')
})

test('config/stripe.yaml: payment intents and refunds bound to their exact arguments', async () => {
  const c = await loadConfig(join(root, 'config', 'stripe.yaml'), ENV)
  const intents = c.routes.find((r) => r.match.pathPrefix === '/v1/payment_intents')
  assert.ok(intents !== undefined)
  assert.equal(intents.bindArgs, 'exact')
  assert.deepEqual(intents.match.methods, ['POST'])
  assert.deepEqual(intents.tools, ['create_stripe_payment'])
  assert.ok(c.routes.every((r) => r.bindArgs === 'exact'))
})

test('config/crm.yaml: several tools on one upstream, the example policies loaded', async () => {
  const c = await loadConfig(join(root, 'config', 'crm.yaml'), ENV)
  const crm = c.routes.find((r) => r.name === 'crm')!
  assert.ok(crm.tools.length >= 3)
  assert.equal(c.vaultServer.policiesDir, 'config/policies')
  const upstreams = new Set(c.routes.map((r) => new URL(r.upstream.url).origin))
  assert.equal(upstreams.size, 1, 'one upstream serves every tool')
})

const KUBE_DIR = join(root, 'config', 'kubernetes')
const MANIFESTS = readdirSync(KUBE_DIR).filter((f) => f.endsWith('.yaml'))

test('config/kubernetes has the sidecar and standalone manifests', () => {
  assert.deepEqual(MANIFESTS.sort(), ['sidecar.yaml', 'standalone.yaml'])
})

for (const manifest of MANIFESTS) {
  test(`config/kubernetes/${manifest}: every ConfigMap's gateway.yaml validates`, async (t) => {
    const docs = parseAllDocuments(readFileSync(join(KUBE_DIR, manifest), 'utf8')).map((d) => d.toJS() as Record<string, unknown> | null)
    const maps = docs.filter((d) => d !== null && d['kind'] === 'ConfigMap')
    assert.ok(maps.length >= 1, 'no ConfigMap')
    const validate = new Ajv({ allErrors: true, strict: true }).compile(configJsonSchema)
    const dir = mkdtempSync(join(tmpdir(), 'ledgix-kube-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    for (const map of maps) {
      const text = (map!['data'] as Record<string, string>)['gateway.yaml']
      assert.equal(typeof text, 'string', 'ConfigMap without data.gateway.yaml')
      const file = join(dir, 'gateway.yaml')
      writeFileSync(file, text!)
      const config = await loadConfig(file, ENV)
      assert.ok(config.routes.length > 0)
      assert.ok(validate(parse(text!)), JSON.stringify(validate.errors, null, 2))
      // Probes hit the admin port; it must listen beyond loopback inside the pod.
      assert.equal(config.admin.listen.host, '0.0.0.0')
    }
  })
}
