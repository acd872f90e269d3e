// Turns JWKS cache events into metrics and log lines: info when keys load, warn when degraded
// (refresh failing, serving stale keys), error when keys expired and tokens are refused.
import type { Logger } from 'pino'
import type { GatewayMetrics } from '../observability/index.ts'
import type { JwksEvent } from '../token/index.ts'

export function createJwksObserver(metrics: GatewayMetrics, log: Logger): (event: JwksEvent) => void {
  return function onJwksEvent(event: JwksEvent): void {
    switch (event.type) {
      case 'refresh':
        if (event.ok) {
          metrics.jwksRefresh.inc({ trigger: event.trigger, result: 'ok' })
          log.info({ trigger: event.trigger, keys: event.keyCount, rejected: event.rejected }, 'jwks refreshed')
          if (event.rejected > 0) log.warn({ rejected: event.rejected }, 'jwks contained keys that were refused (small-order, non-canonical or not Ed25519)')
        } else {
          metrics.jwksRefresh.inc({ trigger: event.trigger, result: 'error' })
          log.warn({ trigger: event.trigger, error: event.error }, 'jwks refresh failed; keeping the last good key set')
        }
        return
      case 'kid_miss_suppressed':
        metrics.jwksRefresh.inc({ trigger: 'kid_miss', result: 'suppressed' })
        return
      case 'stale':
        log.warn({ age_ms: event.ageMs }, 'serving stale jwks; check the Vault key endpoint')
        return
      case 'expired':
        log.error('jwks older than max_stale; refusing tokens with 503 keys_unavailable until a refresh succeeds')
        return
      default: {
        const never: never = event
        return never
      }
    }
  }
}
