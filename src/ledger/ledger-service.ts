// The ledger as the Vault uses it: append (hash, receipt, optional encryption at rest, durable in the
// decision's own group-committed write), the background sealer, served rows, proofs and the full
// verification pass. The Vault owns the lifecycle: start() after the store opens, stop() before it closes.
import type { Clock, TenantId } from '../core/index.ts'
import type { DecisionEvent, Store, StoredLedgerEvent, WriteOp, WriteResult } from '../store/index.ts'
import { LedgerBodyCipher } from './body-cipher.ts'
import type { LedgerCrypto, LedgerSigner } from './crypto.ts'
import { buildLedgerRecord, ledgerEntryOf, parseBody } from './event-record.ts'
import type { EventBodyValues } from './event-record.ts'
import { nodeLedgerCrypto } from './node-crypto.ts'
import { LedgerSealer } from './sealer.ts'
import { consistencyProofFor, inclusionProofFor, proofBundleFor } from './store-proofs.ts'
import type { ProofResult } from './store-proofs.ts'
import { verifyStoredLedger } from './verify-store.ts'
import type { StoreVerification, VerifyMode } from './verify-store.ts'
import type { ConsistencyProof, InclusionProof, KeyVersion, LedgerEntry, ProofBundle } from './wire-types.ts'

/** Tessera's defaults (append_lifecycle.go): 256 entries or 250 ms, whichever comes first. */
export const DEFAULT_SEAL_BATCH_SIZE = 256
export const DEFAULT_SEAL_INTERVAL_MS = 250

export interface LedgerServiceOptions {
  store: Store
  clock: Clock
  /** The active signing key (the key ring's); null only when the ring is empty. */
  signer: () => LedgerSigner | null
  sealBatchSize: number
  sealIntervalMs: number
  mmdSeconds: number
  /** 32-byte key wrapping the per-tenant data keys; null = bodies stored in plaintext. */
  encryptionKey: Buffer | null
  /** Background failures (sealer); the owner logs them. */
  onError: (err: unknown) => void
  /** A break the sealer found in the stored tree (once per distinct break; see SealerOptions.onBreak). */
  onBreak?: (tenantId: TenantId, detail: string, identity: string) => void
  crypto?: LedgerCrypto
  /** Offline verification: never create a missing data key. */
  readOnly?: boolean
  /** Replicas share the store: seal only while this says so (LedgerSealer's `leader`). */
  leader?: () => boolean
}

export interface LastVerification {
  verified_at: string
  result: StoreVerification
}

export class LedgerService {
  readonly sealer: LedgerSealer
  readonly crypto: LedgerCrypto
  readonly #o: LedgerServiceOptions
  readonly #cipher: LedgerBodyCipher | null
  readonly #verifying = new Map<string, Promise<StoreVerification>>()
  readonly #lastVerification = new Map<TenantId, LastVerification>()

  constructor(options: LedgerServiceOptions) {
    this.#o = options
    this.crypto = options.crypto ?? nodeLedgerCrypto
    this.#cipher = options.encryptionKey === null ? null : new LedgerBodyCipher(options.encryptionKey, options.store, options.readOnly !== true)
    this.sealer = new LedgerSealer({
      store: options.store,
      clock: options.clock,
      hasher: this.crypto,
      signer: options.signer,
      batchSize: options.sealBatchSize,
      intervalMs: options.sealIntervalMs,
      mmdSeconds: options.mmdSeconds,
      onError: options.onError,
      ...(options.leader === undefined ? {} : { leader: options.leader }),
      ...(options.onBreak === undefined ? {} : { onBreak: options.onBreak }),
    })
  }

  get encrypted(): boolean {
    return this.#cipher !== null
  }

  start(): Promise<void> {
    return this.sealer.start()
  }

  /** Stops the sealer after sealing what is pending; call before the store closes. */
  stop(): Promise<void> {
    return this.sealer.stop()
  }

  /**
   * Hash, sign and (optionally) encrypt `event`, then write it with `alongWith` in one durable,
   * group-committed transaction. Resolves after the commit; the sealer is told afterwards.
   */
  async append(event: DecisionEvent, alongWith: readonly WriteOp[] = []): Promise<WriteResult> {
    const signer = this.#o.signer()
    if (signer === null) throw new Error('no active signing key: the ledger cannot sign a receipt')
    const record = buildLedgerRecord(event, signer, this.crypto)
    if (this.#cipher !== null && record.body !== null) {
      const key = await this.#cipher.dataKey(event.tenantId, this.#o.clock.now())
      record.bodyCipher = this.#cipher.encrypt(key, event.tenantId, event.eventUuid, record.body)
      record.body = null
    }
    const result = await this.#o.store.write([...alongWith, { op: 'event_insert', event: record }])
    if (result.ok) this.sealer.notify(event.tenantId)
    return result
  }

  /** The row's body as hashed: plaintext, or decrypted; null when it cannot be read. */
  async bodyOf(e: StoredLedgerEvent): Promise<EventBodyValues | null> {
    try {
      if (e.body !== null) return parseBody(e.body)
      if (e.bodyCipher === null || this.#cipher === null) return null
      const body = await this.#cipher.decrypt(e.tenantId, e.eventUuid, e.bodyCipher, this.#o.clock.now())
      return body === null ? null : parseBody(body)
    } catch {
      return null
    }
  }

  /** The row as /ledger serves it; `redact` serves intent_hash "" and no body (spec §7.2). */
  async entryOf(e: StoredLedgerEvent, redact = false): Promise<LedgerEntry> {
    if (redact) return ledgerEntryOf(e, null)
    const body = await this.bodyOf(e)
    if (body === null) throw new Error(`ledger row seq ${e.seq} of tenant ${e.tenantId}: the body cannot be read; run "ledger verify"`)
    return ledgerEntryOf(e, body)
  }

  inclusion(tenantId: TenantId, requestId: string, checkpointId: number | null): Promise<ProofResult<InclusionProof>> {
    return inclusionProofFor(this.#o.store, tenantId, requestId, this.crypto, checkpointId)
  }

  consistency(tenantId: TenantId, fromId: number, toId: number): Promise<ProofResult<ConsistencyProof>> {
    return consistencyProofFor(this.#o.store, tenantId, fromId, toId, this.crypto)
  }

  /** The proof bundle of a request; `redact` serves its event as /ledger's default page does (no body). */
  bundle(tenantId: TenantId, requestId: string, keyVersions: (kids: readonly string[]) => KeyVersion[], redact = false): Promise<ProofResult<ProofBundle>> {
    return proofBundleFor(this.#o.store, tenantId, requestId, this.crypto, { entryOf: (e) => this.entryOf(e, redact), keyVersions })
  }

  /** Full verification of a tenant's ledger; concurrent calls for one tenant and mode share one pass. */
  verify(tenantId: TenantId, pinnedJwks: unknown, pause?: () => Promise<void>, mode: VerifyMode = 'full'): Promise<StoreVerification> {
    const flight = `${mode} ${tenantId}`
    let running = this.#verifying.get(flight)
    if (running === undefined) {
      running = verifyStoredLedger(this.#o.store, tenantId, {
        pinnedJwks,
        crypto: this.crypto,
        body: (e) => this.bodyOf(e),
        mode,
        ...(pause === undefined ? {} : { pause }),
      })
        .then((result) => {
          this.#lastVerification.set(tenantId, { verified_at: new Date(this.#o.clock.now()).toISOString(), result })
          return result
        })
        .finally(() => this.#verifying.delete(flight))
      this.#verifying.set(flight, running)
    }
    return running
  }

  lastVerification(tenantId: TenantId): LastVerification | null {
    return this.#lastVerification.get(tenantId) ?? null
  }
}
