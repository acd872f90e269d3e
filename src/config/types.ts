// The normalised, frozen configuration every component reads: durations in ms, sizes in bytes,
// defaults filled in. Produced by loadConfig() from YAML (see schema.ts for the YAML shape).
// This file is the contract between src/config and its readers; change both together.

export type Mode = 'paired' | 'all-in-one' | 'vault-only'

export interface ListenConfig {
  host: string
  port: number
}

/** Connection limits of one listener (gateway, admin, vault_server); 0 = off for the caps. */
export interface ListenerLimits {
  headersTimeoutMs: number
  /** Whole request received within this (for the gateway: gateway.request_timeout). */
  requestTimeoutMs: number
  idleTimeoutMs: number
  keepAliveTimeoutMs: number
  maxConnections: number
  maxConnectionsPerIp: number
}

export interface RouteMatch {
  /** Exact Host header (without port), lowercase; null = any host. */
  host: string | null
  /** Path prefix, always starting with '/'; matched on segment boundaries ('/v1' matches '/v1' and '/v1/x', not '/v10'). */
  pathPrefix: string
  /** Uppercase methods; null = any method. */
  methods: readonly string[] | null
}

export interface UpstreamConfig {
  /** Origin plus optional base path, e.g. http://127.0.0.1:4242 or http://crm:8080/api */
  url: string
  connectTimeoutMs: number
  headersTimeoutMs: number
  bodyTimeoutMs: number
  keepAliveTimeoutMs: number
  /** Max connections in the undici Pool. */
  connections: number
}

export interface RouteConfig {
  name: string
  match: RouteMatch
  upstream: UpstreamConfig
  auth: 'token' | 'none'
  /** Allowed values of the token's `tool` claim; empty only when auth is 'none'. */
  tools: readonly string[]
  bindArgs: 'exact' | 'none'
  /** Upper bound on a buffered body (bind_args: exact); streamed bodies are not limited unless set. */
  maxBodyBytes: number
  /** Bytes of bodies this bind_args route may hold at once (reserved on arrival, freed at the response's end). */
  maxInflightBodyBytes: number
  /** Extra request headers to drop before proxying, lowercase. */
  stripHeaders: readonly string[]
  forwardAuthorization: boolean
  /** Strip the matched prefix before forwarding. */
  stripPrefix: boolean
  websocket: boolean
}

export interface TokenConfig {
  issuer: string
  audience: string
  subject: string
  clockSkewMs: number
  /** Entries in the local LRU of burned jtis. */
  replayCacheSize: number
  requireExp: boolean
}

export interface JwksConfig {
  /** Where to fetch keys in paired mode; null = {vault.url}/.well-known/jwks.json. */
  url: string | null
  /** Refresh interval when the response has no Cache-Control max-age. */
  refreshIntervalMs: number
  /** Bounds applied to Cache-Control max-age. */
  minRefreshMs: number
  maxRefreshMs: number
  /** After a kid-miss refetch, further kid-miss refetches wait this long. */
  kidMissCooldownMs: number
  /** Keep serving the last good key set this long after refreshes start failing, then fail closed. */
  maxStaleMs: number
  fetchTimeoutMs: number
}

export interface RemoteVaultConfig {
  /** Base URL of the remote Vault (paired mode); null in all-in-one / vault-only. */
  url: string | null
  apiKey: string | null
  timeoutMs: number
  connections: number
}

export interface GatewayConfig {
  listen: ListenConfig
  /** CIDRs / addresses whose X-Forwarded-* headers are trusted and appended to. */
  trustedProxies: readonly string[]
  drainTimeoutMs: number
  /** Headers larger than this are refused (431) by node:http. */
  maxHeaderBytes: number
  requestTimeoutMs: number
  /** More inbound header fields than this → 431. */
  maxHeaderCount: number
  /** Options that tighten the request path rule (src/gateway/request-target.ts). */
  pathRules: { rejectPercentEncoded: boolean }
  workers: number
  /** Bytes of bind_args bodies one worker may hold at once, all routes together. */
  maxInflightBodyBytes: number
  /** The proxy listener's timeouts and caps (limits.requestTimeoutMs === requestTimeoutMs). */
  limits: ListenerLimits
}

export interface AdminConfig {
  listen: ListenConfig
  limits: ListenerLimits
}

export interface LoggingConfig {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'
}

export interface Config {
  mode: Mode
  gateway: GatewayConfig
  admin: AdminConfig
  vault: RemoteVaultConfig
  token: TokenConfig
  jwks: JwksConfig
  routes: readonly RouteConfig[]
  logging: LoggingConfig
  /** Embedded Vault settings (all-in-one, vault-only); see schema-vault.ts. */
  vaultServer: import('./types-vault.ts').VaultServerConfig
}
