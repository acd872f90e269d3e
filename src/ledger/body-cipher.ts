// Encryption at rest of ledger event bodies (tool_args, reason, citations, evidence_chunks) when
// `ledger.encryption_key` is configured: AES-256-GCM under a random per-tenant data key, which is
// itself stored wrapped (AES-256-GCM) by the configured key. Hashes, ids and receipts stay clear so
// sealing and proofs never need a key; only reading or re-hashing a body does.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { TenantId } from '../core/index.ts'
import type { LedgerEventBody, Store } from '../store/index.ts'

const ENVELOPE_VERSION = 1
const NONCE_BYTES = 12
const TAG_BYTES = 16
const KEY_BYTES = 32

/** Parse the configured key: 32 bytes as 64 hex characters or base64/base64url. null when invalid. */
export function parseEncryptionKey(text: string): Buffer | null {
  const trimmed = text.trim()
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex')
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) return null
  const raw = Buffer.from(trimmed.replaceAll('+', '-').replaceAll('/', '_').replace(/=$/, ''), 'base64url')
  return raw.length === KEY_BYTES ? raw : null
}

function seal(key: Buffer, aad: Buffer, plaintext: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  cipher.setAAD(aad)
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return Buffer.concat([Buffer.of(ENVELOPE_VERSION), nonce, body, cipher.getAuthTag()])
}

/** null when the envelope is malformed or fails authentication (tampered, wrong key, wrong row). */
function open(key: Buffer, aad: Buffer, envelope: Uint8Array): Buffer | null {
  if (envelope.length < 1 + NONCE_BYTES + TAG_BYTES || envelope[0] !== ENVELOPE_VERSION) return null
  const env = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength)
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, env.subarray(1, 1 + NONCE_BYTES))
    decipher.setAAD(aad)
    decipher.setAuthTag(env.subarray(env.length - TAG_BYTES))
    return Buffer.concat([decipher.update(env.subarray(1 + NONCE_BYTES, env.length - TAG_BYTES)), decipher.final()])
  } catch {
    return null
  }
}

// The AAD binds a ciphertext to its tenant and row: a body moved to another row or tenant fails to open.
const wrapAad = (tenantId: TenantId): Buffer => Buffer.from(`ledgix.ledger.data-key.v1\0${tenantId}`, 'utf8')
const bodyAad = (tenantId: TenantId, eventUuid: string): Buffer => Buffer.from(`ledgix.ledger.body.v1\0${tenantId}\0${eventUuid}`, 'utf8')

/**
 * How a holder of `ledger.encryption_key` opens the envelopes `GET /ledger/encrypted` serves: the
 * formats above, stated once beside the code that writes them. `wrapped_data_key` is null until the
 * tenant's first encrypted append.
 */
export function bodyEncryptionDescriptor(tenantId: TenantId, wrappedKey: Uint8Array | null): Record<string, unknown> {
  return {
    algorithm: 'AES-256-GCM',
    envelope: `0x0${ENVELOPE_VERSION} || nonce(${NONCE_BYTES}) || ciphertext || tag(${TAG_BYTES}), base64url`,
    body_aad: 'ledgix.ledger.body.v1 0x00 <tenant_id> 0x00 <event_uuid> (UTF-8)',
    body_plaintext: 'JSON {toolArgsJson, reason, citationsJson, evidenceChunksJson}: the exact texts the event hash covers',
    tenant_id: tenantId,
    wrapped_data_key: wrappedKey === null ? null : Buffer.from(wrappedKey.buffer, wrappedKey.byteOffset, wrappedKey.byteLength).toString('base64url'),
    data_key_wrapping: 'the same envelope under ledger.encryption_key, AAD "ledgix.ledger.data-key.v1 0x00 <tenant_id>"',
  }
}

/** Per-tenant data keys: created on first use (durably, before any body uses them), cached after. */
export class LedgerBodyCipher {
  readonly #kek: Buffer
  readonly #store: Store
  readonly #keys = new Map<TenantId, Buffer>()
  readonly #pending = new Map<TenantId, Promise<Buffer>>()

  readonly #createMissing: boolean

  /** `createMissing` false (offline verification): never write, a missing key is an error. */
  constructor(kek: Buffer, store: Store, createMissing = true) {
    if (kek.length !== KEY_BYTES) throw new RangeError('ledger.encryption_key must be 32 bytes')
    this.#kek = kek
    this.#store = store
    this.#createMissing = createMissing
  }

  /** The tenant's data key; single-flight so concurrent first appends agree on one key. */
  dataKey(tenantId: TenantId, nowMs: number): Buffer | Promise<Buffer> {
    const cached = this.#keys.get(tenantId)
    if (cached !== undefined) return cached
    let pending = this.#pending.get(tenantId)
    if (pending === undefined) {
      pending = this.#loadOrCreate(tenantId, nowMs).finally(() => this.#pending.delete(tenantId))
      this.#pending.set(tenantId, pending)
    }
    return pending
  }

  async #loadOrCreate(tenantId: TenantId, nowMs: number): Promise<Buffer> {
    let wrapped = await this.#store.getLedgerDataKey(tenantId)
    if (wrapped === null && this.#createMissing) {
      // Another process (or a crashed earlier attempt) may win the insert: re-read and use theirs.
      await this.#store.write([{ op: 'ledger_data_key_insert', tenantId, wrappedKey: seal(this.#kek, wrapAad(tenantId), randomBytes(KEY_BYTES)), atMs: nowMs }])
      wrapped = await this.#store.getLedgerDataKey(tenantId)
    }
    const key = wrapped === null ? null : open(this.#kek, wrapAad(tenantId), wrapped)
    if (key === null) throw new Error(`ledger data key of tenant ${tenantId} does not open with ledger.encryption_key (wrong key?)`)
    this.#keys.set(tenantId, key)
    return key
  }

  encrypt(dataKey: Buffer, tenantId: TenantId, eventUuid: string, body: LedgerEventBody): Uint8Array {
    return seal(dataKey, bodyAad(tenantId, eventUuid), Buffer.from(JSON.stringify(body), 'utf8'))
  }

  /** The plaintext body, or null when the envelope does not authenticate. */
  async decrypt(tenantId: TenantId, eventUuid: string, envelope: Uint8Array, nowMs: number): Promise<LedgerEventBody | null> {
    const plain = open(await this.dataKey(tenantId, nowMs), bodyAad(tenantId, eventUuid), envelope)
    if (plain === null) return null
    try {
      const b = JSON.parse(plain.toString('utf8')) as LedgerEventBody
      return typeof b.toolArgsJson === 'string' && typeof b.reason === 'string' && typeof b.citationsJson === 'string' && typeof b.evidenceChunksJson === 'string'
        ? b
        : null
    } catch {
      return null
    }
  }
}
