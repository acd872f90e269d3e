// The one YAML schema (TypeBox): it gives the TypeScript type of the raw file, and through
// scripts/gen-config-validator.ts the Ajv validator (generated/config-validator.ts, run by
// validate.ts) and the JSON Schema that `config schema` prints (json-schema.ts). Every object is
// closed. Only types are imported from here at run time: building the schema is generation work.
import { Type } from '@sinclair/typebox'
import type { Static, TInteger, TString, TUnion, TUnsafe } from '@sinclair/typebox'
import { deepFreeze } from './deep-freeze.ts'
import * as D from './defaults.ts'
import { HOST_PATTERN, ROUTE_NAME_PATTERN, TOKEN_PATTERN } from './patterns.ts'
import { listenerLimitProperties } from './schema-listener.ts'
import { VaultServerSchema } from './schema-vault.ts'
import { DURATION_PATTERN, SIZE_PATTERN } from './units.ts'

const closed = { additionalProperties: false } as const

function StringEnum<const T extends readonly string[]>(values: T, options: { default?: T[number]; description: string }): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })
}

/** Durations are strings ("30s") so a bare number is never read as the wrong unit. */
function Duration(description: string, defaultValue?: string): TString {
  const opts = defaultValue === undefined ? {} : { default: defaultValue }
  return Type.String({ pattern: DURATION_PATTERN, description: `${description} A duration like "30s" (ms, s, m, h, d).`, ...opts })
}

function Size(description: string, defaultValue: string): TUnion<[TString, TInteger]> {
  return Type.Union([Type.String({ pattern: SIZE_PATTERN }), Type.Integer({ minimum: 0 })], {
    description: `${description} A size like "512kib" or "1mib", or a number of bytes.`,
    default: defaultValue,
  })
}

/** A size whose default depends on other keys: no `default` keyword, so the normaliser sees it unset. */
function UnsetSize(description: string): TUnion<[TString, TInteger]> {
  return Type.Union([Type.String({ pattern: SIZE_PATTERN }), Type.Integer({ minimum: 0 })], {
    description: `${description} A size like "512kib" or "1mib", or a number of bytes.`,
  })
}

function Listen(what: string, host: string, port: number) {
  return Type.Object(
    {
      host: Type.Optional(Type.String({ minLength: 1, default: host, description: `Address ${what} listens on.` })),
      port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, default: port, description: `Port ${what} listens on (0 = any free port).` })),
    },
    { ...closed, default: {}, description: `Where ${what} listens.` },
  )
}

const HttpUrl = (description: string) => Type.String({ minLength: 1, description })

const GatewaySchema = Type.Object(
  {
    listen: Type.Optional(Listen('the gateway', D.DEFAULT_GATEWAY_HOST, D.DEFAULT_GATEWAY_PORT)),
    trusted_proxies: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        default: [],
        description: 'IP addresses or CIDRs (10.0.0.0/8) of proxies whose X-Forwarded-* headers are trusted and appended to.',
      }),
    ),
    drain_timeout: Type.Optional(Duration('On SIGTERM, how long in-flight requests may finish before sockets close.', D.DEFAULT_DRAIN_TIMEOUT)),
    max_header_size: Type.Optional(Size('Request headers larger than this are refused with 431.', D.DEFAULT_MAX_HEADER_SIZE)),
    ...listenerLimitProperties(D.GATEWAY_LISTENER_DEFAULTS),
    max_header_count: Type.Optional(
      Type.Integer({
        minimum: 8,
        maximum: 1000,
        default: D.DEFAULT_MAX_HEADER_COUNT,
        description: 'Requests with more header fields than this are refused with 431 request_header_fields_too_large.',
      }),
    ),
    path_rules: Type.Optional(
      Type.Object(
        {
          reject_percent_encoded: Type.Optional(
            Type.Boolean({ default: false, description: 'Also refuse every percent-encoded path (plain ASCII paths only).' }),
          ),
        },
        { ...closed, default: {}, description: 'Tighten the request path rule (docs/design/request-target.md); the default rule cannot be loosened.' },
      ),
    ),
    max_inflight_body: Type.Optional(
      UnsetSize(
        `Total bytes of bind_args bodies one worker holds at once, all routes together; beyond it 503 overloaded with Retry-After (default "${D.DEFAULT_GATEWAY_MAX_INFLIGHT_BODY}"). Unset, it is raised to the largest max_body; set, it must be at least that.`,
      ),
    ),
    workers: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 256 }), Type.Literal('auto')], {
        default: D.DEFAULT_WORKERS,
        description: 'Gateway worker processes (node:cluster): a number, or "auto" for one per CPU.',
      }),
    ),
  },
  { ...closed, default: {}, description: 'The proxy listener and its limits.' },
)

const AdminSchema = Type.Object(
  {
    listen: Type.Optional(Listen('the admin endpoint (metrics, health)', D.DEFAULT_ADMIN_HOST, D.DEFAULT_ADMIN_PORT)),
    ...listenerLimitProperties(D.ADMIN_LISTENER_DEFAULTS),
  },
  { ...closed, default: {}, description: 'Metrics (/metrics) and health (/healthz, /readyz) listener.' },
)

const VaultSchema = Type.Object(
  {
    url: Type.Optional(HttpUrl('Base URL of the remote Vault (paired mode), e.g. https://vault.internal:8000. Ignored in other modes.')),
    api_key: Type.Optional(Type.String({ minLength: 1, description: 'API key the gateway sends to the remote Vault. Use ${LEDGIX_VAULT_API_KEY}.' })),
    timeout: Type.Optional(Duration('Per-request timeout for burns at the remote Vault.', D.DEFAULT_VAULT_TIMEOUT)),
    connections: Type.Optional(Type.Integer({ minimum: 1, default: D.DEFAULT_VAULT_CONNECTIONS, description: 'Max sockets to the remote Vault.' })),
  },
  { ...closed, default: {}, description: 'The remote Vault the gateway burns tokens at (paired mode only).' },
)

const TokenSchema = Type.Object(
  {
    issuer: Type.Optional(Type.String({ minLength: 1, default: D.DEFAULT_TOKEN_ISSUER, description: 'Required `iss` claim.' })),
    audience: Type.Optional(Type.String({ minLength: 1, default: D.DEFAULT_TOKEN_AUDIENCE, description: 'Required `aud` claim (or array member).' })),
    subject: Type.Optional(Type.String({ minLength: 1, default: D.DEFAULT_TOKEN_SUBJECT, description: 'Required `sub` claim.' })),
    clock_skew: Type.Optional(Duration('Tolerance applied to exp, nbf and iat (at most 5m).', D.DEFAULT_CLOCK_SKEW)),
    replay_cache_size: Type.Optional(
      Type.Integer({ minimum: 1, default: D.DEFAULT_REPLAY_CACHE_SIZE, description: 'Burned token ids remembered locally to refuse replays without a Vault round trip.' }),
    ),
    require_exp: Type.Optional(Type.Boolean({ default: D.DEFAULT_REQUIRE_EXP, description: 'Refuse tokens without an `exp` claim.' })),
  },
  { ...closed, default: {}, description: 'What an A-JWT must carry to be accepted.' },
)

const JwksSchema = Type.Object(
  {
    url: Type.Optional(HttpUrl('Where to fetch verification keys in paired mode; default {vault.url}/.well-known/jwks.json.')),
    refresh_interval: Type.Optional(Duration('Refresh period when the JWKS response has no Cache-Control max-age.', D.DEFAULT_JWKS_REFRESH_INTERVAL)),
    min_refresh: Type.Optional(Duration('Lower bound applied to Cache-Control max-age.', D.DEFAULT_JWKS_MIN_REFRESH)),
    max_refresh: Type.Optional(Duration('Upper bound applied to Cache-Control max-age.', D.DEFAULT_JWKS_MAX_REFRESH)),
    kid_miss_cooldown: Type.Optional(Duration('After a refetch caused by an unknown kid, further kid-miss refetches wait this long.', D.DEFAULT_JWKS_KID_MISS_COOLDOWN)),
    max_stale: Type.Optional(Duration('Keep using the last good keys this long while refreshes fail, then fail closed.', D.DEFAULT_JWKS_MAX_STALE)),
    timeout: Type.Optional(Duration('Timeout of one JWKS fetch.', D.DEFAULT_JWKS_TIMEOUT)),
  },
  { ...closed, default: {}, description: 'Verification key fetching and caching (paired mode).' },
)

// No `default` keywords inside the union: Ajv cannot apply defaults under anyOf (strict mode
// rejects them), so the normaliser fills these from defaults.ts and the descriptions say so.
const UpstreamObjectSchema = Type.Object(
  {
    url: HttpUrl('Origin plus optional base path, e.g. http://crm:8080/api. No query or fragment.'),
    connect_timeout: Type.Optional(Duration(`TCP/TLS connect timeout (default "${D.DEFAULT_UPSTREAM_CONNECT_TIMEOUT}").`)),
    headers_timeout: Type.Optional(Duration(`Time to receive the response headers (default "${D.DEFAULT_UPSTREAM_HEADERS_TIMEOUT}").`)),
    body_timeout: Type.Optional(Duration(`Max idle time between response body chunks (default "${D.DEFAULT_UPSTREAM_BODY_TIMEOUT}").`)),
    keep_alive_timeout: Type.Optional(Duration(`How long an idle upstream socket is kept (default "${D.DEFAULT_UPSTREAM_KEEP_ALIVE_TIMEOUT}").`)),
    connections: Type.Optional(Type.Integer({ minimum: 1, description: `Max sockets to this upstream (default ${D.DEFAULT_UPSTREAM_CONNECTIONS}).` })),
  },
  { ...closed, description: 'Upstream with its pool settings.' },
)

const RouteSchema = Type.Object(
  {
    name: Type.String({ pattern: ROUTE_NAME_PATTERN, maxLength: 64, description: 'Unique route name, used in logs and metrics.' }),
    match: Type.Object(
      {
        host: Type.Optional(Type.String({ pattern: HOST_PATTERN, description: 'Exact Host header to match, without port; omit to match any host.' })),
        path_prefix: Type.Optional(Type.String({ minLength: 1, default: '/', description: 'Path prefix, matched on segment boundaries ("/v1" matches /v1 and /v1/x, not /v10).' })),
        methods: Type.Optional(
          Type.Array(Type.String({ pattern: TOKEN_PATTERN }), { minItems: 1, description: 'HTTP methods to match (GET also takes HEAD); omit to match any method.' }),
        ),
      },
      { ...closed, description: 'Which requests this route takes. A host-bound route beats a host-less one, then the longest path prefix wins.' },
    ),
    upstream: Type.Union([HttpUrl('Upstream URL (shorthand for { url }).'), UpstreamObjectSchema], {
      description: 'Where matching requests go: a URL, or an object with url and pool settings.',
    }),
    auth: Type.Optional(StringEnum(['token', 'none'], { default: D.DEFAULT_ROUTE_AUTH, description: '"token" requires a valid single-use A-JWT; "none" passes requests through.' })),
    tools: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Allowed values of the token\'s `tool` claim; required with auth: token.' }),
    ),
    bind_args: Type.Optional(
      StringEnum(['exact', 'none'], { default: D.DEFAULT_BIND_ARGS, description: '"exact": the token\'s tool_args_hash must equal the hash of the JSON request body.' }),
    ),
    max_body: Type.Optional(Size('Largest request body buffered for bind_args: exact (413 above).', D.DEFAULT_MAX_BODY)),
    max_inflight_body: Type.Optional(
      UnsetSize(
        `Total bytes of bodies this bind_args route holds at once; beyond it 503 overloaded with Retry-After (default "${D.DEFAULT_ROUTE_MAX_INFLIGHT_BODY}"). Unset, it is raised to max_body; set, it must be at least max_body.`,
      ),
    ),
    strip_headers: Type.Optional(Type.Array(Type.String({ pattern: TOKEN_PATTERN }), { default: [], description: 'Extra request headers removed before proxying.' })),
    forward_authorization: Type.Optional(Type.Boolean({ default: D.DEFAULT_FORWARD_AUTHORIZATION, description: 'Pass the Authorization header upstream (dropped by default).' })),
    strip_prefix: Type.Optional(Type.Boolean({ default: D.DEFAULT_STRIP_PREFIX, description: 'Remove the matched path prefix before forwarding.' })),
    websocket: Type.Optional(Type.Boolean({ default: D.DEFAULT_WEBSOCKET, description: 'Allow WebSocket upgrades (authorised like any request).' })),
  },
  { ...closed, description: 'One protected (or passthrough) upstream.' },
)

const LoggingSchema = Type.Object(
  {
    level: Type.Optional(
      StringEnum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], { default: D.DEFAULT_LOG_LEVEL, description: 'Minimum log level.' }),
    ),
  },
  { ...closed, default: {}, description: 'JSON logs on stdout.' },
)

export const ConfigSchema = Type.Object(
  {
    mode: Type.Optional(
      StringEnum(['paired', 'all-in-one', 'vault-only'], {
        default: D.DEFAULT_MODE,
        description: 'paired: gateway only, Vault remote; all-in-one: gateway and Vault in one process; vault-only: just the Vault API.',
      }),
    ),
    gateway: Type.Optional(GatewaySchema),
    admin: Type.Optional(AdminSchema),
    vault: Type.Optional(VaultSchema),
    token: Type.Optional(TokenSchema),
    jwks: Type.Optional(JwksSchema),
    routes: Type.Optional(Type.Array(RouteSchema, { default: [], description: 'Protected upstreams, matched by host, path prefix and method.' })),
    logging: Type.Optional(LoggingSchema),
    vault_server: Type.Optional(VaultServerSchema),
  },
  { ...closed, description: 'Ledgix Gateway configuration.' },
)

/** The YAML file after schema validation with defaults applied (defaulted keys are still optional here). */
export type RawConfig = Static<typeof ConfigSchema>
export type RawRoute = Static<typeof RouteSchema>
export type RawUpstream = Static<typeof UpstreamObjectSchema>

/**
 * The JSON Schema the generator embeds in generated/config-validator.ts: plain JSON (TypeBox's
 * symbol keys dropped), draft-07. At run time use json-schema.ts (the embedded copy, no TypeBox).
 */
export const configJsonSchema: Readonly<Record<string, unknown>> = deepFreeze({
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Ledgix Gateway configuration',
  ...(JSON.parse(JSON.stringify(ConfigSchema)) as Record<string, unknown>),
})
