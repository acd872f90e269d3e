// The ledger's part of the Store contract: hashed and receipted event rows, per-tenant Merkle nodes,
// signed checkpoints and wrapped per-tenant data keys. Pure data shapes: hashing, signing and
// encryption happen in src/ledger; a driver only stores and returns these values.
import type { TenantId } from '../core/index.ts'
import type { DecisionEvent } from './types.ts'

/** The event body the ledger may encrypt at rest (spec §7.2 fields that carry caller content). */
export interface LedgerEventBody {
  /** JSON text of tool_args exactly as hashed and served. */
  toolArgsJson: string
  reason: string
  citationsJson: string
  evidenceChunksJson: string
}

/** One appended ledger event (canonical_version 3) with its hashes and signed receipt. */
/**
 * One appended ledger event (canonical_version 3) with its hashes and signed receipt: the decision
 * event's fields, except that the caller content (args, reason, citations, evidence) moves into a
 * body that may be encrypted at rest.
 */
export interface LedgerEventRecord extends Omit<DecisionEvent, 'toolArgs' | 'reason' | 'citations' | 'evidenceChunks'> {
  /** Plaintext body, or null when `bodyCipher` holds it (ledger.encryption_key configured). */
  body: LedgerEventBody | null
  /** AES-256-GCM envelope of the JSON-encoded body under the tenant's data key; null = plaintext. */
  bodyCipher: Uint8Array | null
  eventHash: string
  leafHash: string
  receiptAlgorithm: string
  receiptKeyId: string
  receiptPayload: string
  receiptSignature: string
}

export interface StoredLedgerEvent extends LedgerEventRecord {
  /** Store-wide insertion order (the row key; never served). */
  rowSeq: number
  /** Per-tenant insertion order, 1-based: the `seq` the tenant sees. */
  seq: number
  /** null until sealed. */
  leafIndex: number | null
  checkpointId: number | null
}

/** A sealed, unsealed-row pointer for the sealer: just what it needs to grow the tree. */
export interface UnsealedLeaf {
  rowSeq: number
  leafHash: string
}

export interface LedgerCheckpointRecord {
  tenantId: TenantId
  /** Per tenant, 1-based, contiguous. */
  checkpointId: number
  treeSize: number
  rootHash: string
  checkpointHash: string
  prevCheckpointHash: string
  signedAt: string
  signatureAlgorithm: string
  signerKeyId: string
  checkpointPayload: string
  checkpointSignature: string
  mmdSeconds: number
  exportTarget: string
}

export interface LedgerNode {
  level: number
  index: number
  hash: Uint8Array
}

/**
 * How the stored nodes of one level with fromIndex <= index < fromIndex + n compare with n expected
 * hashes, in one read: the verifier confirms a whole range without a row (and a Buffer) per node, and
 * falls back to listLedgerNodes to name a node only when the range is not exactly as expected.
 */
export interface LedgerNodeRangeMatch {
  /** Stored nodes in the range. */
  count: number
  /** null when the range holds no node. */
  minIndex: number | null
  maxIndex: number | null
  /** Stored nodes whose hash is a 32-byte blob equal to the expected hash at their index. */
  matching: number
}

export interface LedgerNodeRef {
  level: number
  index: number
}

export interface LedgerListQuery {
  /** Exclusive cursor in the listing order (tenant seq or checkpoint id); null = from the start. */
  after: number | null
  limit: number
  order: 'asc' | 'desc'
}

export interface LedgerCounts {
  total: number
  sealed: number
  /** Tenants' rows with no leaf_index yet. */
  unsealed: number
}

/** Ledger writes (members of the WriteOp union). */
export type LedgerWriteOp =
  | { op: 'event_insert'; event: LedgerEventRecord }
  /**
   * guard: every row is still unsealed and checkpoint `checkpoint.checkpointId` is new for the
   * tenant, so two sealers can never both extend the same tree.
   */
  | {
      op: 'ledger_seal'
      tenantId: TenantId
      checkpoint: LedgerCheckpointRecord
      leaves: ReadonlyArray<{ rowSeq: number; leafIndex: number }>
      nodes: readonly LedgerNode[]
    }
  /** guard: the tenant has no data key yet (the first writer wins; others re-read). */
  | { op: 'ledger_data_key_insert'; tenantId: TenantId; wrappedKey: Uint8Array; atMs: number }

/** Ledger reads of the Store. Every read is tenant-scoped except the sealer's restart scan. */
export interface LedgerStore {
  listLedgerEvents(tenantId: TenantId, query: LedgerListQuery): Promise<StoredLedgerEvent[]>
  /** Sealed rows with leaf_index >= fromLeafIndex, in leaf order (verification). */
  listLedgerEventsByLeaf(tenantId: TenantId, fromLeafIndex: number, limit: number): Promise<StoredLedgerEvent[]>
  /** Unsealed rows with rowSeq > afterRowSeq, in insertion order (verification). */
  listUnsealedLedgerEvents(tenantId: TenantId, afterRowSeq: number, limit: number): Promise<StoredLedgerEvent[]>
  /** The latest event recorded for a request id (normally there is exactly one). */
  getLedgerEventByRequest(tenantId: TenantId, requestId: string): Promise<StoredLedgerEvent | null>
  /** The oldest unsealed rows of a tenant, in insertion order (the sealer's next batch). */
  listUnsealedLeaves(tenantId: TenantId, limit: number): Promise<UnsealedLeaf[]>
  /** Tenants with unsealed rows (the sealer's scan at start). */
  listTenantsWithUnsealed(): Promise<TenantId[]>
  countLedgerEvents(tenantId: TenantId): Promise<LedgerCounts>
  listLedgerCheckpoints(tenantId: TenantId, query: LedgerListQuery): Promise<LedgerCheckpointRecord[]>
  getLedgerCheckpoint(tenantId: TenantId, checkpointId: number): Promise<LedgerCheckpointRecord | null>
  getLatestLedgerCheckpoint(tenantId: TenantId): Promise<LedgerCheckpointRecord | null>
  /** Point reads; undefined where a node is not stored. */
  getLedgerNodes(tenantId: TenantId, refs: readonly LedgerNodeRef[]): Promise<Array<Uint8Array | undefined>>
  /** Stored nodes of one level with fromIndex <= index < toIndex, in index order. */
  listLedgerNodes(tenantId: TenantId, level: number, fromIndex: number, toIndex: number): Promise<LedgerNode[]>
  /**
   * Compare the stored nodes of `level` from `fromIndex` on with `expected`: the 32-byte hashes of
   * nodes fromIndex, fromIndex + 1, … back to back (verification).
   */
  matchLedgerNodes(tenantId: TenantId, level: number, fromIndex: number, expected: Uint8Array): Promise<LedgerNodeRangeMatch>
  getLedgerDataKey(tenantId: TenantId): Promise<Uint8Array | null>
}
