// Full verification of one tenant's stored ledger (GET /ledger/verify and `ledger verify --data`):
// every row's event hash (recomputed from the stored, decrypted body), leaf and signed receipt; the
// tree recomputed from the leaves and compared node by node with the stored nodes and with every
// checkpoint root; every checkpoint's payload, hash, signature and chain link. Streams in pages with
// O(page + log n) memory and stops at the first mismatch, naming seq / leaf_index / checkpoint / node.
// Row checks: verify-row.ts; the tree: verify-tree.ts; 'full' mode's sealed receipt signatures may
// run on worker threads (verify-signatures.ts) without changing what is reported.
import type { TenantId } from '../core/index.ts'
import type { LedgerCheckpointRecord, Store, StoredLedgerEvent } from '../store/index.ts'
import { base64urlDecode, bytesEqualHex, bytesToHex } from './bytes.ts'
import { checkCheckpointHash, checkCheckpointPayload, checkCheckpointSignature, GENESIS_PREV_CHECKPOINT_HASH } from './checkpoint.ts'
import type { LedgerCrypto } from './crypto.ts'
import type { EventBodyValues } from './event-record.ts'
import { parseBodyOrNull } from './event-record.ts'
import { parseJwks } from './keys.ts'
import { nodeLedgerCrypto } from './node-crypto.ts'
import { ledgerCheckpointOf } from './store-nodes.ts'
import { Failed, fail } from './verify-mismatch.ts'
import type { LedgerMismatch } from './verify-mismatch.ts'
import { RowChecker } from './verify-row.ts'
import { defaultSignatureWorkers, ReceiptSignatureQueue } from './verify-signatures.ts'
import { TreeRebuilder } from './verify-tree.ts'

export type { LedgerMismatch, MismatchKind } from './verify-mismatch.ts'

/** Spec §7.6 verification result, plus where it failed and what is still unsealed. */
export interface StoreVerification {
  intact: boolean
  /** Which receipt signatures were checked: every one ('full') or only unsealed rows' ('tree'). */
  mode: VerifyMode
  verified_entries: number
  verified_checkpoints: number
  verified_manifests: number
  tree_size: number
  unsealed_entries: number
  latest_leaf_hash: string | null
  latest_checkpoint_hash: string | null
  latest_manifest_hash: string | null
  error?: string
  mismatch?: LedgerMismatch
}

export interface VerifyStoreOptions {
  /** The trusted JWKS (the key ring's published keys): receipts and checkpoints verify only under these. */
  readonly pinnedJwks: unknown
  readonly crypto: LedgerCrypto
  /**
   * The body of a row encrypted at rest, decrypted; null when it cannot be read. Plaintext bodies
   * are parsed by the verifier itself (as LedgerService.bodyOf does), with no promise per row.
   */
  readonly body: (event: StoredLedgerEvent) => Promise<EventBodyValues | null>
  readonly pageSize?: number
  /** Awaited between pages so a long pass leaves the event loop to other requests. */
  readonly pause?: () => Promise<void>
  /**
   * 'full' (default) checks every receipt's Ed25519 signature. 'tree' checks them only on unsealed
   * rows: a sealed row's content is then proven by its leaf, the recomputed tree and the signed
   * checkpoint root instead, and its receipt only for algorithm, key and payload binding
   * (docs/design/ledger.md "Verification modes" says exactly what each mode proves).
   */
  readonly mode?: VerifyMode
  /**
   * Worker threads for sealed rows' receipt signatures in 'full' mode (they verify with node:crypto).
   * Default: one per available core when `crypto` is nodeLedgerCrypto, none on a single core or with
   * another crypto. Results are the same either way; 0 checks every signature on this thread.
   */
  readonly signatureWorkers?: number
}

export type VerifyMode = 'full' | 'tree'


const DEFAULT_PAGE = 1000

/** Pulls checkpoints in id order and checks each link as it arrives. */
class CheckpointCursor {
  readonly #store: Store
  readonly #tenant: TenantId
  readonly #keys: ReadonlyMap<string, Uint8Array>
  readonly #crypto: LedgerCrypto
  #page: LedgerCheckpointRecord[] = []
  #lastId = 0
  #prevHash = GENESIS_PREV_CHECKPOINT_HASH
  #prevSize = 0
  verified = 0
  latestHash: string | null = null

  constructor(store: Store, tenant: TenantId, keys: ReadonlyMap<string, Uint8Array>, crypto: LedgerCrypto) {
    this.#store = store
    this.#tenant = tenant
    this.#keys = keys
    this.#crypto = crypto
  }

  /** The next checkpoint after verifying it, or null at the end. */
  async next(): Promise<LedgerCheckpointRecord | null> {
    if (this.#page.length === 0) {
      this.#page = await this.#store.listLedgerCheckpoints(this.#tenant, { after: this.#lastId, limit: 500, order: 'asc' })
      if (this.#page.length === 0) return null
    }
    const c = this.#page.shift()!
    const id = c.checkpointId
    if (id !== this.#lastId + 1) fail({ kind: 'checkpoint_link', checkpoint_id: this.#lastId + 1, detail: `checkpoint ${this.#lastId + 1} is missing (next stored is ${id})` })
    if (c.prevCheckpointHash !== this.#prevHash) fail({ kind: 'checkpoint_link', checkpoint_id: id, detail: `prev_checkpoint_hash is ${JSON.stringify(c.prevCheckpointHash)}, expected ${JSON.stringify(this.#prevHash)}` })
    if (c.treeSize <= this.#prevSize) fail({ kind: 'checkpoint', checkpoint_id: id, detail: `tree_size ${c.treeSize} does not grow past ${this.#prevSize}` })
    const row = ledgerCheckpointOf(c)
    const key = this.#keys.get(c.signerKeyId)
    const problem =
      checkCheckpointPayload(row) ??
      checkCheckpointHash(row, this.#crypto) ??
      (key === undefined ? `signer key ${JSON.stringify(c.signerKeyId)} is not published (unknown or revoked)` : checkCheckpointSignature(row, key, this.#crypto))
    if (problem !== null) fail({ kind: 'checkpoint', checkpoint_id: id, detail: problem })
    this.#lastId = id
    this.#prevHash = c.checkpointHash
    this.#prevSize = c.treeSize
    this.verified++
    this.latestHash = c.checkpointHash
    return c
  }
}

/** The row's body as hashed: plaintext is parsed here (no promise per row), encrypted goes to o.body. */
function bodyOf(e: StoredLedgerEvent, o: VerifyStoreOptions): EventBodyValues | null | Promise<EventBodyValues | null> {
  return e.body !== null ? parseBodyOrNull(e.body) : o.body(e)
}

/** Where the pass stood when it reached a sealed row: what the result reports if that row fails. */
interface RowSnapshot {
  readonly leafIndex: number
  readonly treeSize: number
  readonly checkpoints: number
  readonly checkpointHash: string | null
  readonly latestLeafHash: string | null
}

const NO_SIGNATURE = new Uint8Array(0)

export async function verifyStoredLedger(store: Store, tenantId: TenantId, o: VerifyStoreOptions): Promise<StoreVerification> {
  const result: StoreVerification = {
    intact: true, mode: o.mode ?? 'full', verified_entries: 0, verified_checkpoints: 0, verified_manifests: 0, tree_size: 0, unsealed_entries: 0,
    latest_leaf_hash: null, latest_checkpoint_hash: null, latest_manifest_hash: null,
  }
  const jwks = parseJwks(o.pinnedJwks)
  const cps = new CheckpointCursor(store, tenantId, jwks.keys, o.crypto)
  const rows = new RowChecker(jwks.keys, o.crypto)
  const pageSize = o.pageSize ?? DEFAULT_PAGE
  const sealedSignatures = o.mode !== 'tree'
  const workers = sealedSignatures ? (o.signatureWorkers ?? (o.crypto === nodeLedgerCrypto ? defaultSignatureWorkers() : 0)) : 0
  // Created once the first page is full, so a small ledger never starts a thread.
  let queue: ReceiptSignatureQueue<RowSnapshot> | null = null
  // Set by failAtSignature (a closure, so a holder object keeps the type checker's narrowing honest).
  const stopped: { at: RowSnapshot | null } = { at: null }

  /** The earliest queued row whose signature failed: report exactly what the inline check would have. */
  async function failAtSignature(s: RowSnapshot): Promise<never> {
    stopped.at = s
    const [e] = await store.listLedgerEventsByLeaf(tenantId, s.leafIndex, 1)
    if (e === undefined || e.leafIndex !== s.leafIndex) throw new Error(`ledger verification: sealed row ${s.leafIndex} vanished during the pass`)
    let body = bodyOf(e, o)
    if (body instanceof Promise) body = await body
    rows.check(e, body, true)
    throw new Error(`ledger verification: the receipt signature of leaf ${s.leafIndex} failed on a worker but verifies here`)
  }

  try {
    if (jwks.problems.length > 0) fail({ kind: 'keys', detail: `published keys refused: ${jwks.problems.join('; ')}` })
    let next = await cps.next()
    const tree = new TreeRebuilder(o.crypto)
    let lastRowSeq = 0
    try {
      for (;;) {
        const page = await store.listLedgerEventsByLeaf(tenantId, tree.size, pageSize)
        if (page.length === 0) break
        for (let i = 0; i < page.length; i++) {
          const e = page[i]!
          const size = tree.size
          if (e.leafIndex !== size) fail({ kind: 'leaf_missing', leaf_index: size, detail: `leaf_index ${size} is missing (next stored is ${e.leafIndex} at seq ${e.seq}): a sealed row was deleted` })
          if (e.rowSeq <= lastRowSeq) fail({ kind: 'order', seq: e.seq, leaf_index: size, detail: 'rows are out of append order: leaf indexes were assigned in seq order, so rows were reordered' })
          let body = bodyOf(e, o)
          if (body instanceof Promise) body = await body
          const leaf = rows.check(e, body, sealedSignatures && queue === null)
          if (queue !== null) {
            const snapshot: RowSnapshot = { leafIndex: size, treeSize: result.tree_size, checkpoints: cps.verified, checkpointHash: cps.latestHash, latestLeafHash: result.latest_leaf_hash }
            const payload = rows.receiptPayload
            const wait = queue.push(e.receiptKeyId, base64urlDecode(e.receiptSignature) ?? NO_SIGNATURE, payload.buf, payload.length, snapshot)
            if (wait !== null) await wait
            if (queue.firstBad !== null) await failAtSignature(queue.firstBad)
          }
          // The sealer may have committed since the last checkpoint read (a row and its checkpoint are
          // one transaction): read again before calling a sealed row uncovered, or a pass running
          // beside the sealer reports a mismatch that is not there.
          if (next === null) next = await cps.next()
          if (next === null) fail({ kind: 'checkpoint_uncovered', seq: e.seq, leaf_index: size, detail: 'the row is sealed but no checkpoint covers it' })
          if (e.checkpointId !== next.checkpointId) fail({ kind: 'checkpoint_uncovered', seq: e.seq, leaf_index: size, detail: `the row names checkpoint ${e.checkpointId}, but checkpoint ${next.checkpointId} first covers leaf ${size}` })
          tree.append(leaf)
          lastRowSeq = e.rowSeq
          result.verified_entries++
          result.latest_leaf_hash = e.leafHash
          while (next !== null && next.treeSize === tree.size) {
            const root = tree.root()
            if (!bytesEqualHex(root, next.rootHash)) fail({ kind: 'checkpoint_root', checkpoint_id: next.checkpointId, detail: `root_hash ${next.rootHash} differs from the root ${bytesToHex(root)} recomputed from leaves 0..${tree.size - 1}` })
            result.tree_size = tree.size
            next = await cps.next()
          }
        }
        await tree.compare(store, tenantId)
        if (queue === null && workers > 0 && page.length === pageSize) queue = new ReceiptSignatureQueue(jwks.keys, workers)
        if (o.pause !== undefined) await o.pause()
      }
      if (next !== null) fail({ kind: 'leaf_missing', checkpoint_id: next.checkpointId, leaf_index: tree.size, detail: `checkpoint ${next.checkpointId} covers ${next.treeSize} leaves but only ${tree.size} sealed rows are stored: rows were deleted` })
      const bad = queue === null ? null : await queue.firstFailure()
      if (bad !== null) await failAtSignature(bad)
    } catch (err) {
      // A later failure found on this thread yields to an earlier row's signature still in flight.
      if (err instanceof Failed && queue !== null && stopped.at === null) {
        const bad = await queue.firstFailure()
        if (bad !== null) await failAtSignature(bad)
      }
      throw err
    }
    for (let after = 0; ; ) {
      const page = await store.listUnsealedLedgerEvents(tenantId, after, pageSize)
      if (page.length === 0) break
      for (let i = 0; i < page.length; i++) {
        const e = page[i]!
        if (e.rowSeq <= lastRowSeq) fail({ kind: 'order', seq: e.seq, detail: 'an unsealed row precedes sealed rows in append order' })
        // Nothing but its receipt signs an unsealed row: always checked, in every mode.
        let body = bodyOf(e, o)
        if (body instanceof Promise) body = await body
        rows.check(e, body, true)
        result.unsealed_entries++
        result.verified_entries++
        after = e.rowSeq
      }
      if (o.pause !== undefined) await o.pause()
    }
  } catch (err) {
    if (!(err instanceof Failed)) throw err
    result.intact = false
    result.mismatch = err.mismatch
    const where = [
      err.mismatch.seq !== undefined ? `seq ${err.mismatch.seq}` : '',
      err.mismatch.leaf_index !== undefined ? `leaf_index ${err.mismatch.leaf_index}` : '',
      err.mismatch.checkpoint_id !== undefined ? `checkpoint ${err.mismatch.checkpoint_id}` : '',
    ].filter((s) => s !== '').join(', ')
    result.error = `Ledger ${err.mismatch.kind.replaceAll('_', ' ')} mismatch${where === '' ? '' : ` at ${where}`}: ${err.mismatch.detail}`
  } finally {
    await queue?.close()
  }
  const s = stopped.at
  if (s !== null) {
    // The pass ran ahead of the failing signature: report the state at that row, as the inline check would.
    result.verified_entries = s.leafIndex
    result.tree_size = s.treeSize
    result.latest_leaf_hash = s.latestLeafHash
    result.verified_checkpoints = result.verified_manifests = s.checkpoints
    result.latest_checkpoint_hash = result.latest_manifest_hash = s.checkpointHash
  } else {
    result.verified_checkpoints = result.verified_manifests = cps.verified
    result.latest_checkpoint_hash = result.latest_manifest_hash = cps.latestHash
  }
  return result
}
