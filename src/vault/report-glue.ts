// The Vault's wiring of src/reports: what the builder reads (store, ledger service, published JWKS,
// the policies in force — registered versions and policies_dir files) and how the ready write reaches
// the ledger (the same sink every decision goes through), and the report.ready / report.failed
// notification rows that ride in the status write.
import type { FastifyBaseLogger } from 'fastify'
import type { TenantId } from '../core/index.ts'
import { ReportService, SCHEDULE_ACTOR_PREFIX, parseReportSettings } from '../reports/index.ts'
import type { PolicyInForce } from '../reports/index.ts'
import type { ReportRecord } from '../store/index.ts'
import type { VaultContext } from './context.ts'

async function policiesInForce(ctx: Pick<VaultContext, 'store' | 'policies'>, tenantId: TenantId): Promise<PolicyInForce[]> {
  const registered = new Map((await ctx.store.listLatestPolicies(tenantId)).map((p) => [p.policyId, p]))
  return (await ctx.policies.forTenant(tenantId)).map((p) => {
    const rec = registered.get(p.policyId)
    const fromStore = rec !== undefined && rec.versionId === p.versionId
    return {
      policy_id: p.policyId,
      version_id: p.versionId ?? '',
      content_hash: p.contentHash,
      source: fromStore ? 'registered' : 'policies_dir',
      registered_at: fromStore ? new Date(rec.createdAtMs).toISOString() : null,
    }
  })
}

export function createReportService(ctx: Omit<VaultContext, 'reports'>, version: string, logger: FastifyBaseLogger | undefined): ReportService {
  return new ReportService({
    clock: ctx.clock,
    sources: {
      store: ctx.store,
      ledger: ctx.ledgerService,
      jwks: () => ctx.keyRing.jwks,
      policiesInForce: (tenantId) => policiesInForce(ctx, tenantId),
      vaultVersion: version,
    },
    appendLedger: (event, ops) => ctx.ledger.append(event, ops),
    // The ready/failed write carries the notification outbox rows (src/reports knows nothing of notify).
    statusOps: async (report) => (ctx.notify === null ? [] : ctx.notify.notifier.reportOps(report, report.updatedAtMs, await scheduleChannels(ctx, report))),
    onError: (err, reportId) => logger?.error({ err, component: 'reports', report_id: reportId }, 'report generation failed; the report is marked failed'),
  })
}

/**
 * A scheduled report's recipients: the channels its tenant's schedule names now (read at the status
 * write, so a recipient added while the report was building still gets it).
 */
async function scheduleChannels(ctx: Pick<VaultContext, 'store'>, report: ReportRecord): Promise<string[]> {
  if (!report.requestedBy.startsWith(SCHEDULE_ACTOR_PREFIX)) return []
  return parseReportSettings(await ctx.store.getSettings(report.tenantId, 'report')).schedule.channels
}
