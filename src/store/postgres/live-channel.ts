// Live events across Vault replicas: PostgreSQL LISTEN/NOTIFY on one channel per schema (replicas
// share a schema; the tests' schemas must not hear each other). Sends go through the pool after the
// change committed; one dedicated connection listens and reconnects with a growing delay, reporting a
// gap each time it was lost (NOTIFY is not stored: what was sent meanwhile is gone).
import { createHash } from 'node:crypto'
import pg from 'pg'
import type { Pool } from 'pg'
import type { LiveEventChannel } from '../types.ts'
import { checkedSchema } from './pool.ts'
import type { PgPoolOptions } from './pool.ts'

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. */
export const MAX_NOTIFY_PAYLOAD_BYTES = 7900
const FIRST_RETRY_MS = 500
const MAX_RETRY_MS = 30_000
/** Identifiers longer than NAMEDATALEN − 1 bytes are refused by pg_notify. */
const MAX_CHANNEL_LENGTH = 63

/** The channel of a schema: readable when it fits, else a digest of the schema name. */
export function liveChannelName(schema: string): string {
  const plain = `ledgix_live_${schema}`
  if (plain.length <= MAX_CHANNEL_LENGTH) return plain
  return `ledgix_live_${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`
}

export class PgLiveEventChannel implements LiveEventChannel {
  readonly channel: string
  readonly #pool: Pool
  readonly #options: PgPoolOptions
  readonly #inFlight = new Set<Promise<unknown>>()
  #client: pg.Client | null = null
  #onPayload: ((payload: string) => void) | null = null
  #onGap: (() => void) | null = null
  #retry: NodeJS.Timeout | null = null
  #retryMs = FIRST_RETRY_MS
  #closed = false

  constructor(pool: Pool, options: PgPoolOptions) {
    this.#pool = pool
    this.#options = options
    this.channel = liveChannelName(checkedSchema(options.schema))
  }

  notify(payload: string): void {
    if (this.#closed || Buffer.byteLength(payload) > MAX_NOTIFY_PAYLOAD_BYTES) return
    const sent = this.#pool.query('SELECT pg_notify($1, $2)', [this.channel, payload]).then(
      () => undefined,
      () => undefined, // best effort: a lost live event is what a stream's reset covers
    )
    this.#inFlight.add(sent)
    void sent.finally(() => this.#inFlight.delete(sent))
  }

  async listen(onPayload: (payload: string) => void, onGap: () => void): Promise<void> {
    this.#onPayload = onPayload
    this.#onGap = onGap
    await this.#connect()
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#options.url,
      connectionTimeoutMillis: this.#options.connectTimeoutMs ?? 5_000,
      application_name: 'ledgix-gateway-live',
    })
    client.on('notification', (m) => {
      if (client === this.#client && m.channel === this.channel && m.payload !== undefined) this.#onPayload?.(m.payload)
    })
    client.on('error', () => this.#lost(client))
    client.on('end', () => this.#lost(client))
    try {
      await client.connect()
      await client.query(`LISTEN "${this.channel}"`)
    } catch (err) {
      await client.end().catch(() => undefined)
      throw err
    }
    if (this.#closed) {
      await client.end().catch(() => undefined)
      return
    }
    this.#client = client
    this.#retryMs = FIRST_RETRY_MS
  }

  #lost(client: pg.Client): void {
    if (client !== this.#client || this.#closed) return
    this.#client = null
    void client.end().catch(() => undefined)
    this.#onGap?.()
    this.#scheduleReconnect()
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retry !== null) return
    this.#retry = setTimeout(() => {
      this.#retry = null
      this.#connect().then(
        // Whatever was sent while we were away is lost: streams refetch.
        () => this.#onGap?.(),
        () => {
          this.#retryMs = Math.min(MAX_RETRY_MS, this.#retryMs * 2)
          this.#scheduleReconnect()
        },
      )
    }, this.#retryMs)
    this.#retry.unref()
  }

  async close(): Promise<void> {
    this.#closed = true
    if (this.#retry !== null) clearTimeout(this.#retry)
    this.#retry = null
    await Promise.allSettled([...this.#inFlight])
    const client = this.#client
    this.#client = null
    if (client !== null) await client.end().catch(() => undefined)
  }
}
