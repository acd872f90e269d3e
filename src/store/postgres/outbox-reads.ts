// The outbox's reads on the PostgreSQL pool: the SQLite driver's queries (same columns, same row
// mapper), with the JSON channel count taken by PostgreSQL's json_array_length.
import type { PgQueryable } from './pool.ts'
import type { TenantId } from '../../core/index.ts'
import type { NotifyEventRecord, OutboxDepth, OutboxRecord, OutboxStatus, OutboxStore } from '../outbox-types.ts'
import type { ClearanceRecord } from '../types.ts'
import { toOutbox } from '../sqlite/outbox-reads.ts'
import { toClearance } from '../sqlite/rows.ts'

type Row = Record<string, unknown>

const SELECT = 'SELECT o.*, e.payload AS payload FROM notify_outbox o JOIN notify_events e ON e.event_id = o.event_id'

const SQL = {
  due: `${SELECT} WHERE o.status = 'pending' AND o.next_attempt_at <= $1 AND o.lease_until <= $1 ORDER BY o.next_attempt_at LIMIT $2`,
  byTenant: `${SELECT} WHERE o.tenant_id = $1 ORDER BY o.created_at DESC, o.delivery_id DESC LIMIT $2`,
  byTenantStatus: `${SELECT} WHERE o.tenant_id = $1 AND o.status = $2 ORDER BY o.created_at DESC, o.delivery_id DESC LIMIT $3`,
  one: `${SELECT} WHERE o.delivery_id = $1`,
  depth: `SELECT (COUNT(*) FILTER (WHERE status = 'pending'))::int AS pending, (COUNT(*) FILTER (WHERE status = 'dead'))::int AS dead,
       MIN(created_at) FILTER (WHERE status = 'pending') AS oldest FROM notify_outbox`,
  eventDepth: 'SELECT COALESCE(SUM(json_array_length(channels::json)), 0)::int AS pending, MIN(created_at) AS oldest FROM notify_events WHERE expanded = 0',
  unexpanded: 'SELECT * FROM notify_events WHERE expanded = 0 ORDER BY created_at LIMIT $1',
  expiring: `SELECT * FROM clearances WHERE review_state = 'pending' AND review_expires_at > $1 AND review_expires_at <= $2
     ORDER BY review_expires_at LIMIT $3`,
} as const

export class PgOutboxReads implements OutboxStore {
  readonly #pool: PgQueryable
  constructor(pool: PgQueryable) {
    this.#pool = pool
  }
  async listDueOutbox(nowMs: number, limit: number): Promise<OutboxRecord[]> {
    return (await this.#pool.query<Row>(SQL.due, [nowMs, limit])).rows.map(toOutbox)
  }
  async listOutbox(tenantId: TenantId, status: OutboxStatus | null, limit: number): Promise<OutboxRecord[]> {
    const r = status === null ? await this.#pool.query<Row>(SQL.byTenant, [tenantId, limit]) : await this.#pool.query<Row>(SQL.byTenantStatus, [tenantId, status, limit])
    return r.rows.map(toOutbox)
  }
  async getOutbox(deliveryId: string): Promise<OutboxRecord | null> {
    const r = await this.#pool.query<Row>(SQL.one, [deliveryId])
    return r.rows.length === 0 ? null : toOutbox(r.rows[0]!)
  }
  async outboxDepth(): Promise<OutboxDepth> {
    const [o, e] = await Promise.all([
      this.#pool.query<{ pending: number; dead: number; oldest: number | null }>(SQL.depth),
      this.#pool.query<{ pending: number; oldest: number | null }>(SQL.eventDepth),
    ])
    const r = o.rows[0]!
    const ev = e.rows[0]!
    const oldest = r.oldest === null ? ev.oldest : ev.oldest === null ? r.oldest : Math.min(r.oldest, ev.oldest)
    return { pending: r.pending + ev.pending, dead: r.dead, oldestPendingAtMs: oldest }
  }
  async listUnexpandedEvents(limit: number): Promise<NotifyEventRecord[]> {
    return (await this.#pool.query<Row>(SQL.unexpanded, [limit])).rows.map((r) => ({
      eventId: r.event_id as string,
      tenantId: r.tenant_id as TenantId,
      eventType: r.event_type as string,
      payloadJson: r.payload as string,
      channels: JSON.parse(r.channels as string) as Array<{ id: string; type: string }>,
      dedupeKey: (r.dedupe_key as string | null) ?? null,
      createdAtMs: r.created_at as number,
    }))
  }
  async listReviewsExpiringBetween(fromMs: number, toMs: number, limit: number): Promise<ClearanceRecord[]> {
    return (await this.#pool.query<Row>(SQL.expiring, [fromMs, toMs, limit])).rows.map(toClearance)
  }
}
