// Faults with two Vault replicas on one PostgreSQL schema (real `serve` processes): the sealer
// leader SIGKILLed mid-storm (another replica takes over within seconds, one checkpoint chain, every
// acknowledged decision in the ledger, /ledger/verify intact from both replicas), this cluster's
// PostgreSQL sessions severed mid-traffic (503 while they are down, never 500, recovery after,
// nothing acknowledged lost), and an exhausted pool behind a held lock (503 within the timeouts,
// never a hang). Only this cluster's sessions are ever terminated (its own application_name).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import pg from 'pg'
import type { Reply } from '../helpers/http-client.ts'
import { PG_TEST_URL, adminQuery, skipWithoutPostgres } from '../helpers/postgres.ts'
import { startReplicaCluster } from '../helpers/replicas.ts'
import type { ReplicaCluster } from '../helpers/replicas.ts'
import { eventually, sleep } from '../helpers/serve-process.ts'

const skip = skipWithoutPostgres

interface Storm {
  /** request_id of every 200. */
  acked: string[]
  statuses: Map<number | string, number>
  stop(): Promise<void>
}

/** `workers` loops posting clearances round-robin to the live replicas until stopped. */
function storm(c: ReplicaCluster, workers: number, live: () => number[]): Storm {
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

async function assertLedgerWhole(c: ReplicaCluster, acked: readonly string[]): Promise<void> {
  // Everything appended gets sealed by whoever leads now.
  await eventually(async () => (await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM ${c.schema}.decision_events WHERE leaf_index IS NULL`))[0]!.n === 0, 15_000)
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

test('replicas: the sealer leader SIGKILLed mid-storm — another replica leads within seconds, one chain, nothing acknowledged missing', { skip }, async (t) => {
  const c = await startReplicaCluster({ vaults: 2, gateways: 0, leaderPoll: '200ms', sealInterval: '100ms' })
  t.after(() => c.close())
  await eventually(async () => (await c.leaders()).length === 1, 10_000)
  const [leader] = await c.leaders()
  const follower = 1 - leader!
  let dead = -1
  const s = storm(c, 8, () => [0, 1].filter((i) => i !== dead))
  t.after(() => s.stop())
  await eventually(() => s.acked.length >= 60, 20_000)
  c.vaults[leader!]!.child.kill('SIGKILL')
  dead = leader!
  await c.vaults[leader!]!.exited
  const killedAt = performance.now()
  await eventually(async () => (await c.leaders()).includes(follower), 10_000)
  const takeoverMs = performance.now() - killedAt
  assert.ok(takeoverMs < 5_000, `takeover after ${takeoverMs} ms`)
  const ackedAtKill = s.acked.length
  await eventually(() => s.acked.length >= ackedAtKill + 60, 20_000)
  await s.stop()
  assert.ok(![...s.statuses.keys()].includes(500), `no 500: ${JSON.stringify([...s.statuses])}`)
  // The killed replica comes back as a follower: still one leader.
  await c.restartVault(leader!)
  await sleep(600)
  assert.deepEqual(await c.leaders(), [follower])
  await assertLedgerWhole(c, s.acked)
})

test('replicas: PostgreSQL sessions severed mid-traffic — 503 while down, never 500, recovery, nothing acknowledged lost; an exhausted pool answers 503 within the timeout', { skip }, async (t) => {
  const c = await startReplicaCluster({ vaults: 2, gateways: 0, pool: '{ max: 2, connect_timeout: 1s, statement_timeout: 1500ms }' })
  t.after(() => c.close())
  const s = storm(c, 8, () => [0, 1])
  t.after(() => s.stop())
  await eventually(() => s.acked.length >= 40, 20_000)
  // The outage: every session of this cluster terminated, five times over a second.
  let severed = 0
  for (let k = 0; k < 5; k++) {
    severed += await c.severConnections()
    await sleep(200)
  }
  assert.ok(severed >= 2, `severed ${severed} sessions`)
  const ackedAfterOutage = s.acked.length
  try {
    await eventually(() => s.acked.length >= ackedAfterOutage + 60, 20_000)
  } catch (err) {
    throw new Error(`no recovery after the outage: ${JSON.stringify([...s.statuses])}; replica exits ${c.vaults.map((v) => v.child.exitCode).join(',')}: ${c.vaults.map((v) => v.stderr().slice(-500)).join(' | ')}`, { cause: err })
  } finally {
    await s.stop()
  }
  const seen = Object.fromEntries([...s.statuses].map(([k, v]) => [String(k), v]))
  assert.ok(Object.keys(seen).every((k) => k === '200' || k === '503'), `only 200 and 503: ${JSON.stringify(seen)}`)
  assert.ok((seen['503'] ?? 0) > 0, `the outage was visible as 503: ${JSON.stringify(seen)}`)
  // After it: every replica answers again.
  for (const i of [0, 1]) {
    const r = await c.post(i, '/request-clearance', { tool_name: 'pay', tool_args: { amount: 1 }, agent_id: 'after', session_id: 's' })
    assert.equal(r.status, 200, r.text)
    s.acked.push(r.json['request_id'] as string)
  }
  await assertLedgerWhole(c, s.acked)

  // Pool exhaustion: a lock held elsewhere stalls every clearance write; each caller gets 503 within
  // statement_timeout (plus connect_timeout for those waiting on the two-connection pool), never a hang.
  const holder = new pg.Client({ connectionString: PG_TEST_URL })
  await holder.connect()
  t.after(() => holder.end().catch(() => undefined))
  await holder.query('BEGIN')
  await holder.query(`LOCK TABLE ${c.schema}.clearances IN ACCESS EXCLUSIVE MODE`)
  const started = performance.now()
  const stalled = await Promise.all(
    Array.from({ length: 6 }, (_, n) => c.post(0, '/request-clearance', { tool_name: 'pay', tool_args: { amount: 1000 + n }, agent_id: 'stalled', session_id: 's' })),
  )
  const tookMs = performance.now() - started
  await holder.query('ROLLBACK')
  for (const r of stalled) {
    assert.equal(r.status, 503, r.text)
    assert.equal(r.json['code'], 'vault_unavailable')
  }
  assert.ok(tookMs < 10_000, `answered within the timeouts, not hung: ${tookMs} ms`)
  const recovered = await c.post(0, '/request-clearance', { tool_name: 'pay', tool_args: { amount: 1 }, agent_id: 'after', session_id: 's' })
  assert.equal(recovered.status, 200, recovered.text)
})
