// Versioned PostgreSQL schema, applied at open under a session advisory lock so replicas starting
// together never race (the loser waits, then finds nothing left to apply). Version numbers follow
// the SQLite driver's: version 6 here is the schema SQLite reaches after its versions 1–6 (there was
// never a PostgreSQL store before it), and the next migration of either driver is 7 in both.
// Append new versions, never edit an applied one. Column names are the SQLite driver's, so both
// drivers share one row mapping (../sqlite/rows.ts); ms timestamps are BIGINT, read as numbers.
import type { PoolClient } from 'pg'

export interface PgMigration {
  version: number
  name: string
  sql: string
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 6,
    name: 'vault schema (the SQLite driver at version 6)',
    sql: `
CREATE TABLE tenants (tenant_id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE api_keys (
  key_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id), key_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL, role TEXT NOT NULL CHECK (role IN ('agent', 'reviewer', 'admin')), name TEXT NOT NULL,
  created_at BIGINT NOT NULL, revoked_at BIGINT, last_used_at BIGINT
);
CREATE INDEX api_keys_tenant ON api_keys(tenant_id, created_at);
CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY, tenant_id TEXT NOT NULL DEFAULT '*', public_x TEXT NOT NULL, active_from BIGINT NOT NULL,
  retired_at BIGINT, revoked_at BIGINT, source TEXT NOT NULL
);
-- One row: the key-ring generation (bumped by every signing-key write) and the row a rotation locks.
CREATE TABLE key_ring_generation (id INTEGER PRIMARY KEY CHECK (id = 1), generation BIGINT NOT NULL);
INSERT INTO key_ring_generation (id, generation) VALUES (1, 0);
CREATE TABLE tokens (
  jti TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, request_id TEXT NOT NULL, agent_id TEXT NOT NULL,
  tool_name TEXT NOT NULL, kid TEXT NOT NULL, exp BIGINT NOT NULL, minted_at BIGINT NOT NULL
);
-- The burn guard: the primary key, enforced by the database for every replica.
CREATE TABLE burns (jti TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, agent_id TEXT NOT NULL, exp BIGINT NOT NULL, burned_at BIGINT NOT NULL);
CREATE TABLE clearances (
  tenant_id TEXT NOT NULL, request_id TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, decision_status TEXT,
  token TEXT, jti TEXT, reason TEXT NOT NULL, reason_code TEXT, confidence DOUBLE PRECISION NOT NULL,
  confidence_bucket TEXT NOT NULL, minimum_confidence_score DOUBLE PRECISION NOT NULL, minimum_confidence_bucket TEXT NOT NULL,
  policy_id TEXT NOT NULL, policy_version_id TEXT, policy_content_hash TEXT, tool_name TEXT NOT NULL, tool_args TEXT NOT NULL,
  tool_args_hash TEXT NOT NULL, agent_id TEXT NOT NULL, session_id TEXT NOT NULL, context TEXT NOT NULL,
  matched_rule_ids TEXT NOT NULL, review_state TEXT, review_expires_at BIGINT, reviewer TEXT, review_reason TEXT,
  parent_request_id TEXT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, decided_by_key_id TEXT, decided_by_role TEXT,
  PRIMARY KEY (tenant_id, request_id)
);
CREATE INDEX clearances_status ON clearances(tenant_id, status, created_at, request_id);
CREATE INDEX clearances_review_expiry ON clearances(review_expires_at) WHERE review_state = 'pending';
CREATE INDEX clearances_processing ON clearances(status) WHERE status = 'processing';
CREATE TABLE decision_events (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id TEXT NOT NULL, event_uuid TEXT NOT NULL UNIQUE,
  event_type TEXT NOT NULL, request_id TEXT NOT NULL, tool_name TEXT NOT NULL, tool_args TEXT NOT NULL, agent_id TEXT NOT NULL,
  policy_id TEXT NOT NULL, reason TEXT NOT NULL, citations TEXT NOT NULL, evidence_chunks TEXT NOT NULL,
  confidence DOUBLE PRECISION NOT NULL, confidence_bucket TEXT NOT NULL, decision_status TEXT NOT NULL, approved INTEGER NOT NULL,
  accepted_at TEXT NOT NULL, intent_hash TEXT NOT NULL, rule_set_hash TEXT NOT NULL, matched_rule_ids TEXT NOT NULL,
  eval_inputs_hash TEXT NOT NULL, eval_trace_hash TEXT NOT NULL, classifier_label TEXT NOT NULL,
  classifier_confidence_bucket TEXT NOT NULL, canonical_version INTEGER NOT NULL, tenant_seq BIGINT, event_hash TEXT,
  leaf_hash TEXT, receipt_algorithm TEXT, receipt_key_id TEXT, receipt_payload TEXT, receipt_signature TEXT,
  body_cipher BYTEA, leaf_index BIGINT, checkpoint_id BIGINT
);
CREATE INDEX decision_events_tenant ON decision_events(tenant_id, seq);
CREATE UNIQUE INDEX decision_events_tenant_seq ON decision_events(tenant_id, tenant_seq);
CREATE UNIQUE INDEX decision_events_leaf ON decision_events(tenant_id, leaf_index) WHERE leaf_index IS NOT NULL;
CREATE INDEX decision_events_unsealed ON decision_events(tenant_id, seq) WHERE leaf_index IS NULL;
CREATE INDEX decision_events_request ON decision_events(tenant_id, request_id, seq);
CREATE TABLE ledger_nodes (tenant_id TEXT NOT NULL, level INTEGER NOT NULL, idx BIGINT NOT NULL, hash BYTEA NOT NULL, PRIMARY KEY (tenant_id, level, idx));
CREATE TABLE ledger_checkpoints (
  tenant_id TEXT NOT NULL, checkpoint_id BIGINT NOT NULL, tree_size BIGINT NOT NULL, root_hash TEXT NOT NULL,
  checkpoint_hash TEXT NOT NULL, prev_checkpoint_hash TEXT NOT NULL, signed_at TEXT NOT NULL, signature_algorithm TEXT NOT NULL,
  signer_key_id TEXT NOT NULL, checkpoint_payload TEXT NOT NULL, checkpoint_signature TEXT NOT NULL, mmd_seconds BIGINT NOT NULL,
  export_target TEXT NOT NULL, PRIMARY KEY (tenant_id, checkpoint_id)
);
CREATE TABLE ledger_data_keys (tenant_id TEXT PRIMARY KEY, wrapped_key BYTEA NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE idempotency (
  tenant_id TEXT NOT NULL, route TEXT NOT NULL, idem_key TEXT NOT NULL, body_hash TEXT NOT NULL, request_id TEXT,
  status_code INTEGER NOT NULL, response TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, route, idem_key)
);
CREATE TABLE policies (
  tenant_id TEXT NOT NULL, policy_id TEXT NOT NULL, version_id TEXT NOT NULL, description TEXT NOT NULL, document TEXT NOT NULL,
  content_hash TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, version_id)
);
CREATE INDEX policies_latest ON policies(tenant_id, policy_id, created_at);
CREATE TABLE settings (tenant_id TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, kind));
CREATE TABLE agent_locks (
  tenant_id TEXT NOT NULL, agent_id TEXT NOT NULL, locked INTEGER NOT NULL, actor TEXT NOT NULL, reason TEXT NOT NULL,
  changed_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, agent_id)
);
CREATE TABLE agent_lock_events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id TEXT NOT NULL, agent_id TEXT NOT NULL, locked INTEGER NOT NULL,
  actor TEXT NOT NULL, reason TEXT NOT NULL, changed_at BIGINT NOT NULL
);
CREATE INDEX agent_lock_events_agent ON agent_lock_events(tenant_id, agent_id, id);
CREATE TABLE drift_agents (tenant_id TEXT NOT NULL, agent_id TEXT NOT NULL, state TEXT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, agent_id));
CREATE TABLE drift_events (
  tenant_id TEXT NOT NULL, seq BIGINT NOT NULL, event_id TEXT NOT NULL UNIQUE, agent_id TEXT NOT NULL, type TEXT NOT NULL,
  level TEXT NOT NULL, score DOUBLE PRECISION NOT NULL, at BIGINT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX drift_events_agent ON drift_events(tenant_id, agent_id, seq);
CREATE INDEX drift_events_level ON drift_events(tenant_id, level, seq);
CREATE TABLE notify_events (
  event_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, event_type TEXT NOT NULL, payload TEXT NOT NULL, channels TEXT NOT NULL,
  dedupe_key TEXT, expanded INTEGER NOT NULL, created_at BIGINT NOT NULL
);
CREATE INDEX notify_events_unexpanded ON notify_events(created_at) WHERE expanded = 0;
CREATE UNIQUE INDEX notify_events_dedupe ON notify_events(tenant_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE TABLE notify_outbox (
  delivery_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL,
  channel_id TEXT NOT NULL, channel_type TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
  next_attempt_at BIGINT NOT NULL, lease_until BIGINT NOT NULL, last_status_code INTEGER, last_error TEXT,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, delivered_at BIGINT
);
CREATE INDEX notify_outbox_due ON notify_outbox(next_attempt_at) WHERE status = 'pending';
CREATE INDEX notify_outbox_tenant ON notify_outbox(tenant_id, created_at);
`,
  },
  {
    version: 7,
    name: 'compliance reports',
    // The SQLite driver's version 7: report rows (queued → running → ready | failed), immutable
    // artifacts, share links stored only as sha256(token), and the view log.
    sql: `
CREATE TABLE reports (
  tenant_id TEXT NOT NULL, report_id TEXT NOT NULL, status TEXT NOT NULL, period_from BIGINT NOT NULL, period_to BIGINT NOT NULL,
  title TEXT NOT NULL, formats TEXT NOT NULL, requested_by TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
  error TEXT, json_sha256 TEXT, summary TEXT,
  PRIMARY KEY (tenant_id, report_id)
);
CREATE INDEX reports_listing ON reports(tenant_id, created_at, report_id);
CREATE INDEX reports_unfinished ON reports(created_at) WHERE status IN ('queued', 'running');
CREATE TABLE report_artifacts (
  tenant_id TEXT NOT NULL, report_id TEXT NOT NULL, format TEXT NOT NULL, sha256 TEXT NOT NULL, bytes BYTEA NOT NULL,
  PRIMARY KEY (tenant_id, report_id, format)
);
CREATE TABLE report_shares (
  share_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, report_id TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL, created_by TEXT NOT NULL, expires_at BIGINT NOT NULL, revoked_at BIGINT, revoked_by TEXT,
  view_count INTEGER NOT NULL, recipient_label TEXT NOT NULL
);
CREATE INDEX report_shares_report ON report_shares(tenant_id, report_id);
CREATE TABLE report_share_views (share_id TEXT NOT NULL, at BIGINT NOT NULL, target TEXT NOT NULL, ip_prefix TEXT NOT NULL);
CREATE INDEX report_share_views_share ON report_share_views(share_id, at);
`,
  },
  {
    version: 8,
    name: 'dashboard users and sessions',
    // Dashboard users (email unique per tenant), server-side sessions stored as sha256(token), the
    // first-admin guard (one row per tenant: setup happens exactly once, whichever replica serves it)
    // and instance secrets (the CSRF HMAC key, shared by replicas).
    sql: `
CREATE TABLE dashboard_users (
  user_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  email TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'reviewer', 'viewer')),
  password_hash TEXT NOT NULL,
  disabled_at BIGINT,
  created_at BIGINT NOT NULL,
  password_changed_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX dashboard_users_email ON dashboard_users(tenant_id, email);
CREATE TABLE dashboard_sessions (
  session_id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX dashboard_sessions_user ON dashboard_sessions(tenant_id, user_id);
CREATE TABLE dashboard_bootstrap (
  tenant_id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  claimed_at BIGINT NOT NULL
);
CREATE TABLE dashboard_secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
`,
  },
  {
    version: 9,
    name: 'dashboard endpoints',
    // The SQLite driver's version 9: API-key expiry and successor, the policy version's author key,
    // and the index the review detail's last-approved-call read uses.
    sql: `
ALTER TABLE api_keys ADD COLUMN expires_at BIGINT;
ALTER TABLE api_keys ADD COLUMN replaced_by TEXT;
ALTER TABLE policies ADD COLUMN author_key_id TEXT;
CREATE INDEX clearances_agent_tool ON clearances(tenant_id, agent_id, tool_name, status, created_at);
CREATE INDEX policies_created ON policies(tenant_id, created_at);
`,
  },
  {
    version: 10,
    name: 'signing key secrets',
    // The SQLite driver's version 10: sealed private signing keys, so every replica can sign with the
    // key any replica (or `keys rotate`) created; written in the rotation's own transaction.
    sql: `
CREATE TABLE signing_key_secrets (kid TEXT PRIMARY KEY, sealed BYTEA NOT NULL, created_at BIGINT NOT NULL);
`,
  },
  {
    version: 11,
    name: 'review decision channel',
    // The SQLite driver's version 11: the review decision's channel, backfilled from the reviewer prefix.
    sql: `
ALTER TABLE clearances ADD COLUMN decision_channel TEXT;
UPDATE clearances SET decision_channel = CASE
  WHEN substr(reviewer, 1, 6) = 'slack:' THEN 'slack'
  WHEN substr(reviewer, 1, 7) = 'system:' THEN 'system'
  ELSE 'api' END
WHERE review_state IN ('approved', 'denied', 'cancelled', 'expired');
`,
  },
]

/** The session advisory lock every migrating process takes (two-int key space: no clash with row guards). */
const MIGRATION_LOCK = 'SELECT pg_advisory_lock(20, 1)'
const MIGRATION_UNLOCK = 'SELECT pg_advisory_unlock(20, 1)'

export function newestPgVersion(migrations: readonly PgMigration[] = PG_MIGRATIONS): number {
  return migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version
}

export class SchemaTooNewError extends Error {
  readonly found: number
  readonly known: number
  constructor(found: number, known: number) {
    super(`store schema version ${found} is newer than this binary knows (${known}): upgrade ledgix-gateway`)
    this.found = found
    this.known = known
  }
}

/** The recorded schema version (0 = empty schema); the caller's search_path picks the schema. */
export async function currentPgVersion(client: PoolClient): Promise<number> {
  const exists = await client.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t")
  if (exists.rows[0]?.t == null) return 0
  const r = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations')
  return r.rows[0]?.v ?? 0
}

export interface MigrateOptions {
  /** The schema the client's search_path names: created (under the lock) when missing. */
  schema: string
  /** false = only check (a newer schema still throws); nothing is created. */
  apply?: boolean
  migrations?: readonly PgMigration[]
}

/**
 * Under the advisory lock: creates the schema when missing, then applies every migration newer than
 * the recorded version, each in its own transaction; returns the versions applied.
 */
export async function migratePg(client: PoolClient, options: MigrateOptions): Promise<number[]> {
  const migrations = options.migrations ?? PG_MIGRATIONS
  const apply = options.apply !== false
  const known = newestPgVersion(migrations)
  // Neither waiting for another replica's migration nor a long migration is a runaway statement:
  // no statement_timeout for this session until the lock is released (RESET restores the pool's).
  await client.query('SET statement_timeout = 0')
  await client.query(MIGRATION_LOCK)
  try {
    if (apply) {
      // Checked first: CREATE SCHEMA needs the CREATE privilege on the database even when it exists.
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [options.schema])
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${options.schema}`)
    }
    const current = await currentPgVersion(client)
    if (current > known) throw new SchemaTooNewError(current, known)
    const applied: number[] = []
    if (!apply) return applied
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)')
    for (const m of migrations) {
      if (m.version <= current) continue
      await client.query('BEGIN')
      try {
        await client.query(m.sql)
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()])
        await client.query('COMMIT')
      } catch (err) {
        await client.query('ROLLBACK')
        throw err
      }
      applied.push(m.version)
    }
    return applied
  } finally {
    await client.query(MIGRATION_UNLOCK)
    await client.query('RESET statement_timeout')
  }
}
