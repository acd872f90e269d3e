// The ledger's reads on the SQLite reader connection (WAL lets them run beside the writer). Every
// query is tenant-scoped and index-backed: proofs and pages are point and range reads, never scans.
import type Database from 'better-sqlite3'
import type { TenantId } from '../../core/index.ts'
import type {
  LedgerCheckpointRecord,
  LedgerCounts,
  LedgerListQuery,
  LedgerNode,
  LedgerNodeRangeMatch,
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

/**
 * The event columns in the order the raw (array) statements return them. Rows are read as arrays:
 * better-sqlite3 builds a 35-property object per row otherwise, which costs more than the row itself
 * on the verifier's path (docs/design/ledger.md "Rough numbers").
 */
/** Shared with the PostgreSQL driver's reads (same schema, same row mapper). */
export const EVENT_COLUMNS = [
  'seq', 'tenant_seq', 'tenant_id', 'event_uuid', 'event_type', 'request_id', 'tool_name', 'agent_id', 'policy_id',
  'confidence', 'confidence_bucket', 'decision_status', 'approved', 'accepted_at', 'intent_hash', 'rule_set_hash',
  'matched_rule_ids', 'eval_inputs_hash', 'eval_trace_hash', 'classifier_label', 'classifier_confidence_bucket',
  'canonical_version', 'tool_args', 'reason', 'citations', 'evidence_chunks', 'body_cipher', 'event_hash', 'leaf_hash',
  'receipt_algorithm', 'receipt_key_id', 'receipt_payload', 'receipt_signature', 'leaf_index', 'checkpoint_id',
] as const
const EVENTS = `SELECT ${EVENT_COLUMNS.join(', ')} FROM decision_events`

/** A row of an EVENTS statement (raw mode) as the stored event. */
export function toLedgerEvent(r: readonly unknown[]): StoredLedgerEvent {
  const cipher = bytes(r[26])
  const matched = str(r[16])
  return {
    rowSeq: r[0] as number,
    seq: (r[1] as number | null) ?? (r[0] as number),
    tenantId: str(r[2]) as TenantId,
    eventUuid: str(r[3]),
    eventType: str(r[4]),
    requestId: str(r[5]),
    toolName: str(r[6]),
    agentId: str(r[7]),
    policyId: str(r[8]),
    confidence: r[9] as number,
    confidenceBucket: str(r[10]),
    decisionStatus: str(r[11]),
    approved: r[12] === 1,
    acceptedAt: str(r[13]),
    intentHash: str(r[14]),
    ruleSetHash: str(r[15]),
    // Most rows match no rule or one: skip JSON.parse for the empty list.
    matchedRuleIds: matched === '' || matched === '[]' ? [] : ruleIdsOf(matched),
    evalInputsHash: str(r[17]),
    evalTraceHash: str(r[18]),
    classifierLabel: str(r[19]),
    classifierConfidenceBucket: str(r[20]),
    canonicalVersion: r[21] as number,
    body: cipher !== null ? null : { toolArgsJson: str(r[22]), reason: str(r[23]), citationsJson: str(r[24]), evidenceChunksJson: str(r[25]) },
    bodyCipher: cipher,
    eventHash: str(r[27]),
    leafHash: str(r[28]),
    receiptAlgorithm: str(r[29]),
    receiptKeyId: str(r[30]),
    receiptPayload: str(r[31]),
    receiptSignature: str(r[32]),
    leafIndex: numOrNull(r[33]),
    checkpointId: numOrNull(r[34]),
  }
}

/**
 * The stored JSON list of rule ids. A column edited into something that is not a JSON list of
 * strings is storage damage, not a crash: it reads as one marker id that no append can produce
 * (ids are JSON-encoded on append, so the raw text was never a valid list), the recomputed event hash
 * then differs, and /ledger/verify names the row instead of failing with 500.
 */
function ruleIdsOf(text: string): string[] {
  try {
    const parsed: unknown = JSON.parse(text)
    if (Array.isArray(parsed) && parsed.every((id) => typeof id === 'string')) return parsed as string[]
  } catch {
    // fall through to the marker
  }
  return [`\u0000unreadable matched_rule_ids: ${text}`]
}

function toLedgerEvents(rows: unknown[]): StoredLedgerEvent[] {
  const out: StoredLedgerEvent[] = new Array(rows.length)
  for (let i = 0; i < rows.length; i++) out[i] = toLedgerEvent(rows[i] as unknown[])
  return out
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
      eventsAsc: r.prepare(`${EVENTS} WHERE tenant_id = ? AND tenant_seq > ? ORDER BY tenant_seq LIMIT ?`).raw(),
      eventsDesc: r.prepare(`${EVENTS} WHERE tenant_id = ? AND tenant_seq < ? ORDER BY tenant_seq DESC LIMIT ?`).raw(),
      byLeaf: r.prepare(`${EVENTS} WHERE tenant_id = ? AND leaf_index IS NOT NULL AND leaf_index >= ? ORDER BY leaf_index LIMIT ?`).raw(),
      unsealedRows: r.prepare(`${EVENTS} WHERE tenant_id = ? AND leaf_index IS NULL AND seq > ? ORDER BY seq LIMIT ?`).raw(),
      byRequest: r.prepare(`${EVENTS} WHERE tenant_id = ? AND request_id = ? ORDER BY seq DESC LIMIT 1`).raw(),
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
      nodes: r.prepare('SELECT idx, hash FROM ledger_nodes WHERE tenant_id = ? AND level = ? AND idx >= ? AND idx < ? ORDER BY idx').raw(),
      // substr() of a blob is a blob, and blob = blob compares length and bytes: a node counts as
      // matching only when it is exactly the expected 32 bytes for its index.
      nodeMatch: r.prepare(
        `SELECT count(*), min(idx), max(idx), coalesce(sum(typeof(hash) = 'blob' AND hash = substr(?, (idx - ?) * 32 + 1, 32)), 0)
         FROM ledger_nodes WHERE tenant_id = ? AND level = ? AND idx >= ? AND idx < ?`,
      ).raw(),
      dataKey: r.prepare('SELECT wrapped_key FROM ledger_data_keys WHERE tenant_id = ?').pluck(),
    }
  }

  async listLedgerEvents(tenantId: TenantId, query: LedgerListQuery): Promise<StoredLedgerEvent[]> {
    const stmt = query.order === 'asc' ? this.#q.eventsAsc! : this.#q.eventsDesc!
    return toLedgerEvents(stmt.all(tenantId, cursor(query), query.limit))
  }
  async listLedgerEventsByLeaf(tenantId: TenantId, fromLeafIndex: number, limit: number): Promise<StoredLedgerEvent[]> {
    return toLedgerEvents(this.#q.byLeaf!.all(tenantId, fromLeafIndex, limit))
  }
  async listUnsealedLedgerEvents(tenantId: TenantId, afterRowSeq: number, limit: number): Promise<StoredLedgerEvent[]> {
    return toLedgerEvents(this.#q.unsealedRows!.all(tenantId, afterRowSeq, limit))
  }
  async getLedgerEventByRequest(tenantId: TenantId, requestId: string): Promise<StoredLedgerEvent | null> {
    const r = this.#q.byRequest!.get(tenantId, requestId) as unknown[] | undefined
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
    const rows = this.#q.nodes!.all(tenantId, level, fromIndex, toIndex) as Array<[number, Uint8Array]>
    const out: LedgerNode[] = new Array(rows.length)
    for (let i = 0; i < rows.length; i++) out[i] = { level, index: rows[i]![0], hash: rows[i]![1] }
    return out
  }
  async matchLedgerNodes(tenantId: TenantId, level: number, fromIndex: number, expected: Uint8Array): Promise<LedgerNodeRangeMatch> {
    const toIndex = fromIndex + Math.floor(expected.length / 32)
    const r = this.#q.nodeMatch!.get(expected, fromIndex, tenantId, level, fromIndex, toIndex) as [number, number | null, number | null, number]
    return { count: r[0], minIndex: r[1], maxIndex: r[2], matching: r[3] }
  }
  async getLedgerDataKey(tenantId: TenantId): Promise<Uint8Array | null> {
    return bytes(this.#q.dataKey!.get(tenantId))
  }
}
