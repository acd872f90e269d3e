// The core reads of the PostgreSQL Store (tenants, keys, tokens, clearances, idempotency, policies,
// settings, locks), each one query on the pool. Same SQL and row mappers as the SQLite driver.
import type { PgQueryable } from './pool.ts'
import type { TenantId } from '../../core/index.ts'
import type {
  AgentLockRecord,
  ApiKeyRecord,
  ClearanceRecord,
  IdempotencyRecord,
  ListReviewsQuery,
  PolicyVersionRecord,
  SettingsKind,
  SigningKeyRecord,
  StoredDecisionEvent,
  TenantRecord,
  TokenRecord,
} from '../types.ts'
import * as rows from '../sqlite/rows.ts'

type Row = Record<string, unknown>

const SQL = {
  tenant: 'SELECT * FROM tenants WHERE tenant_id = $1',
  tenants: 'SELECT * FROM tenants ORDER BY created_at, tenant_id',
  countKeys: 'SELECT COUNT(*)::int AS n FROM api_keys',
  keyByHash: 'SELECT * FROM api_keys WHERE key_hash = $1',
  keysOfTenant: 'SELECT * FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, key_id',
  signingKeys: 'SELECT * FROM signing_keys ORDER BY active_from, kid',
  signingKeySecret: 'SELECT sealed FROM signing_key_secrets WHERE kid = $1',
  keyRingGeneration: 'SELECT generation FROM key_ring_generation WHERE id = 1',
  token: 'SELECT * FROM tokens WHERE jti = $1',
  burned: 'SELECT 1 FROM burns WHERE jti = $1',
  clearance: 'SELECT * FROM clearances WHERE tenant_id = $1 AND request_id = $2',
  clearancesByStatus: `SELECT * FROM clearances WHERE tenant_id = $1 AND status = $2 AND review_state IS NOT NULL
       AND (created_at > $3 OR (created_at = $3 AND request_id > $4))
     ORDER BY created_at, request_id LIMIT $5`,
  clearancesDecided: `SELECT * FROM clearances WHERE tenant_id = $1 AND review_state IN ('approved', 'denied', 'cancelled')
       AND (created_at > $2 OR (created_at = $2 AND request_id > $3))
     ORDER BY created_at, request_id LIMIT $4`,
  clearancesExpired: `SELECT * FROM clearances WHERE tenant_id = $1 AND review_state = 'expired'
       AND (created_at > $2 OR (created_at = $2 AND request_id > $3))
     ORDER BY created_at, request_id LIMIT $4`,
  clearancesAll: `SELECT * FROM clearances WHERE tenant_id = $1 AND review_state IS NOT NULL
       AND (created_at > $2 OR (created_at = $2 AND request_id > $3))
     ORDER BY created_at, request_id LIMIT $4`,
  expiredReviews: `SELECT * FROM clearances WHERE review_state = 'pending' AND review_expires_at IS NOT NULL AND review_expires_at <= $1
     ORDER BY review_expires_at LIMIT $2`,
  processing: "SELECT * FROM clearances WHERE status = 'processing' LIMIT $1",
  events: 'SELECT * FROM decision_events WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
  idempotency: 'SELECT * FROM idempotency WHERE tenant_id = $1 AND route = $2 AND idem_key = $3',
  latestPolicies: `SELECT p.* FROM policies p
     WHERE p.tenant_id = $1 AND p.created_at = (SELECT MAX(created_at) FROM policies q WHERE q.tenant_id = p.tenant_id AND q.policy_id = p.policy_id)
     ORDER BY p.policy_id, p.version_id`,
  settings: 'SELECT value FROM settings WHERE tenant_id = $1 AND kind = $2',
  lock: 'SELECT * FROM agent_locks WHERE tenant_id = $1 AND agent_id = $2',
  lockEvents: 'SELECT * FROM agent_lock_events WHERE tenant_id = $1 AND agent_id = $2 ORDER BY id',
} as const

export class PgStoreReads {
  readonly #pool: PgQueryable
  constructor(pool: PgQueryable) {
    this.#pool = pool
  }
  async #one(text: string, values: unknown[]): Promise<Row | null> {
    return (await this.#pool.query<Row>(text, values)).rows[0] ?? null
  }
  async #all(text: string, values: unknown[]): Promise<Row[]> {
    return (await this.#pool.query<Row>(text, values)).rows
  }

  async getTenant(tenantId: TenantId): Promise<TenantRecord | null> {
    const r = await this.#one(SQL.tenant, [tenantId])
    return r === null ? null : rows.toTenant(r)
  }
  async listTenants(): Promise<TenantRecord[]> {
    return (await this.#all(SQL.tenants, [])).map(rows.toTenant)
  }
  async countApiKeys(): Promise<number> {
    return (await this.#one(SQL.countKeys, []))!.n as number
  }
  async findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const r = await this.#one(SQL.keyByHash, [keyHash])
    return r === null ? null : rows.toApiKey(r)
  }
  async listApiKeys(tenantId: TenantId): Promise<ApiKeyRecord[]> {
    return (await this.#all(SQL.keysOfTenant, [tenantId])).map(rows.toApiKey)
  }
  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return (await this.#all(SQL.signingKeys, [])).map(rows.toSigningKey)
  }
  async getSigningKeySecret(kid: string): Promise<Uint8Array | null> {
    const r = await this.#one(SQL.signingKeySecret, [kid])
    return r === null ? null : new Uint8Array(r['sealed'] as Buffer)
  }
  async signingKeysVersion(): Promise<string> {
    return String((await this.#one(SQL.keyRingGeneration, []))?.generation ?? 0)
  }
  async getToken(jti: string): Promise<TokenRecord | null> {
    const r = await this.#one(SQL.token, [jti])
    return r === null ? null : rows.toToken(r)
  }
  async isBurned(jti: string): Promise<boolean> {
    return (await this.#one(SQL.burned, [jti])) !== null
  }
  async getClearance(tenantId: TenantId, requestId: string): Promise<ClearanceRecord | null> {
    const r = await this.#one(SQL.clearance, [tenantId, requestId])
    return r === null ? null : rows.toClearance(r)
  }
  async listClearances(tenantId: TenantId, query: ListReviewsQuery): Promise<ClearanceRecord[]> {
    const afterMs = query.after?.createdAtMs ?? -1
    const afterId = query.after?.requestId ?? ''
    const byState = query.status === 'all' ? SQL.clearancesAll : query.status === 'decided' ? SQL.clearancesDecided : query.status === 'expired' ? SQL.clearancesExpired : null
    const list =
      byState !== null
        ? await this.#all(byState, [tenantId, afterMs, afterId, query.limit])
        : await this.#all(SQL.clearancesByStatus, [tenantId, query.status, afterMs, afterId, query.limit])
    return list.map(rows.toClearance)
  }
  async listExpiredReviews(nowMs: number, limit: number): Promise<ClearanceRecord[]> {
    return (await this.#all(SQL.expiredReviews, [nowMs, limit])).map(rows.toClearance)
  }
  async listProcessing(limit: number): Promise<ClearanceRecord[]> {
    return (await this.#all(SQL.processing, [limit])).map(rows.toClearance)
  }
  async listDecisionEvents(tenantId: TenantId, afterSeq: number, limit: number): Promise<StoredDecisionEvent[]> {
    return (await this.#all(SQL.events, [tenantId, afterSeq, limit])).map(rows.toEvent)
  }
  async getIdempotency(tenantId: TenantId, route: string, key: string): Promise<IdempotencyRecord | null> {
    const r = await this.#one(SQL.idempotency, [tenantId, route, key])
    return r === null ? null : rows.toIdempotency(r)
  }
  async listLatestPolicies(tenantId: TenantId): Promise<PolicyVersionRecord[]> {
    return (await this.#all(SQL.latestPolicies, [tenantId])).map(rows.toPolicy)
  }
  async getSettings(tenantId: TenantId, kind: SettingsKind): Promise<string | null> {
    return ((await this.#one(SQL.settings, [tenantId, kind]))?.value as string | undefined) ?? null
  }
  async getAgentLock(tenantId: TenantId, agentId: string): Promise<AgentLockRecord | null> {
    const r = await this.#one(SQL.lock, [tenantId, agentId])
    return r === null ? null : rows.toLock(r)
  }
  async listAgentLockEvents(tenantId: TenantId, agentId: string): Promise<AgentLockRecord[]> {
    return (await this.#all(SQL.lockEvents, [tenantId, agentId])).map(rows.toLock)
  }
}
