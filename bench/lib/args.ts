// Command-line options of bench/run.ts. Every run is bounded: durations and run counts have
// ceilings, so a typo cannot turn the bench into an hour-long job on a shared machine.
import { parseArgs } from 'node:util'

export interface Options {
  quick: boolean
  /** Substring filters on scenario ids and titles (any match selects). */
  only: string[]
  durationSec: number
  warmupSec: number
  runs: number
  connections: number
  install: boolean
  autocannon: boolean
  out: string
  /** Run the gateway processes with --cpu-prof (profiles kept in the run's temp dir). */
  profile: boolean
  /** logging.level of the generated configs (info = the access log is on, as in production). */
  logLevel: string
  /** Run `node bin/ledgix-gateway.mjs` (tsx or dist/) instead of a fresh bundle of the sources. */
  tsx: boolean
}

export const USAGE = `usage: tsx bench/run.ts [options]
  --quick            short runs (2 s, 1 run each, 1 s warm-up): a smoke test
  --only <text>      only scenarios whose id or title contains <text> (repeatable), plus their references
  --duration <d>     seconds per run, e.g. 10s (default 10s; quick 2s; max 120s)
  --runs <n>         runs per scenario, median reported (default 3; quick 1; max 10)
  --connections <n>  load connections (default 64)
  --no-install       never try apt-get install wrk nginx-light
  --autocannon       use autocannon even when wrk is installed
  --out <dir>        where latest.md / latest.json go (default bench/results)
  --tsx              start the gateway as node bin/ledgix-gateway.mjs (TypeScript via tsx, or dist/ when
                     built) instead of a fresh esbuild bundle of the current sources in bench/.build/
  --log-level <l>    logging.level of the gateway/Vault configs (default info: access log on)
  --cpu-prof         run gateway processes under node --cpu-prof; .cpuprofile files (and a flame graph .svg
                     beside each) stay in the temp dir
  -h, --help`

const MAX_DURATION_SEC = 120
const MAX_RUNS = 10

function seconds(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim())
  if (match === null) throw new Error(`--duration: expected a duration like "10s", got "${text}"`)
  const value = Number(match[1])
  const unit = match[2] ?? 's'
  return unit === 'ms' ? value / 1000 : unit === 'm' ? value * 60 : value
}

export function parseOptions(argv: readonly string[], defaultOut: string): Options | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      duration: { type: 'string' },
      runs: { type: 'string' },
      connections: { type: 'string' },
      'no-install': { type: 'boolean', default: false },
      autocannon: { type: 'boolean', default: false },
      out: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      tsx: { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  })
  if (values.help === true) return 'help'
  const quick = values.quick === true
  const durationSec = Math.min(MAX_DURATION_SEC, values.duration === undefined ? (quick ? 2 : 10) : seconds(values.duration))
  if (!(durationSec >= 1)) throw new Error('--duration must be at least 1s')
  const runs = values.runs === undefined ? (quick ? 1 : 3) : Number(values.runs)
  if (!Number.isInteger(runs) || runs < 1 || runs > MAX_RUNS) throw new Error(`--runs must be an integer 1–${MAX_RUNS}`)
  const connections = values.connections === undefined ? 64 : Number(values.connections)
  if (!Number.isInteger(connections) || connections < 1 || connections > 10_000) throw new Error('--connections must be an integer 1–10000')
  return {
    quick,
    only: values.only ?? [],
    durationSec,
    warmupSec: quick ? 1 : Math.min(3, Math.max(1, Math.round(durationSec / 4))),
    runs,
    connections,
    install: values['no-install'] !== true,
    autocannon: values.autocannon === true,
    out: values.out ?? defaultOut,
    profile: values['cpu-prof'] === true,
    tsx: values.tsx === true,
    logLevel: values['log-level'] ?? 'info',
  }
}
