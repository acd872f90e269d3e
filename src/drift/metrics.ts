// Drift metrics in the process's /metrics registry, read from the monitor at scrape time: agents per
// level (learning apart), evaluations by trigger (request, idle timer), events, automatic lockdowns,
// and observations shed by the bounded queue. No agent id is ever a label: agent ids are the
// caller's choice, so as labels they would let one API key grow the series without bound.
import { Counter, Gauge } from 'prom-client'
import type { Registry } from 'prom-client'
import type { DriftMonitor } from './monitor.ts'

const registered = new WeakMap<Registry, true>()

export function registerDriftMetrics(registry: Registry, monitor: DriftMonitor): void {
  if (registered.has(registry)) return
  registered.set(registry, true)
  const registers = [registry]
  const agents: Gauge<'level'> = new Gauge({
    name: 'ledgix_drift_agents',
    help: 'Agents tracked by drift detection, by level (learning = baseline not yet established; normal, watch, alert, critical).',
    labelNames: ['level'],
    registers,
    collect: () => {
      for (const [level, n] of Object.entries(monitor.levelCounts())) agents.set({ level }, n)
    },
  })
  const evaluations: Counter<'trigger'> = new Counter({
    name: 'ledgix_drift_evaluations_total',
    help: 'Drift evaluations of active agents, by trigger: request (a clearance was observed) or idle (the idle re-evaluation timer).',
    labelNames: ['trigger'],
    registers,
    collect: () => {
      evaluations.reset()
      evaluations.inc({ trigger: 'request' }, monitor.counters.evaluations.request)
      evaluations.inc({ trigger: 'idle' }, monitor.counters.evaluations.idle)
    },
  })
  const plain = (name: string, help: string, read: () => number): void => {
    const metric: Counter = new Counter({
      name,
      help,
      registers,
      collect: () => {
        metric.reset()
        metric.inc(read())
      },
    })
  }
  plain('ledgix_drift_lockdowns_total', 'Automatic drift lockdowns recorded (enforce mode, corroborated critical).', () => monitor.counters.lockdowns)
  plain('ledgix_drift_events_total', 'Drift events recorded and ledgered (baseline, level changes, lockdowns).', () => monitor.counters.events)
  plain('ledgix_drift_observations_dropped_total', 'Clearance observations shed because the drift queue was full (the request never waits).', () => monitor.dropped)
}
