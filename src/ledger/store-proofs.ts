// Inclusion and consistency proofs, and proof bundles, served from the stored tree: each proof is
// O(log n) point reads of complete-subtree nodes (never a rebuild from the leaves), shaped exactly as
// spec §7.6. Failures a caller can cause (unknown id, not sealed yet, bad range) are values.
import type { TenantId } from '../core/index.ts'
import type { LedgerCheckpointRecord, Store, StoredLedgerEvent } from '../store/index.ts'
import { bytesToHex } from './bytes.ts'
import type { LedgerHasher } from './crypto.ts'
import { consistencyProofFromNodes, inclusionProofFromNodes } from './merkle/nodes.ts'
import { ledgerCheckpointOf, loadNodesFor, NULL_HASHER } from './store-nodes.ts'
import type { ConsistencyProof, InclusionProof, KeyVersion, LedgerEntry, ProofBundle } from './wire-types.ts'

export type ProofFailure =
  | { ok: false; reason: 'unknown'; detail: string }
  /** The event is durable but its batch has not been sealed yet: retry after the seal interval. */
  | { ok: false; reason: 'not_sealed'; detail: string }
  | { ok: false; reason: 'invalid'; detail: string }

export type ProofResult<T> = { ok: true; value: T } | ProofFailure

type Sealed = { ok: true; event: StoredLedgerEvent; checkpoint: LedgerCheckpointRecord }

async function sealedEvent(store: Store, tenantId: TenantId, requestId: string): Promise<Sealed | ProofFailure> {
  const event = await store.getLedgerEventByRequest(tenantId, requestId)
  if (event === null) return { ok: false, reason: 'unknown', detail: 'no ledger entry for this request_id' }
  if (event.leafIndex === null || event.checkpointId === null) {
    return { ok: false, reason: 'not_sealed', detail: 'the ledger entry is durable but not sealed into a checkpoint yet; retry shortly' }
  }
  const checkpoint = await store.getLedgerCheckpoint(tenantId, event.checkpointId)
  if (checkpoint === null) throw new Error(`ledger checkpoint ${event.checkpointId} of tenant ${tenantId} is missing from the store`)
  return { ok: true, event, checkpoint }
}

async function inclusionAt(store: Store, event: StoredLedgerEvent, checkpoint: LedgerCheckpointRecord, hasher: LedgerHasher): Promise<InclusionProof> {
  const leafIndex = event.leafIndex!
  const nodes = await loadNodesFor(store, event.tenantId, (r) => inclusionProofFromNodes(r, leafIndex, checkpoint.treeSize, NULL_HASHER))
  return {
    event_uuid: event.eventUuid,
    request_id: event.requestId,
    event_hash: event.eventHash,
    leaf_hash: event.leafHash,
    leaf_index: leafIndex,
    tree_size: checkpoint.treeSize,
    path: inclusionProofFromNodes(nodes, leafIndex, checkpoint.treeSize, hasher).map(bytesToHex),
    checkpoint: ledgerCheckpointOf(checkpoint),
  }
}

async function consistencyAt(store: Store, from: LedgerCheckpointRecord, to: LedgerCheckpointRecord, hasher: LedgerHasher): Promise<ConsistencyProof> {
  // Equal sizes need no path (strict verifiers require it empty); sizes are never 0 (no empty checkpoints).
  let path: string[] = []
  if (from.treeSize !== to.treeSize) {
    const nodes = await loadNodesFor(store, from.tenantId, (r) => consistencyProofFromNodes(r, from.treeSize, to.treeSize, NULL_HASHER))
    path = consistencyProofFromNodes(nodes, from.treeSize, to.treeSize, hasher).map(bytesToHex)
  }
  return { from_checkpoint: ledgerCheckpointOf(from), to_checkpoint: ledgerCheckpointOf(to), path }
}

/**
 * Inclusion of the request's (latest) event in the first checkpoint that covers it, or in
 * `checkpointId` when given (any checkpoint at or after the covering one).
 */
export async function inclusionProofFor(
  store: Store,
  tenantId: TenantId,
  requestId: string,
  hasher: LedgerHasher,
  checkpointId: number | null = null,
): Promise<ProofResult<InclusionProof>> {
  const sealed = await sealedEvent(store, tenantId, requestId)
  if (!sealed.ok) return sealed
  let checkpoint = sealed.checkpoint
  if (checkpointId !== null && checkpointId !== checkpoint.checkpointId) {
    const chosen = await store.getLedgerCheckpoint(tenantId, checkpointId)
    if (chosen === null) return { ok: false, reason: 'unknown', detail: `no checkpoint ${checkpointId}` }
    if (chosen.treeSize <= sealed.event.leafIndex!) return { ok: false, reason: 'invalid', detail: `checkpoint ${checkpointId} does not cover this entry` }
    checkpoint = chosen
  }
  return { ok: true, value: await inclusionAt(store, sealed.event, checkpoint, hasher) }
}

/** Consistency between two checkpoints named by id (spec §3: ids, not tree sizes). */
export async function consistencyProofFor(
  store: Store,
  tenantId: TenantId,
  fromId: number,
  toId: number,
  hasher: LedgerHasher,
): Promise<ProofResult<ConsistencyProof>> {
  if (fromId > toId) return { ok: false, reason: 'invalid', detail: `from (${fromId}) must not be after to (${toId})` }
  const [from, to] = await Promise.all([store.getLedgerCheckpoint(tenantId, fromId), store.getLedgerCheckpoint(tenantId, toId)])
  if (from === null) return { ok: false, reason: 'unknown', detail: `no checkpoint ${fromId}` }
  if (to === null) return { ok: false, reason: 'unknown', detail: `no checkpoint ${toId}` }
  return { ok: true, value: await consistencyAt(store, from, to, hasher) }
}

export interface BundleSources {
  /** The row as served by /ledger (decrypted body). */
  entryOf(event: StoredLedgerEvent): Promise<LedgerEntry>
  /** KeyVersion of each kid that is still published; unknown or revoked kids are left out. */
  keyVersions(kids: readonly string[]): KeyVersion[]
}

/**
 * Spec §7.8 "What the bundle should contain": the event, inclusion in the first checkpoint covering
 * it, consistency from there to the latest checkpoint (omitted — never null — when they are the
 * same) and every key that signed something in it.
 */
export async function proofBundleFor(
  store: Store,
  tenantId: TenantId,
  requestId: string,
  hasher: LedgerHasher,
  sources: BundleSources,
): Promise<ProofResult<ProofBundle>> {
  const sealed = await sealedEvent(store, tenantId, requestId)
  if (!sealed.ok) return sealed
  const latest = await store.getLatestLedgerCheckpoint(tenantId)
  const inclusion = await inclusionAt(store, sealed.event, sealed.checkpoint, hasher)
  const kids = [sealed.event.receiptKeyId, sealed.checkpoint.signerKeyId]
  const bundle: ProofBundle = { event: await sources.entryOf(sealed.event), inclusion, keys: [] }
  if (latest !== null && latest.checkpointId !== sealed.checkpoint.checkpointId) {
    bundle.consistency = await consistencyAt(store, sealed.checkpoint, latest, hasher)
    kids.push(latest.signerKeyId)
  }
  bundle.keys = sources.keyVersions([...new Set(kids)])
  return { ok: true, value: bundle }
}
