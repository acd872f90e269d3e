// Multi-row statements for the two writes that dominate the PostgreSQL store's load: token burns
// (`/consume-token`) and decision appends (`/request-clearance`: clearance + minted token +
// idempotency record + ledger event). The group committer (group-commit.ts) hands a run of
// consecutive callers of one shape to these functions instead of running each caller in its own
// SAVEPOINT with its own round trips, so a batch of N burns costs four statements, not 5·N.
//
// Every guard keeps its meaning and its per-caller answer:
// - Burns: the mint record's tenant and the shared agent lock are read for the whole run in one
//   statement; the lock rows and the `INSERT … ON CONFLICT DO NOTHING RETURNING jti` run in a second
//   statement (a new READ COMMITTED snapshot, taken after every lock was granted), which reports per
//   item whether it was locked and whether it burned. A jti that appears twice in one run is split
//   into rounds (its second caller runs after the first), so the answers equal a one-by-one run.
// - Appends are optimistic: the run's rows go in with one statement per table, and every guard
//   (new request id, new Idempotency-Key, agent not locked, no duplicate row) must hold for every
//   caller. If any does not, `applyAppendRun` returns false and the committer rolls the run back to
//   its savepoint and replays its callers one by one, which answers each exactly as before.
import type { PoolClient } from 'pg'
import type { BurnRefusal, WriteOp } from '../types.ts'
import { CLEARANCE_COLUMNS, clearanceParams } from '../sqlite/write-ops.ts'
import { EVENT_COLUMNS } from '../sqlite/ledger-ops.ts'
import { eventParams } from './ledger-ops.ts'

export type TokenBurnOp = Extract<WriteOp, { op: 'token_burn' }>
type ClearanceInsertOp = Extract<WriteOp, { op: 'clearance_insert' }>
type TokenInsertOp = Extract<WriteOp, { op: 'token_insert' }>
type IdempotencyInsertOp = Extract<WriteOp, { op: 'idempotency_insert' }>
type EventInsertOp = Extract<WriteOp, { op: 'event_insert' }>

const WRONG_TENANT: BurnRefusal = { code: 'token_wrong_tenant', lockReason: null }
const REPLAYED: BurnRefusal = { code: 'token_replayed', lockReason: null }

/** The kinds of op an append run may hold (all inserts into independent tables). */
const APPEND_OPS: ReadonlySet<WriteOp['op']> = new Set(['clearance_insert', 'token_insert', 'idempotency_insert', 'event_insert'])

/** How a caller can be batched: one token burn, an append of the decision's rows, or neither. */
export function batchKind(ops: readonly WriteOp[]): 'burn' | 'append' | null {
  if (ops.length === 1 && ops[0]!.op === 'token_burn') return 'burn'
  if (ops.length > 0 && ops.every((o) => APPEND_OPS.has(o.op))) return 'append'
  return null
}

const SQL = {
  // The mint record's tenant of every item, and the shared agent lock of the tenant that burns
  // (taken in key order, each key once, so two runs never wait on each other in a cycle).
  burnTenants: `WITH b AS (
       SELECT b.i, m.tenant_id AS minted, COALESCE(m.tenant_id, b.caller, '*') AS t, b.agent
       FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS b(jti, caller, agent, i)
       LEFT JOIN tokens m ON m.jti = b.jti),
     l AS (SELECT count(pg_advisory_xact_lock_shared(k)) AS n
           FROM (SELECT DISTINCT hashtextextended('agent-lock:' || t || chr(1) || agent, 0) AS k FROM b ORDER BY 1) s)
     SELECT b.i::int AS i, b.minted, (SELECT n FROM l) AS n FROM b`,
  // A new statement, so its snapshot sees every lock state committed before the locks were granted.
  burnChecked: `WITH b AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[]) WITH ORDINALITY AS b(jti, t, agent, exp, at, i)),
     lk AS (SELECT b.i, a.locked, a.reason FROM b JOIN agent_locks a ON a.tenant_id = b.t AND a.agent_id = b.agent),
     ins AS (INSERT INTO burns (jti, tenant_id, agent_id, exp, burned_at)
             SELECT b.jti, b.t, b.agent, b.exp, b.at FROM b
             WHERE NOT EXISTS (SELECT 1 FROM lk WHERE lk.i = b.i AND lk.locked = 1)
             ON CONFLICT DO NOTHING RETURNING jti)
     SELECT b.i::int AS i, lk.locked, lk.reason, ins.jti IS NOT NULL AS burned
     FROM b LEFT JOIN lk ON lk.i = b.i LEFT JOIN ins ON ins.jti = b.jti`,
  agentShared: `SELECT count(pg_advisory_xact_lock_shared(k)) FROM (
       SELECT DISTINCT hashtextextended('agent-lock:' || t || chr(1) || a, 0) AS k FROM unnest($1::text[], $2::text[]) AS u(t, a) ORDER BY 1) s`,
  anyLocked: `SELECT count(*)::int AS n FROM unnest($1::text[], $2::text[]) AS u(t, a)
       JOIN agent_locks l ON l.tenant_id = u.t AND l.agent_id = u.a WHERE l.locked = 1`,
  // The per-tenant ledger sequence lock of ledger-ops.ts, for each tenant of the run in key order.
  tenantSeqLocks: `SELECT count(pg_advisory_xact_lock(k)) FROM (
       SELECT DISTINCT hashtextextended('ledger' || chr(1) || t, 0) AS k FROM unnest($1::text[]) AS u(t) ORDER BY 1) s`,
  maxSeq: `SELECT u.t AS tenant_id, COALESCE((SELECT MAX(tenant_seq) FROM decision_events d WHERE d.tenant_id = u.t), 0) AS max
       FROM unnest($1::text[]) AS u(t)`,
} as const

/** Each item's answer: null = burned, else why not. The caller runs this inside a savepoint. */
export async function applyBurnRun(c: PoolClient, ops: readonly TokenBurnOp[]): Promise<Array<BurnRefusal | null>> {
  const out: Array<BurnRefusal | null> = new Array(ops.length).fill(null)
  // Rounds of distinct jtis: the k-th caller of a jti runs in round k, after its predecessors.
  const rounds: number[][] = []
  const seen = new Map<string, number>()
  ops.forEach((op, i) => {
    const k = seen.get(op.jti) ?? 0
    seen.set(op.jti, k + 1)
    ;(rounds[k] ??= []).push(i)
  })
  for (const round of rounds) {
    const first = await c.query<{ i: number; minted: string | null }>(SQL.burnTenants, [
      round.map((i) => ops[i]!.jti), round.map((i) => ops[i]!.callerTenant), round.map((i) => ops[i]!.agentId),
    ])
    const go: number[] = []
    const tenants: string[] = []
    for (const row of first.rows) {
      const idx = round[row.i - 1]!
      const op = ops[idx]!
      if (row.minted !== null && op.callerTenant !== null && row.minted !== op.callerTenant) {
        out[idx] = WRONG_TENANT
        continue
      }
      go.push(idx)
      // Signed by our ring but minted elsewhere (a Vault sharing the key): burn under the caller.
      tenants.push(row.minted ?? op.callerTenant ?? '*')
    }
    if (go.length === 0) continue
    const r = await c.query<{ i: number; locked: number | null; reason: string | null; burned: boolean }>(SQL.burnChecked, [
      go.map((i) => ops[i]!.jti), tenants, go.map((i) => ops[i]!.agentId), go.map((i) => ops[i]!.expSeconds), go.map((i) => ops[i]!.atMs),
    ])
    for (const row of r.rows) {
      const idx = go[row.i - 1]!
      out[idx] = row.locked === 1 ? { code: 'agent_locked', lockReason: row.reason ?? '' } : row.burned ? null : REPLAYED
    }
  }
  return out
}

/** `INSERT INTO table (cols) VALUES (…), (…)` for rows of params, chunked under PostgreSQL's 65 535 parameters. */
async function insertRows(c: PoolClient, head: string, tail: string, rows: readonly unknown[][]): Promise<number> {
  if (rows.length === 0) return 0
  const width = rows[0]!.length
  const perChunk = Math.max(1, Math.floor(60_000 / width))
  let count = 0
  for (let from = 0; from < rows.length; from += perChunk) {
    const chunk = rows.slice(from, from + perChunk)
    const values: unknown[] = []
    const tuples = chunk.map((row, r) => {
      values.push(...row)
      return `(${row.map((_, j) => `$${r * width + j + 1}`).join(', ')})`
    })
    count += (await c.query(`${head} VALUES ${tuples.join(', ')} ${tail}`, values)).rowCount ?? 0
  }
  return count
}

const CLEARANCE_HEAD = `INSERT INTO clearances (${CLEARANCE_COLUMNS.join(', ')})`
const TOKEN_HEAD = 'INSERT INTO tokens (jti, tenant_id, request_id, agent_id, tool_name, kid, exp, minted_at)'
const IDEMPOTENCY_HEAD = 'INSERT INTO idempotency (tenant_id, route, idem_key, body_hash, request_id, status_code, response, created_at)'
const EVENT_HEAD = `INSERT INTO decision_events (${EVENT_COLUMNS.join(', ')}, tenant_seq)`

/**
 * Writes every caller's rows with one statement per table. true = every guard held for every caller
 * (the run is applied); false = some guard failed: the caller must roll the run back and replay it
 * one caller at a time. Throws on a statement error (same handling).
 */
export async function applyAppendRun(c: PoolClient, callers: ReadonlyArray<readonly WriteOp[]>): Promise<boolean> {
  const clearances: ClearanceInsertOp[] = []
  const tokens: TokenInsertOp[] = []
  const idem: IdempotencyInsertOp[] = []
  const events: EventInsertOp[] = []
  for (const ops of callers) {
    for (const op of ops) {
      if (op.op === 'clearance_insert') clearances.push(op)
      else if (op.op === 'token_insert') tokens.push(op)
      else if (op.op === 'idempotency_insert') idem.push(op)
      else if (op.op === 'event_insert') events.push(op)
      else return false
    }
  }
  if (tokens.length > 0) {
    const t = tokens.map((o) => o.token.tenantId)
    const a = tokens.map((o) => o.token.agentId)
    await c.query(SQL.agentShared, [t, a])
    if ((await c.query<{ n: number }>(SQL.anyLocked, [t, a])).rows[0]!.n > 0) return false
  }
  if (clearances.length > 0) {
    const n = await insertRows(c, CLEARANCE_HEAD, 'ON CONFLICT DO NOTHING', clearances.map((o) => clearanceParams(o.clearance)))
    if (n !== clearances.length) return false
  }
  if (tokens.length > 0) {
    const rows = tokens.map(({ token: t }) => [t.jti, t.tenantId, t.requestId, t.agentId, t.toolName, t.kid, t.expSeconds, t.mintedAtMs])
    await insertRows(c, TOKEN_HEAD, '', rows)
  }
  if (idem.length > 0) {
    const rows = idem.map(({ record: r }) => [r.tenantId, r.route, r.key, r.bodyHash, r.requestId, r.statusCode, r.responseJson, r.createdAtMs])
    if ((await insertRows(c, IDEMPOTENCY_HEAD, 'ON CONFLICT DO NOTHING', rows)) !== idem.length) return false
  }
  if (events.length > 0) {
    // The per-tenant ledger locks are taken last: they serialize every append of the tenant, on
    // every replica, until COMMIT, so they are held for three statements and the commit only.
    const tenantsInOrder = [...new Set(events.map((e) => e.event.tenantId as string))]
    await c.query(SQL.tenantSeqLocks, [tenantsInOrder])
    // Under the per-tenant locks: MAX + 1, + 2, … in caller order, as one-by-one appends would number them.
    const max = new Map<string, number>()
    for (const row of (await c.query<{ tenant_id: string; max: number }>(SQL.maxSeq, [tenantsInOrder])).rows) max.set(row.tenant_id, Number(row.max))
    const rows = events.map(({ event: e }) => {
      const next = (max.get(e.tenantId) ?? 0) + 1
      max.set(e.tenantId, next)
      return [...eventParams(e), next]
    })
    await insertRows(c, EVENT_HEAD, '', rows)
  }
  return true
}
