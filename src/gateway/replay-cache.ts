// Local burned-jti cache: answers a replay with 409 without a network hop. The Vault stays the
// authority; this only short-circuits what it would refuse anyway. A jti is marked PENDING while its
// burn is in flight, so 50 concurrent requests with one token cost one burn, not 50.
//
// lru-cache (the design's choice) with a TTL per entry up to the token's exp + a skew margin, and
// `max` = token.replay_cache_size: the least recently seen jti goes first at capacity (the Vault
// still refuses that replay). No timers: ttlAutopurge is off and ttlResolution 0, so staleness is
// judged on read against the request's own time (`nowMs`, one clock read per request), which the
// cache reads through `perf`. Measured against the insertion-ordered Map it replaces in
// bench/micro/replay-cache.ts (bench/README.md, "Replay cache").
import { LRUCache } from 'lru-cache'

/** Tokens without exp (token.require_exp: false) are remembered this long. */
const NO_EXP_TTL_MS = 24 * 60 * 60 * 1000
/** Keep entries a little past exp so clock skew between us and the Vault cannot open a gap. */
const EXP_MARGIN_MS = 60_000

const PENDING = 1
const BURNED = 2

/**
 * The time lru-cache reads (its `perf` option), set from the caller before every call. Shifted by
 * one millisecond because lru-cache treats a start time of 0 as "no TTL" (a test clock may start at 0).
 */
class CallerTime {
  nowMs = 0
  now(): number {
    return this.nowMs + 1
  }
}

export class ReplayCache {
  readonly #time = new CallerTime()
  readonly #lru: LRUCache<string, number>

  constructor(maxEntries: number) {
    this.#lru = new LRUCache<string, number>({ max: Math.max(1, maxEntries), ttlAutopurge: false, ttlResolution: 0, perf: this.#time })
  }

  /** true when this jti is burned here or its burn is in flight (and not yet past its expiry). */
  has(jti: string, nowMs: number): boolean {
    this.#time.nowMs = nowMs
    // get (not has): an expired entry is dropped on the read that finds it.
    return this.#lru.get(jti) !== undefined
  }

  /** Claim the jti for one burn attempt. */
  markPending(jti: string, expSeconds: number | null, nowMs: number): void {
    this.#set(jti, PENDING, expSeconds, nowMs)
  }

  markBurned(jti: string, expSeconds: number | null, nowMs: number): void {
    this.#set(jti, BURNED, expSeconds, nowMs)
  }

  /** The burn did not happen (Vault unreachable): let the client retry with the same token. */
  release(jti: string): void {
    if (this.#lru.peek(jti, { allowStale: true }) === PENDING) this.#lru.delete(jti)
  }

  /** Entries held, expired ones not yet read or evicted included. */
  get size(): number {
    return this.#lru.size
  }

  #set(jti: string, state: number, expSeconds: number | null, nowMs: number): void {
    const time = this.#time
    time.nowMs = nowMs
    // lru-cache calls an entry stale once now - start > ttl; we want it gone at now >= expiry.
    const ttlMs = expSeconds === null ? NO_EXP_TTL_MS : Math.max(1, Math.floor(expSeconds * 1000) + EXP_MARGIN_MS - nowMs - 1)
    this.#lru.set(jti, state, { ttl: ttlMs, start: time.now() })
  }
}
