// Bridges the pure, synchronous Merkle functions (merkle/nodes.ts) to the asynchronous Store: run
// the function once against a recording reader to learn which nodes it reads (positions depend on
// sizes and indexes only, never on hash values), fetch exactly those in one batch, run it for real.
import type { TenantId } from '../core/index.ts'
import type { LedgerCheckpointRecord, LedgerNodeRef, Store } from '../store/index.ts'
import type { LedgerHasher } from './crypto.ts'
import { MemoryNodeStore } from './merkle/nodes.ts'
import type { NodeReader } from './merkle/nodes.ts'
import type { LedgerCheckpoint } from './wire-types.ts'

const PLACEHOLDER = new Uint8Array(32)

class RecordingReader implements NodeReader {
  readonly refs: LedgerNodeRef[] = []
  get(level: number, index: number): Uint8Array {
    this.refs.push({ level, index })
    return PLACEHOLDER
  }
}

/** The stored nodes `plan` reads, loaded into memory: O(log n) point reads for roots and proofs. */
export async function loadNodesFor(store: Store, tenantId: TenantId, plan: (reader: NodeReader) => unknown): Promise<MemoryNodeStore> {
  const recorder = new RecordingReader()
  plan(recorder)
  const hashes = await store.getLedgerNodes(tenantId, recorder.refs)
  const memory = new MemoryNodeStore()
  memory.put(
    recorder.refs.flatMap((ref, i) => {
      const hash = hashes[i]
      return hash === undefined ? [] : [{ level: ref.level, index: ref.index, hash }]
    }),
  )
  return memory
}

/** A hasher whose work is thrown away: the planning run of a proof needs no real hashing. */
export const NULL_HASHER: LedgerHasher = { sha256: () => PLACEHOLDER }

/** A checkpoint row as the spec §7.6 LedgerCheckpoint (one checkpoint per sealed batch, no export). */
export function ledgerCheckpointOf(c: LedgerCheckpointRecord): LedgerCheckpoint {
  return {
    checkpoint_id: c.checkpointId,
    // One microblock per seal: the sealed batch is the microblock this checkpoint closes.
    microblock_id: c.checkpointId,
    tree_size: c.treeSize,
    root_hash: c.rootHash,
    checkpoint_hash: c.checkpointHash,
    signed_at: c.signedAt,
    prev_checkpoint_hash: c.prevCheckpointHash,
    signature_algorithm: c.signatureAlgorithm,
    signer_key_id: c.signerKeyId,
    checkpoint_signature: c.checkpointSignature,
    checkpoint_payload: c.checkpointPayload,
    export_target: c.exportTarget,
    export_uri: '',
    export_status: '',
    mmd_seconds: c.mmdSeconds,
  }
}
