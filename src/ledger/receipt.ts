// Signed receipts (spec §7.4): the per-event proof, signed at append time, that the ledger accepted
// exactly these hashes and ids. Verifiers rebuild the payload from the row and require byte equality.
import { base64urlDecode, base64urlEncode, bytesEqual } from './bytes.ts'
import { encodeCbor } from './cbor.ts'
import { LEDGER_SIGNATURE_ALGORITHM } from './crypto.ts'
import type { LedgerCrypto, LedgerSigner } from './crypto.ts'

export interface ReceiptFields {
  readonly accepted_at: string
  readonly event_hash: string
  readonly event_uuid: string
  readonly leaf_hash: string
  readonly receipt_key_id: string
  readonly request_id: string
}

/** The receipt columns of a ledger row. */
export interface SignedReceipt {
  readonly receipt_algorithm: string
  readonly receipt_key_id: string
  /** base64url (unpadded) of the CBOR payload. */
  readonly receipt_payload: string
  /** base64url (unpadded) of the 64-byte Ed25519 signature. */
  readonly receipt_signature: string
}

/** cbor({accepted_at, event_hash, event_uuid, leaf_hash, receipt_key_id, request_id, type, version: 1}). */
export function buildReceiptPayload(fields: ReceiptFields): Uint8Array {
  return encodeCbor({
    accepted_at: fields.accepted_at,
    event_hash: fields.event_hash,
    event_uuid: fields.event_uuid,
    leaf_hash: fields.leaf_hash,
    receipt_key_id: fields.receipt_key_id,
    request_id: fields.request_id,
    type: 'event_receipt',
    version: 1,
  })
}

/** Sign a receipt with `signer`; its keyId becomes receipt_key_id. */
export function signReceipt(fields: Omit<ReceiptFields, 'receipt_key_id'>, signer: LedgerSigner): SignedReceipt {
  const payload = buildReceiptPayload({ ...fields, receipt_key_id: signer.keyId })
  return {
    receipt_algorithm: LEDGER_SIGNATURE_ALGORITHM,
    receipt_key_id: signer.keyId,
    receipt_payload: base64urlEncode(payload),
    receipt_signature: base64urlEncode(signer.sign(payload)),
  }
}

export type ReceiptRow = Omit<ReceiptFields, 'receipt_key_id'> & SignedReceipt

/** null when receipt_algorithm is exactly "Ed25519", else why not. */
export function checkReceiptAlgorithm(row: ReceiptRow): string | null {
  return row.receipt_algorithm === LEDGER_SIGNATURE_ALGORITHM
    ? null
    : `receipt_algorithm is ${JSON.stringify(row.receipt_algorithm)}, expected "Ed25519"`
}

/** null when receipt_payload decodes to exactly the payload rebuilt from the row's fields. */
export function checkReceiptPayload(row: ReceiptRow): string | null {
  const served = base64urlDecode(row.receipt_payload)
  if (served === undefined) return 'receipt_payload is not unpadded base64url'
  let rebuilt: Uint8Array
  try {
    rebuilt = buildReceiptPayload(row)
  } catch (err) {
    return `receipt payload cannot be rebuilt: ${(err as Error).message}`
  }
  return bytesEqual(served, rebuilt)
    ? null
    : 'receipt_payload differs from the payload rebuilt from event_hash, leaf_hash, ids, accepted_at and receipt_key_id'
}

/** null when receipt_signature is a valid Ed25519 signature over receipt_payload under publicKey. */
export function checkReceiptSignature(row: ReceiptRow, publicKey: Uint8Array, crypto: LedgerCrypto): string | null {
  const payload = base64urlDecode(row.receipt_payload)
  const signature = base64urlDecode(row.receipt_signature)
  if (payload === undefined) return 'receipt_payload is not unpadded base64url'
  if (signature === undefined || signature.length !== 64) return 'receipt_signature is not 64 bytes of unpadded base64url'
  return crypto.verifyEd25519(publicKey, payload, signature)
    ? null
    : `receipt signature does not verify under key ${JSON.stringify(row.receipt_key_id)}`
}
