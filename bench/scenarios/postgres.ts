// Issue 20: the Vault rows on PostgreSQL, beside the SQLite rows of the same run. `consume-token-pg`
// and `request-clearance-pg` are one vault-only process on the SUT core (placed like the SQLite Vault
// row, so the ratio compares the stores); the `-pg-2` rows are two vault-only processes on one
// schema, unpinned (the OS spreads them over both cores), behind a loopback round-robin balancer
// (nginx when installed, else bench/balancer.mjs). Each row also reports what bounds it: CPU per
// request of the replicas, of PostgreSQL's backends serving them (application_name-tagged, from
// /proc), of the balancer, and how busy the whole machine was.
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { Ctx, LoadScenario } from '../lib/measure.ts'
import { pgCpuSeconds, taggedPgUrl } from '../lib/pg-cpu.ts'
import { cpuSeconds, freePort, spawnManaged, stopManaged, waitForHttp } from '../lib/procs.ts'
import type { Managed } from '../lib/procs.ts'
import { unavailable } from '../lib/report.ts'
import type { Row } from '../lib/report.ts'
import { REPO_DIR, startVault } from '../lib/stack.ts'
import type { VaultStarted } from '../lib/stack.ts'
import { CLEARANCE_ID, CONSUME_ID, clearancePlan, consumePlan } from './vault.ts'

export const CONSUME_PG_ID = 'consume-token-pg'
export const CONSUME_PG2_ID = 'consume-token-pg-2'
export const CLEARANCE_PG_ID = 'request-clearance-pg'
export const CLEARANCE_PG2_ID = 'request-clearance-pg-2'
export const PG_IDS = [CONSUME_PG_ID, CONSUME_PG2_ID, CLEARANCE_PG_ID, CLEARANCE_PG2_ID] as const

const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)))
/** LEDGIX_BENCH_PG_URL, default the CI server (trust auth, database `test`). */
export const BENCH_PG_URL = process.env['LEDGIX_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test'

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: BENCH_PG_URL, connectionTimeoutMillis: 3_000 })
  await c.connect()
  try {
    await c.query(sql)
  } finally {
    await c.end().catch(() => undefined)
  }
}

/** Busy and total CPU time of the whole machine so far (/proc/stat, all CPUs), in clock ticks. */
function machineTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!
    const f = line.trim().split(/\s+/).slice(1).map(Number)
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0)
    return { busy: total - f[3]! - f[4]!, total }
  } catch {
    return null
  }
}

interface Balancer {
  m: Managed
  url: string
  kind: string
}

async function startBalancer(ctx: Ctx, backends: readonly string[]): Promise<Balancer | string> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  let m: Managed
  let kind: string
  if (ctx.env.nginx !== null) {
    const prefix = join(ctx.dir, 'balancer')
    mkdirSync(join(prefix, 'logs'), { recursive: true })
    const conf = join(prefix, 'nginx.conf')
    const servers = backends.map((b) => `    server ${new URL(b).host};`).join('\n')
    const template = readFileSync(join(BENCH_DIR, 'nginx', 'balancer.conf.template'), 'utf8')
    writeFileSync(conf, template.replaceAll('{{PREFIX}}', prefix).replaceAll('{{PORT}}', String(port)).replaceAll('{{SERVERS}}', servers))
    m = spawnManaged('balancer', ctx.env.nginx, ['-p', prefix, '-c', conf, '-g', 'daemon off;'], ctx.dir, { core: null })
    kind = 'nginx round-robin, 1 worker, upstream keepalive'
  } else {
    m = spawnManaged('balancer', process.execPath, [join(BENCH_DIR, 'balancer.mjs'), String(port), ...backends], ctx.dir, { core: null, cwd: REPO_DIR })
    kind = 'bench/balancer.mjs round-robin (nginx not installed)'
  }
  try {
    await waitForHttp(`${url}/health`, m, 10_000)
    return { m, url, kind }
  } catch (err) {
    await stopManaged(m)
    return err instanceof Error ? err.message : String(err)
  }
}

export interface PostgresPart {
  plans: LoadScenario[]
  rows: Row[]
  /** Stops the PostgreSQL Vaults and the balancer, then drops the run's schemas. */
  cleanup: () => Promise<void>
}

/**
 * The probe every PostgreSQL row reads before and after each run (CPU seconds and machine ticks);
 * `finish` turns the sums into per-request figures in the row's notes and extra fields.
 */
function cpuAccounting(replicas: readonly Managed[], balancer: Managed | null, tag: string): Pick<LoadScenario, 'probe' | 'describeProbe' | 'finish'> {
  return {
    probe: async () => {
      const pgCpu = await pgCpuSeconds(BENCH_PG_URL, tag)
      const machine = machineTicks()
      const out: Record<string, number> = { replicas_cpu_s: replicas.reduce((n, m) => n + (cpuSeconds(m) ?? 0), 0) }
      if (balancer !== null) out['balancer_cpu_s'] = cpuSeconds(balancer) ?? 0
      if (pgCpu !== null) {
        out['pg_backends_cpu_s'] = pgCpu.backends
        out['pg_background_cpu_s'] = pgCpu.background
      }
      if (machine !== null) {
        out['machine_busy_ticks'] = machine.busy
        out['machine_total_ticks'] = machine.total
      }
      return out
    },
    describeProbe: (t) => {
      const busy = t['machine_busy_ticks']
      const total = t['machine_total_ticks']
      return busy === undefined || total === undefined || total === 0
        ? 'machine CPU not readable'
        : `whole machine busy ${((busy / total) * 100).toFixed(0)}% of its ${cpus().length} CPUs during the measured runs (/proc/stat)`
    },
    finish: (row) => {
      const requests = row.extra['requests']
      if (typeof requests !== 'number' || requests === 0) return
      const per = (k: string): number | null => (typeof row.extra[k] === 'number' ? ((row.extra[k] as number) * 1e6) / requests : null)
      const parts: string[] = []
      const rep = per('replicas_cpu_s')
      if (rep !== null) parts.push(`Vault process${replicas.length > 1 ? 'es' : ''} ${rep.toFixed(0)} µs`)
      const be = per('pg_backends_cpu_s')
      if (be !== null) {
        row.extra['pg_cpu_us_per_request'] = Math.round(be)
        parts.push(`PostgreSQL backends serving them ${be.toFixed(0)} µs`)
      }
      const bg = per('pg_background_cpu_s')
      if (bg !== null) parts.push(`PostgreSQL walwriter + checkpointer + background writer ${bg.toFixed(0)} µs (shared with the server's other clients: an upper bound)`)
      const bal = per('balancer_cpu_s')
      if (bal !== null) parts.push(`balancer ${bal.toFixed(0)} µs`)
      for (const k of ['replicas_cpu_s', 'pg_backends_cpu_s', 'pg_background_cpu_s', 'balancer_cpu_s', 'machine_busy_ticks', 'machine_total_ticks']) delete row.extra[k]
      row.notes.push(`CPU per request (user + system from /proc, summed over the measured runs): ${parts.join(', ')}`)
    },
  }
}

/** The SQLite rows' absolute floors (issue 7) are not this issue's targets: ratios only. */
function noFloor(plan: LoadScenario): LoadScenario {
  const { minRps: _floor, ...rest } = plan
  return rest
}

export async function postgresPlans(ctx: Ctx, apiKey: string, selected: (id: string) => boolean): Promise<PostgresPart> {
  const rows: Row[] = []
  const plans: LoadScenario[] = []
  const stop: Managed[] = []
  const schemas: string[] = []
  const cleanup = async (): Promise<void> => {
    for (const m of stop) await stopManaged(m)
    if (schemas.length > 0) await admin(schemas.map((s) => `DROP SCHEMA IF EXISTS ${s} CASCADE`).join('; ')).catch(() => undefined)
  }
  const titles: Record<string, string> = {
    [CONSUME_PG_ID]: 'Vault POST /consume-token on PostgreSQL, 1 replica, fresh token/request, durable',
    [CONSUME_PG2_ID]: 'Vault POST /consume-token on PostgreSQL, 2 replicas behind a round-robin balancer',
    [CLEARANCE_PG_ID]: 'Vault POST /request-clearance on PostgreSQL, 1 replica (decision + ledger append + mint), durable',
    [CLEARANCE_PG2_ID]: 'Vault POST /request-clearance on PostgreSQL, 2 replicas behind a round-robin balancer',
  }
  const failAll = (why: string, ids: readonly string[] = PG_IDS): void => {
    for (const id of ids) if (selected(id)) rows.push(unavailable(id, titles[id]!, why))
  }
  try {
    await admin('SELECT 1')
  } catch (err) {
    failAll(`PostgreSQL unreachable at ${BENCH_PG_URL} (${(err as Error).message}): set LEDGIX_BENCH_PG_URL`)
    return { plans, rows, cleanup }
  }
  const run = randomBytes(4).toString('hex')
  const tag = `ledgix-bench-${run}`
  const one = [CONSUME_PG_ID, CLEARANCE_PG_ID].filter(selected)
  const two = [CONSUME_PG2_ID, CLEARANCE_PG2_ID].filter(selected)
  const pgNote = `PostgreSQL ${BENCH_PG_URL.replace(/:[^:@/]*@/, ':***@')} on this machine (unpinned; pool max 8 per replica)`

  if (one.length > 0) {
    const schema = `ledgix_bench_${run}_1`
    schemas.push(schema)
    const v = await startVault(ctx, apiKey, { name: 'vault-pg-1', template: 'vault-pg', values: { PG_URL: taggedPgUrl(BENCH_PG_URL, `${tag}-1`), PG_SCHEMA: schema } })
    if (typeof v === 'string') failAll(`Vault on PostgreSQL did not start: ${v}`, one)
    else {
      stop.push(v.m)
      const acct = cpuAccounting([v.m], null, `${tag}-1`)
      const notes = [pgNote, 'one vault-only process on the SUT core, like the SQLite Vault row']
      if (selected(CONSUME_PG_ID)) {
        plans.push({ ...noFloor(consumePlan(ctx, v)), id: CONSUME_PG_ID, title: titles[CONSUME_PG_ID]!, compare: [{ ref: CONSUME_ID, target: 0.6 }], notes, ...acct })
      }
      if (selected(CLEARANCE_PG_ID)) {
        const base = noFloor(clearancePlan(ctx, v))
        plans.push({ ...base, id: CLEARANCE_PG_ID, title: titles[CLEARANCE_PG_ID]!, compare: [{ ref: CLEARANCE_ID, target: null }], notes: [...(base.notes ?? []), ...notes], ...acct })
      }
    }
  }
  if (two.length > 0) {
    const schema = `ledgix_bench_${run}_2`
    schemas.push(schema)
    const replicas: VaultStarted[] = []
    // One after the other: the first creates the schema and seeds the bootstrap key, the second finds them.
    for (const name of ['vault-pg-2a', 'vault-pg-2b']) {
      const v = await startVault(ctx, apiKey, { name, core: null, template: 'vault-pg', values: { PG_URL: taggedPgUrl(BENCH_PG_URL, `${tag}-2`), PG_SCHEMA: schema } })
      if (typeof v === 'string') {
        failAll(`replica ${name} did not start: ${v}`, two)
        break
      }
      stop.push(v.m)
      replicas.push(v)
    }
    if (replicas.length === 2) {
      const lb = await startBalancer(ctx, replicas.map((r) => r.url))
      if (typeof lb === 'string') failAll(`balancer did not start: ${lb}`, two)
      else {
        stop.unshift(lb.m)
        const front: VaultStarted = { m: replicas[0]!.m, url: lb.url, apiKey, note: null }
        const acct = cpuAccounting(replicas.map((r) => r.m), lb.m, `${tag}-2`)
        const notes = [pgNote, `two vault-only processes on one schema, unpinned; balancer: ${lb.kind}, unpinned`]
        if (selected(CONSUME_PG2_ID)) {
          plans.push({ ...noFloor(consumePlan(ctx, front)), id: CONSUME_PG2_ID, title: titles[CONSUME_PG2_ID]!, sut: null, compare: [{ ref: CONSUME_PG_ID, target: null }], notes, ...acct })
        }
        if (selected(CLEARANCE_PG2_ID)) {
          const base = noFloor(clearancePlan(ctx, front))
          plans.push({ ...base, id: CLEARANCE_PG2_ID, title: titles[CLEARANCE_PG2_ID]!, sut: null, compare: [{ ref: CLEARANCE_PG_ID, target: 1.3 }], notes: [...(base.notes ?? []), ...notes], ...acct })
        }
      }
    }
  }
  return { plans, rows, cleanup }
}

