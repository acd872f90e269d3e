// Bench signing key and bulk token minting. Tokens are signed directly with a fresh Ed25519 key
// that the generated configs install as `vault_server.signing_key` (so the Vault publishes it in its
// JWKS and accepts it at /consume-token), using the project's own mintToken — the exact bytes the
// Vault mints. Minting through /request-clearance would measure the Vault, not the gateway.
import { generateKeyPairSync, randomUUID } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { uuidv7 } from '../../src/core/index.ts'
import { mintToken } from '../../src/token/index.ts'

export const BENCH_ISSUER = 'alcv-vault'
export const BENCH_AUDIENCE = 'ledgix-sdk'
export const BENCH_TOOL = 'bench_tool'

export interface BenchKey {
  kid: string
  privateKey: KeyObject
  /** PKCS#8 PEM of the private key, for the config. */
  pem: string
}

export function newBenchKey(): BenchKey {
  const { privateKey } = generateKeyPairSync('ed25519')
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  return { kid: `bench-${randomUUID().slice(0, 8)}`, privateKey, pem }
}

/** One token with the claims the embedded Vault mints (spec §5.2), valid for `ttlSeconds`. */
export function mintBenchToken(key: BenchKey, nowSeconds: number, ttlSeconds: number): string {
  return mintToken(
    {
      iss: BENCH_ISSUER,
      sub: 'clearance',
      aud: [BENCH_AUDIENCE],
      exp: nowSeconds + ttlSeconds,
      iat: nowSeconds,
      jti: uuidv7(),
      tool: BENCH_TOOL,
      agent_id: 'bench-agent',
      session_id: 'bench-session',
      policy_id: 'bench-payments',
      request_id: uuidv7(),
      decision: 'approved',
    },
    { kid: key.kid, privateKey: key.privateKey },
  )
}

/** Write `count` fresh tokens, one per line; resolves with the time it took in ms. */
export async function mintTokensFile(key: BenchKey, count: number, file: string, ttlSeconds: number): Promise<number> {
  const started = performance.now()
  const out = createWriteStream(file)
  const nowSeconds = Math.floor(Date.now() / 1000)
  for (let i = 0; i < count; i++) {
    if (!out.write(mintBenchToken(key, nowSeconds, ttlSeconds) + '\n')) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return performance.now() - started
}

/** Tokens a run may need: generous over the fastest plausible rate, capped to keep minting short. */
export function tokenBudget(durationSec: number, ratePerSecond: number, cap: number): number {
  return Math.min(cap, Math.ceil(durationSec * ratePerSecond * 1.3) + 1000)
}
