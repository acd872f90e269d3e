// Whole-ledger verification (spec §7.8 verifyLedgerProof): every row's event hash, leaf, receipt;
// the checkpoint chain from genesis (or a trusted anchor); and the root of every checkpoint whose
// leaves are all present — the SDK checks only the latest. Stops at the first failure with the
// SDK's message where it has one. Pure: keys come only from the pinned JWKS, crypto is injected.
import { digestFromHex } from './bytes.ts'
import { checkCheckpointHash, checkCheckpointPayload, checkCheckpointSignature, GENESIS_PREV_CHECKPOINT_HASH } from './checkpoint.ts'
import type { LedgerCrypto } from './crypto.ts'
import { LEDGER_SIGNATURE_ALGORITHM } from './crypto.ts'
import { computeEventHash, computeLeafHash } from './event.ts'
import { parseJwks } from './keys.ts'
import { appendLeaves, MemoryNodeStore, rootFromNodes } from './merkle/nodes.ts'
import { bytesToHex } from './bytes.ts'
import { checkReceiptPayload, checkReceiptSignature } from './receipt.ts'
import { checkEventBody, isRedacted } from './verify-steps.ts'
import { parseLedgerCheckpoint, parseLedgerEntry } from './wire.ts'
import type { LedgerCheckpoint, LedgerEntry } from './wire-types.ts'

export interface LedgerVerification {
  intact: boolean
  verified_entries: number
  verified_checkpoints: number
  latest_leaf_hash: string | null
  latest_checkpoint_hash: string | null
  coverage_note?: string
  error?: string
}

export interface VerifyLedgerOptions {
  /** The trusted JWKS: ledger keys come only from it (spec §7.8 step 1). */
  readonly pinnedJwks: unknown
  /**
   * prev_checkpoint_hash the first checkpoint must carry: "" (genesis) by default, or the hash of
   * a checkpoint the caller verified earlier, so a window of recent checkpoints can be checked.
   */
  readonly anchorCheckpointHash?: string
}

type Failure = { error: string }

function fail(error: string, entries = 0, checkpoints = 0): LedgerVerification {
  return { intact: false, verified_entries: entries, verified_checkpoints: checkpoints, latest_leaf_hash: null, latest_checkpoint_hash: null, error }
}

function parseAll<T>(items: readonly unknown[], what: string, parse: (v: unknown, at: string) => { ok: true; value: T } | { ok: false; errors: string[] }): T[] | Failure {
  const out: T[] = []
  for (let i = 0; i < items.length; i++) {
    const r = parse(items[i], `${what}[${i}]`)
    if (!r.ok) return { error: `Ledger ${what} ${i} is malformed: ${r.errors.join('; ')}` }
    out.push(r.value)
  }
  return out
}

function checkEntry(e: LedgerEntry, keys: ReadonlyMap<string, Uint8Array>, crypto: LedgerCrypto): string | null {
  if (isRedacted(e)) {
    if (checkEventBody(e) !== null) return `Ledger redacted entry carries an uncovered body at seq ${e.seq}`
  } else {
    let hash: string
    try {
      hash = computeEventHash(e, crypto)
    } catch {
      return `Ledger event cannot be hashed at seq ${e.seq}`
    }
    if (hash !== e.event_hash) return `Ledger event hash mismatch at seq ${e.seq}`
  }
  if (digestFromHex(e.event_hash) === undefined || computeLeafHash(e.event_hash, crypto) !== e.leaf_hash) {
    return `Ledger leaf hash mismatch at seq ${e.seq}`
  }
  if (e.receipt_algorithm !== LEDGER_SIGNATURE_ALGORITHM) return `Unsupported ledger receipt algorithm ${e.receipt_algorithm}`
  if (checkReceiptPayload(e) !== null) return `Ledger receipt payload mismatch at seq ${e.seq}`
  const key = keys.get(e.receipt_key_id)
  if (key === undefined) return `No JWKS key found for kid ${e.receipt_key_id}`
  if (checkReceiptSignature(e, key, crypto) !== null) return `Ledger receipt signature invalid at seq ${e.seq}`
  return null
}

function checkCheckpointRow(cp: LedgerCheckpoint, prev: string, prevSize: number, keys: ReadonlyMap<string, Uint8Array>, crypto: LedgerCrypto): string | null {
  const id = cp.checkpoint_id
  if (cp.prev_checkpoint_hash !== prev) return `Ledger checkpoint chain broken at checkpoint ${id}`
  if (cp.signature_algorithm !== LEDGER_SIGNATURE_ALGORITHM) return `Unsupported ledger checkpoint algorithm ${cp.signature_algorithm}`
  if (cp.tree_size === 0 || cp.tree_size < prevSize) return `Ledger checkpoint tree size does not grow at checkpoint ${id}`
  if (checkCheckpointPayload(cp) !== null) return `Ledger checkpoint payload mismatch at checkpoint ${id}`
  if (checkCheckpointHash(cp, crypto) !== null) return `Ledger checkpoint hash mismatch at checkpoint ${id}`
  const key = keys.get(cp.signer_key_id)
  if (key === undefined) return `No JWKS key found for kid ${cp.signer_key_id}`
  if (checkCheckpointSignature(cp, key, crypto) !== null) return `Ledger checkpoint signature invalid at checkpoint ${id}`
  return null
}

/** Leaf hashes 0..L−1 for the longest gap-free prefix of sequenced entries, or a failure. */
function sequencedLeaves(entries: readonly LedgerEntry[]): Uint8Array[] | Failure {
  const byIndex = new Map<number, Uint8Array>()
  for (const e of entries) {
    if (e.leaf_index === null) continue
    if (byIndex.has(e.leaf_index)) return { error: `Ledger leaf index ${e.leaf_index} appears twice (seq ${e.seq})` }
    byIndex.set(e.leaf_index, digestFromHex(e.leaf_hash)!)
  }
  const leaves: Uint8Array[] = []
  while (byIndex.has(leaves.length)) leaves.push(byIndex.get(leaves.length)!)
  return leaves
}

/** Verify ledger rows and checkpoints (parsed JSON, any order). Never throws for bad input. */
export function verifyLedger(rawEntries: readonly unknown[], rawCheckpoints: readonly unknown[], crypto: LedgerCrypto, options: VerifyLedgerOptions): LedgerVerification {
  const jwks = parseJwks(options.pinnedJwks)
  if (jwks.problems.length > 0) return fail(`Pinned JWKS refused: ${jwks.problems.join('; ')}`)
  const entries = parseAll(rawEntries, 'entry', parseLedgerEntry)
  if ('error' in entries) return fail(entries.error)
  const checkpoints = parseAll(rawCheckpoints, 'checkpoint', parseLedgerCheckpoint)
  if ('error' in checkpoints) return fail(checkpoints.error)
  entries.sort((a, b) => a.seq - b.seq)
  checkpoints.sort((a, b) => a.checkpoint_id - b.checkpoint_id)

  let redacted = 0
  for (let i = 0; i < entries.length; i++) {
    const problem = checkEntry(entries[i]!, jwks.keys, crypto)
    if (problem !== null) return fail(problem, i)
    if (isRedacted(entries[i]!)) redacted++
  }
  let prev = options.anchorCheckpointHash ?? GENESIS_PREV_CHECKPOINT_HASH
  let prevSize = 0
  for (let i = 0; i < checkpoints.length; i++) {
    const cp = checkpoints[i]!
    const problem = checkCheckpointRow(cp, prev, prevSize, jwks.keys, crypto)
    if (problem !== null) return fail(problem, entries.length, i)
    prev = cp.checkpoint_hash
    prevSize = cp.tree_size
  }

  const leaves = sequencedLeaves(entries)
  if ('error' in leaves) return fail(leaves.error, entries.length, checkpoints.length)
  const store = new MemoryNodeStore()
  store.put(appendLeaves(store, 0, leaves, crypto))
  for (const cp of checkpoints) {
    if (cp.tree_size > leaves.length) continue
    if (bytesToHex(rootFromNodes(store, cp.tree_size, crypto)) !== cp.root_hash) {
      return fail(`Ledger checkpoint root mismatch at checkpoint ${cp.checkpoint_id}`, entries.length, checkpoints.length)
    }
  }

  const latest = checkpoints[checkpoints.length - 1]
  const notes: string[] = []
  if (redacted > 0) {
    notes.push(`Event-body hash recomputation was skipped for ${redacted} redacted public ledger ${redacted === 1 ? 'entry' : 'entries'}; receipt and checkpoint proofs still verified.`)
  }
  if (latest !== undefined && latest.tree_size > leaves.length) {
    notes.push(`Provided ${leaves.length} sequenced entries for tree size ${latest.tree_size}; full root verification requires the complete covered set.`)
  }
  const result: LedgerVerification = {
    intact: true,
    verified_entries: entries.length,
    verified_checkpoints: checkpoints.length,
    latest_leaf_hash: entries[entries.length - 1]?.leaf_hash ?? null,
    latest_checkpoint_hash: latest?.checkpoint_hash ?? null,
  }
  if (notes.length > 0) result.coverage_note = notes.join(' ')
  return result
}
