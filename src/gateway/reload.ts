// What a SIGHUP reload can and cannot change (used by src/cli/serve.ts). Routes, token claim policy and
// trusted proxies are rebuilt and swapped; listeners, the Vault connection and the JWKS source are bound at start.
import type { Config, ListenerLimits } from '../config/index.ts'

/** Dotted names of settings that differ between `a` and `b` but only take effect on restart. */
export function restartOnlyChanges(a: Config, b: Config): string[] {
  const changed: string[] = []
  const check = (name: string, x: unknown, y: unknown): void => {
    if (JSON.stringify(x) !== JSON.stringify(y)) changed.push(name)
  }
  check('mode', a.mode, b.mode)
  check('gateway.listen', a.gateway.listen, b.gateway.listen)
  check('gateway.workers', a.gateway.workers, b.gateway.workers)
  check('gateway.max_header_size', a.gateway.maxHeaderBytes, b.gateway.maxHeaderBytes)
  check('gateway.request_timeout', a.gateway.requestTimeoutMs, b.gateway.requestTimeoutMs)
  checkLimits('gateway', a.gateway.limits, b.gateway.limits, check)
  check('gateway.max_header_count', a.gateway.maxHeaderCount, b.gateway.maxHeaderCount)
  check('admin.listen', a.admin.listen, b.admin.listen)
  checkLimits('admin', a.admin.limits, b.admin.limits, check)
  check('vault', a.vault, b.vault)
  check('jwks', a.jwks, b.jwks)
  check('token.replay_cache_size', a.token.replayCacheSize, b.token.replayCacheSize)
  check('logging.level', a.logging.level, b.logging.level)
  return changed
}

/** Listener timeouts and caps are applied to the server at start. request_timeout has its own check above. */
const LIMIT_KEYS: ReadonlyArray<[keyof ListenerLimits, string]> = [
  ['headersTimeoutMs', 'headers_timeout'],
  ['idleTimeoutMs', 'idle_timeout'],
  ['keepAliveTimeoutMs', 'keep_alive_timeout'],
  ['maxConnections', 'max_connections'],
  ['maxConnectionsPerIp', 'max_connections_per_ip'],
]

function checkLimits(section: string, a: ListenerLimits, b: ListenerLimits, check: (name: string, x: unknown, y: unknown) => void): void {
  for (const [field, key] of LIMIT_KEYS) check(`${section}.${key}`, a[field], b[field])
  if (section !== 'gateway') check(`${section}.request_timeout`, a.requestTimeoutMs, b.requestTimeoutMs)
}
