// Result types of the bundle verifier, the human label of each step (the CLI prints them), and the
// small event/checkpoint predicates the steps share.
import type { LedgerCheckpoint, LedgerEntry } from './wire-types.ts'

export type BundleStep =
  | 'schema'
  | 'keys'
  | 'event_hash'
  | 'leaf_hash'
  | 'inclusion_binding'
  | 'receipt_algorithm'
  | 'receipt_payload'
  | 'receipt_signature'
  | 'inclusion_checkpoint_payload'
  | 'inclusion_checkpoint_hash'
  | 'inclusion_checkpoint_signature'
  | 'inclusion_tree_size'
  | 'inclusion_proof'
  | 'consistency_from'
  | 'to_checkpoint_payload'
  | 'to_checkpoint_hash'
  | 'to_checkpoint_signature'
  | 'consistency_chain'
  | 'consistency_proof'
  | 'verifier'

export type StepStatus = 'ok' | 'fail' | 'skipped'

export interface VerificationStep {
  readonly step: BundleStep
  readonly status: StepStatus
  readonly message: string
}

/** The SDK's result shape (spec §7.6 "Verification result") plus every step. */
export interface BundleVerification {
  intact: boolean
  steps: VerificationStep[]
  verified_entries: number
  verified_checkpoints: number
  latest_leaf_hash: string | null
  latest_checkpoint_hash: string | null
  coverage_note?: string
  /** The first failed step, as "step: message". */
  error?: string
}

export const BUNDLE_STEP_LABELS: Readonly<Record<BundleStep, string>> = {
  schema: 'bundle shape',
  keys: 'verification keys',
  event_hash: 'event hash',
  leaf_hash: 'leaf hash',
  inclusion_binding: 'inclusion proof names the event',
  receipt_algorithm: 'receipt algorithm',
  receipt_payload: 'receipt payload',
  receipt_signature: 'receipt signature',
  inclusion_checkpoint_payload: 'inclusion checkpoint payload',
  inclusion_checkpoint_hash: 'inclusion checkpoint hash',
  inclusion_checkpoint_signature: 'inclusion checkpoint signature',
  inclusion_tree_size: 'inclusion tree size',
  inclusion_proof: 'inclusion proof',
  consistency_from: 'consistency starts at the inclusion checkpoint',
  to_checkpoint_payload: 'latest checkpoint payload',
  to_checkpoint_hash: 'latest checkpoint hash',
  to_checkpoint_signature: 'latest checkpoint signature',
  consistency_chain: 'checkpoint chain link',
  consistency_proof: 'consistency proof',
  verifier: 'verifier',
}

/**
 * What a redacted row proves. An empty intent_hash marks a public, redacted row (spec §7.2): the body
 * cannot be re-hashed, but the signed receipt still binds event_uuid, request_id, accepted_at and the
 * hashes, and the Merkle proofs bind the leaf.
 */
export const REDACTED_NOTE =
  'event body is redacted (intent_hash ""): event_hash was not recomputed, so agent_id, policy_id, ' +
  'tool_name, reason, approved, confidence and the decision fields are NOT covered; event_uuid, ' +
  'request_id, accepted_at and the hashes are (signed receipt and Merkle proofs)'

export function isRedacted(event: LedgerEntry): boolean {
  return event.intent_hash === ''
}

/**
 * A redacted row must not carry tool_args, citations or evidence_chunks: they would look like
 * evidence while nothing covers them. null when the redaction is clean.
 */
export function checkEventBody(event: LedgerEntry): string | null {
  if (Object.keys(event.tool_args).length > 0 || event.citations.length > 0 || event.evidence_chunks.length > 0) {
    return 'the event is marked redacted (intent_hash "") yet carries tool_args, citations or evidence_chunks that nothing covers'
  }
  return null
}

const SIGNED_CHECKPOINT_FIELDS = [
  'checkpoint_id',
  'tree_size',
  'root_hash',
  'checkpoint_hash',
  'prev_checkpoint_hash',
  'signed_at',
  'signer_key_id',
  'signature_algorithm',
  'checkpoint_payload',
  'checkpoint_signature',
  'mmd_seconds',
  'export_target',
] as const

/** null when both describe the same signed checkpoint (export status fields may legitimately differ). */
export function sameCheckpoint(a: LedgerCheckpoint, b: LedgerCheckpoint): string | null {
  const field = SIGNED_CHECKPOINT_FIELDS.find((k) => a[k] !== b[k])
  return field === undefined ? null : `from_checkpoint.${field} differs from the inclusion checkpoint's ${field}`
}
