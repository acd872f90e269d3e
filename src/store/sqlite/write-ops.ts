// Prepared statements of the writer connection and the function that applies one caller's ops.
// Guards (burn, clearance insert/update, idempotency, revoke, ledger seal) are INSERT OR IGNORE / conditional
// UPDATEs whose `changes` count decides: no exceptions on the expected paths.
import type Database from 'better-sqlite3'
import type { BurnRefusal, ClearanceRecord, WriteOp } from '../types.ts'
import { GuardFailure, type OpApplier } from './group-commit.ts'
import { createDriftApplier } from './drift-ops.ts'
import { createReportApplier } from './report-ops.ts'
import { createDashboardApplier } from './dashboard-ops.ts'
import { createLedgerApplier } from './ledger-ops.ts'
import { createOutboxApplier } from './outbox-ops.ts'
import { createDashboardApiApplier } from './dashboard-api-ops.ts'
import type { ReadCache } from './read-cache.ts'

const WRONG_TENANT: BurnRefusal = { code: 'token_wrong_tenant', lockReason: null }
const REPLAYED: BurnRefusal = { code: 'token_replayed', lockReason: null }

/** The clearances columns in insert order; the PostgreSQL driver uses the same list and params. */
export const CLEARANCE_COLUMNS = [
  'tenant_id', 'request_id', 'kind', 'status', 'decision_status', 'token', 'jti', 'reason', 'reason_code',
  'confidence', 'confidence_bucket', 'minimum_confidence_score', 'minimum_confidence_bucket', 'policy_id',
  'policy_version_id', 'policy_content_hash', 'tool_name', 'tool_args', 'tool_args_hash', 'agent_id', 'session_id',
  'context', 'matched_rule_ids', 'review_state', 'review_expires_at', 'reviewer', 'review_reason',
  'parent_request_id', 'created_at', 'updated_at', 'decided_by_key_id', 'decided_by_role', 'decision_channel',
] as const

function placeholders(n: number): string {
  return new Array(n).fill('?').join(', ')
}

export function clearanceParams(c: ClearanceRecord): unknown[] {
  return [
    c.tenantId, c.requestId, c.kind, c.status, c.decisionStatus, c.token, c.jti, c.reason, c.reasonCode,
    c.confidence, c.confidenceBucket, c.minimumConfidenceScore, c.minimumConfidenceBucket, c.policyId,
    c.policyVersionId, c.policyContentHash, c.toolName, JSON.stringify(c.toolArgs), c.toolArgsHash, c.agentId,
    c.sessionId, JSON.stringify(c.context), JSON.stringify(c.matchedRuleIds), c.reviewState, c.reviewExpiresAtMs,
    c.reviewer, c.reviewReason, c.parentRequestId, c.createdAtMs, c.updatedAtMs, c.decidedByKeyId, c.decidedByRole, c.decisionChannel,
  ]
}

type TokenBurnOp = Extract<WriteOp, { op: 'token_burn' }>

interface BurnStatements {
  tokenTenant: Database.Statement
  lockOf: Database.Statement
  burn: Database.Statement
}

/** The consume checks of `token_burn`, in burnVerified's order; null = burned. */
function burnChecked(s: BurnStatements, op: TokenBurnOp): BurnRefusal | null {
  const minted = s.tokenTenant.get(op.jti) as string | undefined
  let tenantId: string
  if (minted !== undefined) {
    if (op.callerTenant !== null && minted !== op.callerTenant) return WRONG_TENANT
    tenantId = minted
  } else {
    // Signed by our ring but minted elsewhere (a Vault sharing the key): burn under the caller.
    tenantId = op.callerTenant ?? '*'
  }
  const lock = s.lockOf.get(tenantId, op.agentId) as { locked: number; reason: string } | undefined
  if (lock !== undefined && lock.locked === 1) return { code: 'agent_locked', lockReason: lock.reason }
  return s.burn.run(op.jti, tenantId, op.agentId, op.expSeconds, op.atMs).changes === 1 ? null : REPLAYED
}

type RotateOp = Extract<WriteOp, { op: 'signing_key_rotate' }>

interface RotateStatements {
  activeSigningKids: Database.Statement
  retireSigningKey: Database.Statement
  signingKeyInsert: Database.Statement
  bumpKeyRing: Database.Statement
  secretInsert: Database.Statement
}

/** The guarded rotation: false (nothing written) unless the active set is exactly what the caller saw. */
function rotated(s: RotateStatements, op: RotateOp): boolean {
  const active = s.activeSigningKids.all() as string[]
  const expected = [...op.expectActive].sort()
  if (active.length !== expected.length || active.some((kid, i) => kid !== expected[i])) return false
  for (const kid of active) s.retireSigningKey.run(op.atMs, kid)
  const k = op.key
  if (s.signingKeyInsert.run(k.kid, k.publicX, k.activeFromMs, null, null, k.source).changes !== 1) return false
  if (op.secret !== undefined) s.secretInsert.run(k.kid, Buffer.from(op.secret), op.atMs)
  s.bumpKeyRing.run()
  return true
}

/**
 * Builds the applier for one writer connection (statements prepared once). `cache` hears of every
 * applied op that changes a table it mirrors.
 */
export function createOpApplier(db: Database.Database, cache: ReadCache | null = null): OpApplier {
  const s = {
    // OR IGNORE: a duplicate id is the guard's answer (changes = 0), never a constraint exception.
    tenantInsert: db.prepare('INSERT OR IGNORE INTO tenants (tenant_id, name, created_at) VALUES (?, ?, ?)'),
    apiKeyInsert: db.prepare(
      'INSERT INTO api_keys (key_id, tenant_id, key_hash, prefix, role, name, created_at, revoked_at, last_used_at, expires_at, replaced_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    apiKeyRevoke: db.prepare('UPDATE api_keys SET revoked_at = ? WHERE tenant_id = ? AND key_id = ? AND revoked_at IS NULL'),
    signingKeyUpsert: db.prepare(
      `INSERT INTO signing_keys (kid, public_x, active_from, retired_at, revoked_at, source) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(kid) DO UPDATE SET public_x = excluded.public_x, active_from = excluded.active_from,
         retired_at = excluded.retired_at, revoked_at = excluded.revoked_at, source = excluded.source`,
    ),
    activeSigningKids: db.prepare('SELECT kid FROM signing_keys WHERE retired_at IS NULL AND revoked_at IS NULL ORDER BY kid').pluck(),
    retireSigningKey: db.prepare('UPDATE signing_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL AND revoked_at IS NULL'),
    signingKeyInsert: db.prepare(
      'INSERT OR IGNORE INTO signing_keys (kid, public_x, active_from, retired_at, revoked_at, source) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    bumpKeyRing: db.prepare('UPDATE key_ring_generation SET generation = generation + 1 WHERE id = 1'),
    secretInsert: db.prepare('INSERT INTO signing_key_secrets (kid, sealed, created_at) VALUES (?, ?, ?)'),
    burn: db.prepare('INSERT OR IGNORE INTO burns (jti, tenant_id, agent_id, exp, burned_at) VALUES (?, ?, ?, ?, ?)'),
    tokenTenant: db.prepare('SELECT tenant_id FROM tokens WHERE jti = ?').pluck(),
    lockOf: db.prepare('SELECT locked, reason FROM agent_locks WHERE tenant_id = ? AND agent_id = ?'),
    tokenInsert: db.prepare(
      'INSERT INTO tokens (jti, tenant_id, request_id, agent_id, tool_name, kid, exp, minted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    clearanceInsert: db.prepare(
      `INSERT OR IGNORE INTO clearances (${CLEARANCE_COLUMNS.join(', ')}) VALUES (${placeholders(CLEARANCE_COLUMNS.length)})`,
    ),
    clearanceUpdate: db.prepare(
      `UPDATE clearances SET ${CLEARANCE_COLUMNS.slice(2).map((c) => `${c} = ?`).join(', ')}
       WHERE tenant_id = ? AND request_id = ? AND status = ?`,
    ),
    idempotencyInsert: db.prepare(
      `INSERT OR IGNORE INTO idempotency (tenant_id, route, idem_key, body_hash, request_id, status_code, response, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    policyInsert: db.prepare(
      'INSERT INTO policies (tenant_id, policy_id, version_id, description, document, content_hash, created_at, author_key_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    settingsPut: db.prepare(
      `INSERT INTO settings (tenant_id, kind, value, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(tenant_id, kind) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    ),
    lockPut: db.prepare(
      `INSERT INTO agent_locks (tenant_id, agent_id, locked, actor, reason, changed_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(tenant_id, agent_id) DO UPDATE SET locked = excluded.locked, actor = excluded.actor,
         reason = excluded.reason, changed_at = excluded.changed_at`,
    ),
    lockEvent: db.prepare(
      'INSERT INTO agent_lock_events (tenant_id, agent_id, locked, actor, reason, changed_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
  }

  const ledger = createLedgerApplier(db)
  const drift = createDriftApplier(db)
  const outbox = createOutboxApplier(db)
  const report = createReportApplier(db)
  const dashboard = createDashboardApplier(db)
  const dashboardApi = createDashboardApiApplier(db)

  return function applyOps(ops: readonly WriteOp[]): void {
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!
      let passed = true
      switch (op.op) {
        case 'tenant_insert':
          passed = s.tenantInsert.run(op.tenant.tenantId, op.tenant.name, op.tenant.createdAtMs).changes === 1 || op.ifMissing === true
          break
        case 'api_key_insert': {
          const k = op.key
          s.apiKeyInsert.run(k.keyId, k.tenantId, k.keyHash, k.prefix, k.role, k.name, k.createdAtMs, k.revokedAtMs, k.lastUsedAtMs, k.expiresAtMs ?? null, k.replacedByKeyId ?? null)
          break
        }
        case 'api_key_revoke':
          passed = s.apiKeyRevoke.run(op.atMs, op.tenantId, op.keyId).changes === 1
          cache?.applied(op)
          break
        case 'signing_key_upsert': {
          const k = op.key
          s.signingKeyUpsert.run(k.kid, k.publicX, k.activeFromMs, k.retiredAtMs, k.revokedAtMs, k.source)
          s.bumpKeyRing.run()
          break
        }
        case 'signing_key_rotate':
          passed = rotated(s, op)
          break
        case 'burn':
          passed = s.burn.run(op.jti, op.tenantId, op.agentId, op.expSeconds, op.atMs).changes === 1
          break
        case 'token_burn': {
          const refusal = burnChecked(s, op)
          if (refusal !== null) throw new GuardFailure(i, op.op, refusal)
          break
        }
        case 'token_insert': {
          const t = op.token
          const lock = s.lockOf.get(t.tenantId, t.agentId) as { locked: number; reason: string } | undefined
          if (lock !== undefined && lock.locked === 1) throw new GuardFailure(i, op.op, { code: 'agent_locked', lockReason: lock.reason })
          s.tokenInsert.run(t.jti, t.tenantId, t.requestId, t.agentId, t.toolName, t.kid, t.expSeconds, t.mintedAtMs)
          break
        }
        case 'clearance_insert':
          passed = s.clearanceInsert.run(clearanceParams(op.clearance)).changes === 1
          break
        case 'clearance_update': {
          const p = clearanceParams(op.clearance)
          passed = s.clearanceUpdate.run([...p.slice(2), p[0], p[1], op.expectStatus]).changes === 1
          break
        }
        case 'event_insert':
        case 'ledger_seal':
        case 'ledger_data_key_insert':
          passed = ledger(op)
          break
        case 'drift_state_put':
        case 'drift_event_insert':
          passed = drift(op)
          break
        case 'notify_event_insert':
        case 'notify_event_expand':
        case 'outbox_lease':
        case 'outbox_settle':
        case 'outbox_retry':
          passed = outbox(op)
          break
        case 'report_insert':
        case 'report_update':
        case 'report_artifact_insert':
        case 'report_share_insert':
        case 'report_share_revoke':
        case 'report_share_view':
          passed = report(op)
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
          passed = dashboard(op)
          break
        case 'api_key_rotate':
          passed = dashboardApi(op)
          cache?.applied(op)
          break
        case 'idempotency_insert': {
          const r = op.record
          passed =
            s.idempotencyInsert.run(r.tenantId, r.route, r.key, r.bodyHash, r.requestId, r.statusCode, r.responseJson, r.createdAtMs)
              .changes === 1
          break
        }
        case 'policy_insert': {
          const p = op.policy
          s.policyInsert.run(p.tenantId, p.policyId, p.versionId, p.description, p.documentJson, p.contentHash, p.createdAtMs, p.authorKeyId ?? null)
          break
        }
        case 'settings_put':
          s.settingsPut.run(op.tenantId, op.kind, op.valueJson, op.atMs)
          cache?.applied(op)
          break
        case 'agent_lock_put': {
          const l = op.lock
          s.lockPut.run(l.tenantId, l.agentId, l.locked ? 1 : 0, l.actor, l.reason, l.changedAtMs)
          s.lockEvent.run(l.tenantId, l.agentId, l.locked ? 1 : 0, l.actor, l.reason, l.changedAtMs)
          cache?.applied(op)
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
}
