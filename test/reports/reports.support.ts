// Shared fixtures for the report tests: demo traffic like the quickstart's (automatic approvals, a
// denial, a review approved by a human, a consumed token, a manual lockdown and release), then one
// report generated through the API and awaited; and pdftoppm/pdftotext availability (CI must have
// them: .ci/run installs poppler-utils).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { call, registerPayments, type Harness } from '../vault/helpers.ts'

export function popplerMissing(): string | false {
  const found = spawnSync('pdftoppm', ['-v'], { encoding: 'utf8' }).error === undefined
  if (found) return false
  if (process.env.CI === 'true') assert.fail('pdftoppm is missing in CI: .ci/run must install poppler-utils')
  return 'pdftoppm (poppler-utils) is not installed: apt-get install -y poppler-utils'
}

export function run(cmd: string, args: readonly string[]): { stdout: Buffer; status: number | null; stderr: string } {
  const r = spawnSync(cmd, args, { maxBuffer: 64 * 1024 * 1024 })
  return { stdout: r.stdout, status: r.status, stderr: r.stderr?.toString() ?? '' }
}

export interface DemoTraffic {
  startedAtMs: number
  approvedIds: string[]
  reviewedId: string
  deniedId: string
}

/** The quickstart's kind of traffic through the real HTTP API. */
export async function demoTraffic(h: Harness): Promise<DemoTraffic> {
  const startedAtMs = Date.now() - 1000
  await registerPayments(h)
  const approvedIds: string[] = []
  for (const amount of [120, 480, 75]) {
    const res = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 'create_stripe_payment', tool_args: { amount, currency: 'EUR', customer_id: 'cus_42' }, agent_id: 'payments-agent' } })
    assert.equal(res.body.status, 'approved', res.text)
    approvedIds.push(res.body.request_id as string)
  }
  const token = (await call(h.base, 'GET', `/clearance-status/${approvedIds[0]}`, { key: h.keys.agent })).body.token as string
  const consumed = await call(h.base, 'POST', '/consume-token', { key: h.keys.agent, body: { token } })
  assert.equal(consumed.status, 200, consumed.text)
  const denied = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 'stripe_refund', tool_args: { charge: 'ch_1', amount: 40 }, agent_id: 'refund-agent' } })
  assert.equal(denied.body.status, 'denied')
  const big = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 'create_stripe_payment', tool_args: { amount: 5000, currency: 'EUR', customer_id: 'cus_7' }, agent_id: 'payments-agent' } })
  assert.equal(big.body.status, 'pending_review')
  const decided = await call(h.base, 'POST', `/reviews/${big.body.request_id}/decision`, { key: h.keys.reviewer, body: { approved: true, review_reason: 'Invoice INV-7 checked → ok', reviewer_email: 'ops@example.com' } })
  assert.equal(decided.status, 200, decided.text)
  const lock = await call(h.base, 'POST', '/drift/agents/refund-agent/lockdown', { key: h.keys.admin, body: { reason: 'refund burst under investigation' } })
  assert.equal(lock.status, 200, lock.text)
  const release = await call(h.base, 'DELETE', '/drift/agents/refund-agent/lockdown', { key: h.keys.admin, body: { reason: 'false alarm: month-end refunds' } })
  assert.equal(release.status, 200, release.text)
  return { startedAtMs, approvedIds, reviewedId: big.body.request_id as string, deniedId: denied.body.request_id as string }
}

/** POST /reports for [from, now) and wait for the worker; returns the ready record. */
export async function generate(h: Harness, fromMs: number, extra: Record<string, unknown> = {}): Promise<Record<string, any>> {
  await new Promise((r) => setTimeout(r, 5))
  const posted = await call(h.base, 'POST', '/reports', { key: h.keys.admin, body: { period_from: new Date(fromMs).toISOString(), period_to: new Date(h.server.context.clock.now()).toISOString(), ...extra } })
  assert.equal(posted.status, 202, posted.text)
  assert.equal(posted.body.status, 'queued')
  await h.server.context.reports.idle()
  const got = await call(h.base, 'GET', `/reports/${posted.body.report_id}`, { key: h.keys.reviewer })
  assert.equal(got.status, 200)
  assert.equal(got.body.status, 'ready', got.text)
  return got.body
}
