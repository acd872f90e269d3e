// Live events across Vault replicas: PostgreSQL LISTEN/NOTIFY on one channel per schema (replicas
// share a schema; the tests' schemas must not hear each other). Sends go through the pool after the
// change committed; one dedicated connection listens and reconnects with a growing delay, reporting a
// gap each time it was lost (NOTIFY is not stored: what was sent meanwhile is gone).
import { createHash } from 'node:crypto'
import type { Pool } from 'pg'
import type { LiveEventChannel } from '../types.ts'
import { PgDedicatedConnection } from './dedicated-connection.ts'
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
  readonly #conn: PgDedicatedConnection
  readonly #inFlight = new Set<Promise<unknown>>()
  #onPayload: ((payload: string) => void) | null = null
  #onGap: (() => void) | null = null
  #closed = false

  constructor(pool: Pool, options: PgPoolOptions) {
    this.#pool = pool
    this.channel = liveChannelName(checkedSchema(options.schema))
    this.#conn = new PgDedicatedConnection(options, {
      applicationName: 'ledgix-gateway-live',
      firstRetryMs: FIRST_RETRY_MS,
      maxRetryMs: MAX_RETRY_MS,
      prepare: (client) => client.query(`LISTEN "${this.channel}"`),
      onNotification: (m) => {
        if (m.channel === this.channel && m.payload !== undefined) this.#onPayload?.(m.payload)
      },
      // Lost, and back again: either way whatever was sent while nobody listened is gone (streams refetch).
      onDown: () => this.#onGap?.(),
      onUp: (again) => {
        if (again) this.#onGap?.()
      },
    })
  }

  /** Backend pid of the LISTEN session (tests sever it), null while not listening. */
  get listenerPid(): number | null {
    return this.#conn.pid
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

  /** Rejects when the first LISTEN fails (the Vault does not start); after that, reconnects by itself. */
  async listen(onPayload: (payload: string) => void, onGap: () => void): Promise<void> {
    this.#onPayload = onPayload
    this.#onGap = onGap
    await this.#conn.connect()
  }

  async close(): Promise<void> {
    this.#closed = true
    await Promise.all([Promise.allSettled([...this.#inFlight]), this.#conn.close()])
  }
}
