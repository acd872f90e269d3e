// Turns state changes into outbox rows: which channels of the tenant want this event (type, tool
// glob, agent glob, ANDed), one `outbox_insert` per channel, appended to the ops of the very write
// that makes the change, so the rows commit or vanish with it. Also reads channels for delivery.
import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { TenantId } from '../core/index.ts'
import { uuidv7 } from '../core/index.ts'
import type { NotifyEventRecord, OutboxRecord, ReportRecord, Store, WriteOp } from '../store/index.ts'
import { ledgerFailureEvent, reportEvent, reviewEvent } from './events.ts'
import type { NotifyEvent } from './events.ts'
import { anyGlob } from './glob.ts'
import { SecretBox } from './secrets.ts'
import { channelsOf, openDocument, parseDocument } from './settings.ts'
import type { Channel, NotificationDocument } from './settings.ts'

function matches(c: Channel, e: NotifyEvent): boolean {
  if (!c.events.includes(e.type)) return false
  const tool = e.review?.tool_name ?? null
  const agent = e.review?.agent_id ?? e.agent?.agent_id ?? null
  if (c.tools.length > 0 && (tool === null || !anyGlob(c.tools, tool))) return false
  if (c.agents.length > 0 && (agent === null || !anyGlob(c.agents, agent))) return false
  return true
}

export class Notifier {
  readonly store: Store
  readonly box: SecretBox
  readonly publicUrl: string | null
  /** Parsed channels per tenant, keyed by the raw settings text they came from (the store caches that text). */
  #cache = new Map<TenantId, { raw: string | null; doc: NotificationDocument; channels: Channel[] }>()
  /**
   * Reviews this process already offered a review.expiring for: a sweep runs every few polls and must
   * not rewrite (even as ignored duplicates) every review inside the lead window each time. Bounded;
   * after a restart or an eviction the store's dedupe key still keeps it to one event.
   */
  #offered = new LRUCache<string, true>({ max: 100_000 })

  constructor(options: { store: Store; encryptionKey: Uint8Array | null; publicUrl: string | null }) {
    this.store = options.store
    this.box = new SecretBox(options.encryptionKey)
    this.publicUrl = options.publicUrl
  }

  /** The tenant's plaintext settings document and enabled channels (never stale: the store read is). */
  async settingsOf(tenantId: TenantId): Promise<{ doc: NotificationDocument; channels: Channel[] }> {
    const raw = await this.store.getSettings(tenantId, 'notification')
    const hit = this.#cache.get(tenantId)
    if (hit !== undefined && hit.raw === raw) return hit
    const doc = openDocument(parseDocument(raw), this.box)
    const entry = { raw, doc, channels: channelsOf(doc) }
    this.#cache.set(tenantId, entry)
    return entry
  }

  async channel(tenantId: TenantId, channelId: string): Promise<Channel | null> {
    return (await this.settingsOf(tenantId)).channels.find((c) => c.id === channelId) ?? null
  }

  /**
   * The write op recording `event` with the channels it matches now, or none when nothing matches.
   * One row on the causing write; the worker fans it out per channel (NotifyEventRecord).
   */
  async opsForEvent(event: NotifyEvent, nowMs: number, dedupeKey: string | null = null, alsoChannelIds: readonly string[] = []): Promise<WriteOp[]> {
    const { channels } = await this.settingsOf(event.tenant_id)
    if (channels.length === 0) return []
    const matched: Array<{ id: string; type: string }> = []
    // `alsoChannelIds`: channels named by the cause itself (a report schedule's recipients), which get
    // the event whatever their type filter says; their tool and agent filters do not apply either.
    for (const c of channels) if (matches(c, event) || alsoChannelIds.includes(c.id)) matched.push({ id: c.id, type: c.type })
    if (matched.length === 0) return []
    return [
      {
        op: 'notify_event_insert',
        event: { eventId: event.id, tenantId: event.tenant_id, eventType: event.type, payloadJson: JSON.stringify(event), channels: matched, dedupeKey, createdAtMs: nowMs },
      },
    ]
  }

  /** The expansion of a recorded event: one pending delivery row per channel it matched. */
  static deliveriesOf(e: NotifyEventRecord, nowMs: number): OutboxRecord[] {
    return e.channels.map((c) => ({
      deliveryId: uuidv7(),
      tenantId: e.tenantId,
      eventId: e.eventId,
      eventType: e.eventType,
      channelId: c.id,
      channelType: c.type,
      payloadJson: e.payloadJson,
      status: 'pending' as const,
      attempts: 0,
      nextAttemptAtMs: nowMs,
      leaseUntilMs: 0,
      lastStatusCode: null,
      lastError: null,
      createdAtMs: e.createdAtMs,
      updatedAtMs: nowMs,
      deliveredAtMs: null,
    }))
  }

  /**
   * Appends to `ops` the outbox rows of an event built by the caller (who also hands the very same
   * event, and so the same id, to the live event stream).
   */
  async appendEventOps(ops: WriteOp[], event: NotifyEvent, nowMs: number): Promise<void> {
    for (const op of await this.opsForEvent(event, nowMs)) ops.push(op)
  }

  /**
   * The outbox ops of a report's final status write (report.ready / report.failed), to ride in that
   * very write; none for other statuses or when no channel wants the event. The dedupe key keeps a
   * report to one event of each type even if a status write were ever retried.
   */
  async reportOps(report: ReportRecord, nowMs: number, alsoChannelIds: readonly string[] = []): Promise<WriteOp[]> {
    const event = reportEvent(report, nowMs, this.publicUrl)
    if (event === null) return []
    return this.opsForEvent(event, nowMs, `${event.type}:${report.reportId}`, alsoChannelIds)
  }

  /**
   * A verification failure found by /ledger/verify (or any checker): one event per distinct failure,
   * not one per verification call, so a persistent break does not flood the channels. `identity`
   * names the break by what does not change while it persists (its kind and the row or checkpoint it
   * sits at); the detail text alone would not do: a row's message gains its leaf_index once it is
   * sealed, and the same break would notify twice.
   */
  async notifyLedgerFailure(tenantId: TenantId, check: string, detail: string, nowMs: number, identity: string = detail): Promise<void> {
    const key = `ledger.verification_failed:${createHash('sha256').update(`${check}\n${identity}`).digest('hex').slice(0, 32)}`
    const ops = await this.opsForEvent(ledgerFailureEvent(tenantId, check, detail, nowMs), nowMs, key)
    if (ops.length > 0) await this.store.write(ops)
  }

  /**
   * Time-driven "expiring soon": reviews whose expiry falls within `leadMs`. The dedupe key makes a
   * repeated sweep (or a restart) insert nothing twice. Returns how many events were offered.
   */
  async sweepExpiring(nowMs: number, leadMs: number): Promise<number> {
    let written = 0
    for (const c of await this.store.listReviewsExpiringBetween(nowMs, nowMs + leadMs, 500)) {
      const offeredKey = `${c.tenantId}\n${c.requestId}`
      if (this.#offered.has(offeredKey)) continue
      const ops = await this.opsForEvent(reviewEvent('review.expiring', c, nowMs, this.publicUrl), nowMs, `review.expiring:${c.requestId}`)
      if (ops.length === 0) continue
      const result = await this.store.write(ops)
      if (result.ok) {
        this.#offered.set(offeredKey, true)
        written++
      }
    }
    return written
  }
}
