// SQLite statements for the ledger's write ops: the hashed event row (its per-tenant seq taken in
// the same transaction), the sealer's one-transaction seal (leaf indexes, nodes, checkpoint) and
// the wrapped data key. Guards report through the returned boolean, never by throwing.
import type Database from 'better-sqlite3'
import type { LedgerEventRecord, LedgerWriteOp } from '../ledger-types.ts'

/** Shared with the PostgreSQL driver (same schema, same column order). */
export const EVENT_COLUMNS = [
  'tenant_id', 'event_uuid', 'event_type', 'request_id', 'tool_name', 'tool_args', 'agent_id', 'policy_id', 'reason',
  'citations', 'evidence_chunks', 'confidence', 'confidence_bucket', 'decision_status', 'approved', 'accepted_at',
  'intent_hash', 'rule_set_hash', 'matched_rule_ids', 'eval_inputs_hash', 'eval_trace_hash', 'classifier_label',
  'classifier_confidence_bucket', 'canonical_version', 'event_hash', 'leaf_hash', 'receipt_algorithm',
  'receipt_key_id', 'receipt_payload', 'receipt_signature', 'body_cipher',
] as const

export const CHECKPOINT_COLUMNS = [
  'tenant_id', 'checkpoint_id', 'tree_size', 'root_hash', 'checkpoint_hash', 'prev_checkpoint_hash', 'signed_at',
  'signature_algorithm', 'signer_key_id', 'checkpoint_payload', 'checkpoint_signature', 'mmd_seconds', 'export_target',
] as const

function eventParams(e: LedgerEventRecord): unknown[] {
  // An encrypted body leaves neutral placeholders in the plaintext columns (they are NOT NULL).
  const b = e.body
  return [
    e.tenantId, e.eventUuid, e.eventType, e.requestId, e.toolName, b === null ? '{}' : b.toolArgsJson, e.agentId, e.policyId,
    b === null ? '' : b.reason, b === null ? '[]' : b.citationsJson, b === null ? '[]' : b.evidenceChunksJson, e.confidence,
    e.confidenceBucket, e.decisionStatus, e.approved ? 1 : 0, e.acceptedAt, e.intentHash, e.ruleSetHash,
    JSON.stringify(e.matchedRuleIds), e.evalInputsHash, e.evalTraceHash, e.classifierLabel, e.classifierConfidenceBucket,
    e.canonicalVersion, e.eventHash, e.leafHash, e.receiptAlgorithm, e.receiptKeyId, e.receiptPayload, e.receiptSignature,
    e.bodyCipher === null ? null : Buffer.from(e.bodyCipher.buffer, e.bodyCipher.byteOffset, e.bodyCipher.byteLength),
    e.tenantId,
  ]
}

/** Returns the applier for ledger ops: true = applied, false = guard failed. */
export function createLedgerApplier(db: Database.Database): (op: LedgerWriteOp) => boolean {
  const s = {
    // The tenant's next seq comes from the (tenant_id, tenant_seq) index inside the write
    // transaction: the single writer makes it race-free, and tenants never see each other's volume.
    eventInsert: db.prepare(
      `INSERT INTO decision_events (${EVENT_COLUMNS.join(', ')}, tenant_seq) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')},
       (SELECT COALESCE(MAX(tenant_seq), 0) + 1 FROM decision_events WHERE tenant_id = ?))`,
    ),
    sealLeaf: db.prepare(
      'UPDATE decision_events SET leaf_index = ?, checkpoint_id = ? WHERE seq = ? AND tenant_id = ? AND leaf_index IS NULL',
    ),
    nodeInsert: db.prepare('INSERT INTO ledger_nodes (tenant_id, level, idx, hash) VALUES (?, ?, ?, ?)'),
    checkpointInsert: db.prepare(
      `INSERT OR IGNORE INTO ledger_checkpoints (${CHECKPOINT_COLUMNS.join(', ')}) VALUES (${CHECKPOINT_COLUMNS.map(() => '?').join(', ')})`,
    ),
    dataKeyInsert: db.prepare('INSERT OR IGNORE INTO ledger_data_keys (tenant_id, wrapped_key, created_at) VALUES (?, ?, ?)'),
  }

  return function applyLedgerOp(op: LedgerWriteOp): boolean {
    switch (op.op) {
      case 'event_insert':
        s.eventInsert.run(eventParams(op.event))
        return true
      case 'ledger_seal': {
        const c = op.checkpoint
        const inserted = s.checkpointInsert.run(
          c.tenantId, c.checkpointId, c.treeSize, c.rootHash, c.checkpointHash, c.prevCheckpointHash, c.signedAt,
          c.signatureAlgorithm, c.signerKeyId, c.checkpointPayload, c.checkpointSignature, c.mmdSeconds, c.exportTarget,
        )
        if (inserted.changes !== 1) return false
        for (const leaf of op.leaves) {
          if (s.sealLeaf.run(leaf.leafIndex, c.checkpointId, leaf.rowSeq, op.tenantId).changes !== 1) return false
        }
        // Plain INSERT: a node is written exactly once; an existing one means a corrupt store, and the
        // constraint error aborts this seal rather than keeping a hash nobody recomputed.
        for (const n of op.nodes) s.nodeInsert.run(op.tenantId, n.level, n.index, Buffer.from(n.hash.buffer, n.hash.byteOffset, n.hash.byteLength))
        return true
      }
      case 'ledger_data_key_insert':
        return s.dataKeyInsert.run(op.tenantId, Buffer.from(op.wrappedKey), op.atMs).changes === 1
      default: {
        const never: never = op
        throw new Error(`unknown ledger op ${JSON.stringify(never)}`)
      }
    }
  }
}
