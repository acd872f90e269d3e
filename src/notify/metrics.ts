// Notification delivery metrics (issue 17), registered into the process's /metrics registry:
// per channel type (bounded: webhook, slack, email) sent/failed/retried/dead-lettered counters and
// attempt latency; outbox depth, dead letters and the oldest undelivered row's age read at scrape.
import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'
import type { Clock } from '../core/index.ts'
import type { OutboxDepth, OutboxRecord, Store } from '../store/index.ts'
import type { SendResult } from './http-post.ts'

// One attempt: a loopback receiver answers in a millisecond, a slow one up to attempt_timeout.
const ATTEMPT_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

export class NotifyMetrics {
  readonly attempts: Counter<'channel' | 'outcome'>
  readonly duration: Histogram<'channel'>

  constructor(registry: Registry, store: Store, clock: Clock) {
    const registers = [registry]
    this.attempts = new Counter({
      name: 'ledgix_notify_attempts_total',
      help: 'Notification delivery attempts by channel type and outcome: sent; failed (every failed attempt), of which retried (rescheduled) or dead_lettered (given up).',
      labelNames: ['channel', 'outcome'],
      registers,
    })
    this.duration = new Histogram({
      name: 'ledgix_notify_attempt_duration_seconds',
      help: 'Duration of one notification delivery attempt by channel type.',
      labelNames: ['channel'],
      buckets: ATTEMPT_BUCKETS_SECONDS,
      registers,
    })
    // One depth query per scrape, shared by the three gauges (each collect() asks; the first fetches).
    let pending: Promise<OutboxDepth> | null = null
    const depth = (): Promise<OutboxDepth> => {
      pending ??= store.outboxDepth().finally(() => {
        setImmediate(() => {
          pending = null
        })
      })
      return pending
    }
    new Gauge({
      name: 'ledgix_notify_outbox_depth',
      help: 'Notification deliveries waiting to be sent (pending, including retries).',
      registers,
      async collect() {
        this.set((await depth()).pending)
      },
    })
    new Gauge({
      name: 'ledgix_notify_dead_letters',
      help: 'Notification deliveries dead-lettered and not retried.',
      registers,
      async collect() {
        this.set((await depth()).dead)
      },
    })
    new Gauge({
      name: 'ledgix_notify_oldest_undelivered_age_seconds',
      help: 'Age of the oldest pending notification delivery (0 when none is pending).',
      registers,
      async collect() {
        const oldest = (await depth()).oldestPendingAtMs
        this.set(oldest === null ? 0 : Math.max(0, (clock.now() - oldest) / 1000))
      },
    })
  }

  /** The worker's per-attempt hook. */
  record(row: OutboxRecord, result: SendResult, durationMs: number, settled: 'delivered' | 'retry' | 'dead'): void {
    const outcome = settled === 'delivered' ? 'sent' : settled === 'retry' ? 'retried' : 'dead_lettered'
    this.attempts.inc({ channel: row.channelType, outcome })
    if (!result.ok) this.attempts.inc({ channel: row.channelType, outcome: 'failed' })
    this.duration.observe({ channel: row.channelType }, durationMs / 1000)
  }
}
