// The built bundle (`npm run build`, what the Docker image runs) serving every class of Vault route.
// Lazily loaded code behaves differently bundled: esbuild turns a dynamic import() of a CommonJS
// package into a chunk that exports only `default`, so `import('ajv')` found no `Ajv` in dist/ while
// tsx was fine, and every route with a schema answered 400 invalid_json. Each class below reaches
// different lazy code: fastify routes with a body / params / querystring schema (the route Ajv),
// routes without a schema, JSON bodies on PUT, POST and DELETE, the /admin scope, the fast path
// (request-clearance), a WebSocket tunnel (http-proxy-3, loaded on the first upgrade), and the
// offline CLI on the data dir afterwards (lazy store/ledger chunks, signature worker threads).
import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { buildBundle, REPO_ROOT as root } from '../helpers/bundle.ts'
import { send } from '../helpers/http-client.ts'
import type { Reply } from '../helpers/http-client.ts'
import { spawnServe } from '../helpers/serve-process.ts'
import type { ServeProcess } from '../helpers/serve-process.ts'
import { Upstream } from '../helpers/upstream.ts'

const KEY = 'sk_test_bundle_routes'
const ADMIN = 'adm_test_bundle_routes_0123456789'
let app = ''

before(() => {
  app = buildBundle('ledgix-bundle-routes-')
  // The externals (better-sqlite3) resolve from here; the production-only layout is the docker-layout test's.
  symlinkSync(join(root, 'node_modules'), join(app, 'node_modules'))
  cpSync(join(root, 'config', 'policies'), join(app, 'config', 'policies'), { recursive: true })
})

/** The image's quickstart config: ephemeral ports, our upstream, the /admin API enabled. */
function config(upstreamUrl: string): string {
  const yaml = readFileSync(join(root, 'gateway.example.yaml'), 'utf8')
    .replace(/port: (8080|9090|8000)\b/g, 'port: 0')
    .replace('http://127.0.0.1:4000', upstreamUrl)
    .replace(/# admin_api_key: .*/, `admin_api_key: ${ADMIN}`)
  assert.ok(yaml.includes(`admin_api_key: ${ADMIN}`), 'the example config still offers admin_api_key')
  return yaml
}

async function startBundle(t: { after: (fn: () => unknown) => void }): Promise<{ proc: ServeProcess; upstream: Upstream; data: string }> {
  const upstream = await new Upstream().start()
  t.after(() => upstream.close())
  const data = mkdtempSync(join(tmpdir(), 'ledgix-bundle-routes-data-'))
  t.after(() => rmSync(data, { recursive: true, force: true }))
  const proc = await spawnServe(config(upstream.url), {
    entry: join(app, 'dist', 'ledgix-gateway.mjs'),
    cwd: app,
    env: { LEDGIX_BOOTSTRAP_API_KEY: KEY, LEDGIX_DATA_DIR: data },
  })
  t.after(() => proc.stop())
  return { proc, upstream, data }
}

function call(proc: ServeProcess, method: string, path: string, body?: unknown, admin = false): Promise<Reply> {
  const headers: Record<string, string> = admin ? { 'x-admin-api-key': ADMIN } : { 'x-vault-api-key': KEY }
  if (body !== undefined) headers['content-type'] = 'application/json'
  return send(`${proc.vaultUrl}${path}`, { method, headers, body: body === undefined ? null : JSON.stringify(body) })
}

function ok(reply: Reply, status = 200): Record<string, unknown> {
  assert.equal(reply.status, status, reply.text)
  return reply.json
}

/** The bundle's offline CLI on a stopped instance's data dir (lazy store/ledger/vault chunks, the
 * signature-verification worker threads). */
function cli(data: string, ...args: string[]): Record<string, unknown> {
  const run = spawnSync(process.execPath, [join(app, 'dist', 'ledgix-gateway.mjs'), ...args, '--data', data, '--json'], {
    cwd: app,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: 30_000,
  })
  assert.equal(run.status, 0, run.stderr)
  return JSON.parse(run.stdout) as Record<string, unknown>
}

test('bundle: JSON bodies on PUT, POST and DELETE, params and querystring schemas, /admin, the fast path, then the offline CLI', async (t) => {
  const { proc, data } = await startBundle(t)

  // PUT with a body schema (the reported case), then read back.
  assert.equal(ok(await call(proc, 'PUT', '/review-settings', { minimum_confidence_score: 0.8 }))['minimum_confidence_score'], 0.8)
  assert.equal(ok(await call(proc, 'GET', '/review-settings'))['minimum_confidence_score'], 0.8)
  // Ajv's own errors, bundled: a wrong type is a 400 naming the field, not a JSON syntax error.
  const wrong = await call(proc, 'PUT', '/review-settings', { minimum_confidence_score: 'high' })
  assert.equal(wrong.status, 400, wrong.text)
  assert.equal(wrong.json['code'], 'invalid_request')
  assert.match(String(wrong.json['detail']), /^body\.minimum_confidence_score: /)
  // A body that is not JSON is still invalid_json.
  const broken = await send(`${proc.vaultUrl}/review-settings`, { method: 'PUT', headers: { 'x-vault-api-key': KEY, 'content-type': 'application/json' }, body: '{"minimum_confidence_score":' })
  assert.equal(broken.json['code'], 'invalid_json', broken.text)

  // PUT without a schema, and one with nested settings.
  assert.equal(ok(await call(proc, 'PUT', '/drift/settings', { enabled: true, mode: 'observe' }))['mode'], 'observe')
  assert.equal(ok(await call(proc, 'PUT', '/notification-settings', { email_enabled: false, email_recipients: [] }))['email_enabled'], false)

  // POST with a body schema.
  const registered = ok(await call(proc, 'POST', '/register-policy', {
    policy_id: 'refunds-e2e',
    tools: ['stripe_refund'],
    rules: [{ id: 'allow-refunds', when: 'tool_name == "stripe_refund"', effect: 'allow', reason: 'refunds are fine' }],
  }))
  assert.equal(registered['status'], 'registered')

  // The fast path (request-clearance), then a querystring schema and a params + body schema.
  const clearance = ok(await call(proc, 'POST', '/request-clearance', { tool_name: 'create_stripe_payment', tool_args: { amount: 1500, currency: 'usd' }, agent_id: 'agent-7' }))
  assert.equal(clearance['status'], 'pending_review')
  const requestId = clearance['request_id'] as string
  const reviews = ok(await call(proc, 'GET', '/reviews?status=pending_review&limit=10'))['reviews'] as Array<{ request_id: string }>
  assert.deepEqual(reviews.map((r) => r.request_id), [requestId])
  const decided = ok(await call(proc, 'POST', `/reviews/${requestId}/decision`, { approved: true, review_reason: 'checked the invoice' }))
  assert.equal(decided['status'], 'approved')
  assert.equal(typeof decided['token'], 'string')

  // A params schema with an empty POST body, and DELETE with a JSON body.
  assert.equal(ok(await call(proc, 'POST', '/drift/agents/agent-9/lockdown'))['locked'], true)
  assert.equal(ok(await call(proc, 'DELETE', '/drift/agents/agent-9/lockdown', { reason: 'investigated' }))['locked'], false)

  // The /admin scope: POST bodies with and without params, GET with params.
  assert.equal(ok(await call(proc, 'POST', '/admin/tenants', { tenant_id: 'acme', name: 'Acme' }, true), 201)['tenant_id'], 'acme')
  const created = ok(await call(proc, 'POST', '/admin/tenants/acme/api-keys', { name: 'ci', role: 'agent' }, true), 201)
  assert.equal(created['role'], 'agent')
  const keys = ok(await call(proc, 'GET', '/admin/tenants/acme/api-keys', undefined, true))['api_keys'] as Array<{ key_id: string }>
  assert.deepEqual(keys.map((k) => k.key_id), [created['key_id']])

  // Every one of those decisions and settings changes was ledgered (GET with a query).
  const ledger = ok(await call(proc, 'GET', '/ledger?limit=50'))['entries'] as unknown[]
  assert.ok(ledger.length >= 4, `ledger has ${ledger.length} entries`)

  // A compliance report built by the bundle: pdfkit (external) and the DejaVu TTFs load from node_modules.
  const period = { period_from: new Date(Date.now() - 3_600_000).toISOString(), period_to: new Date(Date.now() - 1000).toISOString(), formats: ['json', 'pdf', 'csv'] }
  let report = ok(await call(proc, 'POST', '/reports', period), 202)
  const reportId = report['report_id'] as string
  for (let i = 0; i < 600 && report['status'] !== 'ready' && report['status'] !== 'failed'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    report = ok(await call(proc, 'GET', `/reports/${reportId}`))
  }
  assert.equal(report['status'], 'ready', JSON.stringify(report))
  const pdf = await send(`${proc.vaultUrl}/reports/${reportId}/artifacts/pdf`, { method: 'GET', headers: { 'x-vault-api-key': KEY }, body: null })
  assert.equal(pdf.status, 200, pdf.text.slice(0, 300))
  assert.ok(pdf.text.startsWith('%PDF-'), 'a PDF document')
  assert.ok(!proc.lines.some((l) => l['msg'] === 'unhandled Vault error'), 'no 500 was logged')

  await proc.stop()
  const listed = cli(data, 'apikeys', 'list', '--tenant', 'acme')['api_keys'] as Array<{ key_id: string }>
  assert.deepEqual(listed.map((k) => k.key_id), [created['key_id']])
  const verified = cli(data, 'ledger', 'verify')['tenants'] as Array<{ tenant_id: string; result: { intact: boolean; mode: string } }>
  const ours = verified.find((v) => v.tenant_id === 'default')
  assert.equal(ours?.result.intact, true, JSON.stringify(verified))
  assert.equal(ours?.result.mode, 'full')
})

test('bundle: a WebSocket upgrade is authorized, tunnelled through http-proxy-3 and echoed', async (t) => {
  const { proc, upstream } = await startBundle(t)
  const clearance = ok(await call(proc, 'POST', '/request-clearance', { tool_name: 'create_stripe_payment', tool_args: { amount: 10, currency: 'usd' }, agent_id: 'agent-7' }))
  const ws = new WebSocket(`${proc.gatewayUrl.replace('http://', 'ws://')}/demo/stream`, { headers: { authorization: `Bearer ${String(clearance['token'])}` } })
  t.after(() => ws.terminate())
  const opened = await new Promise<number>((resolve, reject) => {
    ws.once('open', () => resolve(101))
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.once('error', reject)
  })
  assert.equal(opened, 101)
  const echoed = await new Promise<string>((resolve) => {
    ws.once('message', (data: WebSocket.RawData) => resolve(data.toString()))
    ws.send('through the bundled tunnel')
  })
  assert.equal(echoed, 'through the bundled tunnel')
  assert.equal(upstream.wsUpgrades, 1)
})
