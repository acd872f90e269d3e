// The gateway listener: node:http server whose request and upgrade handlers run route match → token
// pipeline → header policy → upstream. Holds one reference to the compiled runtime (routes, claim
// policy, trusted proxies) that a reload swaps, and owns draining on shutdown.
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import type { ProxyServer } from 'http-proxy-3'
import type { Logger } from 'pino'
import { GATEWAY_LISTENER_DEFAULTS, defaultListenerLimits } from '../config/index.ts'
import type { ListenerLimits } from '../config/index.ts'
import { systemClock } from '../core/index.ts'
import type { Clock, VaultPort } from '../core/index.ts'
import { ListenerStats, guardListener } from '../observability/index.ts'
import type { GatewayMetrics, Readiness } from '../observability/index.ts'
import { AccessTarget, recordRequest } from './access-log.ts'
import type { KeySource } from './auth-pipeline.ts'
import { BodyBudget } from './body-budget.ts'
import { handleRequest, handleUpgrade } from './handle.ts'
import { writeProblemOnSocket } from './problem.ts'
import { abortUpstream } from './proxy.ts'
import { ReplayCache } from './replay-cache.ts'
import { RequestContext } from './request-context.ts'
import type { GatewayRuntime } from './runtime.ts'
import { createTunnel } from './websocket.ts'

export interface GatewayOptions {
  runtime: GatewayRuntime
  keys: KeySource
  vault: VaultPort
  /** Entries in the local burned-jti LRU (token.replay_cache_size). */
  replayCacheSize: number
  metrics: GatewayMetrics
  logger: Logger
  clock?: Clock
  /** node:http refuses larger header blocks with 431. */
  maxHeaderBytes?: number
  /** Requests with more header fields are refused with 431 (gateway.max_header_count). */
  maxHeaderCount?: number
  /**
   * Header / request / idle / keep-alive timeouts and connection caps (gateway.* in the config);
   * default: the config defaults. The per-address cap never applies to trusted proxies.
   */
  limits?: ListenerLimits
}

const kGateway = Symbol('ledgix.gateway')
const kContext = Symbol('ledgix.context')
type GatewayServer = Server & { [kGateway]: Gateway }
type TrackedResponse = ServerResponse & { [kContext]: RequestContext; [kGateway]: Gateway }
type TrackedSocket = Duplex & { [kContext]?: RequestContext; [kGateway]?: Gateway }

export class Gateway implements Readiness {
  readonly server: Server
  readonly keys: KeySource
  readonly vault: VaultPort
  readonly replay: ReplayCache
  /** What bind_args routes may buffer: bytes per route and in total, one body per jti. */
  readonly bodies: BodyBudget
  readonly metrics: GatewayMetrics
  readonly log: Logger
  /** Access lines of requests that matched no route (route: null bound once). */
  readonly unrouted: AccessTarget
  readonly clock: Clock
  readonly maxHeaderCount: number
  /** Open, refused and timed-out connections of the proxy listener (/metrics). */
  readonly listenerStats = new ListenerStats()
  #runtime: GatewayRuntime
  #tunnel: Promise<ProxyServer> | null = null
  #draining = false
  #inFlight = 0
  #onIdle: (() => void) | null = null
  readonly #tunnels = new Set<Duplex>()

  constructor(options: GatewayOptions) {
    this.#runtime = options.runtime
    this.keys = options.keys
    this.vault = options.vault
    this.replay = new ReplayCache(options.replayCacheSize)
    this.bodies = new BodyBudget(options.runtime.maxInflightBodyBytes)
    const bodies = this.bodies
    options.metrics.setInflightBodySource(() => bodies.totalBytes)
    this.metrics = options.metrics
    this.log = options.logger
    this.unrouted = new AccessTarget(options.logger.child({ route: null }))
    this.clock = options.clock ?? systemClock
    this.maxHeaderCount = options.maxHeaderCount ?? DEFAULT_MAX_HEADER_COUNT
    // requireHostHeader off: node:http would answer a Host-less HTTP/1.1 request itself, with no
    // problem body; request-context.ts refuses it as 400 host_invalid instead.
    const server = createServer({ maxHeaderSize: options.maxHeaderBytes ?? 16 * 1024, requireHostHeader: false }, onRequest) as GatewayServer
    server[kGateway] = this
    // The field-count cap is ours (handle.ts: 431 request_header_fields_too_large). node:http's own
    // maxHeadersCount is off: Node 20 drops fields past it without a word, Node 24 fails the parse
    // (a 431 under another code); the header block stays bounded in bytes by maxHeaderSize.
    server.maxHeadersCount = 0
    server.on('upgrade', onUpgrade)
    // CONNECT (authority-form, a forward-proxy tunnel) is refused as 405 by the upgrade path; without
    // a listener node:http would close the socket with no answer.
    server.on('connect', onUpgrade)
    // Slow clients: deadlines, caps and the 408 answer (listener-guard.ts). Upgraded sockets leave
    // node:http's request deadlines at the upgrade and the tunnel clears their idle timer, so a
    // WebSocket is never cut by these; a proxied download is past its request, so neither is it.
    guardListener(server, {
      limits: options.limits ?? defaultListenerLimits(GATEWAY_LISTENER_DEFAULTS),
      stats: this.listenerStats,
      isExempt: (address) => this.#runtime.trusted.isTrusted(address),
    })
    options.metrics.addListener('gateway', this.listenerStats)
    this.server = server
  }

  /** The WebSocket tunnel (http-proxy-3), created on first need. */
  tunnelProxy(): Promise<ProxyServer> {
    if (this.#tunnel === null) {
      const loading = createTunnel()
      this.#tunnel = loading
      // A failed load is not cached: the upgrade that saw it answers 500, the next one retries.
      loading.catch((err: unknown) => {
        if (this.#tunnel === loading) this.#tunnel = null
        this.log.error({ err }, 'cannot load the WebSocket proxy')
      })
    }
    return this.#tunnel
  }

  /**
   * Load the tunnel soon after start (or at reload) when a route accepts upgrades, so no upgrade
   * waits for it. At start it waits PRELOAD_DELAY_MS after listen: loading http-proxy-3 is ~20 ms of
   * CPU that would otherwise compete with the first /readyz probe; an upgrade arriving before then
   * loads it on demand (tunnelProxy).
   */
  #preloadTunnel(runtime: GatewayRuntime): void {
    if (runtime.routes.routes.some(isWebSocketRoute)) this.tunnelProxy().catch(ignoreLoadError)
  }

  /** @internal the delayed start-up preload (see #preloadTunnel). */
  preloadTunnel(): void {
    this.#preloadTunnel(this.#runtime)
  }

  get runtime(): GatewayRuntime {
    return this.#runtime
  }

  get draining(): boolean {
    return this.#draining
  }

  get inFlight(): number {
    return this.#inFlight
  }

  notReadyReason(): string | null {
    if (this.#draining) return 'draining'
    if (!this.keys.isReady()) return 'keys_unavailable'
    return null
  }

  /**
   * Swap in a freshly compiled runtime (SIGHUP). In-flight requests keep the runtime they started
   * with; the old pools close once their requests finish (undici Pool.close waits for them).
   */
  swapRuntime(next: GatewayRuntime): void {
    const previous = this.#runtime
    this.#runtime = next
    this.bodies.setMaxTotalBytes(next.maxInflightBodyBytes)
    this.#preloadTunnel(next)
    void previous.routes.close()
  }

  /** Stop accepting, let in-flight requests finish up to `timeoutMs`, then cut what is left. */
  async drain(timeoutMs: number): Promise<{ timedOut: boolean }> {
    this.#draining = true
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeIdleConnections()
    let timedOut = false
    if (this.#inFlight > 0) {
      timedOut = await waitForIdle(this, timeoutMs)
    }
    this.server.closeAllConnections()
    for (const socket of this.#tunnels) socket.destroy()
    const tunnel = this.#tunnel === null ? null : await this.#tunnel.catch(ignoreLoadError)
    if (tunnel !== null && tunnel !== undefined) tunnel.close()
    if (timedOut) await this.#runtime.routes.destroy()
    else await this.#runtime.routes.close()
    await closed
    return { timedOut }
  }

  /** @internal bookkeeping used by the handlers below. */
  requestStarted(): void {
    this.#inFlight++
  }

  requestEnded(ctx: RequestContext): void {
    this.#inFlight--
    if (ctx.bodyReservedBytes > 0) {
      this.bodies.release(ctx.route!.name, ctx.bodyReservedBytes)
      ctx.bodyReservedBytes = 0
    }
    recordRequest(ctx, this.unrouted, this.metrics)
    if (this.#inFlight === 0 && this.#onIdle !== null) this.#onIdle()
  }

  trackTunnel(socket: Duplex): void {
    this.#tunnels.add(socket)
  }

  untrackTunnel(socket: Duplex): void {
    this.#tunnels.delete(socket)
  }

  setIdleListener(listener: (() => void) | null): void {
    this.#onIdle = listener
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    const server = this.server
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        setTimeout(preloadAfterStart, PRELOAD_DELAY_MS, this).unref()
        resolve(server.address() as AddressInfo)
      })
    })
  }
}

const PRELOAD_DELAY_MS = 250
/** Same as config's gateway.max_header_count default (src/config/defaults.ts explains the number). */
const DEFAULT_MAX_HEADER_COUNT = 80

function preloadAfterStart(gateway: Gateway): void {
  if (!gateway.draining) gateway.preloadTunnel()
}

/** Already logged by tunnelProxy(). */
function ignoreLoadError(): undefined {
  return undefined
}

function isWebSocketRoute(route: { readonly websocket: boolean }): boolean {
  return route.websocket
}

function waitForIdle(gateway: Gateway, timeoutMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      gateway.setIdleListener(null)
      resolve(true)
    }, timeoutMs)
    gateway.setIdleListener(() => {
      clearTimeout(timer)
      gateway.setIdleListener(null)
      resolve(false)
    })
  })
}

function onRequest(this: GatewayServer, req: IncomingMessage, res: ServerResponse): void {
  const gateway = this[kGateway]
  const ctx = new RequestContext(req, res, null, null, gateway.clock.now(), performance.now())
  const tracked = res as TrackedResponse
  tracked[kContext] = ctx
  tracked[kGateway] = gateway
  // x-ledgix-request-id goes out with the header block (proxy.ts, problem.ts): no setHeader() here,
  // so a proxied response's headers take node:http's writeHead(list) fast path.
  gateway.requestStarted()
  // A response closes once: on() instead of once() saves the once-wrapper closure per request.
  res.on('close', onResponseClose)
  handleRequest(gateway, ctx)
}

function onResponseClose(this: TrackedResponse): void {
  const ctx = this[kContext]
  const gateway = this[kGateway]
  if (!this.writableFinished) {
    abortUpstream(ctx)
    if (ctx.outcome === 'ok') ctx.outcome = 'client_closed'
  }
  ctx.finished = true
  gateway.requestEnded(ctx)
}

function onUpgrade(this: GatewayServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const gateway = this[kGateway]
  const ctx = new RequestContext(req, null, socket, head, gateway.clock.now(), performance.now())
  const tracked = socket as TrackedSocket
  tracked[kContext] = ctx
  tracked[kGateway] = gateway
  socket.on('error', onSocketError)
  if (gateway.draining) {
    ctx.fail('shutting_down', 'The gateway is shutting down; reconnect.')
    writeProblemOnSocket(socket, 'shutting_down', ctx.detail, ctx.requestId)
  }
  gateway.requestStarted()
  gateway.trackTunnel(socket)
  socket.once('close', onUpgradeClose)
  if (!gateway.draining) void handleUpgrade(gateway, ctx)
}

function onUpgradeClose(this: TrackedSocket): void {
  const ctx = this[kContext]!
  const gateway = this[kGateway]!
  gateway.untrackTunnel(this)
  ctx.clientGone = true
  gateway.requestEnded(ctx)
}

/** Socket errors after an upgrade (peer reset) are expected; the close handler does the accounting. */
function onSocketError(): void {}
