// GET /overview's content: the review queue at a glance (pending, oldest, expiring soon), locked
// agents, the last ledger verification and each notification channel's last delivery outcome.
import type { TenantId } from '../core/index.ts'
import type { VaultContext } from './context.ts'

/** "Expiring soon" on the overview: under two minutes left (docs/design dashboard §5.3). */
export const EXPIRING_SOON_MS = 120_000
/** Locked agents listed; a tenant with more has bigger problems than this list. */
const MAX_LOCKED_LISTED = 100
/** Recent deliveries read to find each channel's latest one. */
const RECENT_DELIVERIES = 500

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}

export async function overviewOf(ctx: VaultContext, tenantId: TenantId): Promise<Record<string, unknown>> {
  const nowMs = ctx.clock.now()
  const [stats, locks] = await Promise.all([ctx.store.reviewQueueStats(tenantId, nowMs + EXPIRING_SOON_MS), ctx.store.listLockedAgents(tenantId, MAX_LOCKED_LISTED)])
  const last = ctx.ledgerService.lastVerification(tenantId)
  return {
    pending_reviews: stats.pending,
    oldest_pending_at: iso(stats.oldestCreatedAtMs),
    expiring_soon: stats.expiringSoon,
    locked_agents: locks.map((l) => ({ agent_id: l.agentId, locked_at: iso(l.changedAtMs), actor: l.actor, reason: l.reason })),
    last_verification:
      last === null
        ? null
        : { verified_at: last.verified_at, intact: last.result.intact, verified_entries: last.result.verified_entries, ...(last.result.error === undefined ? {} : { error: last.result.error }) },
    channels: await channelHealth(ctx, tenantId),
    server_time: new Date(nowMs).toISOString(),
  }
}

async function channelHealth(ctx: VaultContext, tenantId: TenantId): Promise<Array<Record<string, unknown>>> {
  if (ctx.notify === null) return []
  const { channels } = await ctx.notify.notifier.settingsOf(tenantId)
  if (channels.length === 0) return []
  // Newest first: the first row met for a channel is its latest delivery.
  const recent = await ctx.store.listOutbox(tenantId, null, RECENT_DELIVERIES)
  return channels.map((c) => {
    const row = recent.find((r) => r.channelId === c.id)
    return {
      id: c.id,
      type: c.type,
      last_status: row?.status ?? null,
      last_status_code: row?.lastStatusCode ?? null,
      last_error: row?.lastError ?? null,
      last_attempt_at: row === undefined ? null : iso(row.updatedAtMs),
    }
  })
}
