// Idempotency-Key on /request-clearance, /mint-token and /register-policy (spec §2): the client
// reuses one key across retries, so (tenant, route, key) + a hash of the body decide between
// "new", "replay the stored response" and 409. The record is written in the same transaction as
// the work it describes; an in-process map serialises concurrent retries of one key.
import type { TenantId } from '../core/index.ts'
import type { IdempotencyRecord, Store, WriteOp } from '../store/index.ts'
import { canonicalHash } from '../token/index.ts'

/** Keys are UUIDs from the client; bound what we store and index. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255

export interface IdempotencyStamp {
  tenantId: TenantId
  route: string
  key: string
  bodyHash: string
}

export type IdempotencyCheck =
  | { kind: 'new' }
  | { kind: 'replay'; record: IdempotencyRecord }
  | { kind: 'conflict' }

export function bodyHash(body: unknown): string {
  return canonicalHash(body ?? null)
}

export function idempotencyOp(stamp: IdempotencyStamp, requestId: string | null, statusCode: number, response: unknown, nowMs: number): WriteOp {
  return {
    op: 'idempotency_insert',
    record: {
      tenantId: stamp.tenantId,
      route: stamp.route,
      key: stamp.key,
      bodyHash: stamp.bodyHash,
      requestId,
      statusCode,
      responseJson: JSON.stringify(response),
      createdAtMs: nowMs,
    },
  }
}

export class IdempotencyGate {
  #store: Store
  #inflight = new Map<string, Promise<void>>()

  constructor(store: Store) {
    this.#store = store
  }

  async check(stamp: IdempotencyStamp): Promise<IdempotencyCheck> {
    const record = await this.#store.getIdempotency(stamp.tenantId, stamp.route, stamp.key)
    if (record === null) return { kind: 'new' }
    return record.bodyHash === stamp.bodyHash ? { kind: 'replay', record } : { kind: 'conflict' }
  }

  /**
   * Run `work` as the only holder of this key in the process: a retry arriving while the first
   * attempt still runs waits for it, then sees its stored record.
   */
  async exclusive<T>(stamp: IdempotencyStamp, work: (check: IdempotencyCheck) => Promise<T>): Promise<T> {
    const slot = `${stamp.tenantId}\u0000${stamp.route}\u0000${stamp.key}`
    for (;;) {
      const running = this.#inflight.get(slot)
      if (running === undefined) break
      await running
    }
    let release!: () => void
    this.#inflight.set(slot, new Promise<void>((resolve) => (release = resolve)))
    try {
      return await work(await this.check(stamp))
    } finally {
      this.#inflight.delete(slot)
      release()
    }
  }
}
