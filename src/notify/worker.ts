// The delivery worker: drains the outbox off the request path. Each due row is claimed with a lease
// (a durable, guarded update), sent with a per-attempt deadline, then settled: delivered, retried
// later (exponential backoff, full jitter), or dead-lettered once the attempt cap is reached. A crash
// mid-send leaves the lease to run out and the row is sent again: at-least-once, the event id being
// the receivers' dedupe key.
import type { Clock } from '../core/index.ts'
import type { OutboxRecord, Store } from '../store/index.ts'
import { backoffDelayMs } from './backoff.ts'
import { deliverTo } from './deliver.ts'
import type { Transports } from './deliver.ts'
import type { NotifyEvent } from './events.ts'
import type { SendResult } from './http-post.ts'
import type { Notifier } from './notifier.ts'

export interface WorkerOptions {
  store: Store
  clock: Clock
  notifier: Notifier
  transports: Transports
  maxAttempts: number
  attemptTimeoutMs: number
  backoffBaseMs: number
  backoffMaxMs: number
  pollIntervalMs: number
  concurrency: number
  /** "Expiring soon" lead; null = not swept. */
  expiringLeadMs: number | null
  random?: () => number
  onResult?: (row: OutboxRecord, result: SendResult, durationMs: number, settled: 'delivered' | 'retry' | 'dead') => void
  onError?: (err: unknown) => void
}

/** A lease outlives the attempt's deadline by this much, so a live worker never loses its row. */
const LEASE_SLACK_MS = 2_000

export class DeliveryWorker {
  #o: WorkerOptions
  #timer: NodeJS.Timeout | null = null
  #inflight = new Set<Promise<void>>()
  #ticking = false
  #stopped = false

  constructor(options: WorkerOptions) {
    this.#o = options
  }

  start(): void {
    if (this.#timer !== null) return
    this.#timer = setInterval(tickWorker, this.#o.pollIntervalMs, this)
    this.#timer.unref()
    tickWorker(this)
  }

  /** Stop polling and wait for the sends in flight (their rows settle; unsent rows stay pending). */
  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    await Promise.allSettled([...this.#inflight])
  }

  get inflight(): number {
    return this.#inflight.size
  }

  /** One pass: sweep "expiring soon", then claim and start sends up to the concurrency limit. */
  async tick(): Promise<void> {
    if (this.#ticking || this.#stopped) return
    this.#ticking = true
    try {
      const o = this.#o
      const nowMs = o.clock.now()
      if (o.expiringLeadMs !== null) await o.notifier.sweepExpiring(nowMs, o.expiringLeadMs)
      const room = o.concurrency - this.#inflight.size
      if (room <= 0) return
      for (const row of await o.store.listDueOutbox(nowMs, room)) {
        if (this.#stopped) break
        const leaseUntilMs = nowMs + o.attemptTimeoutMs + LEASE_SLACK_MS
        const claimed = await o.store.write([{ op: 'outbox_lease', deliveryId: row.deliveryId, atMs: nowMs, leaseUntilMs }])
        if (!claimed.ok) continue
        const send = this.#send({ ...row, attempts: row.attempts + 1 }).catch((err: unknown) => o.onError?.(err))
        this.#inflight.add(send)
        void send.finally(() => this.#inflight.delete(send))
      }
    } finally {
      this.#ticking = false
    }
  }

  async #send(row: OutboxRecord): Promise<void> {
    const o = this.#o
    const started = o.clock.now()
    const channel = await o.notifier.channel(row.tenantId, row.channelId)
    let result: SendResult
    if (channel === null) {
      result = { ok: false, statusCode: null, error: 'channel removed or disabled', retryAfterMs: null, permanent: true }
    } else {
      const event = JSON.parse(row.payloadJson) as NotifyEvent
      result = await deliverTo(o.transports, channel, event, row.payloadJson, {
        deliveryId: row.deliveryId,
        attempt: row.attempts,
        nowMs: started,
        timeoutMs: o.attemptTimeoutMs,
      })
    }
    const nowMs = o.clock.now()
    const settled = result.ok ? 'delivered' : result.permanent || row.attempts >= o.maxAttempts ? 'dead' : 'retry'
    const delay = settled === 'retry' ? backoffDelayMs(row.attempts, o.backoffBaseMs, o.backoffMaxMs, o.random ?? Math.random, result.retryAfterMs) : 0
    await o.store.write([
      {
        op: 'outbox_settle',
        deliveryId: row.deliveryId,
        status: settled === 'retry' ? 'pending' : settled,
        nextAttemptAtMs: nowMs + delay,
        lastStatusCode: result.statusCode,
        lastError: result.error,
        atMs: nowMs,
      },
    ])
    o.onResult?.(row, result, nowMs - started, settled)
  }
}

function tickWorker(worker: DeliveryWorker): void {
  worker.tick().catch(() => undefined)
}
