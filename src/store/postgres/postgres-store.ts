// The PostgreSQL Store: a pg Pool, migrations under an advisory lock at open, group-committed writes
// (group-commit.ts) and reads straight from the database. There is no read cache: the contract's
// "never stale, whichever connection committed" holds trivially, and replicas share one database
// (a LISTEN/NOTIFY-invalidated cache is a later step; docs/design/store.md).
import type { Pool, PoolClient } from 'pg'
import type { ApiKeyId, StoreStats, TenantId } from '../../core/index.ts'
import type { ApiKeyRecord, LiveEventChannel, SealerLeadership, Store, WriteOp, WriteResult } from '../types.ts'
import { GuardFailure } from '../sqlite/group-commit.ts'
import { DEFAULT_MAX_BATCH, DEFAULT_MAX_QUEUE } from '../sqlite/sqlite-store.ts'
import { PgGroupCommitter, type PgSideWork } from './group-commit.ts'
import { PgApiKeyCache } from './key-cache.ts'
import { DEFAULT_LEADER_POLL_MS, PgSealerLeadership, leaderFenceSql } from './leader.ts'
import { PgLedgerReads } from './ledger-reads.ts'
import { PgLiveEventChannel } from './live-channel.ts'
import { SchemaTooNewError, migratePg } from './migrations.ts'
import { PgOutboxReads } from './outbox-reads.ts'
import { PgReportReads } from './report-ops.ts'
import { PgDashboardReads } from './dashboard-ops.ts'
import { PG_POOL_DEFAULTS, StoreOpenError, checkedSchema, createPgPool, describeConnectError, readerOf, type PgPoolOptions } from './pool.ts'
import { applyPgOps } from './write-ops.ts'
import { PgStoreReads } from './store-reads.ts'
import { PgDashboardApiReads } from './dashboard-api-ops.ts'

/** How often coalesced last-used times reach the database when nothing else is written. */
const TOUCH_FLUSH_MS = 5_000

export interface PostgresStoreOptions extends PgPoolOptions {
  maxQueue?: number
  maxBatch?: number
  /** How often a replica tries to become the ledger sealer (leader.ts). Default 1 s. */
  leaderPollMs?: number
  /** Runs of burns and of decision appends as multi-row statements (batch-ops.ts). Default true; false measures the one-caller-at-a-time path. */
  multiRow?: boolean
  /** Group-commit transactions open at once, each on its own connection. Default: min(4, ⌊pool max / 2⌋), at least 1. */
  maxInFlight?: number
}

/** Coalesced API-key last-used times: written in the next batch's transaction, shown to reads until then. */
class TouchBuffer implements PgSideWork {
  #pending = new Map<string, number>()
  #inFlight = new Map<string, number>()
  add(keyId: string, atMs: number): void {
    this.#pending.set(keyId, Math.max(atMs, this.#pending.get(keyId) ?? 0))
  }
  pending(): boolean {
    return this.#pending.size > 0
  }
  async apply(c: PoolClient): Promise<void> {
    for (const [keyId, atMs] of this.#pending) this.#inFlight.set(keyId, atMs)
    this.#pending.clear()
    const ids = [...this.#inFlight.keys()]
    const times = [...this.#inFlight.values()]
    await c.query(
      `UPDATE api_keys k SET last_used_at = t.at FROM unnest($1::text[], $2::bigint[]) AS t(id, at)
       WHERE k.key_id = t.id AND (k.last_used_at IS NULL OR k.last_used_at < t.at)`,
      [ids, times],
    )
  }
  committed(): void {
    this.#inFlight.clear()
  }
  /** The record with a not-yet-written last-used time applied. */
  overlay(record: ApiKeyRecord): ApiKeyRecord {
    const t = Math.max(this.#pending.get(record.keyId) ?? 0, this.#inFlight.get(record.keyId) ?? 0)
    return t > (record.lastUsedAtMs ?? 0) ? { ...record, lastUsedAtMs: t } : record
  }
}

export class PostgresStore extends PgStoreReads implements Store {
  readonly driver = 'postgres' as const
  readonly schema: string
  readonly options: PostgresStoreOptions
  #pool: Pool
  #committer: PgGroupCommitter
  #touches = new TouchBuffer()
  #touchTimer: NodeJS.Timeout
  #ledger: PgLedgerReads
  #outbox: PgOutboxReads
  #reports: PgReportReads
  readonly #dashboard: PgDashboardReads
  readonly #dashboardApi: PgDashboardApiReads
  #leadership: PgSealerLeadership | null = null
  #keys: PgApiKeyCache | null = null

  /** Use openPostgresStore: the pool must have been checked and the schema migrated. */
  constructor(pool: Pool, options: PostgresStoreOptions) {
    super(readerOf(pool))
    this.#pool = pool
    this.options = options
    this.schema = checkedSchema(options.schema)
    this.#committer = new PgGroupCommitter(pool, (c, ops) => this.#applyFenced(c, ops), this.#touches, {
      maxQueue: options.maxQueue ?? DEFAULT_MAX_QUEUE,
      maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH,
      multiRow: options.multiRow ?? true,
      maxInFlight: options.maxInFlight ?? Math.max(1, Math.min(4, Math.floor((options.max ?? PG_POOL_DEFAULTS.max) / 2))),
    })
    this.#touchTimer = setInterval(() => this.#committer.poke(), TOUCH_FLUSH_MS)
    this.#touchTimer.unref()
    this.#ledger = new PgLedgerReads(readerOf(pool))
    this.#outbox = new PgOutboxReads(readerOf(pool))
    this.#reports = new PgReportReads(readerOf(pool))
    this.#dashboard = new PgDashboardReads(readerOf(pool))
    this.#dashboardApi = new PgDashboardApiReads(readerOf(pool))
  }

  /** One election per store, created on first use and started by the Vault (sealer leadership). */
  sealerLeadership(): SealerLeadership {
    this.#leadership ??= new PgSealerLeadership(this.options, this.options.leaderPollMs ?? DEFAULT_LEADER_POLL_MS)
    return this.#leadership
  }

  /**
   * The fence: once an election runs, a seal commits only while this process's leader session still
   * holds the lock, checked in the seal's own transaction. A lost connection (the server released the
   * lock, maybe to another replica already) makes the seal a guard failure, never a second sealer.
   */
  async #applyFenced(c: PoolClient, ops: readonly WriteOp[]): Promise<void> {
    const election = this.#leadership
    if (election !== null && election.active) {
      const i = ops.findIndex((op) => op.op === 'ledger_seal')
      if (i !== -1) {
        const fence = election.fence()
        const held = fence === null ? false : (await c.query<{ held: boolean }>(leaderFenceSql, fence)).rows[0]!.held
        if (!held) throw new GuardFailure(i, 'ledger_seal')
      }
    }
    await applyPgOps(c, ops)
  }

  /** Transactions committed so far (tests prove batching with it). */
  get commitCount(): number {
    return this.#committer.commits
  }
  /** Writes answered through a multi-row run of burns or appends (tests prove batching with it). */
  get batchedWriteCount(): number {
    return this.#committer.batchedWrites
  }
  /** PostgreSQL makes a commit durable or fails it; there is no acknowledged-but-unsynced state to fail the store. */
  get failure(): Error | null {
    return null
  }
  stats(): StoreStats {
    return { commits: this.#committer.commits, writes: this.#committer.writes, deferredSyncs: 0, failed: false }
  }
  async write(ops: readonly WriteOp[]): Promise<WriteResult> {
    const result = await this.#committer.submit(ops)
    // This process's own revocation is refused from its next lookup, without waiting for the NOTIFY.
    if (this.#keys !== null && ops.some((op) => op.op === 'api_key_revoke' || op.op === 'api_key_rotate')) this.#keys.invalidate()
    return result
  }

  /**
   * Serve API-key lookups from memory, invalidated across replicas by LISTEN/NOTIFY (key-cache.ts).
   * Until this is called (the CLI, tests), every lookup reads the database.
   */
  async startChangeFeed(): Promise<void> {
    if (this.#keys !== null) return
    this.#keys = new PgApiKeyCache(this.options)
    await this.#keys.start()
  }

  /** The key cache, when started (tests). */
  get keyCache(): PgApiKeyCache | null {
    return this.#keys
  }
  touchApiKey(keyId: ApiKeyId, atMs: number): void {
    this.#touches.add(keyId, atMs)
  }
  override async findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const cache = this.#keys
    const hit = cache?.get(keyHash)
    if (hit !== undefined) return this.#touches.overlay(hit)
    const epoch = cache?.epoch ?? 0
    const r = await super.findApiKeyByHash(keyHash)
    if (r !== null) cache?.put(keyHash, r, epoch)
    return r === null ? null : this.#touches.overlay(r)
  }
  override async listApiKeys(tenantId: TenantId): Promise<ApiKeyRecord[]> {
    return (await super.listApiKeys(tenantId)).map((r) => this.#touches.overlay(r))
  }

  listLedgerEvents = (...a: Parameters<PgLedgerReads['listLedgerEvents']>) => this.#ledger.listLedgerEvents(...a)
  listLedgerEventsByLeaf = (...a: Parameters<PgLedgerReads['listLedgerEventsByLeaf']>) => this.#ledger.listLedgerEventsByLeaf(...a)
  listUnsealedLedgerEvents = (...a: Parameters<PgLedgerReads['listUnsealedLedgerEvents']>) => this.#ledger.listUnsealedLedgerEvents(...a)
  getLedgerEventByRequest = (...a: Parameters<PgLedgerReads['getLedgerEventByRequest']>) => this.#ledger.getLedgerEventByRequest(...a)
  listUnsealedLeaves = (...a: Parameters<PgLedgerReads['listUnsealedLeaves']>) => this.#ledger.listUnsealedLeaves(...a)
  listTenantsWithUnsealed = () => this.#ledger.listTenantsWithUnsealed()
  countLedgerEvents = (...a: Parameters<PgLedgerReads['countLedgerEvents']>) => this.#ledger.countLedgerEvents(...a)
  listLedgerCheckpoints = (...a: Parameters<PgLedgerReads['listLedgerCheckpoints']>) => this.#ledger.listLedgerCheckpoints(...a)
  getLedgerCheckpoint = (...a: Parameters<PgLedgerReads['getLedgerCheckpoint']>) => this.#ledger.getLedgerCheckpoint(...a)
  getLatestLedgerCheckpoint = (...a: Parameters<PgLedgerReads['getLatestLedgerCheckpoint']>) => this.#ledger.getLatestLedgerCheckpoint(...a)
  getLedgerNodes = (...a: Parameters<PgLedgerReads['getLedgerNodes']>) => this.#ledger.getLedgerNodes(...a)
  listLedgerNodes = (...a: Parameters<PgLedgerReads['listLedgerNodes']>) => this.#ledger.listLedgerNodes(...a)
  matchLedgerNodes = (...a: Parameters<PgLedgerReads['matchLedgerNodes']>) => this.#ledger.matchLedgerNodes(...a)
  getLedgerDataKey = (...a: Parameters<PgLedgerReads['getLedgerDataKey']>) => this.#ledger.getLedgerDataKey(...a)
  listDriftAgents = () => this.#ledger.listDriftAgents()
  listDriftEvents = (...a: Parameters<PgLedgerReads['listDriftEvents']>) => this.#ledger.listDriftEvents(...a)
  listUnexpandedEvents = (...a: Parameters<PgOutboxReads['listUnexpandedEvents']>) => this.#outbox.listUnexpandedEvents(...a)
  listDueOutbox = (...a: Parameters<PgOutboxReads['listDueOutbox']>) => this.#outbox.listDueOutbox(...a)
  listOutbox = (...a: Parameters<PgOutboxReads['listOutbox']>) => this.#outbox.listOutbox(...a)
  getOutbox = (...a: Parameters<PgOutboxReads['getOutbox']>) => this.#outbox.getOutbox(...a)
  outboxDepth = () => this.#outbox.outboxDepth()
  getReport = (...a: Parameters<PgReportReads['getReport']>) => this.#reports.getReport(...a)
  listReports = (...a: Parameters<PgReportReads['listReports']>) => this.#reports.listReports(...a)
  listUnfinishedReports = (...a: Parameters<PgReportReads['listUnfinishedReports']>) => this.#reports.listUnfinishedReports(...a)
  getReportArtifact = (...a: Parameters<PgReportReads['getReportArtifact']>) => this.#reports.getReportArtifact(...a)
  findReportShareByHash = (...a: Parameters<PgReportReads['findReportShareByHash']>) => this.#reports.findReportShareByHash(...a)
  listReportShares = (...a: Parameters<PgReportReads['listReportShares']>) => this.#reports.listReportShares(...a)
  getDashboardUser = (...a: Parameters<PgDashboardReads['getDashboardUser']>) => this.#dashboard.getDashboardUser(...a)
  findDashboardUserByEmail = (...a: Parameters<PgDashboardReads['findDashboardUserByEmail']>) => this.#dashboard.findDashboardUserByEmail(...a)
  listDashboardUsers = (...a: Parameters<PgDashboardReads['listDashboardUsers']>) => this.#dashboard.listDashboardUsers(...a)
  getDashboardBootstrap = (...a: Parameters<PgDashboardReads['getDashboardBootstrap']>) => this.#dashboard.getDashboardBootstrap(...a)
  findDashboardSessionByHash = (...a: Parameters<PgDashboardReads['findDashboardSessionByHash']>) => this.#dashboard.findDashboardSessionByHash(...a)
  listDashboardSessions = (...a: Parameters<PgDashboardReads['listDashboardSessions']>) => this.#dashboard.listDashboardSessions(...a)
  getDashboardSecret = (...a: Parameters<PgDashboardReads['getDashboardSecret']>) => this.#dashboard.getDashboardSecret(...a)
  listReviewsExpiringBetween = (...a: Parameters<PgOutboxReads['listReviewsExpiringBetween']>) => this.#outbox.listReviewsExpiringBetween(...a)
  reviewQueueStats = (...a: Parameters<PgDashboardApiReads['reviewQueueStats']>) => this.#dashboardApi.reviewQueueStats(...a)
  listLockedAgents = (...a: Parameters<PgDashboardApiReads['listLockedAgents']>) => this.#dashboardApi.listLockedAgents(...a)
  listPolicyVersions = (...a: Parameters<PgDashboardApiReads['listPolicyVersions']>) => this.#dashboardApi.listPolicyVersions(...a)
  getPolicyVersion = (...a: Parameters<PgDashboardApiReads['getPolicyVersion']>) => this.#dashboardApi.getPolicyVersion(...a)
  getLastApprovedClearance = (...a: Parameters<PgDashboardApiReads['getLastApprovedClearance']>) => this.#dashboardApi.getLastApprovedClearance(...a)

  /** LISTEN/NOTIFY on this schema's channel: live events reach every replica (close it before the store). */
  openLiveEventChannel(): LiveEventChannel {
    return new PgLiveEventChannel(this.#pool, this.options)
  }

  async close(): Promise<void> {
    clearInterval(this.#touchTimer)
    await this.#committer.close()
    await this.#leadership?.stop()
    await this.#keys?.stop()
    await this.#pool.end()
  }
}

/**
 * Connects (translating a wrong URL, refused connection, wrong password or missing database into a
 * StoreOpenError), creates the schema when missing, applies pending migrations under the advisory
 * lock (a schema newer than this binary refuses to open, naming both versions) and returns the store.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const pool = createPgPool(options)
  const schema = checkedSchema(options.schema)
  let client: PoolClient
  try {
    client = await pool.connect()
  } catch (err) {
    await pool.end().catch(() => undefined)
    throw describeConnectError(err, options.url)
  }
  try {
    await migratePg(client, { schema })
  } catch (err) {
    client.release(true)
    await pool.end().catch(() => undefined)
    if (err instanceof SchemaTooNewError) throw new StoreOpenError(err.message, { cause: err })
    throw new StoreOpenError(`cannot migrate the PostgreSQL store (schema ${schema}): ${(err as Error).message}`, { cause: err })
  }
  client.release()
  return new PostgresStore(pool, options)
}
