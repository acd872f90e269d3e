// Checkpoints (spec §7.5): the sealer's signed statement "the tree had tree_size leaves and this
// root", chained by prev_checkpoint_hash. The signature covers the payload bytes, not the hash.
import { base64urlDecode, base64urlEncode, bytesEqual, bytesToHex, concatBytes, utf8Bytes } from './bytes.ts'
import { encodeCbor } from './cbor.ts'
import { LEDGER_SIGNATURE_ALGORITHM } from './crypto.ts'
import type { LedgerCrypto, LedgerHasher, LedgerSigner } from './crypto.ts'

export const CHECKPOINT_HASH_DOMAIN = 'ledgix.audit.checkpoint.v1'
const CHECKPOINT_PREFIX = concatBytes(utf8Bytes(CHECKPOINT_HASH_DOMAIN), new Uint8Array(1))

/** The genesis checkpoint's prev_checkpoint_hash. */
export const GENESIS_PREV_CHECKPOINT_HASH = ''

export interface CheckpointFields {
  /** "" for none: only zero or one export target can be represented. */
  readonly export_target: string
  readonly signer_key_id: string
  readonly mmd_seconds: number
  readonly prev_checkpoint_hash: string
  readonly root_hash: string
  readonly signed_at: string
  readonly tree_size: number
}

/** The signed columns of a checkpoint row. */
export interface SignedCheckpoint {
  readonly signature_algorithm: string
  readonly signer_key_id: string
  readonly checkpoint_payload: string
  readonly checkpoint_signature: string
  readonly checkpoint_hash: string
}

export type CheckpointRow = CheckpointFields & SignedCheckpoint

export function buildCheckpointPayload(fields: CheckpointFields): Uint8Array {
  return encodeCbor({
    export_targets: fields.export_target ? [fields.export_target] : [],
    key_id: fields.signer_key_id,
    mmd_seconds: fields.mmd_seconds,
    prev_checkpoint_hash: fields.prev_checkpoint_hash,
    root_hash: fields.root_hash,
    signed_at: fields.signed_at,
    tree_size: fields.tree_size,
    type: 'checkpoint',
    version: 1,
  })
}

/** hex(SHA-256("ledgix.audit.checkpoint.v1" || 0x00 || payload)). */
export function computeCheckpointHash(payload: Uint8Array, hasher: LedgerHasher): string {
  return bytesToHex(hasher.sha256(concatBytes(CHECKPOINT_PREFIX, payload)))
}

export function signCheckpoint(
  fields: Omit<CheckpointFields, 'signer_key_id'>,
  signer: LedgerSigner,
  hasher: LedgerHasher,
): SignedCheckpoint {
  const payload = buildCheckpointPayload({ ...fields, signer_key_id: signer.keyId })
  return {
    signature_algorithm: LEDGER_SIGNATURE_ALGORITHM,
    signer_key_id: signer.keyId,
    checkpoint_payload: base64urlEncode(payload),
    checkpoint_signature: base64urlEncode(signer.sign(payload)),
    checkpoint_hash: computeCheckpointHash(payload, hasher),
  }
}

/** null when signature_algorithm is "Ed25519" and checkpoint_payload equals the payload rebuilt from the fields. */
export function checkCheckpointPayload(row: CheckpointRow): string | null {
  if (row.signature_algorithm !== LEDGER_SIGNATURE_ALGORITHM) {
    return `signature_algorithm is ${JSON.stringify(row.signature_algorithm)}, expected "Ed25519"`
  }
  const served = base64urlDecode(row.checkpoint_payload)
  if (served === undefined) return 'checkpoint_payload is not unpadded base64url'
  let rebuilt: Uint8Array
  try {
    rebuilt = buildCheckpointPayload(row)
  } catch (err) {
    return `checkpoint payload cannot be rebuilt: ${(err as Error).message}`
  }
  return bytesEqual(served, rebuilt)
    ? null
    : 'checkpoint_payload differs from the payload rebuilt from tree_size, root_hash, signed_at, prev_checkpoint_hash, mmd_seconds, export_target and signer_key_id'
}

/** null when checkpoint_hash is the domain-separated hash of checkpoint_payload. */
export function checkCheckpointHash(row: CheckpointRow, hasher: LedgerHasher): string | null {
  const payload = base64urlDecode(row.checkpoint_payload)
  if (payload === undefined) return 'checkpoint_payload is not unpadded base64url'
  const expected = computeCheckpointHash(payload, hasher)
  return row.checkpoint_hash === expected ? null : `checkpoint_hash is ${row.checkpoint_hash}, the payload hashes to ${expected}`
}

/** null when checkpoint_signature verifies over checkpoint_payload under publicKey. */
export function checkCheckpointSignature(row: CheckpointRow, publicKey: Uint8Array, crypto: LedgerCrypto): string | null {
  const payload = base64urlDecode(row.checkpoint_payload)
  const signature = base64urlDecode(row.checkpoint_signature)
  if (payload === undefined) return 'checkpoint_payload is not unpadded base64url'
  if (signature === undefined || signature.length !== 64) return 'checkpoint_signature is not 64 bytes of unpadded base64url'
  return crypto.verifyEd25519(publicKey, payload, signature)
    ? null
    : `checkpoint signature does not verify under key ${JSON.stringify(row.signer_key_id)}`
}
