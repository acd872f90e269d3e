// The pure statistics of drift: vector tables, and the design notes' B6 measurements reproduced by a
// seeded simulation (the PSI noise that makes fixed thresholds fire on small windows, and log vs raw
// amounts under robust z).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  binomialUpperTail,
  chiSquareQuantile,
  compositeScore,
  jsDistance,
  mad,
  median,
  modifiedZ,
  normalQuantile,
  poissonUpperTail,
  psi,
  psiThreshold,
  severityOfRatio,
  tailSeverity,
} from '../../src/drift/index.ts'
import { mulberry32, normal } from './sim.ts'

function near(actual: number, expected: number, relative: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= relative * Math.abs(expected), `${what}: ${actual} not within ${relative * 100} % of ${expected}`)
}

test('Jensen–Shannon distance matches scipy.spatial.distance.jensenshannon', () => {
  const m = (o: Record<string, number>): Map<string, number> => new Map(Object.entries(o))
  near(jsDistance(m({ a: 1 }), m({ b: 1 })), 1, 1e-12, '[1,0,0] vs [0,1,0] base 2')
  // scipy gives 0.4645 in base e for [1,0] vs [.5,.5]; ours is base 2: × 1/sqrt(ln 2).
  near(jsDistance(m({ a: 1 }), m({ a: 0.5, b: 0.5 })) * Math.sqrt(Math.LN2), 0.4645, 1e-3, '[1,0] vs [.5,.5]')
  assert.equal(jsDistance(m({ a: 2, b: 3 }), m({ a: 4, b: 6 })), 0)
})

test('normal and χ² quantiles, Poisson and binomial tails against published values', () => {
  near(normalQuantile(0.999), 3.090232, 1e-6, 'z 0.999')
  near(normalQuantile(0.025), -1.959964, 1e-6, 'z 0.025')
  // R qchisq(p, df).
  near(chiSquareQuantile(0.999, 1), 10.82757, 1e-5, 'χ² .999 df 1')
  near(chiSquareQuantile(0.999, 4), 18.46683, 1e-5, 'χ² .999 df 4')
  near(chiSquareQuantile(0.9999, 2), 18.42068, 1e-5, 'χ² .9999 df 2')
  near(chiSquareQuantile(0.95, 30), 43.77297, 1e-5, 'χ² .95 df 30')
  // R: ppois(9, 2, lower = FALSE) = 4.649808e-05; pbinom(4, 50, 0.02, lower = FALSE) = 0.003209742.
  near(poissonUpperTail(10, 2), 4.649808e-5, 1e-6, 'Poisson')
  near(binomialUpperTail(5, 50, 0.02), 0.003209742, 1e-6, 'binomial')
  assert.equal(poissonUpperTail(0, 3), 1)
  assert.equal(binomialUpperTail(51, 50, 0.5), 0)
  assert.equal(median([5, 1, 3]), 3)
  assert.equal(median([4, 1, 3, 2]), 2.5)
  assert.equal(mad([1, 1, 2, 2, 4, 6, 9]), 1)
  assert.equal(modifiedZ(10, 10, 0, 0.05), 0, 'the MAD floor keeps a constant series finite')
})

test('severity and score: 0.5 at threshold, 1 at twice; one feature ≤ 75, two corroborating reach 85+', () => {
  assert.equal(severityOfRatio(0.99), 0)
  assert.equal(severityOfRatio(1), 0.5)
  assert.equal(severityOfRatio(2), 1)
  assert.equal(tailSeverity(1e-4, 1e-4), 0.5)
  assert.equal(tailSeverity(1e-8, 1e-4), 1)
  assert.equal(compositeScore([{ weight: 0.75, severity: 1 }]), 75)
  assert.equal(compositeScore([{ weight: 0.7, severity: 1 }, { weight: 0.6, severity: 1 }]), 88, 'the notes\' F3 + F5 example')
  assert.equal(compositeScore([]), 0)
})

/** Null PSI of a 5-tool mix: baseline of `nb` draws, windows of `nw`, same distribution. */
function nullPsi(seed: number, nb: number, nw: number, runs: number): number[] {
  const rand = mulberry32(seed)
  const shares = [0.4, 0.25, 0.15, 0.12, 0.08]
  const draw = (n: number): Map<string, number> => {
    const m = new Map<string, number>()
    for (let i = 0; i < n; i++) {
      let r = rand()
      let k = 0
      while (k < shares.length - 1 && (r -= shares[k]!) > 0) k++
      m.set(`t${k}`, (m.get(`t${k}`) ?? 0) + 1)
    }
    return m
  }
  const out: number[] = []
  for (let i = 0; i < runs; i++) out.push(psi(draw(nb), draw(nw)).psi)
  return out
}

test('B6 reproduced: with no drift a fixed PSI 0.25 fires on small windows; the sample-size-aware threshold does not', () => {
  const runs = 10_000
  const p30 = nullPsi(1, 1000, 30, runs)
  const p50 = nullPsi(2, 1000, 50, runs)
  const fixed30 = p30.filter((v) => v > 0.25).length / runs
  const fixed50 = p50.filter((v) => v > 0.25).length / runs
  assert.ok(fixed30 > 0.05, `fixed 0.25 on 30-event windows fires ${fixed30} (notes: > 5 %)`)
  assert.ok(fixed50 > 0.01, `fixed 0.25 on 50-event windows fires ${fixed50} (notes: > 1 %)`)
  // The null approximation PSI ≈ χ²(k−1)·(1/n_b + 1/n_w): its mean (k−1)·(1/n_b + 1/n_w) within ±10 %.
  const mean50 = p50.reduce((a, b) => a + b, 0) / runs
  near(mean50, 4 * (1 / 1000 + 1 / 50), 0.1, 'mean null PSI, n_w = 50')
  for (const [values, nw] of [[p30, 30], [p50, 50]] as const) {
    const alpha = 0.001
    const rate = values.filter((v) => v > psiThreshold(5, 1000, nw, alpha)).length / runs
    assert.ok(rate < 5 * alpha, `aware threshold, n_w = ${nw}: fires ${rate}, want about α = ${alpha}`)
  }
})

test('B6 reproduced: robust z at 3.5 flags ~8.6 % of raw log-normal amounts, < 0.5 % on log(amount)', () => {
  const rand = mulberry32(3)
  const raw: number[] = []
  for (let i = 0; i < 50_000; i++) raw.push(60 * Math.exp(normal(rand)))
  const logs = raw.map(Math.log)
  const rate = (values: number[]): number => {
    const m = median(values)
    const d = mad(values, m)
    return values.filter((v) => Math.abs(modifiedZ(v, m, d, 0)) > 3.5).length / values.length
  }
  const rawRate = rate(raw)
  assert.ok(rawRate > 0.06 && rawRate < 0.11, `raw amounts: ${rawRate}`)
  assert.ok(rate(logs) < 0.005, `log amounts: ${rate(logs)}`)
})
