// Raw (schema-valid, defaults applied) YAML → the Config contract of types.ts: durations in ms,
// sizes in bytes, camelCase names, lowercase hosts and header names, uppercase methods, canonical
// path prefixes and upstream URLs. Values the schema cannot judge become problems here.
import { availableParallelism } from 'node:os'
import * as D from './defaults.ts'
import { normalizeListenerLimits } from './normalize-listener.ts'
import { normalizeVaultServer } from './normalize-vault.ts'
import type { PathSegment, PendingProblem } from './problems.ts'
import type { RawConfig, RawRoute } from './schema.ts'
import type { Config, ListenConfig, RouteConfig, UpstreamConfig } from './types.ts'
import { parseDuration, parseSize } from './units.ts'
import { checkHttpUrl } from './check.ts'

type Problems = PendingProblem[]

export function normalizeConfig(raw: RawConfig, problems: Problems): Config {
  const mode = raw.mode ?? D.DEFAULT_MODE
  const g = raw.gateway ?? {}
  const v = raw.vault ?? {}
  const t = raw.token ?? {}
  const j = raw.jwks ?? {}
  const paired = mode === 'paired'
  const vaultPairs: Array<[string, string]> = []
  const vaultServer = normalizeVaultServer(raw.vault_server ?? {}, vaultPairs)
  for (const [suffix, message] of vaultPairs) problems.push({ path: ['vault_server', ...suffix.split('.')], message })
  const routes = (raw.routes ?? []).map((r, i) => route(r, ['routes', i], problems))
  const gatewayPairs: Array<[string, string]> = []
  const gatewayLimits = normalizeListenerLimits(g, D.GATEWAY_LISTENER_DEFAULTS, gatewayPairs)
  for (const [key, message] of gatewayPairs) problems.push({ path: ['gateway', key], message })
  const adminPairs: Array<[string, string]> = []
  const adminLimits = normalizeListenerLimits(raw.admin ?? {}, D.ADMIN_LISTENER_DEFAULTS, adminPairs)
  for (const [key, message] of adminPairs) problems.push({ path: ['admin', key], message })

  return {
    mode,
    gateway: {
      listen: listen(g.listen, D.DEFAULT_GATEWAY_HOST, D.DEFAULT_GATEWAY_PORT),
      trustedProxies: (g.trusted_proxies ?? []).map((p) => p.trim()),
      drainTimeoutMs: ms(g.drain_timeout, D.DEFAULT_DRAIN_TIMEOUT, ['gateway', 'drain_timeout'], 0, problems),
      maxHeaderBytes: bytes(g.max_header_size, D.DEFAULT_MAX_HEADER_SIZE, ['gateway', 'max_header_size'], MIN_HEADER_BYTES, problems),
      requestTimeoutMs: gatewayLimits.requestTimeoutMs,
      maxHeaderCount: g.max_header_count ?? D.DEFAULT_MAX_HEADER_COUNT,
      pathRules: { rejectPercentEncoded: g.path_rules?.reject_percent_encoded ?? false },
      workers: g.workers === 'auto' ? availableParallelism() : (g.workers ?? D.DEFAULT_WORKERS),
      maxInflightBodyBytes: inflightLimit(g.max_inflight_body, D.DEFAULT_GATEWAY_MAX_INFLIGHT_BODY, largestBoundBody(routes), ['gateway', 'max_inflight_body'], problems),
      limits: gatewayLimits,
    },
    admin: { listen: listen(raw.admin?.listen, D.DEFAULT_ADMIN_HOST, D.DEFAULT_ADMIN_PORT), limits: adminLimits },
    // The remote Vault only exists in paired mode; elsewhere these keys are ignored.
    vault: {
      url: paired && v.url !== undefined ? canonicalUrl(v.url) : null,
      apiKey: paired ? (v.api_key ?? null) : null,
      timeoutMs: ms(v.timeout, D.DEFAULT_VAULT_TIMEOUT, ['vault', 'timeout'], 1, problems),
      connections: v.connections ?? D.DEFAULT_VAULT_CONNECTIONS,
    },
    token: {
      issuer: t.issuer ?? D.DEFAULT_TOKEN_ISSUER,
      audience: t.audience ?? D.DEFAULT_TOKEN_AUDIENCE,
      subject: t.subject ?? D.DEFAULT_TOKEN_SUBJECT,
      clockSkewMs: ms(t.clock_skew, D.DEFAULT_CLOCK_SKEW, ['token', 'clock_skew'], 0, problems),
      replayCacheSize: t.replay_cache_size ?? D.DEFAULT_REPLAY_CACHE_SIZE,
      requireExp: t.require_exp ?? D.DEFAULT_REQUIRE_EXP,
    },
    jwks: {
      url: paired && j.url !== undefined ? j.url : null,
      refreshIntervalMs: ms(j.refresh_interval, D.DEFAULT_JWKS_REFRESH_INTERVAL, ['jwks', 'refresh_interval'], 1, problems),
      minRefreshMs: ms(j.min_refresh, D.DEFAULT_JWKS_MIN_REFRESH, ['jwks', 'min_refresh'], 1, problems),
      maxRefreshMs: ms(j.max_refresh, D.DEFAULT_JWKS_MAX_REFRESH, ['jwks', 'max_refresh'], 1, problems),
      kidMissCooldownMs: ms(j.kid_miss_cooldown, D.DEFAULT_JWKS_KID_MISS_COOLDOWN, ['jwks', 'kid_miss_cooldown'], 0, problems),
      maxStaleMs: ms(j.max_stale, D.DEFAULT_JWKS_MAX_STALE, ['jwks', 'max_stale'], 0, problems),
      fetchTimeoutMs: ms(j.timeout, D.DEFAULT_JWKS_TIMEOUT, ['jwks', 'timeout'], 1, problems),
    },
    routes,
    logging: { level: raw.logging?.level ?? D.DEFAULT_LOG_LEVEL },
    vaultServer,
  }
}

/** node:http refuses to start useful work below this; one A-JWT header alone is ~1 KiB. */
const MIN_HEADER_BYTES = 1024

function route(r: RawRoute, at: PathSegment[], problems: Problems): RouteConfig {
  const up = typeof r.upstream === 'string' ? { url: r.upstream } : r.upstream
  const timeout = (key: 'connect_timeout' | 'headers_timeout' | 'body_timeout' | 'keep_alive_timeout', fallback: string) =>
    ms(up[key], fallback, [...at, 'upstream', key], 1, problems)
  const upstream: UpstreamConfig = {
    url: canonicalUrl(up.url),
    connectTimeoutMs: timeout('connect_timeout', D.DEFAULT_UPSTREAM_CONNECT_TIMEOUT),
    headersTimeoutMs: timeout('headers_timeout', D.DEFAULT_UPSTREAM_HEADERS_TIMEOUT),
    bodyTimeoutMs: timeout('body_timeout', D.DEFAULT_UPSTREAM_BODY_TIMEOUT),
    keepAliveTimeoutMs: timeout('keep_alive_timeout', D.DEFAULT_UPSTREAM_KEEP_ALIVE_TIMEOUT),
    connections: up.connections ?? D.DEFAULT_UPSTREAM_CONNECTIONS,
  }
  const maxBodyBytes = bytes(r.max_body, D.DEFAULT_MAX_BODY, [...at, 'max_body'], 0, problems)
  return {
    name: r.name,
    match: {
      host: r.match.host === undefined ? null : r.match.host.toLowerCase(),
      pathPrefix: pathPrefix(r.match.path_prefix ?? '/'),
      methods: r.match.methods === undefined ? null : unique(r.match.methods.map((m) => m.toUpperCase())),
    },
    upstream,
    auth: r.auth ?? D.DEFAULT_ROUTE_AUTH,
    tools: unique(r.tools ?? []),
    bindArgs: r.bind_args ?? D.DEFAULT_BIND_ARGS,
    maxBodyBytes,
    maxInflightBodyBytes: inflightLimit(r.max_inflight_body, D.DEFAULT_ROUTE_MAX_INFLIGHT_BODY, maxBodyBytes, [...at, 'max_inflight_body'], problems),
    stripHeaders: unique((r.strip_headers ?? []).map((h) => h.toLowerCase())),
    forwardAuthorization: r.forward_authorization ?? D.DEFAULT_FORWARD_AUTHORIZATION,
    stripPrefix: r.strip_prefix ?? D.DEFAULT_STRIP_PREFIX,
    websocket: r.websocket ?? D.DEFAULT_WEBSOCKET,
  }
}

function listen(raw: { host?: string; port?: number } | undefined, host: string, port: number): ListenConfig {
  return { host: raw?.host ?? host, port: raw?.port ?? port }
}

function ms(value: string | undefined, fallback: string, at: PathSegment[], minMs: number, problems: Problems): number {
  const parsed = parseDuration(value ?? fallback)
  if (parsed === null) problems.push({ path: at, message: `expected a duration like "30s", got ${JSON.stringify(value)}` })
  else if (parsed < minMs) problems.push({ path: at, message: `must be greater than 0, got ${JSON.stringify(value)}` })
  return parsed ?? 0
}

function bytes(value: string | number | undefined, fallback: string, at: PathSegment[], min: number, problems: Problems): number {
  const parsed = parseSize(value ?? fallback)
  if (parsed === null) problems.push({ path: at, message: `expected a size like "1mib", got ${JSON.stringify(value)}` })
  else if (parsed < min) problems.push({ path: at, message: `must be at least ${min} bytes, got ${JSON.stringify(value)}` })
  return parsed ?? 0
}

/**
 * An in-flight body budget must admit one max_body body, or such a body could never pass: unset, the
 * default is raised to `floor`; set below it, it is a problem.
 */
function inflightLimit(value: string | number | undefined, fallback: string, floor: number, at: PathSegment[], problems: Problems): number {
  if (value === undefined) return Math.max(parseSize(fallback) ?? 0, floor)
  const limit = bytes(value, fallback, at, 0, problems)
  if (limit < floor) problems.push({ path: at, message: `must be at least max_body (${floor} bytes), or no body that large could ever be admitted; got ${JSON.stringify(value)}` })
  return limit
}

function largestBoundBody(routes: readonly RouteConfig[]): number {
  let largest = 0
  for (const r of routes) if (r.bindArgs === 'exact' && r.maxBodyBytes > largest) largest = r.maxBodyBytes
  return largest
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)]
}

/** '/v1/' → '/v1' (the root stays '/'); validity is judged in check.ts. */
function pathPrefix(text: string): string {
  return text.length > 1 && text.endsWith('/') ? text.slice(0, -1) : text
}

/** `scheme://host[:port][/base]` without a trailing slash; text that check.ts will refuse is kept as written. */
function canonicalUrl(text: string): string {
  if (checkHttpUrl(text) !== null) return text
  const u = new URL(text)
  const path = u.pathname.endsWith('/') ? u.pathname.slice(0, -1) : u.pathname
  return `${u.protocol}//${u.host}${path}`
}
