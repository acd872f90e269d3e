// The strict offline proof-bundle verifier (spec §7.8): every check the SDK makes, plus the ones it
// skips (event-hash recomputation, leaf derivation, receipt algorithm, checkpoint hashes, the
// to-checkpoint signature, from == inclusion checkpoint, size binding, pinned keys). Each step is
// reported; a bad bundle is a result, never a throw. Pure: crypto is injected.
import { digestFromHex } from './bytes.ts'
import { checkCheckpointHash, checkCheckpointPayload, checkCheckpointSignature } from './checkpoint.ts'
import type { LedgerCrypto } from './crypto.ts'
import { computeEventHash, computeLeafHash } from './event.ts'
import { parseJwks, resolveBundleKeys } from './keys.ts'
import { verifyConsistency, verifyInclusion } from './merkle/verify.ts'
import { checkReceiptAlgorithm, checkReceiptPayload, checkReceiptSignature } from './receipt.ts'
import { checkEventBody, isRedacted, REDACTED_NOTE, sameCheckpoint } from './verify-steps.ts'
import type { BundleStep, BundleVerification, StepStatus, VerificationStep } from './verify-steps.ts'
import { parseProofBundle } from './wire.ts'
import type { LedgerCheckpoint, ProofBundle } from './wire-types.ts'

export interface VerifyBundleOptions {
  /** The caller's trusted JWKS document (`{ keys: [...] }`). */
  readonly pinnedJwks?: unknown
  /** Trust keys embedded in the bundle without pins. Off by default (fail closed). */
  readonly trustEmbeddedKeys?: boolean
  /** Fail, instead of skip, when the event body is redacted (intent_hash ""). */
  readonly requireEventBody?: boolean
}

class Steps {
  readonly list: VerificationStep[] = []
  add(step: BundleStep, problem: string | null, okMessage: string): boolean {
    this.list.push({ step, status: problem === null ? 'ok' : 'fail', message: problem ?? okMessage })
    return problem === null
  }
  set(step: BundleStep, status: StepStatus, message: string): void {
    this.list.push({ step, status, message })
  }
}

function hexDigests(path: readonly string[]): Uint8Array[] | string {
  const out: Uint8Array[] = []
  for (let i = 0; i < path.length; i++) {
    const node = digestFromHex(path[i]!)
    if (node === undefined) return `path[${i}] is not 64 lowercase hex characters`
    out.push(node)
  }
  return out
}

function signerKids(b: ProofBundle): string[] {
  const kids = [b.event.receipt_key_id, b.inclusion.checkpoint.signer_key_id]
  if (b.consistency !== undefined) kids.push(b.consistency.to_checkpoint.signer_key_id)
  return kids
}

function checkEventHash(s: Steps, b: ProofBundle, crypto: LedgerCrypto, requireBody: boolean): void {
  const event = b.event
  if (isRedacted(event)) {
    const body = checkEventBody(event)
    if (body !== null) return void s.set('event_hash', 'fail', body)
    return s.set('event_hash', requireBody ? 'fail' : 'skipped', REDACTED_NOTE)
  }
  let recomputed: string
  try {
    recomputed = computeEventHash(event, crypto)
  } catch (err) {
    return void s.set('event_hash', 'fail', `the event cannot be hashed: ${(err as Error).message}`)
  }
  s.add('event_hash', recomputed === event.event_hash ? null : `event_hash is ${event.event_hash} but the event body hashes to ${recomputed}`,
    `the event body (canonical_version ${event.canonical_version}) hashes to event_hash ${recomputed}`)
}

function checkLeaf(s: Steps, b: ProofBundle, crypto: LedgerCrypto): void {
  const { event, inclusion } = b
  if (digestFromHex(event.event_hash) === undefined) {
    s.set('leaf_hash', 'fail', 'event_hash is not 64 lowercase hex characters')
  } else {
    const leaf = computeLeafHash(event.event_hash, crypto)
    s.add('leaf_hash', leaf === event.leaf_hash ? null : `leaf_hash is ${event.leaf_hash} but H(0x00 || event_hash) is ${leaf}`,
      `leaf_hash = H(0x00 || event_hash) = ${leaf}`)
  }
  const mismatch = (['event_uuid', 'request_id', 'event_hash', 'leaf_hash'] as const).find((k) => inclusion[k] !== event[k])
  const indexProblem = event.leaf_index !== null && event.leaf_index !== inclusion.leaf_index
    ? `event.leaf_index ${event.leaf_index} differs from inclusion.leaf_index ${inclusion.leaf_index}` : null
  s.add('inclusion_binding', mismatch !== undefined ? `inclusion.${mismatch} differs from event.${mismatch}` : indexProblem,
    'uuid, request id, event hash, leaf hash and leaf index match the event')
}

function checkReceipt(s: Steps, b: ProofBundle, trusted: ReadonlyMap<string, Uint8Array>, crypto: LedgerCrypto): void {
  const e = b.event
  s.add('receipt_algorithm', checkReceiptAlgorithm(e), 'receipt_algorithm is "Ed25519"')
  s.add('receipt_payload', checkReceiptPayload(e), 'receipt_payload is exactly the payload rebuilt from the event')
  const key = trusted.get(e.receipt_key_id)
  s.add('receipt_signature', key === undefined ? `no trusted key for receipt_key_id ${JSON.stringify(e.receipt_key_id)}` : checkReceiptSignature(e, key, crypto),
    `receipt signed by ${JSON.stringify(e.receipt_key_id)}`)
}

function checkCheckpoint(s: Steps, which: 'inclusion_checkpoint' | 'to_checkpoint', cp: LedgerCheckpoint, trusted: ReadonlyMap<string, Uint8Array>, crypto: LedgerCrypto): void {
  s.add(`${which}_payload`, checkCheckpointPayload(cp), `checkpoint ${cp.checkpoint_id} payload matches its fields (tree_size ${cp.tree_size}, root ${cp.root_hash})`)
  s.add(`${which}_hash`, checkCheckpointHash(cp, crypto), `checkpoint_hash ${cp.checkpoint_hash} is the hash of the payload`)
  const key = trusted.get(cp.signer_key_id)
  s.add(`${which}_signature`, key === undefined ? `no trusted key for signer_key_id ${JSON.stringify(cp.signer_key_id)}` : checkCheckpointSignature(cp, key, crypto),
    `checkpoint ${cp.checkpoint_id} signed by ${JSON.stringify(cp.signer_key_id)}`)
}

function checkInclusion(s: Steps, b: ProofBundle, crypto: LedgerCrypto): void {
  const { inclusion } = b
  const cp = inclusion.checkpoint
  const sizeProblem = inclusion.tree_size !== cp.tree_size
    ? `inclusion.tree_size ${inclusion.tree_size} differs from the checkpoint's tree_size ${cp.tree_size}`
    : inclusion.leaf_index >= inclusion.tree_size ? `leaf_index ${inclusion.leaf_index} is not below tree_size ${inclusion.tree_size}` : null
  s.add('inclusion_tree_size', sizeProblem, `leaf ${inclusion.leaf_index} of a tree of ${cp.tree_size}, the size the checkpoint signs`)
  const path = hexDigests(inclusion.path)
  const leaf = digestFromHex(inclusion.leaf_hash)
  const root = digestFromHex(cp.root_hash)
  if (typeof path === 'string') return void s.set('inclusion_proof', 'fail', `inclusion ${path}`)
  if (leaf === undefined || root === undefined) return void s.set('inclusion_proof', 'fail', 'leaf_hash or root_hash is not 64 lowercase hex characters')
  const ok = verifyInclusion({ leafIndex: inclusion.leaf_index, treeSize: cp.tree_size, leafHash: leaf, path, rootHash: root }, crypto)
  s.add('inclusion_proof', ok ? null : `the ${path.length}-node path does not lead from leaf ${inclusion.leaf_index} to root ${cp.root_hash} of tree size ${cp.tree_size}`,
    `the ${path.length}-node path leads from the leaf to the checkpoint root`)
}

function checkConsistency(s: Steps, b: ProofBundle, trusted: ReadonlyMap<string, Uint8Array>, crypto: LedgerCrypto): void {
  const c = b.consistency!
  const from = c.from_checkpoint
  const to = c.to_checkpoint
  s.add('consistency_from', sameCheckpoint(from, b.inclusion.checkpoint), `from_checkpoint is the inclusion checkpoint (${from.checkpoint_id})`)
  checkCheckpoint(s, 'to_checkpoint', to, trusted, crypto)
  if (to.checkpoint_id <= from.checkpoint_id || to.tree_size < from.tree_size) {
    s.set('consistency_chain', 'fail', `to_checkpoint ${to.checkpoint_id} (size ${to.tree_size}) does not come after checkpoint ${from.checkpoint_id} (size ${from.tree_size})`)
  } else if (to.checkpoint_id === from.checkpoint_id + 1) {
    s.add('consistency_chain', to.prev_checkpoint_hash === from.checkpoint_hash ? null : `checkpoint ${to.checkpoint_id} prev_checkpoint_hash does not name checkpoint ${from.checkpoint_id}`,
      `checkpoint ${to.checkpoint_id} chains to checkpoint ${from.checkpoint_id}`)
  } else {
    s.set('consistency_chain', 'skipped', `checkpoints ${from.checkpoint_id} and ${to.checkpoint_id} are not adjacent: the chain link is not in the bundle (the consistency proof still binds them)`)
  }
  const path = hexDigests(c.path)
  const r1 = digestFromHex(from.root_hash)
  const r2 = digestFromHex(to.root_hash)
  if (typeof path === 'string') return void s.set('consistency_proof', 'fail', `consistency ${path}`)
  if (r1 === undefined || r2 === undefined) return void s.set('consistency_proof', 'fail', 'a checkpoint root_hash is not 64 lowercase hex characters')
  const ok = verifyConsistency({ firstSize: from.tree_size, secondSize: to.tree_size, firstRoot: r1, secondRoot: r2, path }, crypto)
  s.add('consistency_proof', ok ? null : `the path does not prove tree ${to.tree_size} extends tree ${from.tree_size}`,
    `tree ${to.tree_size} (checkpoint ${to.checkpoint_id}) is an append-only extension of tree ${from.tree_size}`)
}

function summarize(s: Steps, b: ProofBundle | null): BundleVerification {
  const failed = s.list.find((step) => step.status === 'fail')
  const result: BundleVerification = {
    intact: failed === undefined,
    steps: s.list,
    verified_entries: failed === undefined ? 1 : 0,
    verified_checkpoints: failed === undefined && b !== null ? (b.consistency === undefined ? 1 : 2) : 0,
    latest_leaf_hash: b?.event.leaf_hash ?? null,
    latest_checkpoint_hash: b === null ? null : (b.consistency?.to_checkpoint ?? b.inclusion.checkpoint).checkpoint_hash,
  }
  if (b !== null && isRedacted(b.event)) result.coverage_note = REDACTED_NOTE
  if (failed !== undefined) result.error = `${failed.step}: ${failed.message}`
  return result
}

/** Verify a proof bundle (parsed JSON) step by step. `intact` is true only when no step failed. */
export function verifyProofBundle(input: unknown, crypto: LedgerCrypto, options: VerifyBundleOptions = {}): BundleVerification {
  const s = new Steps()
  const parsed = parseProofBundle(input)
  if (!parsed.ok) {
    s.set('schema', 'fail', parsed.errors.join('; '))
    return summarize(s, null)
  }
  const b = parsed.value
  s.set('schema', 'ok', 'the bundle has the shape of spec §7.6')
  try {
    const pinned = options.pinnedJwks === undefined ? null : parseJwks(options.pinnedJwks)
    const keys = resolveBundleKeys(b.keys, signerKids(b), { pinned, trustEmbeddedKeys: options.trustEmbeddedKeys === true })
    const trustedNote = `${keys.trusted.size} trusted key(s): ${[...keys.trusted.keys()].join(', ') || 'none'}`
    s.add('keys', keys.problems.length > 0 ? keys.problems.join('; ') : null, [trustedNote, ...keys.notes].join('; '))
    checkEventHash(s, b, crypto, options.requireEventBody === true)
    checkLeaf(s, b, crypto)
    checkReceipt(s, b, keys.trusted, crypto)
    checkCheckpoint(s, 'inclusion_checkpoint', b.inclusion.checkpoint, keys.trusted, crypto)
    checkInclusion(s, b, crypto)
    if (b.consistency !== undefined) checkConsistency(s, b, keys.trusted, crypto)
    else s.set('consistency_proof', 'skipped', 'no consistency member: the inclusion checkpoint is the latest the server offered')
  } catch (err) {
    // Injected crypto may throw; the verifier itself must not.
    s.set('verifier', 'fail', `verification stopped: ${(err as Error).message}`)
  }
  return summarize(s, b)
}

