// Scheduled reports (report settings `schedule`): on a timer, every tenant whose schedule is on gets
// one report per completed UTC period (daily, ISO-weekly, monthly, quarterly). "Exactly once" rests
// on the store, not on this process: the report row is inserted in the same write as a claim row
// keyed (tenant, "report-schedule:<period>", "<from>/<to>") in the idempotency table, whose unique key
// refuses a second claim — a restart, a second tick or another replica on the same PostgreSQL
// database loses the race there and writes nothing. Periods are pure arithmetic on the injected clock.
import type { Clock, TenantId } from '../core/index.ts'
import { uuidv7 } from '../core/index.ts'
import type { IdempotencyRecord, ReportRecord, Store } from '../store/index.ts'
import type { ReportService } from './service.ts'
import { parseReportSettings } from './settings.ts'
import type { SchedulePeriod } from './settings.ts'

/** How often the scheduler looks: a period ends at most this late before its report is queued. */
export const DEFAULT_SCHEDULE_TICK_MS = 60_000
/**
 * Completed periods looked back per tick: a Vault down for a week still reports each missed day,
 * bounded so a long outage does not queue a year of dailies at once (older ones: POST /reports).
 */
export const MAX_CATCHUP_PERIODS = 7
/** Who a scheduled report names as its requester (`requested_by`). */
export const SCHEDULE_ACTOR_PREFIX = 'schedule:'
/** Idempotency-table route of a schedule's claim on a period. */
export const SCHEDULE_CLAIM_ROUTE_PREFIX = 'report-schedule:'

const DAY_MS = 86_400_000

/** Start (UTC) of the period of kind `p` that contains `t`. */
export function periodStart(p: Exclude<SchedulePeriod, 'off'>, t: number): number {
  const d = new Date(t)
  const y = d.getUTCFullYear()
  const m = d.getUTCMonth()
  switch (p) {
    case 'daily':
      return Date.UTC(y, m, d.getUTCDate())
    case 'weekly': {
      // ISO weeks start on Monday: getUTCDay() is 0 for Sunday.
      const back = (d.getUTCDay() + 6) % 7
      return Date.UTC(y, m, d.getUTCDate()) - back * DAY_MS
    }
    case 'monthly':
      return Date.UTC(y, m, 1)
    case 'quarterly':
      return Date.UTC(y, m - (m % 3), 1)
  }
}

/**
 * Completed periods `[from, to)` (oldest first) that ended at or before `nowMs` and after `sinceMs`,
 * at most `max` of them (the newest).
 */
export function completedPeriods(p: Exclude<SchedulePeriod, 'off'>, sinceMs: number, nowMs: number, max = MAX_CATCHUP_PERIODS): Array<[number, number]> {
  const out: Array<[number, number]> = []
  let to = periodStart(p, nowMs)
  while (out.length < max && to > sinceMs) {
    const from = periodStart(p, to - 1)
    out.push([from, to])
    to = from
  }
  return out.reverse()
}

export function claimKey(fromMs: number, toMs: number): string {
  return `${new Date(fromMs).toISOString()}/${new Date(toMs).toISOString()}`
}

export interface ReportSchedulerOptions {
  store: Store
  clock: Clock
  reports: ReportService
  tickMs?: number
  onError?: (err: unknown) => void
}

export class ReportScheduler {
  /** Reports this instance queued, and claims it lost to another instance (tests, metrics). */
  queued = 0
  lost = 0
  readonly #o: ReportSchedulerOptions
  #timer: NodeJS.Timeout | null = null
  #running: Promise<number> | null = null

  constructor(options: ReportSchedulerOptions) {
    this.#o = options
  }

  start(): void {
    this.#timer = setInterval(tickSchedule, this.#o.tickMs ?? DEFAULT_SCHEDULE_TICK_MS, this)
    this.#timer.unref()
    void this.tick()
  }

  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    await this.#running
  }

  /** One pass over every tenant (single flight); resolves to the reports this pass queued. */
  tick(): Promise<number> {
    this.#running ??= this.#pass()
      .catch((err: unknown) => {
        this.#o.onError?.(err)
        return 0
      })
      .finally(() => {
        this.#running = null
      })
    return this.#running
  }

  async #pass(): Promise<number> {
    const { store, clock } = this.#o
    let queued = 0
    for (const tenant of await store.listTenants()) {
      const settings = parseReportSettings(await store.getSettings(tenant.tenantId, 'report'))
      const { period, since } = settings.schedule
      if (period === 'off' || since === null) continue
      const nowMs = clock.now()
      for (const [fromMs, toMs] of completedPeriods(period, Date.parse(since), nowMs)) {
        const route = `${SCHEDULE_CLAIM_ROUTE_PREFIX}${period}`
        const key = claimKey(fromMs, toMs)
        // A cheap read first: on most ticks every period is claimed already.
        if ((await store.getIdempotency(tenant.tenantId, route, key)) !== null) continue
        const outcome = await this.#queue(tenant.tenantId, period, route, key, fromMs, toMs, settings.formats, nowMs)
        if (outcome === 'full') return queued
        if (outcome === 'queued') queued++
      }
    }
    return queued
  }

  async #queue(
    tenantId: TenantId,
    period: Exclude<SchedulePeriod, 'off'>,
    route: string,
    key: string,
    fromMs: number,
    toMs: number,
    formats: ReportRecord['formats'],
    nowMs: number,
  ): Promise<'queued' | 'full' | 'refused'> {
    const reportId = `rpt_${uuidv7(nowMs)}`
    const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10)
    const record: ReportRecord = {
      tenantId, reportId, status: 'queued', periodFromMs: fromMs, periodToMs: toMs,
      title: `Scheduled ${period} controls report ${day(fromMs)} → ${day(toMs)}`,
      formats, requestedBy: `${SCHEDULE_ACTOR_PREFIX}${period}`, createdAtMs: nowMs, updatedAtMs: nowMs,
      error: null, jsonSha256: null, summaryJson: null,
    }
    const claim: IdempotencyRecord = {
      tenantId, route, key, bodyHash: key, requestId: reportId, statusCode: 202,
      responseJson: JSON.stringify({ report_id: reportId }), createdAtMs: nowMs,
    }
    const outcome = await this.#o.reports.enqueueWith(record, [{ op: 'idempotency_insert', record: claim }])
    if (outcome === 'queued') this.queued++
    if (outcome === 'refused') this.lost++
    return outcome
  }
}

function tickSchedule(s: ReportScheduler): void {
  void s.tick()
}
