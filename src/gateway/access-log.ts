// The one access-log line per request, written when the response closes, with a fixed allow-listed
// field set (STYLE §8): never headers, query strings, token text or keys. jti is hashed so lines can
// be correlated with the Vault's ledger without putting a bearer credential's id in plain sight.
import { hash } from 'node:crypto'
import type { Logger } from 'pino'
import { ERRORS } from '../core/index.ts'
import { isoTimeField, rawLineTarget } from '../observability/index.ts'
import type { GatewayMetrics, LineSink } from '../observability/index.ts'
import type { RequestContext } from './request-context.ts'

/** Route label for requests that matched no route (bounded cardinality). */
export const NO_ROUTE = '(none)'

/**
 * Where one logger's access lines go, built once per route at load (and once for unrouted
 * requests). The line is assembled as a string with the logger's own pre-rendered bindings: the
 * fields below are a fixed allow-list, so pino's redaction pass could never change one, and its
 * generic serialiser cost more than the whole routing step (see bench/README.md "What limits us").
 */
export class AccessTarget {
  readonly log: Logger
  readonly #sink: LineSink
  /** `,"service":…,"component":…,"route":…,"request_id":"` */
  readonly #head: string

  constructor(log: Logger) {
    this.log = log
    const raw = rawLineTarget(log)
    this.#sink = raw.sink
    this.#head = `${raw.bindings},"request_id":"`
  }

  /** The line for a request with no cause to report; `level` is 'info' or 'warn'. */
  write(ctx: RequestContext, level: 'info' | 'warn', status: number, totalMs: number): void {
    const claims = ctx.claims
    let line =
      (level === 'info' ? INFO_OPEN : WARN_OPEN) +
      isoTimeField(Date.now()) +
      this.#head +
      ctx.requestId +
      '","method":' +
      JSON.stringify(ctx.method) +
      ',"path":' +
      JSON.stringify(ctx.path) +
      ',"status":' +
      status +
      ',"code":"' +
      ctx.outcome +
      '"'
    if (claims === null) line += ',"jti_hash":null,"agent":null,"tool":null'
    else line += ',"jti_hash":"' + jtiHash(claims.jti) + '","agent":' + JSON.stringify(claims.agent_id) + ',"tool":' + JSON.stringify(claims.tool)
    line +=
      ',"total_ms":' +
      ms(totalMs) +
      ',"verify_ms":' +
      ms(ctx.verifyMs) +
      ',"burn_ms":' +
      ms(ctx.burnMs) +
      ',"upstream_ms":' +
      ms(ctx.upstreamMs) +
      ',"msg":"request"}\n'
    this.#sink.writeLine(line)
  }
}

const INFO_OPEN = '{"level":"info",'
const WARN_OPEN = '{"level":"warn",'

/** First 16 hex of SHA-256(jti): enough to correlate, useless to replay. */
export function jtiHash(jti: string): string {
  return hash('sha256', jti, 'hex').slice(0, 16)
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

export function recordRequest(ctx: RequestContext, fallback: AccessTarget, metrics: GatewayMetrics): void {
  const totalMs = performance.now() - ctx.startedAt
  const route = ctx.route
  const status = statusOf(ctx)
  metrics.requests.record(route === null ? NO_ROUTE : route.name, ctx.outcome, totalMs / 1000)
  // Route targets already carry `route` in their bindings; unmatched requests bind it as null.
  const target = route === null ? fallback : route.access
  const level = ctx.outcome === 'internal_error' ? 'error' : status >= 500 ? 'warn' : 'info'
  if (!target.log.isLevelEnabled(level)) return
  if (level === 'info' || (level === 'warn' && ctx.cause === null)) {
    target.write(ctx, level, status, totalMs)
    return
  }
  // Rare: a failure with a cause goes through pino, whose error serialiser and redaction apply.
  const claims = ctx.claims
  target.log[level](
    {
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
      err: ctx.cause,
    },
    'request',
  )
}
