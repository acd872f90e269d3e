// `gateway.workers: N|auto`: node:cluster runs the gateway listener in N workers sharing one port
// (the primary accepts and hands connections round-robin). The primary keeps the embedded Vault
// (all-in-one: store, key ring, Vault API), the admin listener and the demo upstream; workers burn
// through it over IPC (src/gateway/cluster.ts), so the store stays the single authority on a jti.
// In paired mode each worker burns at the remote Vault directly.
import cluster from 'node:cluster'
import type { Worker } from 'node:cluster'
import { AggregatorRegistry } from 'prom-client'
import type { Config } from '../config/index.ts'
import { serveVaultOverIpc } from '../gateway/index.ts'
import type { IpcEndpoint } from '../gateway/index.ts'
import { GatewayMetrics, closeServer, createAdminServer, listen } from '../observability/index.ts'
import type { Logger, Readiness } from '../observability/index.ts'
import { runUntilSignal, toAddress } from './serve-signals.ts'
import type { Address } from './serve-signals.ts'
import { delay, startGateway } from './serve-gateway.ts'
import { openVault } from './serve-vault.ts'
import type { OpenedVault } from './serve-vault.ts'

/** Workers re-send their readiness this often; the primary's /readyz reads the last report. */
const STATUS_INTERVAL_MS = 500
/** A worker's metrics answer must arrive within this for a scrape; late ones are left out. */
const METRICS_TIMEOUT_MS = 1000
/** Past drain_timeout, a worker that has not exited is killed. */
const EXIT_GRACE_MS = 5000

type WorkerMessage =
  | { t: 'ledgix:listening'; host: string; port: number }
  | { t: 'ledgix:status'; reason: string | null }
  | { t: 'ledgix:metrics-reply'; id: number; metrics: unknown[] }

interface WorkerState {
  listening: Address | null
  reason: string | null
  detach: () => void
}

export interface PrimaryOptions {
  config: Config
  logger: Logger
  vault: OpenedVault
  extra: Record<string, Address>
  closeOwn: () => Promise<void>
  writeReady: (bound: Record<string, Address>) => Promise<void>
}

function isMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && typeof (m as { t?: unknown }).t === 'string'
}

/** /metrics in the primary: every worker's registry plus its own, summed by prom-client's aggregator. */
class ClusterMetrics extends GatewayMetrics {
  readonly #workers: () => Iterable<Worker>
  #nextId = 1

  constructor(workers: () => Iterable<Worker>) {
    super({ defaultMetrics: true })
    this.#workers = workers
  }

  override async render(): Promise<string> {
    const parts = await Promise.all([...this.#workers()].map((w) => this.#ask(w)))
    const all = [await this.registry.getMetricsAsJSON(), ...parts.filter((p) => p !== null)]
    return AggregatorRegistry.aggregate(all as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics()
  }

  #ask(worker: Worker): Promise<unknown[] | null> {
    const id = this.#nextId++
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(null), METRICS_TIMEOUT_MS)
      const onMessage = (m: unknown): void => {
        if (isMessage(m) && m.t === 'ledgix:metrics-reply' && m.id === id) done(m.metrics)
      }
      const done = (value: unknown[] | null): void => {
        clearTimeout(timer)
        worker.off('message', onMessage)
        resolve(value)
      }
      worker.on('message', onMessage)
      try {
        worker.send({ t: 'ledgix:metrics', id })
      } catch {
        done(null)
      }
    })
  }
}

export async function runPrimary(o: PrimaryOptions): Promise<number> {
  const { config, logger, vault } = o
  const log = logger.child({ component: 'cluster' })
  const count = config.gateway.workers
  const states = new Map<Worker, WorkerState>()
  let stopping = false
  let startupFailure: ((reason: string) => void) | null = null

  const fork = (): Worker => {
    const worker = cluster.fork()
    const state: WorkerState = { listening: null, reason: 'starting', detach: () => undefined }
    if (vault.servesWorkers) state.detach = serveVaultOverIpc(worker as unknown as IpcEndpoint, vault.port)
    states.set(worker, state)
    worker.on('message', (m: unknown) => {
      if (!isMessage(m)) return
      if (m.t === 'ledgix:listening') state.listening = { host: m.host, port: m.port }
      else if (m.t === 'ledgix:status') state.reason = m.reason
    })
    worker.once('exit', (code, signal) => {
      state.detach()
      states.delete(worker)
      if (stopping) return
      if (state.listening === null && startupFailure !== null) {
        startupFailure(`gateway worker exited during startup (code ${code ?? signal}); see its log above`)
        return
      }
      log.error({ worker: worker.id, code, signal }, 'gateway worker died; starting a replacement')
      fork()
    })
    return worker
  }

  const started = new Promise<string | null>((resolveStart) => {
    startupFailure = resolveStart
    for (let i = 0; i < count; i++) fork()
    const check = (): void => {
      if ([...states.values()].every((s) => s.listening !== null) && states.size === count) resolveStart(null)
      else if (startupFailure !== null) setTimeout(check, 20).unref()
    }
    check()
  })
  const failure = await started
  startupFailure = null
  if (failure !== null) {
    stopping = true
    await stopWorkers(states, 0)
    await o.closeOwn()
    process.stderr.write(`ledgix-gateway: ${failure}\n`)
    return 1
  }
  const gatewayBound = [...states.values()][0]!.listening!

  const readiness: Readiness = {
    notReadyReason() {
      if (stopping) return 'draining'
      if (states.size < count) return 'workers_starting'
      for (const s of states.values()) if (s.reason !== null) return s.reason
      return vault.readiness.notReadyReason()
    },
  }
  const metrics = new ClusterMetrics(() => states.keys())
  // The store lives in this process: its write path is reported here, beside the workers' metrics.
  if (vault.writePath !== null) metrics.setWritePathSource(vault.writePath)
  if (vault.listenerStats !== null) metrics.addListener('vault', vault.listenerStats)
  if (vault.reviewSweep !== null) metrics.setReviewSweepSource(vault.reviewSweep)
  vault.registerMetrics?.(metrics.registry)
  const admin = createAdminServer({ metrics, readiness, logger: logger.child({ component: 'admin' }), limits: config.admin.limits })
  let adminBound: Address
  try {
    adminBound = toAddress(await listen(admin, config.admin.listen.host, config.admin.listen.port))
  } catch (err) {
    stopping = true
    await stopWorkers(states, 0)
    await o.closeOwn()
    process.stderr.write(`ledgix-gateway: cannot listen on the admin address: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
  log.info({ listener: 'gateway', mode: config.mode, ...gatewayBound, workers: count, routes: config.routes.length }, 'listening')
  log.info({ listener: 'admin', ...adminBound }, 'listening')
  // Signals first: /readyz already answers 200 (see serve-run.ts).
  const exited = runUntilSignal(
    log,
    logger,
    async () => {
      stopping = true
      await stopWorkers(states, config.gateway.drainTimeoutMs + EXIT_GRACE_MS)
      await closeServer(admin)
      admin.closeAllConnections()
      await o.closeOwn()
    },
    async () => {
      for (const worker of states.keys()) worker.process.kill('SIGHUP')
    },
  )
  await o.writeReady({ gateway: gatewayBound, admin: adminBound, ...o.extra })
  return exited
}

/** SIGTERM every worker (each drains), wait up to `graceMs`, then SIGKILL what is left. */
async function stopWorkers(states: Map<Worker, WorkerState>, graceMs: number): Promise<void> {
  const exits = [...states.keys()].map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r()))))
  for (const worker of states.keys()) if (!worker.isDead()) worker.process.kill(graceMs === 0 ? 'SIGKILL' : 'SIGTERM')
  const all = Promise.all(exits).then(() => true)
  if (!(await Promise.race([all, delay(Math.max(graceMs, 1000)).then(() => false)]))) {
    for (const worker of states.keys()) if (!worker.isDead()) worker.process.kill('SIGKILL')
    await all
  }
}

/** A cluster worker: the gateway listener only, keys and burns from `openVault` (IPC or remote). */
export async function runWorker(config: Config, configFile: string, root: Logger): Promise<number> {
  const id = cluster.worker?.id ?? 0
  const logger = root.child({ worker: id })
  const log = logger.child({ component: 'serve' })
  const channel = process as unknown as IpcEndpoint
  const vault = await openVault(config, logger, channel)
  if (typeof vault === 'string') {
    log.error({ problem: vault }, 'worker cannot start')
    return 1
  }
  const metrics = new GatewayMetrics({ defaultMetrics: true })
  let running
  try {
    running = await startGateway(config, configFile, vault.port, metrics, logger)
  } catch (err) {
    log.error({ problem: err instanceof Error ? err.message : String(err) }, 'worker cannot listen')
    await vault.close()
    return 1
  }
  const gateway = running.gateway
  process.send?.({ t: 'ledgix:listening', ...running.bound })
  let lastReason: string | null | undefined
  const report = (): void => {
    const reason = gateway.notReadyReason()
    if (reason === lastReason) return
    lastReason = reason
    process.send?.({ t: 'ledgix:status', reason })
  }
  report()
  const reporter = setInterval(report, STATUS_INTERVAL_MS)
  reporter.unref()
  const onMessage = (m: unknown): void => {
    if (typeof m !== 'object' || m === null || (m as { t?: unknown }).t !== 'ledgix:metrics') return
    const requestId = (m as { id: number }).id
    void metrics.registry.getMetricsAsJSON().then((json) => process.send?.({ t: 'ledgix:metrics-reply', id: requestId, metrics: json }))
  }
  process.on('message', onMessage)
  // The primary is gone (crash or kill): drain and leave rather than serve without a Vault.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'))
  return runUntilSignal(log, root, async () => {
    clearInterval(reporter)
    process.off('message', onMessage)
    await running.close()
    await vault.close()
  }, running.reload)
}
