// YAML shape of the embedded Vault section (`vault_server:`), used in all-in-one and vault-only modes.
import { Type } from '@sinclair/typebox'
import * as D from './defaults.ts'
import { listenerLimitProperties } from './schema-listener.ts'
import { DURATION_PATTERN, SIZE_PATTERN } from './units.ts'

const Duration = (description: string, def: string) => Type.String({ pattern: DURATION_PATTERN, default: def, description })

export const VaultServerSchema = Type.Object(
  {
    listen: Type.Optional(
      Type.Object(
        {
          host: Type.Optional(Type.String({ default: '127.0.0.1', description: 'Address the Vault API listens on.' })),
          port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, default: 8000, description: 'Vault API port (0 = ephemeral).' })),
        },
        { additionalProperties: false, default: {} },
      ),
    ),
    ...listenerLimitProperties(D.VAULT_LISTENER_DEFAULTS),
    data_dir: Type.Optional(Type.String({ default: './data', description: 'Directory for the SQLite store and signing keys.' })),
    token_ttl: Type.Optional(Type.String({ default: '300s', description: 'A-JWT lifetime (spec §5.2 default 300 s).' })),
    issuer: Type.Optional(Type.String({ default: 'alcv-vault' })),
    audience: Type.Optional(Type.String({ default: 'ledgix-sdk' })),
    admin_api_key: Type.Optional(Type.String({ description: 'Key for /admin (X-Admin-API-Key or Bearer). Use ${LEDGIX_ADMIN_API_KEY}.' })),
    decision_timeout: Type.Optional(
      Duration('Past this a clearance answers "processing" and /clearance-status delivers the decision (the client waits 30 s).', '25s'),
    ),
    policies_dir: Type.Optional(Type.String({ description: 'Directory of YAML policies loaded at start for every tenant.' })),
    default_effect: Type.Optional(
      Type.Union([Type.Literal('deny'), Type.Literal('review'), Type.Literal('allow')], {
        default: 'deny',
        description: 'Outcome when no policy or rule applies (fail closed by default).',
      }),
    ),
    judge: Type.Optional(
      Type.Object(
        {
          url: Type.String({ description: 'OpenAI-compatible base URL, e.g. https://api.openai.com/v1' }),
          model: Type.String(),
          api_key: Type.Optional(Type.String({ description: 'Use ${OPENAI_API_KEY}.' })),
          timeout: Type.Optional(Duration('Bound on one judge call.', '10s')),
        },
        { additionalProperties: false },
      ),
    ),
    rate_limit: Type.Optional(
      Type.Object(
        {
          requests_per_second: Type.Number({ exclusiveMinimum: 0, description: 'Sustained requests per second per API key.' }),
          burst: Type.Optional(Type.Integer({ minimum: 1, description: 'Requests allowed in a burst (default 2 × rate).' })),
        },
        { additionalProperties: false },
      ),
    ),
    review_expiry: Type.Optional(Duration('Pending reviews older than this resolve with review_expiry_effect.', '24h')),
    review_expiry_effect: Type.Optional(Type.Union([Type.Literal('deny'), Type.Literal('approve')], { default: 'deny' })),
    bootstrap_api_key: Type.Optional(
      Type.String({ description: 'Seeds the default tenant\'s first key on an empty store. Use ${LEDGIX_BOOTSTRAP_API_KEY}.' }),
    ),
    api_key_env: Type.Optional(Type.String({ pattern: '^[a-z0-9]{1,16}$', default: 'live', description: 'The {env} in generated sk_{env}_… keys.' })),
    minimum_confidence_score: Type.Optional(Type.Number({ minimum: 0, maximum: 1, default: 0.75 })),
    signing_key: Type.Optional(
      Type.Object(
        {
          kid: Type.String({ minLength: 1, maxLength: 256 }),
          pem: Type.String({ description: 'PKCS#8 PEM Ed25519 private key. Use ${LEDGIX_SIGNING_KEY}.' }),
        },
        { additionalProperties: false },
      ),
    ),
    max_body: Type.Optional(Type.Union([Type.String({ pattern: SIZE_PATTERN }), Type.Integer({ minimum: 1 })], { default: '1mib' })),
    max_inflight_body: Type.Optional(
      Type.Union([Type.String({ pattern: SIZE_PATTERN }), Type.Integer({ minimum: 1 })], {
        default: '64mib',
        description: 'Request body bytes the Vault holds at once (declared Content-Length, or max_body for a chunked body); beyond it 503 overloaded with Retry-After before the body is read.',
      }),
    ),
    max_inflight_body_per_tenant: Type.Optional(
      Type.Union([Type.String({ pattern: SIZE_PATTERN }), Type.Integer({ minimum: 1 })], {
        default: '16mib',
        description: 'The share of max_inflight_body one tenant (or the admin key, or one client address when unauthenticated) may hold.',
      }),
    ),
    write_queue: Type.Optional(
      Type.Object(
        {
          max_queue: Type.Optional(Type.Integer({ minimum: 1, default: 10000 })),
          max_batch: Type.Optional(Type.Integer({ minimum: 1, default: 1024 })),
        },
        { additionalProperties: false },
      ),
    ),
    store: Type.Optional(
      Type.Object(
        {
          driver: Type.Optional(
            Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')], {
              default: 'sqlite',
              description: 'sqlite: data_dir/vault.db. postgres: the database at url, shared by every replica.',
            }),
          ),
          url: Type.Optional(
            Type.String({ description: 'postgres://user:password@host:5432/db (libpq options such as ?sslmode=verify-full pass through). Use ${LEDGIX_DATABASE_URL}.' }),
          ),
          schema: Type.Optional(
            Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$', default: 'public', description: 'PostgreSQL schema of every table; created at start when missing.' }),
          ),
          pool: Type.Optional(
            Type.Object(
              {
                max: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 10, description: 'Connections per process.' })),
                statement_timeout: Type.Optional(Duration('Longest one SQL statement may run.', '30s')),
                idle_timeout: Type.Optional(Duration('An idle connection is closed after this.', '30s')),
                connect_timeout: Type.Optional(Duration('Longest wait for a connection (new, or from an exhausted pool).', '5s')),
              },
              { additionalProperties: false, default: {} },
            ),
          ),
          leader_poll: Type.Optional(
            Duration('How often a replica tries to become the one ledger sealer (and the sealer checks its lock session); a dead leader is replaced within about this.', '1s'),
          ),
          tls: Type.Optional(
            Type.Object(
              {
                ca_file: Type.Optional(Type.String({ description: 'PEM file of the CA(s) that signed the server certificate; unset: the system trust store.' })),
                cert_file: Type.Optional(Type.String({ description: 'PEM client certificate, for servers that require certificate authentication (with key_file).' })),
                key_file: Type.Optional(Type.String({ description: 'PEM private key of cert_file.' })),
                reject_unauthorized: Type.Optional(
                  Type.Boolean({ default: true, description: 'Refuse a server certificate that does not chain to ca_file (or the system store) or does not match the host. Keep true.' }),
                ),
                servername: Type.Optional(Type.String({ description: 'Host name the server certificate must match (SNI) when it differs from the host in url.' })),
              },
              { additionalProperties: false, description: 'TLS to PostgreSQL; present = TLS required. Or use the URL\'s ?sslmode=…, not both.' },
            ),
          ),
        },
        { additionalProperties: false, default: {} },
      ),
    ),
    ledger: Type.Optional(
      Type.Object(
        {
          seal_batch_size: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 65536, default: 256, description: 'Most events sealed under one signed checkpoint.' }),
          ),
          seal_interval: Type.Optional(Duration('Longest an appended event waits before it is sealed into a checkpoint.', '250ms')),
          mmd_seconds: Type.Optional(
            Type.Integer({ minimum: 1, default: 30, description: 'Maximum merge delay promised in every checkpoint (spec default 30).' }),
          ),
          encryption_key: Type.Optional(
            Type.String({ description: '32-byte key (64 hex or base64url) encrypting ledger bodies at rest. Use ${LEDGIX_LEDGER_ENCRYPTION_KEY}.' }),
          ),
        },
        { additionalProperties: false, default: {} },
      ),
    ),
    public_url: Type.Optional(
      Type.String({ description: 'Base URL people reach the Vault/dashboard at; notifications then link to the review.' }),
    ),
    notifications: Type.Optional(
      Type.Object(
        {
          allow_private_targets: Type.Optional(
            Type.Boolean({ default: false, description: 'Let channels target loopback, private and link-local addresses (SSRF guard off).' }),
          ),
          max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 8, description: 'Attempts per delivery before dead letter.' })),
          attempt_timeout: Type.Optional(Duration('Deadline of one delivery attempt.', '10s')),
          backoff_base: Type.Optional(Duration('First retry delay ceiling (doubles per attempt, full jitter).', '5s')),
          backoff_max: Type.Optional(Duration('Largest retry delay.', '10m')),
          poll_interval: Type.Optional(Duration('How often the worker looks for due deliveries.', '500ms')),
          concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, default: 8, description: 'Deliveries in flight at once.' })),
          expiring_lead: Type.Optional(Duration('"Review expiring soon" is sent this long before review_expiry ("0s" = never).', '15m')),
          smtp: Type.Optional(
            Type.Object(
              {
                host: Type.String({ minLength: 1 }),
                port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 587 })),
                secure: Type.Optional(Type.Boolean({ default: false, description: 'Implicit TLS (port 465); otherwise STARTTLS.' })),
                require_tls: Type.Optional(Type.Boolean({ default: true, description: 'Refuse to send unless STARTTLS succeeds.' })),
                user: Type.Optional(Type.String()),
                password: Type.Optional(Type.String({ description: 'Use ${LEDGIX_SMTP_PASSWORD}.' })),
                from: Type.String({ minLength: 3 }),
                ca_file: Type.Optional(Type.String({ description: 'PEM file of extra CAs to trust for the relay.' })),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false, default: {} },
      ),
    ),
    dashboard: Type.Optional(
      Type.Object(
        {
          session_idle_minutes: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 1440, default: 30, description: 'A dashboard session unused this long ends (OWASP: 15-30 min for most apps).' }),
          ),
          session_absolute_hours: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 720, default: 12, description: 'A dashboard session ends this long after login, used or not.' }),
          ),
          allow_insecure_http: Type.Optional(
            Type.Boolean({ default: false, description: 'Allow dashboard sessions over plain HTTP on a non-loopback host (labs only: no Secure cookie).' }),
          ),
          trust_proxy: Type.Optional(
            Type.Boolean({ default: false, description: 'Believe X-Forwarded-Proto/-For from the peer (set only behind your own TLS-terminating proxy).' }),
          ),
        },
        { additionalProperties: false, default: {} },
      ),
    ),
  },
  { additionalProperties: false, default: {} },
)
