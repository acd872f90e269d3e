// Sealer leadership across Vault replicas sharing one PostgreSQL schema: the replica whose dedicated
// connection (outside the pool) holds the session-level advisory lock (SEALER_LOCK_CLASS, hash of the
// schema) is the one sealer. The lock lives exactly as long as that session: a killed process drops
// its connection, the server releases the lock, and the next replica's poll (every `pollMs`) takes it.
// Leadership is also fenced where it matters: the PostgreSQL store checks, inside every seal's own
// transaction, that this session's backend still holds the lock (leaderFenceSql), so a leader whose
// connection was lost stops sealing at once, even before its client notices the socket is gone.
import { createHash } from 'node:crypto'
import type { SealerLeadership } from '../types.ts'
import { PgDedicatedConnection } from './dedicated-connection.ts'
import { checkedSchema, type PgPoolOptions } from './pool.ts'

/** First key of the two-int advisory lock (migrations use 20). */
export const SEALER_LOCK_CLASS = 21
export const DEFAULT_LEADER_POLL_MS = 1_000

/** The second key: a stable int4 of the schema name, so test schemas (and tenants of one server) never collide. */
export function sealerLockKey(schema: string): number {
  return createHash('sha256').update(`ledgix-sealer:${schema}`).digest().readInt32BE(0)
}

/**
 * True when backend `$1` holds this schema's sealer lock (`$2` = the key as pg_locks shows it: oid, unsigned).
 * Two-int advisory locks appear with classid = key1, objid = key2, objsubid = 2.
 */
export const leaderFenceSql = `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = ${SEALER_LOCK_CLASS}
  AND objid::bigint = $2 AND objsubid = 2 AND granted AND pid = $1) AS held`

export class PgSealerLeadership implements SealerLeadership {
  readonly #conn: PgDedicatedConnection
  readonly #key: number
  readonly #pollMs: number
  #pid: number | null = null
  #timer: NodeJS.Timeout | null = null
  #running: Promise<void> | null = null
  #stopped = false
  #started = false
  /** Times this process became leader (tests, logs). */
  acquisitions = 0

  constructor(options: PgPoolOptions, pollMs: number) {
    this.#key = sealerLockKey(checkedSchema(options.schema))
    this.#pollMs = pollMs
    this.#conn = new PgDedicatedConnection(options, {
      applicationName: 'ledgix-gateway',
      // Both the liveness probe and the lock attempt are instant; bound them anyway.
      statementTimeoutMs: Math.max(1_000, pollMs * 2),
      // A lost session is replaced at the poll's pace, and tries the lock as soon as it is up.
      firstRetryMs: pollMs,
      maxRetryMs: pollMs,
      onUp: () => void this.#attempt(),
      // The server released the lock with the session: lose leadership now.
      onDown: () => {
        this.#pid = null
      },
    })
  }

  get isLeader(): boolean {
    return this.#pid !== null
  }

  /** Whether the election runs (false: nobody fenced, e.g. a CLI or test store never started it). */
  get active(): boolean {
    return this.#started && !this.#stopped
  }

  /** The fence's parameters for leaderFenceSql, or null when this process is not the leader. */
  fence(): [number, number] | null {
    return this.#pid === null ? null : [this.#pid, this.#key >>> 0]
  }

  get pollMs(): number {
    return this.#pollMs
  }

  async start(): Promise<void> {
    this.#started = true
    this.#timer = setInterval(() => void this.#attempt(), this.#pollMs)
    this.#timer.unref()
    // The first session's onUp makes the first attempt: joined here, so start() ends leader or not.
    await this.#conn.start()
    await this.#attempt()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    this.#pid = null
    // Ending the session releases the lock; the next replica takes it at its next poll.
    await this.#conn.close()
  }

  /** One poll (or the one running): a leader checks its session is alive; a follower tries the lock. Never throws. */
  #attempt(): Promise<void> {
    if (this.#stopped || !this.#conn.isUp) return Promise.resolve()
    this.#running ??= this.#poll().finally(() => {
      this.#running = null
    })
    return this.#running
  }

  async #poll(): Promise<void> {
    try {
      if (this.#pid !== null) {
        await this.#conn.probe()
        return
      }
      const r = await this.#conn.query<{ got: boolean; pid: number }>('SELECT pg_try_advisory_lock($1, $2) AS got, pg_backend_pid() AS pid', [SEALER_LOCK_CLASS, this.#key])
      const row = r.rows[0]!
      // The same session still up (not lost and replaced while the statement ran).
      if (row.got && this.#conn.pid === row.pid && !this.#stopped) {
        this.#pid = row.pid
        this.acquisitions++
      }
    } catch {
      // The connection is unusable: it is down now (onDown), and reconnects at the poll's pace.
    }
  }
}
