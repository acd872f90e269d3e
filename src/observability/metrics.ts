// The prom-client registry and every metric the gateway exports. One private Registry per process
// (not prom-client's global one) so tests can build many gateways side by side.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Metric } from 'prom-client'
import type { StoreStats } from '../core/index.ts'
import type { ListenerStats } from './listener-guard.ts'
import { RequestMetrics } from './request-metrics.ts'

export type ReplaySource = 'local' | 'vault'

/** Snapshot the JWKS gauges read at scrape time; null until a key source is attached. */
export interface KeySetStatus {
  keyCount: number
  ageMs: number | null
}

/** The embedded Vault's review sweeper (src/vault/reviews.ts), read at scrape time. */
export interface ReviewSweepStats {
  /** Failed attempts to finalise an expired review since start. */
  failures: number
  /** Reviews set aside because their stored content cannot be ledgered. */
  unledgerable: number
}

// Latency buckets in seconds: the gateway adds ~0.1–2 ms; upstream calls range to tens of seconds.
const REQUEST_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
// A burn is one loopback/LAN HTTP round trip: sub-ms to the 5 s Vault timeout.
const BURN_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

export class GatewayMetrics {
  readonly registry: Registry
  /** ledgix_gateway_requests_total and ledgix_gateway_request_duration_seconds (plain numbers, rendered at scrape). */
  readonly requests: RequestMetrics
  readonly jwksRefresh: Counter<'trigger' | 'result'>
  readonly jwksAge: Gauge
  readonly jwksKeys: Gauge
  readonly burnDuration: Histogram<'result'>
  readonly replayRejections: Counter<'source'>
  #keyStatus: (() => KeySetStatus) | null = null
  /** listener name (gateway, vault, admin) → its guard's counters, read at scrape time. */
  readonly #listeners = new Map<string, ListenerStats>()
  #writePath: (() => StoreStats) | null = null
  #reviewSweep: (() => ReviewSweepStats) | null = null
  #inflightBody: (() => number) | null = null

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registry = new Registry()
    this.registry = registry
    const registers = [registry]
    this.requests = new RequestMetrics({
      requestsName: 'ledgix_gateway_requests_total',
      requestsHelp: 'Requests handled by the gateway, by route and outcome (ok or an error code).',
      durationName: 'ledgix_gateway_request_duration_seconds',
      durationHelp: 'Time from request arrival to the end of the response, by route.',
      buckets: REQUEST_BUCKETS_SECONDS,
    })
    registry.registerMetric(this.requests.counter as unknown as Metric)
    registry.registerMetric(this.requests.histogram as unknown as Metric)
    this.jwksRefresh = new Counter({
      name: 'ledgix_jwks_refresh_total',
      help: 'JWKS fetches by trigger (startup, scheduled, kid_miss) and result (ok, error, suppressed).',
      labelNames: ['trigger', 'result'],
      registers,
    })
    this.jwksAge = new Gauge({
      name: 'ledgix_jwks_age_seconds',
      help: 'Seconds since the last successful JWKS fetch (-1 before the first).',
      registers,
      collect: collectJwksAge,
    })
    this.jwksKeys = new Gauge({
      name: 'ledgix_jwks_keys',
      help: 'Verification keys currently held.',
      registers,
      collect: collectJwksKeys,
    })
    this.burnDuration = new Histogram({
      name: 'ledgix_burn_duration_seconds',
      help: 'Time to burn a jti at the Vault, by result (ok or an error code).',
      labelNames: ['result'],
      buckets: BURN_BUCKETS_SECONDS,
      registers,
    })
    this.replayRejections = new Counter({
      name: 'ledgix_replay_rejections_total',
      help: 'Replayed tokens refused, by where the replay was caught (local LRU or the Vault).',
      labelNames: ['source'],
      registers,
    })
    registerListenerMetrics(registry, this.#listeners)
    // The gauges' collect callbacks run with `this` = the gauge; they find us through this map.
    OWNERS.set(this.jwksAge, this)
    OWNERS.set(this.jwksKeys, this)
    if (options.defaultMetrics === true) collectDefaultMetrics({ register: registry })
  }

  /** Export a listener's connection counters (listener-guard.ts) under `listener="<name>"`. */
  addListener(name: string, stats: ListenerStats): void {
    this.#listeners.set(name, stats)
  }

  /** Attach the key source read at scrape time (the JWKS cache status). */
  setKeyStatusSource(source: () => KeySetStatus): void {
    this.#keyStatus = source
  }

  readKeyStatus(): KeySetStatus | null {
    return this.#keyStatus === null ? null : this.#keyStatus()
  }

  /**
   * Export the embedded Vault store's write path (all-in-one and vault-only): commits, the writes
   * they carried (their ratio is the mean group-commit batch), burn-batch syncs off the event loop,
   * and whether a failed sync has failed the store. Read from `source` at scrape time only.
   */
  setWritePathSource(source: () => StoreStats): void {
    if (this.#writePath === null) {
      const registers = [this.registry]
      const counter = (name: string, help: string, read: (s: StoreStats) => number): void => {
        const metric: Counter = new Counter({
          name,
          help,
          registers,
          collect: () => {
            const stats = this.#writePath?.()
            if (stats === undefined) return
            metric.reset()
            metric.inc(read(stats))
          },
        })
      }
      counter('ledgix_store_commits_total', 'Transactions the Vault store committed (one per group-committed batch).', (s) => s.commits)
      counter('ledgix_store_writes_total', 'Durable writes those transactions carried (writes / commits = mean batch size).', (s) => s.writes)
      counter('ledgix_store_deferred_syncs_total', 'fdatasyncs of the WAL run off the event loop for batches of burns.', (s) => s.deferredSyncs)
      const failed: Gauge = new Gauge({
        name: 'ledgix_store_failed',
        help: '1 once a failed WAL sync has failed the store: every write is refused until restart (see /readyz).',
        registers,
        collect: () => {
          const stats = this.#writePath?.()
          if (stats !== undefined) failed.set(stats.failed ? 1 : 0)
        },
      })
    }
    this.#writePath = source
  }

  /**
   * Export the embedded Vault's review sweeper: failed finalisations (each one is also logged) and
   * the reviews it set aside as unledgerable. Read from `source` at scrape time only.
   */
  setReviewSweepSource(source: () => ReviewSweepStats): void {
    if (this.#reviewSweep === null) {
      const registers = [this.registry]
      const failures: Counter = new Counter({
        name: 'ledgix_vault_review_expiry_failures_total',
        help: 'Expired reviews the sweeper failed to finalise (each logged at error level with its request id).',
        registers,
        collect: () => {
          const stats = this.#reviewSweep?.()
          if (stats === undefined) return
          failures.reset()
          failures.inc(stats.failures)
        },
      })
      const setAside: Gauge = new Gauge({
        name: 'ledgix_vault_reviews_unledgerable',
        help: 'Pending reviews whose stored content the ledger cannot encode (stored by an older version): they stay pending.',
        registers,
        collect: () => {
          const stats = this.#reviewSweep?.()
          if (stats !== undefined) setAside.set(stats.unledgerable)
        },
      })
    }
    this.#reviewSweep = source
  }

  /**
   * Export the bytes of bind_args bodies this worker holds (what gateway.max_inflight_body bounds),
   * read from `source` at scrape time only.
   */
  setInflightBodySource(source: () => number): void {
    if (this.#inflightBody === null) {
      const gauge: Gauge = new Gauge({
        name: 'ledgix_gateway_inflight_body_bytes',
        help: 'Bytes of bind_args request bodies held right now (arriving, awaiting the burn, going upstream).',
        registers: [this.registry],
        collect: () => {
          const read = this.#inflightBody
          if (read !== null) gauge.set(read())
        },
      })
    }
    this.#inflightBody = source
  }

  async render(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}

const OWNERS = new WeakMap<Gauge, GatewayMetrics>()

/** Connections, refusals and timeouts per listener, copied from the guards' plain counters at scrape time. */
function registerListenerMetrics(registry: Registry, listeners: Map<string, ListenerStats>): void {
  const registers = [registry]
  const open: Gauge<'listener'> = new Gauge({
    name: 'ledgix_listener_connections',
    help: 'Open client connections, by listener (gateway, vault, admin).',
    labelNames: ['listener'],
    registers,
    collect: () => {
      for (const [name, stats] of listeners) open.set({ listener: name }, stats.open)
    },
  })
  const refused: Counter<'listener' | 'reason'> = new Counter({
    name: 'ledgix_listener_refused_connections_total',
    help: 'Connections closed on accept, by listener and reason (max_connections, max_connections_per_ip).',
    labelNames: ['listener', 'reason'],
    registers,
    collect: () => {
      refused.reset()
      for (const [name, stats] of listeners) {
        refused.inc({ listener: name, reason: 'max_connections' }, stats.refusedMaxConnections)
        refused.inc({ listener: name, reason: 'max_connections_per_ip' }, stats.refusedPerIp)
      }
    },
  })
  const timeouts: Counter<'listener' | 'kind'> = new Counter({
    name: 'ledgix_listener_timeouts_total',
    help: 'Connections cut by a timeout, by listener and kind (request: headers or body late, answered 408; idle: no traffic).',
    labelNames: ['listener', 'kind'],
    registers,
    collect: () => {
      timeouts.reset()
      for (const [name, stats] of listeners) {
        timeouts.inc({ listener: name, kind: 'request' }, stats.requestTimeouts)
        timeouts.inc({ listener: name, kind: 'idle' }, stats.idleCloses)
      }
    },
  })
}

function collectJwksAge(this: Gauge): void {
  const status = OWNERS.get(this)?.readKeyStatus() ?? null
  this.set(status === null || status.ageMs === null ? -1 : status.ageMs / 1000)
}

function collectJwksKeys(this: Gauge): void {
  const status = OWNERS.get(this)?.readKeyStatus() ?? null
  this.set(status === null ? 0 : status.keyCount)
}
