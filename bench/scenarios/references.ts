// The references every ratio is taken against, measured in the same rounds as their subjects: the
// single-core Ed25519 verify ceiling (micro-benchmark), direct to the upstream, the bare undici
// proxy (also at one connection), and nginx.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LoadResult } from '../lib/loadgen.ts'
import { expectStatus } from '../lib/measure.ts'
import type { Ctx, LoadScenario } from '../lib/measure.ts'
import { lastLines, spawnManaged, stopManaged } from '../lib/procs.ts'
import { median } from '../lib/report.ts'
import { REPO_DIR } from '../lib/stack.ts'
import type { Started } from '../lib/stack.ts'

export const VERIFY_ID = 'verify-ceiling'
export const DIRECT_ID = 'direct'
export const BARE_ID = 'bare-proxy'
export const NGINX_ID = 'nginx'
export const LAT_BARE_ID = 'latency-1conn-bare-proxy'

let micro = 0

/** One run of bench/micro/ed25519-verify.ts pinned to the SUT core; rps = verifies/s. */
async function verifySample(ctx: Ctx, durationSec: number, jose: number[]): Promise<LoadResult> {
  const seconds = Math.max(1, Math.min(5, durationSec))
  const m = spawnManaged(`verify-micro-${++micro}`, process.execPath, ['--import', 'tsx', join(REPO_DIR, 'bench', 'micro', 'ed25519-verify.ts'), String(seconds)], ctx.dir, {
    core: ctx.env.placement.sut,
    cwd: REPO_DIR,
  })
  const guard = setTimeout(() => void stopManaged(m), (seconds * 2 + 30) * 1000)
  await m.exited
  clearTimeout(guard)
  const text = readFileSync(m.logFile, 'utf8')
  const line = text.split('\n').find((l) => l.startsWith('{"node_crypto_verify_per_s"'))
  if (line === undefined) throw new Error(lastLines(text))
  const result = JSON.parse(line) as { node_crypto_verify_per_s: number; jose_jwt_verify_per_s: number }
  jose.push(result.jose_jwt_verify_per_s)
  // Token files are sized from the ceiling; the first sample sets it.
  ctx.verifyCeiling ??= result.node_crypto_verify_per_s
  return { tool: 'wrk', requests: 0, rps: result.node_crypto_verify_per_s, p50Ms: 0, p99Ms: 0, meanMs: 0, non2xx: 0, socketErrors: 0, exhausted: 0 }
}

export function verifyPlan(ctx: Ctx): LoadScenario {
  const jose: number[] = []
  return {
    id: VERIFY_ID,
    title: 'Ed25519 verify ceiling (node:crypto, 1 core)',
    spec: { url: '', connections: 0 },
    tokens: false,
    expect: 'ok',
    sut: null,
    compare: [],
    check: async () => null,
    sample: (durationSec) => verifySample(ctx, durationSec, jose),
    notes: ['verifies/s of one reference token in a loop on the SUT core (bench/micro/ed25519-verify.ts)'],
    finish: (row) => {
      const rate = Math.round(median(jose))
      row.extra['jose_jwt_verify_per_s'] = rate
      row.notes.push(`jose.jwtVerify on the same core: ${rate.toLocaleString('en-US')}/s`)
    },
  }
}

export function directPlan(ctx: Ctx, upstream: Started): LoadScenario {
  return {
    id: DIRECT_ID,
    title: 'direct to upstream (reference)',
    spec: { url: `${upstream.url}/pass`, connections: ctx.opts.connections },
    tokens: false,
    expect: 'ok',
    sut: upstream.m,
    compare: [],
    check: () => expectStatus(`${upstream.url}/pass`, {}, 200, 'bench-upstream'),
    notes: ['upstream shares the load core: this is the load generator + upstream ceiling'],
  }
}

export function barePlans(ctx: Ctx, bare: Started): { throughput: LoadScenario; latency: LoadScenario } {
  const base = { tokens: false, expect: 'ok' as const, sut: bare.m, check: () => expectStatus(`${bare.url}/pass`, {}, 200, 'bench-upstream') }
  return {
    throughput: {
      ...base,
      id: BARE_ID,
      title: 'bare undici proxy (reference floor)',
      spec: { url: `${bare.url}/pass`, connections: ctx.opts.connections },
      compare: [{ ref: DIRECT_ID, target: null }],
      notes: ['bench/bare-proxy.ts: node:http + undici Pool.dispatch'],
    },
    latency: {
      ...base,
      id: LAT_BARE_ID,
      title: 'latency, 1 connection: bare undici proxy (reference)',
      spec: { url: `${bare.url}/pass`, connections: 1 },
      compare: [],
    },
  }
}

export function nginxPlan(ctx: Ctx, nginx: Started): LoadScenario {
  return {
    id: NGINX_ID,
    title: 'nginx reverse proxy (reference)',
    spec: { url: `${nginx.url}/pass`, connections: ctx.opts.connections },
    tokens: false,
    expect: 'ok',
    sut: nginx.m,
    compare: [{ ref: DIRECT_ID, target: null }],
    check: () => expectStatus(`${nginx.url}/pass`, {}, 200, 'bench-upstream'),
    notes: [`${ctx.env.nginx}: 1 worker, upstream keepalive 128, access log on`],
  }
}
