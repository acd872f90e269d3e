// Share links of compliance reports: ≥128-bit CSPRNG tokens shown once and stored only as a hash; the
// public routes work without an API key and carry no-store / no-referrer / noindex; views are
// counted; revoked, expired, unknown and malformed tokens all get the same 404; a link reaches one
// report's artifacts and nothing else; minting and revoking need an admin key.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ManualClock } from '../../src/core/index.ts'
import { hashShareToken } from '../../src/reports/index.ts'
import { call, startHarness } from '../vault/helpers.ts'
import { demoTraffic, generate } from '../reports/reports.support.ts'

function sameProblem(a: { status: number; body: Record<string, unknown> }, b: { status: number; body: Record<string, unknown> }): void {
  assert.equal(a.status, 404)
  assert.deepEqual({ ...a.body, request_id: null }, { ...b.body, request_id: null })
}

test('share link: admin mints, holder reads record and artifacts without a key, headers hardened, views counted, revoke kills it', async (t) => {
  const clock = new ManualClock(Date.now())
  const h = await startHarness(t, { clock })
  const demo = await demoTraffic(h)
  clock.advance(10)
  const r = await generate(h, demo.startedAtMs - 60_000)
  assert.equal((await call(h.base, 'POST', `/reports/${r.report_id}/share`, { key: h.keys.reviewer, body: {} })).status, 403)
  assert.equal((await call(h.base, 'POST', `/reports/${r.report_id}/share`, { key: h.keys.admin, body: { expires_in_days: 91 } })).status, 400)
  const minted = await call(h.base, 'POST', `/reports/${r.report_id}/share`, { key: h.keys.admin, body: { recipient_label: 'External auditor' } })
  assert.equal(minted.status, 201, minted.text)
  const token = minted.body.token as string
  assert.match(token, /^lgxs_[A-Za-z0-9_-]{43}$/, '256 random bits, base64url')
  assert.equal(minted.body.url, `/reports/shared/${token}`)
  assert.equal(Date.parse(minted.body.expires_at) - clock.now(), 7 * 86_400_000, 'default expiry 7 days')

  // Stored only as a hash: the token text is nowhere in the database files.
  await h.server.context.store.write([])
  const share = await h.server.context.store.findReportShareByHash(hashShareToken(token))
  assert.equal(share?.shareId, minted.body.share_id)
  for (const f of readdirSync(h.dataDir)) if (f.startsWith('vault.db')) assert.ok(!readFileSync(join(h.dataDir, f)).includes(token), `${f} holds no token`)

  const shared = await call(h.base, 'GET', `/reports/shared/${token}`)
  assert.equal(shared.status, 200, shared.text)
  assert.equal(shared.body.report_id, r.report_id)
  assert.equal(shared.body.json_sha256, r.json_sha256)
  assert.equal(shared.body.artifacts[0].href.startsWith(`/reports/shared/${token}/artifacts/`), true)
  assert.equal(shared.body.shares, undefined, 'the holder does not see other links')
  for (const [name, value] of [['cache-control', 'no-store'], ['referrer-policy', 'no-referrer'], ['x-robots-tag', 'noindex, nofollow']]) assert.equal(shared.headers[name!], value)
  const pdf = await fetch(`${h.base}/reports/shared/${token}/artifacts/pdf`)
  assert.equal(pdf.status, 200)
  assert.equal(pdf.headers.get('content-type'), 'application/pdf')
  assert.equal(pdf.headers.get('referrer-policy'), 'no-referrer')
  assert.equal(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString(), '%PDF-')
  const record = await call(h.base, 'GET', `/reports/${r.report_id}`, { key: h.keys.admin })
  assert.deepEqual(record.body.shares.map((s: { share_id: string; views: number; recipient_label: string }) => [s.share_id, s.views, s.recipient_label]), [[minted.body.share_id, 2, 'External auditor']])

  const unknown = await call(h.base, 'GET', `/reports/shared/lgxs_${'A'.repeat(43)}`)
  const malformed = await call(h.base, 'GET', '/reports/shared/not-a-token')
  sameProblem(unknown, malformed)
  assert.equal(unknown.headers['cache-control'], 'no-store')
  assert.equal((await call(h.base, 'GET', `/reports/shared/${token}/artifacts/xml`)).status, 404)
  assert.equal((await call(h.base, 'GET', `/reports/shared/${token}/../../ledger`)).status !== 200, true, 'a token opens nothing but its report')

  assert.equal((await call(h.base, 'DELETE', `/reports/${r.report_id}/share/${minted.body.share_id}`, { key: h.keys.reviewer })).status, 403)
  const revoked = await call(h.base, 'DELETE', `/reports/${r.report_id}/share/${minted.body.share_id}`, { key: h.keys.admin })
  assert.equal(revoked.status, 200, revoked.text)
  assert.equal(revoked.body.revoked_by, 'admin:admin')
  sameProblem(await call(h.base, 'GET', `/reports/shared/${token}`), unknown)
  sameProblem(await call(h.base, 'GET', `/reports/shared/${token}/artifacts/json`), unknown)
  assert.equal((await call(h.base, 'DELETE', `/reports/${r.report_id}/share/${minted.body.share_id}`, { key: h.keys.admin })).status, 404, 'revoking twice is 404')

  // Expiry: a 1-day link works until the clock passes it, then answers the same 404.
  const short = await call(h.base, 'POST', `/reports/${r.report_id}/share`, { key: h.keys.admin, body: { expires_in_days: 1 } })
  assert.equal((await call(h.base, 'GET', `/reports/shared/${short.body.token}`)).status, 200)
  clock.advance(86_400_000)
  sameProblem(await call(h.base, 'GET', `/reports/shared/${short.body.token}`), unknown)
  // Another tenant's admin cannot share or revoke this report.
  assert.equal((await call(h.base, 'POST', `/reports/${r.report_id}/share`, { key: h.keys.bAdmin, body: {} })).status, 404)
})

test('the public shared routes are rate limited per client address (burst 10, then 429 with Retry-After)', async (t) => {
  const h = await startHarness(t)
  const statuses: number[] = []
  let retryAfter: unknown = null
  for (let i = 0; i < 12; i++) {
    const res = await call(h.base, 'GET', `/reports/shared/lgxs_${'B'.repeat(43)}`)
    statuses.push(res.status)
    if (res.status === 429) retryAfter = res.headers['retry-after']
  }
  assert.deepEqual(statuses.slice(0, 10), Array(10).fill(404))
  assert.deepEqual(statuses.slice(10), [429, 429])
  assert.match(String(retryAfter), /^[1-9]\d*$/)
  assert.equal((await call(h.base, 'GET', '/health')).status, 200, 'other routes unaffected')
})
