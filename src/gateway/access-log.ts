// The one access-log line per request, written when the response closes, with a fixed allow-listed
// field set (STYLE §8): never headers, query strings, token text or keys. jti is hashed so lines can
// be correlated with the Vault's ledger without putting a bearer credential's id in plain sight.
import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import { ERRORS } from '../core/index.ts'
import type { GatewayMetrics } from '../observability/index.ts'
import type { RequestContext } from './request-context.ts'

/** Route label for requests that matched no route (bounded cardinality). */
export const NO_ROUTE = '(none)'

/** First 16 hex of SHA-256(jti): enough to correlate, useless to replay. */
export function jtiHash(jti: string): string {
  return createHash('sha256').update(jti).digest('hex').slice(0, 16)
}

function ms(value: number): number {
  return Math.round(value * 1000) / 1000
}

/** Status for the log: the response's, or for upgrades 101 / the refusal's status. */
export function statusOf(ctx: RequestContext): number {
  if (ctx.res !== null) return ctx.res.statusCode
  if (ctx.outcome === 'ok' || ctx.outcome === 'client_closed') return 101
  return ERRORS[ctx.outcome].status
}

export function recordRequest(ctx: RequestContext, fallbackLog: Logger, metrics: GatewayMetrics): void {
  const totalMs = performance.now() - ctx.startedAt
  const route = ctx.route
  const routeName = route === null ? NO_ROUTE : route.name
  const status = statusOf(ctx)
  metrics.requests.inc({ route: routeName, outcome: ctx.outcome })
  metrics.requestDuration.observe({ route: routeName }, totalMs / 1000)
  const claims = ctx.claims
  const line = {
    request_id: ctx.requestId,
    method: ctx.method,
    path: ctx.path,
    status,
    code: ctx.outcome,
    jti_hash: claims === null ? null : jtiHash(claims.jti),
    agent: claims === null ? null : claims.agent_id,
    tool: claims === null ? null : claims.tool,
    total_ms: ms(totalMs),
    verify_ms: ms(ctx.verifyMs),
    burn_ms: ms(ctx.burnMs),
    upstream_ms: ms(ctx.upstreamMs),
  }
  // Route loggers already carry `route`; unmatched requests get it explicitly.
  const log = route === null ? fallbackLog : route.log
  if (ctx.outcome === 'internal_error') log.error({ ...line, err: ctx.cause }, 'request')
  else if (status >= 500) log.warn(ctx.cause === null ? line : { ...line, err: ctx.cause }, 'request')
  else log.info(line, 'request')
}
