// The delivery worker: drains the outbox off the request path. Each due row is claimed with a lease
// (a durable, guarded update), sent with a per-attempt deadline, then settled: delivered, retried
// later (exponential backoff, full jitter), or dead-lettered once the attempt cap is reached. A crash
// mid-send leaves the lease to run out and the row is sent again: at-least-once, the event id being
// the receivers' dedupe key.
import { performance } from 'node:perf_hooks'
import type { EventLoopUtilization } from 'node:perf_hooks'
import type { Clock } from '../core/index.ts'
import type { OutboxRecord, Store } from '../store/index.ts'
import { backoffDelayMs } from './backoff.ts'
import { deliverTo } from './deliver.ts'
import type { Transports } from './deliver.ts'
import type { NotifyEvent } from './events.ts'
import type { SendResult } from './http-post.ts'
import { Notifier } from './notifier.ts'

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

/**
 * Delivery must never slow /request-clearance (issue 17), and it shares the Vault's event loop. So the
 * worker uses idle capacity: when the loop was busier than this over the last sample, it keeps one
 * send in flight and pauses between claims; otherwise it runs `concurrency` sends back to back.
 * Measured in bench/ (request-clearance-review-notify): without the brake, draining three channels
 * at full speed cost a third of the clearance rate on one core.
 */
const BUSY_UTILIZATION = 0.6
const BUSY_PAUSE_MS = 50
const UTILIZATION_SAMPLE_MS = 100
/** "Expiring soon" is a minutes-scale promise: sweep every ten polls, at most every 5 s. */
const EXPIRING_SWEEP_MAX_MS = 5_000
/** Events fanned out per pass: a few group commits' worth, so a burst is expanded in steps. */
const EXPAND_BATCH = 64
const EXPAND_BATCH_BUSY = 2

export class DeliveryWorker {
  #o: WorkerOptions
  #timer: NodeJS.Timeout | null = null
  #inflight = new Set<Promise<void>>()
  #ticking = false
  #stopped = false
  #backlog = false
  #sweptAtMs = 0
  #busy = false
  #eluMark: EventLoopUtilization = performance.eventLoopUtilization()
  #eluAtMs = 0

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
    this.#backlog = false
    try {
      const o = this.#o
      const nowMs = o.clock.now()
      if (o.expiringLeadMs !== null && nowMs - this.#sweptAtMs >= Math.min(EXPIRING_SWEEP_MAX_MS, o.pollIntervalMs * 10)) {
        this.#sweptAtMs = nowMs
        await o.notifier.sweepExpiring(nowMs, o.expiringLeadMs)
      }
      this.#sampleLoad(nowMs)
      await this.#expand(nowMs)
      const room = (this.#busy ? 1 : o.concurrency) - this.#inflight.size
      if (room <= 0) {
        this.#backlog = true
        return
      }
      const due = await o.store.listDueOutbox(nowMs, room)
      // A full page means more may be due: the next free slot looks again instead of waiting a poll.
      this.#backlog ||= due.length === room
      const leaseUntilMs = nowMs + o.attemptTimeoutMs + LEASE_SLACK_MS
      // Concurrent leases share one group-committed transaction (each guarded on its own).
      const claims = await Promise.all(due.map((row) => o.store.write([{ op: 'outbox_lease', deliveryId: row.deliveryId, atMs: nowMs, leaseUntilMs }])))
      for (let i = 0; i < due.length; i++) {
        if (this.#stopped || !claims[i]!.ok) continue
        const row = due[i]!
        const send = this.#send({ ...row, attempts: row.attempts + 1 }).catch((err: unknown) => o.onError?.(err))
        this.#inflight.add(send)
        void send.finally(() => this.#slotFreed(send))
      }
    } finally {
      this.#ticking = false
    }
  }

  /** Fans recorded events out into delivery rows (each event in its own guarded op; concurrent ops share a commit). */
  async #expand(nowMs: number): Promise<void> {
    const batch = this.#busy ? EXPAND_BATCH_BUSY : EXPAND_BATCH
    const events = await this.#o.store.listUnexpandedEvents(batch)
    if (events.length === 0) return
    await Promise.all(events.map((e) => this.#o.store.write([{ op: 'notify_event_expand', eventId: e.eventId, deliveries: Notifier.deliveriesOf(e, nowMs) }])))
    if (events.length === batch) this.#backlog = true
  }

  #slotFreed(send: Promise<void>): void {
    this.#inflight.delete(send)
    if (!this.#backlog || this.#stopped) return
    if (this.#busy) setTimeout(tickWorker, BUSY_PAUSE_MS, this).unref()
    else setImmediate(tickWorker, this)
  }

  /** Event-loop utilization since the previous sample decides whether the worker brakes. */
  #sampleLoad(nowMs: number): void {
    if (nowMs - this.#eluAtMs < UTILIZATION_SAMPLE_MS) return
    const now = performance.eventLoopUtilization()
    this.#busy = performance.eventLoopUtilization(now, this.#eluMark).utilization > BUSY_UTILIZATION
    this.#eluMark = now
    this.#eluAtMs = nowMs
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
