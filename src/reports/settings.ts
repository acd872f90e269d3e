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
}

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
}

/** Stored settings (or none) as served: unknown or damaged stored values fall back to the defaults. */
export function parseReportSettings(json: string | null): ReportSettings {
  if (json === null) return DEFAULT_REPORT_SETTINGS
  try {
    const merged = mergeReportSettings(DEFAULT_REPORT_SETTINGS, JSON.parse(json) as unknown)
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

/** `previous` with the fields of `patch` applied; a string names the first invalid field. */
export function mergeReportSettings(previous: ReportSettings, patch: unknown): ReportSettings | string {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return 'body: expected a JSON object'
  const p = patch as Record<string, unknown>
  const next: ReportSettings = { ...previous, share: { ...previous.share } }
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
      default:
        return `${key}: unknown key (expected framework, organization_name, formats, sample_size, share)`
    }
  }
  return next
}
