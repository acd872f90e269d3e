// The outbox's reads on the SQLite reader connection: the worker's due scan (partial index on
// pending rows), a tenant's recent deliveries, the depth gauges, and the "expiring soon" sweep.
import type Database from 'better-sqlite3'
import type { TenantId } from '../../core/index.ts'
import type { NotifyEventRecord, OutboxDepth, OutboxRecord, OutboxStatus, OutboxStore } from '../outbox-types.ts'
import type { ClearanceRecord } from '../types.ts'
import { toClearance } from './rows.ts'

type Row = Record<string, unknown>

const SELECT = 'SELECT o.*, e.payload AS payload FROM notify_outbox o JOIN notify_events e ON e.event_id = o.event_id'

export function toOutbox(r: Row): OutboxRecord {
  return {
    deliveryId: r.delivery_id as string,
    tenantId: r.tenant_id as TenantId,
    eventId: r.event_id as string,
    eventType: r.event_type as string,
    channelId: r.channel_id as string,
    channelType: r.channel_type as string,
    payloadJson: r.payload as string,
    status: r.status as OutboxStatus,
    attempts: r.attempts as number,
    nextAttemptAtMs: r.next_attempt_at as number,
    leaseUntilMs: r.lease_until as number,
    lastStatusCode: (r.last_status_code as number | null) ?? null,
    lastError: (r.last_error as string | null) ?? null,
    createdAtMs: r.created_at as number,
    updatedAtMs: r.updated_at as number,
    deliveredAtMs: (r.delivered_at as number | null) ?? null,
  }
}

export class SqliteOutboxReads implements OutboxStore {
  #q: Record<'due' | 'byTenant' | 'byTenantStatus' | 'one' | 'depth' | 'eventDepth' | 'expiring' | 'unexpanded', Database.Statement>

  constructor(r: Database.Database) {
    this.#q = {
      due: r.prepare(
        `${SELECT} WHERE o.status = 'pending' AND o.next_attempt_at <= ? AND o.lease_until <= ? ORDER BY o.next_attempt_at LIMIT ?`,
      ),
      byTenant: r.prepare(`${SELECT} WHERE o.tenant_id = ? ORDER BY o.created_at DESC, o.delivery_id DESC LIMIT ?`),
      byTenantStatus: r.prepare(`${SELECT} WHERE o.tenant_id = ? AND o.status = ? ORDER BY o.created_at DESC, o.delivery_id DESC LIMIT ?`),
      one: r.prepare(`${SELECT} WHERE o.delivery_id = ?`),
      depth: r.prepare(
        `SELECT SUM(status = 'pending') AS pending, SUM(status = 'dead') AS dead,
           MIN(CASE WHEN status = 'pending' THEN created_at END) AS oldest FROM notify_outbox`,
      ),
      eventDepth: r.prepare(
        `SELECT COALESCE(SUM(json_array_length(channels)), 0) AS pending, MIN(created_at) AS oldest FROM notify_events WHERE expanded = 0`,
      ),
      unexpanded: r.prepare('SELECT * FROM notify_events WHERE expanded = 0 ORDER BY created_at LIMIT ?'),
      expiring: r.prepare(
        `SELECT * FROM clearances WHERE review_state = 'pending' AND review_expires_at > ? AND review_expires_at <= ?
         ORDER BY review_expires_at LIMIT ?`,
      ),
    }
  }

  async listDueOutbox(nowMs: number, limit: number): Promise<OutboxRecord[]> {
    return (this.#q.due.all(nowMs, nowMs, limit) as Row[]).map(toOutbox)
  }
  async listOutbox(tenantId: TenantId, status: OutboxStatus | null, limit: number): Promise<OutboxRecord[]> {
    const list = status === null ? this.#q.byTenant.all(tenantId, limit) : this.#q.byTenantStatus.all(tenantId, status, limit)
    return (list as Row[]).map(toOutbox)
  }
  async getOutbox(deliveryId: string): Promise<OutboxRecord | null> {
    const r = this.#q.one.get(deliveryId) as Row | undefined
    return r === undefined ? null : toOutbox(r)
  }
  async outboxDepth(): Promise<OutboxDepth> {
    const r = this.#q.depth.get() as { pending: number | null; dead: number | null; oldest: number | null }
    const e = this.#q.eventDepth.get() as { pending: number; oldest: number | null }
    const oldest = r.oldest === null ? e.oldest : e.oldest === null ? r.oldest : Math.min(r.oldest, e.oldest)
    return { pending: (r.pending ?? 0) + e.pending, dead: r.dead ?? 0, oldestPendingAtMs: oldest }
  }
  async listUnexpandedEvents(limit: number): Promise<NotifyEventRecord[]> {
    return (this.#q.unexpanded.all(limit) as Row[]).map((r) => ({
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
    return (this.#q.expiring.all(fromMs, toMs, limit) as Row[]).map(toClearance)
  }
}
