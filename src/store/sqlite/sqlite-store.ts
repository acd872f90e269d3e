// The SQLite Store: one writer connection (WAL, group commit, synchronous=FULL or, for burn batches,
// an fdatasync off the event loop) and one reader connection (WAL lets it read beside the writer).
// Migrations run at open. better-sqlite3 is synchronous; the main-thread batching choice and its
// numbers are in docs/design/store.md.
import Database from 'better-sqlite3'
import { closeSync, fdatasync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import type { ApiKeyId, StoreStats, TenantId } from '../../core/index.ts'
import type {
  AgentLockRecord,
  ApiKeyRecord,
  ClearanceRecord,
  IdempotencyRecord,
  ListReviewsQuery,
  PolicyVersionRecord,
  SettingsKind,
  SigningKeyRecord,
  Store,
  StoredDecisionEvent,
  TenantRecord,
  TokenRecord,
  WriteOp,
  WriteResult,
} from '../types.ts'
import type {
  LedgerCheckpointRecord,
  LedgerCounts,
  LedgerListQuery,
  LedgerNode,
  LedgerNodeRef,
  StoredLedgerEvent,
  UnsealedLeaf,
} from '../ledger-types.ts'
import type { DriftAgentRecord, DriftEventQuery, StoredDriftEvent } from '../drift-types.ts'
import { GroupCommitter, type DeferredSync, type SideWork } from './group-commit.ts'
import { SqliteDriftReads } from './drift-ops.ts'
import { SqliteReportReads } from './report-ops.ts'
import { SqliteDashboardReads } from './dashboard-ops.ts'
import type { ReportArtifactRecord, ReportFormat, ReportRecord, ReportShareRecord } from '../report-types.ts'
import { SqliteLedgerReads } from './ledger-reads.ts'
import type { NotifyEventRecord, OutboxDepth, OutboxRecord, OutboxStatus } from '../outbox-types.ts'
import { SqliteOutboxReads } from './outbox-reads.ts'
import { SqliteDashboardApiReads } from './dashboard-api-ops.ts'
import type { ReviewQueueStats } from '../dashboard-api-types.ts'
import { migrate } from './migrations.ts'
import { ReadCache } from './read-cache.ts'
import { openRetainedDatabase, setPragma } from './retain.ts'
import * as rows from './rows.ts'
import { createOpApplier } from './write-ops.ts'

/** Pending durable writes before pushback: ~10 s of burns at the measured 1k-per-batch rate is plenty. */
export const DEFAULT_MAX_QUEUE = 10_000
/** Writes per transaction: bounds one commit's latency (Tessera batches 256; burns are smaller rows). */
export const DEFAULT_MAX_BATCH = 1_024
/** How often coalesced last-used times reach disk when nothing else is being written. */
const TOUCH_FLUSH_MS = 5_000
/** The writer connection's page cache, KiB (see the constructor). */
const WRITER_CACHE_KIB = 2048

export interface SqliteStoreOptions {
  /** Path of the database file; its directory is created. */
  path: string
  maxQueue?: number
  maxBatch?: number
  /**
   * Runs the off-loop WAL sync of burn-only batches (default: `fs.fdatasync` on the libuv pool).
   * Tests replace it to hold a sync back or make it fail; `false` syncs every COMMIT inline.
   */
  walSync?: ((fd: number, done: (err: Error | null) => void) => void) | false
  /** Called once when a failed WAL sync fails the store (see `failure`). */
  onFailure?: (err: Error) => void
}

type Row = Record<string, unknown>

/**
 * The writer's side of the deferred sync: a descriptor of the WAL file (opened read-only; fdatasync
 * flushes the file, whichever descriptor names it) and the switch between the two synchronous levels.
 * SQLite keeps the WAL file, same inode, for as long as any connection has the database open (it is
 * truncated or rewritten in place after checkpoints, and deleted only by the last connection to close),
 * and our writer holds it open for the store's lifetime, so the descriptor always names the live WAL.
 */
class WalSync implements DeferredSync {
  readonly fd: number
  #db: Database.Database
  #run: (fd: number, done: (err: Error | null) => void) => void
  constructor(db: Database.Database, walPath: string, run: (fd: number, done: (err: Error | null) => void) => void) {
    this.fd = openSync(walPath, 'r')
    this.#db = db
    this.#run = run
  }
  relax(on: boolean): void {
    // Not a prepared statement: SQLite applies PRAGMA synchronous when it compiles the statement, so
    // re-running a prepared one changes nothing. Runs only when the batch kind changes.
    this.#db.exec(on ? 'PRAGMA synchronous = NORMAL' : 'PRAGMA synchronous = FULL')
  }
  sync(done: (err: Error | null) => void): void {
    this.#run(this.fd, done)
  }
}

class TouchBuffer implements SideWork {
  #pending = new Map<string, number>()
  #stmt: Database.Statement
  constructor(db: Database.Database) {
    this.#stmt = db.prepare('UPDATE api_keys SET last_used_at = ? WHERE key_id = ? AND (last_used_at IS NULL OR last_used_at < ?)')
  }
  add(keyId: string, atMs: number): void {
    this.#pending.set(keyId, atMs)
  }
  pending(): boolean {
    return this.#pending.size > 0
  }
  apply(): void {
    for (const [keyId, atMs] of this.#pending) this.#stmt.run(atMs, keyId, atMs)
    this.#pending.clear()
  }
}

export class SqliteStore implements Store {
  readonly driver = 'sqlite' as const
  readonly path: string
  #writer: Database.Database
  #reader: Database.Database
  #committer: GroupCommitter
  #touches: TouchBuffer
  #touchTimer: NodeJS.Timeout
  #walSync: WalSync | null
  #q: Record<string, Database.Statement>
  #ledger: SqliteLedgerReads
  #drift: SqliteDriftReads
  #reports: SqliteReportReads
  /** Dashboard users and sessions: every read goes to the reader (a revocation is seen at once). */
  readonly #dashboard: SqliteDashboardReads
  #outbox: SqliteOutboxReads
  #dashboardApi: SqliteDashboardApiReads
  #cache: ReadCache

  constructor(options: SqliteStoreOptions) {
    this.path = options.path
    mkdirSync(dirname(options.path), { recursive: true })
    this.#writer = openRetainedDatabase(options.path)
    setPragma(this.#writer, 'journal_mode = WAL')
    // FULL: the WAL is fsynced at every COMMIT, so an acknowledged write survives power loss. Burn-only
    // batches commit at NORMAL and are acknowledged after an fdatasync of the WAL off the event loop
    // (group-commit.ts); the writer is switched back to FULL for every other batch.
    setPragma(this.#writer, 'synchronous = FULL')
    setPragma(this.#writer, 'busy_timeout = 5000')
    setPragma(this.#writer, 'foreign_keys = ON')
    // Each caller in a group commit runs in its own SAVEPOINT, and SQLite keeps a savepoint's undo
    // pages in a statement sub-journal, spilled to a temp file past 64 KiB by default: every clearance
    // did, at ~4 pwrite(2)s per WAL frame (docs/design/store.md "Page writes per commit"). It is never
    // read after a crash (the WAL is the recovery log), so memory loses nothing; it is truncated when
    // the last open savepoint is released.
    setPragma(this.#writer, 'temp_store = MEMORY')
    // 2 MiB of page cache for the writer instead of better-sqlite3's 16 MB: with time-ordered keys it
    // touches the right edge of each B-tree and their interior pages; a larger cache only kept every
    // page the process ever appended (~200 bytes of native memory per burn, the soak's growth until
    // 16 MB), which the OS page cache holds anyway. Measured: no change in clearance or consume rates.
    setPragma(this.#writer, `cache_size = -${WRITER_CACHE_KIB}`)
    migrate(this.#writer)
    this.#reader = openRetainedDatabase(options.path, { readonly: true })
    setPragma(this.#reader, 'busy_timeout = 5000')
    this.#touches = new TouchBuffer(this.#writer)
    this.#cache = new ReadCache(this.#writer)
    // The WAL exists from here on: journal_mode=WAL and the migrations have opened it.
    this.#walSync = options.walSync === false ? null : new WalSync(this.#writer, `${options.path}-wal`, options.walSync ?? fdatasync)
    this.#committer = new GroupCommitter(
      this.#writer,
      createOpApplier(this.#writer, this.#cache),
      { maxQueue: options.maxQueue ?? DEFAULT_MAX_QUEUE, maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH },
      this.#touches,
      this.#walSync,
      options.onFailure ?? null,
    )
    this.#touchTimer = setInterval(pokeCommitter, TOUCH_FLUSH_MS, this.#committer)
    this.#touchTimer.unref()
    const r = this.#reader
    this.#ledger = new SqliteLedgerReads(r)
    this.#drift = new SqliteDriftReads(r)
    this.#reports = new SqliteReportReads(r)
    this.#dashboard = new SqliteDashboardReads(r)
    this.#outbox = new SqliteOutboxReads(r)
    this.#dashboardApi = new SqliteDashboardApiReads(r)
    this.#q = {
      tenant: r.prepare('SELECT * FROM tenants WHERE tenant_id = ?'),
      tenants: r.prepare('SELECT * FROM tenants ORDER BY created_at, tenant_id'),
      countKeys: r.prepare('SELECT COUNT(*) AS n FROM api_keys'),
      keyByHash: r.prepare('SELECT * FROM api_keys WHERE key_hash = ?'),
      keysOfTenant: r.prepare('SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY created_at, key_id'),
      signingKeys: r.prepare('SELECT * FROM signing_keys ORDER BY active_from, kid'),
      keyRingGeneration: r.prepare('SELECT generation FROM key_ring_generation WHERE id = 1').pluck(),
      signingKeySecret: r.prepare('SELECT sealed FROM signing_key_secrets WHERE kid = ?').pluck(),
      token: r.prepare('SELECT * FROM tokens WHERE jti = ?'),
      burned: r.prepare('SELECT 1 AS x FROM burns WHERE jti = ?'),
      clearance: r.prepare('SELECT * FROM clearances WHERE tenant_id = ? AND request_id = ?'),
      clearancesByStatus: r.prepare(
        `SELECT * FROM clearances WHERE tenant_id = ? AND status = ? AND review_state IS NOT NULL AND (created_at > ? OR (created_at = ? AND request_id > ?))
         ORDER BY created_at, request_id LIMIT ?`,
      ),
      clearancesDecided: r.prepare(
        `SELECT * FROM clearances WHERE tenant_id = ? AND review_state IN ('approved', 'denied', 'cancelled') AND (created_at > ? OR (created_at = ? AND request_id > ?))
         ORDER BY created_at, request_id LIMIT ?`,
      ),
      clearancesExpired: r.prepare(
        `SELECT * FROM clearances WHERE tenant_id = ? AND review_state = 'expired' AND (created_at > ? OR (created_at = ? AND request_id > ?))
         ORDER BY created_at, request_id LIMIT ?`,
      ),
      clearancesAll: r.prepare(
        `SELECT * FROM clearances WHERE tenant_id = ? AND review_state IS NOT NULL AND (created_at > ? OR (created_at = ? AND request_id > ?))
         ORDER BY created_at, request_id LIMIT ?`,
      ),
      expiredReviews: r.prepare(
        `SELECT * FROM clearances WHERE review_state = 'pending' AND review_expires_at IS NOT NULL AND review_expires_at <= ?
         ORDER BY review_expires_at LIMIT ?`,
      ),
      processing: r.prepare(`SELECT * FROM clearances WHERE status = 'processing' LIMIT ?`),
      events: r.prepare('SELECT * FROM decision_events WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?'),
      idempotency: r.prepare('SELECT * FROM idempotency WHERE tenant_id = ? AND route = ? AND idem_key = ?'),
      latestPolicies: r.prepare(
        `SELECT p.* FROM policies p
         WHERE p.tenant_id = ? AND p.created_at = (SELECT MAX(created_at) FROM policies q WHERE q.tenant_id = p.tenant_id AND q.policy_id = p.policy_id)
         ORDER BY p.policy_id, p.version_id`,
      ),
      settings: r.prepare('SELECT value FROM settings WHERE tenant_id = ? AND kind = ?'),
      lock: r.prepare('SELECT * FROM agent_locks WHERE tenant_id = ? AND agent_id = ?'),
      lockEvents: r.prepare('SELECT * FROM agent_lock_events WHERE tenant_id = ? AND agent_id = ? ORDER BY id'),
    }
  }

  /** Commits performed so far (tests prove batching with it). */
  get commitCount(): number {
    return this.#committer.commits
  }

  /** The error of a failed WAL sync, after which every write is refused; null while healthy. */
  get failure(): Error | null {
    return this.#committer.failure
  }

  stats(): StoreStats {
    const c = this.#committer
    return { commits: c.commits, writes: c.writes, deferredSyncs: c.deferredSyncs, failed: c.failure !== null }
  }

  /** One pragma's value on the writer connection (tests check the durability settings with it). */
  writerPragma(name: 'synchronous' | 'temp_store' | 'journal_mode' | 'foreign_keys' | 'cache_size'): unknown {
    return this.#writer.pragma(name, { simple: true })
  }

  write(ops: readonly WriteOp[]): Promise<WriteResult> {
    return this.#committer.submit(ops)
  }

  touchApiKey(keyId: ApiKeyId, atMs: number): void {
    this.#touches.add(keyId, atMs)
    this.#cache.touchApiKey(keyId, atMs)
  }

  async getTenant(tenantId: TenantId): Promise<TenantRecord | null> {
    const r = this.#q.tenant!.get(tenantId) as Row | undefined
    return r === undefined ? null : rows.toTenant(r)
  }
  async listTenants(): Promise<TenantRecord[]> {
    return (this.#q.tenants!.all() as Row[]).map(rows.toTenant)
  }
  async countApiKeys(): Promise<number> {
    return (this.#q.countKeys!.get() as { n: number }).n
  }
  /** Served from the read cache when it can (every customer request authenticates). */
  async findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    this.#cache.sync()
    const cached = this.#cache.apiKey(keyHash)
    if (cached !== undefined) return cached
    const r = this.#q.keyByHash!.get(keyHash) as Row | undefined
    if (r === undefined) return null
    const record = rows.toApiKey(r)
    this.#cache.putApiKey(record)
    return record
  }
  async listApiKeys(tenantId: TenantId): Promise<ApiKeyRecord[]> {
    return (this.#q.keysOfTenant!.all(tenantId) as Row[]).map(rows.toApiKey)
  }
  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return (this.#q.signingKeys!.all() as Row[]).map(rows.toSigningKey)
  }
  async signingKeysVersion(): Promise<string> {
    return String(this.#q.keyRingGeneration!.get() ?? 0)
  }
  async getSigningKeySecret(kid: string): Promise<Uint8Array | null> {
    const sealed = this.#q.signingKeySecret!.get(kid) as Buffer | undefined
    return sealed === undefined ? null : new Uint8Array(sealed)
  }
  async getToken(jti: string): Promise<TokenRecord | null> {
    const r = this.#q.token!.get(jti) as Row | undefined
    return r === undefined ? null : rows.toToken(r)
  }
  async isBurned(jti: string): Promise<boolean> {
    return this.#q.burned!.get(jti) !== undefined
  }
  async getClearance(tenantId: TenantId, requestId: string): Promise<ClearanceRecord | null> {
    const r = this.#q.clearance!.get(tenantId, requestId) as Row | undefined
    return r === undefined ? null : rows.toClearance(r)
  }
  async listClearances(tenantId: TenantId, query: ListReviewsQuery): Promise<ClearanceRecord[]> {
    const afterMs = query.after?.createdAtMs ?? -1
    const afterId = query.after?.requestId ?? ''
    const byState = query.status === 'all' ? this.#q.clearancesAll : query.status === 'decided' ? this.#q.clearancesDecided : query.status === 'expired' ? this.#q.clearancesExpired : null
    const list =
      byState !== null
        ? byState!.all(tenantId, afterMs, afterMs, afterId, query.limit)
        : this.#q.clearancesByStatus!.all(tenantId, query.status, afterMs, afterMs, afterId, query.limit)
    return (list as Row[]).map(rows.toClearance)
  }
  async listExpiredReviews(nowMs: number, limit: number): Promise<ClearanceRecord[]> {
    return (this.#q.expiredReviews!.all(nowMs, limit) as Row[]).map(rows.toClearance)
  }
  async listProcessing(limit: number): Promise<ClearanceRecord[]> {
    return (this.#q.processing!.all(limit) as Row[]).map(rows.toClearance)
  }
  async listDecisionEvents(tenantId: TenantId, afterSeq: number, limit: number): Promise<StoredDecisionEvent[]> {
    return (this.#q.events!.all(tenantId, afterSeq, limit) as Row[]).map(rows.toEvent)
  }
  async getIdempotency(tenantId: TenantId, route: string, key: string): Promise<IdempotencyRecord | null> {
    const r = this.#q.idempotency!.get(tenantId, route, key) as Row | undefined
    return r === undefined ? null : rows.toIdempotency(r)
  }
  async listLatestPolicies(tenantId: TenantId): Promise<PolicyVersionRecord[]> {
    return (this.#q.latestPolicies!.all(tenantId) as Row[]).map(rows.toPolicy)
  }
  async getSettings(tenantId: TenantId, kind: SettingsKind): Promise<string | null> {
    this.#cache.sync()
    const cached = this.#cache.settings(tenantId, kind)
    if (cached !== undefined) return cached
    const r = this.#q.settings!.get(tenantId, kind) as { value: string } | undefined
    const value = r === undefined ? null : r.value
    this.#cache.putSettings(tenantId, kind, value)
    return value
  }
  async getAgentLock(tenantId: TenantId, agentId: string): Promise<AgentLockRecord | null> {
    this.#cache.sync()
    const cached = this.#cache.lock(tenantId, agentId)
    if (cached !== undefined) return cached
    const r = this.#q.lock!.get(tenantId, agentId) as Row | undefined
    const lock = r === undefined ? null : rows.toLock(r)
    this.#cache.putLock(tenantId, agentId, lock)
    return lock
  }
  async listAgentLockEvents(tenantId: TenantId, agentId: string): Promise<AgentLockRecord[]> {
    return (this.#q.lockEvents!.all(tenantId, agentId) as Row[]).map(rows.toLock)
  }

  listLedgerEvents(tenantId: TenantId, query: LedgerListQuery): Promise<StoredLedgerEvent[]> {
    return this.#ledger.listLedgerEvents(tenantId, query)
  }
  listLedgerEventsByLeaf(tenantId: TenantId, fromLeafIndex: number, limit: number): Promise<StoredLedgerEvent[]> {
    return this.#ledger.listLedgerEventsByLeaf(tenantId, fromLeafIndex, limit)
  }
  listUnsealedLedgerEvents(tenantId: TenantId, afterRowSeq: number, limit: number): Promise<StoredLedgerEvent[]> {
    return this.#ledger.listUnsealedLedgerEvents(tenantId, afterRowSeq, limit)
  }
  getLedgerEventByRequest(tenantId: TenantId, requestId: string): Promise<StoredLedgerEvent | null> {
    return this.#ledger.getLedgerEventByRequest(tenantId, requestId)
  }
  listUnsealedLeaves(tenantId: TenantId, limit: number): Promise<UnsealedLeaf[]> {
    return this.#ledger.listUnsealedLeaves(tenantId, limit)
  }
  listTenantsWithUnsealed(): Promise<TenantId[]> {
    return this.#ledger.listTenantsWithUnsealed()
  }
  countLedgerEvents(tenantId: TenantId): Promise<LedgerCounts> {
    return this.#ledger.countLedgerEvents(tenantId)
  }
  listLedgerCheckpoints(tenantId: TenantId, query: LedgerListQuery): Promise<LedgerCheckpointRecord[]> {
    return this.#ledger.listLedgerCheckpoints(tenantId, query)
  }
  getLedgerCheckpoint(tenantId: TenantId, checkpointId: number): Promise<LedgerCheckpointRecord | null> {
    return this.#ledger.getLedgerCheckpoint(tenantId, checkpointId)
  }
  getLatestLedgerCheckpoint(tenantId: TenantId): Promise<LedgerCheckpointRecord | null> {
    return this.#ledger.getLatestLedgerCheckpoint(tenantId)
  }
  getLedgerNodes(tenantId: TenantId, refs: readonly LedgerNodeRef[]): Promise<Array<Uint8Array | undefined>> {
    return this.#ledger.getLedgerNodes(tenantId, refs)
  }
  listLedgerNodes(tenantId: TenantId, level: number, fromIndex: number, toIndex: number): Promise<LedgerNode[]> {
    return this.#ledger.listLedgerNodes(tenantId, level, fromIndex, toIndex)
  }
  matchLedgerNodes(tenantId: TenantId, level: number, fromIndex: number, expected: Uint8Array): ReturnType<SqliteLedgerReads['matchLedgerNodes']> {
    return this.#ledger.matchLedgerNodes(tenantId, level, fromIndex, expected)
  }
  getLedgerDataKey(tenantId: TenantId): Promise<Uint8Array | null> {
    return this.#ledger.getLedgerDataKey(tenantId)
  }
  listDriftAgents(): Promise<DriftAgentRecord[]> {
    return this.#drift.listDriftAgents()
  }
  listDriftEvents(tenantId: TenantId, query: DriftEventQuery): Promise<StoredDriftEvent[]> {
    return this.#drift.listDriftEvents(tenantId, query)
  }
  getReport(tenantId: TenantId, reportId: string): Promise<ReportRecord | null> {
    return this.#reports.getReport(tenantId, reportId)
  }
  listReports(tenantId: TenantId, before: { createdAtMs: number; reportId: string } | null, limit: number): Promise<ReportRecord[]> {
    return this.#reports.listReports(tenantId, before, limit)
  }
  listUnfinishedReports(limit: number): Promise<ReportRecord[]> {
    return this.#reports.listUnfinishedReports(limit)
  }
  getReportArtifact(tenantId: TenantId, reportId: string, format: ReportFormat): Promise<ReportArtifactRecord | null> {
    return this.#reports.getReportArtifact(tenantId, reportId, format)
  }
  findReportShareByHash(tokenHash: string): Promise<ReportShareRecord | null> {
    return this.#reports.findReportShareByHash(tokenHash)
  }
  listReportShares(tenantId: TenantId, reportId: string): Promise<ReportShareRecord[]> {
    return this.#reports.listReportShares(tenantId, reportId)
  }
  getDashboardUser = (...a: Parameters<SqliteDashboardReads['getDashboardUser']>) => this.#dashboard.getDashboardUser(...a)
  findDashboardUserByEmail = (...a: Parameters<SqliteDashboardReads['findDashboardUserByEmail']>) => this.#dashboard.findDashboardUserByEmail(...a)
  listDashboardUsers = (...a: Parameters<SqliteDashboardReads['listDashboardUsers']>) => this.#dashboard.listDashboardUsers(...a)
  getDashboardBootstrap = (...a: Parameters<SqliteDashboardReads['getDashboardBootstrap']>) => this.#dashboard.getDashboardBootstrap(...a)
  findDashboardSessionByHash = (...a: Parameters<SqliteDashboardReads['findDashboardSessionByHash']>) => this.#dashboard.findDashboardSessionByHash(...a)
  listDashboardSessions = (...a: Parameters<SqliteDashboardReads['listDashboardSessions']>) => this.#dashboard.listDashboardSessions(...a)
  getDashboardSecret = (...a: Parameters<SqliteDashboardReads['getDashboardSecret']>) => this.#dashboard.getDashboardSecret(...a)

  listUnexpandedEvents(limit: number): Promise<NotifyEventRecord[]> {
    return this.#outbox.listUnexpandedEvents(limit)
  }
  listDueOutbox(nowMs: number, limit: number): Promise<OutboxRecord[]> {
    return this.#outbox.listDueOutbox(nowMs, limit)
  }
  listOutbox(tenantId: TenantId, status: OutboxStatus | null, limit: number): Promise<OutboxRecord[]> {
    return this.#outbox.listOutbox(tenantId, status, limit)
  }
  getOutbox(deliveryId: string): Promise<OutboxRecord | null> {
    return this.#outbox.getOutbox(deliveryId)
  }
  outboxDepth(): Promise<OutboxDepth> {
    return this.#outbox.outboxDepth()
  }
  listReviewsExpiringBetween(fromMs: number, toMs: number, limit: number): Promise<ClearanceRecord[]> {
    return this.#outbox.listReviewsExpiringBetween(fromMs, toMs, limit)
  }

  reviewQueueStats(tenantId: TenantId, expiringBeforeMs: number): Promise<ReviewQueueStats> {
    return this.#dashboardApi.reviewQueueStats(tenantId, expiringBeforeMs)
  }
  listLockedAgents(tenantId: TenantId, limit: number): Promise<AgentLockRecord[]> {
    return this.#dashboardApi.listLockedAgents(tenantId, limit)
  }
  listPolicyVersions(tenantId: TenantId, limit: number): Promise<PolicyVersionRecord[]> {
    return this.#dashboardApi.listPolicyVersions(tenantId, limit)
  }
  getPolicyVersion(tenantId: TenantId, versionId: string): Promise<PolicyVersionRecord | null> {
    return this.#dashboardApi.getPolicyVersion(tenantId, versionId)
  }
  getLastApprovedClearance(tenantId: TenantId, agentId: string, toolName: string, atOrBeforeMs: number, excludeRequestId: string): Promise<ClearanceRecord | null> {
    return this.#dashboardApi.getLastApprovedClearance(tenantId, agentId, toolName, atOrBeforeMs, excludeRequestId)
  }

  async close(): Promise<void> {
    clearInterval(this.#touchTimer)
    // Waits for the sync in flight: its descriptor must not be closed (and its number reused) under it.
    await this.#committer.close()
    if (this.#walSync !== null) closeSync(this.#walSync.fd)
    this.#reader.close()
    this.#writer.close()
  }
}

function pokeCommitter(committer: GroupCommitter): void {
  committer.poke()
}

/** Opens (creating and migrating) the SQLite store at `path`. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options)
}
