// This cluster's PostgreSQL sessions severed mid-traffic (pg_terminate_backend of its own
// application_name only): two Vault replicas answer 503 while they are down, never 500, recover after,
// and lose nothing acknowledged; an exhausted pool behind a held lock answers 503 within the
// timeouts, never hangs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import pg from 'pg'
import { PG_TEST_URL, skipWithoutPostgres } from '../helpers/postgres.ts'
import { assertLedgerWhole, startReplicaCluster, storm } from '../helpers/replicas.ts'
import { eventually, sleep } from '../helpers/serve-process.ts'

const skip = skipWithoutPostgres

test('replicas: PostgreSQL sessions severed mid-traffic — 503 while down, never 500, recovery, nothing acknowledged lost; an exhausted pool answers 503 within the timeout', { skip }, async (t) => {
  const c = await startReplicaCluster({ vaults: 2, gateways: 0, pool: '{ max: 2, connect_timeout: 1s, statement_timeout: 1500ms }' })
  t.after(() => c.close())
  const s = storm(c, 8, () => [0, 1])
  t.after(() => s.stop())
  await eventually(() => s.acked.length >= 40, 60_000)
  // The outage: every session of this cluster terminated, five times over a second.
  let severed = 0
  for (let k = 0; k < 5; k++) {
    severed += await c.severConnections()
    await sleep(200)
  }
  assert.ok(severed >= 2, `severed ${severed} sessions`)
  const ackedAfterOutage = s.acked.length
  try {
    await eventually(() => s.acked.length >= ackedAfterOutage + 60, 60_000)
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
  assert.ok(tookMs < 20_000, `answered within the timeouts, not hung: ${tookMs} ms`)
  const recovered = await c.post(0, '/request-clearance', { tool_name: 'pay', tool_args: { amount: 1 }, agent_id: 'after', session_id: 's' })
  assert.equal(recovered.status, 200, recovered.text)
})
