// The outbox's write ops on the writer connection: inserts ride in the causing change's transaction;
// lease/settle/retry are conditional UPDATEs whose `changes` count is the guard.
import type Database from 'better-sqlite3'
import type { OutboxWriteOp } from '../outbox-types.ts'

export const OUTBOX_COLUMNS = [
  'delivery_id', 'tenant_id', 'event_id', 'event_type', 'channel_id', 'channel_type', 'status',
  'attempts', 'next_attempt_at', 'lease_until', 'last_status_code', 'last_error', 'created_at', 'updated_at', 'delivered_at',
] as const

/** Returns the applier: true = applied (or an ignored duplicate insert), false = guard failed. */
export function createOutboxApplier(db: Database.Database): (op: OutboxWriteOp) => boolean {
  const s = {
    event: db.prepare(
      `INSERT OR IGNORE INTO notify_events (event_id, tenant_id, event_type, payload, channels, dedupe_key, expanded, created_at)
       VALUES (?, ?, ?, ?, ?, ?, 0, ?)`,
    ),
    expand: db.prepare('UPDATE notify_events SET expanded = 1 WHERE event_id = ? AND expanded = 0'),
    insert: db.prepare(
      `INSERT INTO notify_outbox (${OUTBOX_COLUMNS.join(', ')}) VALUES (${OUTBOX_COLUMNS.map(() => '?').join(', ')})`,
    ),
    lease: db.prepare(
      `UPDATE notify_outbox SET lease_until = ?, attempts = attempts + 1, updated_at = ?
       WHERE delivery_id = ? AND status = 'pending' AND next_attempt_at <= ? AND lease_until <= ?`,
    ),
    settle: db.prepare(
      `UPDATE notify_outbox SET status = ?, next_attempt_at = ?, lease_until = 0, last_status_code = ?, last_error = ?,
         updated_at = ?, delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END
       WHERE delivery_id = ? AND status = 'pending'`,
    ),
    retry: db.prepare(
      `UPDATE notify_outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_until = 0, updated_at = ?
       WHERE tenant_id = ? AND delivery_id = ? AND status = 'dead'`,
    ),
  }
  return function applyOutboxOp(op: OutboxWriteOp): boolean {
    switch (op.op) {
      case 'notify_event_insert': {
        const e = op.event
        s.event.run(e.eventId, e.tenantId, e.eventType, e.payloadJson, JSON.stringify(e.channels), e.dedupeKey, e.createdAtMs)
        return true
      }
      case 'notify_event_expand': {
        if (s.expand.run(op.eventId).changes !== 1) return false
        for (const r of op.deliveries) {
          s.insert.run(
            r.deliveryId, r.tenantId, r.eventId, r.eventType, r.channelId, r.channelType, r.status,
            r.attempts, r.nextAttemptAtMs, r.leaseUntilMs, r.lastStatusCode, r.lastError, r.createdAtMs, r.updatedAtMs, r.deliveredAtMs,
          )
        }
        return true
      }
      case 'outbox_lease':
        return s.lease.run(op.leaseUntilMs, op.atMs, op.deliveryId, op.atMs, op.atMs).changes === 1
      case 'outbox_settle':
        return (
          s.settle.run(op.status, op.nextAttemptAtMs, op.lastStatusCode, op.lastError, op.atMs, op.status, op.atMs, op.deliveryId).changes === 1
        )
      case 'outbox_retry':
        return s.retry.run(op.atMs, op.atMs, op.tenantId, op.deliveryId).changes === 1
      default: {
        const never: never = op
        throw new Error(`unknown outbox op ${JSON.stringify(never)}`)
      }
    }
  }
}
