// PostgreSQL statements for the ledger, drift and outbox write ops. Per-tenant sequences (ledger
// tenant_seq, drift seq) are MAX + 1 under an exclusive advisory lock per tenant, taken inside the
// write's transaction, so two replicas appending for one tenant take turns instead of colliding on
// the unique (tenant, seq) index. Guards report through the returned boolean, never by throwing.
import type { PoolClient } from 'pg'
import type { LedgerEventRecord, LedgerWriteOp } from '../ledger-types.ts'
import type { DriftWriteOp } from '../drift-types.ts'
import type { OutboxWriteOp } from '../outbox-types.ts'
import { CHECKPOINT_COLUMNS, EVENT_COLUMNS } from '../sqlite/ledger-ops.ts'
import { OUTBOX_COLUMNS } from '../sqlite/outbox-ops.ts'

const list = (n: number): string => Array.from({ length: n }, (_, i) => `$${i + 1}`).join(', ')
const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength)

const SQL = {
  tenantSeqLock: "SELECT pg_advisory_xact_lock(hashtextextended($1::text || chr(1) || $2::text, 0))",
  eventInsert: `INSERT INTO decision_events (${EVENT_COLUMNS.join(', ')}, tenant_seq) VALUES (${list(EVENT_COLUMNS.length)},
     (SELECT COALESCE(MAX(tenant_seq), 0) + 1 FROM decision_events WHERE tenant_id = $1))`,
  sealLeaves: `UPDATE decision_events d SET leaf_index = l.leaf_index, checkpoint_id = $2
     FROM unnest($3::bigint[], $4::bigint[]) AS l(seq, leaf_index)
     WHERE d.seq = l.seq AND d.tenant_id = $1 AND d.leaf_index IS NULL`,
  nodesInsert: 'INSERT INTO ledger_nodes (tenant_id, level, idx, hash) SELECT $1, * FROM unnest($2::int[], $3::bigint[], $4::bytea[])',
  checkpointInsert: `INSERT INTO ledger_checkpoints (${CHECKPOINT_COLUMNS.join(', ')}) VALUES (${list(CHECKPOINT_COLUMNS.length)}) ON CONFLICT DO NOTHING`,
  dataKeyInsert: 'INSERT INTO ledger_data_keys (tenant_id, wrapped_key, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
  driftStatePut: `INSERT INTO drift_agents (tenant_id, agent_id, state, updated_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, agent_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
  driftEventInsert: `INSERT INTO drift_events (tenant_id, seq, event_id, agent_id, type, level, score, at, body)
     VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM drift_events WHERE tenant_id = $1), $2, $3, $4, $5, $6, $7, $8)`,
  notifyEvent: `INSERT INTO notify_events (event_id, tenant_id, event_type, payload, channels, dedupe_key, expanded, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, 0, $7) ON CONFLICT DO NOTHING`,
  expand: 'UPDATE notify_events SET expanded = 1 WHERE event_id = $1 AND expanded = 0',
  outboxInsert: `INSERT INTO notify_outbox (${OUTBOX_COLUMNS.join(', ')}) VALUES (${list(OUTBOX_COLUMNS.length)})`,
  lease: `UPDATE notify_outbox SET lease_until = $1, attempts = attempts + 1, updated_at = $2
     WHERE delivery_id = $3 AND status = 'pending' AND next_attempt_at <= $2 AND lease_until <= $2`,
  settle: `UPDATE notify_outbox SET status = $1, next_attempt_at = $2, lease_until = 0, last_status_code = $3, last_error = $4,
       updated_at = $5, delivered_at = CASE WHEN $1 = 'delivered' THEN $5 ELSE delivered_at END
     WHERE delivery_id = $6 AND status = 'pending'`,
  retry: `UPDATE notify_outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, lease_until = 0, updated_at = $1
     WHERE tenant_id = $2 AND delivery_id = $3 AND status = 'dead'`,
} as const

export function eventParams(e: LedgerEventRecord): unknown[] {
  // An encrypted body leaves neutral placeholders in the plaintext columns (they are NOT NULL).
  const b = e.body
  return [
    e.tenantId, e.eventUuid, e.eventType, e.requestId, e.toolName, b === null ? '{}' : b.toolArgsJson, e.agentId, e.policyId,
    b === null ? '' : b.reason, b === null ? '[]' : b.citationsJson, b === null ? '[]' : b.evidenceChunksJson, e.confidence,
    e.confidenceBucket, e.decisionStatus, e.approved ? 1 : 0, e.acceptedAt, e.intentHash, e.ruleSetHash,
    JSON.stringify(e.matchedRuleIds), e.evalInputsHash, e.evalTraceHash, e.classifierLabel, e.classifierConfidenceBucket,
    e.canonicalVersion, e.eventHash, e.leafHash, e.receiptAlgorithm, e.receiptKeyId, e.receiptPayload, e.receiptSignature,
    e.bodyCipher === null ? null : buf(e.bodyCipher),
  ]
}

/** true = applied, false = guard failed. */
export async function applyPgLedgerOp(c: PoolClient, op: LedgerWriteOp): Promise<boolean> {
  switch (op.op) {
    case 'event_insert':
      await c.query(SQL.tenantSeqLock, ['ledger', op.event.tenantId])
      await c.query(SQL.eventInsert, eventParams(op.event))
      return true
    case 'ledger_seal': {
      // The tenant's ledger lock first, as every append takes it: a seal that inserted its checkpoint
      // and then waited for the lock, while an append holding the lock waited on that checkpoint row
      // (two sealers, each in a batch with appends), was a deadlock PostgreSQL broke after 1 s.
      await c.query(SQL.tenantSeqLock, ['ledger', op.tenantId])
      const k = op.checkpoint
      const inserted = await c.query(SQL.checkpointInsert, [
        k.tenantId, k.checkpointId, k.treeSize, k.rootHash, k.checkpointHash, k.prevCheckpointHash, k.signedAt,
        k.signatureAlgorithm, k.signerKeyId, k.checkpointPayload, k.checkpointSignature, k.mmdSeconds, k.exportTarget,
      ])
      if (inserted.rowCount !== 1) return false
      // One statement for every leaf; the guard holds when each listed row was still unsealed.
      const sealed = await c.query(SQL.sealLeaves, [op.tenantId, k.checkpointId, op.leaves.map((l) => l.rowSeq), op.leaves.map((l) => l.leafIndex)])
      if (sealed.rowCount !== op.leaves.length || new Set(op.leaves.map((l) => l.rowSeq)).size !== op.leaves.length) return false
      // Plain INSERT: a node is written exactly once; an existing one means a corrupt store, and the
      // constraint error aborts this seal rather than keeping a hash nobody recomputed.
      if (op.nodes.length > 0) {
        await c.query(SQL.nodesInsert, [op.tenantId, op.nodes.map((n) => n.level), op.nodes.map((n) => n.index), op.nodes.map((n) => buf(n.hash))])
      }
      return true
    }
    case 'ledger_data_key_insert':
      return (await c.query(SQL.dataKeyInsert, [op.tenantId, Buffer.from(op.wrappedKey), op.atMs])).rowCount === 1
    default: {
      const never: never = op
      throw new Error(`unknown ledger op ${JSON.stringify(never)}`)
    }
  }
}

export async function applyPgDriftOp(c: PoolClient, op: DriftWriteOp): Promise<boolean> {
  switch (op.op) {
    case 'drift_state_put': {
      const r = op.record
      await c.query(SQL.driftStatePut, [r.tenantId, r.agentId, r.stateJson, r.updatedAtMs])
      return true
    }
    case 'drift_event_insert': {
      const e = op.event
      await c.query(SQL.tenantSeqLock, ['drift', e.tenantId])
      await c.query(SQL.driftEventInsert, [e.tenantId, e.eventId, e.agentId, e.type, e.level, e.score, e.atMs, e.bodyJson])
      return true
    }
    default: {
      const never: never = op
      throw new Error(`unknown drift op ${JSON.stringify(never)}`)
    }
  }
}

export async function applyPgOutboxOp(c: PoolClient, op: OutboxWriteOp): Promise<boolean> {
  switch (op.op) {
    case 'notify_event_insert': {
      const e = op.event
      await c.query(SQL.notifyEvent, [e.eventId, e.tenantId, e.eventType, e.payloadJson, JSON.stringify(e.channels), e.dedupeKey, e.createdAtMs])
      return true
    }
    case 'notify_event_expand': {
      if ((await c.query(SQL.expand, [op.eventId])).rowCount !== 1) return false
      for (const r of op.deliveries) {
        await c.query(SQL.outboxInsert, [
          r.deliveryId, r.tenantId, r.eventId, r.eventType, r.channelId, r.channelType, r.status,
          r.attempts, r.nextAttemptAtMs, r.leaseUntilMs, r.lastStatusCode, r.lastError, r.createdAtMs, r.updatedAtMs, r.deliveredAtMs,
        ])
      }
      return true
    }
    case 'outbox_lease':
      return (await c.query(SQL.lease, [op.leaseUntilMs, op.atMs, op.deliveryId])).rowCount === 1
    case 'outbox_settle':
      return (await c.query(SQL.settle, [op.status, op.nextAttemptAtMs, op.lastStatusCode, op.lastError, op.atMs, op.deliveryId])).rowCount === 1
    case 'outbox_retry':
      return (await c.query(SQL.retry, [op.atMs, op.tenantId, op.deliveryId])).rowCount === 1
    default: {
      const never: never = op
      throw new Error(`unknown outbox op ${JSON.stringify(never)}`)
    }
  }
}
