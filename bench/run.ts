// `npm run bench`: every scenario of issue 7 on loopback against references measured in the same
// run; writes bench/results/latest.md and latest.json. Bounded durations; every child process is
// stopped on the way out (see lib/procs.ts). Options: tsx bench/run.ts --help; docs: bench/README.md.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { USAGE, parseOptions } from './lib/args.ts'
import { gatewayEntry } from './lib/entry.ts'
import { isSelected, measureInterleaved } from './lib/measure.ts'
import type { Ctx, LoadScenario } from './lib/measure.ts'
import { onInterrupt, rssMiB, stopAll, stopManaged, useTaskset } from './lib/procs.ts'
import { resolveRatios, unavailable, writeResults } from './lib/report.ts'
import type { Row } from './lib/report.ts'
import { REPO_DIR, startBareProxy, startGateway, startNaive, startNginx, startUpstream, startVault } from './lib/stack.ts'
import type { GatewayStarted, VaultStarted } from './lib/stack.ts'
import { newBenchKey } from './lib/tokens.ts'
import { probeEnvironment } from './lib/tools.ts'
import { CATALOG, selectScenarios } from './scenarios/catalog.ts'
import * as G from './scenarios/gateway.ts'
import { LEDGER_IDS, ledgerRows } from './scenarios/ledger.ts'
import { NOTIFY_IDS, notifyRows } from './scenarios/notify.ts'
import { KEY_IDS, keyRotationRows } from './scenarios/keys.ts'
import { AFTER_ID, COLD_ID, IDLE_ID, measureColdStart, measureIdleConnections, rssAfterRequests } from './scenarios/memory.ts'
import { SOAK_ID, measureSoak } from './scenarios/soak.ts'
import { UPLOAD_ID, WS_ID, streamRows } from './scenarios/streams.ts'
import { BARE_ID, DIRECT_ID, LAT_BARE_ID, NGINX_ID, VERIFY_ID, barePlans, directPlan, nginxPlan, verifyPlan } from './scenarios/references.ts'
import { CLEARANCE_DRIFT_ID, CLEARANCE_ID, CONSUME_ID, NAIVE_SHARED_TITLE, NAIVE_TITLE, clearanceDriftPlan, clearancePlan, consumePlan, naivePlan } from './scenarios/vault.ts'
import { writeFlameGraphs } from './flamegraph.ts'
import { PG_IDS, postgresPlans, type PostgresPart } from './scenarios/postgres.ts'

function usageError(err: unknown): never {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`)
  process.exit(2)
}

let options: ReturnType<typeof parseOptions>
let selected: Set<string> | null
try {
  options = parseOptions(process.argv.slice(2), join(REPO_DIR, 'bench', 'results'))
  selected = options === 'help' ? null : selectScenarios(options.only)
} catch (err) {
  usageError(err)
}
if (options === 'help') {
  process.stdout.write(USAGE + '\n')
  process.exit(0)
}
const startedAt = new Date().toISOString()
const env = probeEnvironment({ install: options.install, forceAutocannon: options.autocannon })
useTaskset(env.taskset)
const dir = mkdtempSync(join(tmpdir(), 'ledgix-bench-'))
onInterrupt(() => rmSync(dir, { recursive: true, force: true }))
const entry = gatewayEntry(REPO_DIR, options.tsx)
const ctx: Ctx = { env, opts: options, dir, key: newBenchKey(), verifyCeiling: null, selected, entry }
const sel = (id: string): boolean => isSelected(ctx, id)
const apiKey = `sk_bench_${randomBytes(32).toString('base64url')}`
const rows: Row[] = []
process.stderr.write(`bench: temp dir ${dir}; ${options.runs} run(s) × ${options.durationSec} s per scenario\n`)

/** Requests served by one gateway process across its scenarios (for the RSS-after row). */
function requestsOf(ids: string[]): number {
  let n = 0
  for (const r of rows) if (ids.includes(r.id)) n += typeof r.extra['requests'] === 'number' ? r.extra['requests'] : 0
  return n
}

const PRIMARY_IDS = [G.PASSTHROUGH_ID, G.REPLAY_ID, G.LAT_PASS_ID, G.LAT_GATED_ID, IDLE_ID, AFTER_ID, COLD_ID]
const PRIMARY_LOAD_IDS = [G.PASSTHROUGH_ID, G.GATED_AIO_ID, G.REPLAY_ID, G.LAT_PASS_ID, G.LAT_GATED_ID, IDLE_ID]

/** Load scenarios against the primary gateway (all-in-one, or paired when all-in-one cannot start). */
function primaryPlans(gw: GatewayStarted): LoadScenario[] {
  const plans: LoadScenario[] = []
  if (sel(G.PASSTHROUGH_ID)) plans.push(G.passthroughPlan(ctx, gw))
  if (gw.mode === 'all-in-one' && sel(G.GATED_AIO_ID)) plans.push(G.gatedPlan(ctx, gw))
  if (sel(G.REPLAY_ID)) plans.push(G.replayPlan(ctx, gw))
  const latency = G.latencyPlans(ctx, gw)
  if (sel(G.LAT_PASS_ID)) plans.push(latency.passthrough)
  if (sel(G.LAT_GATED_ID)) plans.push(latency.gated)
  return plans
}

async function main(): Promise<void> {
  // Every process is started first and stays up (idle ones cost nothing), so that the scenarios
  // can be measured in interleaved rounds (lib/measure.ts).
  const plans: LoadScenario[] = []
  if (sel(VERIFY_ID)) plans.push(verifyPlan(ctx))
  const upstream = await startUpstream(ctx)
  const values = { UPSTREAM: upstream.url, API_KEY: apiKey }
  if (sel(DIRECT_ID)) plans.push(directPlan(ctx, upstream))
  if (sel(G.LAT_DIRECT_ID)) plans.push(G.latencyDirectPlan(upstream))
  if (sel(BARE_ID) || sel(LAT_BARE_ID)) {
    const bare = await startBareProxy(ctx, upstream.url)
    if (typeof bare === 'string') rows.push(unavailable(BARE_ID, 'bare undici proxy (reference floor)', bare))
    else {
      const p = barePlans(ctx, bare)
      if (sel(BARE_ID)) plans.push(p.throughput)
      if (sel(LAT_BARE_ID)) plans.push(p.latency)
    }
  }
  if (sel(NGINX_ID)) {
    const nginx = await startNginx(ctx, Number(new URL(upstream.url).port))
    if (typeof nginx === 'string') rows.push(unavailable(NGINX_ID, 'nginx reverse proxy (reference)', nginx))
    else plans.push(nginxPlan(ctx, nginx))
  }

  const needPrimary = PRIMARY_IDS.some(sel)
  // Two vault-only processes: one on the SUT core (the Vault rows, and the shared-core paired and
  // naive rows), one on the load core as the remote Vault of the paired gateway and the naive
  // reference, so that those have the SUT core to themselves (issue 7: "on a dedicated core").
  const needVault = [G.GATED_PAIRED_SHARED_ID, G.NAIVE_SHARED_ID, CONSUME_ID, CLEARANCE_ID].some(sel)
  const vault: VaultStarted | string = needVault ? await startVault(ctx, apiKey) : 'not needed by the selected scenarios'
  const vaultNote = typeof vault === 'string' ? `Vault not available: ${vault}` : (vault.note ?? 'Vault started')
  const remote: { started: Promise<VaultStarted | string> | null } = { started: null }
  const remoteVault = (): Promise<VaultStarted | string> => (remote.started ??= startVault(ctx, apiKey, { name: 'vault-remote', core: ctx.env.placement.load }))
  if (sel(G.GATED_PAIRED_ID) || sel(G.NAIVE_ID)) await remoteVault()

  let primary: GatewayStarted | null = null
  let aioProblem: string | null = null
  if (needPrimary || sel(G.GATED_AIO_ID)) {
    const aio = await startGateway(ctx, 'gateway-all-in-one', 'all-in-one', values)
    if (typeof aio !== 'string') primary = aio
    else {
      aioProblem = aio
      if (sel(G.GATED_AIO_ID)) rows.push(unavailable(G.GATED_AIO_ID, 'token-gated, all-in-one, fresh token/request, durable burn', `serve all-in-one: ${aio}`))
    }
  }
  const startPaired = async (name: string, v: VaultStarted | string): Promise<GatewayStarted | string> =>
    typeof v === 'string' ? `Vault not available: ${v}` : await startGateway(ctx, name, 'paired', { ...values, VAULT_URL: v.url })
  let paired: GatewayStarted | null = null
  if (sel(G.GATED_PAIRED_ID) || (needPrimary && primary === null)) {
    const started = await startPaired('gateway-paired', await remoteVault())
    if (typeof started !== 'string') paired = started
    else if (sel(G.GATED_PAIRED_ID)) rows.push(unavailable(G.GATED_PAIRED_ID, 'token-gated, paired, fresh token/request — gateway on a dedicated core', `serve paired: ${started}`))
  }
  let pairedShared: GatewayStarted | null = null
  if (sel(G.GATED_PAIRED_SHARED_ID)) {
    const started = await startPaired('gateway-paired-shared', vault)
    if (typeof started !== 'string') pairedShared = started
    else rows.push(unavailable(G.GATED_PAIRED_SHARED_ID, 'token-gated, paired — gateway and Vault on one core', `serve paired: ${started}`))
  }
  primary ??= paired
  if (primary !== null) plans.push(...primaryPlans(primary))
  else if (needPrimary) {
    for (const id of PRIMARY_IDS) if (sel(id)) rows.push(unavailable(id, id, `no gateway could be started (all-in-one: ${aioProblem ?? 'not tried'}; paired: see other rows)`))
  }
  if (paired !== null && sel(G.GATED_PAIRED_ID)) plans.push(G.gatedPlan(ctx, paired, 'remote'))
  if (pairedShared !== null) plans.push(G.gatedPlan(ctx, pairedShared, 'shared'))
  const naives: Array<[string, string, G.VaultPlacement, VaultStarted | string]> = []
  if (sel(G.NAIVE_ID)) naives.push([G.NAIVE_ID, NAIVE_TITLE, 'remote', await remoteVault()])
  if (sel(G.NAIVE_SHARED_ID)) naives.push([G.NAIVE_SHARED_ID, NAIVE_SHARED_TITLE, 'shared', vault])
  for (const [id, title, placement, v] of naives) {
    if (typeof v === 'string') {
      rows.push(unavailable(id, title, `Vault not available: ${v}`))
      continue
    }
    const naive = await startNaive(ctx, upstream.url, v, placement === 'remote' ? 'naive-gateway' : 'naive-gateway-shared')
    if (typeof naive === 'string') rows.push(unavailable(id, title, naive))
    else plans.push(naivePlan(ctx, naive, placement))
  }
  const vaultIds = [CONSUME_ID, CLEARANCE_ID]
  if (typeof vault === 'string') {
    for (const id of vaultIds) if (sel(id)) rows.push(unavailable(id, id, vaultNote))
  } else {
    if (sel(CONSUME_ID)) plans.push(consumePlan(ctx, vault))
    if (sel(CLEARANCE_ID)) plans.push(clearancePlan(ctx, vault))
  }
  // Issue 20: the Vault rows again on PostgreSQL, with one replica and with two behind a balancer.
  let pgPart: PostgresPart | null = null
  if (PG_IDS.some(sel)) {
    pgPart = await postgresPlans(ctx, apiKey, sel)
    rows.push(...pgPart.rows)
    plans.push(...pgPart.plans)
  }
  if (sel(CLEARANCE_DRIFT_ID)) {
    const driftVault = await startVault(ctx, apiKey, { name: 'vault-drift' })
    if (typeof driftVault === 'string') rows.push(unavailable(CLEARANCE_DRIFT_ID, CLEARANCE_DRIFT_ID, `Vault not available: ${driftVault}`))
    else plans.push(clearanceDriftPlan(ctx, driftVault))
  }
  const remoteStarted = remote.started === null ? null : await remote.started
  const remoteNote = remoteStarted === null ? null : typeof remoteStarted === 'string' ? `remote Vault not available: ${remoteStarted}` : `${remoteStarted.note ?? 'Vault started'} on the load core`

  const readyRss = primary === null ? null : rssMiB(primary.m)
  rows.push(...(await measureInterleaved(ctx, plans)))
  if (pgPart !== null) await pgPart.cleanup()
  for (const r of rows) {
    if (r.status !== 'ok') continue
    if (typeof vault !== 'string' && [...vaultIds, G.GATED_PAIRED_SHARED_ID, G.NAIVE_SHARED_ID].includes(r.id)) r.notes.push(vaultNote)
    if (remoteNote !== null && [G.GATED_PAIRED_ID, G.NAIVE_ID].includes(r.id)) r.notes.push(remoteNote)
    if (aioProblem !== null && r.title.endsWith('[paired]')) r.notes.push(`ran in paired mode: all-in-one not available (${aioProblem})`)
  }
  if (primary !== null) {
    if (sel(IDLE_ID)) rows.push(await measureIdleConnections(ctx, primary))
    if (sel(AFTER_ID)) rows.push(rssAfterRequests(primary, readyRss, requestsOf(PRIMARY_LOAD_IDS)))
  }
  // Dedicated processes, started and stopped by each of these in turn (the others above stay idle).
  if (sel(SOAK_ID)) rows.push(await measureSoak(ctx, values))
  if (sel(UPLOAD_ID) || sel(WS_ID)) rows.push(...(await streamRows(ctx, values, { upload: sel(UPLOAD_ID), ws: sel(WS_ID) })))
  const keyIds = new Set(KEY_IDS.filter(sel))
  if (keyIds.size > 0) rows.push(...(await keyRotationRows(ctx, upstream.url, apiKey, keyIds)))

  if (sel(COLD_ID) && primary !== null) {
    // Stop the gateways first (same ports are not reused, but the SUT core should be quiet); a
    // paired cold start still needs the Vault for its first JWKS fetch.
    if (primary !== paired) await stopManaged(primary.m)
    if (paired !== null) await stopManaged(paired.m)
    if (pairedShared !== null) await stopManaged(pairedShared.m)
    const coldVault = primary.mode === 'paired' ? await remoteVault() : null
    const coldValues = coldVault !== null && typeof coldVault !== 'string' ? { ...values, VAULT_URL: coldVault.url } : values
    rows.push(await measureColdStart(ctx, primary.mode, coldValues, entry.description))
  }
  rows.push(...(await ledgerRows(ctx)))
  if (NOTIFY_IDS.some(sel)) rows.push(...(await notifyRows(ctx, apiKey)))
  G.addedLatency(rows)
  resolveRatios(rows)
  // Table order = catalog order (references next to what they are references for).
  const order = Object.keys(CATALOG)
  rows.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id))
}

let failed = false
try {
  await main()
} catch (err) {
  failed = true
  process.stderr.write(`bench: run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
} finally {
  await stopAll()
}
const md = join(options.out, 'latest.md')
const json = join(options.out, 'latest.json')
writeResults(md, json, rows, env, { startedAt, finishedAt: new Date().toISOString(), options: { ...options }, gatewayEntry: entry.description })
process.stderr.write(`bench: wrote ${md} and ${json}\n`)
// --cpu-prof: the profiles were written when the processes stopped; draw one flame graph each.
if (options.profile) {
  const flames = writeFlameGraphs(dir)
  for (const svg of flames.written) process.stderr.write(`bench: flame graph ${svg}\n`)
  for (const why of flames.failed) process.stderr.write(`bench: no flame graph for ${why}\n`)
}
// Keep the logs when something could not run (or BENCH_KEEP=1): they hold the reason in full.
const incomplete = rows.some((r) => r.status === 'not available' && !(LEDGER_IDS as readonly string[]).includes(r.id))
if (failed || incomplete || options.profile || process.env['BENCH_KEEP'] === '1') process.stderr.write(`bench: logs kept in ${dir}\n`)
else rmSync(dir, { recursive: true, force: true })
process.exit(failed ? 1 : 0)
