// Versioned SQLite schema. Each migration runs once, in order, inside one transaction at open;
// append new versions, never edit an applied one (its number is recorded in schema_migrations).
import type Database from 'better-sqlite3'

export interface Migration {
  version: number
  name: string
  sql: string
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'vault core',
    sql: `
CREATE TABLE tenants (
  tenant_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE api_keys (
  key_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id),
  key_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('agent', 'reviewer', 'admin')),
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  last_used_at INTEGER
);
CREATE INDEX api_keys_tenant ON api_keys(tenant_id, created_at);
-- Instance-wide key ring (the JWKS is public and tenant-less); tenant_id '*' keeps the
-- "every row names its tenant" rule honest.
CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL DEFAULT '*',
  public_x TEXT NOT NULL,
  active_from INTEGER NOT NULL,
  retired_at INTEGER,
  revoked_at INTEGER,
  source TEXT NOT NULL
);
CREATE TABLE tokens (
  jti TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  tool_name TEXT NOT NULL,
  kid TEXT NOT NULL,
  exp INTEGER NOT NULL,
  minted_at INTEGER NOT NULL
);
-- jti is globally unique (UUIDv4 from one key ring), so the burn key is the jti alone.
CREATE TABLE burns (
  jti TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  exp INTEGER NOT NULL,
  burned_at INTEGER NOT NULL
);
CREATE TABLE clearances (
  tenant_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  decision_status TEXT,
  token TEXT,
  jti TEXT,
  reason TEXT NOT NULL,
  reason_code TEXT,
  confidence REAL NOT NULL,
  confidence_bucket TEXT NOT NULL,
  minimum_confidence_score REAL NOT NULL,
  minimum_confidence_bucket TEXT NOT NULL,
  policy_id TEXT NOT NULL,
  policy_version_id TEXT,
  policy_content_hash TEXT,
  tool_name TEXT NOT NULL,
  tool_args TEXT NOT NULL,
  tool_args_hash TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  context TEXT NOT NULL,
  matched_rule_ids TEXT NOT NULL,
  review_state TEXT,
  review_expires_at INTEGER,
  reviewer TEXT,
  review_reason TEXT,
  parent_request_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, request_id)
);
CREATE INDEX clearances_status ON clearances(tenant_id, status, created_at, request_id);
CREATE INDEX clearances_review_expiry ON clearances(review_expires_at) WHERE review_state = 'pending';
CREATE INDEX clearances_processing ON clearances(status) WHERE status = 'processing';
CREATE TABLE decision_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id TEXT NOT NULL,
  event_uuid TEXT NOT NULL UNIQUE,
  event_type TEXT NOT NULL,
  request_id TEXT NOT NULL,
  tool_name TEXT NOT NULL,
  tool_args TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  policy_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  citations TEXT NOT NULL,
  evidence_chunks TEXT NOT NULL,
  confidence REAL NOT NULL,
  confidence_bucket TEXT NOT NULL,
  decision_status TEXT NOT NULL,
  approved INTEGER NOT NULL,
  accepted_at TEXT NOT NULL,
  intent_hash TEXT NOT NULL,
  rule_set_hash TEXT NOT NULL,
  matched_rule_ids TEXT NOT NULL,
  eval_inputs_hash TEXT NOT NULL,
  eval_trace_hash TEXT NOT NULL,
  classifier_label TEXT NOT NULL,
  classifier_confidence_bucket TEXT NOT NULL,
  canonical_version INTEGER NOT NULL
);
CREATE INDEX decision_events_tenant ON decision_events(tenant_id, seq);
CREATE TABLE idempotency (
  tenant_id TEXT NOT NULL,
  route TEXT NOT NULL,
  idem_key TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  request_id TEXT,
  status_code INTEGER NOT NULL,
  response TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, route, idem_key)
);
CREATE TABLE policies (
  tenant_id TEXT NOT NULL,
  policy_id TEXT NOT NULL,
  version_id TEXT NOT NULL,
  description TEXT NOT NULL,
  document TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, version_id)
);
CREATE INDEX policies_latest ON policies(tenant_id, policy_id, created_at);
CREATE TABLE settings (
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, kind)
);
CREATE TABLE agent_locks (
  tenant_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  locked INTEGER NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT NOT NULL,
  changed_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, agent_id)
);
CREATE TABLE agent_lock_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  locked INTEGER NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT NOT NULL,
  changed_at INTEGER NOT NULL
);
CREATE INDEX agent_lock_events_agent ON agent_lock_events(tenant_id, agent_id, id);
`,
  },
  {
    version: 2,
    name: 'tamper-evident ledger',
    // Rows appended before this version carry no hashes; the ledger service backfills them at start.
    sql: `
ALTER TABLE decision_events ADD COLUMN tenant_seq INTEGER;
ALTER TABLE decision_events ADD COLUMN event_hash TEXT;
ALTER TABLE decision_events ADD COLUMN leaf_hash TEXT;
ALTER TABLE decision_events ADD COLUMN receipt_algorithm TEXT;
ALTER TABLE decision_events ADD COLUMN receipt_key_id TEXT;
ALTER TABLE decision_events ADD COLUMN receipt_payload TEXT;
ALTER TABLE decision_events ADD COLUMN receipt_signature TEXT;
ALTER TABLE decision_events ADD COLUMN body_cipher BLOB;
ALTER TABLE decision_events ADD COLUMN leaf_index INTEGER;
ALTER TABLE decision_events ADD COLUMN checkpoint_id INTEGER;
UPDATE decision_events SET tenant_seq = (
  SELECT COUNT(*) FROM decision_events d WHERE d.tenant_id = decision_events.tenant_id AND d.seq <= decision_events.seq
);
CREATE UNIQUE INDEX decision_events_tenant_seq ON decision_events(tenant_id, tenant_seq);
CREATE UNIQUE INDEX decision_events_leaf ON decision_events(tenant_id, leaf_index) WHERE leaf_index IS NOT NULL;
CREATE INDEX decision_events_unsealed ON decision_events(tenant_id, seq) WHERE leaf_index IS NULL;
CREATE INDEX decision_events_request ON decision_events(tenant_id, request_id, seq);
-- Complete-subtree hashes (docs/design/ledger.md): written once when their last leaf arrives.
CREATE TABLE ledger_nodes (
  tenant_id TEXT NOT NULL,
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY (tenant_id, level, idx)
) WITHOUT ROWID;
CREATE TABLE ledger_checkpoints (
  tenant_id TEXT NOT NULL,
  checkpoint_id INTEGER NOT NULL,
  tree_size INTEGER NOT NULL,
  root_hash TEXT NOT NULL,
  checkpoint_hash TEXT NOT NULL,
  prev_checkpoint_hash TEXT NOT NULL,
  signed_at TEXT NOT NULL,
  signature_algorithm TEXT NOT NULL,
  signer_key_id TEXT NOT NULL,
  checkpoint_payload TEXT NOT NULL,
  checkpoint_signature TEXT NOT NULL,
  mmd_seconds INTEGER NOT NULL,
  export_target TEXT NOT NULL,
  PRIMARY KEY (tenant_id, checkpoint_id)
);
-- Per-tenant data keys for bodies encrypted at rest, wrapped by ledger.encryption_key.
CREATE TABLE ledger_data_keys (
  tenant_id TEXT PRIMARY KEY,
  wrapped_key BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
`,
  },
  {
    version: 3,
    name: 'burns without rowid',
    // A burn was two B-tree inserts (the rowid table and the jti primary-key index), so a commit
    // wrote two WAL pages per burn batch; keyed by jti alone it is one (docs/design/store.md
    // "Page writes per commit"). The copy runs once, inside the migration's transaction.
    sql: `
CREATE TABLE burns_v3 (
  jti TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  exp INTEGER NOT NULL,
  burned_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO burns_v3 (jti, tenant_id, agent_id, exp, burned_at) SELECT jti, tenant_id, agent_id, exp, burned_at FROM burns;
DROP TABLE burns;
ALTER TABLE burns_v3 RENAME TO burns;
`,
  },
  {
    version: 4,
    name: 'key-ring generation and deciding key',
    // The generation changes with every signing-key write, by any process (the CLI on a live data dir
    // too), so a running Vault notices a revocation with one tiny read per poll instead of re-reading
    // the ring. decided_by_* record which API key decided a review, beside the reviewer's claimed email.
    sql: `
CREATE TABLE key_ring_generation (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  generation INTEGER NOT NULL
);
INSERT INTO key_ring_generation (id, generation) VALUES (1, 0);
ALTER TABLE clearances ADD COLUMN decided_by_key_id TEXT;
ALTER TABLE clearances ADD COLUMN decided_by_role TEXT;
`,
  },
  {
    version: 5,
    name: 'drift detection',
    // One JSON state per agent (rewritten by the drift worker, so a restart keeps baselines) and the
    // append-only events /drift/events pages through newest first, by agent or level.
    sql: `
CREATE TABLE drift_agents (
  tenant_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  state TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, agent_id)
) WITHOUT ROWID;
CREATE TABLE drift_events (
  tenant_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  event_id TEXT NOT NULL UNIQUE,
  agent_id TEXT NOT NULL,
  type TEXT NOT NULL,
  level TEXT NOT NULL,
  score INTEGER NOT NULL,
  at INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX drift_events_agent ON drift_events(tenant_id, agent_id, seq);
CREATE INDEX drift_events_level ON drift_events(tenant_id, level, seq);
`,
  },
  {
    version: 6,
    name: 'notification outbox',
    // An event row (body once, matched channels) is inserted in the same transaction as the change
    // that caused it; the worker expands it into one delivery row per channel in its own transaction
    // (src/notify). dedupe_key makes a time-driven event (review expiring soon) insertable once.
    sql: `
CREATE TABLE notify_events (
  event_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  channels TEXT NOT NULL,
  dedupe_key TEXT,
  expanded INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX notify_events_unexpanded ON notify_events(created_at) WHERE expanded = 0;
CREATE UNIQUE INDEX notify_events_dedupe ON notify_events(tenant_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE TABLE notify_outbox (
  delivery_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  channel_type TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  lease_until INTEGER NOT NULL,
  last_status_code INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  delivered_at INTEGER
) WITHOUT ROWID;
CREATE INDEX notify_outbox_due ON notify_outbox(next_attempt_at) WHERE status = 'pending';
CREATE INDEX notify_outbox_tenant ON notify_outbox(tenant_id, created_at);
`,
  },
  {
    version: 7,
    name: 'compliance reports',
    // A report row moves queued → running → ready | failed; its artifacts are immutable and content
    // addressed. Share links are stored only as sha256(token) (a database leak yields no usable
    // link); every view is logged with a coarse IP prefix.
    sql: `
CREATE TABLE reports (
  tenant_id TEXT NOT NULL,
  report_id TEXT NOT NULL,
  status TEXT NOT NULL,
  period_from INTEGER NOT NULL,
  period_to INTEGER NOT NULL,
  title TEXT NOT NULL,
  formats TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  error TEXT,
  json_sha256 TEXT,
  summary TEXT,
  PRIMARY KEY (tenant_id, report_id)
);
CREATE INDEX reports_listing ON reports(tenant_id, created_at, report_id);
CREATE INDEX reports_unfinished ON reports(created_at) WHERE status IN ('queued', 'running');
CREATE TABLE report_artifacts (
  tenant_id TEXT NOT NULL,
  report_id TEXT NOT NULL,
  format TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  bytes BLOB NOT NULL,
  PRIMARY KEY (tenant_id, report_id, format)
);
CREATE TABLE report_shares (
  share_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  report_id TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  revoked_by TEXT,
  view_count INTEGER NOT NULL,
  recipient_label TEXT NOT NULL
);
CREATE INDEX report_shares_report ON report_shares(tenant_id, report_id);
CREATE TABLE report_share_views (
  share_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  target TEXT NOT NULL,
  ip_prefix TEXT NOT NULL
);
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
  disabled_at INTEGER,
  created_at INTEGER NOT NULL,
  password_changed_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX dashboard_users_email ON dashboard_users(tenant_id, email);
CREATE TABLE dashboard_sessions (
  session_id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX dashboard_sessions_user ON dashboard_sessions(tenant_id, user_id);
CREATE TABLE dashboard_bootstrap (
  tenant_id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  claimed_at INTEGER NOT NULL
);
CREATE TABLE dashboard_secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
`,
  },
  {
    version: 9,
    name: 'dashboard endpoints',
    // API keys may expire (a rotation's grace period, or a lifetime chosen at creation) and name their
    // successor; a policy version records the key that registered it; the review detail's "diff
    // against the last approved call" reads the newest approved clearance of one agent and tool.
    sql: `
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;
ALTER TABLE api_keys ADD COLUMN replaced_by TEXT;
ALTER TABLE policies ADD COLUMN author_key_id TEXT;
CREATE INDEX clearances_agent_tool ON clearances(tenant_id, agent_id, tool_name, status, created_at);
CREATE INDEX policies_created ON policies(tenant_id, created_at);
`,
  },
  {
    version: 10,
    name: 'signing key secrets',
    // Private signing keys kept in the store rather than in data_dir/keys, sealed by the key ring
    // (AES-256-GCM under ledger.encryption_key when configured). The PostgreSQL driver uses it so
    // every replica signs with the key any replica rotated to; a SQLite Vault keeps its key files.
    sql: `
CREATE TABLE signing_key_secrets (
  kid TEXT PRIMARY KEY,
  sealed BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
`,
  },
  {
    version: 11,
    name: 'review decision channel',
    // The channel a review was decided through (api, slack, dashboard, system) as a stored field
    // (issue 17); rows decided before it get what was inferred from the reviewer until now.
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

/** Applies every migration newer than the recorded version; returns the versions applied. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }
  const current = row.v ?? 0
  const newest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version
  if (current > newest) {
    throw new Error(`store schema version ${current} is newer than this binary knows (${newest}): upgrade ledgix-gateway`)
  }
  const applied: number[] = []
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
  const apply = db.transaction((m: Migration) => {
    db.exec(m.sql)
    record.run(m.version, m.name, Date.now())
  })
  for (const m of migrations) {
    if (m.version <= current) continue
    apply.immediate(m)
    applied.push(m.version)
  }
  return applied
}
