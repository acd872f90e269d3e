// Per-request state: one class, every field assigned in the constructor (one hidden class, `null`
// not absent), so handlers are module-level functions that take the context instead of closures.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { ErrorCode } from '../core/index.ts'
import type { AJwtClaims } from '../token/index.ts'
import { readHost } from './request-target.ts'
import type { HostReading } from './request-target.ts'
import type { CompiledRoute } from './route-table.ts'

/** Outcome label for logs and metrics: 'ok', an error code, or how the client left. */
export type Outcome = 'ok' | 'client_closed' | ErrorCode

export class RequestContext implements HostReading {
  readonly requestId: string
  readonly req: IncomingMessage
  /** null for WebSocket upgrades (the socket is the response). */
  readonly res: ServerResponse | null
  readonly socket: Duplex | null
  readonly head: Buffer | null
  /** The one wall-clock read of this request, passed to claim checks. */
  readonly nowMs: number
  /** performance.now() at arrival, for durations. */
  readonly startedAt: number
  readonly method: string
  /** Path without the query string. */
  readonly path: string
  /** '?…' or ''. */
  readonly query: string
  /** Host name routes match (request-target.ts: lowercase, no trailing dot, no port); null when absent. */
  host: string | null
  /** Normalised host[:port], sent as X-Forwarded-Host. */
  authority: string | null
  /** false: Host repeated, empty or not a host; the request is refused before matching. */
  hostValid: boolean
  route: CompiledRoute | null
  outcome: Outcome
  /**
   * Detail for the problem body when outcome is an error: fixed strings, except that a refused bound
   * body is described (reason, byte offset, JSON Pointer; clipped) to the client that sent it. Never logged.
   */
  detail: string | null
  /** Cause of an internal or upstream failure: logged, never sent. */
  cause: unknown
  token: string | null
  claims: AJwtClaims | null
  /** Identity header values, encoded (identity-headers.ts); null until the token is verified. */
  identity: string[] | null
  body: Buffer | null
  /** Bytes this request holds of the bind_args body budget; given back when the response ends. */
  bodyReservedBytes: number
  verifyMs: number
  burnMs: number
  upstreamStartedAt: number
  upstreamMs: number
  controller: Dispatcher.DispatchController | null
  clientGone: boolean
  finished: boolean

  constructor(
    req: IncomingMessage,
    res: ServerResponse | null,
    socket: Duplex | null,
    head: Buffer | null,
    nowMs: number,
    startedAt: number,
  ) {
    this.requestId = randomUUID()
    this.req = req
    this.res = res
    this.socket = socket
    this.head = head
    this.nowMs = nowMs
    this.startedAt = startedAt
    this.method = req.method ?? 'GET'
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    this.path = q === -1 ? url : url.slice(0, q)
    this.query = q === -1 ? '' : url.slice(q)
    this.host = null
    this.authority = null
    this.hostValid = true
    readHost(req.rawHeaders, this, 'encrypted' in req.socket ? 443 : 80)
    // RFC 9112 §3.2: an HTTP/1.1 request without Host is answered 400 (node:http's own check is
    // off, server.ts, so the answer is a problem). HTTP/1.0 may omit it: host-less routes only.
    if (this.host === null && req.httpVersionMinor !== 0) this.hostValid = false
    this.route = null
    this.outcome = 'ok'
    this.detail = null
    this.cause = null
    this.token = null
    this.claims = null
    this.identity = null
    this.body = null
    this.bodyReservedBytes = 0
    this.verifyMs = 0
    this.burnMs = 0
    this.upstreamStartedAt = 0
    this.upstreamMs = 0
    this.controller = null
    this.clientGone = false
    this.finished = false
  }

  fail(code: ErrorCode, detail: string | null): ErrorCode {
    this.outcome = code
    this.detail = detail
    return code
  }
}
