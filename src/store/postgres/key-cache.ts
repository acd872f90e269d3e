// API-key lookups served from memory across replicas, never staler than a bound: every revocation
// commits a NOTIFY on this schema's channel (in its own transaction, so it is delivered exactly when
// the revocation is visible), and each replica LISTENs on a dedicated connection and drops its cache
// when one arrives. The cache is used only while that connection is known alive: it is probed every
// `probeMs` (a failed or late probe, an error or an end disables the cache and empties it until the
// LISTEN is back), so a notification lost with a dead connection can leave a stale entry for at most
// about probeMs + the probe's timeout. A read that started before an invalidation is not cached
// (epoch), so a revocation can never be overwritten by the row read just before it.
import { createHash } from 'node:crypto'
import type { ApiKeyRecord } from '../types.ts'
import { PgDedicatedConnection } from './dedicated-connection.ts'
import { checkedSchema, type PgPoolOptions } from './pool.ts'

export const KEY_CACHE_PROBE_MS = 300
/** A probe slower than this counts as a dead session: probe interval + this ≈ 1 s, the bound. */
const PROBE_TIMEOUT_MS = 700
const MAX_ENTRIES = 10_000

/** The NOTIFY channel of one schema's API-key changes (an identifier of 44 characters). */
export function keyChannel(schema: string): string {
  return `ledgix_keys_${createHash('md5').update(schema).digest('hex')}`
}

/** What a revocation runs in its transaction: `current_schema()` is the store's (search_path). */
export const NOTIFY_KEYS_SQL = "SELECT pg_notify('ledgix_keys_' || md5(current_schema()), '')"

export class PgApiKeyCache {
  readonly #conn: PgDedicatedConnection
  readonly #probeMs: number
  #entries = new Map<string, ApiKeyRecord>()
  #epoch = 0
  #live = false
  #busy = false
  #timer: NodeJS.Timeout | null = null
  /** Invalidations heard from the database (tests). */
  notifications = 0

  constructor(options: PgPoolOptions, probeMs = KEY_CACHE_PROBE_MS) {
    const channel = keyChannel(checkedSchema(options.schema))
    this.#probeMs = probeMs
    this.#conn = new PgDedicatedConnection(options, {
      applicationName: 'ledgix-gateway',
      queryTimeoutMs: PROBE_TIMEOUT_MS,
      // A lost LISTEN is retried at the probe's pace: the cache is off until it is back.
      firstRetryMs: probeMs,
      maxRetryMs: probeMs,
      prepare: (client) => client.query(`LISTEN ${channel}`),
      onNotification: () => {
        this.notifications++
        this.invalidate()
      },
      onUp: () => {
        // Whatever was revoked while nobody listened: start empty.
        this.invalidate()
        this.#live = true
      },
      onDown: () => {
        this.#live = false
        this.invalidate()
      },
    })
  }

  /** True while lookups may be served from memory. */
  get live(): boolean {
    return this.#live
  }

  /** Backend pid of the LISTEN session (tests sever it), null while disconnected. */
  get listenerPid(): number | null {
    return this.#live ? this.#conn.pid : null
  }

  get epoch(): number {
    return this.#epoch
  }

  get(keyHash: string): ApiKeyRecord | undefined {
    return this.#live ? this.#entries.get(keyHash) : undefined
  }

  /** Remember an active key read at `epoch` (nothing when an invalidation happened since). */
  put(keyHash: string, record: ApiKeyRecord, epoch: number): void {
    if (!this.#live || epoch !== this.#epoch || record.revokedAtMs !== null) return
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!)
    this.#entries.set(keyHash, record)
  }

  invalidate(): void {
    this.#epoch++
    this.#entries.clear()
  }

  async start(): Promise<void> {
    this.#timer = setInterval(() => void this.#probe(), this.#probeMs)
    this.#timer.unref()
    await this.#conn.start()
  }

  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    this.#live = false
    this.invalidate()
    await this.#conn.close()
  }

  /** A failed or late probe takes the session down (onDown: the cache is off until it is back). */
  async #probe(): Promise<void> {
    if (this.#busy || !this.#conn.isUp) return
    this.#busy = true
    try {
      await this.#conn.probe()
    } finally {
      this.#busy = false
    }
  }
}
