// Every shipped example config loads, and the printed JSON Schema accepts it as an editor would see it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { generateKeyPairSync } from 'node:crypto'
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

// Issue 20: several Vault replicas on PostgreSQL and a gateway paired with their load balancer.
const REPLICAS_DIR = join(root, 'config', 'replicas')
const REPLICA_ENV: NodeJS.ProcessEnv = {
  ...ENV,
  LEDGIX_DATABASE_URL: 'postgres://ledgix:pw@db.internal:5432/ledgix',
  LEDGIX_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
}

test('config/replicas: the vault replica and the paired gateway files, with a README', () => {
  assert.deepEqual(readdirSync(REPLICAS_DIR).sort(), ['README.md', 'gateway.yaml', 'vault-replica.yaml'])
})

test('config/replicas/vault-replica.yaml: vault-only on PostgreSQL (URL from the environment, TLS with a CA), loads and matches the JSON Schema', async () => {
  const file = join(REPLICAS_DIR, 'vault-replica.yaml')
  const c = await loadConfig(file, REPLICA_ENV)
  assert.equal(c.mode, 'vault-only')
  const s = c.vaultServer.store
  assert.ok(s !== undefined && s.driver === 'postgres')
  assert.equal(s.url, 'postgres://ledgix:pw@db.internal:5432/ledgix')
  assert.equal(s.schema, 'ledgix')
  assert.equal(c.vaultServer.signingKey?.kid, 'vault-1', 'every replica signs with the one configured key')
  assert.deepEqual(s.tls, { caFile: '/etc/ledgix/pg-ca.pem', certFile: null, keyFile: null, rejectUnauthorized: true, servername: null })
  assert.equal(c.admin.listen.host, '0.0.0.0', 'the balancer health-checks /readyz on the admin port')
  assert.ok(new Ajv({ allErrors: true, strict: true }).compile(configJsonSchema)(parse(readFileSync(file, 'utf8'))))
  await assert.rejects(loadConfig(file, ENV), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.match(err.problems.map((p) => p.message).join('\n'), /LEDGIX_DATABASE_URL is not set/)
    return true
  })
})

test('config/replicas/gateway.yaml: paired with the load-balanced Vault URL, loads and matches the JSON Schema', async () => {
  const file = join(REPLICAS_DIR, 'gateway.yaml')
  const c = await loadConfig(file, REPLICA_ENV)
  assert.equal(c.mode, 'paired')
  assert.equal(c.vault.url, 'https://vault-lb.internal:8000')
  assert.equal((await loadConfig(file, { ...REPLICA_ENV, LEDGIX_VAULT_LB_URL: 'http://ledgix-vault:8000' })).vault.url, 'http://ledgix-vault:8000')
  assert.ok(c.routes.length > 0)
  assert.ok(new Ajv({ allErrors: true, strict: true }).compile(configJsonSchema)(parse(readFileSync(file, 'utf8'))))
})

const KUBE_DIR = join(root, 'config', 'kubernetes')
const MANIFESTS = readdirSync(KUBE_DIR).filter((f) => f.endsWith('.yaml'))

test('config/kubernetes has the sidecar, standalone and replicated Vault manifests', () => {
  assert.deepEqual(MANIFESTS.sort(), ['sidecar.yaml', 'standalone.yaml', 'vault.yaml'])
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
      const data = map!['data'] as Record<string, string>
      const text = data['gateway.yaml'] ?? data['vault.yaml']
      assert.equal(typeof text, 'string', 'ConfigMap without data.gateway.yaml (or data.vault.yaml)')
      const file = join(dir, 'gateway.yaml')
      writeFileSync(file, text!)
      const config = await loadConfig(file, REPLICA_ENV)
      if (config.mode === 'vault-only') assert.equal(config.vaultServer.store?.driver, 'postgres')
      else assert.ok(config.routes.length > 0)
      assert.ok(validate(parse(text!)), JSON.stringify(validate.errors, null, 2))
      // Probes hit the admin port; it must listen beyond loopback inside the pod.
      assert.equal(config.admin.listen.host, '0.0.0.0')
    }
  })
}

/** A value inside a parsed manifest; a missing step reads as undefined and fails the assertion on it. */
function get(v: unknown, ...path: Array<string | number>): unknown {
  for (const p of path) v = v === null || typeof v !== 'object' ? undefined : (v as Record<string | number, unknown>)[p]
  return v
}

test('config/kubernetes/vault.yaml: several Vault replicas with probes, the database URL from a Secret, a Service and a PodDisruptionBudget', () => {
  const docs: unknown[] = parseAllDocuments(readFileSync(join(KUBE_DIR, 'vault.yaml'), 'utf8')).map((d) => d.toJS() as unknown)
  const byKind = (kind: string): unknown[] => docs.filter((d) => get(d, 'kind') === kind)
  const deploy = byKind('Deployment')[0]
  assert.ok((get(deploy, 'spec', 'replicas') as number) >= 2, 'several replicas')
  const labels = get(deploy, 'spec', 'template', 'metadata', 'labels')
  assert.deepEqual(get(deploy, 'spec', 'selector', 'matchLabels'), labels)
  const container = get(deploy, 'spec', 'template', 'spec', 'containers', 0)
  assert.deepEqual(get(container, 'args'), ['serve', '-c', '/etc/ledgix/vault.yaml'])
  assert.equal(get(container, 'readinessProbe', 'httpGet', 'path'), '/readyz')
  assert.equal(get(container, 'readinessProbe', 'httpGet', 'port'), 'admin')
  assert.equal(get(container, 'livenessProbe', 'httpGet', 'path'), '/healthz')
  assert.ok((get(container, 'ports') as unknown[]).some((p) => get(p, 'name') === 'admin' && get(p, 'containerPort') === 9090))
  // The database URL comes from a Secret the manifest defines, and the config reads it from the environment.
  const secretRefs = (get(container, 'envFrom') as unknown[]).map((e) => get(e, 'secretRef', 'name'))
  assert.ok(byKind('Secret').some((sec) => secretRefs.includes(get(sec, 'metadata', 'name')) && typeof get(sec, 'stringData', 'LEDGIX_DATABASE_URL') === 'string'))
  assert.match(get(byKind('ConfigMap')[0], 'data', 'vault.yaml') as string, /url: \$\{LEDGIX_DATABASE_URL\}/)
  const service = byKind('Service')[0]
  assert.deepEqual(get(service, 'spec', 'selector'), labels)
  assert.equal(get(service, 'spec', 'ports', 0, 'targetPort'), 'vault')
  const pdb = byKind('PodDisruptionBudget')[0]
  assert.deepEqual(get(pdb, 'spec', 'selector', 'matchLabels'), labels)
  const minAvailable = get(pdb, 'spec', 'minAvailable') as number
  assert.ok(minAvailable >= 1 && minAvailable < (get(deploy, 'spec', 'replicas') as number), 'a voluntary eviction always leaves a replica serving')
  // The gateways' manifest pairs with this Service.
  assert.ok(readFileSync(join(KUBE_DIR, 'standalone.yaml'), 'utf8').includes(`http://${get(service, 'metadata', 'name') as string}.`))
})
