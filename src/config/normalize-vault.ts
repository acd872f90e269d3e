// Normalises the `vault_server:` YAML section (already schema-validated, defaults applied) into
// VaultServerConfig. Owned by the Vault work together with schema-vault.ts and types-vault.ts.
import type { Static } from '@sinclair/typebox'
import { normalizeListenerLimits } from './normalize-listener.ts'
import { VAULT_LISTENER_DEFAULTS } from './defaults.ts'
import type { VaultServerSchema } from './schema-vault.ts'
import type { VaultLedgerConfig, VaultNotifyConfig, VaultServerConfig, VaultStoreConfig, VaultStoreTls } from './types-vault.ts'
import { parseDuration, parseSize } from './units.ts'

export type VaultServerYaml = Static<typeof VaultServerSchema>

/** The client's per-attempt timeout is 30 s (spec §2): a decision must answer before it. */
export const DEFAULT_DECISION_TIMEOUT = '25s'
const CLIENT_TIMEOUT_MS = 30_000

function duration(text: string | undefined, fallback: string, path: string, minMs: number, problems: Array<[string, string]>): number {
  const value = text ?? fallback
  const ms = parseDuration(value)
  if (ms === null || ms < minMs) {
    problems.push([path, `expected a duration of at least ${minMs}ms like "${fallback}", got "${value}"`])
    return parseDuration(fallback)!
  }
  return ms
}

/** A 32-byte key as 64 hex characters or unpadded/padded base64url (or base64). */
function isEncryptionKey(text: string): boolean {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return true
  return /^[A-Za-z0-9+/_-]{43}=?$/.test(text) && Buffer.from(text.replace(/=$/, ''), 'base64url').length === 32
}

function normalizeLedger(raw: VaultServerYaml['ledger'], problems: Array<[string, string]>): VaultLedgerConfig {
  const sealIntervalMs = duration(raw?.seal_interval, '250ms', 'ledger.seal_interval', 10, problems)
  const mmdSeconds = raw?.mmd_seconds ?? 30
  if (sealIntervalMs >= mmdSeconds * 1000) {
    problems.push(['ledger.seal_interval', `must be below ledger.mmd_seconds (${mmdSeconds}s): every event is sealed within the promised delay`])
  }
  const key = raw?.encryption_key?.trim() ?? ''
  if (key !== '' && !isEncryptionKey(key)) {
    problems.push(['ledger.encryption_key', 'expected 32 bytes as 64 hex characters or base64url; generate one with "openssl rand -hex 32"'])
  }
  return { sealBatchSize: raw?.seal_batch_size ?? 256, sealIntervalMs, mmdSeconds, encryptionKey: key === '' ? null : key }
}

function normalizeNotifications(raw: VaultServerYaml, problems: Array<[string, string]>): VaultNotifyConfig {
  const n = raw.notifications
  const publicUrl = raw.public_url?.trim() ?? ''
  if (publicUrl !== '' && !/^https?:\/\/[^\s/]+/.test(publicUrl)) problems.push(['public_url', `expected an http(s) URL like "https://vault.example.com", got "${publicUrl}"`])
  const lead = duration(n?.expiring_lead, '15m', 'notifications.expiring_lead', 0, problems)
  const smtp = n?.smtp
  return {
    publicUrl: publicUrl === '' ? null : publicUrl,
    allowPrivateTargets: n?.allow_private_targets ?? false,
    maxAttempts: n?.max_attempts ?? 8,
    attemptTimeoutMs: duration(n?.attempt_timeout, '10s', 'notifications.attempt_timeout', 100, problems),
    backoffBaseMs: duration(n?.backoff_base, '5s', 'notifications.backoff_base', 1, problems),
    backoffMaxMs: duration(n?.backoff_max, '10m', 'notifications.backoff_max', 1, problems),
    pollIntervalMs: duration(n?.poll_interval, '500ms', 'notifications.poll_interval', 10, problems),
    concurrency: n?.concurrency ?? 8,
    expiringLeadMs: lead === 0 ? null : lead,
    smtp:
      smtp === undefined
        ? null
        : {
            host: smtp.host,
            port: smtp.port ?? 587,
            secure: smtp.secure ?? false,
            requireTls: smtp.require_tls ?? true,
            user: smtp.user !== undefined && smtp.user !== '' ? smtp.user : null,
            password: smtp.password !== undefined && smtp.password !== '' ? smtp.password : null,
            from: smtp.from,
            caFile: smtp.ca_file ?? null,
          },
  }
}

function normalizeStore(raw: VaultServerYaml['store'], problems: Array<[string, string]>): VaultStoreConfig {
  if (raw === undefined || (raw.driver ?? 'sqlite') === 'sqlite') return { driver: 'sqlite' }
  const url = raw.url ?? ''
  if (url === '') problems.push(['store.url', 'driver postgres needs a url like "postgres://user:password@host:5432/db" (use ${LEDGIX_DATABASE_URL})'])
  const pool = raw.pool ?? {}
  return {
    driver: 'postgres',
    url,
    schema: raw.schema ?? 'public',
    pool: {
      max: pool.max ?? 10,
      statementTimeoutMs: duration(pool.statement_timeout, '30s', 'store.pool.statement_timeout', 1, problems),
      idleTimeoutMs: duration(pool.idle_timeout, '30s', 'store.pool.idle_timeout', 1, problems),
      connectTimeoutMs: duration(pool.connect_timeout, '5s', 'store.pool.connect_timeout', 1, problems),
    },
    leaderPollMs: duration(raw.leader_poll, '1s', 'store.leader_poll', 1, problems),
    ...(raw.tls === undefined ? {} : { tls: normalizeStoreTls(raw.tls, problems) }),
  }
}

function normalizeStoreTls(tls: NonNullable<NonNullable<VaultServerYaml['store']>['tls']>, problems: Array<[string, string]>): VaultStoreTls {
  const blank = (v: string | undefined): string | null => (v === undefined || v.trim() === '' ? null : v)
  const certFile = blank(tls.cert_file)
  const keyFile = blank(tls.key_file)
  if ((certFile === null) !== (keyFile === null)) {
    problems.push([`store.tls.${certFile === null ? 'cert_file' : 'key_file'}`, 'client certificate authentication needs both cert_file and key_file'])
  }
  return {
    caFile: blank(tls.ca_file),
    certFile,
    keyFile,
    rejectUnauthorized: tls.reject_unauthorized ?? true,
    servername: blank(tls.servername),
  }
}

/** `problems` receives [yamlPathSuffix, message] pairs for values the schema could not judge. */
export function normalizeVaultServer(raw: VaultServerYaml, problems: Array<[string, string]>): VaultServerConfig {
  const decisionTimeoutMs = duration(raw.decision_timeout, DEFAULT_DECISION_TIMEOUT, 'decision_timeout', 1, problems)
  if (decisionTimeoutMs >= CLIENT_TIMEOUT_MS) {
    problems.push(['decision_timeout', `must be below the client's 30s request timeout (spec §2), got "${raw.decision_timeout}"; try "25s"`])
  }
  const maxBody = parseSize(raw.max_body ?? '1mib')
  if (maxBody === null || maxBody < 1024) problems.push(['max_body', `expected a size of at least 1kb like "1mib", got "${raw.max_body}"`])
  const inflight = inflightBodyBounds(raw, maxBody ?? 1024 * 1024, problems)
  const rate = raw.rate_limit
  return {
    listen: { host: raw.listen?.host ?? '127.0.0.1', port: raw.listen?.port ?? 8000 },
    limits: normalizeListenerLimits(raw, VAULT_LISTENER_DEFAULTS, problems),
    dataDir: raw.data_dir ?? './data',
    tokenTtlMs: duration(raw.token_ttl, '300s', 'token_ttl', 1000, problems),
    issuer: raw.issuer ?? 'alcv-vault',
    audience: raw.audience ?? 'ledgix-sdk',
    adminApiKey: raw.admin_api_key !== undefined && raw.admin_api_key !== '' ? raw.admin_api_key : null,
    decisionTimeoutMs,
    policiesDir: raw.policies_dir ?? null,
    defaultEffect: raw.default_effect ?? 'deny',
    judge:
      raw.judge === undefined
        ? null
        : {
            url: raw.judge.url,
            model: raw.judge.model,
            apiKey: raw.judge.api_key !== undefined && raw.judge.api_key !== '' ? raw.judge.api_key : null,
            timeoutMs: duration(raw.judge.timeout, '10s', 'judge.timeout', 1, problems),
          },
    rateLimit:
      rate === undefined
        ? null
        : { requestsPerSecond: rate.requests_per_second, burst: rate.burst ?? Math.max(1, Math.ceil(rate.requests_per_second * 2)) },
    reviewExpiryMs: raw.review_expiry === undefined ? null : duration(raw.review_expiry, '24h', 'review_expiry', 1000, problems),
    reviewExpiryEffect: raw.review_expiry_effect ?? 'deny',
    bootstrapApiKey: raw.bootstrap_api_key !== undefined && raw.bootstrap_api_key !== '' ? raw.bootstrap_api_key : null,
    apiKeyEnv: raw.api_key_env ?? 'live',
    minimumConfidenceScore: raw.minimum_confidence_score ?? 0.75,
    signingKey: raw.signing_key === undefined ? null : { kid: raw.signing_key.kid, pem: raw.signing_key.pem },
    maxBodyBytes: maxBody ?? 1024 * 1024,
    maxInflightBodyBytes: inflight.total,
    maxInflightBodyPerTenantBytes: inflight.perTenant,
    writeQueue: { maxQueue: raw.write_queue?.max_queue ?? 10_000, maxBatch: raw.write_queue?.max_batch ?? 1024 },
    store: normalizeStore(raw.store, problems),
    ledger: normalizeLedger(raw.ledger, problems),
    notifications: normalizeNotifications(raw, problems),
    dashboard: {
      sessionIdleMs: (raw.dashboard?.session_idle_minutes ?? 30) * 60_000,
      sessionAbsoluteMs: (raw.dashboard?.session_absolute_hours ?? 12) * 3_600_000,
      allowInsecureHttp: raw.dashboard?.allow_insecure_http ?? false,
      trustProxy: raw.dashboard?.trust_proxy ?? false,
    },
  }
}

/** Each bound must admit one max_body body, and a tenant's share cannot exceed the whole. */
function inflightBodyBounds(raw: VaultServerYaml, maxBody: number, problems: Array<[string, string]>): { total: number; perTenant: number } {
  const size = (key: 'max_inflight_body' | 'max_inflight_body_per_tenant', fallback: string): number => {
    const value = raw[key] ?? fallback
    const parsed = parseSize(value)
    if (parsed === null) {
      problems.push([key, `expected a size like "${fallback}", got "${value}"`])
      return parseSize(fallback)!
    }
    if (parsed < maxBody) problems.push([key, `must be at least max_body (${maxBody} bytes), or no body of that size could be admitted`])
    return parsed
  }
  const total = size('max_inflight_body', '64mib')
  const perTenant = size('max_inflight_body_per_tenant', '16mib')
  if (perTenant > total) problems.push(['max_inflight_body_per_tenant', `must not exceed max_inflight_body (${total} bytes)`])
  return { total, perTenant }
}
