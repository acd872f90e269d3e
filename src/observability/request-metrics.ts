// The two per-request metrics (requests by route and outcome, duration by route) as plain numbers
// updated on the request path, rendered for prom-client only at scrape time. prom-client's labelled
// Counter.inc / Histogram.observe hash a label object per call (~1–2 µs of a passthrough request's
// budget); here a request costs one Map lookup, a bucket scan and three increments. The objects
// below implement prom-client's metric interface (get / getForPromString), so the registry, the
// exposition text and the cluster's AggregatorRegistry see exactly what a Counter and a Histogram
// fed the same observations would produce (test/observability/request-metrics.test.ts).

type LabelValues = Record<string, string | number>

/** One sample as prom-client's registry reads it. */
interface MetricValue {
  value: number
  labels: LabelValues
  metricName?: string
  sharedLabels?: LabelValues
}

interface MetricSnapshot {
  name: string
  help: string
  type: 'counter' | 'histogram'
  values: MetricValue[]
  aggregator: 'sum'
}

/** Requests of one (route, outcome) pair. */
class OutcomeCell {
  readonly route: string
  readonly outcome: string
  value = 0

  constructor(route: string, outcome: string) {
    this.route = route
    this.outcome = outcome
  }
}

/** Per-route state: outcome counts and one histogram row. */
class RouteStats {
  readonly route: string
  readonly outcomes = new Map<string, OutcomeCell>()
  /** Non-cumulative counts per upper bound (prom-client's layout); values above the last bound only count. */
  readonly buckets: Float64Array
  sum = 0
  count = 0
  /** The histogram row exists once a duration was observed (prom-client renders nothing before). */
  observed = false

  constructor(route: string, bucketCount: number) {
    this.route = route
    this.buckets = new Float64Array(bucketCount)
  }
}

export interface RequestMetricsOptions {
  requestsName: string
  requestsHelp: string
  durationName: string
  durationHelp: string
  /** Histogram upper bounds in seconds, ascending. */
  buckets: readonly number[]
}

/** Owns the per-route state; `counter` and `histogram` are what the registry holds. */
export class RequestMetrics {
  readonly counter: RequestCounter
  readonly histogram: DurationHistogram
  readonly bounds: readonly number[]
  /** Route → stats, in first-seen order (prom-client renders label sets in insertion order). */
  readonly #routes = new Map<string, RouteStats>()
  /** Every (route, outcome) cell in first-seen order, as prom-client's counter renders them. */
  readonly #cells: OutcomeCell[] = []

  constructor(options: RequestMetricsOptions) {
    this.bounds = [...options.buckets]
    this.counter = new RequestCounter(options.requestsName, options.requestsHelp, this)
    this.histogram = new DurationHistogram(options.durationName, options.durationHelp, this)
  }

  /** One finished request: +1 for (route, outcome) and its duration in seconds. */
  record(route: string, outcome: string, seconds: number): void {
    const stats = this.#stats(route)
    this.#cell(stats, outcome).value++
    this.#observe(stats, seconds)
  }

  /** Count requests without a duration (tests, and callers that measure nothing). */
  count(route: string, outcome: string, by = 1): void {
    this.#cell(this.#stats(route), outcome).value += by
  }

  routes(): IterableIterator<RouteStats> {
    return this.#routes.values()
  }

  cells(): readonly OutcomeCell[] {
    return this.#cells
  }

  /** Registry#resetMetrics: the counter starts again from no series. */
  resetCounts(): void {
    for (const stats of this.#routes.values()) stats.outcomes.clear()
    this.#cells.length = 0
  }

  #cell(stats: RouteStats, outcome: string): OutcomeCell {
    let cell = stats.outcomes.get(outcome)
    if (cell === undefined) {
      cell = new OutcomeCell(stats.route, outcome)
      stats.outcomes.set(outcome, cell)
      this.#cells.push(cell)
    }
    return cell
  }

  #stats(route: string): RouteStats {
    let stats = this.#routes.get(route)
    if (stats === undefined) {
      stats = new RouteStats(route, this.bounds.length)
      this.#routes.set(route, stats)
    }
    return stats
  }

  #observe(stats: RouteStats, seconds: number): void {
    // prom-client refuses non-finite values by throwing; a metric must never fail a request.
    if (!Number.isFinite(seconds)) return
    const bounds = this.bounds
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]!) {
        stats.buckets[i]!++
        break
      }
    }
    stats.sum += seconds
    stats.count++
    stats.observed = true
  }
}

/** What prom-client's registry reads of a metric: name, help, type, and the aggregator for clusters. */
abstract class ScrapedMetric {
  readonly name: string
  readonly help: string
  abstract readonly type: MetricSnapshot['type']
  readonly aggregator = 'sum' as const
  protected readonly owner: RequestMetrics

  constructor(name: string, help: string, owner: RequestMetrics) {
    this.name = name
    this.help = help
    this.owner = owner
  }

  protected snapshotOf(values: MetricValue[]): MetricSnapshot {
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator }
  }
}

/** `ledgix_gateway_requests_total{route,outcome}` as a prom-client counter. */
class RequestCounter extends ScrapedMetric {
  readonly type = 'counter' as const

  get(): Promise<MetricSnapshot> {
    const values: MetricValue[] = []
    for (const cell of this.owner.cells()) values.push({ value: cell.value, labels: { route: cell.route, outcome: cell.outcome } })
    return Promise.resolve(this.snapshotOf(values))
  }

  /** Registry#resetMetrics calls this. */
  reset(): void {
    this.owner.resetCounts()
  }
}

/** `ledgix_gateway_request_duration_seconds{route}` as a prom-client histogram. */
class DurationHistogram extends ScrapedMetric {
  readonly type = 'histogram' as const

  /** The text exposition's form: `le` in labels, the route as a shared label (prom-client's split). */
  getForPromString(): Promise<MetricSnapshot> {
    return Promise.resolve(this.#snapshot(true))
  }

  /** The JSON form (getMetricsAsJSON, the cluster aggregator): every label in `labels`. */
  get(): Promise<MetricSnapshot> {
    return Promise.resolve(this.#snapshot(false))
  }

  reset(): void {
    for (const stats of this.owner.routes()) {
      stats.buckets.fill(0)
      stats.sum = 0
      stats.count = 0
      stats.observed = false
    }
  }

  #snapshot(split: boolean): MetricSnapshot {
    const bounds = this.owner.bounds
    const bucketName = `${this.name}_bucket`
    const values: MetricValue[] = []
    for (const stats of this.owner.routes()) {
      if (!stats.observed) continue
      const route = stats.route
      let cumulative = 0
      for (let i = 0; i < bounds.length; i++) {
        cumulative += stats.buckets[i]!
        values.push(sample(bucketName, { le: bounds[i]! }, cumulative, route, split))
      }
      values.push(sample(bucketName, { le: '+Inf' }, stats.count, route, split))
      values.push(sample(`${this.name}_sum`, {}, stats.sum, route, split))
      values.push(sample(`${this.name}_count`, {}, stats.count, route, split))
    }
    return this.snapshotOf(values)
  }
}

function sample(metricName: string, labels: LabelValues, value: number, route: string, split: boolean): MetricValue {
  if (split) return { labels, sharedLabels: { route }, value, metricName }
  labels['route'] = route
  return { value, metricName, labels }
}
