// Local burned-jti cache: answers a replay with 409 without a network hop. The Vault stays the
// authority; this only short-circuits what it would refuse anyway. A jti is marked PENDING while its
// burn is in flight, so 50 concurrent requests with one token cost one burn, not 50.
//
// One Map, insertion-ordered, jti → signed expiry (ms; negative = pending). Tokens are single-use
// and short-lived, so entries mostly leave in insertion order: each insert retires expired entries
// from the oldest end, and at capacity the oldest entry goes (the Vault still refuses that replay).
// Nothing is preallocated: an idle gateway holds an empty Map, not `replay_cache_size` slots.

/** Tokens without exp (token.require_exp: false) are remembered this long. */
const NO_EXP_TTL_MS = 24 * 60 * 60 * 1000
/** Keep entries a little past exp so clock skew between us and the Vault cannot open a gap. */
const EXP_MARGIN_MS = 60_000
/** Expired entries retired from the oldest end per insert: amortised O(1), never a full sweep. */
const RETIRE_PER_INSERT = 2

export class ReplayCache {
  readonly #entries = new Map<string, number>()
  readonly #max: number

  constructor(maxEntries: number) {
    this.#max = Math.max(1, maxEntries)
  }

  /** true when this jti is burned here or its burn is in flight (and not yet past its expiry). */
  has(jti: string, nowMs: number): boolean {
    const entry = this.#entries.get(jti)
    if (entry === undefined) return false
    if (Math.abs(entry) > nowMs) return true
    this.#entries.delete(jti)
    return false
  }

  /** Claim the jti for one burn attempt. */
  markPending(jti: string, expSeconds: number | null, nowMs: number): void {
    this.#set(jti, -expiryFor(expSeconds, nowMs), nowMs)
  }

  markBurned(jti: string, expSeconds: number | null, nowMs: number): void {
    this.#set(jti, expiryFor(expSeconds, nowMs), nowMs)
  }

  /** The burn did not happen (Vault unreachable): let the client retry with the same token. */
  release(jti: string): void {
    const entry = this.#entries.get(jti)
    if (entry !== undefined && entry < 0) this.#entries.delete(jti)
  }

  get size(): number {
    return this.#entries.size
  }

  #set(jti: string, entry: number, nowMs: number): void {
    const entries = this.#entries
    // Re-inserting moves the jti to the young end (pending → burned keeps its place in line).
    entries.delete(jti)
    entries.set(jti, entry)
    let retired = 0
    for (const oldest of entries.keys()) {
      if (entries.size > this.#max) entries.delete(oldest)
      else if (retired < RETIRE_PER_INSERT && Math.abs(entries.get(oldest)!) <= nowMs) {
        entries.delete(oldest)
        retired++
      } else break
    }
  }
}

function expiryFor(expSeconds: number | null, nowMs: number): number {
  if (expSeconds === null) return nowMs + NO_EXP_TTL_MS
  return Math.max(nowMs + 1, expSeconds * 1000 + EXP_MARGIN_MS)
}
