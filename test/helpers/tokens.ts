// Test signing keys and A-JWTs shaped like the Vault mints them (spec §5.2), via src/token mintToken.
import { generateKeyPairSync, randomUUID } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import type { PublicJwk } from '../../src/core/index.ts'
import { mintToken } from '../../src/token/index.ts'

export interface TestSigner {
  kid: string
  privateKey: KeyObject
  publicKey: KeyObject
  jwk: PublicJwk
}

export function newSigner(kid: string): TestSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const exported = publicKey.export({ format: 'jwk' }) as { kty: string; crv: string; x: string }
  return { kid, privateKey, publicKey, jwk: { kty: exported.kty, crv: exported.crv, x: exported.x, kid, use: 'sig', alg: 'EdDSA' } }
}

export interface MintOptions {
  tool?: string
  agentId?: string
  jti?: string
  nowMs?: number
  /** Seconds from now; null omits exp. */
  ttlSeconds?: number | null
  /** Extra or overriding claims. */
  claims?: Record<string, unknown>
}

export function mint(signer: TestSigner, options: MintOptions = {}): string {
  const nowSeconds = Math.floor((options.nowMs ?? Date.now()) / 1000)
  const ttl = options.ttlSeconds === undefined ? 300 : options.ttlSeconds
  const claims: Record<string, unknown> = {
    iss: 'alcv-vault',
    sub: 'clearance',
    aud: ['ledgix-sdk'],
    iat: nowSeconds,
    jti: options.jti ?? `jti-${randomUUID()}`,
    tool: options.tool ?? 'stripe_refund',
    agent_id: options.agentId ?? 'agent-7',
    session_id: 'sess-1',
    policy_id: 'pol-1',
    request_id: 'req-1',
    decision: 'approved',
  }
  if (ttl !== null) claims['exp'] = nowSeconds + ttl
  Object.assign(claims, options.claims ?? {})
  return mintToken(claims, { kid: signer.kid, privateKey: signer.privateKey })
}

/** Decode a token's payload without verifying (test stand-ins only). */
export function payloadOf(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? ''
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>
}
