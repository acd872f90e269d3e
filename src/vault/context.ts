// What every Vault route and service shares: store, key ring, clock, settings, ledger sink and service, policies.
import type { VaultServerConfig } from '../config/types-vault.ts'
import type { ApiKeyId, Clock, TenantId } from '../core/index.ts'
import type { DriftMonitor } from '../drift/index.ts'
import type { LedgerService } from '../ledger/index.ts'
import type { NotifyService } from '../notify/index.ts'
import type { ReportService } from '../reports/index.ts'
import type { ApiKeyRole, Store } from '../store/index.ts'
import type { VaultBodyBudget } from './body-budget.ts'
import type { KeyRing } from './key-ring.ts'
import type { LiveEventHub } from './live-events.ts'
import type { LedgerSink } from './ledger-sink.ts'
import type { PolicyRegistry } from './policies.ts'
import type { RateLimiter } from './rate-limit.ts'
import type { Judge } from './policy/index.ts'
import type { DashboardAuth } from './dashboard/auth/service.ts'

export interface VaultContext {
  store: Store
  keyRing: KeyRing
  clock: Clock
  config: VaultServerConfig
  ledger: LedgerSink
  /** Sealer, served rows, proofs and verification of the tamper-evident ledger. */
  ledgerService: LedgerService
  policies: PolicyRegistry
  limiter: RateLimiter | null
  judge: Judge | null
  /** Evaluations still running after their request answered `processing` (close() awaits them). */
  background: Set<Promise<unknown>>
  /** Per-agent drift detection, fed after each decision and run off the request path. */
  drift: DriftMonitor
  /** Notification outbox and delivery (src/notify); null when embedded without one. */
  notify: NotifyService | null
  /** Compliance report generation (one background worker, bounded queue). */
  reports: ReportService
  /** Dashboard users and sessions; absent when embedded without them (then only API keys authenticate). */
  dashboardAuth?: DashboardAuth
  /** Live events for GET /events/stream, published after the change that raises them committed. */
  live: LiveEventHub
  /** Request bodies in flight, bounded Vault-wide and per caller (body-budget.ts). */
  bodies: VaultBodyBudget
}

/** Roles of a customer caller: the API-key roles plus the dashboard's read-only `viewer`. */
export type AuthRole = ApiKeyRole | 'viewer'

/** The authenticated caller of a customer endpoint. */
export interface AuthContext {
  tenantId: TenantId
  keyId: ApiKeyId
  role: AuthRole
  keyName: string
  /** Set when a dashboard session authenticated the request (keyId is then `user:<user_id>`, keyName the email). */
  user?: { userId: string; email: string; sessionId: string }
}
