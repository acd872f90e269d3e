// One PostgreSQL session outside the pool, kept for as long as its owner runs: the key cache's LISTEN,
// the sealer's advisory lock and the live-event LISTEN each need a session of their own (a pooled
// one would lose the LISTEN or the lock when handed back). This owns connecting with the store's
// options (TLS included), noticing the session is gone (error, end, a failed probe or query: "down",
// reported to the owner), reconnecting with a growing delay, and closing without a timer left behind.
import pg from 'pg'
import { pgTlsConfig, PG_POOL_DEFAULTS, type PgPoolOptions } from './pool.ts'

/** What one owner needs of its session. */
export interface PgDedicatedSession {
  /** application_name in pg_stat_activity (an application_name in the store URL wins, as for the pool). */
  applicationName: string
  /** Client-side bound of each statement (pg `query_timeout`): a late answer counts as a dead session. */
  queryTimeoutMs?: number
  /** Server-side bound of each statement (`statement_timeout`). */
  statementTimeoutMs?: number
  /** Delay before reconnecting after a loss or a failed attempt; doubled after each failure up to `maxRetryMs`. */
  firstRetryMs: number
  maxRetryMs: number
  /** Runs on every new session before it counts as up (LISTEN); a failure is a failed attempt. */
  prepare?: (client: pg.Client) => Promise<unknown>
  /** A NOTIFY heard on the up session. */
  onNotification?: (message: pg.Notification) => void
  /** The session is up: the first time (`again` false) and after every reconnect (`again` true). */
  onUp?: (again: boolean) => void
  /** The up session was lost; a reconnect is already scheduled. */
  onDown?: () => void
}

/** idle: never connected · connecting · up · down: lost or failed, a reconnect pending · closed. */
export type PgDedicatedState = 'idle' | 'connecting' | 'up' | 'down' | 'closed'

export class PgDedicatedConnection {
  readonly #options: PgPoolOptions
  readonly #session: PgDedicatedSession
  #state: PgDedicatedState = 'idle'
  /** The up session, or null. */
  #client: pg.Client | null = null
  /** The session being opened (close() ends it too). */
  #pending: pg.Client | null = null
  #connecting: Promise<void> | null = null
  #retry: NodeJS.Timeout | null = null
  #retryMs: number
  #wasUp = false
  /** close() ran (a flag beside #state, which awaits inside #open cannot narrow away). */
  #closed = false
  /** Up sessions lost so far (tests, logs). */
  losses = 0

  constructor(options: PgPoolOptions, session: PgDedicatedSession) {
    this.#options = options
    this.#session = session
    this.#retryMs = session.firstRetryMs
  }

  get state(): PgDedicatedState {
    return this.#state
  }

  get isUp(): boolean {
    return this.#client !== null
  }

  /** Backend pid of the up session (pg_stat_activity, pg_locks), null while not up. */
  get pid(): number | null {
    return (this.#client as unknown as { processID?: number | null } | null)?.processID ?? null
  }

  /** Whether a reconnect is scheduled (tests: none may be left after close()). */
  get retryPending(): boolean {
    return this.#retry !== null
  }

  /**
   * One attempt now (or the one already running): resolves once up, or once closed meanwhile;
   * rejects with the failure. Nothing is retried after a failed attempt: see start().
   */
  connect(): Promise<void> {
    if (this.#closed || this.#client !== null) return Promise.resolve()
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = null
    })
    return this.#connecting
  }

  /** The first attempt, awaited; when it fails, reconnects in the background. Never throws. */
  async start(): Promise<void> {
    try {
      await this.connect()
    } catch {
      this.#scheduleRetry()
    }
  }

  /** A statement on the up session; any failure takes the session down (and schedules a reconnect). */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    const client = this.#client
    if (client === null) throw new Error('the dedicated PostgreSQL session is not connected')
    try {
      return await client.query<R>(text, values)
    } catch (err) {
      this.#lose(client)
      throw err
    }
  }

  /** `SELECT 1` on the up session: false (and down) when it fails or is late. Never throws. */
  async probe(): Promise<boolean> {
    try {
      await this.query('SELECT 1')
      return true
    } catch {
      return false
    }
  }

  /** End the session (or the one being opened) and cancel any reconnect; nothing stays scheduled. */
  async close(): Promise<void> {
    this.#closed = true
    this.#state = 'closed'
    if (this.#retry !== null) clearTimeout(this.#retry)
    this.#retry = null
    const client = this.#client
    const pending = this.#pending
    this.#client = null
    this.#pending = null
    // end() of a client still connecting only half-closes its socket: against a server that does not
    // answer it lingers (keeping the process alive) until the connect timeout, and pg 8 never settles
    // connect() for a client ended during its handshake. Cut the socket with an error instead (as pg's
    // own connect timeout does): connect() rejects at once and #open returns.
    if (pending !== null) destroySocket(pending)
    await Promise.all([client, pending].map((c) => c?.end().catch(() => undefined)))
  }

  #config(): pg.ClientConfig {
    const o = this.#options
    const s = this.#session
    return {
      // Read on every attempt: a file that became unreadable fails that attempt, never the process.
      ...(o.tls === undefined ? {} : { ssl: pgTlsConfig(o.tls, o.url) }),
      connectionString: o.url,
      connectionTimeoutMillis: o.connectTimeoutMs ?? PG_POOL_DEFAULTS.connectTimeoutMs,
      application_name: s.applicationName,
      ...(s.queryTimeoutMs === undefined ? {} : { query_timeout: s.queryTimeoutMs }),
      ...(s.statementTimeoutMs === undefined ? {} : { statement_timeout: s.statementTimeoutMs }),
    }
  }

  async #open(): Promise<void> {
    this.#state = 'connecting'
    let client: pg.Client | null = null
    // Set when the session dies before it is up (a FATAL right after LISTEN answered, say).
    let gone = false
    try {
      client = new pg.Client(this.#config())
      const self = client
      const onGone = (): void => {
        gone = true
        this.#lose(self)
      }
      client.on('error', onGone)
      client.on('end', onGone)
      const onNotification = this.#session.onNotification
      if (onNotification !== undefined) {
        client.on('notification', (m) => {
          if (this.#client === self) onNotification(m)
        })
      }
      this.#pending = client
      await client.connect()
      await this.#session.prepare?.(client)
      if (gone) throw new Error('Connection terminated while it was being prepared')
    } catch (err) {
      if (client !== null && this.#pending === client) this.#pending = null
      await client?.end().catch(() => undefined)
      // Closed meanwhile (close() ended this client): not a failure the owner should act on.
      if (this.#closed) return
      this.#state = 'down'
      throw err
    }
    if (this.#closed) {
      // close() ran meanwhile and has ended (or is ending) this client.
      await client.end().catch(() => undefined)
      return
    }
    this.#pending = null
    this.#client = client
    this.#state = 'up'
    this.#retryMs = this.#session.firstRetryMs
    const again = this.#wasUp
    this.#wasUp = true
    this.#session.onUp?.(again)
  }

  #lose(client: pg.Client): void {
    if (client !== this.#client) return
    this.#client = null
    void client.end().catch(() => undefined)
    if (this.#closed) return
    this.#state = 'down'
    this.losses++
    this.#session.onDown?.()
    this.#scheduleRetry()
  }

  #scheduleRetry(): void {
    if (this.#closed || this.#retry !== null) return
    this.#state = 'down'
    this.#retry = setTimeout(() => {
      this.#retry = null
      this.connect().catch(() => {
        this.#retryMs = Math.min(this.#session.maxRetryMs, this.#retryMs * 2)
        this.#scheduleRetry()
      })
    }, this.#retryMs)
    // The owner's close() clears it; an owner never closed must not keep the process alive either.
    this.#retry.unref()
  }
}

function destroySocket(client: pg.Client): void {
  const stream = (client as unknown as { connection?: { stream?: { destroy(err?: Error): void } } }).connection?.stream
  stream?.destroy(new Error('Connection closed by its owner while connecting'))
}
