// Scenarios against a running gateway (`serve` in all-in-one or paired mode): the passthrough
// route, the token-gated route with a fresh token per request, replayed-token rejection, and
// latency at one connection (added p50/p99 over direct, computed in addedLatency()).
import { expectStatus } from '../lib/measure.ts'
import { sampleValue, scrapeMetrics } from '../lib/metrics-text.ts'
import type { Ctx, LoadScenario } from '../lib/measure.ts'
import type { Row } from '../lib/report.ts'
import type { GatewayStarted, Started } from '../lib/stack.ts'
import { mintBenchToken } from '../lib/tokens.ts'
import { BARE_ID, LAT_BARE_ID, NGINX_ID, VERIFY_ID } from './references.ts'

export const PASSTHROUGH_ID = 'passthrough'
export const NAIVE_ID = 'naive-reference'
export const GATED_AIO_ID = 'token-gated-all-in-one'
export const GATED_PAIRED_ID = 'token-gated-paired'
export const GATED_PAIRED_SHARED_ID = 'token-gated-paired-shared-core'
export const NAIVE_SHARED_ID = 'naive-reference-shared-core'
export const REPLAY_ID = 'replayed-token'
export const LAT_DIRECT_ID = 'latency-1conn-direct'
export const LAT_PASS_ID = 'latency-1conn-passthrough'
export const LAT_GATED_ID = 'latency-1conn-token-gated'

function freshToken(ctx: Ctx): string {
  return mintBenchToken(ctx.key, Math.floor(Date.now() / 1000), 1800)
}

/** A fresh token is accepted (200 from the upstream) and the same token again is refused with 409. */
export async function checkGated(ctx: Ctx, url: string): Promise<string | null> {
  const token = freshToken(ctx)
  const init = { headers: { authorization: `Bearer ${token}` } }
  return (await expectStatus(url, init, 200, 'bench-upstream')) ?? (await expectStatus(url, init, 409))
}

export function passthroughPlan(ctx: Ctx, gw: GatewayStarted): LoadScenario {
  return {
    id: PASSTHROUGH_ID,
    title: `passthrough route, auth: none [${gw.mode}]`,
    spec: { url: `${gw.url}/pass`, connections: ctx.opts.connections },
    tokens: false,
    expect: 'ok',
    sut: gw.m,
    compare: [
      { ref: BARE_ID, target: 1.0 },
      { ref: NGINX_ID, target: 0.55 },
    ],
    check: () => expectStatus(`${gw.url}/pass`, {}, 200, 'bench-upstream'),
  }
}

/**
 * Where the Vault of a paired gateway (or of the naive reference) runs: 'remote' = on the load core
 * beside the load generator and upstream, as the separate service it is in production, so the
 * gateway has the SUT core to itself (the paired target); 'shared' = on the SUT core with the gateway:
 * the paired row there is informational, the naive row there is the all-in-one row's reference.
 */
export type VaultPlacement = 'remote' | 'shared'

export function placementNote(ctx: Ctx, who: string, placement: VaultPlacement): string {
  const { sut, load } = ctx.env.placement
  if (sut === null || load === null) return `not pinned: ${who} and its Vault share the machine's cores`
  return placement === 'remote'
    ? `${who} alone on core ${sut}; its vault-only process on core ${load} beside the load generator and upstream (the remote service it is in production)`
    : `${who} and its vault-only process share core ${sut}`
}

export function gatedPlan(ctx: Ctx, gw: GatewayStarted, placement: VaultPlacement = 'remote'): LoadScenario {
  const aio = gw.mode === 'all-in-one'
  const shared = !aio && placement === 'shared'
  return {
    id: aio ? GATED_AIO_ID : shared ? GATED_PAIRED_SHARED_ID : GATED_PAIRED_ID,
    title: aio
      ? 'token-gated, all-in-one, fresh token/request, durable burn'
      : shared
        ? 'token-gated, paired, fresh token/request — gateway and Vault on one core (informational)'
        : 'token-gated, paired (burn over HTTP at vault-only), fresh token/request — gateway on a dedicated core',
    spec: { url: `${gw.url}/gated`, connections: ctx.opts.connections, tokenMode: 'bearer' },
    tokens: true,
    expect: 'ok',
    sut: gw.m,
    compare: aio
      ? [
          // Like for like: the shared-core naive row spends the same work (verify, proxy, a burn
          // in a Vault) on the same single core; the dedicated-core one has its Vault's share done
          // on the load core, so it stays informational here (bench/README.md "Placement").
          { ref: NAIVE_SHARED_ID, target: 1.5 },
          { ref: VERIFY_ID, target: 0.5 },
          { ref: NAIVE_ID, target: null },
        ]
      : shared
        ? [
            { ref: VERIFY_ID, target: null },
            { ref: NAIVE_SHARED_ID, target: null },
          ]
        : [
            { ref: VERIFY_ID, target: 0.35 },
            { ref: NAIVE_ID, target: null },
          ],
    check: () => checkGated(ctx, `${gw.url}/gated`),
    notes: aio ? ['gateway and its embedded Vault in one process on the SUT core'] : [placementNote(ctx, 'gateway', placement)],
    ...(aio ? { probe: () => writePath(gw.adminUrl), describeProbe: describeWritePath } : {}),
  }
}

/** The embedded store's write-path counters from the gateway's /metrics; null if absent. */
async function writePath(adminUrl: string): Promise<Record<string, number> | null> {
  const text = await scrapeMetrics(adminUrl, 5000)
  const commits = sampleValue(text, 'ledgix_store_commits_total')
  const writes = sampleValue(text, 'ledgix_store_writes_total')
  const syncs = sampleValue(text, 'ledgix_store_deferred_syncs_total')
  return commits === null || writes === null || syncs === null ? null : { store_commits: commits, store_writes: writes, store_deferred_syncs: syncs }
}

function describeWritePath(t: Record<string, number>): string {
  const commits = t['store_commits'] ?? 0
  const writes = t['store_writes'] ?? 0
  const mean = commits === 0 ? 0 : writes / commits
  return `durable writes during the runs: ${writes.toLocaleString('en-US')} in ${commits.toLocaleString('en-US')} commits (mean group-commit batch ${mean.toFixed(1)}); ${(t['store_deferred_syncs'] ?? 0).toLocaleString('en-US')} of those commits synced off the event loop (ledgix_store_* on /metrics)`
}

export function replayPlan(ctx: Ctx, gw: GatewayStarted): LoadScenario {
  const token = freshToken(ctx)
  const headers = { authorization: `Bearer ${token}` }
  return {
    id: REPLAY_ID,
    title: `replayed token rejection (409 from the local LRU) [${gw.mode}]`,
    spec: { url: `${gw.url}/gated`, connections: ctx.opts.connections, headers },
    tokens: false,
    expect: 'reject',
    sut: gw.m,
    compare: [{ ref: VERIFY_ID, target: null }],
    // Burn it once, then every further use must be a 409.
    check: async () => (await expectStatus(`${gw.url}/gated`, { headers }, 200)) ?? (await expectStatus(`${gw.url}/gated`, { headers }, 409)),
    notes: ['one burned token replayed on every request; signature is still verified before the LRU'],
  }
}

/** Latency at one connection through the gateway: passthrough, and token-gated with the burn. */
export function latencyPlans(ctx: Ctx, gw: GatewayStarted): { passthrough: LoadScenario; gated: LoadScenario } {
  return {
    passthrough: {
      id: LAT_PASS_ID,
      title: `latency, 1 connection: passthrough [${gw.mode}]`,
      spec: { url: `${gw.url}/pass`, connections: 1 },
      tokens: false,
      expect: 'ok',
      compare: [],
      sut: gw.m,
      check: () => expectStatus(`${gw.url}/pass`, {}, 200),
    },
    gated: {
      id: LAT_GATED_ID,
      title: `latency, 1 connection: token-gated incl. durable burn [${gw.mode}]`,
      spec: { url: `${gw.url}/gated`, connections: 1, tokenMode: 'bearer' },
      tokens: true,
      expect: 'ok',
      compare: [],
      sut: gw.m,
      check: () => checkGated(ctx, `${gw.url}/gated`),
      ...(gw.mode === 'all-in-one' ? { probe: () => writePath(gw.adminUrl), describeProbe: describeWritePath } : {}),
    },
  }
}

/** Latency at one connection straight to the upstream: the base the added latency is taken from. */
export function latencyDirectPlan(upstream: Started): LoadScenario {
  return {
    id: LAT_DIRECT_ID,
    title: 'latency, 1 connection: direct to upstream',
    spec: { url: `${upstream.url}/pass`, connections: 1 },
    tokens: false,
    expect: 'ok',
    compare: [],
    sut: upstream.m,
    check: () => expectStatus(`${upstream.url}/pass`, {}, 200),
  }
}

/** Notes the added p50/p99 of the latency rows over direct, against the targets. */
export function addedLatency(rows: Row[]): void {
  const direct = rows.find((r) => r.id === LAT_DIRECT_ID)
  if (direct === undefined || direct.p50Ms === null || direct.p99Ms === null) return
  const targets: Record<string, { p50: number; p99: number; what: string }> = {
    [LAT_BARE_ID]: { p50: 0.35, p99: 2, what: 'the bare proxy floor, for scale' },
    [LAT_PASS_ID]: { p50: 0.35, p99: 2, what: 'proxying without verify or burn; the issue bounds p50 before the burn at 0.35 ms' },
    [LAT_GATED_ID]: { p50: 0.6, p99: 2, what: 'verify + durable burn + proxy' },
  }
  for (const row of rows) {
    const t = targets[row.id]
    if (t === undefined || row.p50Ms === null || row.p99Ms === null) continue
    const p50 = row.p50Ms - direct.p50Ms
    const p99 = row.p99Ms - direct.p99Ms
    row.extra['added_p50_ms'] = p50
    row.extra['added_p99_ms'] = p99
    row.notes.push(
      `added over direct: p50 +${p50.toFixed(3)} ms (target ≤ ${t.p50} ${p50 <= t.p50 ? '✓' : '✗'}), p99 +${p99.toFixed(3)} ms (target ≤ ${t.p99} ${p99 <= t.p99 ? '✓' : '✗'}); ${t.what}`,
    )
  }
}
