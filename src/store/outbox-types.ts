// The notification outbox's part of the Store contract: one row per (event, channel), written in the
// same write() as the change that caused the event, then leased, settled or dead-lettered by the
// delivery worker (src/notify). Pure data shapes; a driver only stores and returns them.
import type { TenantId } from '../core/index.ts'
import type { ClearanceRecord } from './types.ts'

export type OutboxStatus = 'pending' | 'delivered' | 'dead'

export interface OutboxRecord {
  /** UUIDv7 of this delivery (one event fans out to one row per matching channel). */
  deliveryId: string
  tenantId: TenantId
  /** UUIDv7 of the event: the idempotency key receivers dedupe on (same for every retry). */
  eventId: string
  eventType: string
  channelId: string
  channelType: string
  /** The versioned event body as JSON text, rendered per channel at delivery time. */
  payloadJson: string
  status: OutboxStatus
  attempts: number
  nextAttemptAtMs: number
  /** A worker owns the row until then (0 = unowned); a crashed worker's lease simply runs out. */
  leaseUntilMs: number
  lastStatusCode: number | null
  lastError: string | null
  createdAtMs: number
  updatedAtMs: number
  deliveredAtMs: number | null
}

/**
 * An event as the causing write stores it: the body once, and the channels it matched. The worker
 * later expands it into one delivery row per channel (off the request path: the clearance write
 * carries one small row set, not one per channel).
 */
export interface NotifyEventRecord {
  eventId: string
  tenantId: TenantId
  eventType: string
  payloadJson: string
  /** The matching channels at event time, as `id` and `type`. */
  channels: Array<{ id: string; type: string }>
  /** Non-null for events a sweep may try to emit twice (expiring soon): unique per tenant. */
  dedupeKey: string | null
  createdAtMs: number
}

export type OutboxWriteOp =
  /** Ignored when `dedupeKey` is set and already used in the tenant. */
  | { op: 'notify_event_insert'; event: NotifyEventRecord }
  /** guard: the event is not yet expanded. Marks it expanded and inserts its delivery rows. */
  | { op: 'notify_event_expand'; eventId: string; deliveries: OutboxRecord[] }
  /** guard: the row is pending, due at `atMs` and not leased; takes the lease and counts an attempt. */
  | { op: 'outbox_lease'; deliveryId: string; atMs: number; leaseUntilMs: number }
  /** guard: the row is still pending. Records an attempt's outcome and releases the lease. */
  | {
      op: 'outbox_settle'
      deliveryId: string
      status: OutboxStatus
      nextAttemptAtMs: number
      lastStatusCode: number | null
      lastError: string | null
      atMs: number
    }
  /** guard: the row is dead in that tenant. Makes it pending again with a fresh attempt budget. */
  | { op: 'outbox_retry'; tenantId: TenantId; deliveryId: string; atMs: number }

export interface OutboxDepth {
  /** Pending delivery rows plus the channels of events not yet expanded. */
  pending: number
  dead: number
  /** Creation time of the oldest pending row or unexpanded event; null when none. */
  oldestPendingAtMs: number | null
}

export interface OutboxStore {
  /** Events not yet expanded into delivery rows, oldest first (all tenants). */
  listUnexpandedEvents(limit: number): Promise<NotifyEventRecord[]>
  /** Pending rows due at `nowMs` and not leased, oldest due first (all tenants). */
  listDueOutbox(nowMs: number, limit: number): Promise<OutboxRecord[]>
  /** A tenant's rows, newest first; `status` null = any. */
  listOutbox(tenantId: TenantId, status: OutboxStatus | null, limit: number): Promise<OutboxRecord[]>
  getOutbox(deliveryId: string): Promise<OutboxRecord | null>
  outboxDepth(): Promise<OutboxDepth>
  /** Reviews still pending whose expiry falls in (fromMs, toMs] (all tenants): the "expiring soon" sweep. */
  listReviewsExpiringBetween(fromMs: number, toMs: number, limit: number): Promise<ClearanceRecord[]>
}
