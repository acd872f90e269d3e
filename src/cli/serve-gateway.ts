// The gateway half of `serve`: JWKS cache over the VaultPort, the Gateway listener and its reload.
// Used by a single process and by each cluster worker alike; it never asks which mode it is in.
import { ConfigError, loadConfig } from '../config/index.ts'
import type { Config } from '../config/index.ts'
import { systemClock } from '../core/index.ts'
import type { VaultPort } from '../core/index.ts'
import { Gateway, compileRuntime, createJwksObserver, restartOnlyChanges } from '../gateway/index.ts'
import type { GatewayMetrics, Logger } from '../observability/index.ts'
import { JwksCache } from '../token/index.ts'

export interface RunningGateway {
  gateway: Gateway
  bound: { host: string; port: number }
  /** Re-read the config file and swap routes all-or-nothing (SIGHUP). */
  reload(): Promise<void>
  /** Drain up to the current drain_timeout, then release the key cache. */
  close(): Promise<void>
}

export async function startGateway(config: Config, configFile: string, vault: VaultPort, metrics: GatewayMetrics, logger: Logger): Promise<RunningGateway> {
  const cache = new JwksCache({
    fetch: (signal) => vault.fetchJwks(signal),
    config: config.jwks,
    clock: systemClock,
    onEvent: createJwksObserver(metrics, logger.child({ component: 'jwks' })),
  })
  metrics.setKeyStatusSource(() => cache.status())
  // Give the first key fetch a bounded head start; if it is slow, /readyz says so until it lands.
  await headStart(cache.start(), config.jwks.fetchTimeoutMs)

  const gatewayLog = logger.child({ component: 'gateway' })
  const log = logger.child({ component: 'serve' })
  let gateway: Gateway
  try {
    gateway = new Gateway({
      runtime: compileRuntime(config, gatewayLog),
      keys: cache,
      vault,
      replayCacheSize: config.token.replayCacheSize,
      metrics,
      logger: gatewayLog,
      maxHeaderBytes: config.gateway.maxHeaderBytes,
      maxHeaderCount: config.gateway.maxHeaderCount,
      limits: config.gateway.limits,
    })
  } catch (err) {
    cache.close()
    throw err
  }
  let address
  try {
    address = await gateway.listen(config.gateway.listen.host, config.gateway.listen.port)
  } catch (err) {
    await gateway.drain(0)
    cache.close()
    throw err
  }

  let current = config
  const reload = async (): Promise<void> => {
    let next: Config
    try {
      next = await loadConfig(configFile)
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

  return {
    gateway,
    bound: { host: address.address, port: address.port },
    reload,
    async close() {
      log.info({ drain_timeout_ms: current.gateway.drainTimeoutMs, in_flight: gateway.inFlight }, 'draining')
      const { timedOut } = await gateway.drain(current.gateway.drainTimeoutMs)
      if (timedOut) log.warn('drain timeout reached; remaining connections were closed')
      cache.close()
    },
  }
}

/** Ready when every part is: the first reason wins. */
export function combinedReadiness(...parts: { notReadyReason(): string | null }[]): { notReadyReason(): string | null } {
  return {
    notReadyReason() {
      for (const p of parts) {
        const reason = p.notReadyReason()
        if (reason !== null) return reason
      }
      return null
    },
  }
}

/**
 * Wait for `work` at most `ms`. The timer is a ref'd one, cleared after: an unref'd one let the
 * process exit silently (code 0) when the Vault was down at boot, since nothing else was pending yet.
 */
async function headStart(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
  })
  try {
    await Promise.race([work, limit])
  } finally {
    clearTimeout(timer)
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}
