// One load-generator run against one URL: wrk (with bench/wrk/*.lua) when installed, otherwise
// autocannon in a child process; either way pinned to the load core and parsed into one shape.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import type { Environment } from './tools.ts'
import { lastLines, spawnManaged, stopManaged } from './procs.ts'

const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)))
const WRK_DIR = join(BENCH_DIR, 'wrk')
const AUTOCANNON_CHILD = join(BENCH_DIR, 'lib', 'autocannon-child.mjs')

export interface LoadSpec {
  label: string
  url: string
  connections: number
  durationSec: number
  method?: 'GET' | 'POST'
  headers?: Readonly<Record<string, string>>
  /** File holding the request body (static and bearer modes). */
  bodyFile?: string
  /** One pre-minted token per line; each is sent once. */
  tokensFile?: string
  tokenMode?: 'bearer' | 'consume'
}

export interface LoadResult {
  tool: 'wrk' | 'autocannon'
  requests: number
  rps: number
  p50Ms: number
  p99Ms: number
  meanMs: number
  /** Responses outside 2xx/3xx. */
  non2xx: number
  /** Socket-level errors and timeouts. */
  socketErrors: number
  /** Load threads that ran out of tokens (the run is short of tokens: numbers are suspect). */
  exhausted: number
  /** CPU (user + system) the system under test spent per request during the run, µs; set by measure.ts. */
  cpuUsPerRequest?: number
  /** Growth of the scenario's probe counters over the run (LoadScenario.probe); set by measure.ts. */
  probeDelta?: Record<string, number>
}

interface RawReport {
  requests: number
  duration_us: number
  connect: number
  read: number
  write: number
  status: number
  timeout: number
  p50_us: number
  p99_us: number
  mean_us: number
  exhausted: number
}

function wrkArgs(spec: LoadSpec): string[] {
  // One thread: the load core is shared with the upstream, and more threads only add switching.
  const threads = 1
  const args = ['-t', String(threads), '-c', String(spec.connections), '-d', `${spec.durationSec}s`, '--timeout', '10s']
  for (const [name, value] of Object.entries(spec.headers ?? {})) args.push('-H', `${name}: ${value}`)
  if (spec.tokensFile !== undefined) {
    const mode = spec.tokenMode ?? 'bearer'
    args.push('-s', join(WRK_DIR, 'tokens.lua'), spec.url, '--', mode, spec.tokensFile, String(threads), spec.method ?? (mode === 'consume' ? 'POST' : 'GET'), spec.bodyFile ?? '-')
  } else {
    args.push('-s', join(WRK_DIR, 'static.lua'), spec.url, '--', spec.method ?? 'GET', spec.bodyFile ?? '-')
  }
  return args
}

function parseReport(text: string): RawReport | null {
  const at = text.lastIndexOf('BENCHJSON ')
  if (at === -1) return null
  const line = text.slice(at + 'BENCHJSON '.length).split('\n')[0]!
  try {
    return JSON.parse(line) as RawReport
  } catch {
    return null
  }
}

/** Run the load; throws (with the tool's output) when it produced no report. */
export async function runLoad(env: Environment, spec: LoadSpec, logDir: string): Promise<LoadResult> {
  const tool = env.loadGenerator
  const name = `load-${spec.label}-${Date.now()}`
  const m =
    tool === 'wrk'
      ? spawnManaged(name, env.wrk!, wrkArgs(spec), logDir, { core: env.placement.load, env: { ...process.env, BENCH_WRK_DIR: WRK_DIR } })
      : spawnManaged(name, process.execPath, [AUTOCANNON_CHILD, JSON.stringify(spec)], logDir, { core: env.placement.load })
  // Bounded: the tool stops itself after durationSec; this is the backstop.
  const guard = setTimeout(() => void stopManaged(m, 1000), (spec.durationSec + 30) * 1000)
  const code = await m.exited
  clearTimeout(guard)
  const output = readFileSync(m.logFile, 'utf8')
  const raw = parseReport(output)
  if (raw === null) throw new Error(`${tool} gave no report (exit ${code}): ${lastLines(output)}`)
  const seconds = raw.duration_us / 1e6
  return {
    tool,
    requests: raw.requests,
    rps: seconds > 0 ? raw.requests / seconds : 0,
    p50Ms: raw.p50_us / 1000,
    p99Ms: raw.p99_us / 1000,
    meanMs: raw.mean_us / 1000,
    non2xx: raw.status,
    socketErrors: raw.connect + raw.read + raw.write + raw.timeout,
    exhausted: raw.exhausted,
  }
}
