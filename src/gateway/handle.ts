// The two entry flows, as module-level async functions with one try/catch at the boundary:
// handleRequest (match → authorize → headers → forward) and handleUpgrade (the same, then tunnel).
import type { ErrorCode } from '../core/index.ts'
import { authorize } from './auth-pipeline.ts'
import { buildUpstreamHeaders } from './header-policy.ts'
import { writeProblem } from './problem.ts'
import { forward } from './proxy.ts'
import type { RequestContext } from './request-context.ts'
import { PATH_REASON_DETAIL, checkPath } from './request-target.ts'
import type { CompiledRoute } from './route-table.ts'
import type { Gateway } from './server.ts'
import { refuseUpgrade, tunnel } from './websocket.ts'

const TOO_MANY_HEADERS = 'The request has more header fields than gateway.max_header_count allows.'
const BAD_HOST = 'Send exactly one Host header holding a DNS name or IP literal and an optional port.'
const NO_ROUTE = 'No route matches this host and path.'
const WRONG_METHOD = 'This route does not accept this method.'
const NOT_WEBSOCKET = 'This route does not accept WebSocket upgrades.'
const AMBIGUOUS =
  'route_ambiguous: the path differs from a more specific route\'s prefix only in letter case or a final ".ext"; servers that ignore case (Express, IIS, ASP.NET) or read ".json" as a format (Rails, Spring) would serve that route. Send the path as that route spells it.'
const NO_CONNECT = 'CONNECT is not supported: this is a reverse proxy, not a tunnel.'
const INTERNAL = 'Internal error; see the gateway log for this request_id.'

/**
 * Synchronous up to the token step: an `auth: none` route is matched, filtered and dispatched in the
 * same tick with no promise allocated; only token routes continue in the async authorizeThenForward.
 */
export function handleRequest(gateway: Gateway, ctx: RequestContext): void {
  try {
    const runtime = gateway.runtime
    const refused = refuseTarget(gateway, ctx)
    if (refused !== null) return respond(gateway, ctx, refused)
    const match = runtime.routes.match(ctx.host, ctx.path, ctx.method)
    if (match === 'route_not_found') return respond(gateway, ctx, ctx.fail(match, NO_ROUTE))
    if (match === 'route_ambiguous') return respond(gateway, ctx, ctx.fail('path_not_canonical', AMBIGUOUS))
    if (match === 'method_not_allowed') {
      ctx.res!.setHeader('allow', runtime.routes.allowFor(ctx.host, ctx.path))
      return respond(gateway, ctx, ctx.fail(match, WRONG_METHOD))
    }
    ctx.route = match
    if (match.requiresToken) {
      void authorizeThenForward(gateway, ctx, match)
      return undefined
    }
    forwardRequest(gateway, ctx, match)
  } catch (err) {
    internalError(ctx, err)
  }
  return undefined
}

/**
 * Checks every request and upgrade passes before any route is consulted, cheapest first: the
 * header count (counted here: node:http's own maxHeadersCount is off, see server.ts, so no field is
 * dropped before this sees it), one valid Host, one reading of the path.
 */
function refuseTarget(gateway: Gateway, ctx: RequestContext): ErrorCode | null {
  if (ctx.req.rawHeaders.length > gateway.maxHeaderCount * 2) return ctx.fail('request_header_fields_too_large', TOO_MANY_HEADERS)
  if (!ctx.hostValid) return ctx.fail('host_invalid', BAD_HOST)
  const reason = checkPath(ctx.path, gateway.runtime.pathRules)
  if (reason !== null) return ctx.fail('path_not_canonical', PATH_REASON_DETAIL[reason])
  return null
}

async function authorizeThenForward(gateway: Gateway, ctx: RequestContext, match: CompiledRoute): Promise<void> {
  try {
    const code = await authorize(ctx, match, gateway.runtime.claimPolicy, gateway, false)
    if (code === 'client_closed') return undefined
    if (code !== null) return respond(gateway, ctx, code)
    // The client left while we verified and burned: the token is spent, but nobody is listening.
    if (ctx.clientGone || ctx.res!.destroyed) return undefined
    forwardRequest(gateway, ctx, match)
  } catch (err) {
    internalError(ctx, err)
  }
  return undefined
}

function forwardRequest(gateway: Gateway, ctx: RequestContext, match: CompiledRoute): void {
  const req = ctx.req
  const headers = buildUpstreamHeaders(req, match.dropHeaders, ctx.requestId, ctx.identity, ctx.authority, gateway.runtime.trusted.isTrusted(req.socket.remoteAddress))
  forward(ctx, match, headers, gateway.draining)
}

function internalError(ctx: RequestContext, err: unknown): void {
  ctx.fail('internal_error', INTERNAL)
  ctx.cause = err
  if (ctx.res !== null && !ctx.res.destroyed) writeProblem(ctx.res, 'internal_error', INTERNAL, ctx.requestId, true)
}

function respond(gateway: Gateway, ctx: RequestContext, code: ErrorCode): void {
  const res = ctx.res!
  // A body we did not read would otherwise be drained by node:http to keep the connection: close it.
  writeProblem(res, code, ctx.detail, ctx.requestId, gateway.draining || !ctx.req.complete)
}

export async function handleUpgrade(gateway: Gateway, ctx: RequestContext): Promise<void> {
  try {
    if (ctx.method === 'CONNECT') {
      ctx.fail('method_not_allowed', NO_CONNECT)
      return refuseUpgrade(ctx.socket!, ctx)
    }
    await routeUpgrade(gateway, ctx)
  } catch (err) {
    ctx.fail('internal_error', INTERNAL)
    ctx.cause = err
    refuseUpgrade(ctx.socket!, ctx)
  }
}

async function routeUpgrade(gateway: Gateway, ctx: RequestContext): Promise<void> {
  const socket = ctx.socket!
  const runtime = gateway.runtime
  if (refuseTarget(gateway, ctx) !== null) return refuseUpgrade(socket, ctx)
  const match = runtime.routes.match(ctx.host, ctx.path, ctx.method)
  if (typeof match === 'string') {
    if (match === 'route_ambiguous') ctx.fail('path_not_canonical', AMBIGUOUS)
    else ctx.fail(match, match === 'route_not_found' ? NO_ROUTE : WRONG_METHOD)
    return refuseUpgrade(socket, ctx)
  }
  ctx.route = match
  const upgrade = ctx.req.headers.upgrade
  if (!match.websocket || upgrade === undefined || upgrade.toLowerCase() !== 'websocket') {
    ctx.fail('route_not_found', NOT_WEBSOCKET)
    return refuseUpgrade(socket, ctx)
  }
  if (match.requiresToken) {
    const code = await authorize(ctx, match, runtime.claimPolicy, gateway, true)
    if (code === 'client_closed') return undefined
    if (code !== null) return refuseUpgrade(socket, ctx)
    if (socket.destroyed) return undefined
  }
  const req = ctx.req
  const headers = buildUpstreamHeaders(req, match.dropHeaders, ctx.requestId, ctx.identity, ctx.authority, runtime.trusted.isTrusted(req.socket.remoteAddress))
  const proxy = await gateway.tunnelProxy()
  if (socket.destroyed) return undefined
  tunnel(proxy, ctx, match, headers)
  return undefined
}
