// Public surface of src/store: the driver-neutral Store contract and its SQLite and PostgreSQL drivers.
export { DEFAULT_MAX_BATCH, DEFAULT_MAX_QUEUE, SqliteStore, openSqliteStore } from './sqlite/sqlite-store.ts'
export type { SqliteStoreOptions } from './sqlite/sqlite-store.ts'
export { MIGRATIONS } from './sqlite/migrations.ts'
export { PostgresStore, openPostgresStore } from './postgres/postgres-store.ts'
export type { PostgresStoreOptions } from './postgres/postgres-store.ts'
export { PG_MIGRATIONS, SchemaTooNewError, currentPgVersion, migratePg, newestPgVersion } from './postgres/migrations.ts'
export { DEFAULT_LEADER_POLL_MS, PgSealerLeadership, SEALER_LOCK_CLASS, sealerLockKey } from './postgres/leader.ts'
export { PG_POOL_DEFAULTS, StoreOpenError, createPgPool, describeConnectError, redactUrl } from './postgres/pool.ts'
export { openRetainedDatabase, setPragma } from './sqlite/retain.ts'
export type { SqliteDatabase, SqliteStatement } from './sqlite/retain.ts'
export type {
  AgentLockRecord,
  ApiKeyRecord,
  ApiKeyRole,
  ClearanceRecord,
  ClearanceStatus,
  DecisionChannel,
  DecisionEvent,
  DecisionStatus,
  IdempotencyRecord,
  ListReviewsQuery,
  LiveEventChannel,
  PolicyVersionRecord,
  ReviewState,
  SealerLeadership,
  SettingsKind,
  SigningKeyRecord,
  Store,
  StoredDecisionEvent,
  TenantRecord,
  TokenRecord,
  WriteOp,
  WriteResult,
} from './types.ts'
export type {
  ReportArtifactRecord,
  ReportFormat,
  ReportRecord,
  ReportShareRecord,
  ReportShareView,
  ReportStatus,
  ReportStore,
  ReportWriteOp,
} from './report-types.ts'
export type {
  DashboardBootstrapRecord,
  DashboardRole,
  DashboardSessionRecord,
  DashboardStore,
  DashboardUserRecord,
  DashboardWriteOp,
} from './dashboard-types.ts'
export type { DriftAgentRecord, DriftEventQuery, DriftEventRecord, DriftStore, DriftWriteOp, StoredDriftEvent } from './drift-types.ts'
export type {
  LedgerCheckpointRecord,
  LedgerCounts,
  LedgerEventBody,
  LedgerEventRecord,
  LedgerListQuery,
  LedgerNode,
  LedgerNodeRef,
  LedgerStore,
  LedgerWriteOp,
  StoredLedgerEvent,
  UnsealedLeaf,
} from './ledger-types.ts'
export type { NotifyEventRecord, OutboxDepth, OutboxRecord, OutboxStatus, OutboxStore, OutboxWriteOp } from './outbox-types.ts'
export type { DashboardApiStore, DashboardApiWriteOp, ReviewQueueStats } from './dashboard-api-types.ts'
