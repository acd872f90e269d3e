// What a SIGHUP reload can and cannot change (used by src/cli/serve.ts). Routes, token claim policy and
// trusted proxies are rebuilt and swapped; listeners, the Vault connection and the JWKS source are bound at start.
import type { Config } from '../config/index.ts'

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
  check('gateway.max_header_count', a.gateway.maxHeaderCount, b.gateway.maxHeaderCount)
  check('admin.listen', a.admin.listen, b.admin.listen)
  check('vault', a.vault, b.vault)
  check('jwks', a.jwks, b.jwks)
  check('token.replay_cache_size', a.token.replayCacheSize, b.token.replayCacheSize)
  check('logging.level', a.logging.level, b.logging.level)
  return changed
}
