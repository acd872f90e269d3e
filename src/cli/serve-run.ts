// The composition root of `serve`: loads the config (all problems or nothing), opens the Vault for
// the mode (serve-vault.ts), then runs the gateway in this process or in cluster workers
// (serve-cluster.ts), the admin listener and optionally the demo echo upstream.
// SIGTERM/SIGINT drain and exit 0; SIGHUP reloads routes all-or-nothing.
import cluster from 'node:cluster'
import { rename, writeFile } from 'node:fs/promises'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { ConfigError, formatProblems, loadConfig } from '../config/index.ts'
import type { Config } from '../config/index.ts'
import { GatewayMetrics, closeServer, createAdminServer, createRootLogger, listen } from '../observability/index.ts'
import type { Logger } from '../observability/index.ts'
import { startDemoUpstream } from './demo-upstream.ts'
import { runPrimary, runWorker } from './serve-cluster.ts'
import { combinedReadiness, startGateway } from './serve-gateway.ts'
import { runUntilSignal, toAddress } from './serve-signals.ts'
import type { Address } from './serve-signals.ts'
import { openVault } from './serve-vault.ts'
import type { OpenedVault } from './serve-vault.ts'
import { DEMO_UPSTREAM_PORT } from './serve.ts'
import type { ServeOptions } from './serve.ts'

function fail(message: string): number {
  process.stderr.write(`ledgix-gateway: ${message}\n`)
  return 1
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Runs until a shutdown signal; resolves with the exit code. */
export async function serve(options: ServeOptions): Promise<number> {
  let config: Config
  try {
    config = await loadConfig(options.config)
  } catch (err) {
    if (err instanceof ConfigError) return fail(`${err.problems.length} problem(s) in ${options.config}; nothing was started:\n${formatProblems(err)}`)
    return fail(errorText(err))
  }
  const logger = createRootLogger({ level: config.logging.level })
  if (cluster.isWorker) return runWorker(config, options.config, logger)
  const log = logger.child({ component: 'serve' })

  const vault = await openVault(config, logger, null)
  if (typeof vault === 'string') return fail(vault)
  const extra: Record<string, Address> = {}
  if (vault.listener !== null) {
    extra['vault'] = vault.listener
    log.info({ listener: 'vault', mode: config.mode, ...vault.listener, data_dir: resolve(config.vaultServer.dataDir) }, 'listening')
  }
  let demo: Server | null = null
  if (options.demoUpstream !== undefined) {
    const port = options.demoUpstream === true ? DEMO_UPSTREAM_PORT : Number(options.demoUpstream)
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      await vault.close()
      return fail(`--demo-upstream: expected a port from 0 to 65535, got "${String(options.demoUpstream)}"`)
    }
    try {
      demo = await startDemoUpstream('127.0.0.1', port)
    } catch (err) {
      await vault.close()
      return fail(`cannot start the demo upstream on 127.0.0.1:${port}: ${errorText(err)}`)
    }
    extra['demo_upstream'] = { host: '127.0.0.1', port: (demo.address() as AddressInfo).port }
    log.info({ listener: 'demo-upstream', ...extra['demo_upstream'] }, 'listening')
  }
  const closeOwn = async (): Promise<void> => {
    if (demo !== null) {
      demo.closeAllConnections()
      await closeServer(demo)
    }
    await vault.close()
  }

  if (config.mode === 'vault-only') return runVaultOnly(config, options, logger, vault, extra, closeOwn)
  if (config.gateway.workers > 1) {
    return runPrimary({ config, logger, vault, extra, closeOwn, writeReady: (bound) => writeReady(options, bound) })
  }

  const metrics = new GatewayMetrics({ defaultMetrics: true })
  if (vault.writePath !== null) metrics.setWritePathSource(vault.writePath)
  if (vault.reviewSweep !== null) metrics.setReviewSweepSource(vault.reviewSweep)
  vault.registerMetrics?.(metrics.registry)
  let running
  try {
    running = await startGateway(config, options.config, vault.port, metrics, logger)
  } catch (err) {
    await closeOwn()
    return fail(`cannot start the gateway: ${errorText(err)}`)
  }
  if (vault.listenerStats !== null) metrics.addListener('vault', vault.listenerStats)
  const admin = createAdminServer({ metrics, readiness: combinedReadiness(running.gateway, vault.readiness), logger: logger.child({ component: 'admin' }), limits: config.admin.limits })
  let adminBound: Address
  try {
    adminBound = toAddress(await listen(admin, config.admin.listen.host, config.admin.listen.port))
  } catch (err) {
    await running.close()
    await closeOwn()
    return fail(`cannot listen on the admin address: ${errorText(err)}`)
  }
  log.info({ listener: 'gateway', mode: config.mode, ...running.bound, routes: config.routes.length }, 'listening')
  log.info({ listener: 'admin', ...adminBound }, 'listening')
  // /readyz answers 200 from here on, so take the signals before writing the ready file: a
  // supervisor's SIGTERM in between must drain, not kill the process outright.
  const exited = runUntilSignal(log, logger, async () => {
    await running.close()
    await closeServer(admin)
    admin.closeAllConnections()
    await closeOwn()
  }, running.reload)
  await writeReady(options, { gateway: running.bound, admin: adminBound, ...extra })
  return exited
}

/** vault-only: the Vault API plus the admin listener (health, readiness of the Vault, metrics). */
async function runVaultOnly(config: Config, options: ServeOptions, logger: Logger, vault: OpenedVault, extra: Record<string, Address>, closeOwn: () => Promise<void>): Promise<number> {
  const log = logger.child({ component: 'serve' })
  const metrics = new GatewayMetrics({ defaultMetrics: true })
  if (vault.writePath !== null) metrics.setWritePathSource(vault.writePath)
  if (vault.listenerStats !== null) metrics.addListener('vault', vault.listenerStats)
  if (vault.reviewSweep !== null) metrics.setReviewSweepSource(vault.reviewSweep)
  vault.registerMetrics?.(metrics.registry)
  const admin = createAdminServer({ metrics, readiness: vault.readiness, logger: logger.child({ component: 'admin' }), limits: config.admin.limits })
  let adminBound: Address
  try {
    adminBound = toAddress(await listen(admin, config.admin.listen.host, config.admin.listen.port))
  } catch (err) {
    await closeOwn()
    return fail(`cannot listen on the admin address: ${errorText(err)}`)
  }
  log.info({ listener: 'admin', ...adminBound }, 'listening')
  const exited = runUntilSignal(log, logger, async () => {
    await closeServer(admin)
    admin.closeAllConnections()
    await closeOwn()
  })
  await writeReady(options, { admin: adminBound, ...extra })
  return exited
}

async function writeReady(options: ServeOptions, bound: Record<string, Address>): Promise<void> {
  if (options.readyFile === undefined) return
  // Write then rename, so a reader never sees half a file.
  const tmp = `${options.readyFile}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify({ pid: process.pid, ...bound }) + '\n')
  await rename(tmp, options.readyFile)
}
