// The one access-log line per request, written when the response closes, with a fixed allow-listed
// field set (STYLE §8): never headers, query strings, token text or keys. jti is hashed so lines can
// be correlated with the Vault's ledger without putting a bearer credential's id in plain sight.
import { hash } from 'node:crypto'
import type { Logger } from 'pino'
import { ERRORS } from '../core/index.ts'
import {
  NUMBER_MAX_BYTES,
  TIME_FIELD_MAX_BYTES,
  jsonStringMaxBytes,
  putAscii,
  putBytes,
  putJsonString,
  putMillis,
  putTimeField,
  putUint,
  rawLineTarget,
  utf8Bytes,
} from '../observability/index.ts'
import type { GatewayMetrics, LineSink } from '../observability/index.ts'
import type { RequestContext } from './request-context.ts'

/** Route label for requests that matched no route (bounded cardinality). */
export const NO_ROUTE = '(none)'

/**
 * Where one logger's access lines go, built once per route at load (and once for unrouted
 * requests). The line is written as bytes straight into the log slab, with the logger's own
 * pre-rendered bindings: the fields below are a fixed allow-list, so pino's redaction pass could
 * never change one, and its generic serialiser cost more than the whole routing step. Bytes rather
 * than a string rope of ~25 pieces that is flattened and then encoded: 0.9–1.7 µs per line against
 * 1.5–2.3 µs in a bundled hot loop (bench/README.md "What limits us").
 */
export class AccessTarget {
  readonly log: Logger
  readonly #sink: LineSink
  /** `,"service":…,"component":…,"route":…,"request_id":"` */
  readonly #head: Buffer

  constructor(log: Logger) {
    this.log = log
    const raw = rawLineTarget(log)
    this.#sink = raw.sink
    this.#head = utf8Bytes(`${raw.bindings},"request_id":"`)
  }

  /** The line for a request with no cause to report; `level` is 'info' or 'warn'. */
  write(ctx: RequestContext, level: 'info' | 'warn', status: number, totalMs: number): void {
    const claims = ctx.claims
    const sink = this.#sink
    let max = FIXED_MAX_BYTES + this.#head.length + ctx.requestId.length + jsonStringMaxBytes(ctx.method) + jsonStringMaxBytes(ctx.path)
    if (claims !== null) max += jsonStringMaxBytes(claims.agent_id) + jsonStringMaxBytes(claims.tool)
    const buf = sink.beginLine(max)
    let off = putBytes(buf, sink.lineStart, level === 'info' ? INFO_OPEN : WARN_OPEN)
    off = putTimeField(buf, off, Date.now())
    off = putBytes(buf, off, this.#head)
    off = putAscii(buf, off, ctx.requestId)
    off = putBytes(buf, off, METHOD)
    off = putJsonString(buf, off, ctx.method)
    off = putBytes(buf, off, PATH)
    off = putJsonString(buf, off, ctx.path)
    off = putBytes(buf, off, STATUS)
    off = putUint(buf, off, status)
    off = putBytes(buf, off, CODE)
    off = putAscii(buf, off, ctx.outcome)
    if (claims === null) off = putBytes(buf, off, NO_CLAIMS)
    else {
      off = putBytes(buf, off, JTI_HASH)
      off = putAscii(buf, off, jtiHash(claims.jti))
      off = putBytes(buf, off, AGENT)
      off = putJsonString(buf, off, claims.agent_id)
      off = putBytes(buf, off, TOOL)
      off = putJsonString(buf, off, claims.tool)
    }
    off = putBytes(buf, off, TOTAL_MS)
    off = putMillis(buf, off, totalMs)
    off = putBytes(buf, off, VERIFY_MS)
    off = putMillis(buf, off, ctx.verifyMs)
    off = putBytes(buf, off, BURN_MS)
    off = putMillis(buf, off, ctx.burnMs)
    off = putBytes(buf, off, UPSTREAM_MS)
    off = putMillis(buf, off, ctx.upstreamMs)
    sink.endLine(putBytes(buf, off, CLOSE))
  }
}

const INFO_OPEN = utf8Bytes('{"level":"info",')
const WARN_OPEN = utf8Bytes('{"level":"warn",')
const METHOD = utf8Bytes('","method":')
const PATH = utf8Bytes(',"path":')
const STATUS = utf8Bytes(',"status":')
const CODE = utf8Bytes(',"code":"')
const NO_CLAIMS = utf8Bytes('","jti_hash":null,"agent":null,"tool":null')
const JTI_HASH = utf8Bytes('","jti_hash":"')
const AGENT = utf8Bytes('","agent":')
const TOOL = utf8Bytes(',"tool":')
const TOTAL_MS = utf8Bytes(',"total_ms":')
const VERIFY_MS = utf8Bytes(',"verify_ms":')
const BURN_MS = utf8Bytes(',"burn_ms":')
const UPSTREAM_MS = utf8Bytes(',"upstream_ms":')
const CLOSE = utf8Bytes(',"msg":"request"}\n')
/** Everything but the head, the request id and the JSON strings: constants, time, code, hash, numbers. */
const FIXED_MAX_BYTES = 256 + TIME_FIELD_MAX_BYTES + 5 * NUMBER_MAX_BYTES

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
