// Pure statistics of drift detection (no I/O): distribution distances with sample-size-aware
// thresholds, robust location/scale, and exact upper tails of the counts the features test.
// Sources of each rule: ../shared/design/reports-drift.md §C4 and docs in README "Drift detection".

/** Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`)
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239]
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572]
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]
  const low = 0.02425
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p))
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
  }
  if (p > 1 - low) return -normalQuantile(1 - p)
  const q = p - 0.5
  const r = q * q
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; ~15 significant digits). */
export function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7]
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x)
  const z = x - 1
  let a = c[0]!
  const t = z + 7.5
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i)
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a)
}

/** Regularised upper incomplete gamma Q(a, x): series below a + 1, Lentz's continued fraction above. */
export function upperGammaQ(a: number, x: number): number {
  if (x <= 0) return 1
  const lead = -x + a * Math.log(x) - logGamma(a)
  if (x < a + 1) {
    let sum = 1 / a
    let term = sum
    for (let n = 1; n < 500; n++) {
      term *= x / (a + n)
      sum += term
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break
    }
    return Math.max(0, 1 - sum * Math.exp(lead))
  }
  let b = x + 1 - a
  let c = 1e300
  let d = 1 / b
  let h = d
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < 1e-300) d = 1e-300
    c = b + an / c
    if (Math.abs(c) < 1e-300) c = 1e-300
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < 1e-15) break
  }
  return Math.exp(lead) * h
}

const chiSquareCache = new Map<string, number>()

/**
 * The χ² quantile: the x with P(χ²(df) > x) = 1 − p, by bisection on Q(df/2, x/2). Thresholds ask for
 * a handful of (p, df) pairs, so each is computed once and cached.
 */
export function chiSquareQuantile(p: number, df: number): number {
  if (df <= 0) return 0
  const key = `${p} ${df}`
  const cached = chiSquareCache.get(key)
  if (cached !== undefined) return cached
  const tail = 1 - p
  let lo = 0
  let hi = Math.max(10, df * 10)
  while (upperGammaQ(df / 2, hi / 2) > tail) hi *= 2
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2
    if (upperGammaQ(df / 2, mid / 2) > tail) lo = mid
    else hi = mid
  }
  const x = (lo + hi) / 2
  if (chiSquareCache.size < 1024) chiSquareCache.set(key, x)
  return x
}

/**
 * Population Stability Index between two count maps over the union of their categories, with
 * `smoothing` added to every cell (a category absent on one side would otherwise be infinite).
 */
export function psi(baseline: ReadonlyMap<string, number>, window: ReadonlyMap<string, number>, smoothing = 0.5): { psi: number; categories: number } {
  const keys = new Set<string>([...baseline.keys(), ...window.keys()])
  const k = keys.size
  if (k < 2) return { psi: 0, categories: k }
  let nb = 0
  let nw = 0
  for (const v of baseline.values()) nb += v
  for (const v of window.values()) nw += v
  const tb = nb + smoothing * k
  const tw = nw + smoothing * k
  let sum = 0
  for (const key of keys) {
    const b = ((baseline.get(key) ?? 0) + smoothing) / tb
    const w = ((window.get(key) ?? 0) + smoothing) / tw
    sum += (w - b) * Math.log(w / b)
  }
  return { psi: sum, categories: k }
}

/**
 * The PSI above which a window differs beyond sampling noise: under no drift PSI ≈ χ²(k−1)·(1/n_b + 1/n_w)
 * (design notes B6, reproduced in test/drift/stats.test.ts), so the threshold is that quantile at 1 − α,
 * and never below the conventional 0.25 band.
 */
export function psiThreshold(categories: number, baselineN: number, windowN: number, alpha: number, floor = 0.25): number {
  if (baselineN <= 0 || windowN <= 0) return Infinity
  return Math.max(floor, chiSquareQuantile(1 - alpha, Math.max(1, categories - 1)) * (1 / baselineN + 1 / windowN))
}

/** Jensen–Shannon distance (base 2, in [0, 1]) between two count maps: for display only. */
export function jsDistance(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  let na = 0
  let nb = 0
  for (const v of a.values()) na += v
  for (const v of b.values()) nb += v
  if (na === 0 || nb === 0) return 0
  let div = 0
  for (const key of new Set<string>([...a.keys(), ...b.keys()])) {
    const p = (a.get(key) ?? 0) / na
    const q = (b.get(key) ?? 0) / nb
    const m = (p + q) / 2
    if (p > 0) div += 0.5 * p * Math.log2(p / m)
    if (q > 0) div += 0.5 * q * Math.log2(q / m)
  }
  return Math.sqrt(Math.max(0, div))
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN
  // A typed array sorts numerically without a comparator call per comparison.
  const s = Float64Array.from(values).sort()
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Median absolute deviation (unscaled). */
export function mad(values: readonly number[], center = median(values)): number {
  return median(values.map((v) => Math.abs(v - center)))
}

/** Iglewicz–Hoaglin modified z: 0.6745·(x − median)/MAD; `madFloor` keeps near-constant series finite. */
export function modifiedZ(x: number, center: number, madValue: number, madFloor: number): number {
  return (0.6745 * (x - center)) / Math.max(madValue, madFloor)
}

const LOG_FACTORIAL: number[] = [0]
for (let i = 1; i <= 256; i++) LOG_FACTORIAL.push(LOG_FACTORIAL[i - 1]! + Math.log(i))

/** ln(n!) exactly up to 256, by Stirling's series above (error < 1e-10 there). */
export function logFactorial(n: number): number {
  if (n <= 256) return LOG_FACTORIAL[n]!
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n ** 3)
}

/** P(X ≥ x) for X ~ Poisson(λ), summed from x upward so tiny tails keep their precision. */
export function poissonUpperTail(x: number, lambda: number): number {
  if (x <= 0) return 1
  if (lambda <= 0) return 0
  let sum = 0
  const logLambda = Math.log(lambda)
  for (let k = x; k < x + 1000; k++) {
    const term = Math.exp(-lambda + k * logLambda - logFactorial(k))
    sum += term
    if (k > lambda && term < sum * 1e-12) break
  }
  return Math.min(1, sum)
}

/** P(X ≥ x) for X ~ Binomial(n, p), summed in log space from x upward. */
export function binomialUpperTail(x: number, n: number, p: number): number {
  if (x <= 0) return 1
  if (x > n || p <= 0) return 0
  if (p >= 1) return 1
  const lp = Math.log(p)
  const lq = Math.log1p(-p)
  let sum = 0
  for (let k = x; k <= n; k++) {
    sum += Math.exp(logFactorial(n) - logFactorial(k) - logFactorial(n - k) + k * lp + (n - k) * lq)
  }
  return Math.min(1, sum)
}

/** Design notes §C4: 0 below the threshold, 0.5 at it, 1 at twice it (r = statistic / threshold). */
export function severityOfRatio(ratio: number): number {
  if (!(ratio >= 1)) return 0
  return Math.min(1, 0.5 + 0.5 * (ratio - 1))
}

/**
 * The same scale for a tail probability: r = ln(1/p) / ln(1/α), so p = α gives 0.5 and p = α² gives 1.
 * A test's evidence grows with −log p, and this keeps "twice the threshold" meaning "twice the evidence".
 */
export function tailSeverity(p: number, alpha: number): number {
  if (p <= 0) return 1
  return severityOfRatio(Math.log(1 / p) / Math.log(1 / alpha))
}

/** Noisy-OR of weighted severities, 0–100 (design notes §C4): two corroborating features reach 85+. */
export function compositeScore(parts: ReadonlyArray<{ weight: number; severity: number }>): number {
  let keep = 1
  for (const p of parts) keep *= 1 - Math.min(1, Math.max(0, p.weight * p.severity))
  return Math.round(100 * (1 - keep))
}

/**
 * Student's t quantile by the Cornish–Fisher expansion around the normal quantile (Abramowitz &
 * Stegun 26.7.5): four terms keep it within 1e-3 of the exact value from 10 degrees of freedom at
 * p up to 1 − 1e-6 (tested against published tables); below 10 df it is conservative-ish and only
 * used where the caller requires more data anyway.
 */
export function studentTQuantile(p: number, df: number): number {
  const z = normalQuantile(p)
  const v = Math.max(1, df)
  const z2 = z * z
  const g1 = (z * (z2 + 1)) / 4
  const g2 = (z * ((5 * z2 + 16) * z2 + 3)) / 96
  const g3 = (z * (((3 * z2 + 19) * z2 + 17) * z2 - 15)) / 384
  const g4 = (z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945)) / 92160
  return z + g1 / v + g2 / v ** 2 + g3 / v ** 3 + g4 / v ** 4
}

/**
 * The upper prediction bound for one more draw from a normal sample of size n with mean m and standard
 * deviation sd: m + t(1 − α, n − 1)·sd·√(1 + 1/n). It widens as n shrinks — the sample-size-aware
 * threshold of F4 (daily amount sums, design notes §C4 and B6).
 */
export function predictionUpperBound(m: number, sd: number, n: number, alpha: number): number {
  if (n < 2) return Infinity
  return m + studentTQuantile(1 - alpha, n - 1) * sd * Math.sqrt(1 + 1 / n)
}
