// The admin listener (default 127.0.0.1:9090): /healthz (process alive), /readyz (200 only when
// the gateway can verify tokens and is not draining), /metrics (Prometheus text). Kept off the
// proxy port so a route can never shadow it and it can stay loopback-only.
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { ListenerStats, guardListener } from './listener-guard.ts'
import type { ListenerLimits } from './listener-guard.ts'
import type { GatewayMetrics } from './metrics.ts'

export interface Readiness {
  /** null = ready; otherwise a short machine reason such as "keys_unavailable" or "draining". */
  notReadyReason(): string | null
}

export interface AdminServerOptions {
  metrics: GatewayMetrics
  readiness: Readiness
  logger: Logger
  /**
   * admin.* timeouts and caps, so a stuck scraper cannot hold the probes' listener. Hand-built
   * servers (tests) may leave it out: Node's defaults, with keep-alive capped at 1 s, then apply.
   */
  limits?: ListenerLimits
}

interface AdminState {
  metrics: GatewayMetrics
  readiness: Readiness
  logger: Logger
}

const kState = Symbol('ledgix.admin')
type AdminServer = Server & { [kState]: AdminState }

export function createAdminServer(options: AdminServerOptions): Server {
  const server = createServer(onAdminRequest) as AdminServer
  server[kState] = { metrics: options.metrics, readiness: options.readiness, logger: options.logger }
  if (options.limits === undefined) {
    // Scrapers and probes do not keep connections for long; do not let them hold a drain open.
    server.keepAliveTimeout = 1000
    return server
  }
  const stats = new ListenerStats()
  guardListener(server, { limits: options.limits, stats })
  options.metrics.addListener('admin', stats)
  return server
}

function onAdminRequest(this: AdminServer, req: IncomingMessage, res: ServerResponse): void {
  const state = this[kState]
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, { status: 'method_not_allowed' })
    return
  }
  switch (path) {
    case '/healthz':
      sendJson(res, 200, { status: 'ok' })
      return
    case '/readyz': {
      const reason = state.readiness.notReadyReason()
      if (reason === null) sendJson(res, 200, { status: 'ready' })
      else sendJson(res, 503, { status: 'not_ready', reason })
      return
    }
    case '/metrics':
      state.metrics.render().then(
        (text) => sendText(res, 200, state.metrics.contentType, text),
        (err: unknown) => {
          state.logger.error({ err }, 'metrics render failed')
          sendJson(res, 500, { status: 'error' })
        },
      )
      return
    default:
      sendJson(res, 404, { status: 'not_found' })
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, 'application/json', JSON.stringify(body))
}

function sendText(res: ServerResponse, status: number, contentType: string, text: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
  res.end(text)
}

/** Listen and resolve with the bound address (port 0 → an ephemeral port). */
export function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve(server.address() as AddressInfo)
    })
  })
}

/** Close a server and its idle keep-alive sockets. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve()
      return
    }
    server.close(() => resolve())
    server.closeIdleConnections()
  })
}
