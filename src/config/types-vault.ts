// Normalised settings of the embedded Vault (all-in-one and vault-only modes). Owned by the Vault work;
// the YAML shape is in schema-vault.ts.

export interface VaultJudgeConfig {
  /** Base URL of an OpenAI-compatible API; the judge posts to `{url}/chat/completions`. */
  url: string
  model: string
  apiKey: string | null
  timeoutMs: number
}

export interface VaultRateLimitConfig {
  /** Sustained requests per second per API key. */
  requestsPerSecond: number
  /** Bucket size: requests allowed in a burst above the sustained rate. */
  burst: number
}

/** The tamper-evident ledger (docs/design/ledger.md). */
export interface VaultLedgerConfig {
  /** Most events sealed under one checkpoint. */
  sealBatchSize: number
  /** Longest an appended event waits before the sealer checkpoints it. */
  sealIntervalMs: number
  /** Maximum merge delay promised (and signed) in every checkpoint. */
  mmdSeconds: number
  /** 32 bytes (64 hex or base64url) wrapping the per-tenant body keys; null = bodies in plaintext. */
  encryptionKey: string | null
}

/** Notification delivery (src/notify): the outbox worker's limits, SSRF rule, SMTP relay, links. */
export interface VaultNotifyConfig {
  /** Base URL of the dashboard/Vault as people reach it; events then link to the review. null = no links. */
  publicUrl: string | null
  /** Let channels target loopback/private/link-local addresses (local tests, internal receivers). */
  allowPrivateTargets: boolean
  /** Attempts per delivery before it is dead-lettered. */
  maxAttempts: number
  attemptTimeoutMs: number
  backoffBaseMs: number
  backoffMaxMs: number
  /** How often the worker looks for due deliveries. */
  pollIntervalMs: number
  /** Sends in flight at once. */
  concurrency: number
  /** "Review expiring soon" is sent this long before review expiry; null = never. */
  expiringLeadMs: number | null
  smtp: {
    host: string
    port: number
    secure: boolean
    requireTls: boolean
    user: string | null
    password: string | null
    from: string
    caFile: string | null
  } | null
}

/** Where the Vault keeps its store: SQLite in data_dir, or a PostgreSQL database replicas share. */
export type VaultStoreConfig =
  | { driver: 'sqlite' }
  | {
      driver: 'postgres'
      url: string
      schema: string
      pool: { max: number; statementTimeoutMs: number; idleTimeoutMs: number; connectTimeoutMs: number }
      /** Sealer election poll (store.leader_poll); absent in hand-built configs = 1 s. */
      leaderPollMs?: number
      /** TLS to the server (`store.tls`); absent = as the URL says (plain unless ?sslmode=…). */
      tls?: VaultStoreTls
    }

/** `vault_server.store.tls`: file paths are read when the store opens (errors name the config path). */
export interface VaultStoreTls {
  caFile: string | null
  certFile: string | null
  keyFile: string | null
  rejectUnauthorized: boolean
  servername: string | null
}

export interface VaultServerConfig {
  listen: { host: string; port: number }
  /** The Vault API listener's timeouts and caps; always set by the loader, absent (hand-built configs) = defaults. */
  limits?: import('./types.ts').ListenerLimits
  /** Directory for the SQLite store (`vault.db`) and signing keys (`keys/`). */
  dataDir: string
  /** A-JWT lifetime. */
  tokenTtlMs: number
  issuer: string
  audience: string
  adminApiKey: string | null
  /** Past this, /request-clearance answers `processing` and /clearance-status delivers the decision. */
  decisionTimeoutMs: number
  /** YAML policies loaded at start for every tenant; null = none. */
  policiesDir: string | null
  /** Outcome when no policy or rule applies. */
  defaultEffect: 'deny' | 'review' | 'allow'
  /** LLM judge for natural-language rules; null = such requests go to review. */
  judge: VaultJudgeConfig | null
  /** Per-API-key limit; null = unlimited. */
  rateLimit: VaultRateLimitConfig | null
  /** Pending reviews older than this resolve with `reviewExpiryEffect`; null = never expire. */
  reviewExpiryMs: number | null
  reviewExpiryEffect: 'deny' | 'approve'
  /** Seeds the default tenant's first admin-role key on an empty store (LEDGIX_BOOTSTRAP_API_KEY). */
  bootstrapApiKey: string | null
  /** Environment label inside generated API keys: `sk_{env}_…`. */
  apiKeyEnv: string
  /** Default `minimum_confidence_score` of a tenant that never set one. */
  minimumConfidenceScore: number
  /** A signing key supplied by the environment instead of data_dir/keys; null = key files. */
  signingKey: { kid: string; pem: string } | null
  /** Largest accepted request body. */
  maxBodyBytes: number
  /** Body bytes held at once, Vault-wide and per tenant (body-budget.ts); hand-built configs may leave them out. */
  maxInflightBodyBytes?: number
  maxInflightBodyPerTenantBytes?: number
  /** Durable write queue bound (503 overloaded beyond it) and writes per transaction. */
  writeQueue: { maxQueue: number; maxBatch: number }
  /** Absent (hand-built configs) means SQLite in dataDir. */
  store?: VaultStoreConfig
  /** Always set by the loader; absent (hand-built configs) means the defaults. */
  ledger?: VaultLedgerConfig
  /** Absent (hand-built configs) means the defaults (DEFAULT_NOTIFY_CONFIG in src/notify). */
  notifications?: VaultNotifyConfig
  /** Dashboard sessions; absent (hand-built configs) means DEFAULT_DASHBOARD_CONFIG. */
  dashboard?: VaultDashboardConfig
}

/** `vault_server.dashboard`: session lifetimes and transport rules of the dashboard's users. */
export interface VaultDashboardConfig {
  sessionIdleMs: number
  sessionAbsoluteMs: number
  /** Sessions over plain HTTP on a non-loopback host (no Secure cookie): labs only. */
  allowInsecureHttp: boolean
  /** X-Forwarded-Proto / X-Forwarded-For are believed only when true. */
  trustProxy: boolean
}

/** Idle 30 min, absolute 12 h: docs/design/dashboard.md §1 (OWASP session guidance for an admin app). */
export const DEFAULT_DASHBOARD_CONFIG: VaultDashboardConfig = Object.freeze({
  sessionIdleMs: 30 * 60_000,
  sessionAbsoluteMs: 12 * 3_600_000,
  allowInsecureHttp: false,
  trustProxy: false,
})
