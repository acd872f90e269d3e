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

export interface VaultServerConfig {
  listen: { host: string; port: number }
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
  /** Durable write queue bound (503 overloaded beyond it) and writes per transaction. */
  writeQueue: { maxQueue: number; maxBatch: number }
}
