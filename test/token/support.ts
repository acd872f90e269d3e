// Shared fixtures for the token suites: vector types, the SDK-default policy, a pinned clock and
// key helpers. Not a test file (no .test.ts suffix).
import { generateKeyPairSync } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import type { JwksConfig } from '../../src/config/types.ts'
import type { ClaimPolicy } from '../../src/token/index.ts'

export interface AjwtCase {
  name: string
  note: string
  token: string
  decoded?: { header: Record<string, unknown>; payload: Record<string, unknown> }
  sdk_verdict: { ok: boolean; payload?: Record<string, unknown>; message?: string }
  jwks_served?: unknown
}

export interface AjwtVectors {
  test_keys: Record<string, { seed_hex: string; public_hex: string; jwk_private_TEST_ONLY: Record<string, string> }>
  jwks: { keys: Array<Record<string, string>> }
  reference_claims: Record<string, unknown>
  cases: AjwtCase[]
  kid_rotation: {
    second_token: string
    second_verdict: { ok: boolean; payload: Record<string, unknown> }
    jwks_fetch_count: number
    jwks_sequence_served: Array<{ keys: Array<Record<string, string>> }>
  }
  vault_golden_fixture: {
    jwks: { keys: Array<Record<string, string>> }
    token_valid: string
    token_expired: string
    decoded_valid: { header: Record<string, unknown>; payload: Record<string, unknown> }
    expected: {
      audience: string
      issuer: string
      kid: string
      claims: Record<string, string>
      tool_args: Record<string, unknown>
      tool_args_hash: string
      valid_jti: string
      expired_jti: string
    }
  }
}

/** 2026-06-01T00:00:00Z: after every vector's iat, before its exp (2099). */
export const NOW_MS = Date.UTC(2026, 5, 1)

/** The SDK's defaults (spec §5.1) with its 0 s tolerance, and our requireExp. */
export const SDK_POLICY: ClaimPolicy = Object.freeze({
  issuer: 'alcv-vault',
  audience: 'ledgix-sdk',
  subject: 'clearance',
  clockSkewSeconds: 0,
  requireExp: true,
})

export function ed25519Pair(): { publicKey: KeyObject; privateKey: KeyObject; x: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  return { publicKey, privateKey, x: publicKey.export({ format: 'jwk' }).x! }
}

export function jwksConfig(overrides: Partial<JwksConfig> = {}): JwksConfig {
  return {
    url: null,
    refreshIntervalMs: 300_000,
    minRefreshMs: 30_000,
    maxRefreshMs: 3_600_000,
    kidMissCooldownMs: 10_000,
    maxStaleMs: 3_600_000,
    fetchTimeoutMs: 5_000,
    ...overrides,
  }
}

export function b64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url')
}
