// The ledger's reads on the SQLite reader connection (WAL lets them run beside the writer). Every
// query is tenant-scoped and index-backed: proofs and pages are point and range reads, never scans.
import type Database from 'better-sqlite3'
import type { TenantId } from '../../core/index.ts'
import type {
  LedgerCheckpointRecord,
  LedgerCounts,
  LedgerListQuery,
  LedgerNode,
  LedgerNodeRef,
  LedgerStore,
  StoredLedgerEvent,
  UnsealedLeaf,
} from '../ledger-types.ts'

type Row = Record<string, unknown>

const str = (v: unknown): string => (typeof v === 'string' ? v : '')
const numOrNull = (v: unknown): number | null => (typeof v === 'number' ? v : null)

function bytes(v: unknown): Uint8Array | null {
  return v instanceof Uint8Array ? v : null
}

export function toLedgerEvent(r: Row): StoredLedgerEvent {
  const cipher = bytes(r.body_cipher)
  return {
    rowSeq: r.seq as number,
    seq: (r.tenant_seq as number | null) ?? (r.seq as number),
    tenantId: str(r.tenant_id) as TenantId,
    eventUuid: str(r.event_uuid),
    eventType: str(r.event_type),
    requestId: str(r.request_id),
    toolName: str(r.tool_name),
    agentId: str(r.agent_id),
    policyId: str(r.policy_id),
    confidence: r.confidence as number,
    confidenceBucket: str(r.confidence_bucket),
    decisionStatus: str(r.decision_status),
    approved: r.approved === 1,
    acceptedAt: str(r.accepted_at),
    intentHash: str(r.intent_hash),
    ruleSetHash: str(r.rule_set_hash),
    matchedRuleIds: JSON.parse(str(r.matched_rule_ids) || '[]') as string[],
    evalInputsHash: str(r.eval_inputs_hash),
    evalTraceHash: str(r.eval_trace_hash),
    classifierLabel: str(r.classifier_label),
    classifierConfidenceBucket: str(r.classifier_confidence_bucket),
    canonicalVersion: r.canonical_version as number,
    body:
      cipher !== null
        ? null
        : { toolArgsJson: str(r.tool_args), reason: str(r.reason), citationsJson: str(r.citations), evidenceChunksJson: str(r.evidence_chunks) },
    bodyCipher: cipher,
    eventHash: str(r.event_hash),
    leafHash: str(r.leaf_hash),
    receiptAlgorithm: str(r.receipt_algorithm),
    receiptKeyId: str(r.receipt_key_id),
    receiptPayload: str(r.receipt_payload),
    receiptSignature: str(r.receipt_signature),
    leafIndex: numOrNull(r.leaf_index),
    checkpointId: numOrNull(r.checkpoint_id),
  }
}

export function toLedgerCheckpoint(r: Row): LedgerCheckpointRecord {
  return {
    tenantId: str(r.tenant_id) as TenantId,
    checkpointId: r.checkpoint_id as number,
    treeSize: r.tree_size as number,
    rootHash: str(r.root_hash),
    checkpointHash: str(r.checkpoint_hash),
    prevCheckpointHash: str(r.prev_checkpoint_hash),
    signedAt: str(r.signed_at),
    signatureAlgorithm: str(r.signature_algorithm),
    signerKeyId: str(r.signer_key_id),
    checkpointPayload: str(r.checkpoint_payload),
    checkpointSignature: str(r.checkpoint_signature),
    mmdSeconds: r.mmd_seconds as number,
    exportTarget: str(r.export_target),
  }
}

/** A cursor bound that matches everything in the given order. */
function cursor(query: LedgerListQuery): number {
  return query.after ?? (query.order === 'asc' ? -1 : Number.MAX_SAFE_INTEGER)
}

export class SqliteLedgerReads implements LedgerStore {
  readonly #q: Record<string, Database.Statement>

  constructor(r: Database.Database) {
    this.#q = {
      eventsAsc: r.prepare('SELECT * FROM decision_events WHERE tenant_id = ? AND tenant_seq > ? ORDER BY tenant_seq LIMIT ?'),
      eventsDesc: r.prepare('SELECT * FROM decision_events WHERE tenant_id = ? AND tenant_seq < ? ORDER BY tenant_seq DESC LIMIT ?'),
      byLeaf: r.prepare(
        'SELECT * FROM decision_events WHERE tenant_id = ? AND leaf_index IS NOT NULL AND leaf_index >= ? ORDER BY leaf_index LIMIT ?',
      ),
      unsealedRows: r.prepare('SELECT * FROM decision_events WHERE tenant_id = ? AND leaf_index IS NULL AND seq > ? ORDER BY seq LIMIT ?'),
      byRequest: r.prepare('SELECT * FROM decision_events WHERE tenant_id = ? AND request_id = ? ORDER BY seq DESC LIMIT 1'),
      // Rows written before schema version 2 have no hashes and can never be sealed: the sealer skips
      // them (so it does not retry forever) and verification reports them.
      unsealedLeaves: r.prepare(
        'SELECT seq, leaf_hash FROM decision_events WHERE tenant_id = ? AND leaf_index IS NULL AND event_hash IS NOT NULL ORDER BY seq LIMIT ?',
      ),
      unsealedTenants: r.prepare('SELECT DISTINCT tenant_id FROM decision_events WHERE leaf_index IS NULL AND event_hash IS NOT NULL'),
      countAll: r.prepare('SELECT COUNT(*) AS n FROM decision_events WHERE tenant_id = ?'),
      countUnsealed: r.prepare('SELECT COUNT(*) AS n FROM decision_events WHERE tenant_id = ? AND leaf_index IS NULL'),
      cpAsc: r.prepare('SELECT * FROM ledger_checkpoints WHERE tenant_id = ? AND checkpoint_id > ? ORDER BY checkpoint_id LIMIT ?'),
      cpDesc: r.prepare('SELECT * FROM ledger_checkpoints WHERE tenant_id = ? AND checkpoint_id < ? ORDER BY checkpoint_id DESC LIMIT ?'),
      cp: r.prepare('SELECT * FROM ledger_checkpoints WHERE tenant_id = ? AND checkpoint_id = ?'),
      cpLatest: r.prepare('SELECT * FROM ledger_checkpoints WHERE tenant_id = ? ORDER BY checkpoint_id DESC LIMIT 1'),
      node: r.prepare('SELECT hash FROM ledger_nodes WHERE tenant_id = ? AND level = ? AND idx = ?').pluck(),
      nodes: r.prepare('SELECT level, idx, hash FROM ledger_nodes WHERE tenant_id = ? AND level = ? AND idx >= ? AND idx < ? ORDER BY idx'),
      dataKey: r.prepare('SELECT wrapped_key FROM ledger_data_keys WHERE tenant_id = ?').pluck(),
    }
  }

  async listLedgerEvents(tenantId: TenantId, query: LedgerListQuery): Promise<StoredLedgerEvent[]> {
    const stmt = query.order === 'asc' ? this.#q.eventsAsc! : this.#q.eventsDesc!
    return (stmt.all(tenantId, cursor(query), query.limit) as Row[]).map(toLedgerEvent)
  }
  async listLedgerEventsByLeaf(tenantId: TenantId, fromLeafIndex: number, limit: number): Promise<StoredLedgerEvent[]> {
    return (this.#q.byLeaf!.all(tenantId, fromLeafIndex, limit) as Row[]).map(toLedgerEvent)
  }
  async listUnsealedLedgerEvents(tenantId: TenantId, afterRowSeq: number, limit: number): Promise<StoredLedgerEvent[]> {
    return (this.#q.unsealedRows!.all(tenantId, afterRowSeq, limit) as Row[]).map(toLedgerEvent)
  }
  async getLedgerEventByRequest(tenantId: TenantId, requestId: string): Promise<StoredLedgerEvent | null> {
    const r = this.#q.byRequest!.get(tenantId, requestId) as Row | undefined
    return r === undefined ? null : toLedgerEvent(r)
  }
  async listUnsealedLeaves(tenantId: TenantId, limit: number): Promise<UnsealedLeaf[]> {
    return (this.#q.unsealedLeaves!.all(tenantId, limit) as Row[]).map((r) => ({ rowSeq: r.seq as number, leafHash: str(r.leaf_hash) }))
  }
  async listTenantsWithUnsealed(): Promise<TenantId[]> {
    return (this.#q.unsealedTenants!.all() as Row[]).map((r) => str(r.tenant_id) as TenantId)
  }
  async countLedgerEvents(tenantId: TenantId): Promise<LedgerCounts> {
    const total = (this.#q.countAll!.get(tenantId) as { n: number }).n
    const unsealed = (this.#q.countUnsealed!.get(tenantId) as { n: number }).n
    return { total, sealed: total - unsealed, unsealed }
  }
  async listLedgerCheckpoints(tenantId: TenantId, query: LedgerListQuery): Promise<LedgerCheckpointRecord[]> {
    const stmt = query.order === 'asc' ? this.#q.cpAsc! : this.#q.cpDesc!
    return (stmt.all(tenantId, cursor(query), query.limit) as Row[]).map(toLedgerCheckpoint)
  }
  async getLedgerCheckpoint(tenantId: TenantId, checkpointId: number): Promise<LedgerCheckpointRecord | null> {
    const r = this.#q.cp!.get(tenantId, checkpointId) as Row | undefined
    return r === undefined ? null : toLedgerCheckpoint(r)
  }
  async getLatestLedgerCheckpoint(tenantId: TenantId): Promise<LedgerCheckpointRecord | null> {
    const r = this.#q.cpLatest!.get(tenantId) as Row | undefined
    return r === undefined ? null : toLedgerCheckpoint(r)
  }
  async getLedgerNodes(tenantId: TenantId, refs: readonly LedgerNodeRef[]): Promise<Array<Uint8Array | undefined>> {
    const out: Array<Uint8Array | undefined> = new Array(refs.length)
    for (let i = 0; i < refs.length; i++) out[i] = bytes(this.#q.node!.get(tenantId, refs[i]!.level, refs[i]!.index)) ?? undefined
    return out
  }
  async listLedgerNodes(tenantId: TenantId, level: number, fromIndex: number, toIndex: number): Promise<LedgerNode[]> {
    return (this.#q.nodes!.all(tenantId, level, fromIndex, toIndex) as Row[]).map((r) => ({
      level: r.level as number,
      index: r.idx as number,
      hash: r.hash as Uint8Array,
    }))
  }
  async getLedgerDataKey(tenantId: TenantId): Promise<Uint8Array | null> {
    return bytes(this.#q.dataKey!.get(tenantId))
  }
}
