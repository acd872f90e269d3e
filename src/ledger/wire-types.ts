// JSON shapes of ledger rows, checkpoints, keys, proofs and bundles (spec §7.6), after parsing:
// defaults applied, optional-nullable fields normalised to null.

export type JsonObject = { [key: string]: unknown }

export interface LedgerEntry {
  seq: number
  event_uuid: string
  request_id: string
  agent_id: string
  policy_id: string
  tool_name: string
  accepted_at: string
  event_hash: string
  leaf_hash: string
  intent_hash: string
  tool_args: JsonObject
  reason: string
  citations: JsonObject[]
  evidence_chunks: JsonObject[]
  confidence: number
  approved: boolean
  canonical_version: number
  confidence_bucket: string | null
  decision_status: string | null
  leaf_index: number | null
  checkpoint_id: number | null
  receipt_algorithm: string
  receipt_key_id: string
  receipt_signature: string
  receipt_payload: string
  rule_set_hash: string | null
  eval_inputs_hash: string | null
  eval_trace_hash: string | null
  classifier_label: string | null
  matched_rule_ids: string[] | null
  classifier_confidence_bucket: string | null
}

export interface LedgerCheckpoint {
  checkpoint_id: number
  microblock_id: number
  tree_size: number
  root_hash: string
  checkpoint_hash: string
  signed_at: string
  prev_checkpoint_hash: string
  signature_algorithm: string
  signer_key_id: string
  checkpoint_signature: string
  checkpoint_payload: string
  export_target: string
  export_uri: string
  export_status: string
  mmd_seconds: number
  exported_at?: string
}

export interface KeyVersion {
  key_id: string
  algorithm: string
  active_from: string
  /** base64url of the JWK's JSON text. */
  public_jwk: string
  retired_at?: string
  attestation_payload: string
  attestation_signature: string
  attestation_key_id: string
  attestation_status: string
}

export interface InclusionProof {
  event_uuid: string
  request_id: string
  event_hash: string
  leaf_hash: string
  leaf_index: number
  tree_size: number
  path: string[]
  checkpoint: LedgerCheckpoint
}

export interface ConsistencyProof {
  from_checkpoint: LedgerCheckpoint
  to_checkpoint: LedgerCheckpoint
  path: string[]
}

export interface ProofBundle {
  event: LedgerEntry
  inclusion: InclusionProof
  consistency?: ConsistencyProof
  keys: KeyVersion[]
}
