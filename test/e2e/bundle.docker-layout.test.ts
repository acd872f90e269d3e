// The packaged artefacts, end to end. One esbuild bundle is built into a temp dir (never over the
// repo's dist/, which bin/ would then prefer) and laid out as the Dockerfile's runtime stage does:
// package.json, dist/, bin/, config/policies/, the config at etc/ledgix/gateway.yaml, the
// Dockerfile's ENV, and node_modules holding ONLY the production dependencies of package-lock.json
// (each linked from the repo's install, so they are the exact versions; what is not mirrored: the
// node:24 base image, the non-root user and the /data volume). Then a full quickstart flow:
// clearance from the embedded Vault → call through the gateway → upstream hit once.
import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { buildBundle, REPO_ROOT as root } from '../helpers/bundle.ts'
import { bearer, send } from '../helpers/http-client.ts'
import { spawnServe } from '../helpers/serve-process.ts'
import { Upstream } from '../helpers/upstream.ts'

let app = ''

/** Top-level production packages of the lock file (nested ones live inside their parent's folder). */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> }
  return Object.entries(lock.packages)
    .filter(([path, meta]) => path.startsWith('node_modules/') && path.lastIndexOf('node_modules/') === 0 && meta.dev !== true && meta.devOptional !== true)
    .map(([path]) => path.slice('node_modules/'.length))
}

before(() => {
  app = buildBundle('ledgix-image-')
  copyFileSync(join(root, 'package.json'), join(app, 'package.json'))
  cpSync(join(root, 'bin'), join(app, 'bin'), { recursive: true })
  cpSync(join(root, 'config', 'policies'), join(app, 'config', 'policies'), { recursive: true })
  mkdirSync(join(app, 'etc', 'ledgix'), { recursive: true })
  for (const name of productionPackages()) {
    const target = join(app, 'node_modules', name)
    mkdirSync(dirname(target), { recursive: true })
    symlinkSync(join(root, 'node_modules', name), target)
  }
})

test('the lock file separates production from dev dependencies: no build or test tooling ships', () => {
  const prod = productionPackages()
  for (const name of ['better-sqlite3', 'fastify', 'undici', 'pino', 'commander']) assert.ok(prod.includes(name), `${name} must ship`)
  // (esbuild does ship today: tsx is a production dependency, bin/'s fallback when dist/ is absent.)
  for (const name of ['typescript', 'fast-check', 'autocannon', 'ws', '@types/node']) assert.ok(!prod.includes(name), `${name} must not ship`)
  assert.ok(!existsSync(join(app, 'node_modules', 'typescript')))
})

/** The image's config with the ports it publishes turned to ephemeral ones and the upstream ours. */
function imageConfig(upstreamUrl: string): string {
  return readFileSync(join(root, 'gateway.example.yaml'), 'utf8')
    .replace(/port: (8080|9090|8000)\b/g, 'port: 0')
    .replace('http://127.0.0.1:4000', upstreamUrl)
}

async function fullFlow(gatewayUrl: string, vaultUrl: string, upstream: Upstream, key: string): Promise<void> {
  const clearance = await send(`${vaultUrl}/request-clearance`, {
    method: 'POST',
    headers: { 'x-vault-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ tool_name: 'create_stripe_payment', tool_args: { amount: 250, currency: 'usd' }, agent_id: 'agent-7' }),
  })
  assert.equal(clearance.json['status'], 'approved', clearance.text)
  const token = clearance.json['token'] as string
  const call = await send(`${gatewayUrl}/demo/pay`, { method: 'POST', headers: bearer(token), body: '{"amount":250,"currency":"usd"}' })
  assert.equal(call.status, 200, call.text)
  assert.equal((call.json['headers'] as Record<string, string>)['x-ledgix-tool'], 'create_stripe_payment')
  assert.equal((await send(`${gatewayUrl}/demo/pay`, { method: 'POST', headers: bearer(token) })).status, 409)
  assert.equal(upstream.hits, 1)
}

test('node dist/ledgix-gateway.mjs serve (plain node, no tsx): all-in-one clearance → gateway call', async (t) => {
  const upstream = await new Upstream().start()
  t.after(() => upstream.close())
  const data = mkdtempSync(join(tmpdir(), 'ledgix-bundle-data-'))
  t.after(() => rmSync(data, { recursive: true, force: true }))
  const proc = await spawnServe(imageConfig(upstream.url), {
    entry: join(app, 'dist', 'ledgix-gateway.mjs'),
    cwd: app,
    env: { LEDGIX_BOOTSTRAP_API_KEY: 'sk_test_bundle', LEDGIX_DATA_DIR: data },
  })
  t.after(() => proc.stop())
  await fullFlow(proc.gatewayUrl, proc.vaultUrl, upstream, 'sk_test_bundle')
})

test('the Dockerfile runtime layout: ENTRYPOINT ledgix-gateway + CMD serve -c /etc/ledgix/gateway.yaml, HEALTHCHECK passes', async (t) => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8')
  assert.match(dockerfile, /^FROM node:24-slim$/m)
  assert.match(dockerfile, /^USER node$/m)
  assert.match(dockerfile, /^VOLUME \["\/data"\]$/m)
  assert.match(dockerfile, /^ENTRYPOINT \["ledgix-gateway"\]$/m)
  assert.match(dockerfile, /^CMD \["serve", "-c", "\/etc\/ledgix\/gateway.yaml"\]$/m)
  const env = /^ENV LEDGIX_LISTEN_HOST=(\S+) LEDGIX_DATA_DIR=(\S+)$/m.exec(dockerfile)
  assert.ok(env !== null, 'the Dockerfile sets LEDGIX_LISTEN_HOST and LEDGIX_DATA_DIR')
  for (const copied of ['./dist', './bin', './node_modules', './config/policies', '/etc/ledgix/gateway.yaml']) assert.ok(dockerfile.includes(copied), copied)

  const upstream = await new Upstream().start()
  t.after(() => upstream.close())
  const data = mkdtempSync(join(tmpdir(), 'ledgix-volume-'))
  t.after(() => rmSync(data, { recursive: true, force: true }))
  // The image listens on 0.0.0.0 (its ENV); tests stay on loopback, the only deviation from the image.
  const proc = await spawnServe(imageConfig(upstream.url), {
    entry: join(app, 'bin', 'ledgix-gateway.mjs'),
    cwd: app,
    env: { NODE_ENV: 'production', LEDGIX_LISTEN_HOST: '127.0.0.1', LEDGIX_DATA_DIR: data, LEDGIX_BOOTSTRAP_API_KEY: 'sk_test_image' },
  })
  t.after(() => proc.stop())
  assert.ok(existsSync(join(data, 'vault.db')), 'the store lives on the volume')
  const health = /CMD \["node", "-e", "(.*)"\]$/m.exec(dockerfile)![1]!.replace('127.0.0.1:9090', new URL(proc.adminUrl).host)
  const probe = spawnSync(process.execPath, ['-e', health], { encoding: 'utf8', timeout: 10_000 })
  assert.equal(probe.status, 0, `HEALTHCHECK failed: ${probe.stderr}`)
  await fullFlow(proc.gatewayUrl, proc.vaultUrl, upstream, 'sk_test_image')
})
