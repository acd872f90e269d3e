// Several Vault replicas on one PostgreSQL schema, as real `ledgix-gateway serve` processes
// (vault-only mode, ephemeral loopback ports), plus paired gateway processes (gateway i pairs with
// replica i mod N) in front of one real upstream. Reusable by tests and the bench: every replica's
// sessions carry the cluster's own application_name, so a test can sever exactly its connections
// (pg_terminate_backend) and nobody else's; the schema is the test file's (testSchema(), dropped after).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import assert from 'node:assert/strict'
import { send } from './http-client.ts'
import type { Reply } from './http-client.ts'
import { PG_TEST_URL, adminQuery, testSchema } from './postgres.ts'
import { eventually, sleep, spawnServe } from './serve-process.ts'
import type { ServeProcess } from './serve-process.ts'
import { Upstream } from './upstream.ts'

export const REPLICA_API_KEY = 'sk_test_replicas_bootstrap'
export const REPLICA_ADMIN_KEY = 'adm_test_replicas'

/** Allows every call of `pay`, sends every call of `wire` to human review. */
export const REPLICA_POLICY = `policy_id: replicas
tools: [pay, wire]
rules:
  - id: review-wires
    when: "tool_name == 'wire'"
    effect: review
    reason: wires need a human
  - id: allow-pay
    when: "true"
    effect: allow
    reason: test cluster
`

export interface ReplicaClusterOptions {
  /** Vault replica processes (default 2). */
  vaults?: number
  /** Paired gateway processes (default 2; 0 = none, no upstream either). */
  gateways?: number
  /** YAML list items under a gateway's routes:, UPSTREAM replaced (default: /v1 → upstream, tools [pay]). */
  routes?: string
  /** The policies_dir file every replica loads (default REPLICA_POLICY). */
  policy?: string
  /** store.pool flow map (default `{ max: 4, connect_timeout: 2s, statement_timeout: 5s }`). */
  pool?: string
  /** store.leader_poll (default 200ms). */
  leaderPoll?: string
  /** ledger.seal_interval (default 100ms). */
  sealInterval?: string
  /** Extra lines inside vault_server:, indented by two spaces. */
  vaultExtra?: string
  /** Existing schema to use (default a fresh testSchema()). */
  schema?: string
}

export interface ReplicaCluster {
  schema: string
  /** application_name of every replica session (pg_stat_activity), unique to this cluster. */
  appName: string
  upstream: Upstream | null
  /** Replica i (a restarted replica replaces its entry). */
  vaults: ServeProcess[]
  gateways: ServeProcess[]
  vaultUrls(): string[]
  /** Spawn replica i again (same config, same data_dir) after it died or was killed. */
  restartVault(i: number): Promise<ServeProcess>
  /** POST JSON to a replica with the bootstrap key. */
  post(i: number, path: string, body: unknown, headers?: Record<string, string>): Promise<Reply>
  get(i: number, path: string, headers?: Record<string, string>): Promise<Reply>
  /** Indexes of live replicas whose /metrics say ledgix_ledger_sealer_leader 1. */
  leaders(): Promise<number[]>
  /** pg_terminate_backend of every session of this cluster (application_name); returns how many. */
  severConnections(): Promise<number>
  close(): Promise<void>
}

function databaseUrl(appName: string): string {
  return `${PG_TEST_URL}${PG_TEST_URL.includes('?') ? '&' : '?'}application_name=${appName}`
}

export async function startReplicaCluster(options: ReplicaClusterOptions = {}): Promise<ReplicaCluster> {
  const vaultCount = options.vaults ?? 2
  const gatewayCount = options.gateways ?? 2
  const schema = options.schema ?? testSchema()
  const appName = `ledgix_rt_${randomBytes(5).toString('hex')}`
  const root = mkdtempSync(join(tmpdir(), 'ledgix-replicas-'))
  mkdirSync(join(root, 'policies'))
  writeFileSync(join(root, 'policies', 'policy.yaml'), options.policy ?? REPLICA_POLICY)
  const env = { LEDGIX_DATABASE_URL: databaseUrl(appName), LEDGIX_BOOTSTRAP_API_KEY: REPLICA_API_KEY }
  const vaultYaml = (i: number): string => `mode: vault-only
admin:
  listen: { host: 127.0.0.1, port: 0 }
logging:
  level: warn
vault_server:
  listen: { host: 127.0.0.1, port: 0 }
  data_dir: ${join(root, `vault-${i}`)}
  policies_dir: ${join(root, 'policies')}
  admin_api_key: ${REPLICA_ADMIN_KEY}
  ledger: { seal_interval: ${options.sealInterval ?? '100ms'} }
  store:
    driver: postgres
    url: \${LEDGIX_DATABASE_URL}
    schema: ${schema}
    pool: ${options.pool ?? '{ max: 4, connect_timeout: 2s, statement_timeout: 5s }'}
    leader_poll: ${options.leaderPoll ?? '200ms'}
${options.vaultExtra ?? ''}`
  const spawnVault = async (i: number): Promise<ServeProcess> => {
    const dir = join(root, `proc-vault-${i}-${randomBytes(3).toString('hex')}`)
    mkdirSync(dir)
    return spawnServe(vaultYaml(i), { env, dir, timeoutMs: 90_000 })
  }
  const vaults: ServeProcess[] = []
  const gateways: ServeProcess[] = []
  let upstream: Upstream | null = null
  const close = async (): Promise<void> => {
    await Promise.all([...gateways, ...vaults].map((p) => p.stop()))
    await upstream?.close()
    rmSync(root, { recursive: true, force: true })
  }
  try {
    // Together, as a rollout would: migrations, the bootstrap key and the first signing key are
    // each decided by the database.
    vaults.push(...(await Promise.all(Array.from({ length: vaultCount }, (_, i) => spawnVault(i)))))
    if (gatewayCount > 0) {
      upstream = await new Upstream().start()
      const routes = (options.routes ?? `  - name: pay\n    match: { path_prefix: /v1 }\n    upstream: UPSTREAM\n    tools: [pay]\n`).replaceAll('UPSTREAM', upstream.url)
      for (let g = 0; g < gatewayCount; g++) {
        const vault = vaults[g % vaultCount]!
        const yaml = `mode: paired
gateway:
  listen: { host: 127.0.0.1, port: 0 }
  drain_timeout: 2s
admin:
  listen: { host: 127.0.0.1, port: 0 }
logging:
  level: warn
token:
  clock_skew: 0s
vault:
  url: ${vault.vaultUrl}
  api_key: ${REPLICA_API_KEY}
  timeout: 3s
routes:
${routes}`
        const gw = await spawnServe(yaml, { timeoutMs: 90_000 })
        gateways.push(gw)
        await eventually(async () => (await send(`${gw.adminUrl}/readyz`)).status === 200, 60_000)
      }
    }
  } catch (err) {
    await close()
    throw err
  }
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({ 'x-vault-api-key': REPLICA_API_KEY, ...extra })
  return {
    schema,
    appName,
    get upstream() {
      return upstream
    },
    vaults,
    gateways,
    vaultUrls: () => vaults.map((v) => v.vaultUrl),
    async restartVault(i) {
      await vaults[i]!.stop()
      vaults[i] = await spawnVault(i)
      return vaults[i]!
    },
    post: (i, path, body, extra) =>
      send(`${vaults[i]!.vaultUrl}${path}`, { method: 'POST', headers: headers({ 'content-type': 'application/json', ...extra }), body: JSON.stringify(body) }),
    get: (i, path, extra) => send(`${vaults[i]!.vaultUrl}${path}`, { headers: headers(extra) }),
    async leaders() {
      const out: number[] = []
      for (let i = 0; i < vaults.length; i++) {
        const v = vaults[i]!
        if (v.child.exitCode !== null || v.child.signalCode !== null) continue
        const text = (await send(`${v.adminUrl}/metrics`).catch(() => null))?.text ?? ''
        if (/^ledgix_ledger_sealer_leader 1$/m.test(text)) out.push(i)
      }
      return out
    },
    async severConnections() {
      const rows = await adminQuery<{ ok: boolean }>('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1', [appName])
      return rows.filter((r) => r.ok).length
    },
    close,
  }
}

export interface Storm {
  /** request_id of every 200. */
  acked: string[]
  statuses: Map<number | string, number>
  stop(): Promise<void>
}

/** `workers` loops posting clearances round-robin to the live replicas until stopped. */
export function storm(c: ReplicaCluster, workers: number, live: () => number[]): Storm {
  const acked: string[] = []
  const statuses = new Map<number | string, number>()
  let running = true
  let n = 0
  const loop = async (): Promise<void> => {
    while (running) {
      const targets = live()
      const i = targets[n++ % targets.length]!
      let r: Reply | null = null
      try {
        r = await c.post(i, '/request-clearance', { tool_name: 'pay', tool_args: { amount: n }, agent_id: 'storm', session_id: 's' })
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'error'
        statuses.set(code, (statuses.get(code) ?? 0) + 1)
        await sleep(5)
        continue
      }
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
      if (r.status === 200) acked.push(r.json['request_id'] as string)
      else await sleep(5)
    }
  }
  const loops = Array.from({ length: workers }, () => loop())
  return {
    acked,
    statuses,
    async stop() {
      running = false
      await Promise.all(loops)
    },
  }
}

export async function assertLedgerWhole(c: ReplicaCluster, acked: readonly string[]): Promise<void> {
  // Everything appended gets sealed by whoever leads now.
  await eventually(async () => (await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM ${c.schema}.decision_events WHERE leaf_index IS NULL`))[0]!.n === 0, 30_000)
  const present = await adminQuery<{ request_id: string }>(`SELECT request_id FROM ${c.schema}.decision_events WHERE request_id = ANY($1::text[])`, [acked])
  assert.equal(new Set(present.map((r) => r.request_id)).size, acked.length, 'every acknowledged decision is in the ledger')
  const chain = await adminQuery<{ tenant_id: string; checkpoint_id: number; tree_size: number; prev_checkpoint_hash: string; checkpoint_hash: string }>(
    `SELECT tenant_id, checkpoint_id::int, tree_size::int, prev_checkpoint_hash, checkpoint_hash FROM ${c.schema}.ledger_checkpoints ORDER BY tenant_id, checkpoint_id`,
  )
  assert.ok(chain.length > 0)
  for (let i = 0; i < chain.length; i++) {
    assert.equal(chain[i]!.checkpoint_id, i + 1, 'checkpoint ids 1..n: no gap, no duplicate')
    if (i > 0) {
      assert.equal(chain[i]!.prev_checkpoint_hash, chain[i - 1]!.checkpoint_hash, 'one chain, no fork')
      assert.ok(chain[i]!.tree_size > chain[i - 1]!.tree_size)
    }
  }
  const sizes: number[] = []
  for (let i = 0; i < c.vaults.length; i++) {
    const v = await c.get(i, '/ledger/verify')
    assert.equal(v.status, 200, v.text)
    assert.equal(v.json['intact'], true, `replica ${i}: ${v.text}`)
    sizes.push(v.json['tree_size'] as number)
  }
  assert.equal(new Set(sizes).size, 1, `both replicas verify the same tree: ${sizes.join(',')}`)
  assert.equal(sizes[0], chain[chain.length - 1]!.tree_size)
}

/**
 * Polls `changed` until it holds (and keeps holding for three more polls); returns how long after the
 * start the last poll that still saw the old state was *sent* — how stale the replica was, measured so
 * that a slow answer on a loaded machine does not count against it.
 */
export async function staleness(changed: () => Promise<boolean>): Promise<number> {
  const t0 = performance.now()
  let lastStale = 0
  let fresh = 0
  while (fresh < 3) {
    const sentAt = performance.now() - t0
    if (sentAt > 15_000) return Infinity
    if (await changed()) fresh++
    else {
      fresh = 0
      lastStale = sentAt
    }
    await sleep(10)
  }
  return lastStale
}
