// Parsers for the human units YAML uses: durations ("250ms", "30s", "5m", "1h", "1d") and sizes
// ("512kb", "1mib", "10MB", or a plain integer of bytes). Strings only, so a bare number is never
// mistaken for seconds vs milliseconds.

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/
const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Milliseconds, or null when `text` is not a duration like "30s". */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim())
  if (m === null) return null
  return Math.round(Number(m[1]) * DURATION_MS[m[2]!]!)
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?$/i
const SIZE_BYTES: Record<string, number> = {
  b: 1,
  kb: 1000,
  kib: 1024,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
}

/** Bytes, or null when `value` is neither a non-negative integer nor a size like "1mib". */
export function parseSize(value: string | number): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null
  const m = SIZE.exec(value.trim())
  if (m === null) return null
  return Math.floor(Number(m[1]) * SIZE_BYTES[(m[2] ?? 'b').toLowerCase()]!)
}

export const DURATION_PATTERN = '^\\d+(\\.\\d+)?(ms|s|m|h|d)$'
export const SIZE_PATTERN = '^\\d+(\\.\\d+)?\\s*([bB]|[kK][bB]|[kK][iI][bB]|[mM][bB]|[mM][iI][bB]|[gG][bB]|[gG][iI][bB])?$'
