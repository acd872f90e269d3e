// One stored row's checks in the stored-ledger verification: event hash recomputed from the body,
// leaf hash, receipt algorithm, key, payload binding and (when asked) signature. The per-row path
// reuses its buffers and compares bytes against the stored text in place; when it finds a problem,
// the reference checks (those verifyLedger and the bundle verifier run) run again to name it.
import type { StoredLedgerEvent } from '../store/index.ts'
import { base64urlDecode, bytesEqualHex, bytesToHex } from './bytes.ts'
import type { LedgerCrypto } from './crypto.ts'
import { LEDGER_SIGNATURE_ALGORITHM } from './crypto.ts'
import { eventHashBytes, leafHashBytes } from './event.ts'
import type { EventBodyValues } from './event-record.ts'
import { ledgerEntryOf, RowHashInput } from './event-record.ts'
import { checkReceiptPayload, checkReceiptSignature, receiptPayloadMatches } from './receipt.ts'
import type { ReceiptBytes } from './receipt.ts'
import { failRow } from './verify-mismatch.ts'

export class RowChecker {
  readonly #keys: ReadonlyMap<string, Uint8Array>
  readonly #crypto: LedgerCrypto
  readonly #input = new RowHashInput()
  #payload: ReceiptBytes | null = null

  constructor(keys: ReadonlyMap<string, Uint8Array>, crypto: LedgerCrypto) {
    this.#keys = keys
    this.#crypto = crypto
  }

  /**
   * Check row `e` with its readable body (null when it cannot be read); the receipt signature only
   * when `signature`. Returns the row's leaf hash bytes; throws Failed at the first check that fails,
   * in this order: body, event hash, leaf hash, receipt.
   */
  check(e: StoredLedgerEvent, body: EventBodyValues | null, signature: boolean): Uint8Array {
    if (body === null) failRow(e, 'body', 'the stored event body cannot be read (encrypted body fails authentication, or is not JSON)')
    let hash: Uint8Array
    try {
      hash = eventHashBytes(this.#input.set(e, body), this.#crypto)
    } catch (err) {
      failRow(e, 'event_hash', `the stored event cannot be hashed: ${(err as Error).message}`)
    }
    if (!bytesEqualHex(hash, e.eventHash)) {
      failRow(e, 'event_hash', `stored fields hash to ${bytesToHex(hash)}, the row says ${e.eventHash}: a hashed field (tool_args, reason, decision …) was changed after append`)
    }
    const leaf = leafHashBytes(e.eventHash, this.#crypto)
    if (leaf === undefined || !bytesEqualHex(leaf, e.leafHash)) failRow(e, 'leaf_hash', 'leaf_hash is not H(0x00 || event_hash)')
    const key = this.#keys.get(e.receiptKeyId)
    const payload = e.receiptAlgorithm === LEDGER_SIGNATURE_ALGORITHM
      ? receiptPayloadMatches(e.receiptPayload, e.acceptedAt, e.eventHash, e.eventUuid, e.leafHash, e.receiptKeyId, e.requestId)
      : null
    if (payload === null || key === undefined || (signature && !this.#signatureValid(e, key, payload))) this.#receiptFailure(e, body, key, signature)
    this.#payload = payload
    return leaf
  }

  /** The receipt payload bytes of the row check() last passed, until the next check(). */
  get receiptPayload(): ReceiptBytes {
    return this.#payload!
  }

  /** checkReceiptSignature over the payload bytes just rebuilt (equal to the stored ones: they matched). */
  #signatureValid(e: StoredLedgerEvent, key: Uint8Array, payload: ReceiptBytes): boolean {
    const signature = base64urlDecode(e.receiptSignature)
    return signature !== undefined && signature.length === 64 && this.#crypto.verifyEd25519(key, payload.buf.subarray(0, payload.length), signature)
  }

  /** The receipt checks in the reference order, for the first problem's message. */
  #receiptFailure(e: StoredLedgerEvent, body: EventBodyValues, key: Uint8Array | undefined, signature: boolean): never {
    const entry = ledgerEntryOf(e, body)
    const problem =
      (e.receiptAlgorithm === LEDGER_SIGNATURE_ALGORITHM ? null : `receipt_algorithm is ${JSON.stringify(e.receiptAlgorithm)}`) ??
      checkReceiptPayload(entry) ??
      (key === undefined
        ? `receipt key ${JSON.stringify(e.receiptKeyId)} is not published (unknown or revoked)`
        : signature
          ? checkReceiptSignature(entry, key, this.#crypto)
          : null)
    // The fast checks are the reference ones spelled without allocation; disagreeing is a bug here.
    if (problem === null) throw new Error(`ledger verification: the receipt checks disagree at seq ${e.seq}`)
    failRow(e, 'receipt', problem)
  }
}
