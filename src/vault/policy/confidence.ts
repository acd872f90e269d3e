// Confidence buckets (spec §3.1 `confidence_bucket`, §7.2) and the engine's confidence defaults.
import type { ConfidenceBucket } from './types.ts'

/**
 * Lower bounds of each bucket. The SDK's bucket midpoints are 0.95, 0.85, 0.6, 0.2 and 0 (spec §7.2);
 * the bounds sit between neighbouring midpoints (rounded), so each midpoint maps back to its own bucket:
 * >= 0.9 extra_high, >= 0.75 high, >= 0.5 medium, > 0 low, 0 (or anything not a number) none.
 */
export const BUCKET_LOWER_BOUNDS = { extra_high: 0.9, high: 0.75, medium: 0.5 } as const

/** The SDK's default `minimum_confidence_bucket` is "high" (spec §3.1), whose lower bound is 0.75. */
export const DEFAULT_MINIMUM_CONFIDENCE = BUCKET_LOWER_BOUNDS.high

/** Structured (CEL) decisions are deterministic. */
export const STRUCTURED_CONFIDENCE = 1

/** Bucket midpoints, for callers that store a bucket as a number (spec §7.2 "store confidence as the bucket midpoint"). */
export const BUCKET_MIDPOINTS: Readonly<Record<ConfidenceBucket, number>> = {
  extra_high: 0.95,
  high: 0.85,
  medium: 0.6,
  low: 0.2,
  none: 0,
}

export function bucketFor(confidence: number): ConfidenceBucket {
  if (!(confidence > 0)) return 'none' // 0, negatives and NaN
  if (confidence >= BUCKET_LOWER_BOUNDS.extra_high) return 'extra_high'
  if (confidence >= BUCKET_LOWER_BOUNDS.high) return 'high'
  if (confidence >= BUCKET_LOWER_BOUNDS.medium) return 'medium'
  return 'low'
}
