// Measuring load scenarios: a sanity request first (a wrong answer makes the row "not available",
// never a number), a warm-up run, then `runs` rounds interleaved across scenarios; each row carries
// the median req/s, p50 and p99, the SUT's RSS afterwards, and notes on errors or short token files.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Options } from './args.ts'
import { runLoad } from './loadgen.ts'
import type { LoadResult, LoadSpec } from './loadgen.ts'
import { cpuSeconds, rssMiB } from './procs.ts'
import type { Managed } from './procs.ts'
import { median, newRow, unavailable } from './report.ts'
import type { Comparison, Row } from './report.ts'
import { mintTokensFile, tokenBudget } from './tokens.ts'
import type { BenchKey } from './tokens.ts'
import type { Environment } from './tools.ts'

export interface Ctx {
  env: Environment
  opts: Options
  /** Temp dir of this run (configs, data dirs, token files, logs). */
  dir: string
  key: BenchKey
  /** Single-core verify ceiling once measured (sizes token files); null before. */
  verifyCeiling: number | null
  /** Scenario ids selected by --only (with their references); null = all. */
  selected: Set<string> | null
  /** How gateway/Vault processes are started: node <script> serve … (see lib/entry.ts). */
  entry: { script: string; description: string }
}

export function isSelected(ctx: Ctx, id: string): boolean {
  return ctx.selected === null || ctx.selected.has(id)
}

export interface LoadScenario {
  id: string
  title: string
  /** Base request; token scenarios get a fresh tokensFile per run. */
  spec: Omit<LoadSpec, 'label' | 'durationSec' | 'tokensFile'>
  /** Needs one fresh token per request. */
  tokens: boolean
  /** 'ok': every response must be 2xx; 'reject': every response must be a refusal. */
  expect: 'ok' | 'reject'
  /** Process whose RSS is reported (the system under test). */
  sut: Managed | null
  compare: Comparison[]
  /** One request that must behave as expected before load is applied; returns a problem or null. */
  check: () => Promise<string | null>
  notes?: string[]
  /** Absolute target in req/s from issue 7, if any. */
  minRps?: number
  /** Adds scenario-specific facts to the finished row. */
  finish?: (row: Row) => void
  /** A measurement other than HTTP load (the verify micro-benchmark); no warm-up, no latency. */
  sample?: (durationSec: number) => Promise<LoadResult>
  /**
   * Counters read before and after every measured run (the store's write path from /metrics); their
   * growth is summed over the runs and described by `describeProbe` in the row's notes.
   */
  probe?: () => Promise<Record<string, number> | null>
  describeProbe?: (total: Record<string, number>) => string
}

let tokenFiles = 0

async function freshTokens(ctx: Ctx, durationSec: number, rateHint: number | null): Promise<string> {
  // Before a rate is known (warm-up), size for the ceiling: every token scenario is bounded by
  // signature verification on one core (nproc cores unpinned). After it, 3× the warm-up rate (a
  // cold JIT makes the warm-up slow) and at least 2,000/s, never above the ceiling.
  const perCore = ctx.verifyCeiling ?? 10_000
  const cores = ctx.env.placement.sut === null ? ctx.env.machine.nproc : 1
  const rate = rateHint === null ? perCore * cores : Math.min(perCore * cores, Math.max(2_000, rateHint * 3))
  const count = tokenBudget(durationSec, rate, 400_000)
  const file = join(ctx.dir, `tokens-${++tokenFiles}.txt`)
  await mintTokensFile(ctx.key, count, file, 1800)
  return file
}

async function once(ctx: Ctx, s: LoadScenario, durationSec: number, label: string, rateHint: number | null): Promise<LoadResult> {
  const spec: LoadSpec = { ...s.spec, label, durationSec }
  if (s.tokens) spec.tokensFile = await freshTokens(ctx, durationSec, rateHint)
  try {
    const probeBefore = s.probe === undefined ? null : await s.probe()
    const cpuBefore = s.sut === null ? null : cpuSeconds(s.sut)
    const result = await runLoad(ctx.env, spec, ctx.dir)
    const cpuAfter = s.sut === null ? null : cpuSeconds(s.sut)
    if (cpuBefore !== null && cpuAfter !== null && result.requests > 0) result.cpuUsPerRequest = ((cpuAfter - cpuBefore) * 1e6) / result.requests
    const probeAfter = probeBefore === null ? null : await s.probe!()
    if (probeBefore !== null && probeAfter !== null) {
      result.probeDelta = {}
      for (const [k, v] of Object.entries(probeAfter)) result.probeDelta[k] = v - (probeBefore[k] ?? 0)
    }
    return result
  } finally {
    // Up to ~40 MB each; the run's temp dir would otherwise grow by that per run.
    if (spec.tokensFile !== undefined) rmSync(spec.tokensFile, { force: true })
  }
}

interface State {
  s: LoadScenario
  row: Row
  results: LoadResult[]
  rateHint: number | null
}

function sampleOnce(ctx: Ctx, s: LoadScenario, durationSec: number, label: string, rateHint: number | null): Promise<LoadResult> {
  return s.sample !== undefined ? s.sample(durationSec) : once(ctx, s, durationSec, label, rateHint)
}

/**
 * Measure scenarios interleaved: sanity check and warm-up each, then `runs` rounds in which every
 * scenario runs once. A burst of background load then hits a reference and its subject alike, so
 * the ratios of medians stay meaningful on a shared machine.
 */
export async function measureInterleaved(ctx: Ctx, scenarios: readonly LoadScenario[]): Promise<Row[]> {
  const rows: Row[] = []
  const states: State[] = []
  for (const s of scenarios) {
    const failure = await prepare(ctx, s)
    if (failure !== null) {
      rows.push(failure)
      continue
    }
    const row = newRow(s.id, s.title)
    row.compare = s.compare
    row.minRps = s.minRps ?? null
    row.notes.push(...(s.notes ?? []))
    rows.push(row)
    states.push({ s, row, results: [], rateHint: null })
  }
  for (const st of states) {
    try {
      if (st.s.sample !== undefined) continue
      const warmup = await once(ctx, st.s, ctx.opts.warmupSec, `${st.s.id}-warmup`, null)
      st.rateHint = warmup.exhausted > 0 ? null : warmup.rps
    } catch (err) {
      fail(st, err)
    }
  }
  for (let i = 0; i < ctx.opts.runs; i++) {
    process.stderr.write(`bench: round ${i + 1}/${ctx.opts.runs}\n`)
    for (const st of states) {
      if (st.row.status !== 'ok') continue
      try {
        const r = await sampleOnce(ctx, st.s, ctx.opts.durationSec, `${st.s.id}-${i + 1}`, st.rateHint)
        st.results.push(r)
        process.stderr.write(`bench:   ${st.s.id}: ${Math.round(r.rps)}/s p50 ${r.p50Ms.toFixed(3)} ms\n`)
      } catch (err) {
        fail(st, err)
      }
    }
  }
  for (const st of states) if (st.row.status === 'ok') finish(st)
  return rows
}

async function prepare(ctx: Ctx, s: LoadScenario): Promise<Row | null> {
  if (s.sut !== null && s.sut.isDead()) return unavailable(s.id, s.title, `${s.sut.name} is not running`)
  let problem: string | null
  try {
    problem = await s.check()
  } catch (err) {
    problem = err instanceof Error ? err.message : String(err)
  }
  return problem === null ? null : unavailable(s.id, s.title, `sanity request failed: ${problem}`)
}

function fail(st: State, err: unknown): void {
  process.stderr.write(`bench:   ${st.s.id} failed: ${err instanceof Error ? err.message : String(err)}\n`)
  st.row.status = 'not available'
  st.row.notes.push(`not available: ${err instanceof Error ? err.message : String(err)}`)
}

function finish(st: State): void {
  const { row, s, results } = st
  row.runs = results.map((r) => ({ rps: r.rps, p50Ms: r.p50Ms, p99Ms: r.p99Ms, requests: r.requests, non2xx: r.non2xx, socketErrors: r.socketErrors }))
  row.rps = median(results.map((r) => r.rps))
  if (s.sample === undefined) {
    row.p50Ms = median(results.map((r) => r.p50Ms))
    row.p99Ms = median(results.map((r) => r.p99Ms))
  }
  row.rssMiB = s.sut === null ? null : rssMiB(s.sut)
  const cpu = results.map((r) => r.cpuUsPerRequest).filter((x): x is number => x !== undefined)
  if (cpu.length === results.length && cpu.length > 0) {
    const med = median(cpu)
    row.extra['cpu_us_per_request'] = Math.round(med * 10) / 10
    row.notes.push(`CPU of the system under test per request: ${med.toFixed(1)} µs (user + system, all its threads, /proc; runs: ${cpu.map((x) => x.toFixed(1)).join(' / ')})`)
  }
  if (s.describeProbe !== undefined && results.every((r) => r.probeDelta !== undefined)) {
    const total: Record<string, number> = {}
    for (const r of results) for (const [k, v] of Object.entries(r.probeDelta!)) total[k] = (total[k] ?? 0) + v
    for (const [k, v] of Object.entries(total)) row.extra[k] = v
    row.notes.push(s.describeProbe(total))
  }
  annotate(row, s, results)
  s.finish?.(row)
  if (s.sut !== null && s.sut.isDead()) row.notes.push(`${s.sut.name} exited during the run: numbers are suspect`)
}

/** One scenario alone (sanity, warm-up, runs). */
export async function measureLoad(ctx: Ctx, s: LoadScenario): Promise<Row> {
  return (await measureInterleaved(ctx, [s]))[0]!
}

function annotate(row: Row, s: LoadScenario, results: LoadResult[]): void {
  const requests = results.reduce((n, r) => n + r.requests, 0)
  const non2xx = results.reduce((n, r) => n + r.non2xx, 0)
  const socketErrors = results.reduce((n, r) => n + r.socketErrors, 0)
  const exhausted = results.reduce((n, r) => n + r.exhausted, 0)
  row.extra['requests'] = requests
  // The spread says how noisy the machine was while this row ran.
  if (results.length > 1) row.notes.push(`runs: ${results.map((r) => Math.round(r.rps).toLocaleString('en-US')).join(' / ')} req/s`)
  if (s.expect === 'ok' && non2xx > 0) row.notes.push(`${non2xx} of ${requests} responses were not 2xx/3xx (${((non2xx / requests) * 100).toFixed(2)}%)`)
  if (s.expect === 'reject' && non2xx !== requests) row.notes.push(`${requests - non2xx} of ${requests} responses were NOT refused`)
  if (s.expect === 'reject' && non2xx === requests) row.notes.push('all responses refused as expected')
  if (socketErrors > 0) row.notes.push(`${socketErrors} socket errors/timeouts`)
  if (exhausted > 0) row.notes.push(`token file ran out in ${exhausted} run(s): rate understated`)
}

/** One HTTP request for a sanity check; returns a problem string or null. */
export async function expectStatus(url: string, init: RequestInit, status: number, bodyIncludes?: string): Promise<string | null> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) })
  const text = await res.text()
  if (res.status !== status) return `${init.method ?? 'GET'} ${new URL(url).pathname} answered ${res.status}, expected ${status}: ${text.slice(0, 160)}`
  if (bodyIncludes !== undefined && !text.includes(bodyIncludes)) return `${new URL(url).pathname}: body lacks ${JSON.stringify(bodyIncludes)}: ${text.slice(0, 160)}`
  return null
}
