// Default values for every optional YAML key, each with the reason it has that value. The schema
// advertises them (so editors show them) and the normaliser falls back to them.
import type { ListenerDefaults } from './schema-listener.ts'

/** One process is the quickstart; `paired` is the production split (gateway here, Vault elsewhere). */
export const DEFAULT_MODE = 'all-in-one'

/** Loopback until the operator opts in to exposure; containers set `0.0.0.0` explicitly. */
export const DEFAULT_GATEWAY_HOST = '127.0.0.1'
/** The usual alternate HTTP port; the Vault API keeps the Ledgix default 8000. */
export const DEFAULT_GATEWAY_PORT = 8080
/** Kubernetes sends SIGKILL 30 s after SIGTERM by default; draining for 25 s finishes first. */
export const DEFAULT_DRAIN_TIMEOUT = '25s'
/** Node's own --max-http-header-size default; an A-JWT header is under 2 KiB. */
export const DEFAULT_MAX_HEADER_SIZE = '16kib'
/**
 * Inbound header fields per request. Apache httpd (LimitRequestFields), gunicorn
 * (limit_request_fields) and Tomcat (maxHeaderCount) refuse requests with more than 100 fields;
 * the gateway adds up to 11 of its own (request id, six identity, X-Forwarded-*, Forwarded, Host),
 * so 80 inbound keeps what it forwards under 100. SDK calls send about 10, browsers about 20.
 */
export const DEFAULT_MAX_HEADER_COUNT = 80
/** Node's http.Server requestTimeout default: time allowed to receive a whole request. Proxied
 * uploads stream through it, so it stays long; downloads and WebSocket tunnels are not subject to it. */
export const DEFAULT_REQUEST_TIMEOUT = '300s'
/** A real client sends its header block in one or two packets; 10 s covers a slow mobile link
 * (HAProxy's usual `timeout http-request`) and cuts slowloris sockets 6× sooner than Node's 60 s. */
export const DEFAULT_HEADERS_TIMEOUT = '10s'
/** Socket silence while a request is open. Longer than the upstream headers/body timeouts (300 s),
 * with 10 s to spare, so a slow upstream ends in a 504 from its own timeout, not a reset of the client. */
export const DEFAULT_GATEWAY_IDLE_TIMEOUT = '310s'
/** Above the 60 s idle timeout of common load balancers (AWS ALB, nginx upstream keepalive): the
 * balancer must close an idle connection first, or it may send a request on a socket we are closing (502). */
export const DEFAULT_KEEP_ALIVE_TIMEOUT = '65s'
/** Per process: far below a container's file limit (each proxied client may pair with an upstream
 * socket), so excess clients are refused and counted instead of failing accept() with EMFILE. */
export const DEFAULT_GATEWAY_MAX_CONNECTIONS = 16_384
/** One address may hold 1/16 of the slots; trusted_proxies (a load balancer carries every client) are exempt. */
export const DEFAULT_GATEWAY_MAX_CONNECTIONS_PER_IP = 1024
/** One process unless asked: "auto" means one worker per available CPU. */
export const DEFAULT_WORKERS = 1

/** Metrics and health stay on loopback; scrape through a sidecar or publish explicitly. */
export const DEFAULT_ADMIN_HOST = '127.0.0.1'
/** Conventional metrics port, clear of the gateway (8080) and Vault (8000) defaults. */
export const DEFAULT_ADMIN_PORT = 9090
/** Probes and scrapers send a GET with a few headers at once. */
export const DEFAULT_ADMIN_HEADERS_TIMEOUT = '5s'
/** GET only: no body to wait for. */
export const DEFAULT_ADMIN_REQUEST_TIMEOUT = '10s'
/** A cluster's /metrics waits at most 1 s per worker; nothing legitimate is silent for 30 s. */
export const DEFAULT_ADMIN_IDLE_TIMEOUT = '30s'
/** Node's default: probes and scrapers reconnect cheaply, and no load balancer sits in front. */
export const DEFAULT_ADMIN_KEEP_ALIVE_TIMEOUT = '5s'
/** A few probes and scrapers; a stuck client must not starve /readyz of descriptors or of the loop. */
export const DEFAULT_ADMIN_MAX_CONNECTIONS = 64
/** Loopback by default: every local client shares 127.0.0.1, so a per-address cap adds nothing. */
export const DEFAULT_ADMIN_MAX_CONNECTIONS_PER_IP = 0

/** The Ledgix client's per-attempt timeout is 30 s (spec §2): a body (≤ max_body) arrives well within it. */
export const DEFAULT_VAULT_REQUEST_TIMEOUT = '30s'
/** Above decision_timeout (25 s), the longest a clearance is legitimately silent. */
export const DEFAULT_VAULT_IDLE_TIMEOUT = '60s'
/** Per process: gateways keep up to vault.connections (32) sockets each, SDK clients a few. */
export const DEFAULT_VAULT_MAX_CONNECTIONS = 4096
/** Off: a central Vault sits behind a load balancer whose few addresses carry every client; set it
 * when clients connect directly. */
export const DEFAULT_VAULT_MAX_CONNECTIONS_PER_IP = 0

/** A burn is one indexed write; 3 s bounds a stalled Vault before we answer 503 (the SDK waits 30 s). */
export const DEFAULT_VAULT_TIMEOUT = '3s'
/** Burns are tiny and keep-alive; 32 sockets carry thousands of burns per second. */
export const DEFAULT_VAULT_CONNECTIONS = 32

/** The Ledgix SDK default issuer (spec §5.2); the docs' `ledgix-vault` is wrong. */
export const DEFAULT_TOKEN_ISSUER = 'alcv-vault'
/** The Ledgix SDK default audience (spec §5.2). */
export const DEFAULT_TOKEN_AUDIENCE = 'ledgix-sdk'
/** Spec §5.2: `sub` is exactly "clearance". */
export const DEFAULT_TOKEN_SUBJECT = 'clearance'
/** Envoy uses 60 s, the Ledgix client 0 s; 30 s absorbs NTP drift between hosts. */
export const DEFAULT_CLOCK_SKEW = '30s'
/** Above this the skew would outlast a default 300 s token's useful life. */
export const MAX_CLOCK_SKEW_MS = 300_000
/** At a 300 s token TTL this remembers ~330 burns/s per worker; beyond it the Vault burn still decides. */
export const DEFAULT_REPLAY_CACHE_SIZE = 100_000
/** The SDK accepts tokens without exp (spec §5.1) and then cannot stop replays; we refuse them. */
export const DEFAULT_REQUIRE_EXP = true

/** Rotation publishes the new key well ahead of use, and kid misses refetch at once anyway. */
export const DEFAULT_JWKS_REFRESH_INTERVAL = '5m'
/** A tiny Cache-Control max-age must not turn refreshes into a flood. */
export const DEFAULT_JWKS_MIN_REFRESH = '30s'
/** A huge max-age must not pin a revoked key for days. */
export const DEFAULT_JWKS_MAX_REFRESH = '1h'
/** Forged kids must not make every request a JWKS fetch (jose's cooldownDuration is 30 s). */
export const DEFAULT_JWKS_KID_MISS_COOLDOWN = '10s'
/** Ride out a Vault outage this long on known keys, then fail closed. */
export const DEFAULT_JWKS_MAX_STALE = '1h'
/** jose's remote JWKS timeout is 5 s. */
export const DEFAULT_JWKS_TIMEOUT = '5s'

/** undici's connect timeout default. */
export const DEFAULT_UPSTREAM_CONNECT_TIMEOUT = '10s'
/** undici's headersTimeout default. */
export const DEFAULT_UPSTREAM_HEADERS_TIMEOUT = '300s'
/** undici's bodyTimeout default (time between body chunks). */
export const DEFAULT_UPSTREAM_BODY_TIMEOUT = '300s'
/** undici's default, under Node's 5 s server keepAliveTimeout so we never reuse a closing socket. */
export const DEFAULT_UPSTREAM_KEEP_ALIVE_TIMEOUT = '4s'
/** undici Pools are unbounded by default; a bound keeps one slow upstream from eating every fd. */
export const DEFAULT_UPSTREAM_CONNECTIONS = 128

/** Requests without a token are refused unless a route opts out: one strict mode. */
export const DEFAULT_ROUTE_AUTH = 'token'
/** Binding to the exact arguments is opt-in because it needs the body buffered. */
export const DEFAULT_BIND_ARGS = 'none'
/** Tool-call JSON bodies are small; 1 MiB bounds memory per buffered request. */
export const DEFAULT_MAX_BODY = '1mib'
/**
 * Bodies a bind_args route may hold at once (arriving, awaiting the burn, going upstream): 32
 * max-size bodies, or ~160k typical 200-byte ones. Raised to the route's max_body when unset.
 */
export const DEFAULT_ROUTE_MAX_INFLIGHT_BODY = '32mib'
/** Same across all routes of one worker: a few routes' worth, far below a default Node heap. */
export const DEFAULT_GATEWAY_MAX_INFLIGHT_BODY = '128mib'
/** A single-use token has no business upstream once burned. */
export const DEFAULT_FORWARD_AUTHORIZATION = false
export const DEFAULT_STRIP_PREFIX = false
/** Upgrades go through the same auth as any request, so allowing them costs nothing. */
export const DEFAULT_WEBSOCKET = true

export const DEFAULT_LOG_LEVEL = 'info'

/** Each listener's limits (schema-listener.ts): the proxy, the admin endpoint, the Vault API. */
export const GATEWAY_LISTENER_DEFAULTS: ListenerDefaults = {
  headersTimeout: DEFAULT_HEADERS_TIMEOUT,
  requestTimeout: DEFAULT_REQUEST_TIMEOUT,
  idleTimeout: DEFAULT_GATEWAY_IDLE_TIMEOUT,
  keepAliveTimeout: DEFAULT_KEEP_ALIVE_TIMEOUT,
  maxConnections: DEFAULT_GATEWAY_MAX_CONNECTIONS,
  maxConnectionsPerIp: DEFAULT_GATEWAY_MAX_CONNECTIONS_PER_IP,
}

export const ADMIN_LISTENER_DEFAULTS: ListenerDefaults = {
  headersTimeout: DEFAULT_ADMIN_HEADERS_TIMEOUT,
  requestTimeout: DEFAULT_ADMIN_REQUEST_TIMEOUT,
  idleTimeout: DEFAULT_ADMIN_IDLE_TIMEOUT,
  keepAliveTimeout: DEFAULT_ADMIN_KEEP_ALIVE_TIMEOUT,
  maxConnections: DEFAULT_ADMIN_MAX_CONNECTIONS,
  maxConnectionsPerIp: DEFAULT_ADMIN_MAX_CONNECTIONS_PER_IP,
}

export const VAULT_LISTENER_DEFAULTS: ListenerDefaults = {
  headersTimeout: DEFAULT_HEADERS_TIMEOUT,
  requestTimeout: DEFAULT_VAULT_REQUEST_TIMEOUT,
  idleTimeout: DEFAULT_VAULT_IDLE_TIMEOUT,
  keepAliveTimeout: DEFAULT_KEEP_ALIVE_TIMEOUT,
  maxConnections: DEFAULT_VAULT_MAX_CONNECTIONS,
  maxConnectionsPerIp: DEFAULT_VAULT_MAX_CONNECTIONS_PER_IP,
}
