// Stream one request to its upstream through the route's undici Pool and the response back, with
// backpressure both ways. One handler object per request; no closures. Upstream failures become
// 502/504 problems, or a destroyed response once headers are out.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Dispatcher } from 'undici'
import type { ErrorCode } from '../core/index.ts'
import { responseHeaderList } from './header-policy.ts'
import { writeProblem } from './problem.ts'
import type { RequestContext } from './request-context.ts'
import { upstreamPath } from './route-table.ts'
import type { CompiledRoute } from './route-table.ts'

const kHandler = Symbol('ledgix.upstreamHandler')
type ProxiedResponse = ServerResponse & { [kHandler]?: UpstreamHandler }

const UPSTREAM_DOWN = 'The upstream refused or dropped the connection.'
const UPSTREAM_SLOW = 'The upstream did not answer in time.'
const CLIENT_GONE = new Error('client closed the connection')

class UpstreamHandler implements Dispatcher.DispatchHandler {
  readonly ctx: RequestContext
  readonly res: ProxiedResponse
  readonly closeConnection: boolean

  constructor(ctx: RequestContext, res: ProxiedResponse, closeConnection: boolean) {
    this.ctx = ctx
    this.res = res
    this.closeConnection = closeConnection
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.ctx.controller = controller
    if (this.ctx.clientGone) controller.abort(CLIENT_GONE)
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    // 1xx (100 Continue, 103 Early Hints) are informational; the final status follows.
    if (statusCode < 200) return
    const res = this.res
    if (res.headersSent || res.destroyed) return
    const list = responseHeaderList(headers, this.ctx.requestId, this.closeConnection)
    if (statusMessage !== undefined && statusMessage !== '') res.writeHead(statusCode, statusMessage, list)
    else res.writeHead(statusCode, list)
    // Headers go out now even if the body is slow (streams, SSE), but in the same write(2) as a body
    // that arrives in this tick: cork until the next tick (res.end() uncorks at once). Flushing
    // uncorked cost a second write per small response.
    const socket = res.socket
    if (socket !== null && !socket.writableCorked) {
      socket.cork()
      process.nextTick(uncorkSocket, socket)
    }
    res.flushHeaders()
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const res = this.res
    if (res.write(chunk)) return
    controller.pause()
    // Only a response that pushed back needs the drain listener (most never do).
    if (res[kHandler] === undefined) {
      res[kHandler] = this
      res.on('drain', onResponseDrain)
    }
  }

  onResponseEnd(): void {
    const ctx = this.ctx
    ctx.upstreamMs = performance.now() - ctx.upstreamStartedAt
    this.res.end()
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    const ctx = this.ctx
    ctx.upstreamMs = performance.now() - ctx.upstreamStartedAt
    // The client vanished mid-upload: undici reports the request body's error, not an upstream fault.
    if (ctx.clientGone || this.res.destroyed || (ctx.req.destroyed && !ctx.req.complete)) {
      ctx.outcome = 'client_closed'
      this.res.destroy()
      return
    }
    const code = upstreamErrorCode(err)
    ctx.fail(code, code === 'upstream_timeout' ? UPSTREAM_SLOW : UPSTREAM_DOWN)
    ctx.cause = err
    writeProblem(this.res, code, ctx.detail, ctx.requestId, true)
  }
}

/** undici error codes → ours. A connect timeout is a timeout (504), as nginx answers it. */
function upstreamErrorCode(err: Error): ErrorCode {
  switch ((err as { code?: unknown }).code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'upstream_timeout'
    default:
      return 'upstream_unavailable'
  }
}

function uncorkSocket(socket: Socket): void {
  socket.uncork()
}

function onResponseDrain(this: ProxiedResponse): void {
  const controller = this[kHandler]?.ctx.controller
  if (controller !== null && controller !== undefined && controller.paused) controller.resume()
}

/** Does the client send a body? (RFC 9112 §6.3: Content-Length or Transfer-Encoding.) */
function hasRequestBody(ctx: RequestContext): boolean {
  const headers = ctx.req.headers
  if (headers['transfer-encoding'] !== undefined) return true
  const length = headers['content-length']
  return length !== undefined && length !== '0'
}

export function forward(ctx: RequestContext, route: CompiledRoute, headers: string[], closeConnection: boolean): void {
  const res = ctx.res as ProxiedResponse
  const handler = new UpstreamHandler(ctx, res, closeConnection)
  // Bound-args routes already hold the body; everything else streams the request straight through.
  let body: Dispatcher.DispatchOptions['body'] = null
  if (ctx.body !== null) body = ctx.body
  else if (hasRequestBody(ctx)) body = ctx.req
  ctx.upstreamStartedAt = performance.now()
  route.pool.dispatch(
    {
      origin: route.upstreamOrigin,
      method: ctx.method as Dispatcher.HttpMethod,
      path: upstreamPath(route, ctx.path, ctx.query),
      headers,
      body,
      headersTimeout: route.headersTimeoutMs,
      bodyTimeout: route.bodyTimeoutMs,
    },
    handler,
  )
}

/** The client went away: abort the upstream exchange (or mark it so it aborts on start). */
export function abortUpstream(ctx: RequestContext): void {
  ctx.clientGone = true
  const controller = ctx.controller
  if (controller !== null && !controller.aborted) controller.abort(CLIENT_GONE)
}
