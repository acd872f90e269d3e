// WebSocket upgrades: authorized exactly like requests (route match, token, burn), then tunnelled by
// http-proxy-3 with the same header policy. oauth2-proxy#1347 tunnelled a reused connection without
// auth: here every upgrade is its own authorization, and a refusal is an HTTP problem then close.
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { ProxyServer } from 'http-proxy-3'
import { headerListToObject } from './header-policy.ts'
import { writeProblemOnSocket } from './problem.ts'
import type { RequestContext } from './request-context.ts'
import { upstreamPath } from './route-table.ts'
import type { CompiledRoute } from './route-table.ts'

const kContext = Symbol('ledgix.upgradeContext')
type UpgradeRequest = IncomingMessage & { [kContext]?: RequestContext }

export type TunnelDone = (ctx: RequestContext) => void

type CreateProxyServer = typeof import('http-proxy-3').createProxyServer
let loading: Promise<CreateProxyServer> | null = null

function loadCreateProxyServer(): Promise<CreateProxyServer> {
  // Our own module, never import('http-proxy-3'): see tunnel-proxy.ts for why the bundle needs that.
  loading ??= import('./tunnel-proxy.ts').then(pickCreateProxyServer)
  return loading
}

function pickCreateProxyServer(mod: { createProxyServer: CreateProxyServer }): CreateProxyServer {
  return mod.createProxyServer
}

/**
 * One proxy instance per gateway; per-upgrade state travels on the request. http-proxy-3 is loaded
 * on first need (a WebSocket route exists): a gateway without one never pays for its import.
 */
export async function createTunnel(): Promise<ProxyServer> {
  const createProxyServer = await loadCreateProxyServer()
  // toProxy: the request line is req.url as we set it (tunnel below), byte for byte: http-proxy-3
  // otherwise re-parses it with the WHATWG URL parser. (ignorePath with prependPath: false, as
  // this once was, sent every upgrade to '/' with no query: not the path the route was matched on.)
  const proxy = createProxyServer({ ws: true, xfwd: false, prependPath: false, toProxy: true })
  // Without an 'error' listener an EventEmitter error would crash the process; errors are handled
  // per call through the callback below, this only keeps stray ones from being fatal.
  proxy.on('error', ignoreProxyError)
  return proxy
}

function ignoreProxyError(): void {}

/**
 * Hand the authorized upgrade to http-proxy-3. `headers` come from buildUpstreamHeaders; the
 * Connection/Upgrade pair is restored because the header policy dropped them as hop-by-hop.
 */
export function tunnel(proxy: ProxyServer, ctx: RequestContext, route: CompiledRoute, headers: string[]): void {
  const req = ctx.req as UpgradeRequest
  const object = headerListToObject(headers)
  object['connection'] = 'Upgrade'
  object['upgrade'] = 'websocket'
  object['host'] = new URL(route.upstreamOrigin).host
  req.headers = object
  // The upstream request line: the same string a plain request's dispatch sends (proxy.ts).
  req.url = upstreamPath(route, ctx.path, ctx.query)
  req[kContext] = ctx
  ctx.upstreamStartedAt = performance.now()
  proxy.ws(req, ctx.socket, ctx.head, { target: route.upstreamOrigin }, onTunnelError)
}

function onTunnelError(err: Error, req: IncomingMessage, socket: unknown): void {
  const ctx = (req as UpgradeRequest)[kContext]
  if (ctx === undefined) return
  ctx.fail('upstream_unavailable', 'The upstream refused the WebSocket connection.')
  ctx.cause = err
  const duplex = socket as Duplex
  writeProblemOnSocket(duplex, 'upstream_unavailable', ctx.detail, ctx.requestId)
}

export function refuseUpgrade(socket: Duplex, ctx: RequestContext): void {
  writeProblemOnSocket(socket, ctx.outcome === 'ok' || ctx.outcome === 'client_closed' ? 'internal_error' : ctx.outcome, ctx.detail, ctx.requestId)
}
