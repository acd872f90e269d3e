// Scenarios against the Vault process alone (vault-only): durable /consume-token over HTTP with a
// fresh token per request, /request-clearance with structured rules (decision + ledger append +
// mint), and the naive reference gateway that burns through the same Vault.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expectStatus } from '../lib/measure.ts'
import type { Ctx, LoadScenario } from '../lib/measure.ts'
import type { Started, VaultStarted } from '../lib/stack.ts'
import { BENCH_TOOL, mintBenchToken } from '../lib/tokens.ts'
import { NAIVE_ID, NAIVE_SHARED_ID, checkGated, placementNote } from './gateway.ts'
import type { VaultPlacement } from './gateway.ts'
import { VERIFY_ID } from './references.ts'

export const CONSUME_ID = 'consume-token'
export const CLEARANCE_ID = 'request-clearance'
export const CLEARANCE_DRIFT_ID = 'request-clearance-drift'

/** Drift on, learning shortened so the run measures active agents (full evaluation per request). */
const BENCH_DRIFT_SETTINGS = { enabled: true, mode: 'observe', learning: { min_days: 0, min_requests: 200 } }

export const NAIVE_TITLE = 'naive reference gateway (undici + jose.jwtVerify + HTTP /consume-token), fresh token/request'
export const NAIVE_SHARED_TITLE = `${NAIVE_TITLE} — Vault on the same core`

export function naivePlan(ctx: Ctx, naive: Started, placement: VaultPlacement = 'remote'): LoadScenario {
  const shared = placement === 'shared'
  return {
    id: shared ? NAIVE_SHARED_ID : NAIVE_ID,
    title: shared ? NAIVE_SHARED_TITLE : NAIVE_TITLE,
    spec: { url: `${naive.url}/gated`, connections: ctx.opts.connections, tokenMode: 'bearer' },
    tokens: true,
    expect: 'ok',
    sut: naive.m,
    compare: [{ ref: VERIFY_ID, target: null }],
    check: () => checkGated(ctx, `${naive.url}/gated`),
    notes: [
      placementNote(ctx, 'bench/naive-gateway.ts', placement),
      shared
        ? "the all-in-one gated row's reference: the same work (verify, proxy, a durable burn in a Vault) on the one SUT core"
        : "the paired row's reference (informational for the all-in-one row, whose Vault work is not offloaded)",
      'RSS is the naive process only',
    ],
  }
}

export function consumePlan(ctx: Ctx, vault: VaultStarted): LoadScenario {
  const url = `${vault.url}/consume-token`
  const headers = { 'x-vault-api-key': vault.apiKey }
  return {
    id: CONSUME_ID,
    title: 'Vault POST /consume-token over HTTP, fresh token/request, durable',
    spec: { url, connections: ctx.opts.connections, method: 'POST', headers, tokenMode: 'consume' },
    tokens: true,
    expect: 'ok',
    sut: vault.m,
    compare: [{ ref: VERIFY_ID, target: null }],
    check: async () => {
      const body = JSON.stringify({ token: mintBenchToken(ctx.key, Math.floor(Date.now() / 1000), 1800) })
      const init = { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body }
      return (await expectStatus(url, init, 200, '"valid":true')) ?? (await expectStatus(url, init, 409))
    },
    minRps: 5000,
  }
}

export function clearancePlan(ctx: Ctx, vault: VaultStarted): LoadScenario {
  const url = `${vault.url}/request-clearance`
  const body = JSON.stringify({
    tool_name: BENCH_TOOL,
    tool_args: { amount: 100, currency: 'usd', payment_method_id: 'pm_bench' },
    agent_id: 'bench-agent',
    session_id: 'bench-session',
  })
  const bodyFile = join(ctx.dir, 'clearance-body.json')
  writeFileSync(bodyFile, body)
  const headers = { 'x-vault-api-key': vault.apiKey, 'content-type': 'application/json' }
  return {
    id: CLEARANCE_ID,
    title: 'Vault POST /request-clearance, structured rules → allow (decision + ledger append + mint), durable',
    spec: { url, connections: ctx.opts.connections, method: 'POST', headers, bodyFile },
    tokens: false,
    expect: 'ok',
    sut: vault.m,
    compare: [],
    check: () => expectStatus(url, { method: 'POST', headers, body }, 200, '"approved":true'),
    notes: ['bench/configs/policies/bench.yaml (3 CEL rules), no judge, no Idempotency-Key'],
    minRps: 2000,
  }
}

/**
 * Issue 19: the same clearance load against a second vault-only process whose tenant has drift
 * enabled; judged against the plain clearance row of the same run (target ≥ 0.9×). The drift worker
 * runs on a timer off the request path, so what this measures is the enqueue plus the worker's share
 * of the one SUT core.
 */
export function clearanceDriftPlan(ctx: Ctx, vault: VaultStarted): LoadScenario {
  const plain = clearancePlan(ctx, vault)
  const headers = { 'x-vault-api-key': vault.apiKey, 'content-type': 'application/json' }
  const summary = async (): Promise<Record<string, number> | null> => {
    const res = await fetch(`${vault.url}/drift/summary`, { headers })
    if (!res.ok) return null
    const body = (await res.json()) as { top?: Array<{ requests?: number }> }
    return { drift_observations: body.top?.[0]?.requests ?? 0 }
  }
  return {
    ...plain,
    id: CLEARANCE_DRIFT_ID,
    title: 'Vault POST /request-clearance with drift detection enabled (observe mode), same load',
    compare: [{ ref: CLEARANCE_ID, target: 0.9 }],
    check: async () => {
      const put = await fetch(`${vault.url}/drift/settings`, { method: 'PUT', headers, body: JSON.stringify(BENCH_DRIFT_SETTINGS) })
      if (!put.ok) return `PUT /drift/settings answered ${put.status}`
      return plain.check()
    },
    probe: summary,
    describeProbe: (total) => `drift folded ${Math.round(total.drift_observations ?? 0).toLocaleString('en-US')} observations during the measured runs (GET /drift/summary)`,
    notes: [...(plain.notes ?? []), 'a second vault-only process on the SUT core, its tenant with drift enabled (learning min_requests 200, min_days 0, so the agent is active and every request is fully evaluated)'],
  }
}
