// Login throttling (shared/design/dashboard.md §5.4): per client IP 10 attempts in 5 minutes, per
// account 5 failures in 15 minutes (peeked before the KDF, counted only on failure), both answered
// 429 rate_limited with Retry-After. Sliding windows of timestamps, in memory, bounded in keys; never a
// permanent lockout (that would let anyone lock a user out). Per process: replicas each count their own.
import type { Clock } from '../../../core/index.ts'

export const IP_ATTEMPTS = 10
export const IP_WINDOW_MS = 5 * 60_000
export const ACCOUNT_FAILURES = 5
export const ACCOUNT_WINDOW_MS = 15 * 60_000
/** Keys remembered at most; the oldest-touched go first (a spray of addresses cannot grow memory without bound). */
const MAX_KEYS = 10_000

export class SlidingWindowLimit {
  readonly max: number
  readonly windowMs: number
  readonly #clock: Clock
  readonly #hits = new Map<string, number[]>()
  constructor(max: number, windowMs: number, clock: Clock) {
    this.max = max
    this.windowMs = windowMs
    this.#clock = clock
  }

  #live(key: string, nowMs: number): number[] {
    const hits = this.#hits.get(key)
    if (hits === undefined) return []
    const live = hits.filter((t) => t > nowMs - this.windowMs)
    if (live.length === 0) this.#hits.delete(key)
    else this.#hits.set(key, live)
    return live
  }

  /** Seconds until one more hit is allowed; 0 = allowed now. */
  waitSeconds(key: string): number {
    const nowMs = this.#clock.now()
    const live = this.#live(key, nowMs)
    if (live.length < this.max) return 0
    return Math.max(1, Math.ceil((live[live.length - this.max]! + this.windowMs - nowMs) / 1000))
  }

  hit(key: string): void {
    const nowMs = this.#clock.now()
    const live = this.#live(key, nowMs)
    live.push(nowMs)
    this.#hits.delete(key)
    this.#hits.set(key, live.slice(-this.max))
    if (this.#hits.size > MAX_KEYS) this.#hits.delete(this.#hits.keys().next().value!)
  }

  reset(key: string): void {
    this.#hits.delete(key)
  }
}
