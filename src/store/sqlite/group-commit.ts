// Group commit for the SQLite writer connection: every write() queued in the same event-loop turn
// shares one BEGIN IMMEDIATE … COMMIT (one fsync under synchronous=FULL), each caller's ops run in
// their own savepoint so a failed guard rolls back only that caller, and nobody is answered before
// the COMMIT returns. The queue is bounded: a full queue rejects with `overloaded` (Tessera ErrPushback).
import type Database from 'better-sqlite3'
import { LedgixError } from '../../core/index.ts'
import type { BurnRefusal, WriteOp, WriteResult } from '../types.ts'

/** Thrown inside a savepoint to roll back one caller's ops when a guard fails. */
export class GuardFailure {
  readonly failedOp: number
  readonly opName: WriteOp['op']
  /** Only `token_burn` says why. */
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

export class GroupCommitter {
  #queue: Pending[] = []
  #scheduled = false
  #closed = false
  #options: GroupCommitOptions
  #runOne: Database.Transaction<(ops: readonly WriteOp[]) => void>
  #runBatch: Database.Transaction<(batch: Pending[], results: Array<WriteResult | Error>, side: SideWork | null) => void>
  #side: SideWork | null
  /** Number of COMMITs performed (tests and metrics read it). */
  commits = 0

  constructor(db: Database.Database, apply: OpApplier, options: GroupCommitOptions, side: SideWork | null = null) {
    this.#options = options
    this.#side = side
    // Nested db.transaction() calls run as SAVEPOINTs inside the outer transaction.
    this.#runOne = db.transaction(apply)
    this.#runBatch = db.transaction(runBatchBody.bind(null, this.#runOne))
  }

  get queued(): number {
    return this.#queue.length
  }

  submit(ops: readonly WriteOp[]): Promise<WriteResult> {
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
    while (this.#queue.length > 0 || (this.#side !== null && this.#side.pending())) {
      const batch = this.#queue.splice(0, this.#options.maxBatch)
      const results: Array<WriteResult | Error> = new Array(batch.length)
      try {
        this.#runBatch.immediate(batch, results, this.#side)
        this.commits++
      } catch (err) {
        // COMMIT itself failed (disk full, I/O error): nothing in the batch is durable.
        for (const p of batch) p.reject(err)
        break
      }
      for (let i = 0; i < batch.length; i++) {
        const r = results[i]!
        if (r instanceof Error) batch[i]!.reject(r)
        else batch[i]!.resolve(r)
      }
      if (this.#queue.length === 0) break
    }
  }

  /** Commit the remainder, then refuse further writes. */
  close(): void {
    this.flush()
    this.#closed = true
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
