// The gateway's JWKS cache (ANCHORS.md "Key rotation"): refresh at the clamped max-age, kid-miss refetch
// single-flight with a cooldown (jose's pendingFetch/cooldownDuration), stale-if-error up to max_stale
// then fail closed. No fetch failure escapes: start()/refreshForKid() never reject (CVE-2025-64527).
import type { KeyObject } from 'node:crypto'
import type { Clock, JwksFetchResult } from '../core/index.ts'
import { buildKeySet } from './key-set.ts'

export type JwksTrigger = 'startup' | 'scheduled' | 'kid_miss'

export type JwksEvent =
  | { type: 'refresh'; trigger: JwksTrigger; ok: true; keyCount: number; rejected: number }
  | { type: 'refresh'; trigger: JwksTrigger; ok: false; error: string }
  | { type: 'kid_miss_suppressed'; reason: 'cooldown' }
  | { type: 'stale'; ageMs: number }
  | { type: 'expired' }

/**
 * The JwksConfig fields (src/config/types.ts) the cache reads, restated structurally because token
 * may import only core; the gateway passes `config.jwks` as is.
 */
export interface JwksCacheConfig {
  refreshIntervalMs: number
  minRefreshMs: number
  maxRefreshMs: number
  kidMissCooldownMs: number
  maxStaleMs: number
  fetchTimeoutMs: number
}

export interface JwksCacheOptions {
  /** VaultPort.fetchJwks; may throw or hang (the cache times it out). */
  fetch: (signal: AbortSignal) => Promise<JwksFetchResult>
  config: JwksCacheConfig
  clock: Clock
  onEvent?: (e: JwksEvent) => void
  /** First retry delay after a failed refresh; doubles per consecutive failure. */
  retryBaseMs?: number
  /** Upper bound of the retry backoff. */
  retryMaxMs?: number
  /** Jitter source in [0, 1); tests pin it. */
  random?: () => number
}

export interface JwksStatus {
  ready: boolean
  keyCount: number
  lastSuccessMs: number | null
  ageMs: number | null
  lastError: string | null
}

/** A Vault blip should be retried within a second, not at the next 5-minute refresh. */
export const DEFAULT_RETRY_BASE_MS = 1_000
/** Backoff stops growing here, so recovery is noticed within half a minute. */
export const DEFAULT_RETRY_MAX_MS = 30_000
/** setTimeout's ceiling (2^31 - 1 ms); a longer delay would fire at once. */
const MAX_TIMER_MS = 2_147_483_647
/** Error text from a fetch goes to logs; bound it. */
const MAX_ERROR_LENGTH = 300

function describeError(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  return text.length > MAX_ERROR_LENGTH ? text.slice(0, MAX_ERROR_LENGTH) + '…' : text
}

// Settles only by rejecting when the signal aborts, so a fetch that ignores its signal cannot hold
// the single-flight slot (and every kid-miss caller) forever.
function rejectOnAbort(signal: AbortSignal, timeoutMs: number): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(new Error(`JWKS fetch timed out after ${timeoutMs} ms`)), { once: true })
  })
}

export class JwksCache {
  readonly #fetch: (signal: AbortSignal) => Promise<JwksFetchResult>
  readonly #config: JwksCacheConfig
  readonly #clock: Clock
  readonly #onEvent: ((e: JwksEvent) => void) | null
  readonly #retryBaseMs: number
  readonly #retryMaxMs: number
  readonly #random: () => number
  #keys: ReadonlyMap<string, KeyObject> | null = null
  #lastSuccessMs: number | null = null
  #lastError: string | null = null
  #expiredReported = false
  #failures = 0
  #pending: Promise<void> | null = null
  #startedSeq = 0
  #appliedSeq = 0
  #lastKidMissFetchMs = Number.NEGATIVE_INFINITY
  #timer: ReturnType<typeof setTimeout> | null = null
  #closed = false
  #startPromise: Promise<void> | null = null
  #resolveStart: (() => void) | null = null

  constructor(options: JwksCacheOptions) {
    this.#fetch = options.fetch
    this.#config = options.config
    this.#clock = options.clock
    this.#onEvent = options.onEvent ?? null
    this.#retryBaseMs = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS
    this.#retryMaxMs = options.retryMaxMs ?? DEFAULT_RETRY_MAX_MS
    this.#random = options.random ?? Math.random
  }

  /** First load. Resolves once a key set is loaded (or on close); never rejects. Race it with a timeout. */
  start(): Promise<void> {
    if (this.#startPromise !== null) return this.#startPromise
    this.#startPromise = new Promise<void>((resolve) => {
      this.#resolveStart = resolve
    })
    if (this.#keys !== null || this.#closed) this.#settleStart()
    else void this.#refresh('startup')
    return this.#startPromise
  }

  /** A key set is loaded and not older than max_stale. */
  isReady(): boolean {
    return this.#keys !== null && !this.#isBeyondMaxStale()
  }

  /** Sync hot path. undefined for an unknown kid, and for every kid once the set is beyond max_stale. */
  getKey(kid: string): KeyObject | undefined {
    const keys = this.#keys
    if (keys === null) return undefined
    if (this.#isBeyondMaxStale()) return undefined
    return keys.get(kid)
  }

  /**
   * Kid miss: joins an in-flight fetch, else fetches once unless a kid-miss fetch started less than
   * kid_miss_cooldown ago (then `kid_miss_suppressed`). Never rejects.
   */
  async refreshForKid(kid: string): Promise<KeyObject | undefined> {
    const known = this.getKey(kid)
    if (known !== undefined || this.#closed) return known
    if (this.#pending !== null) {
      await this.#pending
      return this.getKey(kid)
    }
    const nowMs = this.#clock.now()
    if (nowMs - this.#lastKidMissFetchMs < this.#config.kidMissCooldownMs) {
      this.#emit({ type: 'kid_miss_suppressed', reason: 'cooldown' })
      return undefined
    }
    this.#lastKidMissFetchMs = nowMs
    await this.#refresh('kid_miss')
    return this.getKey(kid)
  }

  status(): JwksStatus {
    const ageMs = this.#lastSuccessMs === null ? null : this.#clock.now() - this.#lastSuccessMs
    return {
      ready: this.isReady(),
      keyCount: this.#keys === null ? 0 : this.#keys.size,
      lastSuccessMs: this.#lastSuccessMs,
      ageMs,
      lastError: this.#lastError,
    }
  }

  /** Stops the refresh timer; a fetch in flight is ignored when it lands. */
  close(): void {
    this.#closed = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    this.#settleStart()
  }

  #isBeyondMaxStale(): boolean {
    if (this.#lastSuccessMs === null) return true
    if (this.#clock.now() - this.#lastSuccessMs <= this.#config.maxStaleMs) return false
    if (!this.#expiredReported) {
      this.#expiredReported = true
      this.#emit({ type: 'expired' })
    }
    return true
  }

  // Single flight across every trigger: at most one fetch is outstanding at any time.
  #refresh(trigger: JwksTrigger): Promise<void> {
    if (this.#pending !== null) return this.#pending
    const seq = ++this.#startedSeq
    this.#pending = this.#run(trigger, seq)
    return this.#pending
  }

  async #run(trigger: JwksTrigger, seq: number): Promise<void> {
    try {
      // #fetchBounded is async, so this await always yields: #pending is set before finally runs.
      const result = await this.#fetchBounded()
      if (!this.#closed) this.#apply(trigger, seq, result)
    } catch (err) {
      if (!this.#closed) this.#fail(trigger, describeError(err))
    } finally {
      this.#pending = null
    }
  }

  async #fetchBounded(): Promise<JwksFetchResult> {
    const timeoutMs = this.#config.fetchTimeoutMs
    const signal = AbortSignal.timeout(timeoutMs)
    return await Promise.race([this.#fetch(signal), rejectOnAbort(signal, timeoutMs)])
  }

  #apply(trigger: JwksTrigger, seq: number, result: JwksFetchResult): void {
    // Stale-write guard (jose's reloadSequence): an older fetch landing late never replaces newer keys.
    if (seq < this.#appliedSeq) return
    const set = buildKeySet(result?.jwks)
    if (set.keys.size === 0) {
      // An empty set would fail every request; keep the last good one and treat it as an error.
      const why = set.rejected.length > 0 ? `; first problem: ${set.rejected[0]!.reason}` : ''
      this.#fail(trigger, `JWKS has no usable Ed25519 key (${set.rejected.length} rejected${why})`)
      return
    }
    this.#appliedSeq = seq
    this.#keys = set.keys
    this.#lastSuccessMs = this.#clock.now()
    this.#lastError = null
    this.#failures = 0
    this.#expiredReported = false
    this.#emit({ type: 'refresh', trigger, ok: true, keyCount: set.keys.size, rejected: set.rejected.length })
    this.#schedule(this.#refreshDelayMs(result.maxAgeSeconds))
    this.#settleStart()
  }

  #fail(trigger: JwksTrigger, error: string): void {
    this.#lastError = error
    this.#failures++
    this.#emit({ type: 'refresh', trigger, ok: false, error })
    if (this.#lastSuccessMs !== null && !this.#isBeyondMaxStale()) {
      this.#emit({ type: 'stale', ageMs: this.#clock.now() - this.#lastSuccessMs })
    }
    this.#schedule(this.#retryDelayMs())
  }

  /** Cache-Control max-age clamped to [min_refresh, max_refresh], else refresh_interval. */
  #refreshDelayMs(maxAgeSeconds: unknown): number {
    const { minRefreshMs, maxRefreshMs, refreshIntervalMs, maxStaleMs } = this.#config
    let delayMs = refreshIntervalMs
    if (typeof maxAgeSeconds === 'number' && Number.isFinite(maxAgeSeconds) && maxAgeSeconds >= 0) {
      delayMs = Math.min(Math.max(maxAgeSeconds * 1000, minRefreshMs), maxRefreshMs)
    }
    // Leave half of max_stale for retries: a refresh due only when the set expires gets no second try.
    return Math.min(delayMs, Math.max(1, Math.floor(maxStaleMs / 2)))
  }

  #retryDelayMs(): number {
    const exponent = Math.min(this.#failures - 1, 30)
    const capMs = Math.min(this.#retryMaxMs, this.#config.refreshIntervalMs)
    const delayMs = Math.min(this.#retryBaseMs * 2 ** exponent, capMs)
    // Up to 25 % jitter so gateways that lost the Vault together do not retry in lockstep.
    return Math.max(1, Math.floor(delayMs * (1 - 0.25 * this.#random())))
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = null
      void this.#refresh(this.#keys === null ? 'startup' : 'scheduled')
    }, Math.min(delayMs, MAX_TIMER_MS))
    // Mocked timers (node:test) may return a handle without unref.
    if (typeof this.#timer.unref === 'function') this.#timer.unref()
  }

  #settleStart(): void {
    const resolve = this.#resolveStart
    if (resolve === null) return
    this.#resolveStart = null
    resolve()
  }

  #emit(event: JwksEvent): void {
    if (this.#onEvent === null) return
    try {
      this.#onEvent(event)
    } catch {
      // A throwing listener (logger, metrics) must never break key refresh.
    }
  }
}
