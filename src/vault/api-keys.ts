// API key material: `sk_{env}_{random}` shown once, stored as SHA-256 hex, plus the bootstrap that
// seeds a default tenant's first admin key on an empty store (LEDGIX_BOOTSTRAP_API_KEY).
import { hash, randomBytes, randomUUID } from 'node:crypto'
import type { ApiKeyId, TenantId } from '../core/index.ts'
import type { ApiKeyRecord, ApiKeyRole, Store } from '../store/index.ts'

export const DEFAULT_TENANT_ID = 'default' as TenantId
/** 32 random bytes → 43 base64url characters: 256 bits, beyond guessing. */
const KEY_RANDOM_BYTES = 32
/** Shown in listings so an operator can tell keys apart without the secret. */
const PREFIX_LENGTH = 12
export const API_KEY_ROLES: readonly ApiKeyRole[] = ['agent', 'reviewer', 'admin']

/** One-shot SHA-256 (no Hash object): every customer request hashes its key. */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex')
}

export function generateApiKeyText(env: string): string {
  return `sk_${env}_${randomBytes(KEY_RANDOM_BYTES).toString('base64url')}`
}

export interface NewApiKey {
  /** The secret, returned once and never stored. */
  apiKey: string
  record: ApiKeyRecord
}

export function newApiKey(tenantId: TenantId, role: ApiKeyRole, name: string, env: string, nowMs: number, text?: string): NewApiKey {
  const apiKey = text ?? generateApiKeyText(env)
  return {
    apiKey,
    record: {
      keyId: `key_${randomUUID()}` as ApiKeyId,
      tenantId,
      keyHash: hashApiKey(apiKey),
      prefix: apiKey.slice(0, PREFIX_LENGTH),
      role,
      name,
      createdAtMs: nowMs,
      revokedAtMs: null,
      lastUsedAtMs: null,
    },
  }
}

/** Public view of a key record (never the hash). */
export function apiKeyView(k: ApiKeyRecord): Record<string, unknown> {
  return {
    key_id: k.keyId,
    tenant_id: k.tenantId,
    prefix: k.prefix,
    role: k.role,
    name: k.name,
    created_at: new Date(k.createdAtMs).toISOString(),
    revoked_at: k.revokedAtMs === null ? null : new Date(k.revokedAtMs).toISOString(),
    last_used_at: k.lastUsedAtMs === null ? null : new Date(k.lastUsedAtMs).toISOString(),
  }
}

/**
 * On a store with no API keys at all, create the default tenant (if missing) and register
 * `bootstrapKey` as its admin key, so the quickstart needs no admin step. Returns true when seeded.
 */
export async function seedBootstrapKey(store: Store, bootstrapKey: string | null, nowMs: number): Promise<boolean> {
  if (bootstrapKey === null || bootstrapKey === '') return false
  if ((await store.countApiKeys()) > 0) return false
  const ops = []
  if ((await store.getTenant(DEFAULT_TENANT_ID)) === null) {
    // ifMissing: replicas starting together on an empty store may both get here.
    ops.push({ op: 'tenant_insert' as const, tenant: { tenantId: DEFAULT_TENANT_ID, name: 'default', createdAtMs: nowMs }, ifMissing: true })
  }
  const { record } = newApiKey(DEFAULT_TENANT_ID, 'admin', 'bootstrap', 'bootstrap', nowMs, bootstrapKey)
  ops.push({ op: 'api_key_insert' as const, key: record })
  try {
    return (await store.write(ops)).ok
  } catch (err) {
    // Another replica seeded the same key first (its hash is unique): nothing left to do.
    if ((await store.findApiKeyByHash(record.keyHash)) !== null) return false
    throw err
  }
}
