// API key material: `sk_{env}_{random}` shown once, stored as SHA-256 hex; creating, revoking and
// rotating a tenant's keys (shared by /admin and the dashboard's /api-keys); and the bootstrap that
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

export function newApiKey(tenantId: TenantId, role: ApiKeyRole, name: string, env: string, nowMs: number, text?: string, expiresAtMs: number | null = null): NewApiKey {
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
      expiresAtMs,
      replacedByKeyId: null,
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
    expires_at: k.expiresAtMs == null ? null : new Date(k.expiresAtMs).toISOString(),
    replaced_by: k.replacedByKeyId ?? null,
  }
}

export type ApiKeyStatus = 'active' | 'rotating' | 'expired' | 'revoked'

/** revoked > expired > rotating (replaced, still inside its grace) > active. */
export function apiKeyStatus(k: ApiKeyRecord, nowMs: number): ApiKeyStatus {
  if (k.revokedAtMs !== null) return 'revoked'
  if (k.expiresAtMs != null && k.expiresAtMs <= nowMs) return 'expired'
  return k.replacedByKeyId != null ? 'rotating' : 'active'
}

/** The longest lifetime `expires_in_days` may ask for: ten years; beyond that, ask for no expiry. */
export const MAX_KEY_LIFETIME_DAYS = 3650
const DAY_MS = 86_400_000

export interface CreateKeyInput {
  name: string
  role: ApiKeyRole
  /** null = never expires. */
  expiresInDays: number | null
}

/** Create and store a key of `tenantId` (the caller checked the tenant exists); the secret is in the result only. */
export async function createTenantKey(store: Store, tenantId: TenantId, input: CreateKeyInput, env: string, nowMs: number): Promise<NewApiKey> {
  const expiresAtMs = input.expiresInDays === null ? null : nowMs + input.expiresInDays * DAY_MS
  const created = newApiKey(tenantId, input.role, input.name, env, nowMs, undefined, expiresAtMs)
  await store.write([{ op: 'api_key_insert', key: created.record }])
  return created
}

/** Revoke a key of `tenantId`; false when there is no such unrevoked key in that tenant. */
export async function revokeTenantKey(store: Store, tenantId: TenantId, keyId: ApiKeyId, nowMs: number): Promise<boolean> {
  return (await store.write([{ op: 'api_key_revoke', tenantId, keyId, atMs: nowMs }])).ok
}

/** The longest grace a rotation may give the old key: 30 days. */
export const MAX_ROTATION_GRACE_SECONDS = 30 * 86_400

export type RotateOutcome = { ok: true; successor: NewApiKey; old: ApiKeyRecord } | { ok: false; code: 'not_found' | 'api_key_not_active' }

/**
 * Rotate a key: a successor with the same role and name (and, when the old key had a lifetime, the
 * same lifetime from now) is created, and the old key expires `graceSeconds` from now (or earlier, if
 * it already would). One store write with a guard, so of two concurrent rotations exactly one wins.
 */
export async function rotateTenantKey(store: Store, tenantId: TenantId, keyId: ApiKeyId, graceSeconds: number, env: string, nowMs: number): Promise<RotateOutcome> {
  const old = (await store.listApiKeys(tenantId)).find((k) => k.keyId === keyId)
  if (old === undefined) return { ok: false, code: 'not_found' }
  const lifetimeMs = old.expiresAtMs == null ? null : old.expiresAtMs - old.createdAtMs
  const successor = newApiKey(tenantId, old.role, old.name, env, nowMs, undefined, lifetimeMs === null ? null : nowMs + lifetimeMs)
  const expiresAtMs = nowMs + graceSeconds * 1000
  const result = await store.write([{ op: 'api_key_rotate', tenantId, keyId, expiresAtMs, atMs: nowMs, successor: successor.record }])
  if (!result.ok) return { ok: false, code: 'api_key_not_active' }
  const expiry = old.expiresAtMs == null ? expiresAtMs : Math.min(old.expiresAtMs, expiresAtMs)
  return { ok: true, successor, old: { ...old, expiresAtMs: expiry, replacedByKeyId: successor.record.keyId } }
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
