// One mechanism that keeps slow or greedy clients from starving a listener, applied alike to the
// gateway proxy, the Vault API and the admin endpoint: header / request / idle / keep-alive
// timeouts on node:http, a global and a per-address connection cap, our own 408 problem+json when
// a request does not arrive in time, and the counters /metrics exports.
import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Server } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { PROBLEM_CONTENT_TYPE, problemFor } from '../core/index.ts'
import type { ErrorCode } from '../core/index.ts'

/** The normalised listener limits (config: `headers_timeout` … `max_connections_per_ip`); 0 = off. */
export interface ListenerLimits {
  /** The request line and headers must arrive within this, from accept or from the request's first byte. */
  headersTimeoutMs: number
  /** The whole request (headers and body) must arrive within this. */
  requestTimeoutMs: number
  /** A socket with no traffic either way for this long while a request is open is closed. */
  idleTimeoutMs: number
  /** An idle keep-alive socket between requests is closed after this. */
  keepAliveTimeoutMs: number
  /** Open sockets this process accepts on the listener; more are closed at once. */
  maxConnections: number
  /** Open sockets one peer address may hold; more from it are closed at once. */
  maxConnectionsPerIp: number
}

/** What /metrics reports for one listener (read at scrape time; plain numbers, no allocation per event). */
export class ListenerStats {
  open = 0
  refusedMaxConnections = 0
  refusedPerIp = 0
  /** Headers or request not received within headers_timeout / request_timeout (answered 408). */
  requestTimeouts = 0
  /** Sockets closed for inactivity: idle_timeout during a request, keep_alive_timeout between them. */
  idleCloses = 0
}

/**
 * node:http looks for expired headers/request deadlines only every `connectionsCheckingInterval`
 * (default 30 s), so a 10 s headers_timeout could hold a socket for 40 s. A quarter of the shortest
 * deadline keeps the overshoot at 25 %; the floor keeps the sweep (a walk over the sockets still
 * reading a request) from running more than four times a second.
 */
export const MIN_CHECKING_INTERVAL_MS = 250
const MAX_CHECKING_INTERVAL_MS = 30_000

export function checkingIntervalMs(limits: Pick<ListenerLimits, 'headersTimeoutMs' | 'requestTimeoutMs'>): number {
  const deadlines = [limits.headersTimeoutMs, limits.requestTimeoutMs].filter((ms) => ms > 0)
  if (deadlines.length === 0) return MAX_CHECKING_INTERVAL_MS
  return Math.min(MAX_CHECKING_INTERVAL_MS, Math.max(MIN_CHECKING_INTERVAL_MS, Math.floor(Math.min(...deadlines) / 4)))
}

export interface GuardOptions {
  limits: ListenerLimits
  stats: ListenerStats
  /** Peers the per-address cap does not apply to (the gateway's trusted proxies: a load balancer carries every client). */
  isExempt?: ((address: string) => boolean) | null
}

interface GuardState {
  stats: ListenerStats
  perIpMax: number
  isExempt: ((address: string) => boolean) | null
  /** address → open sockets; only addresses with at least one (entries leave at zero). */
  perIp: Map<string, number>
}

const kGuard = Symbol('ledgix.listenerGuard')
const kAddress = Symbol('ledgix.guardedAddress')
type GuardedServer = Server & { [kGuard]: GuardState }
type GuardedSocket = Socket & { server?: GuardedServer; [kAddress]?: string }

/**
 * Apply `limits` to a node:http server before it listens (node:http starts its deadline sweep on
 * 'listening' with the interval set here). Registers the server's 'clientError' handler unless
 * `ownClientError` is false (the Vault answers with fastify's clientErrorHandler, which calls
 * `countClientError` so /metrics sees its timeouts too).
 */
export function guardListener(server: Server, options: GuardOptions, ownClientError = true): void {
  const limits = options.limits
  server.headersTimeout = limits.headersTimeoutMs
  server.requestTimeout = limits.requestTimeoutMs
  server.keepAliveTimeout = limits.keepAliveTimeoutMs
  // Missing from @types/node 20; node:http reads it when it starts the sweep on 'listening'.
  const sweeping = server as Server & { connectionsCheckingInterval: number }
  sweeping.connectionsCheckingInterval = checkingIntervalMs(limits)
  server.setTimeout(limits.idleTimeoutMs)
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections
  const guarded = server as GuardedServer
  guarded[kGuard] = {
    stats: options.stats,
    perIpMax: limits.maxConnectionsPerIp,
    isExempt: options.isExempt ?? null,
    perIp: new Map(),
  }
  server.on('connection', onConnection)
  server.on('drop', onDrop)
  // With a 'timeout' listener node:http no longer destroys the socket itself: onIdle does.
  server.on('timeout', onIdle)
  if (ownClientError) server.on('clientError', onClientError)
}

function onConnection(this: GuardedServer, socket: GuardedSocket): void {
  const state = this[kGuard]
  const address = socket.remoteAddress
  if (address === undefined) {
    // Already reset by the peer before we saw it.
    socket.destroy()
    return
  }
  if (state.perIpMax > 0 && (state.isExempt === null || !state.isExempt(address))) {
    const open = state.perIp.get(address) ?? 0
    if (open >= state.perIpMax) {
      state.stats.refusedPerIp++
      socket.destroy()
      return
    }
    state.perIp.set(address, open + 1)
    socket[kAddress] = address
  }
  state.stats.open++
  socket.on('close', onSocketClose)
}

function onSocketClose(this: GuardedSocket): void {
  const state = this.server?.[kGuard]
  if (state === undefined) return
  state.stats.open--
  const address = this[kAddress]
  if (address === undefined) return
  const open = state.perIp.get(address) ?? 1
  if (open <= 1) state.perIp.delete(address)
  else state.perIp.set(address, open - 1)
}

/** node:net closed a socket over maxConnections before node:http saw it. */
function onDrop(this: GuardedServer): void {
  this[kGuard].stats.refusedMaxConnections++
}

function onIdle(this: GuardedServer, socket: Duplex): void {
  this[kGuard].stats.idleCloses++
  socket.destroy()
}

const TIMEOUT_DETAIL = 'The request headers or body did not arrive in time; the connection is closed.'
const MALFORMED_DETAIL = 'The request is not valid HTTP/1.1; the connection is closed.'
const TOO_LARGE_DETAIL = 'The request line and headers exceed the server limit; the connection is closed.'

/** Count a client error against the listener's stats (a missed deadline is a request timeout). */
export function countClientError(server: Server, err: NodeJS.ErrnoException): void {
  const state = (server as GuardedServer)[kGuard]
  if (state !== undefined && err.code === 'ERR_HTTP_REQUEST_TIMEOUT') state.stats.requestTimeouts++
}

function onClientError(this: GuardedServer, err: NodeJS.ErrnoException, socket: Duplex): void {
  answerClientError(this, err, socket)
}

/**
 * A client-side HTTP failure node:http's parser or deadline sweep raised, answered as problem+json
 * (node:http's own answers have no body): a missed deadline 408 `request_timeout`, a header block
 * over max_header_size 431 `headers_too_large`, anything unparsable 400 `invalid_request`. Then
 * the socket goes: the parser state is unknown, nothing more is read from it.
 */
export function answerClientError(server: Server, err: NodeJS.ErrnoException, socket: Duplex): void {
  countClientError(server, err)
  // A response already started on this socket cannot be followed by another status line.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage
  if (err.code === 'ECONNRESET' || !socket.writable || (inFlight != null && inFlight.headersSent === true)) {
    socket.destroy()
    return
  }
  const code: ErrorCode =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'request_timeout' : err.code === 'HPE_HEADER_OVERFLOW' ? 'headers_too_large' : 'invalid_request'
  const detail = code === 'request_timeout' ? TIMEOUT_DETAIL : code === 'headers_too_large' ? TOO_LARGE_DETAIL : MALFORMED_DETAIL
  const requestId = randomUUID()
  const problem = problemFor(code, detail, requestId)
  const body = JSON.stringify(problem)
  socket.end(
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? 'Error'}\r\n` +
      `content-type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      `x-ledgix-request-id: ${requestId}\r\n` +
      'cache-control: no-store\r\nconnection: close\r\n\r\n' +
      body,
  )
  // end() flushes what fits; a peer that never reads must not keep the socket: destroy after flush.
  socket.once('finish', destroyAfterFinish)
}

function destroyAfterFinish(this: Duplex): void {
  this.destroy()
}
