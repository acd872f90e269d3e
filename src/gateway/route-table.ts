// The compiled route table the hot path reads: per route a lowercase host, a segment-boundary
// prefix, a method Set, the tool Set, the header drop Set, its undici Pool and its child logger —
// all built at load. A reload builds a whole new table and the server swaps one reference.
import { Pool } from 'undici'
import type { Logger } from 'pino'
import type { RouteConfig } from '../config/index.ts'
import { AccessTarget } from './access-log.ts'
import { compileDropSet } from './header-policy.ts'
import { normalizeRouteHost } from './request-target.ts'

export interface CompiledRoute {
  readonly name: string
  /** Normalised like a request's Host (request-target.ts): lowercase, no trailing dot. */
  readonly host: string | null
  /** Matched prefix without a trailing slash; '' for '/', so every path matches. */
  readonly prefix: string
  /** `prefix` in ASCII lowercase, for the case-folded reading (routeReadings). */
  readonly prefixLower: string
  readonly methods: ReadonlySet<string> | null
  /** Value of the Allow header on 405. */
  readonly allow: string
  readonly requiresToken: boolean
  readonly tools: ReadonlySet<string>
  readonly bindArgs: boolean
  readonly maxBodyBytes: number
  readonly maxInflightBodyBytes: number
  readonly stripPrefix: boolean
  readonly websocket: boolean
  readonly dropHeaders: ReadonlySet<string>
  /** Origin of the upstream, e.g. http://127.0.0.1:4242. */
  readonly upstreamOrigin: string
  /** Upstream base path without a trailing slash; '' when none. */
  readonly upstreamBasePath: string
  readonly headersTimeoutMs: number
  readonly bodyTimeoutMs: number
  readonly pool: Pool
  /** Child logger with the route bound, made once (pino pre-renders bindings). */
  readonly log: Logger
  /** The access-log line prefix for this route's logger, rendered once. */
  readonly access: AccessTarget
}

/**
 * `route_ambiguous`: the path selects one route here and a more specific one under a reading common
 * upstreams apply (see `readsAsPrefix`); refused as 400 path_not_canonical.
 */
export type RouteMiss = 'route_not_found' | 'method_not_allowed' | 'route_ambiguous'

export class RouteTable {
  readonly routes: readonly CompiledRoute[]
  /** A prefix has an uppercase letter: then a lowercase path can be another case of it. */
  readonly #upperPrefix: boolean

  constructor(routes: readonly CompiledRoute[]) {
    this.routes = routes
    this.#upperPrefix = routes.some(hasUpperPrefix)
  }

  /**
   * The first (most specific) route whose host and prefix match; 405 only when none allows the method.
   * `route_ambiguous` when a route before it would take the path as an upstream may read it.
   */
  match(host: string | null, path: string, method: string): CompiledRoute | RouteMiss {
    let methodMiss = false
    const routes = this.routes
    for (let i = 0; i < routes.length; i++) {
      const route = routes[i]!
      if (route.host !== null && route.host !== host) continue
      if (!matchesPrefix(route.prefix, path)) continue
      if (route.methods !== null && !route.methods.has(method)) {
        methodMiss = true
        continue
      }
      if (i === 0 || (!this.#upperPrefix && !mayReadOtherwise(path))) return route
      return anyEarlierReading(routes, i, host, path, method) ? 'route_ambiguous' : route
    }
    return methodMiss ? 'method_not_allowed' : 'route_not_found'
  }

  /** Allow header for a 405: union over the routes matching host and path. */
  allowFor(host: string | null, path: string): string {
    const methods = new Set<string>()
    for (const route of this.routes) {
      if (route.host !== null && route.host !== host) continue
      if (!matchesPrefix(route.prefix, path)) continue
      if (route.methods !== null) for (const m of route.methods) methods.add(m)
    }
    return [...methods].join(', ')
  }

  /** Close every pool; undici lets queued and in-flight requests finish first. */
  async close(): Promise<void> {
    await Promise.allSettled(this.routes.map((r) => r.pool.close()))
  }

  /** Immediate teardown (drain deadline passed). */
  async destroy(): Promise<void> {
    await Promise.allSettled(this.routes.map((r) => r.pool.destroy()))
  }
}

/** '/v1' matches '/v1' and '/v1/x', never '/v10'. */
function matchesPrefix(prefix: string, path: string): boolean {
  if (prefix.length === 0) return true
  if (!path.startsWith(prefix)) return false
  return path.length === prefix.length || path.charCodeAt(prefix.length) === 47 /* '/' */
}

function hasUpperPrefix(route: CompiledRoute): boolean {
  return route.prefix !== route.prefixLower
}

/**
 * Can an upstream read this path as another route's? Only if it has an uppercase ASCII letter, a
 * '.', ':' or '%' (the readings below); most paths have none and skip the scan (unless a route
 * prefix has an uppercase letter, RouteTable#upperPrefix).
 */
function mayReadOtherwise(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i)
    if ((c >= 65 && c <= 90) || c === 46 /* '.' */ || c === 58 /* ':' */ || c === 37 /* '%' */) return true
  }
  return false
}

/** Does a route before index `end` take the path under an upstream's reading (host and method too)? */
function anyEarlierReading(routes: readonly CompiledRoute[], end: number, host: string | null, path: string, method: string): boolean {
  for (let i = 0; i < end; i++) {
    const route = routes[i]!
    if (route.host !== null && route.host !== host) continue
    if (route.methods !== null && !route.methods.has(method)) continue
    if (readsAsPrefix(route.prefixLower, path)) return true
  }
  return false
}

/**
 * The prefix rule as common upstreams may apply it, looser than ours in three ways that decide which
 * handler serves a path: letters compared without case (Express and ASP.NET Core route
 * case-insensitively by default, IIS serves files that way: '/ADMIN' is '/admin'); a final '.ext'
 * read as a format suffix (Rails' '(.:format)', Spring's suffix pattern match: '/admin.json' and
 * '/admin.json/' are '/admin'); and ':' (raw or %3A) ending the name, as NTFS streams do on IIS ('/admin::$DATA',
 * '/admin::$INDEX_ALLOCATION/x' are '/admin', '/admin/x') and Google-style custom methods
 * ('/v1/items:batchGet' acts on '/v1/items'). `prefixLower` is lowercase already.
 */
function readsAsPrefix(prefixLower: string, path: string): boolean {
  const length = prefixLower.length
  if (path.length < length) return false
  for (let i = 0; i < length; i++) {
    let c = path.charCodeAt(i)
    if (c >= 65 && c <= 90) c += 32
    if (c !== prefixLower.charCodeAt(i)) return false
  }
  if (path.length === length) return true
  const next = path.charCodeAt(length)
  if (next === 47 /* '/' */ || next === 58 /* ':' */) return true
  // '%3A' is ':' once decoded (IIS decodes before the NTFS stream syntax applies).
  if (next === 37 /* '%' */ && path.charCodeAt(length + 1) === 51 && (path.charCodeAt(length + 2) | 32) === 97) return true
  if (next !== 46 /* '.' */) return false
  // A format suffix ends the path; Rails and Spring ignore one trailing '/' ('/admin.json/').
  const slash = path.indexOf('/', length)
  return slash === -1 || slash === path.length - 1
}

/** Build the whole table (pools included). On any failure the pools made so far are closed. */
export function compileRouteTable(configs: readonly RouteConfig[], logger: Logger): RouteTable {
  const compiled: CompiledRoute[] = []
  try {
    for (const config of configs) compiled.push(compileRoute(config, logger))
  } catch (err) {
    for (const route of compiled) void route.pool.destroy()
    throw err
  }
  return new RouteTable(sortBySpecificity(compiled))
}

/**
 * Most specific first: a host-bound route beats a host-less one, a longer prefix beats a shorter
 * one; ties keep config order. So `/v1/admin` is never shadowed by `/v1` whatever the YAML order.
 */
function sortBySpecificity(routes: CompiledRoute[]): CompiledRoute[] {
  return routes
    .map((route, index) => ({ route, index }))
    .sort((a, b) => {
      const hostA = a.route.host === null ? 1 : 0
      const hostB = b.route.host === null ? 1 : 0
      if (hostA !== hostB) return hostA - hostB
      if (a.route.prefix.length !== b.route.prefix.length) return b.route.prefix.length - a.route.prefix.length
      return a.index - b.index
    })
    .map((entry) => entry.route)
}

function compileRoute(config: RouteConfig, logger: Logger): CompiledRoute {
  const url = new URL(config.upstream.url)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`routes.${config.name}.upstream.url: protocol ${url.protocol} is not supported; use http:// or https://`)
  }
  const up = config.upstream
  const pool = new Pool(url.origin, {
    connections: up.connections,
    keepAliveTimeout: up.keepAliveTimeoutMs,
    headersTimeout: up.headersTimeoutMs,
    bodyTimeout: up.bodyTimeoutMs,
    connect: { timeout: up.connectTimeoutMs },
  })
  const methods = config.match.methods === null ? null : new Set(config.match.methods.map((m) => m.toUpperCase()))
  // RFC 9110 §9.3.2: HEAD is GET without the body, and Express, Go net/http, Flask, Rails and Spring
  // serve it with the GET handler. A route that takes GET takes HEAD, or `HEAD /admin` would fall
  // through to a less specific (auth: none) route and run the protected GET handler upstream.
  if (methods !== null && methods.has('GET')) methods.add('HEAD')
  const log = logger.child({ route: config.name })
  return {
    name: config.name,
    host: config.match.host === null ? null : normalizeRouteHost(config.match.host, config.name),
    prefix: trimTrailingSlash(config.match.pathPrefix),
    prefixLower: asciiLower(trimTrailingSlash(config.match.pathPrefix)),
    methods,
    allow: methods === null ? '' : [...methods].join(', '),
    requiresToken: config.auth === 'token',
    tools: new Set(config.tools),
    bindArgs: config.bindArgs === 'exact',
    maxBodyBytes: config.maxBodyBytes,
    maxInflightBodyBytes: config.maxInflightBodyBytes,
    stripPrefix: config.stripPrefix,
    websocket: config.websocket,
    dropHeaders: compileDropSet(config.stripHeaders, config.forwardAuthorization),
    upstreamOrigin: url.origin,
    upstreamBasePath: trimTrailingSlash(url.pathname),
    headersTimeoutMs: up.headersTimeoutMs,
    bodyTimeoutMs: up.bodyTimeoutMs,
    pool,
    log,
    access: new AccessTarget(log),
  }
}

function asciiLower(text: string): string {
  return text.replace(ASCII_UPPER, toLower)
}

const ASCII_UPPER = /[A-Z]/g

function toLower(letter: string): string {
  return letter.toLowerCase()
}

function trimTrailingSlash(path: string): string {
  let end = path.length
  while (end > 0 && path.charCodeAt(end - 1) === 47) end--
  return path.slice(0, end)
}

/** Path sent upstream: base path + (path, minus the matched prefix when strip_prefix) + query. */
export function upstreamPath(route: CompiledRoute, path: string, query: string): string {
  const rest = route.stripPrefix ? path.slice(route.prefix.length) : path
  if (rest.length === 0) return (route.upstreamBasePath.length === 0 ? '/' : route.upstreamBasePath) + query
  return route.upstreamBasePath + rest + query
}
