// memory-soak: the issue's "no RSS growth over 1 million requests", against a dedicated all-in-one
// gateway started for it (its plateau is not shaped by the other scenarios). A warm-up of 1/10 of
// the count, then the count itself in ten steps; after every step the gateway gets a moment to
// settle and its RSS (and V8 heap used, from /metrics) is sampled. The bulk is passthrough; 5 % of
// every step is token-gated with fresh tokens (durable burn), because minting a million tokens would
// take longer than the soak itself. Reported: growth from the post-warm-up plateau, growth between
// the 2/10 and the last sample (the target, ≤ SOAK_TOLERANCE_MIB), and the slope in MiB per step.
import { join } from 'node:path'
import { readFileSync, rmSync } from 'node:fs'
import { runLoad } from '../lib/loadgen.ts'
import type { LoadResult } from '../lib/loadgen.ts'
import { expectStatus } from '../lib/measure.ts'
import type { Ctx } from '../lib/measure.ts'
import { rssMiB, sleep, stopManaged } from '../lib/procs.ts'
import { median, newRow, unavailable } from '../lib/report.ts'
import type { Row } from '../lib/report.ts'
import { startGateway } from '../lib/stack.ts'
import type { GatewayStarted } from '../lib/stack.ts'
import { mintTokensFile } from '../lib/tokens.ts'
import { checkGated } from './gateway.ts'

export const SOAK_ID = 'memory-soak'

/** Requests of the full soak (issue 7: 10^6); --quick uses QUICK_REQUESTS; BENCH_SOAK_REQUESTS overrides. */
const FULL_REQUESTS = 1_000_000
const QUICK_REQUESTS = 100_000
const STEPS = 10
const GATED_SHARE = 0.05
/**
 * Allowed RSS change between the 2/10 sample and the last one. A leak of 7 bytes per request is
 * 5.3 MiB over 800k requests and fails it; below that, RSS moves by a few MiB between major GCs
 * (old-space pages, malloc arenas) without any leak, which the plateau samples show.
 */
export const SOAK_TOLERANCE_MIB = 5
/** Wall-clock ceiling of the soak: a collapsing rate ends it early (the row says so) rather than run on. */
const MAX_WALL_MS_FULL = 12 * 60_000
const MAX_WALL_MS_QUICK = 3 * 60_000
/**
 * Longest single wrk run: a step is several runs, each sized from the last rate, so a rate that
 * jumps (the machine is shared) overshoots a step by at most this many seconds of load.
 */
const MAX_RUN_SEC = 10

interface Sample extends NodeMemory {
  requests: number
  rssMiB: number
  /** RssAnon / RssFile / RssShmem of /proc/<pid>/status: heap-like, mapped files, shared memory (SQLite's -shm). */
  anonMiB: number | null
  fileMiB: number | null
  shmemMiB: number | null
}

function rssParts(pid: number): { anonMiB: number | null; fileMiB: number | null; shmemMiB: number | null } {
  let text = ''
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    // not Linux, or gone
  }
  const kib = (field: string): number | null => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)
    return match === null ? null : Math.round((Number(match[1]) / 1024) * 10) / 10
  }
  return { anonMiB: kib('RssAnon'), fileMiB: kib('RssFile'), shmemMiB: kib('RssShmem') }
}

interface Tally {
  requests: number
  passRequests: number
  gatedRequests: number
  passNon2xx: number
  gatedNon2xx: number
  socketErrors: number
  busySec: number
  passRate: number | null
  /** Token-gated requests/s assumed when sizing the next gated run. */
  gatedRate: number
  runs: number
  tokensMs: number
}

interface NodeMemory {
  heapUsedMiB: number | null
  heapTotalMiB: number | null
  externalMiB: number | null
}

/**
 * V8 heap used / total and external memory from the gateway's /metrics (prom-client default
 * metrics), MiB: they tell a JS leak (used grows) from heap capacity (total) and Buffers (external).
 */
export async function nodeMemory(adminUrl: string): Promise<NodeMemory> {
  const none = { heapUsedMiB: null, heapTotalMiB: null, externalMiB: null }
  try {
    const res = await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(3000) })
    const text = await res.text()
    const read = (name: string): number | null => {
      const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'm').exec(text)
      return match === null ? null : Math.round((Number(match[1]) / 2 ** 20) * 10) / 10
    }
    return { heapUsedMiB: read('nodejs_heap_size_used_bytes'), heapTotalMiB: read('nodejs_heap_size_total_bytes'), externalMiB: read('nodejs_external_memory_bytes') }
  } catch {
    return none
  }
}

async function sample(gw: GatewayStarted, requests: number): Promise<Sample> {
  // No GC hook in the product: let the process settle, then take the median of a few readings.
  await sleep(1000)
  const readings: number[] = []
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(250)
    readings.push(rssMiB(gw.m) ?? NaN)
  }
  return { requests, rssMiB: median(readings), ...rssParts(gw.m.pid), ...(await nodeMemory(gw.adminUrl)) }
}

let soakFiles = 0

/** Drive the gateway until `tally.requests` reaches `target`: the gated share first, then passthrough. */
async function driveTo(ctx: Ctx, gw: GatewayStarted, tally: Tally, target: number, deadline: number): Promise<void> {
  const stepRequests = target - tally.requests
  const gated = Math.max(0, Math.floor(stepRequests * GATED_SHARE))
  if (gated > 0) {
    const file = join(ctx.dir, `soak-tokens-${++soakFiles}.txt`)
    const started = performance.now()
    await mintTokensFile(ctx.key, gated, file, 1800)
    tally.tokensMs += performance.now() - started
    try {
      // wrk runs for its whole duration even when its thread ran out of tokens and stopped, so the
      // duration is sized from the gated rate seen so far (tokens left over are simply not used).
      const durationSec = Math.max(1, Math.min(MAX_RUN_SEC, Math.ceil(gated / tally.gatedRate)))
      const r = await runLoad(ctx.env, { label: `soak-gated-${soakFiles}`, url: `${gw.url}/gated`, connections: ctx.opts.connections, durationSec, tokensFile: file, tokenMode: 'bearer' }, ctx.dir)
      account(tally, r, 'gated')
      // Ran out early: the true rate is above requests/duration (idle tail); else it is the rate.
      const seen = r.requests / durationSec
      tally.gatedRate = r.exhausted > 0 ? Math.max(tally.gatedRate, seen) * 1.25 : Math.max(100, seen)
    } finally {
      rmSync(file, { force: true })
    }
  }
  while (tally.requests < target && performance.now() < deadline) {
    const remaining = target - tally.requests
    const durationSec = tally.passRate === null ? 2 : Math.max(1, Math.min(MAX_RUN_SEC, Math.ceil(remaining / tally.passRate)))
    const r = await runLoad(ctx.env, { label: `soak-pass-${++soakFiles}`, url: `${gw.url}/pass`, connections: ctx.opts.connections, durationSec }, ctx.dir)
    account(tally, r, 'pass')
    if (r.rps > 0) tally.passRate = r.rps
  }
}

function account(tally: Tally, r: LoadResult, kind: 'pass' | 'gated'): void {
  tally.requests += r.requests
  tally.socketErrors += r.socketErrors
  // wrk's duration (a gated run may idle at its end after its last token): busy time, roughly.
  tally.busySec += r.rps > 0 ? r.requests / r.rps : 0
  tally.runs++
  if (kind === 'pass') {
    tally.passRequests += r.requests
    tally.passNon2xx += r.non2xx
  } else {
    tally.gatedRequests += r.requests
    tally.gatedNon2xx += r.non2xx
  }
}

/** Least-squares slope of RSS over requests, in MiB per `per` requests. */
function slope(samples: readonly Sample[], per: number): number {
  const n = samples.length
  if (n < 2) return NaN
  const mx = samples.reduce((a, s) => a + s.requests, 0) / n
  const my = samples.reduce((a, s) => a + s.rssMiB, 0) / n
  let num = 0
  let den = 0
  for (const s of samples) {
    num += (s.requests - mx) * (s.rssMiB - my)
    den += (s.requests - mx) ** 2
  }
  return den === 0 ? NaN : (num / den) * per
}

function series(samples: readonly Sample[], pick: (s: Sample) => number | null): string {
  return samples.map((s) => pick(s)?.toFixed(1) ?? '?').join(' / ')
}

function soakCount(ctx: Ctx): number {
  const env = Number(process.env['BENCH_SOAK_REQUESTS'])
  if (Number.isInteger(env) && env >= 10_000) return Math.min(env, 10_000_000)
  return ctx.opts.quick ? QUICK_REQUESTS : FULL_REQUESTS
}

export async function measureSoak(ctx: Ctx, values: Record<string, string | number>): Promise<Row> {
  const total = soakCount(ctx)
  const step = Math.floor(total / STEPS)
  const title = `RSS over a ${total.toLocaleString('en-US')}-request soak (${Math.round((1 - GATED_SHARE) * 100)} % passthrough, ${Math.round(GATED_SHARE * 100)} % token-gated) [all-in-one, dedicated process]`
  // Diagnostic knob: BENCH_SOAK_MALLOC_ARENA_MAX=2 runs the soak gateway with fewer glibc malloc
  // arenas, to tell allocator fragmentation (RssAnon creeping, V8 heap flat) from a native leak.
  const arenas = process.env['BENCH_SOAK_MALLOC_ARENA_MAX']
  const env = arenas !== undefined && /^\d+$/.test(arenas) ? { MALLOC_ARENA_MAX: arenas } : undefined
  const gw = await startGateway(ctx, 'gateway-soak', 'all-in-one', values, env)
  if (typeof gw === 'string') return unavailable(SOAK_ID, title, `serve all-in-one: ${gw}`)
  try {
    const problem = (await expectStatus(`${gw.url}/pass`, {}, 200, 'bench-upstream')) ?? (await checkGated(ctx, `${gw.url}/gated`))
    if (problem !== null) return unavailable(SOAK_ID, title, `sanity request failed: ${problem}`)
    const deadline = performance.now() + (ctx.opts.quick ? MAX_WALL_MS_QUICK : MAX_WALL_MS_FULL)
    const tally: Tally = { requests: 0, passRequests: 0, gatedRequests: 0, passNon2xx: 0, gatedNon2xx: 0, socketErrors: 0, busySec: 0, passRate: null, gatedRate: 1500, runs: 0, tokensMs: 0 }
    const readyRss = rssMiB(gw.m)
    process.stderr.write(`bench: ${SOAK_ID}: warm-up ${step.toLocaleString('en-US')} requests, then ${total.toLocaleString('en-US')} in ${STEPS} steps\n`)
    await driveTo(ctx, gw, tally, step, deadline)
    const warmedAt = tally.requests
    const samples: Sample[] = [await sample(gw, 0)]
    for (let i = 1; i <= STEPS && performance.now() < deadline; i++) {
      // A run that overshot this mark already: sample at the next one instead.
      if (i < STEPS && tally.requests >= warmedAt + i * step) continue
      await driveTo(ctx, gw, tally, warmedAt + i * step, deadline)
      const s = await sample(gw, tally.requests - warmedAt)
      samples.push(s)
      process.stderr.write(`bench:   ${SOAK_ID}: ${s.requests.toLocaleString('en-US')} requests after warm-up, RSS ${s.rssMiB} MiB, heap used/total ${s.heapUsedMiB ?? '?'}/${s.heapTotalMiB ?? '?'} MiB, external ${s.externalMiB ?? '?'} MiB, anon/file/shmem ${s.anonMiB ?? '?'}/${s.fileMiB ?? '?'}/${s.shmemMiB ?? '?'} MiB\n`)
      if (gw.m.isDead()) break
    }
    const row = soakRow(title, gw, total, step, readyRss, warmedAt, samples, tally)
    if (env !== undefined) row.notes.push(`gateway run with MALLOC_ARENA_MAX=${env.MALLOC_ARENA_MAX} (BENCH_SOAK_MALLOC_ARENA_MAX)`)
    return row
  } finally {
    await stopManaged(gw.m)
  }
}

function soakRow(title: string, gw: GatewayStarted, total: number, step: number, readyRss: number | null, warmedAt: number, samples: Sample[], tally: Tally): Row {
  const row = newRow(SOAK_ID, title)
  const first = samples[0]!
  const last = samples.at(-1)!
  const reached = last.requests >= total
  // The target compares the 2/10 sample with the last (the first steps still fill caches and pools).
  const from = samples.find((s) => s.requests >= 2 * step) ?? first
  const growth = last.rssMiB - first.rssMiB
  const growthTarget = last.rssMiB - from.rssMiB
  const perStep = slope(samples.filter((s) => s.requests >= from.requests), step)
  const met = reached && Math.abs(growthTarget) <= SOAK_TOLERANCE_MIB
  // Not a throughput row: the rate is a by-product (gated runs may idle after their last token).
  row.extra['load_seconds'] = Math.round(tally.busySec)
  row.rssMiB = last.rssMiB
  row.extra['requests'] = tally.requests
  row.extra['soak_requests_after_warmup'] = last.requests
  row.extra['warmup_requests'] = warmedAt
  row.extra['gated_requests'] = tally.gatedRequests
  row.extra['rss_ready_mib'] = readyRss ?? 'n/a'
  row.extra['rss_samples'] = samples.map((s) => `${s.requests}:${s.rssMiB}`).join(',')
  row.extra['heap_used_samples'] = samples.map((s) => `${s.requests}:${s.heapUsedMiB ?? 'n/a'}`).join(',')
  row.extra['heap_total_samples'] = samples.map((s) => `${s.requests}:${s.heapTotalMiB ?? 'n/a'}`).join(',')
  row.extra['external_samples'] = samples.map((s) => `${s.requests}:${s.externalMiB ?? 'n/a'}`).join(',')
  row.extra['rss_anon_file_shmem_samples'] = samples.map((s) => `${s.requests}:${s.anonMiB ?? 'n/a'}/${s.fileMiB ?? 'n/a'}/${s.shmemMiB ?? 'n/a'}`).join(',')
  row.extra['rss_growth_mib'] = Math.round(growth * 10) / 10
  row.extra['rss_growth_target_window_mib'] = Math.round(growthTarget * 10) / 10
  row.extra['rss_slope_mib_per_step'] = Math.round(perStep * 100) / 100
  row.extra['step_requests'] = step
  const k = (n: number): string => (n >= 1000 ? `${Math.round(n / 1000)}k` : String(n))
  row.notes.push(
    `${reached ? '' : `NOT REACHED: stopped at ${last.requests.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} requests (wall-clock ceiling); `}` +
      `RSS ${readyRss ?? '?'} MiB at ready, ${first.rssMiB} MiB after a ${warmedAt.toLocaleString('en-US')}-request warm-up → ${last.rssMiB} MiB after ${last.requests.toLocaleString('en-US')} more (growth ${growth.toFixed(1)} MiB)`,
    `${k(from.requests)} → ${k(last.requests)}: ${growthTarget >= 0 ? '+' : ''}${growthTarget.toFixed(1)} MiB (target |growth| ≤ ${SOAK_TOLERANCE_MIB} MiB ${met ? '✓' : '✗'}), slope ${perStep >= 0 ? '+' : ''}${perStep.toFixed(2)} MiB per ${k(step)}`,
    `every ${k(step)}, MiB: RSS ${series(samples, (s) => s.rssMiB)}; V8 heap used ${series(samples, (s) => s.heapUsedMiB)}; heap total ${series(samples, (s) => s.heapTotalMiB)}; external ${series(samples, (s) => s.externalMiB)}; RssAnon ${series(samples, (s) => s.anonMiB)}; RssFile ${series(samples, (s) => s.fileMiB)}; RssShmem ${series(samples, (s) => s.shmemMiB)}`,
    `${tally.gatedRequests.toLocaleString('en-US')} token-gated requests (fresh token each, durable burn), ${tally.passRequests.toLocaleString('en-US')} passthrough, ${tally.runs} wrk runs, ${Math.round(tally.busySec)} s of load; each sample 1 s after its step, median of 3 readings (the gateway exposes no GC hook)`,
  )
  if (tally.passNon2xx > 0) row.notes.push(`${tally.passNon2xx} passthrough responses were not 2xx`)
  if (tally.gatedNon2xx > 0) row.notes.push(`${tally.gatedNon2xx} token-gated responses were not 2xx`)
  if (tally.socketErrors > 0) row.notes.push(`${tally.socketErrors} socket errors/timeouts`)
  if (gw.m.isDead()) row.notes.push('the soak gateway exited during the run: numbers are suspect')
  return row
}
