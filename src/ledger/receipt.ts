// Signed receipts (spec §7.4): the per-event proof, signed at append time, that the ledger accepted
// exactly these hashes and ids. Verifiers rebuild the payload from the row and require byte equality.
import { base64urlDecode, base64urlEncode, base64urlMatches, bytesEqual, concatBytes } from './bytes.ts'
import { CborWriter, compareCborKeys, encodeCbor, encodeCborKey } from './cbor.ts'
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

// The payload's keys in the SDK's order (length, then code units) with the two constant values
// already encoded: one template, then the six fields. Same bytes as encodeCbor of the object (tested).
const RECEIPT_KEYS = ['accepted_at', 'event_hash', 'event_uuid', 'leaf_hash', 'receipt_key_id', 'request_id', 'type', 'version'].sort(compareCborKeys)
if (RECEIPT_KEYS.join() !== 'type,version,leaf_hash,event_hash,event_uuid,request_id,accepted_at,receipt_key_id') throw new Error('receipt key order')
const RECEIPT_HEAD = concatBytes(
  Uint8Array.of(0xa8), encodeCborKey('type'), encodeCbor('event_receipt'), encodeCborKey('version'), encodeCbor(1), encodeCborKey('leaf_hash'),
)
const K_EVENT_HASH = encodeCborKey('event_hash')
const K_EVENT_UUID = encodeCborKey('event_uuid')
const K_REQUEST_ID = encodeCborKey('request_id')
const K_ACCEPTED_AT = encodeCborKey('accepted_at')
const K_RECEIPT_KEY_ID = encodeCborKey('receipt_key_id')

let receiptWriter = new CborWriter()

function writeText(w: CborWriter, value: string): void {
  if (typeof value === 'string') w.text(value)
  else w.value(value, false, 1)
}

/** The receipt writer holding the payload for these fields. Valid until the next call. */
function writeReceiptPayload(acceptedAt: string, eventHash: string, eventUuid: string, leafHash: string, keyId: string, requestId: string): CborWriter {
  const w = receiptWriter
  w.reset()
  w.raw(RECEIPT_HEAD)
  // Values sit at depth 1 (inside the map); a non-string from a caller goes through the general
  // writer and fails exactly as encodeCbor would.
  writeText(w, leafHash)
  w.raw(K_EVENT_HASH)
  writeText(w, eventHash)
  w.raw(K_EVENT_UUID)
  writeText(w, eventUuid)
  w.raw(K_REQUEST_ID)
  writeText(w, requestId)
  w.raw(K_ACCEPTED_AT)
  writeText(w, acceptedAt)
  w.raw(K_RECEIPT_KEY_ID)
  writeText(w, keyId)
  return w
}

/** cbor({accepted_at, event_hash, event_uuid, leaf_hash, receipt_key_id, request_id, type, version: 1}). */
export function buildReceiptPayload(fields: ReceiptFields): Uint8Array {
  const w = writeReceiptPayload(fields.accepted_at, fields.event_hash, fields.event_uuid, fields.leaf_hash, fields.receipt_key_id, fields.request_id)
  const out = w.buf.slice(0, w.length)
  if (w.oversized) receiptWriter = new CborWriter()
  return out
}

/**
 * The verifier's per-row form of checkReceiptPayload: non-null exactly when that returns null (the
 * stored base64url text is the payload rebuilt from these fields), with no allocation. The returned
 * view holds those payload bytes until the next call, for the signature check.
 */
export function receiptPayloadMatches(
  payloadText: string, acceptedAt: string, eventHash: string, eventUuid: string, leafHash: string, keyId: string, requestId: string,
): ReceiptBytes | null {
  let w: CborWriter
  try {
    w = writeReceiptPayload(acceptedAt, eventHash, eventUuid, leafHash, keyId, requestId)
  } catch {
    return null
  }
  if (w.oversized) receiptWriter = new CborWriter()
  return base64urlMatches(payloadText, w.buf, w.length) ? w : null
}

/** A view of encoded payload bytes: bytes[0, length). */
export interface ReceiptBytes {
  readonly buf: Uint8Array
  readonly length: number
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
