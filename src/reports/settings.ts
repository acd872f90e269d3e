// Report settings (GET/PUT /report-settings): what a report contains and how it is shared. Every field
// here changes behaviour; a PUT is a partial merge validated field by field, stored as settings kind
// 'report' and (by the route) ledgered as a settings change.
import type { ReportFormat } from '../store/index.ts'

export const REPORT_FORMATS: readonly ReportFormat[] = ['json', 'pdf', 'csv']

export interface ReportSettings {
  framework: 'sox_404_itgc'
  /** Printed on the cover; empty = the tenant id. */
  organization_name: string
  /** Formats generated when POST /reports names none (json is always generated: it is the hashed one). */
  formats: ReportFormat[]
  /** Sampled decisions per report (AS 2201 practice for a transactional control: 25). */
  sample_size: number
  share: { default_ttl_days: number; max_ttl_days: number }
  /** Scheduled reports: one per completed UTC period, delivered through notification channels. */
  schedule: ReportSchedule
}

export const SCHEDULE_PERIODS = ['off', 'daily', 'weekly', 'monthly', 'quarterly'] as const
export type SchedulePeriod = (typeof SCHEDULE_PERIODS)[number]

export interface ReportSchedule {
  /** UTC calendar periods: daily 00:00, weekly from Monday 00:00 (ISO week), monthly, quarterly. */
  period: SchedulePeriod
  /**
   * Notification channel ids (GET /notification-settings) that receive the scheduled report's
   * report.ready / report.failed event even when their `events` filter does not list it.
   */
  channels: string[]
  /**
   * When the current period kind was set (server-managed, RFC 3339; null while off): periods that
   * ended before it are not generated, so turning a schedule on never backfills history.
   */
  since: string | null
}

/** Channels a schedule may name: notification settings hold at most 20. */
export const MAX_SCHEDULE_CHANNELS = 20

/** 7 days: S3's presign ceiling; 90 days: SafeBase's (design notes C3). */
export const DEFAULT_SHARE_TTL_DAYS = 7
export const MAX_SHARE_TTL_DAYS = 90
/** Auditors' sample for a control operating many times a day (design notes §0). */
export const DEFAULT_SAMPLE_SIZE = 25
/** Each sample row carries an inclusion proof: bounded so a report stays a document, not a dump. */
export const MAX_SAMPLE_SIZE = 200

export const DEFAULT_REPORT_SETTINGS: ReportSettings = {
  framework: 'sox_404_itgc',
  organization_name: '',
  formats: ['json', 'pdf', 'csv'],
  sample_size: DEFAULT_SAMPLE_SIZE,
  share: { default_ttl_days: DEFAULT_SHARE_TTL_DAYS, max_ttl_days: MAX_SHARE_TTL_DAYS },
  schedule: { period: 'off', channels: [], since: null },
}

/** Stored settings (or none) as served: unknown or damaged stored values fall back to the defaults. */
export function parseReportSettings(json: string | null): ReportSettings {
  if (json === null) return DEFAULT_REPORT_SETTINGS
  try {
    const merged = mergeReportSettings(DEFAULT_REPORT_SETTINGS, JSON.parse(json) as unknown, true)
    return typeof merged === 'string' ? DEFAULT_REPORT_SETTINGS : merged
  } catch {
    return DEFAULT_REPORT_SETTINGS
  }
}

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
}

export function parseFormats(v: unknown, path: string): ReportFormat[] | string {
  if (!Array.isArray(v) || v.length === 0 || v.length > REPORT_FORMATS.length) return `${path}: expected a non-empty array of ${REPORT_FORMATS.join(', ')}`
  const out = new Set<ReportFormat>(['json'])
  for (const f of v) {
    if (!(REPORT_FORMATS as readonly unknown[]).includes(f)) return `${path}: unknown format ${JSON.stringify(f)} (expected ${REPORT_FORMATS.join(', ')})`
    out.add(f as ReportFormat)
  }
  return REPORT_FORMATS.filter((f) => out.has(f))
}

const CHANNEL_ID = /^[A-Za-z0-9_.-]{1,64}$/

/**
 * `previous` with the fields of `patch` applied; a string names the first invalid field. `stored`:
 * the patch is a stored value (it may carry the server-managed `schedule.since`); a client's PUT may
 * not set it (a client's value is ignored).
 */
export function mergeReportSettings(previous: ReportSettings, patch: unknown, stored = false): ReportSettings | string {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return 'body: expected a JSON object'
  const p = patch as Record<string, unknown>
  const next: ReportSettings = { ...previous, share: { ...previous.share }, schedule: { ...previous.schedule, channels: [...previous.schedule.channels] } }
  for (const key of Object.keys(p)) {
    const v = p[key]
    switch (key) {
      case 'framework':
        if (v !== 'sox_404_itgc') return 'framework: expected "sox_404_itgc" (the only framework this Vault reports on)'
        break
      case 'organization_name':
        if (typeof v !== 'string' || v.length > 200) return 'organization_name: expected a string of at most 200 characters'
        next.organization_name = v
        break
      case 'formats': {
        const formats = parseFormats(v, 'formats')
        if (typeof formats === 'string') return formats
        next.formats = formats
        break
      }
      case 'sample_size':
        if (!isInt(v, 1, MAX_SAMPLE_SIZE)) return `sample_size: expected an integer from 1 to ${MAX_SAMPLE_SIZE}`
        next.sample_size = v
        break
      case 'share': {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'share: expected an object'
        for (const [k, d] of Object.entries(v as Record<string, unknown>)) {
          if (k !== 'default_ttl_days' && k !== 'max_ttl_days') return `share.${k}: unknown key (expected default_ttl_days, max_ttl_days)`
          if (!isInt(d, 1, MAX_SHARE_TTL_DAYS)) return `share.${k}: expected an integer from 1 to ${MAX_SHARE_TTL_DAYS}`
          next.share[k] = d
        }
        if (next.share.default_ttl_days > next.share.max_ttl_days) return 'share.default_ttl_days: must not exceed share.max_ttl_days'
        break
      }
      case 'schedule': {
        const problem = mergeSchedule(next.schedule, v, stored)
        if (problem !== null) return problem
        break
      }
      default:
        return `${key}: unknown key (expected framework, organization_name, formats, sample_size, share, schedule)`
    }
  }
  return next
}

function mergeSchedule(next: ReportSchedule, v: unknown, stored: boolean): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'schedule: expected an object'
  for (const [k, d] of Object.entries(v as Record<string, unknown>)) {
    switch (k) {
      case 'period':
        if (!(SCHEDULE_PERIODS as readonly unknown[]).includes(d)) return `schedule.period: expected one of ${SCHEDULE_PERIODS.join(', ')}`
        next.period = d as SchedulePeriod
        break
      case 'channels': {
        if (!Array.isArray(d) || d.length > MAX_SCHEDULE_CHANNELS) return `schedule.channels: expected an array of at most ${MAX_SCHEDULE_CHANNELS} notification channel ids`
        for (let i = 0; i < d.length; i++) {
          if (typeof d[i] !== 'string' || !CHANNEL_ID.test(d[i] as string)) return `schedule.channels[${i}]: expected a notification channel id (1-64 characters of A-Z a-z 0-9 _ . -)`
        }
        next.channels = [...new Set(d as string[])]
        break
      }
      case 'since':
        // Read-only for clients: a GET's document PUT back unchanged must work, so it is ignored.
        if (!stored) break
        if (d !== null && (typeof d !== 'string' || Number.isNaN(Date.parse(d)))) return 'schedule.since: expected an RFC 3339 date-time or null'
        next.since = d as string | null
        break
      default:
        return `schedule.${k}: unknown key (expected period, channels)`
    }
  }
  return null
}

/**
 * The PUT's schedule bookkeeping: `since` restarts when the period kind changes (null when off), so
 * a newly enabled schedule reports the periods that end after it was enabled, never older ones.
 */
export function stampSchedule(previous: ReportSettings, next: ReportSettings, nowMs: number): ReportSettings {
  if (next.schedule.period === 'off') return { ...next, schedule: { ...next.schedule, since: null } }
  if (previous.schedule.period === next.schedule.period && previous.schedule.since !== null) return next
  return { ...next, schedule: { ...next.schedule, since: new Date(nowMs).toISOString() } }
}
