// Group commit for the PostgreSQL store, the SQLite driver's approach over a network connection: the
// write() calls queued while the previous transaction was in flight share the next BEGIN … COMMIT
// (one WAL flush on the server, one commit round trip), each caller's ops run in their own SAVEPOINT
// so a failed guard (or a failing statement) rolls back only that caller, and nobody is answered
// before COMMIT returns. Up to `maxInFlight` transactions are open at once (each on its own pooled
// connection: while one waits for its round trips and its WAL flush, the next batch is already being
// written); when every slot is busy the queue grows into the next batch, which is what makes the cost
// per write fall as load rises. Concurrent transactions of one process are no different from those of
// two replicas: every guard is decided by the database. The queue is bounded (`overloaded`).
import type { Pool, PoolClient } from 'pg'
import { LedgixError } from '../../core/index.ts'
import type { WriteOp, WriteResult } from '../types.ts'
import { GuardFailure } from '../sqlite/group-commit.ts'
import { unavailable } from './pool.ts'
import { applyAppendRun, applyBurnRun, batchKind, type TokenBurnOp } from './batch-ops.ts'

export interface PgSideWork {
  pending(): boolean
  /** Runs inside the batch's transaction, before the callers. */
  apply(c: PoolClient): Promise<void>
  /** The batch committed: what `apply` wrote is durable. */
  committed(): void
}

interface Pending {
  ops: readonly WriteOp[]
  resolve: (result: WriteResult) => void
  reject: (err: unknown) => void
}

export type PgApplier = (c: PoolClient, ops: readonly WriteOp[]) => Promise<void>

const OK: WriteResult = { ok: true }
/** A deadlock between replicas aborts one statement; the caller's savepoint is replayed this often. */
const MAX_REPLAYS = 3
const RETRYABLE = new Set(['40P01', '40001'])

function guardResult(err: GuardFailure): WriteResult {
  return err.refusal === null
    ? { ok: false, failedOp: err.failedOp, opName: err.opName }
    : { ok: false, failedOp: err.failedOp, opName: err.opName, refusal: err.refusal }
}

/** One open group-commit transaction; BEGIN is sent with its first savepoint (one round trip less). */
interface Tx {
  c: PoolClient
  begun: boolean
  /** An earlier caller (or run, or the side work) of this transaction holds locks until COMMIT. */
  held: boolean
}

/**
 * A deadlock met by a caller behind others in one transaction. Rolling back to its savepoint frees
 * only its own locks; the earlier callers' stay held, so replaying it meets the same cycle (a manual
 * lockdown — drift seq lock, then the agent's exclusive lock — batched behind a drift write, against
 * a batch whose clearance holds that agent's shared lock and waits for the drift seq lock: three
 * replays, then a 500). Only rolling back the whole transaction breaks the cycle; #commit then runs
 * each caller in a transaction of its own, where a savepoint replay is a real retry.
 */
class BatchDeadlock extends Error {}

/** A parameterless statement of `tx`, preceded by BEGIN in the same simple query when not begun yet. */
async function simple(tx: Tx, sql: string): Promise<void> {
  await tx.c.query(tx.begun ? sql : `BEGIN; ${sql}`)
  tx.begun = true
}

export class PgGroupCommitter {
  #pool: Pool
  #apply: PgApplier
  #side: PgSideWork
  #maxQueue: number
  #maxBatch: number
  #queue: Pending[] = []
  #maxInFlight: number
  #inFlight = 0
  #scheduled = false
  #sideBusy = false
  #open = new Set<Promise<void>>()
  #closed = false
  #batching: boolean
  commits = 0
  writes = 0
  /** Writes answered by a multi-row run (tests prove batching with it). */
  batchedWrites = 0
  /** Batches rolled back whole and re-run one caller per transaction after a deadlock (BatchDeadlock). */
  deadlockSplits = 0

  constructor(pool: Pool, apply: PgApplier, side: PgSideWork, options: { maxQueue: number; maxBatch: number; multiRow?: boolean; maxInFlight?: number }) {
    this.#batching = options.multiRow ?? true
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 1)
    this.#pool = pool
    this.#apply = apply
    this.#side = side
    this.#maxQueue = options.maxQueue
    this.#maxBatch = options.maxBatch
  }

  submit(ops: readonly WriteOp[]): Promise<WriteResult> {
    if (this.#closed) return Promise.reject(new LedgixError('shutting_down', 'the store is closed'))
    if (this.#queue.length >= this.#maxQueue) return Promise.reject(new LedgixError('overloaded', 'the durable write queue is full; retry shortly'))
    return new Promise<WriteResult>((resolve, reject) => {
      this.#queue.push({ ops, resolve, reject })
      this.poke()
    })
  }

  /**
   * Start a transaction for what is queued, after this event-loop turn (so every caller of the turn
   * joins it), unless `maxInFlight` transactions are already open; each one that finishes pokes
   * again. Writes that arrive while every slot is busy form the next batch, which grows with load.
   */
  poke(): void {
    if (this.#scheduled || this.#inFlight >= this.#maxInFlight || !this.#hasWork()) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      while (this.#inFlight < this.#maxInFlight && this.#hasWork()) {
        const batch = this.#queue.splice(0, this.#maxBatch)
        // The coalesced side work (last-used times) rides in one transaction at a time.
        const side = !this.#sideBusy && this.#side.pending()
        if (batch.length === 0 && !side) break
        if (side) this.#sideBusy = true
        this.#inFlight++
        const done = this.#commit(batch, side).finally(() => {
          this.#inFlight--
          if (side) this.#sideBusy = false
          this.#open.delete(done)
          this.poke()
        })
        this.#open.add(done)
      }
    })
  }

  #hasWork(): boolean {
    return this.#queue.length > 0 || (!this.#sideBusy && this.#side.pending())
  }

  async #commit(batch: Pending[], side: boolean): Promise<void> {
    const results: Array<WriteResult | Error> = new Array(batch.length)
    let client: PoolClient
    try {
      client = await this.#pool.connect()
    } catch (err) {
      for (const p of batch) p.reject(new LedgixError('vault_unavailable', `the PostgreSQL store is unreachable: ${(err as Error).message}`))
      return
    }
    let broken: unknown = null
    let split = false
    const tx: Tx = { c: client, begun: false, held: false }
    try {
      if (side) {
        await client.query('BEGIN')
        tx.begun = true
        await this.#side.apply(client)
        tx.held = true
      }
      await this.#runBatch(tx, batch, results)
      await client.query(tx.begun ? 'COMMIT' : 'BEGIN; COMMIT')
      this.commits++
      this.writes += batch.length
      if (side) this.#side.committed()
    } catch (err) {
      if (err instanceof BatchDeadlock) split = true
      else broken = unavailable(err) ?? err
      await client.query('ROLLBACK').catch(() => undefined)
    } finally {
      // A connection that failed mid-transaction is discarded, not returned to the pool.
      client.release(broken === null ? undefined : true)
    }
    if (split) {
      // Nothing of this batch committed: each caller again, alone (the side work stays pending).
      this.deadlockSplits++
      for (const p of batch) await this.#commit([p], false)
      return
    }
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!
      if (broken !== null) p.reject(broken)
      else {
        const r = results[i]!
        if (r instanceof Error) p.reject(r)
        else p.resolve(r)
      }
    }
  }

  /**
   * The batch in caller order: a run of two or more consecutive token burns, or of two or more
   * consecutive decision appends, goes through the multi-row statements of batch-ops.ts inside one
   * savepoint; anything else, and a run whose multi-row attempt fails, runs one caller at a time.
   */
  async #runBatch(tx: Tx, batch: Pending[], results: Array<WriteResult | Error>): Promise<void> {
    let i = 0
    while (i < batch.length) {
      const kind = this.#batching ? batchKind(batch[i]!.ops) : null
      let end = i + 1
      if (kind !== null) while (end < batch.length && batchKind(batch[end]!.ops) === kind) end++
      if (end - i >= 2 && (await this.#runMany(tx, kind!, batch.slice(i, end), results, i))) {
        this.batchedWrites += end - i
        tx.held = true
        i = end
        continue
      }
      for (; i < end; i++) {
        results[i] = await this.#runCaller(tx, batch[i]!.ops)
        tx.held = true
      }
    }
  }

  /** true = the run was applied and answered; false = rolled back, to be replayed one by one. */
  async #runMany(tx: Tx, kind: 'burn' | 'append', run: Pending[], results: Array<WriteResult | Error>, at: number): Promise<boolean> {
    const c = tx.c
    // Kept open when the run succeeds (COMMIT releases it; a later run's `m` nests and is the one
    // a later ROLLBACK TO names): one round trip less per run.
    await simple(tx, 'SAVEPOINT m')
    try {
      if (kind === 'burn') {
        const refusals = await applyBurnRun(c, run.map((p) => p.ops[0] as TokenBurnOp))
        refusals.forEach((refusal, k) => {
          results[at + k] = refusal === null ? OK : { ok: false, failedOp: 0, opName: 'token_burn', refusal }
        })
        return true
      }
      if (await applyAppendRun(c, run.map((p) => p.ops))) {
        for (let k = 0; k < run.length; k++) results[at + k] = OK
        return true
      }
    } catch {
      // A statement error (a deadlock between replicas, a duplicate row): replayed one by one below,
      // where each caller gets its own answer and its own retries. A lost connection throws again there.
    }
    await c.query('ROLLBACK TO SAVEPOINT m; RELEASE SAVEPOINT m')
    return false
  }

  async #runCaller(tx: Tx, ops: readonly WriteOp[]): Promise<WriteResult | Error> {
    const c = tx.c
    for (let attempt = 0; ; attempt++) {
      await simple(tx, 'SAVEPOINT w')
      try {
        await this.#apply(c, ops)
        await c.query('RELEASE SAVEPOINT w')
        return OK
      } catch (err) {
        // Throws (failing the whole batch) only when the connection itself is gone.
        await c.query('ROLLBACK TO SAVEPOINT w; RELEASE SAVEPOINT w')
        if (err instanceof GuardFailure) return guardResult(err)
        const code = (err as { code?: string }).code
        if (code !== undefined && RETRYABLE.has(code)) {
          if (tx.held) throw new BatchDeadlock()
          if (attempt < MAX_REPLAYS) continue
          // Still in a cycle after the replays: the database cannot order these writes now (503, never a 500).
          return new LedgixError('vault_unavailable', 'concurrent writes deadlocked in PostgreSQL; retry')
        }
        // A statement_timeout (a lock held elsewhere, an overloaded server) is the database not
        // answering now: 503 vault_unavailable like a lost connection, never a 500.
        const transient = unavailable(err)
        if (transient !== null) return transient
        return err instanceof Error ? err : new Error(String(err))
      }
    }
  }

  /** Commit what is queued, then refuse further writes. */
  async close(): Promise<void> {
    // A drain that already passed its last check is still open, so poke() alone could skip side work
    // added after that check (a last-used time touched just before close): go round until nothing is
    // left. Bounded: with the database unreachable the side work stays pending, and close must still end.
    let sideRounds = 0
    this.poke()
    while (this.#scheduled || this.#open.size > 0 || this.#queue.length > 0 || (this.#side.pending() && sideRounds++ < 3)) {
      if (this.#open.size > 0) await Promise.allSettled([...this.#open])
      else await new Promise<void>((resolve) => setImmediate(resolve))
      this.poke()
    }
    this.#closed = true
  }
}
