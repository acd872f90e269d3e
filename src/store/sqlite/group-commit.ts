// Group commit for the SQLite writer connection: every write() queued in the same event-loop turn
// shares one BEGIN IMMEDIATE … COMMIT (one fsync under synchronous=FULL), each caller's ops run in
// their own savepoint so a failed guard rolls back only that caller, and nobody is answered before
// the COMMIT is durable. The queue is bounded: a full queue rejects with `overloaded` (Tessera
// ErrPushback).
//
// Burn-only batches of two or more callers (the gated hot path under load) are made durable off the
// event loop: they COMMIT under synchronous=NORMAL (the WAL frames are written, not synced) and their
// callers are answered only after an fdatasync of the WAL, started after that COMMIT, has returned on
// the libuv pool. One sync is in flight at a time; burns queued meanwhile COMMIT together when it
// returns. Every other batch (clearances, ledger appends and seals, keys, settings, a lone burn)
// commits under synchronous=FULL, so what a reader can see of them — a signed checkpoint above all —
// is durable before it is visible. An fdatasync error fails the store closed (docs/design/store.md
// "The burn's fsync off the event loop").
import type Database from 'better-sqlite3'
import { LedgixError } from '../../core/index.ts'
import type { BurnRefusal, WriteOp, WriteResult } from '../types.ts'

/** Thrown inside a savepoint to roll back one caller's ops when a guard fails. */
export class GuardFailure {
  readonly failedOp: number
  readonly opName: WriteOp['op']
  /** Only `token_burn` and (agent_locked) `token_insert` say why. */
  readonly refusal: BurnRefusal | null
  constructor(failedOp: number, opName: WriteOp['op'], refusal: BurnRefusal | null = null) {
    this.failedOp = failedOp
    this.opName = opName
    this.refusal = refusal
  }
}

function guardResult(err: GuardFailure): WriteResult {
  return err.refusal === null
    ? { ok: false, failedOp: err.failedOp, opName: err.opName }
    : { ok: false, failedOp: err.failedOp, opName: err.opName, refusal: err.refusal }
}

/** Applies ops in order; throws GuardFailure when a guarded op finds its condition false. */
export type OpApplier = (ops: readonly WriteOp[]) => void

/**
 * The WAL's durability, driven by the committer: `relax(true)` makes the next COMMITs write the WAL
 * without syncing it (synchronous=NORMAL), `relax(false)` restores synchronous=FULL; `sync` runs one
 * fdatasync of the WAL on the libuv pool and calls `done` with its error or null.
 */
export interface DeferredSync {
  relax(on: boolean): void
  sync(done: (err: Error | null) => void): void
}

/** Coalesced, non-guarded work that rides along with the next commit (API-key last-used times). */
export interface SideWork {
  pending(): boolean
  apply(): void
}

interface Pending {
  ops: readonly WriteOp[]
  resolve: (result: WriteResult) => void
  reject: (err: unknown) => void
}

export interface GroupCommitOptions {
  /** Pending writes beyond this are refused with 503 overloaded instead of growing memory. */
  maxQueue: number
  /** Writes per transaction; a longer queue commits in several back-to-back transactions. */
  maxBatch: number
}

const OK: WriteResult = { ok: true }

/** Burn batches smaller than this COMMIT at synchronous=FULL (see flush). */
const DEFER_MIN_CALLERS = 2

/** True when every caller of the batch only burns tokens (the writes whose sync may leave the loop). */
function burnsOnly(batch: readonly Pending[]): boolean {
  for (const p of batch) {
    for (const op of p.ops) if (op.op !== 'token_burn' && op.op !== 'burn') return false
  }
  return true
}

function settle(pending: Pending, result: WriteResult | Error): void {
  if (result instanceof Error) pending.reject(result)
  else pending.resolve(result)
}

/** Answers every caller of `pending` (with its result, or `failure` for all) and empties both lists. */
function settleAll(pending: Pending[], results: Array<WriteResult | Error>, failure: Error | null): void {
  for (let i = 0; i < pending.length; i++) {
    if (failure !== null) pending[i]!.reject(failure)
    else settle(pending[i]!, results[i]!)
  }
  pending.length = 0
  results.length = 0
}

export class GroupCommitter {
  #queue: Pending[] = []
  #scheduled = false
  #closed = false
  #options: GroupCommitOptions
  #runOne: Database.Transaction<(ops: readonly WriteOp[]) => void>
  #runBatch: Database.Transaction<(batch: Pending[], results: Array<WriteResult | Error>, side: SideWork | null) => void>
  #side: SideWork | null
  #deferred: DeferredSync | null
  /** Whether the writer is currently at synchronous=NORMAL (switched only when the batch kind changes). */
  #relaxed = false
  /** Committed burn callers (and their results) waiting for an fdatasync that starts after their COMMIT. */
  #waiting: Pending[] = []
  #waitingResults: Array<WriteResult | Error> = []
  /** Callers covered by the fdatasync in flight; swapped with #waiting so neither list is reallocated. */
  #syncing: Pending[] = []
  #syncingResults: Array<WriteResult | Error> = []
  #syncInFlight = false
  #onSynced: (err: Error | null) => void
  /** Set by a failed fdatasync: the store refuses every write from then on (fail closed). */
  #failure: Error | null = null
  #idle: (() => void) | null = null
  #onFailure: ((err: Error) => void) | null
  /** Number of COMMITs performed (tests and metrics read it). */
  commits = 0
  /** write() calls that reached a COMMIT (writes / commits = the mean batch size). */
  writes = 0
  /** Number of fdatasyncs run off the event loop (tests read it). */
  deferredSyncs = 0

  constructor(
    db: Database.Database,
    apply: OpApplier,
    options: GroupCommitOptions,
    side: SideWork | null = null,
    deferred: DeferredSync | null = null,
    onFailure: ((err: Error) => void) | null = null,
  ) {
    this.#options = options
    this.#side = side
    this.#deferred = deferred
    this.#onFailure = onFailure
    this.#onSynced = this.#synced.bind(this)
    // Nested db.transaction() calls run as SAVEPOINTs inside the outer transaction.
    this.#runOne = db.transaction(apply)
    this.#runBatch = db.transaction(runBatchBody.bind(null, this.#runOne))
  }

  get queued(): number {
    return this.#queue.length
  }

  /** The fdatasync error that failed the store, or null. */
  get failure(): Error | null {
    return this.#failure
  }

  submit(ops: readonly WriteOp[]): Promise<WriteResult> {
    if (this.#failure !== null) return Promise.reject(this.#failure)
    if (this.#closed) return Promise.reject(new LedgixError('shutting_down', 'the store is closed'))
    if (this.#queue.length >= this.#options.maxQueue) {
      return Promise.reject(new LedgixError('overloaded', 'the durable write queue is full; retry shortly'))
    }
    return new Promise<WriteResult>((resolve, reject) => {
      this.#queue.push({ ops, resolve, reject })
      this.#schedule()
    })
  }

  /** Ask for a flush even with no queued writes (coalesced side work such as last-used times). */
  poke(): void {
    this.#schedule()
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed) return
    this.#scheduled = true
    // setImmediate runs after the current poll phase: every request parsed in this turn joins the batch.
    setImmediate(flushCommitter, this)
  }

  /** Commit whatever is queued now. Called from setImmediate and from close(). */
  flush(): void {
    this.#scheduled = false
    // While a sync is in flight, burns wait in the queue rather than COMMIT: they could not be answered
    // before the next sync anyway, and one COMMIT per sync (not one per loop turn) is what keeps the
    // per-burn cost of the transaction low. The sync's completion flushes them.
    if (this.#syncInFlight && this.#queue.length > 0 && burnsOnly(this.#queue)) return
    while (this.#queue.length > 0 || (this.#side !== null && this.#side.pending())) {
      if (this.#failure !== null) {
        // Nothing more is written, side work included (it would otherwise keep this loop going).
        for (const p of this.#queue.splice(0)) p.reject(this.#failure)
        break
      }
      const batch = this.#queue.splice(0, this.#options.maxBatch)
      const results: Array<WriteResult | Error> = new Array(batch.length)
      // Side work alone (last-used times, best effort) keeps whatever mode the writer is in. A lone
      // burn syncs inline: handing its fdatasync to the pool and waking the loop again afterwards costs
      // one request ~0.1–0.2 ms on this VM, and with one caller there is no batch to overlap it with.
      const defer =
        this.#deferred !== null && (batch.length === 0 ? this.#relaxed : batch.length >= DEFER_MIN_CALLERS && burnsOnly(batch))
      if (defer !== this.#relaxed) {
        this.#deferred!.relax(defer)
        this.#relaxed = defer
      }
      try {
        this.#runBatch.immediate(batch, results, this.#side)
        this.commits++
        this.writes += batch.length
      } catch (err) {
        // COMMIT itself failed (disk full, I/O error): nothing in the batch is durable.
        for (const p of batch) p.reject(err)
        break
      }
      if (defer) {
        for (let i = 0; i < batch.length; i++) {
          this.#waiting.push(batch[i]!)
          this.#waitingResults.push(results[i]!)
        }
        this.#startSync()
      } else {
        // A synchronous=FULL COMMIT synced the whole WAL, which covers every burn committed before it.
        if (this.#waiting.length > 0) settleAll(this.#waiting, this.#waitingResults, null)
        for (let i = 0; i < batch.length; i++) settle(batch[i]!, results[i]!)
      }
      if (this.#queue.length === 0) break
    }
  }

  #startSync(): void {
    if (this.#syncInFlight || this.#waiting.length === 0) return
    const covered = this.#waiting
    const coveredResults = this.#waitingResults
    this.#waiting = this.#syncing
    this.#waitingResults = this.#syncingResults
    this.#syncing = covered
    this.#syncingResults = coveredResults
    this.#syncInFlight = true
    this.deferredSyncs++
    this.#deferred!.sync(this.#onSynced)
  }

  #synced(err: Error | null): void {
    this.#syncInFlight = false
    if (err !== null && this.#failure === null) {
      // After a failed fsync the kernel may have dropped the dirty pages and will not report it again
      // (PostgreSQL's "fsyncgate"): nothing committed since the last good sync can be called durable,
      // and no later sync could make it so. Refuse everything until an operator restarts the process.
      this.#failure = new LedgixError(
        'vault_unavailable',
        `the store could not make its write-ahead log durable (${(err as NodeJS.ErrnoException).code ?? err.message}); every write is refused until the process is restarted`,
      )
      this.#onFailure?.(err)
    }
    const failure = this.#failure
    settleAll(this.#syncing, this.#syncingResults, failure)
    if (failure !== null) settleAll(this.#waiting, this.#waitingResults, failure)
    // The burns held back while this sync ran: committed now (or refused, after a failure).
    if (this.#queue.length > 0) this.flush()
    if (failure === null) this.#startSync()
    if (!this.#syncInFlight && this.#idle !== null) {
      const idle = this.#idle
      this.#idle = null
      idle()
    }
  }

  /** Commit the remainder, wait for the sync in flight (and the one it leads to), then refuse further writes. */
  async close(): Promise<void> {
    this.flush()
    this.#closed = true
    while (this.#syncInFlight) {
      await new Promise<void>((resolve) => {
        this.#idle = resolve
      })
    }
  }
}

function flushCommitter(committer: GroupCommitter): void {
  committer.flush()
}

function runBatchBody(
  runOne: Database.Transaction<(ops: readonly WriteOp[]) => void>,
  batch: Pending[],
  results: Array<WriteResult | Error>,
  side: SideWork | null,
): void {
  if (side !== null && side.pending()) side.apply()
  for (let i = 0; i < batch.length; i++) {
    try {
      runOne(batch[i]!.ops)
      results[i] = OK
    } catch (err) {
      if (err instanceof GuardFailure) results[i] = guardResult(err)
      else results[i] = err instanceof Error ? err : new Error(String(err))
    }
  }
}
