import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AggregatorRegistry, Counter, Histogram, Registry } from 'prom-client'
import type { Metric } from 'prom-client'
import { RequestMetrics } from '../../src/observability/request-metrics.ts'

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
const NAMES = {
  requestsName: 'ledgix_gateway_requests_total',
  requestsHelp: 'Requests handled by the gateway, by route and outcome (ok or an error code).',
  durationName: 'ledgix_gateway_request_duration_seconds',
  durationHelp: 'Time from request arrival to the end of the response, by route.',
}

/** The reference: prom-client's own Counter and Histogram, as the gateway used them before. */
function referencePair(): { registry: Registry; record: (route: string, outcome: string, seconds: number) => void } {
  const registry = new Registry()
  const counter = new Counter({ name: NAMES.requestsName, help: NAMES.requestsHelp, labelNames: ['route', 'outcome'], registers: [registry] })
  const histogram = new Histogram({ name: NAMES.durationName, help: NAMES.durationHelp, labelNames: ['route'], buckets: BUCKETS, registers: [registry] })
  return {
    registry,
    record(route, outcome, seconds) {
      counter.inc({ route, outcome })
      histogram.observe({ route }, seconds)
    },
  }
}

function ours(): { registry: Registry; metrics: RequestMetrics } {
  const registry = new Registry()
  const metrics = new RequestMetrics({ ...NAMES, buckets: BUCKETS })
  registry.registerMetric(metrics.counter as unknown as Metric)
  registry.registerMetric(metrics.histogram as unknown as Metric)
  return { registry, metrics }
}

/** Deterministic observations: several routes and outcomes, values on, between and beyond the bounds. */
function observations(seed: number, n: number): Array<[string, string, number]> {
  let x = seed
  const next = (): number => {
    x = (x * 1103515245 + 12345) % 2147483648
    return x / 2147483648
  }
  const routes = ['stripe', '(none)', 'crm', 'admin "ops"\\x']
  const outcomes = ['ok', 'token_replayed', 'upstream_unavailable', 'client_closed']
  const out: Array<[string, string, number]> = []
  for (let i = 0; i < n; i++) {
    const r = next()
    const seconds = r < 0.1 ? BUCKETS[Math.floor(next() * BUCKETS.length)]! : r < 0.15 ? 31 + next() * 100 : next() ** 4 * 3
    out.push([routes[Math.floor(next() * routes.length)]!, outcomes[Math.floor(next() ** 3 * outcomes.length)]!, seconds])
  }
  return out
}

/** prom-client's JSON carries `exemplar: null|undefined` on histogram samples; nothing reads it. */
function withoutExemplars(json: unknown): unknown {
  return JSON.parse(JSON.stringify(json, (key, value: unknown) => (key === 'exemplar' ? undefined : value)))
}

test('request metrics render exactly as prom-client Counter + Histogram fed the same observations', async () => {
  const reference = referencePair()
  const mine = ours()
  for (const [route, outcome, seconds] of observations(7, 5_000)) {
    reference.record(route, outcome, seconds)
    mine.metrics.record(route, outcome, seconds)
  }
  const text = await mine.registry.metrics()
  assert.equal(text, await reference.registry.metrics())
  assert.match(text, /ledgix_gateway_request_duration_seconds_bucket\{le="\+Inf",route="stripe"\} \d+/)
  assert.deepEqual(withoutExemplars(await mine.registry.getMetricsAsJSON()), withoutExemplars(await reference.registry.getMetricsAsJSON()))
})

test('an empty RequestMetrics renders the HELP and TYPE lines only, like unused prom-client metrics', async () => {
  assert.equal(await ours().registry.metrics(), await referencePair().registry.metrics())
})

test('cluster aggregation (AggregatorRegistry) sums our metrics across workers as it sums prom-client ones', async () => {
  const references = [referencePair(), referencePair()]
  const mine = [ours(), ours()]
  observations(11, 800).forEach(([route, outcome, seconds], i) => {
    references[i % 2]!.record(route, outcome, seconds)
    mine[i % 2]!.metrics.record(route, outcome, seconds)
  })
  const aggregate = async (registries: Registry[]): Promise<string> =>
    AggregatorRegistry.aggregate((await Promise.all(registries.map((r) => r.getMetricsAsJSON()))) as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics()
  const text = await aggregate(mine.map((m) => m.registry))
  assert.equal(text, await aggregate(references.map((r) => r.registry)))
  assert.match(text, /ledgix_gateway_requests_total\{route="stripe",outcome="ok"\} \d+/)
})

test('resetMetrics clears counts and histogram rows; later observations start from zero', async () => {
  const mine = ours()
  const reference = referencePair()
  for (const [route, outcome, seconds] of observations(3, 200)) mine.metrics.record(route, outcome, seconds)
  mine.registry.resetMetrics()
  assert.equal(await mine.registry.metrics(), await reference.registry.metrics())
  mine.metrics.record('crm', 'ok', 0.004)
  reference.record('crm', 'ok', 0.004)
  assert.equal(await mine.registry.metrics(), await reference.registry.metrics())
})

test('a non-finite duration is counted as a request but never breaks the request path', async () => {
  const mine = ours()
  assert.doesNotThrow(() => mine.metrics.record('crm', 'ok', Number.NaN))
  mine.metrics.count('crm', 'ok', 2)
  const text = await mine.registry.metrics()
  assert.match(text, /ledgix_gateway_requests_total\{route="crm",outcome="ok"\} 3/)
  assert.doesNotMatch(text, /request_duration_seconds_count/)
})
