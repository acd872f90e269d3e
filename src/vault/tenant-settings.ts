// Tenant settings (review threshold, notifications) stored as JSON per kind with defaults,
// and the validation of their PUT bodies (spec §12: accept the score and the newer bucket).
import type { TenantId } from '../core/index.ts'
import type { Store } from '../store/index.ts'
import { BUCKET_LOWER_BOUNDS, bucketFor } from './policy/index.ts'
import type { ConfidenceBucket } from './policy/index.ts'

export interface ReviewSettings {
  minimum_confidence_score: number
  minimum_confidence_bucket: ConfidenceBucket
}

export const CONFIDENCE_BUCKETS: readonly ConfidenceBucket[] = ['extra_high', 'high', 'medium', 'low', 'none']

/** Score a bucket threshold stands for: its lower bound ('low' = anything above zero). */
const BUCKET_SCORE: Record<ConfidenceBucket, number> = {
  extra_high: BUCKET_LOWER_BOUNDS.extra_high,
  high: BUCKET_LOWER_BOUNDS.high,
  medium: BUCKET_LOWER_BOUNDS.medium,
  low: 0.01,
  none: 0,
}

export function scoreForBucket(bucket: ConfidenceBucket): number {
  return BUCKET_SCORE[bucket]
}

export function reviewSettingsFor(score: number): ReviewSettings {
  return { minimum_confidence_score: score, minimum_confidence_bucket: bucketFor(score) }
}

export async function readReviewSettings(store: Store, tenantId: TenantId, defaultScore: number): Promise<ReviewSettings> {
  const raw = await store.getSettings(tenantId, 'review')
  if (raw === null) return reviewSettingsFor(defaultScore)
  return JSON.parse(raw) as ReviewSettings
}

export interface NotificationSettings {
  email_enabled: boolean
  email_recipients: string
  slack_enabled: boolean
  slack_webhook_url: string
  webhook_url: string
}

export const DEFAULT_NOTIFICATIONS: NotificationSettings = {
  email_enabled: false,
  email_recipients: '',
  slack_enabled: false,
  slack_webhook_url: '',
  webhook_url: '',
}

// Deliberately simple: one @, no spaces, a dot in the domain. Delivery will be the real test.
const EMAIL = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/

/** Merges a PUT body over the current settings; returns a field-named problem on bad input. */
export function mergeNotifications(current: NotificationSettings, body: Record<string, unknown>): NotificationSettings | string {
  const next = { ...current }
  for (const flag of ['email_enabled', 'slack_enabled'] as const) {
    if (body[flag] !== undefined) next[flag] = body[flag] as boolean
  }
  const recipients = body.email_recipients
  if (recipients !== undefined) {
    const list = Array.isArray(recipients) ? (recipients as string[]) : String(recipients).split(',')
    const cleaned = list.map((s) => s.trim()).filter((s) => s !== '')
    for (let i = 0; i < cleaned.length; i++) {
      if (!EMAIL.test(cleaned[i]!)) return `body.email_recipients[${i}]: not an email address`
    }
    next.email_recipients = cleaned.join(',')
  }
  for (const field of ['slack_webhook_url', 'webhook_url'] as const) {
    const value = body[field]
    if (value === undefined) continue
    if (value === '') {
      next[field] = ''
      continue
    }
    let url: URL
    try {
      url = new URL(String(value))
    } catch {
      return `body.${field}: not a URL`
    }
    if (url.protocol !== 'https:') return `body.${field}: must be an https:// URL`
    next[field] = url.toString()
  }
  if (next.email_enabled && next.email_recipients === '') return 'body.email_recipients: required when email_enabled is true'
  if (next.slack_enabled && next.slack_webhook_url === '') return 'body.slack_webhook_url: required when slack_enabled is true'
  return next
}

export async function readJsonSettings<T>(store: Store, tenantId: TenantId, kind: 'notification' | 'drift', fallback: T): Promise<T> {
  const raw = await store.getSettings(tenantId, kind)
  return raw === null ? fallback : { ...fallback, ...(JSON.parse(raw) as T) }
}
