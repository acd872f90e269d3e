// The PostgreSQL driver's op applier: one caller's ops, in order, on the batch's client inside that
// caller's SAVEPOINT. Every guard has the SQLite driver's meaning and is decided by the database for
// every replica: unique keys (INSERT … ON CONFLICT DO NOTHING, rowCount 0 = the guard failed),
// conditional UPDATEs (READ COMMITTED re-checks the WHERE against the row a concurrent writer just
// committed), the key-ring row lock for rotations, and advisory transaction locks where a guard reads
// a row that another replica may be about to write (agent locks against burns and mints; the
// per-tenant sequence of ledger and drift events).
import type { PoolClient } from 'pg'
import type { BurnRefusal, WriteOp } from '../types.ts'
import { GuardFailure } from '../sqlite/group-commit.ts'
import { CLEARANCE_COLUMNS, clearanceParams } from '../sqlite/write-ops.ts'
import { applyPgLedgerOp, applyPgDriftOp, applyPgOutboxOp } from './ledger-ops.ts'
import { applyPgReportOp } from './report-ops.ts'
import { applyPgDashboardOp } from './dashboard-ops.ts'
import { applyPgDashboardApiOp } from './dashboard-api-ops.ts'
import { NOTIFY_KEYS_SQL } from './key-cache.ts'

const WRONG_TENANT: BurnRefusal = { code: 'token_wrong_tenant', lockReason: null }
const REPLAYED: BurnRefusal = { code: 'token_replayed', lockReason: null }


/** `$from, $from+1, …` for n parameters. */
export function params(n: number, from = 1): string {
  return Array.from({ length: n }, (_, i) => `$${i + from}`).join(', ')
}


/** The advisory key of one (tenant, agent) lock state: burns and mints share it, agent_lock_put owns it. */
const AGENT_KEY = "hashtextextended('agent-lock:' || $1::text || chr(1) || $2::text, 0)"

const SQL = {
  tenantInsert: 'INSERT INTO tenants (tenant_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
  apiKeyInsert:
    'INSERT INTO api_keys (key_id, tenant_id, key_hash, prefix, role, name, created_at, revoked_at, last_used_at, expires_at, replaced_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)',
  apiKeyRevoke: 'UPDATE api_keys SET revoked_at = $1 WHERE tenant_id = $2 AND key_id = $3 AND revoked_at IS NULL',
  signingKeyUpsert: `INSERT INTO signing_keys (kid, public_x, active_from, retired_at, revoked_at, source) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (kid) DO UPDATE SET public_x = excluded.public_x, active_from = excluded.active_from,
       retired_at = excluded.retired_at, revoked_at = excluded.revoked_at, source = excluded.source`,
  // The rotation's guard reads the ring under this row lock, so two replicas' rotations serialize.
  lockKeyRing: 'SELECT generation FROM key_ring_generation WHERE id = 1 FOR UPDATE',
  activeSigningKids: 'SELECT kid FROM signing_keys WHERE retired_at IS NULL AND revoked_at IS NULL ORDER BY kid',
  retireSigningKeys: 'UPDATE signing_keys SET retired_at = $1 WHERE kid = ANY($2::text[]) AND retired_at IS NULL AND revoked_at IS NULL',
  signingKeyInsert:
    'INSERT INTO signing_keys (kid, public_x, active_from, retired_at, revoked_at, source) VALUES ($1, $2, $3, NULL, NULL, $4) ON CONFLICT DO NOTHING',
  bumpKeyRing: 'UPDATE key_ring_generation SET generation = generation + 1 WHERE id = 1',
  secretInsert: 'INSERT INTO signing_key_secrets (kid, sealed, created_at) VALUES ($1, $2, $3)',
  burn: 'INSERT INTO burns (jti, tenant_id, agent_id, exp, burned_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
  // Step 1 of token_burn: the mint record's tenant, and the shared lock on the burning tenant's agent
  // state (tokens are immutable, so which tenant burns is fixed before the lock is taken).
  burnTenant: `SELECT m.tenant_id AS minted, pg_advisory_xact_lock_shared(hashtextextended('agent-lock:' || COALESCE(m.tenant_id, $2::text, '*') || chr(1) || $3::text, 0)) AS l
     FROM (SELECT (SELECT tenant_id FROM tokens WHERE jti = $1) AS tenant_id) m`,
  // Step 2, a new statement (a new READ COMMITTED snapshot, taken after the lock was granted): the lock
  // row and the burn together; nothing is inserted when the agent is locked.
  burnChecked: `WITH lk AS (SELECT locked, reason FROM agent_locks WHERE tenant_id = $1 AND agent_id = $2),
       ins AS (INSERT INTO burns (jti, tenant_id, agent_id, exp, burned_at)
               SELECT $3, $1, $2, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM lk WHERE locked = 1)
               ON CONFLICT DO NOTHING RETURNING 1)
     SELECT (SELECT locked FROM lk) AS locked, (SELECT reason FROM lk) AS reason, (SELECT count(*) FROM ins)::int AS burned`,
  agentShared: `SELECT pg_advisory_xact_lock_shared(${AGENT_KEY})`,
  agentExclusive: `SELECT pg_advisory_xact_lock(${AGENT_KEY})`,
  lockOf: 'SELECT locked, reason FROM agent_locks WHERE tenant_id = $1 AND agent_id = $2',
  tokenInsert: 'INSERT INTO tokens (jti, tenant_id, request_id, agent_id, tool_name, kid, exp, minted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
  clearanceInsert: `INSERT INTO clearances (${CLEARANCE_COLUMNS.join(', ')}) VALUES (${params(CLEARANCE_COLUMNS.length)}) ON CONFLICT DO NOTHING`,
  clearanceUpdate: `UPDATE clearances SET ${CLEARANCE_COLUMNS.slice(2).map((c, i) => `${c} = $${i + 1}`).join(', ')}
     WHERE tenant_id = $${CLEARANCE_COLUMNS.length - 1} AND request_id = $${CLEARANCE_COLUMNS.length} AND status = $${CLEARANCE_COLUMNS.length + 1}`,
  idempotencyInsert: `INSERT INTO idempotency (tenant_id, route, idem_key, body_hash, request_id, status_code, response, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
  policyInsert:
    'INSERT INTO policies (tenant_id, policy_id, version_id, description, document, content_hash, created_at, author_key_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
  settingsPut: `INSERT INTO settings (tenant_id, kind, value, updated_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, kind) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  lockPut: `INSERT INTO agent_locks (tenant_id, agent_id, locked, actor, reason, changed_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (tenant_id, agent_id) DO UPDATE SET locked = excluded.locked, actor = excluded.actor, reason = excluded.reason, changed_at = excluded.changed_at`,
  lockEvent: 'INSERT INTO agent_lock_events (tenant_id, agent_id, locked, actor, reason, changed_at) VALUES ($1, $2, $3, $4, $5, $6)',
} as const

type TokenBurnOp = Extract<WriteOp, { op: 'token_burn' }>
type RotateOp = Extract<WriteOp, { op: 'signing_key_rotate' }>

/** The consume checks of `token_burn`, in the SQLite driver's order; null = burned. */
async function burnChecked(c: PoolClient, op: TokenBurnOp): Promise<BurnRefusal | null> {
  const first = await c.query<{ minted: string | null }>(SQL.burnTenant, [op.jti, op.callerTenant, op.agentId])
  const minted = first.rows[0]?.minted ?? null
  if (minted !== null && op.callerTenant !== null && minted !== op.callerTenant) return WRONG_TENANT
  // Signed by our ring but minted elsewhere (a Vault sharing the key): burn under the caller.
  const tenantId = minted ?? op.callerTenant ?? '*'
  const r = await c.query<{ locked: number | null; reason: string | null; burned: number }>(SQL.burnChecked, [
    tenantId, op.agentId, op.jti, op.expSeconds, op.atMs,
  ])
  const row = r.rows[0]!
  if (row.locked === 1) return { code: 'agent_locked', lockReason: row.reason ?? '' }
  return row.burned === 1 ? null : REPLAYED
}

/** The guarded rotation: false (nothing written) unless the active set is exactly what the caller saw. */
async function rotated(c: PoolClient, op: RotateOp): Promise<boolean> {
  await c.query(SQL.lockKeyRing)
  const active = (await c.query<{ kid: string }>(SQL.activeSigningKids)).rows.map((r) => r.kid)
  const expected = [...op.expectActive].sort()
  if (active.length !== expected.length || active.some((kid, i) => kid !== expected[i])) return false
  await c.query(SQL.retireSigningKeys, [op.atMs, active])
  const k = op.key
  if ((await c.query(SQL.signingKeyInsert, [k.kid, k.publicX, k.activeFromMs, k.source])).rowCount !== 1) return false
  if (op.secret !== undefined) await c.query(SQL.secretInsert, [k.kid, Buffer.from(op.secret), op.atMs])
  await c.query(SQL.bumpKeyRing)
  return true
}

/** Applies one caller's ops in order; throws GuardFailure when a guarded op finds its condition false. */
export async function applyPgOps(c: PoolClient, ops: readonly WriteOp[]): Promise<void> {
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!
    let passed = true
    switch (op.op) {
      case 'tenant_insert':
        passed = (await c.query(SQL.tenantInsert, [op.tenant.tenantId, op.tenant.name, op.tenant.createdAtMs])).rowCount === 1 || op.ifMissing === true
        break
      case 'api_key_insert': {
        const k = op.key
        await c.query(SQL.apiKeyInsert, [k.keyId, k.tenantId, k.keyHash, k.prefix, k.role, k.name, k.createdAtMs, k.revokedAtMs, k.lastUsedAtMs, k.expiresAtMs ?? null, k.replacedByKeyId ?? null])
        break
      }
      case 'api_key_revoke':
        passed = (await c.query(SQL.apiKeyRevoke, [op.atMs, op.tenantId, op.keyId])).rowCount === 1
        // Delivered at COMMIT to every replica's key cache (key-cache.ts); rolled back with a failed savepoint.
        if (passed) await c.query(NOTIFY_KEYS_SQL)
        break
      case 'signing_key_upsert': {
        const k = op.key
        await c.query(SQL.signingKeyUpsert, [k.kid, k.publicX, k.activeFromMs, k.retiredAtMs, k.revokedAtMs, k.source])
        await c.query(SQL.bumpKeyRing)
        break
      }
      case 'signing_key_rotate':
        passed = await rotated(c, op)
        break
      case 'burn':
        passed = (await c.query(SQL.burn, [op.jti, op.tenantId, op.agentId, op.expSeconds, op.atMs])).rowCount === 1
        break
      case 'token_burn': {
        const refusal = await burnChecked(c, op)
        if (refusal !== null) throw new GuardFailure(i, op.op, refusal)
        break
      }
      case 'token_insert': {
        const t = op.token
        await c.query(SQL.agentShared, [t.tenantId, t.agentId])
        const lock = (await c.query<{ locked: number; reason: string }>(SQL.lockOf, [t.tenantId, t.agentId])).rows[0]
        if (lock !== undefined && lock.locked === 1) throw new GuardFailure(i, op.op, { code: 'agent_locked', lockReason: lock.reason })
        await c.query(SQL.tokenInsert, [t.jti, t.tenantId, t.requestId, t.agentId, t.toolName, t.kid, t.expSeconds, t.mintedAtMs])
        break
      }
      case 'clearance_insert':
        passed = (await c.query(SQL.clearanceInsert, clearanceParams(op.clearance))).rowCount === 1
        break
      case 'clearance_update': {
        const p = clearanceParams(op.clearance)
        passed = (await c.query(SQL.clearanceUpdate, [...p.slice(2), p[0], p[1], op.expectStatus])).rowCount === 1
        break
      }
      case 'event_insert':
      case 'ledger_seal':
      case 'ledger_data_key_insert':
        passed = await applyPgLedgerOp(c, op)
        break
      case 'drift_state_put':
      case 'drift_event_insert':
        passed = await applyPgDriftOp(c, op)
        break
      case 'notify_event_insert':
      case 'notify_event_expand':
      case 'outbox_lease':
      case 'outbox_settle':
      case 'outbox_retry':
        passed = await applyPgOutboxOp(c, op)
        break
      case 'report_insert':
      case 'report_update':
      case 'report_artifact_insert':
      case 'report_share_insert':
      case 'report_share_revoke':
      case 'report_share_view':
        passed = await applyPgReportOp(c, op)
        break
      case 'dashboard_user_insert':
      case 'dashboard_user_update':
      case 'dashboard_bootstrap_claim':
      case 'dashboard_session_insert':
      case 'dashboard_session_touch':
      case 'dashboard_session_delete':
      case 'dashboard_sessions_revoke':
      case 'dashboard_sessions_prune':
      case 'dashboard_secret_init':
        passed = await applyPgDashboardOp(c, op)
        break
      case 'api_key_rotate':
        passed = await applyPgDashboardApiOp(c, op)
        // The old key's expiry changed: every replica's key cache drops it (as for a revocation).
        if (passed) await c.query(NOTIFY_KEYS_SQL)
        break
      case 'idempotency_insert': {
        const r = op.record
        passed = (await c.query(SQL.idempotencyInsert, [r.tenantId, r.route, r.key, r.bodyHash, r.requestId, r.statusCode, r.responseJson, r.createdAtMs]))
          .rowCount === 1
        break
      }
      case 'policy_insert': {
        const p = op.policy
        await c.query(SQL.policyInsert, [p.tenantId, p.policyId, p.versionId, p.description, p.documentJson, p.contentHash, p.createdAtMs, p.authorKeyId ?? null])
        break
      }
      case 'settings_put':
        await c.query(SQL.settingsPut, [op.tenantId, op.kind, op.valueJson, op.atMs])
        break
      case 'agent_lock_put': {
        const l = op.lock
        // Exclusive: waits for in-flight burns and mints of this agent, and holds later ones back
        // until this lock state is committed (they then read it).
        await c.query(SQL.agentExclusive, [l.tenantId, l.agentId])
        const values = [l.tenantId, l.agentId, l.locked ? 1 : 0, l.actor, l.reason, l.changedAtMs]
        await c.query(SQL.lockPut, values)
        await c.query(SQL.lockEvent, values)
        break
      }
      default: {
        const never: never = op
        throw new Error(`unknown write op ${JSON.stringify(never)}`)
      }
    }
    if (!passed) throw new GuardFailure(i, op.op)
  }
}
