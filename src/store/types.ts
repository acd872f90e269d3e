// The driver-neutral Store contract: typed reads plus one atomic, group-committed `write(ops)`.
// Two drivers implement it: SQLite (src/store/sqlite/) and PostgreSQL (src/store/postgres/).
import type { ApiKeyId, StoreStats, TenantId } from '../core/index.ts'
import type { DriftStore, DriftWriteOp } from './drift-types.ts'
import type { LedgerStore, LedgerWriteOp } from './ledger-types.ts'
import type { OutboxStore, OutboxWriteOp } from './outbox-types.ts'
import type { ReportStore, ReportWriteOp } from './report-types.ts'
import type { DashboardStore, DashboardWriteOp } from './dashboard-types.ts'
import type { DashboardApiStore, DashboardApiWriteOp } from './dashboard-api-types.ts'

export type ApiKeyRole = 'agent' | 'reviewer' | 'admin'

export interface TenantRecord {
  tenantId: TenantId
  name: string
  createdAtMs: number
}

export interface ApiKeyRecord {
  keyId: ApiKeyId
  tenantId: TenantId
  /** Lowercase hex SHA-256 of the full key text; the key itself is never stored. */
  keyHash: string
  /** First characters of the key (`sk_live_ab12`), safe to show in listings. */
  prefix: string
  role: ApiKeyRole
  name: string
  createdAtMs: number
  revokedAtMs: number | null
  lastUsedAtMs: number | null
  /** The key is refused from this time on (a rotation's grace, or a lifetime given at creation); absent = null. */
  expiresAtMs?: number | null
  /** The key that replaced this one in a rotation; absent = null. */
  replacedByKeyId?: string | null
}

/** Instance-wide: one key ring signs for every tenant (the JWKS is public and tenant-less). */
export interface SigningKeyRecord {
  kid: string
  /** base64url of the 32-byte Ed25519 public key. */
  publicX: string
  activeFromMs: number
  retiredAtMs: number | null
  revokedAtMs: number | null
  source: 'file' | 'env'
}

export interface TokenRecord {
  jti: string
  tenantId: TenantId
  requestId: string
  agentId: string
  toolName: string
  kid: string
  expSeconds: number
  mintedAtMs: number
}

export type ClearanceStatus = 'processing' | 'approved' | 'denied' | 'pending_review'
export type DecisionStatus = 'approved' | 'denied' | 'approved_pending_review'
export type ReviewState = 'pending' | 'approved' | 'denied' | 'cancelled' | 'expired'
/** Through which channel a review was decided: the API, Slack, the dashboard, or the Vault itself (expiry). */
export type DecisionChannel = 'api' | 'slack' | 'dashboard' | 'system'

/** One clearance request and its current state (also the `/mint-token` mints, kind 'mint'). */
export interface ClearanceRecord {
  tenantId: TenantId
  requestId: string
  kind: 'clearance' | 'mint'
  status: ClearanceStatus
  /** null only while processing (the response then omits the field). */
  decisionStatus: DecisionStatus | null
  token: string | null
  jti: string | null
  reason: string
  reasonCode: string | null
  confidence: number
  confidenceBucket: string
  minimumConfidenceScore: number
  minimumConfidenceBucket: string
  policyId: string
  policyVersionId: string | null
  policyContentHash: string | null
  toolName: string
  toolArgs: Record<string, unknown>
  toolArgsHash: string
  agentId: string
  sessionId: string
  context: Record<string, unknown>
  matchedRuleIds: string[]
  reviewState: ReviewState | null
  reviewExpiresAtMs: number | null
  /** Who the decider says they are: the review body's `reviewer_email` (unverified), else `<role>:<key name>`. */
  reviewer: string | null
  reviewReason: string | null
  /** The API key that authenticated the review decision (null for system and policy decisions). */
  decidedByKeyId: string | null
  decidedByRole: ApiKeyRole | null
  /** The channel of the review decision (null until a review is decided, and for non-review decisions). */
  decisionChannel: DecisionChannel | null
  parentRequestId: string | null
  createdAtMs: number
  updatedAtMs: number
}

/** The full decision event (spec §7.2, canonical_version 3) the Vault hands to the ledger. */
export interface DecisionEvent {
  tenantId: TenantId
  eventUuid: string
  /** 'clearance' | 'review' | 'review.cancelled_by_agent' | 'review.expired' | 'mint' | 'lockdown' */
  eventType: string
  requestId: string
  toolName: string
  toolArgs: Record<string, unknown>
  agentId: string
  policyId: string
  reason: string
  citations: Array<Record<string, unknown>>
  evidenceChunks: Array<Record<string, unknown>>
  confidence: number
  confidenceBucket: string
  decisionStatus: string
  approved: boolean
  /** ISO-8601 text, byte-identical to what /ledger will serve and the receipt will sign. */
  acceptedAt: string
  intentHash: string
  ruleSetHash: string
  matchedRuleIds: string[]
  evalInputsHash: string
  evalTraceHash: string
  classifierLabel: string
  classifierConfidenceBucket: string
  canonicalVersion: number
}

/** A stored event read back as plain fields (bodies encrypted at rest read as placeholders). */
export interface StoredDecisionEvent extends DecisionEvent {
  /** Insertion order, 1-based, per store. */
  seq: number
}

export interface IdempotencyRecord {
  tenantId: TenantId
  route: string
  key: string
  /** sha256 hex of the canonical request body. */
  bodyHash: string
  requestId: string | null
  statusCode: number
  responseJson: string
  createdAtMs: number
}

export interface PolicyVersionRecord {
  tenantId: TenantId
  policyId: string
  versionId: string
  description: string
  /** The registered document (rules, tools, ...) as JSON text. */
  documentJson: string
  contentHash: string
  createdAtMs: number
  /** The API key that registered this version; absent or null for versions stored before it was recorded. */
  authorKeyId?: string | null
}

export type SettingsKind = 'review' | 'notification' | 'drift' | 'report'

export interface AgentLockRecord {
  tenantId: TenantId
  agentId: string
  locked: boolean
  actor: string
  reason: string
  changedAtMs: number
}

export interface ListReviewsQuery {
  /** A clearance status; 'all'; or by review state: 'decided' (approved, denied or cancelled by a reviewer) or 'expired'. */
  status: ClearanceStatus | 'all' | 'decided' | 'expired'
  limit: number
  /** Exclusive lower bound on (createdAtMs, requestId), from the previous page. */
  after: { createdAtMs: number; requestId: string } | null
}

/** One durable mutation. Ops marked "guard" abort the whole write() when their condition fails. */
export type WriteOp =
  /**
   * guard: the tenant id is new (the primary key decides, inside the transaction, so concurrent creates
   * of one id yield exactly one success). `ifMissing: true` drops the guard: insert when absent, else no-op.
   */
  | { op: 'tenant_insert'; tenant: TenantRecord; ifMissing?: boolean }
  | { op: 'api_key_insert'; key: ApiKeyRecord }
  /** guard: key exists in tenant and is not yet revoked */
  | { op: 'api_key_revoke'; tenantId: TenantId; keyId: ApiKeyId; atMs: number }
  | { op: 'signing_key_upsert'; key: SigningKeyRecord }
  /**
   * guard: the signing keys active now (neither retired nor revoked) are exactly `expectActive`;
   * then those are retired at `atMs` and `key` is inserted as the one active key. Two rotations that
   * read the same ring cannot both pass, so a ring never ends with two active keys.
   */
  | {
      op: 'signing_key_rotate'
      expectActive: readonly string[]
      key: SigningKeyRecord
      atMs: number
      /**
       * The new key's private half, sealed by the key ring (KeyRing: several processes share the
       * store, so the key cannot live in one replica's data_dir), stored in `signing_key_secrets`.
       */
      secret?: Uint8Array
    }
  /** guard: the jti was never burned (global: jtis are minted by one key ring, UUIDv7) */
  | { op: 'burn'; jti: string; tenantId: TenantId; agentId: string; expSeconds: number; atMs: number }
  /**
   * guard: the consume checks, read inside the burn's own transaction (no reads before it): the
   * token's mint record does not name another tenant than `callerTenant` (null = in-process, no
   * caller tenant), the agent is not locked down in the burning tenant (the mint record's, else the
   * caller's, else '*'), and the jti was never burned. A failure carries `refusal`.
   */
  | { op: 'token_burn'; jti: string; callerTenant: TenantId | null; agentId: string; expSeconds: number; atMs: number }
  /**
   * guard: the token's agent is not locked down in the token's tenant, read inside this transaction:
   * every token the Vault mints is inserted by this op, so a lockdown acknowledged before the mint's
   * commit always wins (refusal `agent_locked`), whichever path (clearance, review, expiry, /mint-token) minted it.
   */
  | { op: 'token_insert'; token: TokenRecord }
  /** guard: request id is new in the tenant */
  | { op: 'clearance_insert'; clearance: ClearanceRecord }
  /** guard: the stored row still has status `expectStatus` (exactly-once transitions) */
  | { op: 'clearance_update'; clearance: ClearanceRecord; expectStatus: ClearanceStatus }
  /** guard: (tenant, route, key) is new */
  | { op: 'idempotency_insert'; record: IdempotencyRecord }
  | { op: 'policy_insert'; policy: PolicyVersionRecord }
  | { op: 'settings_put'; tenantId: TenantId; kind: SettingsKind; valueJson: string; atMs: number }
  | { op: 'agent_lock_put'; lock: AgentLockRecord }
  | LedgerWriteOp
  | DriftWriteOp
  | OutboxWriteOp
  | ReportWriteOp
  | DashboardWriteOp
  | DashboardApiWriteOp

/**
 * Why a `token_burn` (or, with `agent_locked` only, a `token_insert`) was refused, in the order checked;
 * `lockReason` is set for agent_locked only.
 */
export interface BurnRefusal {
  code: 'token_wrong_tenant' | 'agent_locked' | 'token_replayed'
  lockReason: string | null
}

/** `refusal` is present only when a `token_burn` or `token_insert` op failed. */
export type WriteResult = { ok: true } | { ok: false; failedOp: number; opName: WriteOp['op']; refusal?: BurnRefusal }

/**
 * A message channel shared by every process on the same database (PostgreSQL LISTEN/NOTIFY), for live
 * events across replicas. Delivery is best effort: `onGap` is called when messages may have been lost.
 */
export interface LiveEventChannel {
  /** Send `payload` (at most 7900 bytes) to every listener, this process's included. Never throws. */
  notify(payload: string): void
  listen(onPayload: (payload: string) => void, onGap: () => void): Promise<void>
  /** Stop listening and wait for sends in flight. */
  close(): Promise<void>
}

export interface Store extends LedgerStore, DriftStore, OutboxStore, ReportStore, DashboardStore, DashboardApiStore {
  readonly driver: 'sqlite' | 'postgres'
  /**
   * Apply `ops` atomically, durable before the promise resolves. Concurrent calls share one
   * transaction (group commit). Rejects with LedgixError('overloaded') when the queue is full.
   */
  write(ops: readonly WriteOp[]): Promise<WriteResult>
  /** Best-effort, coalesced, not durable: the last-used time of an API key. */
  touchApiKey(keyId: ApiKeyId, atMs: number): void
  /**
   * Non-null once the store can no longer promise that a write it acknowledges is durable (a failed
   * fsync): from then on every write is refused with that error, and readiness reports `store_failed`.
   */
  readonly failure: Error | null
  /** Counters of the durable write path since open, read at scrape time (`/metrics`). */
  stats(): StoreStats

  getTenant(tenantId: TenantId): Promise<TenantRecord | null>
  listTenants(): Promise<TenantRecord[]>
  countApiKeys(): Promise<number>
  /**
   * The three reads every customer request makes (this one, getSettings, getAgentLock) may be served
   * from memory, but never stale: a write acknowledged by this store, or committed by any other
   * connection to the same database, is seen by the next read. Returned records are shared: read-only.
   */
  findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null>
  listApiKeys(tenantId: TenantId): Promise<ApiKeyRecord[]>
  listSigningKeys(): Promise<SigningKeyRecord[]>
  /**
   * A value that changes whenever the signing-key table changes, by any connection or process (a
   * running Vault polls it to pick up `keys revoke` from the CLI): cheap, never cached.
   */
  signingKeysVersion(): Promise<string>
  /** The sealed private key a rotation stored with `secret` (null: none; the key's file is in data_dir). */
  getSigningKeySecret(kid: string): Promise<Uint8Array | null>
  getToken(jti: string): Promise<TokenRecord | null>
  isBurned(jti: string): Promise<boolean>
  getClearance(tenantId: TenantId, requestId: string): Promise<ClearanceRecord | null>
  listClearances(tenantId: TenantId, query: ListReviewsQuery): Promise<ClearanceRecord[]>
  /** Clearances still pending review whose expiry is at or before `nowMs` (all tenants). */
  listExpiredReviews(nowMs: number, limit: number): Promise<ClearanceRecord[]>
  /** Clearances left in 'processing' (a restart interrupted their evaluation). */
  listProcessing(limit: number): Promise<ClearanceRecord[]>
  listDecisionEvents(tenantId: TenantId, afterSeq: number, limit: number): Promise<StoredDecisionEvent[]>
  getIdempotency(tenantId: TenantId, route: string, key: string): Promise<IdempotencyRecord | null>
  listLatestPolicies(tenantId: TenantId): Promise<PolicyVersionRecord[]>
  getSettings(tenantId: TenantId, kind: SettingsKind): Promise<string | null>
  getAgentLock(tenantId: TenantId, agentId: string): Promise<AgentLockRecord | null>
  listAgentLockEvents(tenantId: TenantId, agentId: string): Promise<AgentLockRecord[]>
  /**
   * The election of the one ledger sealer among the processes sharing this store (PostgreSQL
   * replicas). Absent when only one process can write the store (SQLite): its sealer always leads.
   * Once started, the store refuses a `ledger_seal` (guard failure) unless this process still leads.
   */
  sealerLeadership?(): SealerLeadership
  /**
   * Start following other processes' writes so lookups can be served from memory (PostgreSQL:
   * LISTEN/NOTIFY for API-key revocations). Absent or not called: nothing is cached across processes.
   */
  startChangeFeed?(): Promise<void>
  /** A channel to the other processes on this database; absent where only one process can write (SQLite). */
  openLiveEventChannel?(): LiveEventChannel
  close(): Promise<void>
}

/** Who may seal the ledger now (docs/design/store.md "Sealer leadership across replicas"). */
export interface SealerLeadership {
  readonly isLeader: boolean
  /** How often a follower tries to take the lead (and a leader checks its session). */
  readonly pollMs: number
  /** First attempt awaited, then one per pollMs in the background. */
  start(): Promise<void>
  /** Give up the lead (another process takes it at its next poll). */
  stop(): Promise<void>
}
