// Per-API-key token bucket. A refused request gets 429 with a numeric Retry-After in whole seconds,
// which the client honours without spending retries (spec §2).
import type { VaultRateLimitConfig } from '../config/types-vault.ts'

interface Bucket {
  tokens: number
  lastMs: number
}

/** Buckets idle this long are full again anyway; dropping them bounds memory. */
const IDLE_SWEEP_MS = 60_000

export class RateLimiter {
  #ratePerMs: number
  #burst: number
  #buckets = new Map<string, Bucket>()
  #lastSweepMs = 0

  constructor(config: VaultRateLimitConfig) {
    this.#ratePerMs = config.requestsPerSecond / 1000
    this.#burst = config.burst
  }

  /** 0 when allowed (a token is taken), else the seconds to wait before one is available. */
  take(key: string, nowMs: number): number {
    if (nowMs - this.#lastSweepMs > IDLE_SWEEP_MS) this.#sweep(nowMs)
    let b = this.#buckets.get(key)
    if (b === undefined) {
      b = { tokens: this.#burst, lastMs: nowMs }
      this.#buckets.set(key, b)
    } else {
      b.tokens = Math.min(this.#burst, b.tokens + (nowMs - b.lastMs) * this.#ratePerMs)
      b.lastMs = nowMs
    }
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.#ratePerMs / 1000))
  }

  #sweep(nowMs: number): void {
    this.#lastSweepMs = nowMs
    for (const [k, b] of this.#buckets) if (nowMs - b.lastMs > IDLE_SWEEP_MS) this.#buckets.delete(k)
  }
}
