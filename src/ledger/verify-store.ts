// Full verification of one tenant's stored ledger (GET /ledger/verify and `ledger verify --data`):
// every row's event hash (recomputed from the stored, decrypted body), leaf and signed receipt; the
// tree recomputed from the leaves and compared node by node with the stored nodes and with every
// checkpoint root; every checkpoint's payload, hash, signature and chain link. Streams in pages with
// O(page + log n) memory and stops at the first mismatch, naming seq / leaf_index / checkpoint / node.
import type { TenantId } from '../core/index.ts'
import type { LedgerCheckpointRecord, LedgerNode, Store, StoredLedgerEvent } from '../store/index.ts'
import { bytesEqual, bytesToHex, digestFromHex } from './bytes.ts'
import { checkCheckpointHash, checkCheckpointPayload, checkCheckpointSignature, GENESIS_PREV_CHECKPOINT_HASH } from './checkpoint.ts'
import type { LedgerCrypto } from './crypto.ts'
import { LEDGER_SIGNATURE_ALGORITHM } from './crypto.ts'
import { computeEventHash, computeLeafHash } from './event.ts'
import type { EventBodyValues } from './event-record.ts'
import { hashInputOf, ledgerEntryOf } from './event-record.ts'
import { parseJwks } from './keys.ts'
import { hashChildren } from './merkle/hash.ts'
import { checkReceiptPayload, checkReceiptSignature } from './receipt.ts'
import { ledgerCheckpointOf } from './store-nodes.ts'

export type MismatchKind =
  | 'keys' | 'event_hash' | 'body' | 'leaf_hash' | 'receipt' | 'leaf_missing' | 'order' | 'checkpoint_link'
  | 'checkpoint' | 'checkpoint_root' | 'checkpoint_uncovered' | 'node'

export interface LedgerMismatch {
  kind: MismatchKind
  seq?: number
  leaf_index?: number
  checkpoint_id?: number
  level?: number
  index?: number
  detail: string
}

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
  /** The row's body (decrypted when encrypted at rest); null when it cannot be read. */
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
}

export type VerifyMode = 'full' | 'tree'


const DEFAULT_PAGE = 1000

class Failed {
  readonly mismatch: LedgerMismatch
  constructor(mismatch: LedgerMismatch) {
    this.mismatch = mismatch
  }
}

function fail(m: LedgerMismatch): never {
  throw new Failed(m)
}

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

async function checkRow(e: StoredLedgerEvent, o: VerifyStoreOptions, keys: ReadonlyMap<string, Uint8Array>, signature: boolean): Promise<void> {
  const at = e.leafIndex === null ? { seq: e.seq } : { seq: e.seq, leaf_index: e.leafIndex }
  const body = await o.body(e)
  if (body === null) fail({ kind: 'body', ...at, detail: 'the stored event body cannot be read (encrypted body fails authentication, or is not JSON)' })
  let hash: string
  try {
    hash = computeEventHash(hashInputOf(e, body), o.crypto)
  } catch (err) {
    fail({ kind: 'event_hash', ...at, detail: `the stored event cannot be hashed: ${(err as Error).message}` })
  }
  if (hash !== e.eventHash) fail({ kind: 'event_hash', ...at, detail: `stored fields hash to ${hash}, the row says ${e.eventHash}: a hashed field (tool_args, reason, decision …) was changed after append` })
  if (digestFromHex(e.eventHash) === undefined || computeLeafHash(e.eventHash, o.crypto) !== e.leafHash) fail({ kind: 'leaf_hash', ...at, detail: 'leaf_hash is not H(0x00 || event_hash)' })
  const entry = ledgerEntryOf(e, body)
  const key = keys.get(e.receiptKeyId)
  const problem =
    (e.receiptAlgorithm === LEDGER_SIGNATURE_ALGORITHM ? null : `receipt_algorithm is ${JSON.stringify(e.receiptAlgorithm)}`) ??
    checkReceiptPayload(entry) ??
    (key === undefined
      ? `receipt key ${JSON.stringify(e.receiptKeyId)} is not published (unknown or revoked)`
      : signature
        ? checkReceiptSignature(entry, key, o.crypto)
        : null)
  if (problem !== null) fail({ kind: 'receipt', ...at, detail: problem })
}

/** Compare the nodes recomputed for one page with the stored ones, level by level (range reads). */
async function compareNodes(store: Store, tenant: TenantId, created: LedgerNode[]): Promise<void> {
  const byLevel = new Map<number, LedgerNode[]>()
  for (const n of created) {
    const list = byLevel.get(n.level)
    if (list === undefined) byLevel.set(n.level, [n])
    else list.push(n)
  }
  for (const [level, nodes] of byLevel) {
    const from = nodes[0]!.index
    const stored = await store.listLedgerNodes(tenant, level, from, nodes[nodes.length - 1]!.index + 1)
    const found = new Map(stored.map((s) => [s.index, s.hash]))
    for (const n of nodes) {
      const s = found.get(n.index)
      const where = level === 0 ? `leaf node ${n.index}` : `node (level ${level}, index ${n.index})`
      if (s === undefined) fail({ kind: 'node', level, index: n.index, ...(level === 0 ? { leaf_index: n.index } : {}), detail: `stored merkle ${where} is missing` })
      if (!bytesEqual(s, n.hash)) fail({ kind: 'node', level, index: n.index, ...(level === 0 ? { leaf_index: n.index } : {}), detail: `stored merkle ${where} differs from the one recomputed from the event rows` })
    }
  }
}

export async function verifyStoredLedger(store: Store, tenantId: TenantId, o: VerifyStoreOptions): Promise<StoreVerification> {
  const result: StoreVerification = {
    intact: true, mode: o.mode ?? 'full', verified_entries: 0, verified_checkpoints: 0, verified_manifests: 0, tree_size: 0, unsealed_entries: 0,
    latest_leaf_hash: null, latest_checkpoint_hash: null, latest_manifest_hash: null,
  }
  const jwks = parseJwks(o.pinnedJwks)
  const cps = new CheckpointCursor(store, tenantId, jwks.keys, o.crypto)
  const pageSize = o.pageSize ?? DEFAULT_PAGE
  const sealedSignatures = o.mode !== 'tree'
  try {
    if (jwks.problems.length > 0) fail({ kind: 'keys', detail: `published keys refused: ${jwks.problems.join('; ')}` })
    let next = await cps.next()
    // The frontier of the recomputed tree: a binary counter of perfect subtrees, O(log n) entries.
    const frontier: Array<{ level: number; hash: Uint8Array }> = []
    let size = 0
    let lastRowSeq = 0
    for (;;) {
      const rows = await store.listLedgerEventsByLeaf(tenantId, size, pageSize)
      if (rows.length === 0) break
      const created: LedgerNode[] = []
      for (const e of rows) {
        if (e.leafIndex !== size) fail({ kind: 'leaf_missing', leaf_index: size, detail: `leaf_index ${size} is missing (next stored is ${e.leafIndex} at seq ${e.seq}): a sealed row was deleted` })
        if (e.rowSeq <= lastRowSeq) fail({ kind: 'order', seq: e.seq, leaf_index: size, detail: 'rows are out of append order: leaf indexes were assigned in seq order, so rows were reordered' })
        await checkRow(e, o, jwks.keys, sealedSignatures)
        if (next === null) fail({ kind: 'checkpoint_uncovered', seq: e.seq, leaf_index: size, detail: 'the row is sealed but no checkpoint covers it' })
        if (e.checkpointId !== next.checkpointId) fail({ kind: 'checkpoint_uncovered', seq: e.seq, leaf_index: size, detail: `the row names checkpoint ${e.checkpointId}, but checkpoint ${next.checkpointId} first covers leaf ${size}` })
        let entry = { level: 0, hash: digestFromHex(e.leafHash)! }
        let index = size
        created.push({ level: 0, index, hash: entry.hash })
        while (frontier.length > 0 && frontier[frontier.length - 1]!.level === entry.level) {
          const left = frontier.pop()!
          index = Math.floor(index / 2)
          entry = { level: entry.level + 1, hash: hashChildren(left.hash, entry.hash, o.crypto) }
          created.push({ level: entry.level, index, hash: entry.hash })
        }
        frontier.push(entry)
        size++
        lastRowSeq = e.rowSeq
        result.verified_entries++
        result.latest_leaf_hash = e.leafHash
        while (next !== null && next.treeSize === size) {
          let acc = frontier[frontier.length - 1]!.hash
          for (let i = frontier.length - 2; i >= 0; i--) acc = hashChildren(frontier[i]!.hash, acc, o.crypto)
          if (bytesToHex(acc) !== next.rootHash) fail({ kind: 'checkpoint_root', checkpoint_id: next.checkpointId, detail: `root_hash ${next.rootHash} differs from the root ${bytesToHex(acc)} recomputed from leaves 0..${size - 1}` })
          result.tree_size = size
          next = await cps.next()
        }
      }
      await compareNodes(store, tenantId, created)
      if (o.pause !== undefined) await o.pause()
    }
    if (next !== null) fail({ kind: 'leaf_missing', checkpoint_id: next.checkpointId, leaf_index: size, detail: `checkpoint ${next.checkpointId} covers ${next.treeSize} leaves but only ${size} sealed rows are stored: rows were deleted` })
    for (let after = 0; ; ) {
      const rows = await store.listUnsealedLedgerEvents(tenantId, after, pageSize)
      if (rows.length === 0) break
      for (const e of rows) {
        if (e.rowSeq <= lastRowSeq) fail({ kind: 'order', seq: e.seq, detail: 'an unsealed row precedes sealed rows in append order' })
        // Nothing but its receipt signs an unsealed row: always checked, in every mode.
        await checkRow(e, o, jwks.keys, true)
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
  }
  result.verified_checkpoints = result.verified_manifests = cps.verified
  result.latest_checkpoint_hash = result.latest_manifest_hash = cps.latestHash
  return result
}
