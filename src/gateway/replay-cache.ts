// Local burned-jti LRU: answers a replay with 409 without a network hop. The Vault stays the
// authority; this only short-circuits what it would refuse anyway. A jti is marked PENDING while its
// burn is in flight, so 50 concurrent requests with one token cost one burn, not 50.
import { LRUCache } from 'lru-cache'

const BURNED = 1
const PENDING = 2

/** Tokens without exp (token.require_exp: false) are remembered this long. */
const NO_EXP_TTL_MS = 24 * 60 * 60 * 1000
/** Keep entries a little past exp so clock skew between us and the Vault cannot open a gap. */
const EXP_MARGIN_MS = 60_000

export class ReplayCache {
  readonly #lru: LRUCache<string, number>

  constructor(maxEntries: number) {
    this.#lru = new LRUCache<string, number>({ max: Math.max(1, maxEntries) })
  }

  /** true when this jti is burned here or its burn is in flight. */
  has(jti: string): boolean {
    return this.#lru.has(jti)
  }

  /** Claim the jti for one burn attempt. */
  markPending(jti: string, expSeconds: number | null, nowMs: number): void {
    this.#lru.set(jti, PENDING, { ttl: ttlFor(expSeconds, nowMs) })
  }

  markBurned(jti: string, expSeconds: number | null, nowMs: number): void {
    this.#lru.set(jti, BURNED, { ttl: ttlFor(expSeconds, nowMs) })
  }

  /** The burn did not happen (Vault unreachable): let the client retry with the same token. */
  release(jti: string): void {
    if (this.#lru.get(jti) === PENDING) this.#lru.delete(jti)
  }

  get size(): number {
    return this.#lru.size
  }
}

function ttlFor(expSeconds: number | null, nowMs: number): number {
  if (expSeconds === null) return NO_EXP_TTL_MS
  return Math.max(1, expSeconds * 1000 - nowMs + EXP_MARGIN_MS)
}
