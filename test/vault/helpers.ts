// Shared fixtures for Vault tests: a real server on 127.0.0.1:0 over a real SQLite file in a temp
// dir, tenants and keys of each role, and a tiny JSON HTTP client. LEDGIX_TEST_STORE=postgres runs
// the same suites over the PostgreSQL driver instead (each server in its own schema).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request as undiciRequest } from 'undici'
import type { VaultServerConfig } from '../../src/config/types-vault.ts'
import type { Clock, TenantId } from '../../src/core/index.ts'
import type { ApiKeyRole } from '../../src/store/index.ts'
import { newApiKey, startVaultServer } from '../../src/vault/index.ts'
import type { VaultServer, VaultServerOptions } from '../../src/vault/index.ts'

export const ADMIN_KEY = 'admin-secret-for-tests'

const pgHelpers = process.env.LEDGIX_TEST_STORE === 'postgres' ? await import('../helpers/postgres.ts') : null
if (pgHelpers !== null && pgHelpers.skipWithoutPostgres !== false) throw new Error(`LEDGIX_TEST_STORE=postgres: ${pgHelpers.skipWithoutPostgres}`)

/** One schema per data dir, so a restart over the same data dir finds the same store. */
const schemaOfDataDir = new Map<string, string>()

function storeConfig(dataDir: string): Partial<VaultServerConfig> {
  if (pgHelpers === null) return {}
  let schema = schemaOfDataDir.get(dataDir)
  if (schema === undefined) {
    schema = pgHelpers.testSchema()
    schemaOfDataDir.set(dataDir, schema)
  }
  const pool = { max: 10, statementTimeoutMs: 30_000, idleTimeoutMs: 30_000, connectTimeoutMs: 5_000 }
  return { store: { driver: 'postgres', url: pgHelpers.PG_TEST_URL, schema, pool } }
}

export function vaultConfig(dataDir: string, overrides: Partial<VaultServerConfig> = {}): VaultServerConfig {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    dataDir,
    tokenTtlMs: 300_000,
    issuer: 'alcv-vault',
    audience: 'ledgix-sdk',
    adminApiKey: ADMIN_KEY,
    decisionTimeoutMs: 25_000,
    policiesDir: null,
    defaultEffect: 'deny',
    judge: null,
    rateLimit: null,
    reviewExpiryMs: null,
    reviewExpiryEffect: 'deny',
    bootstrapApiKey: null,
    apiKeyEnv: 'test',
    minimumConfidenceScore: 0.75,
    signingKey: null,
    maxBodyBytes: 1024 * 1024,
    writeQueue: { maxQueue: 10_000, maxBatch: 1024 },
    ...storeConfig(dataDir),
    ...overrides,
  }
}

export interface Harness {
  server: VaultServer & { port: number }
  base: string
  dataDir: string
  /** API keys by name, created in tenant A unless named `b-…`. */
  keys: Record<'agent' | 'reviewer' | 'admin' | 'bAgent' | 'bAdmin', string>
  tenantA: TenantId
  tenantB: TenantId
}

export interface HarnessOptions extends Omit<Partial<VaultServerOptions>, 'config'> {
  config?: Partial<VaultServerConfig>
  clock?: Clock
}

export async function startHarness(t: { after(fn: () => unknown): void }, options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledgix-vault-'))
  const { config, ...rest } = options
  const server = await startVaultServer({ ...rest, config: vaultConfig(dataDir, config) })
  t.after(async () => {
    await server.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  const tenantA = 'tenant-a' as TenantId
  const tenantB = 'tenant-b' as TenantId
  const store = server.context.store
  const now = Date.now()
  const make = (tenant: TenantId, role: ApiKeyRole, name: string): { text: string; op: { op: 'api_key_insert'; key: ReturnType<typeof newApiKey>['record'] } } => {
    const k = newApiKey(tenant, role, name, 'test', now)
    return { text: k.apiKey, op: { op: 'api_key_insert', key: k.record } }
  }
  const agent = make(tenantA, 'agent', 'agent')
  const reviewer = make(tenantA, 'reviewer', 'reviewer')
  const admin = make(tenantA, 'admin', 'admin')
  const bAgent = make(tenantB, 'agent', 'b-agent')
  const bAdmin = make(tenantB, 'admin', 'b-admin')
  const result = await store.write([
    { op: 'tenant_insert', tenant: { tenantId: tenantA, name: 'A', createdAtMs: now } },
    { op: 'tenant_insert', tenant: { tenantId: tenantB, name: 'B', createdAtMs: now } },
    agent.op, reviewer.op, admin.op, bAgent.op, bAdmin.op,
  ])
  if (!result.ok) throw new Error('harness seed failed')
  return {
    server,
    base: `http://127.0.0.1:${server.port}`,
    dataDir,
    keys: { agent: agent.text, reviewer: reviewer.text, admin: admin.text, bAgent: bAgent.text, bAdmin: bAdmin.text },
    tenantA,
    tenantB,
  }
}

export interface JsonResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: any
  text: string
}

/** One HTTP call; `body` objects are JSON-encoded, strings sent raw. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { key?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers }
  if (options.key !== undefined && options.key !== null) headers['x-vault-api-key'] = options.key
  const payload = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
  const res = await undiciRequest(base + path, { method: method as 'GET', headers, ...(payload === undefined ? {} : { body: payload }) })
  const text = await res.body.text()
  let body: unknown = null
  try {
    body = text === '' ? null : JSON.parse(text)
  } catch {
    body = null
  }
  return { status: res.statusCode, headers: res.headers, body, text }
}

/** A policy with structured rules: payments up to 1000 allowed, above to review, refunds denied. */
export const PAYMENTS_POLICY = {
  policy_id: 'payments-prod',
  description: 'Controls automated payment creation',
  tools: ['create_stripe_payment', 'stripe_refund'],
  rules: [
    { id: 'refunds-denied', description: 'no refunds', when: 'tool_name == "stripe_refund"', effect: 'deny', reason: 'Refunds need a human.' },
    { id: 'big-review', description: 'big payments', when: 'tool_name == "create_stripe_payment" && double(tool_args.amount) > 1000.0', effect: 'review', reason: 'Payments above 1000 need review.' },
    { id: 'small-allow', description: 'small payments', when: 'tool_name == "create_stripe_payment" && double(tool_args.amount) <= 1000.0', effect: 'allow', reason: 'Payment within the automatic limit.' },
  ],
}

export async function registerPayments(h: Harness): Promise<void> {
  const res = await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: PAYMENTS_POLICY })
  if (res.status !== 200) throw new Error(`register failed: ${res.status} ${res.text}`)
}
