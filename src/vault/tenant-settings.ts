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


export async function readJsonSettings<T>(store: Store, tenantId: TenantId, kind: 'notification' | 'drift', fallback: T): Promise<T> {
  const raw = await store.getSettings(tenantId, kind)
  return raw === null ? fallback : { ...fallback, ...(JSON.parse(raw) as T) }
}
