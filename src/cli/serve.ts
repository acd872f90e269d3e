// `ledgix-gateway serve -c FILE`: the composition root. Loads the config (all problems or nothing),
// builds logger, metrics, the VaultPort for the mode, the JWKS cache, the gateway and admin
// listeners; SIGTERM/SIGINT drain and exit 0, SIGHUP reloads routes all-or-nothing.
import { rename, writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { ConfigError, formatProblems, loadConfig } from '../config/index.ts'
import type { Config } from '../config/index.ts'
import { systemClock } from '../core/index.ts'
import type { VaultPort } from '../core/index.ts'
import { Gateway, RemoteVault, compileRuntime, createJwksObserver, restartOnlyChanges } from '../gateway/index.ts'
import { GatewayMetrics, closeServer, createAdminServer, createRootLogger, listen } from '../observability/index.ts'
import type { Logger } from '../observability/index.ts'
import { JwksCache } from '../token/index.ts'

/** The embedded Vault (all-in-one, vault-only), supplied by the Vault work through setServeHooks. */
export interface EmbeddedVault {
  /** The in-process VaultPort the gateway verifies and burns through. */
  port: VaultPort
  close(): Promise<void>
}

export interface ServeHooks {
  startEmbeddedVault?: (config: Config, logger: Logger) => Promise<EmbeddedVault>
}

let hooks: ServeHooks = {}

/** Wire the embedded Vault in (called by the CLI entry once src/vault provides it). */
export function setServeHooks(next: ServeHooks): void {
  hooks = next
}

export interface ServeOptions {
  config: string
  readyFile?: string
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the gateway for the configured mode (paired: gateway only, burning at a remote Vault)')
    .requiredOption('-c, --config <file>', 'YAML configuration file')
    .option(
      '--ready-file <file>',
      'once listening, write {"pid","gateway":{"host","port"},"admin":{"host","port"}} to this file (supervisors and tests read bound ports here; port 0 in the config picks a free one)',
    )
    .addHelpText('after', '\nSignals: SIGTERM/SIGINT drain in-flight requests (gateway.drain_timeout) and exit 0; SIGHUP reloads the config.')
    .action(async (options: ServeOptions) => {
      const code = await serve(options)
      process.exit(code)
    })
}

/** The VaultPort for the mode: the one place that branches on it. */
async function openVault(config: Config, logger: Logger): Promise<{ port: VaultPort; close(): Promise<void> } | string> {
  switch (config.mode) {
    case 'paired': {
      if (config.vault.url === null) return 'mode paired needs vault.url (the remote Vault\'s base URL)'
      const remote = new RemoteVault({
        url: config.vault.url,
        apiKey: config.vault.apiKey,
        timeoutMs: config.vault.timeoutMs,
        connections: config.vault.connections,
        jwksUrl: config.jwks.url,
        jwksTimeoutMs: config.jwks.fetchTimeoutMs,
      })
      return { port: remote, close: () => remote.close() }
    }
    case 'all-in-one':
    case 'vault-only':
      if (hooks.startEmbeddedVault === undefined) return `mode ${config.mode} is not available in this build yet; use mode: paired`
      return hooks.startEmbeddedVault(config, logger)
    default: {
      const never: never = config.mode
      return `unknown mode ${String(never)}`
    }
  }
}

function fail(message: string): number {
  process.stderr.write(`ledgix-gateway: ${message}\n`)
  return 1
}

/** Runs until a shutdown signal; resolves with the exit code. */
export async function serve(options: ServeOptions): Promise<number> {
  let config: Config
  try {
    config = await loadConfig(options.config)
  } catch (err) {
    if (err instanceof ConfigError) return fail(`${err.problems.length} problem(s) in ${options.config}; nothing was started:\n${formatProblems(err)}`)
    return fail(err instanceof Error ? err.message : String(err))
  }
  const logger = createRootLogger({ level: config.logging.level })
  const log = logger.child({ component: 'serve' })
  const vault = await openVault(config, logger)
  if (typeof vault === 'string') return fail(vault)
  if (config.mode === 'vault-only') {
    // The embedded Vault serves its own API; there is no proxy listener in this mode.
    return runUntilSignal(log, logger, async () => vault.close())
  }
  if (config.gateway.workers > 1) log.warn({ workers: config.gateway.workers }, 'gateway.workers > 1 is not implemented yet; running one process')

  const metrics = new GatewayMetrics({ defaultMetrics: true })
  const cache = new JwksCache({
    fetch: (signal) => vault.port.fetchJwks(signal),
    config: config.jwks,
    clock: systemClock,
    onEvent: createJwksObserver(metrics, logger.child({ component: 'jwks' })),
  })
  metrics.setKeyStatusSource(() => cache.status())
  // Give the first key fetch a bounded head start; if it is slow, /readyz says so until it lands.
  await Promise.race([cache.start(), delay(config.jwks.fetchTimeoutMs)])

  const gatewayLog = logger.child({ component: 'gateway' })
  let gateway: Gateway
  try {
    gateway = new Gateway({
      runtime: compileRuntime(config, gatewayLog),
      keys: cache,
      vault: vault.port,
      replayCacheSize: config.token.replayCacheSize,
      metrics,
      logger: gatewayLog,
      maxHeaderBytes: config.gateway.maxHeaderBytes,
      requestTimeoutMs: config.gateway.requestTimeoutMs,
    })
  } catch (err) {
    cache.close()
    await vault.close()
    return fail(err instanceof Error ? err.message : String(err))
  }
  const admin = createAdminServer({ metrics, readiness: gateway, logger: logger.child({ component: 'admin' }) })
  let bound: { gateway: { host: string; port: number }; admin: { host: string; port: number } }
  try {
    const g = await gateway.listen(config.gateway.listen.host, config.gateway.listen.port)
    const a = await listen(admin, config.admin.listen.host, config.admin.listen.port)
    bound = { gateway: { host: g.address, port: g.port }, admin: { host: a.address, port: a.port } }
  } catch (err) {
    await gateway.drain(0)
    await closeServer(admin)
    cache.close()
    await vault.close()
    return fail(`cannot listen: ${err instanceof Error ? err.message : String(err)}`)
  }
  log.info({ listener: 'gateway', mode: config.mode, host: bound.gateway.host, port: bound.gateway.port, routes: config.routes.length }, 'listening')
  log.info({ listener: 'admin', host: bound.admin.host, port: bound.admin.port }, 'listening')
  if (options.readyFile !== undefined) await writeReadyFile(options.readyFile, bound)

  let current = config
  const reload = async (): Promise<void> => {
    let next: Config
    try {
      next = await loadConfig(options.config)
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems : [{ path: '', line: null, message: String(err) }]
      for (const p of problems) log.error({ path: p.path, line: p.line, problem: p.message }, 'config reload rejected; keeping the running config')
      return
    }
    for (const key of restartOnlyChanges(current, next)) log.warn({ setting: key }, 'changed setting needs a restart; the running value stays')
    if (next.mode !== current.mode) return
    try {
      gateway.swapRuntime(compileRuntime(next, gatewayLog))
    } catch (err) {
      log.error({ problem: err instanceof Error ? err.message : String(err) }, 'config reload rejected; keeping the running config')
      return
    }
    current = next
    log.info({ routes: next.routes.length }, 'config reloaded')
  }

  return runUntilSignal(log, logger, async () => {
    log.info({ drain_timeout_ms: current.gateway.drainTimeoutMs, in_flight: gateway.inFlight }, 'draining')
    const { timedOut } = await gateway.drain(current.gateway.drainTimeoutMs)
    if (timedOut) log.warn('drain timeout reached; remaining connections were closed')
    await closeServer(admin)
    admin.closeAllConnections()
    cache.close()
    await vault.close()
  }, reload)
}

/** Block until SIGTERM/SIGINT, run `shutdown`, flush logs, resolve 0. SIGHUP runs `reload` (serialised). */
function runUntilSignal(log: Logger, root: Logger, shutdown: () => Promise<void>, reload?: () => Promise<void>): Promise<number> {
  return new Promise<number>((resolve) => {
    let reloading: Promise<void> = Promise.resolve()
    const onHup = (): void => {
      if (reload === undefined) return
      log.info('SIGHUP: reloading config')
      reloading = reloading.then(reload, reload)
    }
    const onStop = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onStop)
      process.off('SIGINT', onStop)
      process.off('SIGHUP', onHup)
      log.info({ signal }, 'shutting down')
      shutdown()
        .catch((err: unknown) => log.error({ err }, 'error during shutdown'))
        .finally(() => {
          log.info('stopped')
          root.flush(() => resolve(0))
        })
    }
    process.on('SIGTERM', onStop)
    process.on('SIGINT', onStop)
    process.on('SIGHUP', onHup)
  })
}

async function writeReadyFile(file: string, bound: object): Promise<void> {
  // Write then rename, so a reader never sees half a file.
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify({ pid: process.pid, ...bound }) + '\n')
  await rename(tmp, file)
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}
