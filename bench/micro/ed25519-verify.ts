// The physical ceiling of single-use tokens: how many Ed25519 signatures node:crypto verifies per
// second on one core (no verification can be cached when every token is fresh). Verifies one
// reference token's signature in a loop for N seconds with a KeyObject, as the gateway does, and
// also times jose's jwtVerify (what the naive reference pays). Prints one JSON line.
// Usage: node --import tsx bench/micro/ed25519-verify.ts [seconds=3]   (pin it: taskset -c 1 …)
import { createPublicKey, verify } from 'node:crypto'
import { jwtVerify } from 'jose'
import { BENCH_AUDIENCE, BENCH_ISSUER, mintBenchToken, newBenchKey } from '../lib/tokens.ts'

const seconds = Number(process.argv[2] ?? 3)
const key = newBenchKey()
const token = mintBenchToken(key, Math.floor(Date.now() / 1000), 600)
const publicKey = createPublicKey(key.privateKey)
const lastDot = token.lastIndexOf('.')
const signingInput = Buffer.from(token.slice(0, lastDot), 'latin1')
const signature = Buffer.from(token.slice(lastDot + 1), 'base64url')

/** Verify in batches of 256 between clock reads; returns verifies per second. */
function nodeCryptoRate(durationMs: number): number {
  let count = 0
  let ok = true
  const started = performance.now()
  let elapsed = 0
  while (elapsed < durationMs) {
    for (let i = 0; i < 256; i++) ok = verify(null, signingInput, publicKey, signature) && ok
    count += 256
    elapsed = performance.now() - started
  }
  if (!ok) throw new Error('reference signature did not verify')
  return count / (elapsed / 1000)
}

async function joseRate(durationMs: number): Promise<number> {
  let count = 0
  const started = performance.now()
  let elapsed = 0
  while (elapsed < durationMs) {
    for (let i = 0; i < 64; i++) await jwtVerify(token, publicKey, { issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE, algorithms: ['EdDSA'] })
    count += 64
    elapsed = performance.now() - started
  }
  return count / (elapsed / 1000)
}

// A short warm-up so the JIT and OpenSSL's lazy init are not part of the number.
nodeCryptoRate(200)
const crypto = nodeCryptoRate(seconds * 1000)
const jose = await joseRate(Math.max(500, (seconds * 1000) / 2))
process.stdout.write(
  JSON.stringify({ node_crypto_verify_per_s: Math.round(crypto), jose_jwt_verify_per_s: Math.round(jose), seconds, node: process.version }) + '\n',
)
